"""The pending-accounts queue: where agents land, its order, filters, search, paging and
dashboard, and a query count that does not grow with the table."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.models import ContactMark
from backoffice.queue import Cursor
from backoffice.tests.conftest import QUEUE_URL, make_staff, pending
from provisioning.models import AuditEvent, PendingReason, User, UserStatus
from provisioning.tests.factories import (
    CompanyDomainFactory,
    CompanyFactory,
    PartnerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def listed(response) -> list[str]:
    """The emails of the queue page, in order."""
    return [user.email for user in response.context["cl"].result_list]


def test_a_support_agent_lands_on_the_queue(agent_client):
    response = agent_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == QUEUE_URL


def test_an_administrator_keeps_the_admin_index(client):
    admin = make_staff("ada@admin.example", support=False)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200


def test_the_queue_shows_pending_accounts_oldest_first_with_their_age(agent_client):
    pending("new@a.example", waited=timedelta(hours=2))
    pending("old@b.example", waited=timedelta(days=9))
    pending("mid@c.example", waited=timedelta(days=2))
    UserFactory(email="done@d.example", status=UserStatus.ACTIVATED, pending_reason="")
    UserFactory(email="gone@e.example", status=UserStatus.DISABLED, pending_reason="")

    response = agent_client.get(QUEUE_URL)

    assert listed(response) == ["old@b.example", "mid@c.example", "new@a.example"]
    page = response.content.decode()
    assert ">9 d 0 h<" in page and "age-7-30d" in page  # shown, and flagged as long


def test_the_dashboard_counts_pending_accounts_per_reason(agent_client):
    for n in range(3):
        pending(f"s{n}@a.example", reason=PendingReason.AWAITING_SUPPORT)
    pending("d@a.example", reason=PendingReason.AWAITING_DETAILS)
    stats = agent_client.get(QUEUE_URL).context["stats"]
    assert {row.reason: row.display for row in stats.by_reason} == {
        "awaiting_support": "3",
        "awaiting_details": "1",
        "details_submitted": "0",
    }


def test_reason_counts_stop_at_the_cap_instead_of_counting_everything(agent_client, monkeypatch):
    monkeypatch.setattr("backoffice.selectors.dashboard.REASON_COUNT_CAP", 2)
    for n in range(4):
        pending(f"s{n}@a.example")
    stats = agent_client.get(QUEUE_URL).context["stats"]
    assert stats.by_reason[0].display == "2+"


def test_the_dashboard_shows_the_oldest_wait_the_weeks_activations_and_the_median(
    agent_client, agent
):
    pending("old@a.example", waited=timedelta(days=4, hours=2))
    now = timezone.now()
    for hours in (10, 20, 30):
        user = UserFactory(status=UserStatus.ACTIVATED, pending_reason="")
        User.objects.filter(pk=user.pk).update(date_joined=now - timedelta(hours=hours))
        AuditEvent.objects.create(
            action="user.activated",
            actor_type="staff",
            actor_user=agent,
            user=user,
            created_at=now,
            changes={"status": ["pending", "activated"]},
        )
    # An automatic activation at creation never waited in the queue: not in the median.
    AuditEvent.objects.create(
        action="user.activated",
        actor_type="partner",
        user=UserFactory(status=UserStatus.ACTIVATED, pending_reason=""),
        changes={"status": [None, "activated"]},
    )

    response = agent_client.get(QUEUE_URL)

    stats, activations = response.context["stats"], response.context["activations"]
    assert stats.oldest.email == "old@a.example"
    assert stats.oldest_display == "4 d 2 h"
    assert (activations.this_week, activations.this_week_by_support) == (4, 3)
    assert activations.sample_size == 3
    assert abs(activations.median_wait - timedelta(hours=20)) < timedelta(minutes=5)
    assert 'id="median-wait">20 h' in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"reason": "awaiting_details"}, ["details@a.example"]),
        ({"country": "FR"}, ["paris@b.example", "nocompany@fr.example"]),
        ({"partner": "PARTNER"}, ["details@a.example"]),
        ({"age": "gt30d"}, ["paris@b.example"]),
        ({"age": "lt1d"}, ["nocompany@fr.example"]),
        ({"contacted": "yes"}, ["support@c.example"]),
        ({"contacted": "no"}, ["paris@b.example", "details@a.example", "nocompany@fr.example"]),
        ({"status": "disabled"}, ["rejected@d.example"]),
        ({"reason": "awaiting_support", "country": "DE"}, ["support@c.example"]),
    ],
)
def test_the_queue_filters(agent_client, params, expected):
    partner = PartnerFactory(name="Cargo Soft")
    pending(
        "paris@b.example",
        company=CompanyFactory(legal_name="Paris Fret", country="FR"),
        waited=timedelta(days=40),
    )
    pending(
        "details@a.example",
        reason=PendingReason.AWAITING_DETAILS,
        waited=timedelta(days=5),
        partner=partner,
    )
    contacted = pending(
        "support@c.example",
        company=CompanyFactory(legal_name="Berlin Air", country="DE"),
        waited=timedelta(days=2),
    )
    ContactMark.objects.create(user=contacted, contacted_on=timezone.localdate())
    pending(
        "nocompany@fr.example",
        waited=timedelta(hours=1),
        request_data={"companyName": "Lyon Cargo", "countryCode": "FR"},
    )
    UserFactory(email="rejected@d.example", status=UserStatus.DISABLED, pending_reason="")
    params = {k: str(partner.pk) if v == "PARTNER" else v for k, v in params.items()}

    response = agent_client.get(QUEUE_URL, params)

    assert response.status_code == 200
    assert sorted(listed(response)) == sorted(expected)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Anna@Acme-Cargo.de", ["anna@acme-cargo.de"]),
        ("acme-cargo.de", ["anna@acme-cargo.de", "bert@acme.example"]),
        ("@gmail.com", ["cleo@gmail.com"]),
        ("acme", ["anna@acme-cargo.de", "bert@acme.example"]),
        ("Sahara", ["cleo@gmail.com"]),
        ("nobody", []),
    ],
)
def test_the_queue_searches_email_domain_and_company(agent_client, term, expected):
    acme = CompanyFactory(legal_name="ACME Cargo GmbH")
    CompanyDomainFactory(company=acme, domain="acme-cargo.de")
    pending("anna@acme-cargo.de", company=acme)
    pending("bert@acme.example", company=acme)  # the company's, under another domain
    pending("cleo@gmail.com", request_data={"companyName": "Sahara Logistics"})
    response = agent_client.get(QUEUE_URL, {"q": term})
    assert sorted(listed(response)) == sorted(expected)


def test_the_queue_pages_by_key_and_never_counts(agent_client, django_assert_max_num_queries):
    for n in range(7):
        pending(f"u{n}@a.example", waited=timedelta(hours=10 - n))
    from backoffice.admin import AccountAdmin

    AccountAdmin.list_per_page, per_page = 3, AccountAdmin.list_per_page
    try:
        first = agent_client.get(QUEUE_URL, {"reason": "awaiting_support"})
        assert listed(first) == ["u0@a.example", "u1@a.example", "u2@a.example"]
        second = agent_client.get(QUEUE_URL + first.context["cl"].next_query)
        third = agent_client.get(QUEUE_URL + second.context["cl"].next_query)
    finally:
        AccountAdmin.list_per_page = per_page
    assert listed(second) == ["u3@a.example", "u4@a.example", "u5@a.example"]
    assert listed(third) == ["u6@a.example"]
    assert not third.context["cl"].has_next
    assert "reason=awaiting_support" in second.context["cl"].next_query  # filters kept
    assert "Back to the oldest" in third.content.decode()


def test_a_cursor_survives_its_round_trip_and_garbage_is_ignored(agent_client):
    when = timezone.now()
    assert Cursor.decode(Cursor(when, 42).encode()) == Cursor(when, 42)
    assert Cursor.decode("x-1") is None
    assert agent_client.get(QUEUE_URL, {"after": "nonsense"}).status_code == 200


# Session, user, the agent's authenticator, permissions (two), partners for the filter, the three
# dashboard figures and the 30-day chart, the page, its partners; and for the bulk column the
# page's offices, the companies owning their domains, the CASS registrations they sent and the
# offices of those companies.
QUEUE_QUERIES = 17


@pytest.mark.parametrize("accounts", [10, 500])
def test_the_queue_runs_the_same_queries_whatever_the_number_of_accounts(
    agent_client, accounts, django_assert_max_num_queries
):
    partners = [PartnerFactory(name=f"Partner {n}") for n in range(3)]
    companies = [CompanyFactory() for _ in range(5)]
    for n in range(accounts):
        pending(
            f"user{n}@queue.example",
            company=companies[n % 5] if n % 2 else None,
            partner=partners[n % 3],
            waited=timedelta(minutes=n),
            warnings=[{"code": "free_mail", "message": "…"}] if n % 7 == 0 else [],
        )
    for params in ({}, {"reason": "awaiting_support", "country": "DE", "partner": "1"}):
        with django_assert_max_num_queries(QUEUE_QUERIES):
            response = agent_client.get(QUEUE_URL, params)
        assert response.status_code == 200
    with django_assert_max_num_queries(QUEUE_QUERIES):
        assert agent_client.get(QUEUE_URL, {"q": "user1"}).status_code == 200
