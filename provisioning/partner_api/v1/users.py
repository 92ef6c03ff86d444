"""`/api/v1/users` — the partner's users (DESIGN §5.3). Thin: check the request, call one
provisioning service, render; the services hold every rule."""

import re

from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from provisioning.accounts.errors import ProvisioningError
from provisioning.accounts.links import login_link
from provisioning.accounts.members import (
    user_add_offices,
    user_issue_token,
    user_remove_from_partner,
)
from provisioning.accounts.selectors import (
    access_request_by_ref,
    partner_member_by_ref,
    partner_members,
)
from provisioning.accounts.services import Provisioned, user_create
from provisioning.models import AccessRequest, LoginToken, PendingReason, User, UserStatus
from provisioning.models.links import hash_token
from provisioning.partner_api.compat_input import (
    create_request,
    offices_request,
)
from provisioning.partner_api.idempotency import Answer, idempotent_call, request_hash
from provisioning.partner_api.v1.base import PartnerApiView
from provisioning.partner_api.v1.docs import RETRY_AFTER, errors, list_errors
from provisioning.partner_api.v1.errors import NOT_FOUND, invalid, refusal
from provisioning.partner_api.v1.filters import USER_ORDERINGS, UserFilter
from provisioning.partner_api.v1.pagination import UserCursor
from provisioning.partner_api.v1.serializers import (
    LoginTokenSerializer,
    OfficesAddSerializer,
    ProvisionedUserSerializer,
    UserCreateSerializer,
    UserSerializer,
)

TAG = ["users"]
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
KEY_RULE = "1 to 255 printable ASCII characters, no spaces"
NO_STORE = {"Cache-Control": "no-store"}  # answers that carry a one-time link

USER_REF = OpenApiParameter(
    "user",
    OpenApiTypes.STR,
    location=OpenApiParameter.PATH,
    description="The user's id, or its email address (any letter case).",
    examples=[
        OpenApiExample("By id", value="42"),
        OpenApiExample("By email", value="anna@acme-cargo.de"),
    ],
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        f"Any unique string: {KEY_RULE}. Repeating a request with the "
        "same key and body within 24 hours replays the first answer (with "
        "`Idempotent-Replayed: true`) instead of acting again; the same key with another body "
        "is refused with 422."
    ),
    pattern=f"^{KEY_PATTERN.pattern}$",
)
CREATE_EXAMPLE = OpenApiExample(
    "Flow 1: a CASS office in the country",
    request_only=True,
    value={
        "firstName": "Jonas",
        "lastName": "Weber",
        "email": "jonas.weber@acme-cargo.de",
        "companyName": "ACME Cargo GmbH",
        "countryCode": "DE",
        "offices": [{"countryCode": "DE", "officeAirportCode": "FRA"}],
    },
)


def _provisioned(result: Provisioned) -> dict:
    if result.access is not None:
        return {**_asked(result.access), "completionLink": None}
    data = UserSerializer(result.user).data
    return {**data, "completionLink": result.completion_url or None}


def _asked(access: AccessRequest) -> dict:
    """An account the partner asked access to, as a new account awaiting verification: only
    what the partner sent itself (DESIGN §5.2)."""
    sent = access.request_data
    moment = access.created_at.isoformat().replace("+00:00", "Z")
    return {
        "id": access.user_id,
        "email": sent.get("email", ""),
        "firstName": sent.get("firstName", ""),
        "lastName": sent.get("lastName", ""),
        "status": UserStatus.PENDING,
        "pendingReason": PendingReason.AWAITING_SUPPORT,
        "company": None,
        "offices": [],
        "createdAt": moment,
        "statusChangedAt": moment,
    }


class MemberMixin:
    def member(self, ref: str):
        user = partner_member_by_ref(partner=self.partner, ref=ref)
        if user is None:
            raise exceptions.NotFound(NOT_FOUND)
        return user

    def member_or_request(self, ref: str) -> User | AccessRequest:
        """The member, or the partner's open access request for the account, else 404."""
        user = partner_member_by_ref(partner=self.partner, ref=ref)
        if user is not None:
            return user
        access = access_request_by_ref(partner=self.partner, ref=ref)
        if access is None:
            raise exceptions.NotFound(NOT_FOUND)
        return access

    def member_email(self, ref: str) -> str:
        found = self.member_or_request(ref)
        return found.email if isinstance(found, User) else found.user.email


