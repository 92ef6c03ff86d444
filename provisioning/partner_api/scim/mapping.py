"""The hand-written part of the SCIM surface: a membership as a SCIM User, and a SCIM User
(created, replaced or patched) turned into calls of the provisioning services.

Requests are checked by the same rule book as the other surfaces (`compat_input`): the same
limits, the same email normal form.
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction

from provisioning.accounts.errors import InvalidInput
from provisioning.accounts.inputs import UserInput
from provisioning.accounts.members import (
    membership_set_external_id,
    user_add_offices,
    user_remove_from_partner,
    user_rename,
)
from provisioning.accounts.services import user_create
from provisioning.audit.records import Actor
from provisioning.models import AccessRequest, Membership, Partner
from provisioning.models.users import EXTERNAL_ID_MAX
from provisioning.partner_api.compat_input import (
    CompatError,
    create_request,
    names_request,
    offices_request,
)
from provisioning.partner_api.scim.resources import Cargo, Email, Name, Office, Organization, User

# --- Reading -----------------------------------------------------------------------------------


def request_as_resource(access: AccessRequest, *, ident: str, location: str) -> User:
    """An account the partner asked for (consent pending, DESIGN §5.2): only what the
    partner sent, shown as a new account awaiting verification."""
    data = access.request_data or {}
    resource = User(
        id=ident,
        user_name=data.get("email") or access.user.email,
        name=Name(
            given_name=data.get("firstName") or None, family_name=data.get("lastName") or None
        ),
        emails=[Email(value=data.get("email") or access.user.email, type="work", primary=True)],
        active=True,
    )
    resource[Organization] = Organization(organization=data.get("companyName") or None)
    offices = _stored_offices(data)
    resource[Cargo] = Cargo(
        country=data.get("countryCode") or (offices[0].country if offices else None),
        offices=offices or None,
        status="pending",
    )
    resource.meta = {
        "resourceType": "User",
        "created": access.created_at,
        "lastModified": access.created_at,
        "location": location,
        "version": version(resource),
    }
    return resource


def _stored_offices(data: dict) -> list[Office]:
    return [
        Office(
            country=office.get("countryCode") or None,
            airport_code=office.get("officeAirportCode") or None,
            iata_code=office.get("iataCode") or None,
            cass_code=office.get("cassCode") or None,
        )
        for office in data.get("offices", [])
        if isinstance(office, dict)
    ]


def as_resource(membership: Membership, *, location: str) -> User:
    """The membership as the partner sees it through SCIM. A membership the partner ended
    shows active=false and nothing of the account's current status."""
    user = membership.user
    stored = user.request_data or {}
    active = membership.removed_at is None
    company = user.company
    offices = [
        Office(
            country=office.country.code,
            airport_code=office.airport_code or None,
            iata_code=office.iata_code or None,
            cass_code=office.cass_code or None,
        )
        for office in user.offices.all()
    ] or _stored_offices(stored)
    country = stored.get("countryCode") or (
        company.country.code if company else (offices[0].country if offices else None)
    )
    resource = User(
        id=str(membership.pk),
        external_id=membership.external_id or None,
        user_name=user.email,
        name=Name(given_name=user.first_name or None, family_name=user.last_name or None),
        emails=[Email(value=user.email, type="work", primary=True)],
        active=active,
    )
    resource[Organization] = Organization(
        organization=stored.get("companyName") or (company.legal_name if company else None)
    )
    resource[Cargo] = Cargo(
        country=country or None,
        offices=offices or None,
        status=user.status if active else None,
        pending_reason=(user.pending_reason or None) if active else None,
    )
    modified = max(membership.created_at, user.status_changed_at)
    resource.meta = {
        "resourceType": "User",
        "created": membership.created_at,
        "lastModified": modified,
        "location": location,
        "version": version(resource),
    }
    return resource


def version(resource: User) -> str:
    """The weak ETag of a resource: a digest of what it shows."""
    body = resource.model_dump(exclude={"meta"})
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return f'W/"{digest[:32]}"'


# --- Writing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """What a request asks of the account, in the services' terms."""

    first_name: str
    last_name: str
    company_name: str
    external_id: str
    active: bool
    offices: tuple


