"""The v1 error answers as the schema documents them."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from provisioning.partner_api.auth import INVALID_KEY_MESSAGE
from provisioning.partner_api.v1.errors import NOT_FOUND, VALIDATION
from provisioning.partner_api.v1.serializers import ErrorSerializer, ValidationErrorSerializer

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=[429],
    description="Seconds until the key's rate-limit window ends.",
)


def _error(description: str, message: str) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer,
        description=description,
        examples=[OpenApiExample(description, value={"message": message})],
    )


ERRORS = {
    400: _error("The body is not JSON.", "The body is not valid JSON: JSON parse error."),
    401: _error(
        "Missing, wrong or revoked key (the answer does not say which).", INVALID_KEY_MESSAGE
    ),
    404: _error("Unknown user, or a user of another partner: the two look alike.", NOT_FOUND),
    405: _error("Method not allowed on this path.", 'Method "PATCH" not allowed.'),
    406: _error("Only application/json is served.", "Could not satisfy the request Accept header."),
    409: _error(
        "The request conflicts with the account's state.",
        "anna@acme-cargo.de is already a user of yours.",
    ),
    413: _error(
        "The body is larger than the limit; refused before it is read.",
        "The body is larger than the limit of 2621440 bytes.",
    ),
    415: _error("The body must be application/json.", 'Unsupported media type "text/plain".'),
    422: OpenApiResponse(
        ValidationErrorSerializer,
        description="Invalid fields, each named with its problems.",
        examples=[
            OpenApiExample(
                "Invalid fields",
                value={
                    "message": VALIDATION,
                    "errors": {
                        "firstName": ["Ensure this field has no more than 45 characters."],
                        "offices[0].officeAirportCode": ["airport JFK is not in DE"],
                    },
                },
            )
        ],
    ),
    429: _error(
        "Too many requests for this key; see Retry-After.",
        "Too many requests for this API key; retry in 12 s.",
    ),
}


def errors(*codes: int) -> dict:
    """The error answers of an operation: always 401, 405, 406 and 429, plus codes."""
    return {code: ERRORS[code] for code in sorted({401, 405, 406, 429, *codes})}


def list_errors() -> dict:
    """A list's error answers: a cursor that is not one of ours answers 400 naming it."""
    return {
        **errors(422),
        400: OpenApiResponse(
            ValidationErrorSerializer,
            description="The cursor is not one the API gave out (forged, damaged, another list's).",
            examples=[
                OpenApiExample(
                    "Invalid cursor",
                    value={
                        "message": "Invalid cursor.",
                        "errors": {"cursor": ["is not a cursor this list gave out"]},
                    },
                )
            ],
        ),
    }
