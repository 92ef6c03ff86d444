"""The partner calls are ordinary Django on every database: bounded statements, all-or-nothing
creates, the ORM's own inserts (so model defaults and signals hold), events with no hints."""

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from provisioning.accounts.inputs import OfficeInput, UserInput
from provisioning.accounts.services import user_create
from provisioning.audit.records import Actor
from provisioning.models import (
    AuditEvent,
    Company,
    Membership,
    Office,
    OutboxMessage,
    PartnerEvent,
    User,
)
from provisioning.tests.conftest import person

pytestmark = pytest.mark.django_db


def statements(queries) -> list[str]:
    # In a test, a call's BEGIN and COMMIT show as the savepoint and its release.
    return [q["sql"] for q in queries.captured_queries]


def test_a_flow_3_create_costs_at_most_twelve_statements(compat, directory):
    compat.post(person("warm.up@newco.example", countryCode="DE"))  # the key's last-used time
    with CaptureQueriesContext(connection) as queries:
        response = compat.post(person("bob@newco.example", countryCode="DE"))
    assert response.json()["status"] == "Pending" and response.json()["link"]
    assert len(statements(queries)) <= 12, "\n".join(statements(queries))


def test_a_login_token_costs_at_most_seven_statements(compat, directory):
    compat.post(person("anna@acme-cargo.de", countryCode="DE"))
    with CaptureQueriesContext(connection) as queries:
        response = compat.get("anna@acme-cargo.de")
    assert response.json()["token"]
    assert len(statements(queries)) <= 7, "\n".join(statements(queries))


def test_a_native_create_costs_one_statement_more_for_the_offices_it_answers(v1, directory):
    v1.post("users", person("warm.up@newco.example", countryCode="DE"))
    with CaptureQueriesContext(connection) as queries:
        response = v1.post("users", person("bob@newco.example", countryCode="DE"))
    assert response.status_code == 201
    assert len(statements(queries)) <= 13, "\n".join(statements(queries))


FLOWS = {
    "flow 1 (directory)": UserInput(
        email="jonas@acme-cargo.de",
        first_name="J",
        last_name="W",
        company_name="ACME",
        country="DE",
    ),
    "flow 2 (CASS given)": UserInput(
        email="mia@tulip-freight.nl",
        first_name="M",
        last_name="J",
        company_name="Tulip",
        country="NL",
        offices=(
            OfficeInput(country="NL", airport_code="AMS", iata_code="3699001", cass_code="0001"),
        ),
    ),
    "flow 3 (no CASS)": UserInput(
        email="raj@indigo-cargo.in",
        first_name="R",
        last_name="K",
        company_name="Indigo",
        country="IN",
    ),
}


@pytest.mark.parametrize("flow", FLOWS)
def test_a_failure_after_the_first_insert_leaves_nothing_behind(
    flow, partner, directory, monkeypatch
):
    companies, offices = Company.objects.count(), Office.objects.count()

    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Membership.objects, "create", fail)
    with pytest.raises(RuntimeError):
        user_create(partner=partner, data=FLOWS[flow], actor=Actor.system())
    assert not User.objects.filter(is_staff=False).exists()
    assert (Company.objects.count(), Office.objects.count()) == (companies, offices)
    assert not AuditEvent.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert not PartnerEvent.objects.exists()


@pytest.mark.parametrize("flow", FLOWS)
def test_a_create_goes_through_the_orm_and_tells_its_partner(flow, partner, directory):
    saved = []

    def record(sender, instance, created, **kwargs):
        saved.append((instance.email, created))

    post_save.connect(record, sender=User)
    try:
        user = user_create(partner=partner, data=FLOWS[flow], actor=Actor.system()).user
    finally:
        post_save.disconnect(record, sender=User)
    assert (user.email, True) in saved  # model defaults, db_default and signals apply
    assert list(PartnerEvent.objects.values_list("partner", "type")) == [
        (partner.pk, "user.created")
    ]
