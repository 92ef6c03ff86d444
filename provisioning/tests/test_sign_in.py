"""The sign-in page (docs/forwarder-pages.md): an activated forwarder asks for a one-time
portal link by email; the answer and its cost are the same for any address."""

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from provisioning.models import AuditEvent, LinkRequest, LoginToken, OutboxMessage, User
from provisioning.models.outbox import OutboxKind
from provisioning.tests.factories import MembershipFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db
USER_TABLE = User._meta.db_table


@pytest.fixture
def anna(directory):
    user = UserFactory(
        email="anna@acme-cargo.de",
        first_name="Anna",
        status="activated",
        pending_reason="",
        company=directory.acme,
    )
    user.offices.add(directory.ham)
    return user


def portal_link_in(email) -> str:
    return re.search(r"http://\S+/portal/login\?auth=[\w-]+", email.body).group(0)


def ask(client, email, **extra):
    return client.post("/sign-in", {"email": email}, **extra)


def test_the_page_offers_to_email_a_sign_in_link(client, db):
    response = client.get("/sign-in")
    assert response.status_code == 200
    assert b"Email me a sign-in link" in response.content
    assert response["Referrer-Policy"] == "strict-origin"
    assert "no-store" in response["Cache-Control"]


def test_known_and_unknown_addresses_get_the_same_answer_for_the_same_queries(
    client, anna, mailoutbox, django_capture_on_commit_callbacks
):
    MembershipFactory(user=anna)
    answers, queries = [], []
    for email in ("anna@acme-cargo.de", "nobody@nowhere.example"):
        with CaptureQueriesContext(connection) as captured:
            response = ask(client, email)
        answers.append((response.status_code, response.content.decode().replace(email, "<e>")))
        queries.append([q["sql"] for q in captured.captured_queries])
    assert answers[0] == answers[1]
    assert answers[0][0] == 200 and "Check your inbox" in answers[0][1]
    # The request looks nobody up: the lookup happens when the outbox delivers the ask.
    assert len(queries[0]) == len(queries[1])
    assert not [sql for sql in queries[0] + queries[1] if USER_TABLE in sql]
    assert OutboxMessage.objects.filter(kind=OutboxKind.LINK_ASK).count() == 2
    assert mailoutbox == []


def test_the_emailed_link_signs_the_forwarder_in_through_its_oldest_partner(
    client, anna, mailoutbox, django_capture_on_commit_callbacks
):
    first = MembershipFactory(user=anna, partner=PartnerFactory(name="First"))
    first.created_at = timezone.now() - timedelta(days=30)
    first.save(update_fields=["created_at"])
    MembershipFactory(user=anna, partner=PartnerFactory(name="Second"))
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, "Anna@ACME-cargo.de")
    (email,) = mailoutbox
    assert email.to == ["anna@acme-cargo.de"]
    assert email.subject == "Your CargoMART sign-in link"
    link = portal_link_in(email)
    assert link.startswith("http://127.0.0.1:8000/portal/login?auth=")
    assert link in email.alternatives[0][0]
    assert LoginToken.objects.get().partner == first.partner
    assert AuditEvent.objects.filter(user=anna, action="user.login_token_issued").exists()
    # The raw token is stored nowhere: not in the outbox, whose ask forgot the address too.
    raw = link.split("auth=")[1]
    ask_row = OutboxMessage.objects.get(kind=OutboxKind.LINK_ASK)
    assert ask_row.status == "sent" and ask_row.recipient == ""
    assert not OutboxMessage.objects.filter(context__icontains=raw).exists()

    signed_in = client.get("/portal/login", {"auth": raw})
    assert signed_in["Location"] == "/portal/"
    assert b"Hello Anna" in client.get("/portal/").content


@pytest.mark.parametrize(
    "change",
    [
        {"status": "pending", "pending_reason": "awaiting_support"},
        {"status": "disabled", "pending_reason": ""},
        {"is_staff": True},
        "no partner left",
    ],
)
def test_no_link_goes_to_an_account_that_cannot_sign_in(
    client, anna, mailoutbox, django_capture_on_commit_callbacks, change
):
    membership = MembershipFactory(user=anna)
    if change == "no partner left":
        membership.removed_at = timezone.now()
        membership.save(update_fields=["removed_at"])
    else:
        User.objects.filter(pk=anna.pk).update(**change)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, "anna@acme-cargo.de")
    assert b"Check your inbox" in response.content
    assert mailoutbox == []
    assert not LoginToken.objects.exists()


