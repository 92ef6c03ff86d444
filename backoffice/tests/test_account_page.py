"""The account page: the request, company, offices, warnings, suggested companies, history,
internal notes and the contacted mark; a fixed number of queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.models import AccountNote, ContactMark
from backoffice.selectors.account import company_suggestions, name_key
from backoffice.tests.conftest import QUEUE_URL, account_url, pending
from provisioning.audit.records import Actor, audit_record
from provisioning.models import AuditEvent
from provisioning.tests.factories import (
    CompanyDomainFactory,
    CompanyFactory,
    OfficeFactory,
    PartnerFactory,
)

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_request_company_offices_warnings_and_history(
    agent_client, flow2_account, agent
):
    flow2_account.warnings = [
        {"code": "cass_other_company", "message": "CASS 2347001/0002 is registered to ACME."}
    ]
    flow2_account.save(update_fields=["warnings"])
    audit_record(actor=Actor.system(), action="user.created", user=flow2_account)
    audit_record(actor=Actor.staff(agent), action="user.contacted", user=flow2_account)

    response = agent_client.get(account_url(flow2_account))

    assert response.status_code == 200
    page = response.content.decode()
    for expected in [
        "carl@newco-air.de",
        "Carl",
        "Newco Air Freight",  # requested and actual company
        "2347001",  # the request's office codes
        "Freight Soft",  # the partner
        "CASS 2347001/0002 is registered to ACME.",
        "Hamburg (HAM)",  # the office
        "Account created",  # the audit action in words
        "CASS belongs to another company",  # the warning in words
        "Sam (support)",  # the history names the agent
    ]:
        assert expected in page, expected
    for code in ["user.created", "cass_other_company", "∅"]:
        assert code not in page, code


def test_suggested_companies_share_the_domain_the_cass_or_a_similar_name(flow2_account, directory):
    lookalike = CompanyFactory(legal_name="NEWCO Logistics AG", country="DE")
    CompanyFactory(legal_name="Newco Freight Ltd", country="GB")  # another country
    other_owner = CompanyFactory(legal_name="Domain Holder", country="NL")
    CompanyDomainFactory(company=other_owner, domain="newco-air.example")  # another domain

    suggestions = {s.company: s for s in company_suggestions(user=flow2_account)}

    assert next(iter(suggestions)) == flow2_account.company  # the account's own comes first
    assert "owns the domain newco-air.de" in suggestions[flow2_account.company].reasons
    assert suggestions[directory.acme].reasons == ["has the CASS 2347001/0002"]
    assert suggestions[lookalike].reasons == ["similar name only, in DE"]
    assert suggestions[lookalike].kinds == {"name"}
    assert suggestions[directory.acme].is_strong and not suggestions[lookalike].is_strong
    assert set(suggestions) == {flow2_account.company, directory.acme, lookalike}
    assert [o.airport_code for o in suggestions[directory.acme].offices] == ["FRA", "HAM", "JFK"]


def test_a_free_mail_account_gets_no_domain_suggestion():
    gmail_owner = CompanyFactory(legal_name="Nobody")
    user = pending("x@gmail.com", request_data={"companyName": "Zeta", "countryCode": "DE"})
    assert gmail_owner not in [s.company for s in company_suggestions(user=user)]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("ACME Cargo GmbH", "acme"),
        ("The Global Logistics Company", "company"),
        ("Air Cargo Ltd", ""),
        ("Kühne + Nagel", "kühne"),
    ],
)
def test_the_name_key_is_the_first_distinctive_word(name, key):
    assert name_key(name) == key


def test_a_note_is_added_with_its_author_and_audited_without_its_text(agent_client, flow2_account):
    response = agent_client.post(
        account_url(flow2_account, "note/"), {"body": "Called, will send the CASS letter."}
    )
    assert response.status_code == 302
    note = AccountNote.objects.get()
    assert (note.user, note.author.email) == (flow2_account, "sam@support.example")
    event = AuditEvent.objects.get(action="user.note_added")
    assert event.actor_user.email == "sam@support.example"
    assert "CASS letter" not in event.note
    page = agent_client.get(account_url(flow2_account)).content.decode()
    assert "Called, will send the CASS letter." in page


def test_the_contacted_mark_keeps_the_date_and_the_agent_and_shows_in_the_queue(
    agent_client, flow2_account
):
    day = timezone.localdate() - timedelta(days=1)
    for _ in range(2):  # marking the same contact twice records it once
        agent_client.post(
            account_url(flow2_account, "contacted/"),
            {"contacted_on": day.isoformat(), "channel": "email"},
        )
    mark = ContactMark.objects.get(user=flow2_account)
    assert (mark.contacted_on, mark.channel, mark.contacted_by.email) == (
        day,
        "email",
        "sam@support.example",
    )
    assert AuditEvent.objects.filter(action="user.contacted").count() == 1
    assert f">{day.day} {day:%b}<" in agent_client.get(QUEUE_URL).content.decode()


def test_a_contact_in_the_future_is_refused(agent_client, flow2_account):
    tomorrow = timezone.localdate() + timedelta(days=1)
    agent_client.post(account_url(flow2_account, "contacted/"), {"contacted_on": tomorrow})
    assert not ContactMark.objects.exists()


def test_staff_accounts_have_no_account_page(agent_client, agent):
    assert agent_client.get(account_url(agent)).status_code == 404


@pytest.mark.parametrize("accounts", [10, 500])
def test_the_account_page_runs_the_same_queries_whatever_the_number_of_accounts(
    agent_client, accounts, agent, directory, django_assert_max_num_queries
):
    partner = PartnerFactory()
    for n in range(accounts):
        pending(f"user{n}@newco-air.de", partner=partner, company=directory.acme)
    company = CompanyFactory(legal_name="Newco Air Freight")
    CompanyDomainFactory(company=company, domain="newco-air.de")
    account = pending(
        "carl@newco-air.de",
        company=company,
        offices=[OfficeFactory(company=company), OfficeFactory(company=company)],
        partner=partner,
    )
    for n in range(60):
        audit_record(actor=Actor.staff(agent), action="user.contacted", user=account)
        AccountNote.objects.create(user=account, author=agent, body=f"note {n}")
    with django_assert_max_num_queries(25):
        response = agent_client.get(account_url(account))
    assert response.status_code == 200
    assert response.context["more_history"]


def test_the_recognition_summary_lists_live_airlines_and_missing_customer_ids(
    agent_client, directory
):
    from recognition.models import Airline, AirlineCassConfiguration, AirlineCustomerId

    airlines = {a.iata_code: a for a in Airline.objects.all()}
    registration = directory.ham.cass_registrations.get()
    AirlineCassConfiguration.objects.create(airline=airlines["EK"], registration=registration)
    AirlineCustomerId.objects.create(
        airline=airlines["LH"], company=directory.acme, customer_id="LH-1"
    )
    user = pending("anna@acme-cargo.de", company=directory.acme, offices=[directory.ham])

    response = agent_client.get(account_url(user))

    summary = response.context["recognition"]
    ham = summary.offices[0]
    assert {line.code for line in ham.live} == {"EK", "LH"}
    assert {line.code for line in ham.missing_customer_id} == {"AA", "AY", "VS", "SQ", "QF", "WS"}
    assert "QR" in {line.code for line in ham.cass_missing}
    assert set(summary.customer_id_airlines) == {"AA", "AY", "VS", "SQ", "QF", "WS"}
    assert "Lufthansa" not in response.content.decode().split('id="missing-customer-ids"')[1][:600]


def test_an_account_without_office_is_told_so_and_misses_every_customer_id(agent_client):
    user = pending("new@nowhere.example")
    response = agent_client.get(account_url(user))
    assert len(response.context["recognition"].customer_id_airlines) == 7
    assert "No office yet" in response.content.decode()
