"""How the native surface words its refusals.

Every error is JSON `{"message": "…"}`; validation errors (422) add
`"errors": {"<field>": ["<problem>", …]}`, with the request's own field names (`offices[1].
countryCode`, query parameters by name, the `Idempotency-Key` header by its name).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from provisioning.accounts.errors import (
    InvalidInput,
    UserAlreadyExists,
    UserDisabled,
    UserNotAttached,
    UserNotFound,
    UserNotVerified,
)
from provisioning.partner_api.auth import INVALID_KEY_MESSAGE
from provisioning.partner_api.idempotency import IdempotencyKeyReused

NOT_FOUND = "No such user."
VALIDATION = "The request has invalid fields."


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE

    def __init__(self, limit: int):
        super().__init__(f"The body is larger than the limit of {limit} bytes.")


class InvalidCursor(exceptions.APIException):
    """A `cursor` the API did not give out (forged, damaged, or another list's)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "is not a cursor this list gave out; follow `next` or `previous` as given"


def field_errors(detail) -> dict[str, list[str]]:
    """DRF's nested error detail, flattened to {"a.b[0].c": ["…"]}."""
    flat: dict[str, list[str]] = {}

    def walk(value, prefix: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, int):  # a list's item, as DRF reports it
                    walk(item, f"{prefix}[{key}]")
                    continue
                if key == "non_field_errors":  # about the object (or list) itself
                    walk(item, prefix)
                    continue
                walk(item, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            for index, item in enumerate(value):
                walk(item, f"{prefix}[{index}]")
        elif isinstance(value, list):
            flat.setdefault(prefix or "body", []).extend(str(v) for v in value)
        elif value:
            flat.setdefault(prefix or "body", []).append(str(value))

    walk(detail, "")
    return flat


def invalid(errors: dict[str, list[str]]) -> Response:
    return Response({"message": VALIDATION, "errors": errors}, status=422)


def _message(text: str, code: int, **headers) -> Response:
    return Response({"message": text}, status=code, headers=headers or None)


def refusal(exc: Exception) -> Response | None:
    """The answer to a refusal of the provisioning services, or None for anything else."""
    match exc:
        case InvalidInput():
            errors: dict[str, list[str]] = {}
            for field, message in exc.errors:
                errors.setdefault(field, []).append(message)
            return invalid(errors)
        case UserAlreadyExists():
            return _message(f"{exc.email} is already a user of yours.", 409)
        case UserNotFound() | UserNotAttached():
            return _message(NOT_FOUND, 404)
        case UserNotVerified():
            return _message(
                f"{exc.email} is pending: login tokens are issued to activated users only.", 409
            )
        case UserDisabled():
            return _message(
                f"The account of {exc.email} is disabled; the user should contact support.", 409
            )
        case IdempotencyKeyReused():
            return invalid({"Idempotency-Key": ["was used earlier with another request body"]})
    return None


def exception_handler(exc, context):
    """DRF exception handler of the v1 views."""
    answer = refusal(exc)
    if answer is not None:
        return answer
    match exc:
        case exceptions.NotAuthenticated() | exceptions.AuthenticationFailed():
            response = _message(INVALID_KEY_MESSAGE, 401)
            if getattr(exc, "auth_header", None):
                response["WWW-Authenticate"] = exc.auth_header
            return response
        case exceptions.ValidationError():
            return invalid(field_errors(exc.detail))
        case InvalidCursor():
            return Response({"message": "Invalid cursor.", "errors": {"cursor": [exc.detail]}}, 400)
        case exceptions.ParseError():
            return _message(f"The body is not valid JSON: {exc.detail}", 400)
        case exceptions.Throttled():
            wait = int(exc.wait or 1)
            return _message(
                f"Too many requests for this API key; retry in {wait} s.",
                429,
                **{"Retry-After": str(wait)},
            )
        case Http404() | exceptions.NotFound():
            detail = getattr(exc, "detail", None) or NOT_FOUND
            return _message(str(detail), 404)
        case PermissionDenied() | exceptions.PermissionDenied():
            return _message("Not allowed.", status.HTTP_403_FORBIDDEN)
        case exceptions.APIException():
            return _message(str(exc.detail), exc.status_code)
    return None


def not_found(request, *args, **kwargs):
    return JsonResponse({"message": "No such resource."}, status=404)
