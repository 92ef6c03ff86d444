"""SCIM answers to refusals (RFC 7644 §3.12): `application/scim+json` bodies with the Error
schema, a status and, where RFC 7644 names one, a scimType."""

import json

from django.http import HttpResponse
from scim2_models import (
    InvalidValueException,
    NotFoundException,
    SCIMException,
    UniquenessException,
)

from provisioning.accounts.errors import (
    ExternalIdTaken,
    InvalidInput,
    ProvisioningError,
    UserAlreadyExists,
    UserDisabled,
    UserNotAttached,
    UserNotFound,
)

CONTENT_TYPE = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
NOT_FOUND = "No such user."

# The compat rule book's field names, as SCIM names them.
SCIM_NAMES = {
    "email": "userName",
    "firstName": "name.givenName",
    "lastName": "name.familyName",
    "companyName": f"{'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'}:organization",
    "countryCode": "country",
    "partnerId": "externalId",
}


def scim_json(body, status: int = 200, **headers) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=CONTENT_TYPE,
        headers=headers or None,
    )


def error_response(status: int, detail: str, scim_type: str = "", **headers) -> HttpResponse:
    body = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return scim_json(body, status=status, **headers)


def from_scim_exception(exc: SCIMException) -> HttpResponse:
    return error_response(exc.status, _printable(exc.detail), exc.scim_type)


def _field(name: str) -> str:
    _, dot, rest = name.partition("offices[")
    if dot:
        return f"offices[{rest}"
    return SCIM_NAMES.get(name, name)


def _printable(text: str) -> str:
    """A detail never echoes control characters or lone surrogates back."""
    return "".join(c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else "?" for c in text)


def refusal(exc: ProvisioningError) -> SCIMException:
    """The SCIM error of a refusal of the provisioning services."""
    match exc:
        case InvalidInput():
            detail = "; ".join(f"{_field(field)}: {message}" for field, message in exc.errors)
            return InvalidValueException(detail=detail)
        case UserAlreadyExists():
            return UniquenessException(detail=f"{exc.email} is already one of your users.")
        case ExternalIdTaken():
            return UniquenessException(detail="Another of your users has this externalId.")
        case UserNotFound() | UserNotAttached():
            return NotFoundException(detail=NOT_FOUND)
        case UserDisabled():
            return InvalidValueException(detail="The account cannot be changed.")
    return InvalidValueException(detail=str(exc))
