"""The completion form behind the emailed link (DESIGN §8), through HTTP: opening it uses
nothing, it works once and for 7 days, a newer link kills it, a changed link is refused, and
what the forwarder typed survives a validation error."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from provisioning.accounts.inputs import UserInput
from provisioning.accounts.services import user_create, user_send_completion_link
from provisioning.audit.records import Actor
from provisioning.models import CompletionLink, LinkRequest, User

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def invited(partner, mailoutbox, django_capture_on_commit_callbacks):
    """A user of flow 3 (no CASS data) and the path of the link in the email it received."""
    data = UserInput(
        email="carl@newco.example",
        first_name="Carl",
        last_name="Meyer",
        company_name="NewCo",
        country="DE",
    )
    with django_capture_on_commit_callbacks(execute=True):
        user = user_create(partner=partner, data=data, actor=Actor.system()).user
    (email,) = mailoutbox
    url = re.search(r"http://\S+/complete/\S+", email.body).group(0)
    mailoutbox.clear()
    return user, path_of(url)


def valid_form(**changes) -> dict:
    form = {
        "action": "submit",
        "legal_name": "NewCo Logistics GmbH",
        "address": "Am Sandtorkai 1\n20457 Hamburg",
        "country": "DE",
        "phone": "040 1234567",
        "website": "newco.example",
        "offices-TOTAL_FORMS": "2",
        "offices-INITIAL_FORMS": "0",
        "offices-0-country": "DE",
        "offices-0-airport_code": "ham",
        "offices-0-iata_code": "",
        "offices-0-cass_code": "",
        "offices-1-country": "",
        "offices-1-airport_code": "",
        "cid-LH": "LH-778899",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def test_opening_the_link_twice_shows_the_form_and_uses_nothing(client, invited):
    user, path = invited
    for _ in range(2):  # a mail scanner, then the forwarder
        response = client.get(path)
        assert response.status_code == 200
        assert b"Complete your company details" in response.content
    assert not CompletionLink.objects.filter(used_at__isnull=False).exists()
    user.refresh_from_db()
    assert user.pending_reason == "awaiting_details"


def test_the_form_is_prefilled_from_the_partners_request(client, invited):
    _, path = invited
    form = client.get(path).context["company_form"]
    assert form.initial["legal_name"] == "NewCo"
    assert form.initial["country"] == "DE"


def test_submitting_stores_the_details_and_puts_the_account_in_the_support_queue(
    client, invited, mailoutbox, django_capture_on_commit_callbacks
):
    user, path = invited
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, valid_form())
    assert response.status_code == 302
    assert response["Location"] == "/complete/done"
    done = client.get(response["Location"])
    assert b"we received your details" in done.content

    user.refresh_from_db()
    assert (user.status, user.pending_reason) == ("pending", "details_submitted")
    company = user.company
    assert (company.legal_name, company.country.code) == ("NewCo Logistics GmbH", "DE")
    assert company.phone == "+49401234567"
    assert company.website == "https://newco.example"
    assert company.domains.get().domain == "newco.example"
    assert [(o.country.code, o.airport_code) for o in user.offices.all()] == [("DE", "HAM")]
    assert list(company.airline_customer_ids.values_list("airline__iata_code", "customer_id")) == [
        ("LH", "LH-778899")
    ]
    assert user.audit_events.filter(action="user.details_submitted", actor_type="forwarder")
    assert [m.subject for m in mailoutbox] == ["We received the details of NewCo Logistics GmbH"]
    assert User.objects.filter(status="pending", pending_reason="details_submitted").count() == 1


def test_a_link_works_once(client, invited):
    _, path = invited
    assert client.post(path, valid_form()).status_code == 302
    again = client.post(path, valid_form(legal_name="Someone Else GmbH"))
    assert again.status_code == 410
    assert b"This link has already been used" in again.content
    assert client.get(path).status_code == 410
    assert User.objects.get().company.legal_name == "NewCo Logistics GmbH"


def test_a_link_expires_after_seven_days(client, invited, monkeypatch):
    _, path = invited
    almost = timezone.now() + timedelta(days=6, hours=23)
    monkeypatch.setattr(timezone, "now", lambda: almost)
    assert client.get(path).status_code == 200

    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = client.get(path)
    assert response.status_code == 410
    assert b"This link has expired" in response.content
    assert client.post(path, valid_form()).status_code == 410
    assert User.objects.get().pending_reason == "awaiting_details"


def test_a_new_link_kills_the_older_one(client, invited):
    user, old_path = invited
    new_path = path_of(user_send_completion_link(user=user, actor=Actor.system()))
    response = client.get(old_path)
    assert response.status_code == 410
    assert b"A newer link replaced this one" in response.content
    assert client.post(old_path, valid_form()).status_code == 410
    assert client.post(new_path, valid_form()).status_code == 302


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p[:-1] + ("A" if p[-1] != "A" else "B"),  # signature
        lambda p: p.replace("/complete/", "/complete/9"),  # another id, same signature
        lambda p: "/complete/not-a-token",
    ],
)
def test_a_changed_link_is_refused_with_a_clear_page(client, invited, tamper):
    _, path = invited
    response = client.get(tamper(path))
    assert response.status_code == 404
    assert b"This link is not valid" in response.content
    assert b"Email me a new link" in response.content
    assert client.post(tamper(path), valid_form()).status_code == 404
    assert User.objects.get().pending_reason == "awaiting_details"


def test_a_link_of_an_account_no_longer_waiting_for_details_is_closed(client, invited):
    user, path = invited
    User.objects.filter(pk=user.pk).update(status="disabled", pending_reason="")
    response = client.get(path)
    assert response.status_code == 410
    assert b"needs no details any more" in response.content


def test_validation_errors_name_the_field_and_keep_what_was_typed(client, invited):
    user, path = invited
    response = client.post(
        path,
        valid_form(
            phone="12",
            **{"offices-0-airport_code": "JFK", "offices-1-country": "FR"},
            **{"offices-1-airport_code": "CDG", "offices-1-iata_code": "1234567"},
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid phone number" in html
    assert 'value="12"' in html
    assert "JFK is not in Germany." in html
    assert "give both or neither" in html
    assert 'value="NewCo Logistics GmbH"' in html
    assert 'value="LH-778899"' in html
    assert 'aria-invalid="true"' in html
    assert CompletionLink.objects.get().used_at is None
    user.refresh_from_db()
    assert user.pending_reason == "awaiting_details" and user.company is None


def test_an_unknown_airport_and_a_missing_office_are_refused(client, invited):
    _, path = invited
    response = client.post(path, valid_form(**{"offices-0-airport_code": "QQQ"}))
    assert "QQQ is not a known IATA airport code." in response.content.decode()
    response = client.post(
        path, valid_form(**{"offices-0-country": "", "offices-0-airport_code": ""})
    )
    assert response.status_code == 400
    assert response.context["offices"].forms[0].errors["airport_code"]


def test_adding_an_office_row_without_javascript_keeps_the_form_and_the_link(client, invited):
    _, path = invited
    response = client.post(path, valid_form(action="add_office", phone="12"))
    assert response.status_code == 200
    assert len(response.context["offices"].forms) == 2  # the filled row and a new empty one
    html = response.content.decode()
    assert 'name="offices-1-airport_code"' in html and 'value="ham"' in html
    assert "Enter a valid phone number" not in html  # judged only when sent
    assert CompletionLink.objects.get().used_at is None


def test_several_offices_are_stored_and_a_repeated_one_counts_once(client, invited):
    user, path = invited
    form = valid_form(
        **{
            "offices-TOTAL_FORMS": "3",
            "offices-1-country": "DE",
            "offices-1-airport_code": "HAM",
            "offices-2-country": "US",
            "offices-2-airport_code": "JFK",
            "offices-2-iata_code": "0112399",
            "offices-2-cass_code": "0011",
        }
    )
    assert client.post(path, form).status_code == 302
    user.refresh_from_db()
    assert sorted(o.airport_code for o in user.offices.all()) == ["HAM", "JFK"]
    assert user.offices.get(airport_code="JFK").cass_code == "0011"


def test_the_form_refuses_a_post_without_csrf_token(invited):
    _, path = invited
    client = Client(enforce_csrf_checks=True)
    assert client.post(path, valid_form()).status_code == 403
    assert CompletionLink.objects.get().used_at is None

    page = client.get(path)
    token = page.context["csrf_token"]
    assert client.post(path, {**valid_form(), "csrfmiddlewaretoken": str(token)}).status_code == 302


def test_the_link_pages_keep_the_token_out_of_referers_and_caches(client, invited):
    _, path = invited
    for response in (client.get(path), client.get("/complete/nonsense")):
        assert response["Referrer-Policy"] == "strict-origin"
        assert "no-store" in response["Cache-Control"]


# --- "Email me a new link" ---------------------------------------------------------------------


def test_asking_for_a_new_link_emails_one_that_works(
    client, invited, mailoutbox, django_capture_on_commit_callbacks
):
    _, old_path = invited
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/complete/new-link", {"email": "Carl@NewCo.example"})
    assert response.status_code == 200
    assert b"Check your inbox" in response.content
    (email,) = mailoutbox
    new_path = path_of(re.search(r"http://\S+/complete/\S+", email.body).group(0))
    assert client.get(old_path).status_code == 410
    assert client.get(new_path).status_code == 200


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client, invited, mailoutbox, django_capture_on_commit_callbacks
):
    def ask(email):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/complete/new-link", {"email": email})
        return response.status_code, response.content.decode().replace(email, "<email>")

    known = ask("carl@newco.example")
    unknown = ask("nobody@nowhere.example")
    assert known == unknown
    assert len(mailoutbox) == 1


def test_asking_too_often_is_refused_for_everyone_alike(client, invited, settings):
    settings.LINK_REQUEST_LIMIT_EMAIL = 2
    settings.LINK_REQUEST_LIMIT_IP = 6
    for email in ("carl@newco.example", "nobody@nowhere.example"):
        statuses = [
            client.post("/complete/new-link", {"email": email}).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
    refused = client.post("/complete/new-link", {"email": "third@else.example"})
    assert refused.status_code == 429  # the seventh ask from this client in the hour
    assert refused["Retry-After"] == "3600"
    assert b"Too many requests" in refused.content
    other_client = client.post(
        "/complete/new-link", {"email": "fourth@else.example"}, REMOTE_ADDR="10.1.2.3"
    )
    assert other_client.status_code == 200
    assert not LinkRequest.objects.filter(email_digest__contains="carl").exists()


def test_asks_older_than_an_hour_no_longer_count(client, invited, settings):
    settings.LINK_REQUEST_LIMIT_EMAIL = 1
    assert client.post("/complete/new-link", {"email": "carl@newco.example"}).status_code == 200
    LinkRequest.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    assert client.post("/complete/new-link", {"email": "carl@newco.example"}).status_code == 200


def test_a_new_link_goes_to_an_account_whose_details_are_still_open(
    client, invited, mailoutbox, django_capture_on_commit_callbacks
):
    """Details sent and not yet reviewed: the form is open to corrections, so the used link's
    page can really send a new one."""
    user, _ = invited
    User.objects.filter(pk=user.pk).update(pending_reason="details_submitted")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/complete/new-link", {"email": "carl@newco.example"})
    assert b"Check your inbox" in response.content
    (email,) = mailoutbox
    new_link = re.search(r"http://\S+/complete/\S+", email.body).group(0)
    assert client.get(path_of(new_link)).status_code == 200


@pytest.mark.parametrize(
    ("status", "reason"), [("activated", ""), ("pending", "awaiting_support"), ("disabled", "")]
)
def test_no_new_link_goes_to_an_account_with_nothing_to_complete(
    client, invited, mailoutbox, django_capture_on_commit_callbacks, status, reason
):
    user, _ = invited
    User.objects.filter(pk=user.pk).update(status=status, pending_reason=reason)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/complete/new-link", {"email": "carl@newco.example"})
    assert b"Check your inbox" in response.content
    assert mailoutbox == []
    assert CompletionLink.objects.filter(superseded_at__isnull=True).count() == 1


def test_a_bad_address_in_the_ask_is_shown_again_with_its_error(client, db):
    response = client.post("/complete/new-link", {"email": "not an email", "reason": "expired"})
    assert response.status_code == 400
    assert b"Enter a valid email address." in response.content
    assert b"This link has expired" in response.content


def test_the_ask_costs_the_same_whether_or_not_an_account_waits_for_it(
    client, invited, mailoutbox, django_capture_on_commit_callbacks
):
    """The page takes the ask and a worker decides: no lookup of the address in the request,
    so no difference in answer, queries or time tells a waiting forwarder from no one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from provisioning.delivery.outbox import outbox_deliver_one
    from provisioning.models import OutboxMessage
    from provisioning.models.outbox import OutboxKind

    mailoutbox.clear()

    def ask(email):
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/complete/new-link", {"email": email})
        tables = {q["sql"].split(" FROM ")[-1].split()[0] for q in queries if " FROM " in q["sql"]}
        return (
            response.status_code,
            response.content.decode().replace(email, "<email>"),
            len(queries),
            tables,
        )

    known, unknown = ask("carl@newco.example"), ask("nobody@nowhere.example")
    assert known == unknown
    assert not any("user" in table for table in known[3])
    assert mailoutbox == []
    # The worker's side: each ask is an outbox row, delivered after the answer.
    asks = OutboxMessage.objects.filter(kind=OutboxKind.LINK_ASK).values_list("pk", flat=True)
    assert len(asks) == 2
    with django_capture_on_commit_callbacks(execute=True):
        for message_id in asks:
            outbox_deliver_one(message_id)
    assert [m.to for m in mailoutbox] == [["carl@newco.example"]]