def _compat_offices(resource: User) -> list[dict]:
    cargo = resource[Cargo]
    return [
        {
            "countryCode": office.country,
            "officeAirportCode": office.airport_code,
            "iataCode": office.iata_code,
            "cassCode": office.cass_code,
        }
        for office in (cargo.offices if cargo and cargo.offices else [])
    ]


def _external_id(resource: User) -> str:
    value = resource.external_id
    if value is None:
        return ""
    if len(value) > EXTERNAL_ID_MAX or not value.isprintable():
        raise InvalidInput([("externalId", f"size must be between 1 and {EXTERNAL_ID_MAX}")])
    return value


def creation_input(resource: User) -> tuple[UserInput, str]:
    """The create request of a SCIM User, checked like the other surfaces' creates."""
    organization = resource[Organization]
    cargo = resource[Cargo]
    name = resource.name or Name()
    data = {
        "email": resource.user_name,
        "firstName": name.given_name,
        "lastName": name.family_name,
        "companyName": organization.organization if organization else None,
        "countryCode": cargo.country if cargo else None,
        "offices": _compat_offices(resource),
    }
    try:
        return create_request(data), _external_id(resource)
    except CompatError as exc:  # the only one create_request raises: an empty email
        raise InvalidInput([("email", "cannot be blank")]) from exc


def wanted(resource: User) -> Wanted:
    name = resource.name or Name()
    organization = resource[Organization] or Organization()
    first, last, company = names_request(
        {
            "firstName": name.given_name,
            "lastName": name.family_name,
            "companyName": organization.organization,
        }
    )
    offices_body = {"offices": _compat_offices(resource)}
    offices = offices_request(offices_body) if offices_body["offices"] else ()
    return Wanted(
        first_name=first,
        last_name=last,
        company_name=company,
        external_id=_external_id(resource),
        active=resource.active is not False,
        offices=tuple(offices),
    )


def user_provision(*, partner: Partner, resource: User, actor: Actor) -> Membership | AccessRequest:
    """SCIM create: the flows of DESIGN §4, then the partner's externalId. An account that
    exists but is not the partner's yields an access request (consent, DESIGN §5.2), which
    keeps nothing but what the partner sent. Created inactive when active=false."""
    data, external_id = creation_input(resource)
    with transaction.atomic():
        result = user_create(partner=partner, data=data, actor=actor)
        if result.access is not None:
            if resource.active is False:
                user_remove_from_partner(partner=partner, email=data.email, actor=actor)
            return result.access
        membership = Membership.objects.get(user=result.user, partner=partner)
        membership_set_external_id(membership=membership, external_id=external_id)
        if resource.active is False:
            user_remove_from_partner(partner=partner, email=data.email, actor=actor)
    return membership


def user_change(*, partner: Partner, membership: Membership, before: User, after: User, actor):
    """Bring the account to what a PUT or PATCH left of the resource: re-link, rename, add
    offices, keep the externalId, end the membership — each through its service."""
    want = wanted(after)
    user = membership.user
    was_active = before.active is not False
    with transaction.atomic():
        membership_set_external_id(membership=membership, external_id=want.external_id)
        if want.active and not was_active:
            # Re-linked through the create flows with the request the account keeps: a
            # deleted account starts over, one other partners have is asked for (consent).
            stored = UserInput.from_request_data(user.request_data, email=user.email)
            if user_create(partner=partner, data=stored, actor=actor).access is not None:
                return
        if want.active:
            user_rename(
                partner=partner,
                email=user.email,
                first_name=want.first_name,
                last_name=want.last_name,
                company_name=want.company_name,
                actor=actor,
            )
            known = {
                (o.country, o.airport_code or "", o.iata_code or "", o.cass_code or "")
                for o in (before[Cargo].offices or [])
            }
            new = tuple(
                o
                for o in want.offices
                if (o.country, o.airport_code, o.iata_code, o.cass_code) not in known
            )
            if new:
                user_add_offices(partner=partner, email=user.email, offices=new, actor=actor)
        if was_active and not want.active:
            user_remove_from_partner(partner=partner, email=user.email, actor=actor)