def test_asking_too_often_is_refused_per_address_and_per_client(client, db, settings):
    settings.LINK_REQUEST_LIMIT_EMAIL = 2
    settings.LINK_REQUEST_LIMIT_IP = 5
    for email in ("anna@acme-cargo.de", "nobody@nowhere.example"):
        assert [ask(client, email).status_code for _ in range(3)] == [200, 200, 429]
    refused = ask(client, "third@else.example")
    assert refused.status_code == 429  # the seventh ask from this client in the hour
    assert refused["Retry-After"] == "3600"
    assert b"Too many requests" in refused.content
    assert ask(client, "third@else.example", REMOTE_ADDR="10.1.2.3").status_code == 200
    # Refused asks are stored for nothing: only the allowed ones wait for delivery.
    assert OutboxMessage.objects.filter(kind=OutboxKind.LINK_ASK).count() == 5
    assert not LinkRequest.objects.filter(email_digest__contains="anna").exists()


def test_sign_in_asks_do_not_use_up_the_asks_for_a_completion_link(client, db, settings):
    settings.LINK_REQUEST_LIMIT_EMAIL = 1
    assert ask(client, "carl@newco.example").status_code == 200
    assert ask(client, "carl@newco.example").status_code == 429
    assert client.post("/complete/new-link", {"email": "carl@newco.example"}).status_code == 200


def test_a_bad_address_is_shown_again_with_its_error(client, db):
    response = ask(client, "not an email")
    assert response.status_code == 400
    assert b"Enter a valid email address." in response.content
    assert not LinkRequest.objects.exists()


def test_a_signed_in_forwarder_opening_the_page_sees_its_portal(client, anna):
    client.force_login(anna)
    assert client.get("/sign-in")["Location"] == "/portal/"


# --- The emails' "Sign in" button ---------------------------------------------------------------


def test_the_welcome_email_button_goes_to_the_sign_in_page(
    partner, directory, mailoutbox, django_capture_on_commit_callbacks, settings
):
    from provisioning.accounts.inputs import UserInput
    from provisioning.accounts.services import user_create
    from provisioning.audit.records import Actor

    settings.SITE_URL = "http://127.0.0.1:8001"
    data = UserInput(
        email="bert@acme-cargo.de",
        first_name="Bert",
        last_name="Bauer",
        company_name="ACME Cargo",
        country="DE",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert user_create(partner=partner, data=data, actor=Actor.system()).user.status == (
            "activated"
        )
    (email,) = mailoutbox
    assert 'href="http://127.0.0.1:8001/sign-in"' in email.alternatives[0][0]
    assert "http://127.0.0.1:8001/sign-in" in email.body
    assert "/portal/login" not in email.body + email.alternatives[0][0]


def test_the_activated_by_support_email_button_goes_to_the_sign_in_page(db, mailoutbox):
    from provisioning.delivery.notifications import email_activated_by_support
    from provisioning.delivery.outbox import outbox_deliver_one

    user = UserFactory(email="cleo@tulip.example", first_name="Cleo")
    email_activated_by_support(user=user)
    outbox_deliver_one(OutboxMessage.objects.get().pk)
    (email,) = mailoutbox
    assert 'href="http://127.0.0.1:8000/sign-in"' in email.alternatives[0][0]


# --- The front door ------------------------------------------------------------------------------


def test_the_site_root_leads_to_the_sign_in_page_or_the_portal(client, anna):
    assert client.get("/")["Location"] == "/sign-in"
    client.force_login(anna)
    assert client.get("/")["Location"] == "/portal/"


def test_the_favicon_is_served(client, db):
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Content-Type"]) == (200, "image/x-icon")
    assert finders.find("provisioning/favicon.svg")  # what the forwarder pages link
