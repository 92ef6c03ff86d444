"""What every `/scim/v2/` view shares: the partner key (Bearer), the per-key rate limit,
SCIM JSON bodies in and out, and every refusal as a SCIM Error (RFC 7644 §3.12)."""

import json

from django.core.exceptions import RequestDataTooBig
from pydantic import ValidationError
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.views import APIView
from scim2_models import InvalidSyntaxException, SCIMException

from provisioning.accounts.errors import ProvisioningError
from provisioning.audit.records import Actor
from provisioning.partner_api.auth import INVALID_KEY_MESSAGE, BearerApiKeyAuthentication
from provisioning.partner_api.scim.errors import error_response, from_scim_exception, refusal
from provisioning.partner_api.throttling import ApiKeyRateThrottle

MEDIA_TYPES = ("application/scim+json", "application/json")


class NoNegotiation(BaseContentNegotiation):
    def select_parser(self, request, parsers):
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return None, "application/scim+json"


class ScimView(APIView):
    authentication_classes = [BearerApiKeyAuthentication]
    permission_classes: list = []
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes: list = []
    renderer_classes: list = []
    content_negotiation_class = NoNegotiation
    schema = None  # not part of the v1 OpenAPI document

    @property
    def partner(self):
        return self.request.auth.partner

    @property
    def actor(self) -> Actor:
        return Actor.partner(self.request.auth)

    def base_url(self) -> str:
        return self.request.build_absolute_uri("/scim/v2/")

    def body(self) -> dict:
        content_type = self.request.content_type.split(";")[0].strip().lower()
        if content_type and content_type not in MEDIA_TYPES:
            raise InvalidSyntaxException(detail="send application/scim+json")
        try:
            data = json.loads(self.request.body)
        except RequestDataTooBig:
            raise
        except (ValueError, RecursionError):
            raise InvalidSyntaxException(detail="the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise InvalidSyntaxException(detail="the body must be a JSON object")
        return data

    def handle_exception(self, exc):
        match exc:
            case exceptions.AuthenticationFailed() | exceptions.NotAuthenticated():
                return error_response(
                    401, INVALID_KEY_MESSAGE, **{"WWW-Authenticate": 'Bearer realm="scim"'}
                )
            case exceptions.Throttled():
                wait = int(exc.wait or 1)
                return error_response(
                    429, f"Too many requests; retry in {wait} s.", **{"Retry-After": str(wait)}
                )
            case exceptions.MethodNotAllowed():
                return error_response(405, f"{self.request.method} is not supported here.")
            case RequestDataTooBig():
                return error_response(413, "The body is too large.")
            case SCIMException():
                return from_scim_exception(exc)
            case ProvisioningError():
                return from_scim_exception(refusal(exc))
            case ValidationError():
                return from_scim_exception(_validation_error(exc))
        return super().handle_exception(exc)

    def options(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed(request.method)


def _validation_error(exc: ValidationError) -> SCIMException:
    """The first problem pydantic reports, as SCIM words it."""
    error = exc.errors(include_url=False, include_input=False)[0]
    context = error.get("ctx") or {}
    location = ".".join(str(part) for part in error.get("loc", ()))
    detail = f"{location}: {error.get('msg')}" if location else str(error.get("msg"))
    cause = SCIMException(detail=detail[:300])
    cause.status = int(context.get("status") or 400)
    cause.scim_type = context.get("scim_type") or "invalidValue"
    return cause