class UsersView(PartnerApiView):
    filter_backends = [DjangoFilterBackend]
    filterset_class = UserFilter
    pagination_class = UserCursor
    serializer_class = UserSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built without a key
            return User.objects.none()
        return partner_members(partner=self.partner)

    def cursor_ordering(self, request):
        return USER_ORDERINGS.get(request.query_params.get("ordering") or "-created_at")

    @extend_schema(
        operation_id="users_list",
        summary="List your users",
        tags=TAG,
        parameters=[
            OpenApiParameter(
                "country",
                str,
                description="ISO 3166-1 alpha-2: the company's country, or for a user without "
                "a company yet the country of the request.",
                pattern=r"^[A-Za-z]{2}$",
            ),
            OpenApiParameter(
                "company",
                {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
                description="Company id (`company.id` in a user).",
            ),
            OpenApiParameter(
                "ordering",
                str,
                enum=list(USER_ORDERINGS),
                default="-created_at",
                description="Sort order.",
            ),
            RETRY_AFTER,
        ],
        responses={200: UserSerializer(many=True), **list_errors()},
    )
    def get(self, request):
        users = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(users)
        return self.get_paginated_response(UserSerializer(page, many=True).data)

    @extend_schema(
        operation_id="users_create",
        summary="Create a user (or link an existing account to you)",
        description=(
            "Runs the creation flows: activated when the email's domain and the country match "
            "a CASS office; pending for support with CASS data; pending awaiting the "
            "forwarder's details otherwise (the answer then carries the completion link, "
            "also emailed). An account that other partners already have is linked to you."
        ),
        tags=TAG,
        parameters=[IDEMPOTENCY_KEY, RETRY_AFTER],
        request=UserCreateSerializer,
        examples=[CREATE_EXAMPLE],
        responses={201: ProvisionedUserSerializer, **errors(400, 409, 415, 422)},
    )
    def post(self, request):
        body = UserCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = create_request(dict(body.validated_data))
        key = request.headers.get("Idempotency-Key")

        def create() -> Answer:
            try:
                result = user_create(partner=self.partner, data=data, actor=self.actor)
            except ProvisioningError as exc:
                answer = refusal(exc)
                return Answer(answer.status_code, answer.data)
            return Answer(201, _provisioned(result))

        if key is None:
            answer = create()
        else:
            if not KEY_PATTERN.fullmatch(key):
                return invalid({"Idempotency-Key": [KEY_RULE]})
            fingerprint = request_hash(method="POST", path=request.path, body=request.data)
            answer = idempotent_call(
                partner=self.partner, key=key, fingerprint=fingerprint, call=create
            )
        headers = dict(NO_STORE)
        if answer.status_code == 201:
            headers["Location"] = reverse("api-v1:user", args=[answer.body["id"]])
        if answer.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(answer.body, status=answer.status_code, headers=headers)


class UserView(MemberMixin, PartnerApiView):
    @extend_schema(
        operation_id="users_retrieve",
        summary="Get one of your users",
        tags=TAG,
        parameters=[USER_REF, RETRY_AFTER],
        responses={200: UserSerializer, **errors(404)},
    )
    def get(self, request, user):
        found = self.member_or_request(user)
        if isinstance(found, AccessRequest):
            return Response(_asked(found))
        return Response(UserSerializer(found).data)

    @extend_schema(
        operation_id="users_delete",
        summary="Remove a user from your users",
        description="Ends your access. When no partner is left the account becomes deleted; "
        "creating the email again later starts over.",
        tags=TAG,
        parameters=[USER_REF, RETRY_AFTER],
        responses={204: OpenApiResponse(description="Removed."), **errors(404)},
    )
    def delete(self, request, user):
        email = self.member_email(user)
        user_remove_from_partner(partner=self.partner, email=email, actor=self.actor)
        return Response(status=204)


class UserOfficesView(MemberMixin, PartnerApiView):
    @extend_schema(
        operation_id="users_offices_add",
        summary="Add offices to a user",
        description="Re-runs the matching: a pending user whose new office is a CASS office "
        "of its company is activated; CASS data for a user awaiting details moves it to "
        "support.",
        tags=TAG,
        parameters=[USER_REF, RETRY_AFTER],
        request=OfficesAddSerializer,
        responses={200: ProvisionedUserSerializer, **errors(400, 404, 409, 415, 422)},
    )
    def post(self, request, user):
        email = self.member_email(user)
        body = OfficesAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        offices = offices_request(
            {"offices": [dict(office) for office in body.validated_data["offices"]]}
        )
        result = user_add_offices(
            partner=self.partner, email=email, offices=offices, actor=self.actor
        )
        return Response(_provisioned(result), headers=NO_STORE)


class UserLoginTokenView(MemberMixin, PartnerApiView):
    @extend_schema(
        operation_id="users_login_token",
        summary="Issue a portal login token",
        description="A one-time token (valid 10 minutes) and the portal link that redeems it. "
        "Activated users only: a pending or disabled account answers 409.",
        tags=TAG,
        parameters=[USER_REF, RETRY_AFTER],
        request=None,
        responses={201: LoginTokenSerializer, **errors(404, 409)},
    )
    def post(self, request, user):
        email = self.member_email(user)
        _, raw = user_issue_token(partner=self.partner, email=email, actor=self.actor)
        expires_at = LoginToken.objects.get(token_hash=hash_token(raw)).expires_at
        body = LoginTokenSerializer(
            {"token": raw, "link": login_link(raw), "expiresAt": expires_at}
        ).data
        return Response(body, status=201, headers=NO_STORE)
