"""`/solutions/users` — the compatibility surface (DESIGN §5.2).

Wire-compatible with the provisioning API partners already integrate against: the same
fields, the same success bodies and the same error texts, so a partner switches by changing
the base URL. Every refusal is HTTP 400 `{"message": "Invalid request: …"}`, a bad key 401.
"""

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from provisioning.accounts.errors import (
    InvalidInput,
    UserAlreadyExists,
    UserDisabled,
    UserNotAttached,
    UserNotFound,
    UserNotVerified,
)
from provisioning.accounts.links import login_link
from provisioning.accounts.members import (
    user_add_offices,
    user_issue_token,
    user_remove_from_partner,
)
from provisioning.accounts.services import Provisioned, user_create
from provisioning.audit.records import Actor
from provisioning.models import UserStatus
from provisioning.partner_api import compat_schema as docs
from provisioning.partner_api.auth import INVALID_KEY_MESSAGE, HeaderApiKeyAuthentication
from provisioning.partner_api.compat_input import (
    CompatError,
    add_offices_request,
    create_request,
    email_param,
    json_object,
)
from provisioning.partner_api.throttling import ApiKeyRateThrottle

STATUS_WORDS = {UserStatus.ACTIVATED: "Activated", UserStatus.PENDING: "Pending"}
NOT_ATTACHED = (
    "User is not attached to your key, please use create user endpoint to link user with "
    "your key: {email}"
)
NOT_YOUR_PROVIDER = "user does not belong to your provider: {email}"
DISABLED = "user account actually disabled, please contact support for additionnal details"


def _refusal(exc: Exception, *, not_attached: str = NOT_ATTACHED) -> str:
    match exc:
        case InvalidInput():
            return "; ".join(f"{field}: {message}" for field, message in exc.errors) + "."
        case UserAlreadyExists():
            return f"User [{exc.email}] already exist"
        case UserNotFound():
            return f"user not found: {exc.email}"
        case UserNotAttached():
            return not_attached.format(email=exc.email)
        case UserNotVerified():
            return "user not verified"
        case UserDisabled():
            return DISABLED
    return str(exc)


class AlwaysJson(BaseContentNegotiation):
    """The surface partners already speak answers JSON whatever the Accept header says, as
    the API it replaces did; no negotiation to run on every call."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CompatUsersView(APIView):
    authentication_classes = [HeaderApiKeyAuthentication]
    permission_classes: list = []
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes: list = []  # the body is read as JSON whatever its Content-Type
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AlwaysJson
    _parsed: dict | None = None  # the JSON body, parsed once per request

    # --- calls ----------------------------------------------------------------------------

    @docs.create
    def post(self, request):
        data = create_request(self._body(request))
        result = user_create(partner=self.partner, data=data, actor=self.actor)
        if result.user.status == UserStatus.ACTIVATED and result.access is None:
            message = "User has been successfully created"
        else:
            message = "User has been created and is pending verification"
        return self._provisioned(result, message)

    @docs.token
    def get(self, request):
        email = email_param(request.query_params.get("email"))
        user, raw_token = user_issue_token(partner=self.partner, email=email, actor=self.actor)
        return self._ok(
            status=STATUS_WORDS[user.status],
            message=f"Successful request: login link generated: {user.email}",
            token=raw_token,
            link=login_link(raw_token),
        )

    @docs.add_offices
    def put(self, request):
        email, offices = add_offices_request(self._body(request))
        result = user_add_offices(
            partner=self.partner, email=email, offices=offices, actor=self.actor
        )
        return self._provisioned(result, "Offices have been successfully added")

    @docs.delete
    def delete(self, request):
        email = email_param(request.query_params.get("email"))
        try:
            user = user_remove_from_partner(partner=self.partner, email=email, actor=self.actor)
        except UserNotAttached as exc:
            raise CompatError(_refusal(exc, not_attached=NOT_YOUR_PROVIDER)) from None
        return self._ok(
            message=(
                "Successful request: User has been successfully deleted from your API key: "
                f"{user.email}"
            )
        )

    # --- plumbing -------------------------------------------------------------------------

    @property
    def partner(self):
        return self.request.auth.partner

    @property
    def actor(self) -> Actor:
        return Actor.partner(self.request.auth)

    def _body(self, request) -> dict:
        if self._parsed is None:
            try:
                body = request.body
            except RequestDataTooBig:
                raise CompatError("the body is too large") from None
            self._parsed = json_object(body)
        return self._parsed

    def _provisioned(self, result: Provisioned, message: str) -> HttpResponse:
        user = result.user
        if result.access is not None:
            # Access asked for, not granted: the answer of a new account awaiting
            # verification, with nothing of the account's own data (DESIGN §5.2).
            email = result.access.request_data.get("email") or user.email
            return self._ok(
                status="Pending",
                message=f"Successful request: User has been created and is pending "
                f"verification: {email}",
            )
        answer = {
            "status": STATUS_WORDS[user.status],
            "message": f"Successful request: {message}: {user.email}",
        }
        if user.status == UserStatus.ACTIVATED:
            _, raw_token = user_issue_token(
                partner=self.partner, email=user.email, actor=self.actor
            )
            answer |= {"token": raw_token, "link": login_link(raw_token)}
        elif result.completion_url:
            answer["link"] = result.completion_url
        return self._ok(**answer)

    def _ok(self, **body) -> HttpResponse:
        # The answer of every successful call, written as the JSON renderer would write it
        # (compact, UTF-8) without its machinery, which costs more than the body's own work.
        return HttpResponse(
            json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
            response = Response({"message": INVALID_KEY_MESSAGE}, status=401)
            response["WWW-Authenticate"] = "ApiKey"
            return response
        if isinstance(exc, exceptions.Throttled):
            wait = int(exc.wait or 1)
            return Response(
                {"message": f"Invalid request: too many requests, retry in {wait} s"},
                status=429,
                headers={"Retry-After": str(wait)},
            )
        if isinstance(exc, CompatError):
            return Response({"message": f"Invalid request: {exc}"}, status=400)
        if isinstance(
            exc,
            InvalidInput
            | UserAlreadyExists
            | UserNotFound
            | UserNotAttached
            | UserNotVerified
            | UserDisabled,
        ):
            return Response({"message": f"Invalid request: {_refusal(exc)}"}, status=400)
        if isinstance(exc, exceptions.MethodNotAllowed):
            return Response(
                {"message": f"Invalid request: method {self.request.method} not allowed"},
                status=405,
                headers={"Allow": ", ".join(self.allowed_methods)},
            )
        if isinstance(exc, exceptions.APIException):
            return Response({"message": f"Invalid request: {exc.detail}"}, status=exc.status_code)
        return super().handle_exception(exc)
