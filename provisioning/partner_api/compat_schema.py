"""The compatibility surface as the OpenAPI schema documents it (DESIGN §5.2).

The shapes follow what `compat_input.py` accepts — the legacy API's leniency included: text is
trimmed, codes may be empty, `partnerId` may be a number — and what `compat.py` answers: 200
with `status`/`message` (+ `token`, `link`), or 400 `{"message": "Invalid request: …"}`
(`{"error": …}` for PUT, as the vendor's published contract has it).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers

from provisioning.partner_api.auth import INVALID_KEY_MESSAGE
from provisioning.partner_api.compat_input import (
    COMPANY_NAME_MAX,
    EMAIL_MAX,
    OFFICES_MAX,
    PARTNER_ID_MAX,
)

TAG = ["compatibility (/solutions/users)"]


class CompatOfficeSerializer(serializers.Serializer):
    countryCode = serializers.CharField(help_text="ISO 3166-1 alpha-2, any letter case.")
    officeAirportCode = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="A known IATA airport in the office's country.",
    )
    iataCode = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="7 digits, given with cassCode.",
    )
    cassCode = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="4 digits, given with iataCode.",
    )


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}], "nullable": True})
class PartnerIdField(serializers.Field):
    pass


class CompatCreateSerializer(serializers.Serializer):
    firstName = serializers.CharField(help_text="1 to 45 characters.")
    lastName = serializers.CharField(help_text="1 to 45 characters.")
    email = serializers.CharField(help_text=f"A well-formed address, at most {EMAIL_MAX}.")
    companyName = serializers.CharField(help_text=f"1 to {COMPANY_NAME_MAX} characters.")
    countryCode = serializers.CharField(
        required=False, allow_null=True, help_text="Required unless offices[] is given."
    )
    iataCode = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="Older form of one office."
    )
    cassCode = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="Older form of one office."
    )
    officeAirportCode = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="Older form of one office."
    )
    partnerId = PartnerIdField(
        required=False, allow_null=True, help_text=f"At most {PARTNER_ID_MAX} characters."
    )
    offices = CompatOfficeSerializer(
        many=True, required=False, allow_null=True, help_text=f"At most {OFFICES_MAX} offices."
    )


class CompatAddOfficesSerializer(serializers.Serializer):
    firstName = serializers.CharField()
    lastName = serializers.CharField()
    email = serializers.CharField()
    companyName = serializers.CharField()
    offices = CompatOfficeSerializer(many=True)


ANSWER = inline_serializer(
    "CompatAnswer",
    {
        "status": serializers.ChoiceField(choices=["Activated", "Pending"]),
        "message": serializers.CharField(),
        "token": serializers.CharField(required=False, help_text="Activated users: one-time."),
        "link": serializers.CharField(
            required=False,
            help_text="Activated: the portal login link; awaiting details: the completion link.",
        ),
    },
)
DELETED = inline_serializer("CompatDeleted", {"message": serializers.CharField()})
REFUSAL = inline_serializer("CompatRefusal", {"message": serializers.CharField()})
# The vendor's add-offices call names its refusal `error` (its published contract).
PUT_REFUSAL = inline_serializer("CompatPutRefusal", {"error": serializers.CharField()})
ERRORS = {
    400: OpenApiResponse(
        REFUSAL,
        description="Refused; the text says why (see docs/partner-api.md for every text).",
        examples=[
            OpenApiExample(
                "Field errors",
                value={
                    "message": "Invalid request: firstName: cannot be blank; iataCode: must "
                    "contain digits only."
                },
            ),
            OpenApiExample(
                "Unknown user", value={"message": "Invalid request: user not found: a@b.example"}
            ),
        ],
    ),
    401: OpenApiResponse(
        REFUSAL,
        description="Missing, wrong or revoked key.",
        examples=[OpenApiExample("Bad key", value={"message": INVALID_KEY_MESSAGE})],
    ),
    405: OpenApiResponse(REFUSAL, description="Method not allowed."),
    429: OpenApiResponse(REFUSAL, description="Too many requests for this key; see Retry-After."),
}
EMAIL = OpenApiParameter("email", str, required=True, description="The user's email address.")
RETRY_AFTER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, location=OpenApiParameter.HEADER, response=[429]
)
ACTIVATED = OpenApiExample(
    "Activated",
    response_only=True,
    value={
        "status": "Activated",
        "message": "Successful request: User created and account already activated",
        "token": "lsWoVx…",
        "link": "http://127.0.0.1:8000/portal/login?auth=lsWoVx…",
    },
)

create = extend_schema(
    operation_id="compat_users_create",
    summary="Create a user (compatibility)",
    tags=TAG,
    request={"application/json": CompatCreateSerializer},
    parameters=[RETRY_AFTER],
    responses={200: ANSWER, **ERRORS},
    examples=[
        OpenApiExample(
            "Flow 1",
            request_only=True,
            value={
                "firstName": "Jonas",
                "lastName": "Weber",
                "email": "jonas@acme-cargo.de",
                "companyName": "ACME Cargo GmbH",
                "countryCode": "DE",
                "officeAirportCode": "FRA",
            },
        ),
        ACTIVATED,
    ],
)
token = extend_schema(
    operation_id="compat_users_token",
    summary="Get a login token and portal link (compatibility)",
    tags=TAG,
    parameters=[EMAIL, RETRY_AFTER],
    responses={200: ANSWER, **ERRORS},
)
add_offices = extend_schema(
    operation_id="compat_users_add_offices",
    summary="Add offices to a user (compatibility)",
    tags=TAG,
    request={"application/json": CompatAddOfficesSerializer},
    parameters=[RETRY_AFTER],
    responses={
        200: ANSWER,
        **ERRORS,
        400: OpenApiResponse(
            PUT_REFUSAL,
            description="Refused, under `error` as the vendor's add-offices call answers.",
            examples=[
                OpenApiExample(
                    "Unknown user",
                    value={"error": "Invalid request: user not found: a@b.example"},
                )
            ],
        ),
    },
)
delete = extend_schema(
    operation_id="compat_users_delete",
    summary="Remove a user from this key's partner (compatibility)",
    tags=TAG,
    parameters=[EMAIL, RETRY_AFTER],
    responses={
        200: OpenApiResponse(
            DELETED,
            examples=[
                OpenApiExample(
                    "Deleted",
                    value={
                        "message": "Successful request: User has been successfully deleted "
                        "from your API key: jonas@acme-cargo.de"
                    },
                )
            ],
        ),
        **ERRORS,
    },
)
