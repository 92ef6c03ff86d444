"""`/scim/v2/` views: authenticate the partner key (Bearer), count the rate limit, parse the
SCIM message with scim2-models, call one mapping function, render `application/scim+json`.
Every refusal is a SCIM Error; another partner's user is a 404 like an unknown id."""

import json

from django.core.exceptions import RequestDataTooBig
from django.db.models.functions import Lower
from django.http import HttpResponse
from pydantic import ValidationError
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.views import APIView
from scim2_models import (
    Context,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    MutabilityException,
    NotFoundException,
    PatchOp,
    PreconditionFailedException,
    SCIMException,
    SearchRequest,
)

from provisioning.accounts.errors import ProvisioningError
from provisioning.accounts.members import membership_forget, user_remove_from_partner
from provisioning.audit.records import Actor
from provisioning.models import Membership
from provisioning.partner_api.auth import INVALID_KEY_MESSAGE, BearerApiKeyAuthentication
from provisioning.partner_api.scim import resources
from provisioning.partner_api.scim.errors import (
    error_response,
    from_scim_exception,
    refusal,
    scim_json,
)
from provisioning.partner_api.scim.filters import filter_condition
from provisioning.partner_api.scim.mapping import as_resource, user_change, user_provision
from provisioning.partner_api.scim.resources import (
    CARGO_SCHEMA,
    MAX_RESULTS,
    POLICY,
    Cargo,
    Organization,
    User,
)
from provisioning.partner_api.throttling import ApiKeyRateThrottle

MEDIA_TYPES = ("application/scim+json", "application/json")
READ_ONLY = {"id", "meta", "emails", "groups"}  # ignored in requests (RFC 7643 §2.2)
READ_ONLY_CARGO = {"status", "pendingreason"}


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


def _without_read_only(payload: dict, *, active=True) -> dict:
    """The request without the attributes nobody writes (RFC 7643 §2.2: ignored). A user
    is active unless the request says otherwise (identity providers do not always say)."""
    cleaned = {} if any(str(key).lower() == "active" for key in payload) else {"active": active}
    for key, value in payload.items():
        if not isinstance(key, str) or key.lower() in READ_ONLY:
            continue
        if key.lower() == CARGO_SCHEMA.lower() and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k.lower() not in READ_ONLY_CARGO}
        cleaned[key] = value
    return cleaned


def _patch_without_read_only(payload: dict) -> dict:
    operations = payload.get("Operations", payload.get("operations"))
    if not isinstance(operations, list):
        return payload
    kept = []
    for operation in operations:
        if isinstance(operation, dict):
            path = operation.get("path")
            if isinstance(path, str) and path.strip().lower().startswith("emails"):
                continue  # the email is the userName
            if path is None and isinstance(operation.get("value"), dict):
                value = _without_read_only(operation["value"], active=None)
                if value.get("active") is None:
                    value.pop("active")
                operation = {**operation, "value": value}
        kept.append(operation)
    if not kept:
        kept = [{"op": "add", "path": "externalId", "value": None}]  # nothing left to do
    return {**payload, "Operations": kept}


def members(partner):
    """The partner's memberships (current and ended) with what a User shows, in one query
    plus one for the offices."""
    return (
        Membership.objects.filter(partner=partner, user__is_staff=False)
        .select_related("user", "user__company")
        .prefetch_related("user__offices")
        .alias(email_lower=Lower("user__email"))
        .order_by("pk")
    )


class _Resource:
    def location(self, membership) -> str:
        return f"{self.base_url()}Users/{membership.pk}"

    def render(self, membership, status=200, params=None):
        resource = as_resource(membership, location=self.location(membership))
        body = resource.model_dump(
            scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params
        )
        headers = {"ETag": resource.meta.version}
        if status == 201:
            headers["Location"] = resource.meta.location
        return scim_json(body, status=status, **headers)

    def membership(self, ref: str) -> Membership:
        if not (ref.isascii() and ref.isdigit() and 0 < int(ref) < 2**63):
            raise NotFoundException(detail="No such user.")
        membership = members(self.partner).filter(pk=int(ref)).first()
        if membership is None:
            raise NotFoundException(detail="No such user.")
        return membership

    def response_parameters(self, data: dict):
        return SearchRequest[User].model_validate(data, scim_policy=POLICY)


