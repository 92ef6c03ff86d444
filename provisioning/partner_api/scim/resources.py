"""What the SCIM surface publishes: the User resource as this service supports it (its
attributes and their mutability), our extension schema, and the discovery documents.

The models are scim2-models resources; they parse requests, apply PATCH operations and
serialize answers. Only the attributes we keep are declared, so /Schemas says exactly what
a client may send and read back.
"""

from typing import Annotated

from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Mutability,
    Patch,
    Required,
    Resource,
    ResourceType,
    Returned,
    SchemaExtension,
    ScimPolicy,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CARGO_SCHEMA = "urn:ietf:params:scim:schemas:extension:cargo:2.0:User"
MAX_RESULTS = 100  # a list page holds at most this many users

# Identity providers send more than we keep (displayName, phone numbers, …) and spell some
# operations their own way (Entra's `remove` with a value, `replace` on
# `emails[type eq "work"].value` of a user without one): tolerated, as RFC 7644 §3.3 lets a
# service provider ignore what it does not support.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


class Name(ComplexAttribute):
    given_name: Annotated[str | None, Required.true] = None
    """First name, 1 to 45 characters."""

    family_name: Annotated[str | None, Required.true] = None
    """Last name, 1 to 45 characters."""


class Email(ComplexAttribute):
    """The account's email, which is its userName: shown, never written through emails."""

    value: Annotated[str | None, Mutability.read_only] = None
    type: Annotated[str | None, Mutability.read_only] = None
    primary: Annotated[bool | None, Mutability.read_only] = None


class Organization(Extension):
    """The enterprise extension, of which we keep the organization: the company name."""

    __schema__ = URN(ENTERPRISE_SCHEMA)

    organization: Annotated[str | None, Required.true] = None
    """The forwarding company's name as you give it, 1 to 45 characters (support and the
    CASS directory decide which company the account belongs to)."""


class Office(ComplexAttribute):
    country: Annotated[str | None, Required.true] = None
    """ISO 3166-1 alpha-2 country of the office."""

    airport_code: str | None = None
    """A known IATA airport code (3 letters) in that country."""

    iata_code: str | None = None
    """IATA cargo agent code, 7 digits, given with cassCode."""

    cass_code: str | None = None
    """CASS address, 4 digits, given with iataCode."""


class Cargo(Extension):
    """Our extension: the company's country, the offices and, read-only, the account's
    status (DESIGN §3.1)."""

    __schema__ = URN(CARGO_SCHEMA)

    country: Annotated[str | None, Mutability.immutable, Required.true] = None
    """The company's country, ISO 3166-1 alpha-2 (may be left out when offices are given)."""

    offices: Annotated[list[Office] | None, Mutability.immutable] = None
    """The offices the user works for. Offices are added, never replaced or removed."""

    status: Annotated[str | None, Mutability.read_only, Returned.request] = None
    """activated, pending or disabled (returned when asked for with `attributes`)."""

    pending_reason: Annotated[str | None, Mutability.read_only, Returned.request] = None
    """Why a pending account waits: awaiting_support, awaiting_details, details_submitted."""


class User(Resource[Annotated[Organization, Required.true] | Annotated[Cargo, Required.true]]):
    """A partner's member, seen through its membership: `id` is the membership's."""

    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Uniqueness.server, Required.true, Mutability.immutable] = None
    """The account's email address, at most 66 characters."""

    name: Annotated[Name | None, Required.true] = None

    emails: Annotated[list[Email] | None, Mutability.read_only] = None

    active: Annotated[bool | None, Required.true, Returned.default] = None
    """false: this partner no longer has the user (the account stays for others)."""


def resource_types(base_url: str) -> list[ResourceType]:
    return [
        ResourceType(
            id="User",
            name="User",
            description="A forwarder's employee provisioned by your identity provider",
            endpoint="/Users",
            schema_=URN(USER_SCHEMA),
            schema_extensions=[
                SchemaExtension(schema_=URN(ENTERPRISE_SCHEMA), required=True),
                SchemaExtension(schema_=URN(CARGO_SCHEMA), required=True),
            ],
            meta={"resourceType": "ResourceType", "location": f"{base_url}ResourceTypes/User"},
        )
    ]


def schemas(base_url: str) -> list:
    documents = []
    for model in (User, Organization, Cargo):
        schema = model.to_schema()
        schema.name = {User: "User", Organization: "EnterpriseUser", Cargo: "CargoUser"}[model]
        schema.description = (model.__doc__ or schema.name).split("\n")[0]
        schema.meta = {"resourceType": "Schema", "location": f"{base_url}Schemas/{schema.id}"}
        documents.append(schema)
    return documents


def service_provider_config(base_url: str) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Partner API key",
                description="Authorization: Bearer <your partner API key>",
                primary=True,
            )
        ],
        meta={
            "resourceType": "ServiceProviderConfig",
            "location": f"{base_url}ServiceProviderConfig",
        },
    )
