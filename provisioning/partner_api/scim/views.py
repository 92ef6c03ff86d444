"""`/scim/v2/` views: authenticate the partner key (Bearer), count the rate limit, parse the
SCIM message with scim2-models, call one mapping function, render `application/scim+json`.
Every refusal is a SCIM Error; another partner's user is a 404 like an unknown id."""

from django.db.models.functions import Lower
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import exceptions
from scim2_models import (
    Context,
    InvalidValueException,
    ListResponse,
    MutabilityException,
    NotFoundException,
    PatchOp,
    PreconditionFailedException,
    SearchRequest,
)

from provisioning.accounts.consent import access_request_pending
from provisioning.accounts.members import membership_forget, user_remove_from_partner
from provisioning.models import AccessDecision, AccessRequest, Membership
from provisioning.partner_api.scim.base import ScimView
from provisioning.partner_api.scim.errors import (
    scim_json,
)
from provisioning.partner_api.scim.filters import filter_condition, filter_email
from provisioning.partner_api.scim.mapping import (
    as_resource,
    request_as_resource,
    user_change,
    user_provision,
)
from provisioning.partner_api.scim.resources import (
    CARGO_SCHEMA,
    MAX_RESULTS,
    POLICY,
    Cargo,
    Organization,
    User,
)

READ_ONLY = {"id", "meta", "emails", "groups"}  # ignored in requests (RFC 7643 §2.2)
READ_ONLY_CARGO = {"status", "pendingreason"}


def _without_read_only(payload: dict, *, active=True) -> dict:
    """The request without the attributes nobody writes (RFC 7643 §2.2: ignored). A user
    is active unless the request says otherwise (identity providers do not always say)."""
    cleaned = {} if any(str(key).lower() == "active" for key in payload) else {"active": active}
    for key, value in payload.items():
        if not isinstance(key, str) or key.lower() in READ_ONLY:
            continue
        if key.lower() == CARGO_SCHEMA.lower() and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k.lower() not in READ_ONLY_CARGO}
            offices = next((v for k, v in value.items() if k.lower() == "offices"), None)
            given = any(k.lower() == "country" for k in value)
            if not given and isinstance(offices, list) and offices and isinstance(offices[0], dict):
                # As on the other surfaces, the first office's country stands for the company's.
                value["country"] = offices[0].get("country")
        cleaned[key] = value
    return cleaned


def _patch_without_read_only(payload: dict) -> dict | None:
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
    return {**payload, "Operations": kept} if kept else None  # None: nothing left to do


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
    def location(self, item) -> str:
        return f"{self.base_url()}Users/{_ident(item)}"

    def resource(self, item) -> User:
        """What the partner sees of a membership or of an access request it made."""
        if isinstance(item, Membership) and item.removed_at is not None:
            # Asked again after the partner ended it: pending consent, under the same id.
            access = access_request_pending(partner=self.partner, email=item.user.email)
            if access is not None:
                return request_as_resource(access, ident=_ident(item), location=self.location(item))
        if isinstance(item, AccessRequest):
            return request_as_resource(
                access=item, ident=_ident(item), location=self.location(item)
            )
        return as_resource(item, location=self.location(item))

    def render(self, item, status=200, params=None):
        resource = self.resource(item)
        body = resource.model_dump(
            scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params
        )
        headers = {"ETag": resource.meta.version}
        if status == 201:
            headers["Location"] = resource.meta.location
        return scim_json(body, status=status, **headers)

    def membership(self, ref: str) -> Membership | AccessRequest:
        """The partner's membership (`<id>`) or open access request (`r<id>`) named by ref;
        a request the forwarder allowed answers with the membership it became."""
        digits = ref[1:] if ref.startswith("r") else ref
        if not (digits.isascii() and digits.isdigit() and 0 < int(digits) < 2**63):
            raise NotFoundException(detail="No such user.")
        if ref.startswith("r"):
            access = (
                AccessRequest.objects.select_related("user")
                .filter(pk=int(digits), partner=self.partner)
                .first()
            )
            if access is not None and access.decided_at is None:
                if access.expires_at > timezone.now():
                    return access
            elif access is not None and access.decision == AccessDecision.ALLOWED:
                found = members(self.partner).filter(user=access.user_id).first()
                if found is not None:
                    return found
            raise NotFoundException(detail="No such user.")
        membership = members(self.partner).filter(pk=int(digits)).first()
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
        item = user_provision(partner=self.partner, resource=resource, actor=self.actor)
        return self.render(self.membership(_ident(item)), status=201)

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
        email = filter_email(text) if text is not None and total == 0 else None
        if email:
            # An account the partner asked for is found by its address, as after a create.
            access = access_request_pending(partner=self.partner, email=email)
            total, page = (1, [access][: count if start == 1 else 0]) if access else (0, [])
        answer = ListResponse[User](
            total_results=total,
            start_index=start,
            items_per_page=len(page),
            resources=[self.resource(item) for item in page],
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
        before = self.resource(membership)
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
        if not isinstance(membership, Membership) or before.active != (
            membership.removed_at is None
        ):
            return self._asked_for(membership, before, after)
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
        body = _patch_without_read_only(self.body())
        if body is None:
            return self.render(membership)
        patch = PatchOp[User].model_validate(
            body,
            scim_ctx=Context.RESOURCE_PATCH_REQUEST,
            scim_policy=POLICY,
        )
        after = before.model_copy(deep=True)
        patch.patch(after, scim_policy=POLICY)
        if after.active is None:  # `remove active`: the user stays as it was
            after.active = before.active
        if not isinstance(membership, Membership) or before.active != (
            membership.removed_at is None
        ):
            return self._asked_for(membership, before, after)
        user_change(
            partner=self.partner,
            membership=membership,
            before=before,
            after=after,
            actor=self.actor,
        )
        return self.render(self.membership(ref))

    def _asked_for(self, item, before: User, after: User):
        """An account the partner only asked for: until the forwarder allows it there is
        nothing to change but the request itself, which active=false withdraws."""
        if after.active is False:
            user_remove_from_partner(partner=self.partner, email=item.user.email, actor=self.actor)
            before.active = False
            before[Cargo].status = None
        return scim_json(
            before.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE),
            **{"ETag": before.meta.version},
        )

    def delete(self, request, ref):
        item = self.membership(ref)
        user = item.user
        if isinstance(item, AccessRequest) or item.removed_at is None:
            user_remove_from_partner(partner=self.partner, email=user.email, actor=self.actor)
        if isinstance(item, Membership):
            membership_forget(partner=self.partner, user=user)
        return HttpResponse(status=204)


def _ident(item) -> str:
    return f"r{item.pk}" if isinstance(item, AccessRequest) else str(item.pk)
