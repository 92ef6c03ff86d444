"""The database refuses what would corrupt the data, whatever path the write takes."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from provisioning.models import CompanyDomain, Membership, Office, PendingReason, User, UserStatus
from provisioning.models.outbox import OutboxKind, OutboxMessage
from provisioning.tests.factories import (
    CompanyFactory,
    MembershipFactory,
    OfficeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def refused(write) -> None:
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        write()


@pytest.mark.parametrize(
    "second", ["Anna@Acme-Cargo.de", "ANNA@ACME-CARGO.DE", "anna@acme-cargo.de"]
)
def test_the_same_email_in_any_letter_case_is_refused(second):
    UserFactory(email="anna@acme-cargo.de")
    refused(lambda: User.objects.create(email=second, status=UserStatus.ACTIVATED))
    assert User.objects.count() == 1


def test_a_duplicate_email_gets_a_readable_validation_message():
    UserFactory(email="anna@acme-cargo.de")
    with pytest.raises(ValidationError) as error:
        User(email="ANNA@acme-cargo.de", status=UserStatus.ACTIVATED).validate_constraints()
    assert "already exists" in str(error.value)


def test_login_finds_the_user_whatever_the_letter_case(client):
    UserFactory(email="anna@acme-cargo.de", status=UserStatus.ACTIVATED, pending_reason="")
    assert User.objects.get_by_natural_key("Anna@ACME-cargo.de").email == "anna@acme-cargo.de"


def test_an_unknown_status_is_refused():
    refused(lambda: UserFactory(status="approved", pending_reason=""))


def test_a_pending_account_must_say_why():
    refused(lambda: UserFactory(status=UserStatus.PENDING, pending_reason=""))


@pytest.mark.parametrize("status", [UserStatus.ACTIVATED, UserStatus.DISABLED, UserStatus.DELETED])
def test_only_a_pending_account_has_a_pending_reason(status):
    refused(lambda: UserFactory(status=status, pending_reason=PendingReason.AWAITING_SUPPORT))


def test_a_user_belongs_to_a_partner_once():
    membership = MembershipFactory()
    refused(lambda: Membership.objects.create(user=membership.user, partner=membership.partner))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("iata_code", "123456", "IATA cargo agent code must be exactly 7 digits."),
        ("iata_code", "12345a7", "IATA cargo agent code must be exactly 7 digits."),
        ("cass_code", "12a4", "CASS address must be exactly 4 digits."),
        ("cass_code", "12345", "CASS address must be exactly 4 digits."),
        ("airport_code", "XQZ", "XQZ is not a known IATA airport code."),
    ],
)
def test_bad_office_codes_are_refused_with_a_clear_message(field, value, message):
    office = OfficeFactory.build(company=CompanyFactory(), iata_code="1234567", cass_code="1234")
    setattr(office, field, value)
    with pytest.raises(ValidationError) as error:
        office.full_clean()
    assert message in error.value.message_dict[field][0] or any(
        message in m for m in error.value.message_dict[field]
    )


@pytest.mark.parametrize(
    ("field", "value"), [("iata_code", "12345"), ("cass_code", "abcd"), ("airport_code", "ham")]
)
def test_the_database_refuses_bad_office_codes_that_skip_validation(field, value):
    refused(lambda: OfficeFactory(**{field: value}))


def test_an_airport_in_another_country_than_the_office_is_refused():
    office = OfficeFactory.build(company=CompanyFactory(), country="FR", airport_code="HAM")
    with pytest.raises(ValidationError) as error:
        office.full_clean()
    assert error.value.message_dict["airport_code"] == ["HAM is not in France."]


def test_an_unknown_country_is_refused():
    office = OfficeFactory.build(company=CompanyFactory(), country="XX")
    with pytest.raises(ValidationError) as error:
        office.full_clean()
    assert "country" in error.value.message_dict


def test_agent_code_and_cass_address_go_together():
    office = OfficeFactory.build(company=CompanyFactory(), iata_code="1234567", cass_code="")
    with pytest.raises(ValidationError, match="give both or neither"):
        office.full_clean()


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("gmail.com", "gmail.com is a free-mail domain and cannot identify a company."),
        ("mailinator.com", "mailinator.com is a disposable-email domain."),
        ("not a domain", "not a domain is not a lower-case domain name"),
    ],
)
def test_a_company_domain_must_be_a_real_company_domain(domain, message):
    with pytest.raises(ValidationError) as error:
        CompanyDomain(company=CompanyFactory(), domain=domain).full_clean()
    assert message in error.value.message_dict["domain"][0]


def test_a_company_domain_is_stored_in_lower_case_only():
    refused(lambda: CompanyDomain.objects.create(company=CompanyFactory(), domain="ACME.com"))


def test_a_domain_belongs_to_one_company():
    CompanyDomain.objects.create(company=CompanyFactory(), domain="acme.com")
    refused(lambda: CompanyDomain.objects.create(company=CompanyFactory(), domain="acme.com"))


def test_an_outbox_message_cannot_be_sent_without_a_time():
    refused(
        lambda: OutboxMessage.objects.create(
            kind=OutboxKind.EMAIL, recipient="a@b.example", status="sent"
        )
    )


def test_office_names_read_as_company_and_city():
    office = OfficeFactory(company=CompanyFactory(legal_name="ACME"), airport_code="HAM")
    assert str(office) == "ACME Hamburg"
    assert Office.objects.get(pk=office.pk).city == "Hamburg"