class UsersView(_Resource, ScimView):
    def get(self, request):
        query = {
            key: request.query_params.get(key)
            for key in ("filter", "startIndex", "count", "attributes", "excludedAttributes")
            if request.query_params.get(key) is not None
        }
        return self.search(query)

    def post(self, request):
        payload = _without_read_only(self.body())
        resource = User.model_validate(
            payload, scim_ctx=Context.RESOURCE_CREATION_REQUEST, scim_policy=POLICY
        )
        membership = user_provision(partner=self.partner, resource=resource, actor=self.actor)
        return self.render(self.membership(str(membership.pk)), status=201)

    def search(self, query: dict):
        text = query.pop("filter", None)
        for key in ("startIndex", "count"):
            if isinstance(query.get(key), str):
                try:
                    query[key] = int(query[key])
                except ValueError:
                    raise InvalidValueException(detail=f"{key} must be an integer") from None
        params = self.response_parameters(query)
        start = max(params.start_index or 1, 1)
        count = MAX_RESULTS if params.count is None else min(max(params.count, 0), MAX_RESULTS)
        memberships = members(self.partner)
        if text is not None:
            if not isinstance(text, str):
                raise InvalidValueException(detail="filter must be a string")
            memberships = memberships.filter(filter_condition(text))
        total = memberships.count()
        page = list(memberships[start - 1 : start - 1 + count]) if count else []
        answer = ListResponse[User](
            total_results=total,
            start_index=start,
            items_per_page=len(page),
            resources=[as_resource(m, location=self.location(m)) for m in page],
        )
        body = answer.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=params)
        return scim_json(body)


class UsersSearchView(UsersView):
    def get(self, request):
        raise exceptions.MethodNotAllowed(request.method)

    def post(self, request):
        data = self.body()
        data.pop("schemas", None)
        return self.search(data)


class UserView(_Resource, ScimView):
    def get(self, request, ref):
        query = {
            key: request.query_params.get(key)
            for key in ("attributes", "excludedAttributes")
            if request.query_params.get(key) is not None
        }
        params = self.response_parameters(query) if query else None
        return self.render(self.membership(ref), params=params)

    def _current(self, ref):
        membership = self.membership(ref)
        before = as_resource(membership, location=self.location(membership))
        expected = self.request.headers.get("If-Match")
        if expected and expected.strip() not in ("*", before.meta.version):
            raise PreconditionFailedException(detail="The user changed since you read it.")
        return membership, before

    def put(self, request, ref):
        membership, before = self._current(ref)
        after = User.model_validate(
            _without_read_only(self.body(), active=before.active),
            scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST,
            scim_policy=POLICY,
        )
        sent = (after.user_name or "").strip().lower()
        if sent and sent != before.user_name:
            raise MutabilityException(detail="userName is the account's email: it cannot change.")
        after.user_name = before.user_name
        # The company is settled when the user is created (and by support afterwards): a
        # later organization or country is ignored, like an office already there.
        after[Organization] = before[Organization]
        cargo = after[Cargo] or Cargo()
        cargo.country = before[Cargo].country
        cargo.offices = (before[Cargo].offices or []) + [
            office
            for office in (cargo.offices or [])
            if office not in (before[Cargo].offices or [])
        ] or None
        after[Cargo] = cargo
        user_change(
            partner=self.partner,
            membership=membership,
            before=before,
            after=after,
            actor=self.actor,
        )
        return self.render(self.membership(ref))

    def patch(self, request, ref):
        membership, before = self._current(ref)
        patch = PatchOp[User].model_validate(
            _patch_without_read_only(self.body()),
            scim_ctx=Context.RESOURCE_PATCH_REQUEST,
            scim_policy=POLICY,
        )
        after = before.model_copy(deep=True)
        patch.patch(after, scim_policy=POLICY)
        if after.active is None:  # `remove active`: the user stays as it was
            after.active = before.active
        user_change(
            partner=self.partner,
            membership=membership,
            before=before,
            after=after,
            actor=self.actor,
        )
        return self.render(self.membership(ref))

    def delete(self, request, ref):
        membership = self.membership(ref)
        user = membership.user
        if membership.removed_at is None:
            user_remove_from_partner(partner=self.partner, email=user.email, actor=self.actor)
        membership_forget(partner=self.partner, user=user)
        return HttpResponse(status=204)


class DiscoveryView(ScimView):
    document = ""

    def get(self, request, ident=None):
        base = self.base_url()
        if self.document == "config":
            return scim_json(
                resources.service_provider_config(base).model_dump(scim_ctx=Context.DEFAULT)
            )
        items = (
            resources.schemas(base)
            if self.document == "schemas"
            else resources.resource_types(base)
        )
        bodies = [item.model_dump(scim_ctx=Context.DEFAULT) for item in items]
        if ident is not None:
            for body in bodies:
                if body["id"] == ident:
                    return scim_json(body)
            raise NotFoundException(detail="No such schema or resource type.")
        return scim_json(
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": len(bodies),
                "startIndex": 1,
                "itemsPerPage": len(bodies),
                "Resources": bodies,
            }
        )


class NotFoundView(ScimView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFoundException(detail="No such SCIM endpoint.")

    def get(self, request, *args, **kwargs):  # pragma: no cover - initial() answers
        raise NotFoundException()

    post = put = patch = delete = get