# --- What the pages of unusable links offer ------------------------------------------------------


def _use(user):
    CompletionLink.objects.filter(user=user).update(used_at=timezone.now())


def test_a_used_link_of_details_under_review_offers_a_new_link(client, invited):
    user, path = invited
    _use(user)
    User.objects.filter(pk=user.pk).update(pending_reason="details_submitted")
    html = client.get(path).content.decode()
    assert "This link has already been used" in html
    assert "Email me a new link" in html and "we can email you a new link" in html


def test_a_used_link_of_an_active_account_offers_sign_in_and_no_new_link(client, invited):
    user, path = invited
    _use(user)
    User.objects.filter(pk=user.pk).update(status="activated", pending_reason="")
    response = client.get(path)
    assert response.status_code == 410
    html = response.content.decode()
    assert "Email me a new link" not in html
    assert 'href="/sign-in"' in html and "The account is active now" in html


def test_a_used_link_of_an_account_with_support_offers_no_form(client, invited):
    user, path = invited
    _use(user)
    User.objects.filter(pk=user.pk).update(pending_reason="awaiting_support")
    html = client.get(path).content.decode()
    assert "Email me a new link" not in html
    assert "reply to any email from us" in html


def test_the_confirmation_page_opened_cold_confirms_nothing(client, db):
    html = client.get("/complete/done").content.decode()
    assert "received your details" not in html and "is active" not in html
    assert "Open the link from the email we sent you" in html


def test_the_phone_hint_is_a_number_of_the_companys_country(client, partner):
    data = UserInput(
        email="ravi@shipfast.example",
        first_name="Ravi",
        last_name="Rao",
        company_name="ShipFast",
        country="IN",
    )
    url = user_send_completion_link(
        user=user_create(partner=partner, data=data, actor=Actor.system()).user,
        actor=Actor.system(),
    )
    html = client.get(path_of(url)).content.decode()
    assert "e.g. +91 " in html and "+49 40 123456" not in html
