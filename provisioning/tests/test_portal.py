"""The one-time portal login (DESIGN §6): a token signs the forwarder in once, to a page
without the token, and every refusal looks the same."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.utils import timezone

from provisioning.accounts.links import login_token_create
from provisioning.models import LoginToken, Membership, User
from provisioning.tests.factories import MembershipFactory, UserFactory
from recognition.models import Airline, AirlineCustomerId
from recognition.tests.factories import (
    AirlineCassConfigurationFactory,
    AirlineCustomerIdFactory,
    ColoaderCoverageFactory,
    airline,
)

REFUSAL = b"This sign-in link cannot be used"


@pytest.fixture
def member(directory):
    user = UserFactory(
        email="anna@acme-cargo.de",
        first_name="Anna",
        status="activated",
        pending_reason="",
        company=directory.acme,
    )
    user.offices.add(directory.ham)
    return MembershipFactory(user=user)


def token_for(membership) -> str:
    return login_token_create(user=membership.user, partner=membership.partner)[1]


@pytest.mark.django_db
def test_a_token_signs_the_forwarder_in_to_a_url_without_it(client, member):
    raw = token_for(member)
    response = client.get("/portal/login", {"auth": raw})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]

    page = client.get("/portal/")
    assert page.status_code == 200
    html = page.content.decode()
    assert raw not in html
    assert "anna@acme-cargo.de" in html and "Activated" in html
    assert "ACME Cargo GmbH" in html and "Hamburg (HAM, Germany)" in html


@pytest.mark.django_db
def test_the_portal_lists_the_customer_id_airlines_still_missing(client, member):
    AirlineCustomerId.objects.create(
        company=member.user.company, airline=Airline.objects.get(iata_code="LH"), customer_id="1"
    )
    client.get("/portal/login", {"auth": token_for(member)})
    missing = client.get("/portal/").context["overview"].missing_customer_ids
    assert [a.iata_code for a in missing] == ["AA", "AY", "QF", "SQ", "VS", "WS"]


@pytest.mark.django_db
def test_the_portal_shows_each_airlines_recognition_with_its_reasons(client, member, directory):
    registration = directory.ham.cass_registrations.get()
    AirlineCassConfigurationFactory(registration=registration, airline=airline("EK"))
    AirlineCustomerIdFactory(company=directory.acme, airline=airline("AA"))
    ColoaderCoverageFactory(origin_country="DE", airline=airline("TK"))
    client.get("/portal/login", {"auth": token_for(member)})
    page = client.get("/portal/")

    (recognition,) = page.context["overview"].recognitions
    assert recognition.office == directory.ham
    answers = {answer.airline.code: answer for answer in recognition.answers}
    assert answers["EK"].channel == answers["AA"].channel == "airline_direct"
    assert answers["TK"].channel == "coloader"
    assert answers["LH"].channel == "unavailable"
    html = page.content.decode()
    assert "Lufthansa Cargo requires a customer ID; none is registered for" in html
    groups = {group.key: [a.code for a in group.airlines] for group in recognition.groups}
    assert "EK" in groups["api"] and "AA" in groups["api"]
    assert groups["coloader"] == ["TK"]
    assert "LH" in groups["none"]
    assert "LH" in recognition.groups[-1].id_only and "EK" not in recognition.groups[-1].id_only
    assert html.count("FlyWINDOW</strong> is the booking screen") == 1
    assert "book in the portal" not in html
    assert "Coloader offers, booked in FlyWINDOW" in html


@pytest.mark.django_db
def test_the_portal_says_each_group_in_one_sentence_and_lists_airlines_compactly(client, member):
    client.get("/portal/login", {"auth": token_for(member)})
    html = client.get("/portal/").content.decode()
    offers = html.split("What airlines offer you")[1]
    assert offers.count('class="offer-group ') <= 4
    assert '<abbr class="code" title="IATA code">EK</abbr></li>' in offers
    # The reasons per airline are one disclosure away, not on the first screen.
    assert "<details" in offers and "Why, airline by airline" in offers


@pytest.mark.django_db
def test_a_used_link_opened_while_signed_in_shows_the_portal(client, member):
    raw = token_for(member)
    client.get("/portal/login", {"auth": raw})
    again = client.get("/portal/login", {"auth": raw})
    assert again.status_code == 302 and again["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


@pytest.mark.django_db
def test_a_token_works_once(client, member):
    raw = token_for(member)
    assert client.get("/portal/login", {"auth": raw}).status_code == 302
    again = Client().get("/portal/login", {"auth": raw})
    assert again.status_code == 403
    assert REFUSAL in again.content
    assert again["Referrer-Policy"] == "no-referrer"


def _refusal_cases():
    def expired(member, raw):
        past = timezone.now() - timedelta(minutes=11)
        LoginToken.objects.update(created_at=past, expires_at=past + timedelta(minutes=10))

    def disabled(member, raw):
        User.objects.filter(pk=member.user_id).update(status="disabled")

    def deleted(member, raw):
        User.objects.filter(pk=member.user_id).update(status="deleted")

    def removed_from_partner(member, raw):
        Membership.objects.filter(pk=member.pk).update(removed_at=timezone.now())

    return [expired, disabled, deleted, removed_from_partner]


@pytest.mark.django_db
@pytest.mark.parametrize("spoil", _refusal_cases(), ids=lambda f: f.__name__)
def test_every_refusal_is_the_same_page(client, member, spoil):
    unknown = client.get("/portal/login", {"auth": "made-up-token"})
    raw = token_for(member)
    spoil(member, raw)
    refused = client.get("/portal/login", {"auth": raw})
    assert refused.status_code == unknown.status_code == 403
    assert refused.content == unknown.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_signed_in_forwarder_disabled_later_is_signed_out(client, member):
    client.get("/portal/login", {"auth": token_for(member)})
    User.objects.filter(pk=member.user_id).update(status="disabled")
    response = client.get("/portal/")
    assert response.status_code == 403 and REFUSAL in response.content
    assert client.get("/portal/").status_code == 302  # no longer signed in


@pytest.mark.django_db
def test_without_a_token_the_login_page_offers_the_sign_in_page(client, db):
    response = client.get("/portal/login")
    assert response.status_code == 200
    assert b'href="/sign-in"' in response.content
    assert client.get("/portal/")["Location"] == "/portal/login"


@pytest.mark.django_db
def test_a_support_agents_session_is_not_a_forwarder(client, db):
    client.force_login(UserFactory(is_staff=True, status="activated", pending_reason=""))
    assert client.get("/portal/")["Location"] == "/portal/login"


@pytest.mark.django_db
def test_signing_out_ends_the_session(client, member):
    client.get("/portal/login", {"auth": token_for(member)})
    response = client.post("/portal/logout")
    assert b"You are signed out" in response.content
    assert client.get("/portal/").status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_redemptions_of_one_token_make_one_session(postgres_only, directory):
    user = UserFactory(email="anna@acme-cargo.de", status="activated", pending_reason="")
    raw = token_for(MembershipFactory(user=user))
    parallel = 20
    start = threading.Barrier(parallel)

    def redeem(_):
        try:
            start.wait(timeout=30)
            response = Client().get("/portal/login", {"auth": raw})
            return response.status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        statuses = list(pool.map(redeem, range(parallel)))

    assert sorted(statuses) == [302] + [403] * (parallel - 1)
    sessions = [s.get_decoded() for s in Session.objects.all()]
    assert [s.get("_auth_user_id") for s in sessions] == [str(user.pk)]
