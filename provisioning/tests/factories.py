import factory

from provisioning.models import (
    Company,
    CompanyDomain,
    Membership,
    Office,
    Partner,
    PendingReason,
    User,
    UserStatus,
)
from provisioning.partner_api.keys import api_key_create
from recognition.models import CassRegistration


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Partner {n}")


def api_key_for(partner: Partner | None = None, name: str = "test") -> tuple:
    """(ApiKey, raw key) for a partner, created through the real issuing service."""
    return api_key_create(partner=partner or PartnerFactory(), name=name)


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    legal_name = factory.Sequence(lambda n: f"Forwarder {n} GmbH")
    country = "DE"


class CompanyDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyDomain

    company = factory.SubFactory(CompanyFactory)
    domain = factory.Sequence(lambda n: f"forwarder{n}.example")


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office

    company = factory.SubFactory(CompanyFactory)
    country = "DE"
    airport_code = "HAM"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@forwarder.example")
    first_name = "Alex"
    last_name = "Example"
    status = UserStatus.PENDING
    pending_reason = PendingReason.AWAITING_SUPPORT
    password = factory.django.Password(None)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)


class CassRegistrationFactory(factory.django.DjangoModelFactory):
    """An active CASS directory entry for an office (company and country follow the office)."""

    class Meta:
        model = CassRegistration

    office = factory.SubFactory(OfficeFactory)
    company = factory.SelfAttribute("office.company")
    country = factory.SelfAttribute("office.country")
    iata_code = factory.Sequence(lambda n: f"{2300000 + n:07d}")
    cass_code = "0000"
