"""One mailbox is one account (DESIGN §10): addresses in one normal form (IDNA-encoded,
lower-case domain), a public domain required, codes matched exactly."""

import importlib

import pytest
from django.apps import apps

from provisioning.accounts.domains import email_for_humans, email_normal_form
from provisioning.models import Company, CompanyDomain, User
from provisioning.tests.conftest import person
from provisioning.tests.factories import CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("provisioning.migrations.0011_email_normal_form")


def test_a_unicode_domain_and_its_idna_form_are_one_account_on_compat(compat):
    first = compat.post(person("ida@bücher.de", countryCode="DE"))
    assert first.status_code == 200, first.content
    again = compat.post(person("IDA@xn--BCHER-kva.de", countryCode="DE"))
    assert again.json() == {"message": "Invalid request: User [ida@xn--bcher-kva.de] already exist"}
    assert list(User.objects.values_list("email", flat=True)) == ["ida@xn--bcher-kva.de"]
    assert compat.get("ida@bücher.de").json()["message"] == "Invalid request: user not verified"


def test_a_unicode_domain_and_its_idna_form_are_one_account_on_v1(v1):
    assert v1.post("users", person("ida@xn--bcher-kva.de", countryCode="DE")).status_code == 201
    assert v1.post("users", person("ida@bücher.de", countryCode="DE")).status_code == 409
    assert User.objects.count() == 1
    found = v1.get("users/ida@bücher.de")
    assert found.status_code == 200
    assert found.json()["email"] == "ida@xn--bcher-kva.de"


def test_people_see_the_domain_in_unicode():
    user = User(email=email_normal_form("Ida@Bücher.DE"))
    assert user.email == "ida@xn--bcher-kva.de"
    assert str(user) == "ida@bücher.de" == email_for_humans(user.email)


@pytest.mark.parametrize("email", ["x@localhost", "x@[127.0.0.1]", "x@intranet", "x@host.local"])
def test_an_address_without_a_public_domain_is_refused_naming_email(compat, v1, email):
    compat_answer = compat.post(person(email, countryCode="DE"))
    assert compat_answer.status_code == 400
    assert compat_answer.json()["message"].startswith("Invalid request: email: must be an address")
    v1_answer = v1.post("users", person(email, countryCode="DE"))
    assert v1_answer.status_code == 422
    assert list(v1_answer.json()["errors"]) == ["email"]
    assert User.objects.count() == 0


@pytest.mark.parametrize("code", ["ß", "ﬀ", "ǆ"])  # upper-case into SS, FF, Ǆ
def test_a_country_code_is_matched_exactly_not_case_mapped(compat, code):
    response = compat.post(person("ida@example.com", countryCode=code))
    assert response.json() == {"message": "Invalid request: countryCode: unknown country code."}
    assert User.objects.count() == 0 and Company.objects.count() == 0


def test_an_airport_code_is_matched_exactly_not_case_mapped(compat):
    # "ßx".upper() is "SSX"; an exact match refuses it rather than take another code.
    response = compat.post(person("ida@example.com", countryCode="DE", officeAirportCode="ßx"))
    assert response.status_code == 400
    assert "officeAirportCode" in response.json()["message"]


def test_a_company_domain_is_stored_idna_encoded(db):
    domain = CompanyDomain(company=CompanyFactory(), domain="Bücher.de")
    domain.full_clean()
    assert domain.domain == "xn--bcher-kva.de"


# --- The migration of existing rows -----------------------------------------------------------


def test_the_migration_puts_existing_addresses_into_the_normal_form():
    user = UserFactory(email="x")
    User.objects.filter(pk=user.pk).update(email="Ida@Bücher.de")
    migration.normal_forms_apply(apps, None)
    user.refresh_from_db()
    assert user.email == "ida@xn--bcher-kva.de"


def test_the_migration_reports_accounts_that_are_one_mailbox_and_changes_nothing():
    one, two = UserFactory(email="a"), UserFactory(email="b")
    User.objects.filter(pk=one.pk).update(email="ida@bücher.de")
    User.objects.filter(pk=two.pk).update(email="ida@xn--bcher-kva.de")
    with pytest.raises(migration.DuplicatesUnderNormalForm) as refused:
        migration.normal_forms_apply(apps, None)
    report = str(refused.value)
    assert "1 user email addresses would be one under the new normal form" in report
    assert f"#{one.pk} 'ida@bücher.de'" in report and f"#{two.pk} 'ida@xn--bcher-kva.de'" in report
    assert "run `manage.py migrate` again" in report
    assert set(User.objects.values_list("email", flat=True)) == {
        "ida@bücher.de",
        "ida@xn--bcher-kva.de",
    }
