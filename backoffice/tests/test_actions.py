"""Every action on accounts, single and bulk: refused without the permission, confirmed
first, then the effect, the audit row naming the agent and the email in the outbox."""

import pytest

from backoffice.models import AccountNote
from backoffice.tests.conftest import QUEUE_URL, account_url, action_url, pending
from provisioning.models import (
    AuditEvent,
    CompanyDomain,
    CompletionLink,
    OutboxMessage,
    PendingReason,
    User,
    UserStatus,
)
from provisioning.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def emails_to(user, template: str) -> int:
    return OutboxMessage.objects.filter(recipient=user.email, template=template).count()


def audit(action: str) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


ACTION_SETUP = {
    # action: (status, pending reason, POST data of the confirmation)
    "activate": (UserStatus.PENDING, PendingReason.AWAITING_SUPPORT, None),
    "reject": (UserStatus.PENDING, PendingReason.AWAITING_SUPPORT, {"reason": "Not a forwarder."}),
    "resend_link": (UserStatus.PENDING, PendingReason.AWAITING_DETAILS, {}),
    "reopen": (UserStatus.DISABLED, "", {"note": "Appeal accepted."}),
    "erase": (UserStatus.DELETED, "", {"confirm": "on"}),
}


@pytest.mark.parametrize("action", list(ACTION_SETUP))
def test_staff_without_the_support_permission_cannot_act(staff_client, flow2_account, action):
    status, reason, data = ACTION_SETUP[action]
    User.objects.filter(pk=flow2_account.pk).update(status=status, pending_reason=reason)
    assert staff_client.get(action_url(flow2_account, action)).status_code == 403
    assert staff_client.post(action_url(flow2_account, action), data or {}).status_code == 403
    flow2_account.refresh_from_db()
    assert flow2_account.status == status
    assert not AuditEvent.objects.exists()


def test_staff_without_the_support_permission_cannot_see_the_queue(staff_client, flow2_account):
    assert staff_client.get(QUEUE_URL).status_code == 403
    assert staff_client.get(account_url(flow2_account)).status_code == 403


def test_an_agent_with_view_permission_only_sees_no_actions_and_cannot_post(client, flow2_account):
    from django.contrib.auth.models import Permission

    from backoffice.tests.conftest import make_staff

    viewer = make_staff("vic@audit.example", support=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_account"))
    client.force_login(viewer)
    page = client.get(account_url(flow2_account))
    assert page.status_code == 200 and page.context["actions"] == []
    response = client.post(
        QUEUE_URL, {"action": "bulk_reject", "_selected_action": [flow2_account.pk], "index": 0}
    )
    assert response.status_code == 403


def test_non_staff_cannot_reach_the_queue(client, flow2_account):
    client.force_login(flow2_account)
    response = client.get(QUEUE_URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("action", [a for a in ACTION_SETUP if a != "activate"])
def test_each_action_asks_for_confirmation_before_acting(agent_client, flow2_account, action):
    status, reason, _data = ACTION_SETUP[action]
    User.objects.filter(pk=flow2_account.pk).update(status=status, pending_reason=reason)
    response = agent_client.get(action_url(flow2_account, action))
    assert response.status_code == 200
    assert 'id="confirm-form"' in response.content.decode()
    flow2_account.refresh_from_db()
    assert flow2_account.status == status
    assert not AuditEvent.objects.exists()


# --- activate ----------------------------------------------------------------------------------


def test_activating_confirms_the_company_and_office_emails_and_leaves_the_queue(
    agent_client, flow2_account, django_capture_on_commit_callbacks, mailoutbox
):
    office = flow2_account.offices.get()
    page = agent_client.get(action_url(flow2_account, "activate"))
    assert page.status_code == 200
    form = page.context["form"]
    assert form["company"].initial == str(flow2_account.company_id)
    assert form["offices"].initial == [office.pk]

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            action_url(flow2_account, "activate"),
            {"company": flow2_account.company_id, "offices": [office.pk], "note": "Checked."},
        )

    assert response.status_code == 302 and response["Location"] == QUEUE_URL
    flow2_account.refresh_from_db()
    assert (flow2_account.status, flow2_account.pending_reason) == ("activated", "")
    event = audit("user.activated")
    assert (event.actor_type, event.actor_user.email) == ("staff", "sam@support.example")
    assert event.changes["status"] == ["pending", "activated"]
    assert event.note == "Checked."
    assert emails_to(flow2_account, "activated_by_support") == 1
    assert emails_to(flow2_account, "welcome") == 0
    assert [m.subject for m in mailoutbox] == ["Your CargoMART account is active, Alex"]
    queue = agent_client.get(QUEUE_URL)
    assert flow2_account not in queue.context["cl"].result_list


def test_activating_can_move_the_account_to_an_existing_company_and_its_office(
    agent_client, flow2_account, directory
):
    # flow2_account's request carries ACME's CASS: ACME is suggested with its offices.
    response = agent_client.post(
        action_url(flow2_account, "activate"),
        {"company": directory.acme.pk, "offices": [directory.ham.pk]},
    )
    assert response.status_code == 302
    flow2_account.refresh_from_db()
    assert flow2_account.company == directory.acme
    assert list(flow2_account.offices.all()) == [directory.ham]  # the flow-2 office is gone


def test_activating_can_create_the_company_and_the_office(agent_client):
    user = pending(
        "dana@fresh-cargo.fr",
        request_data={"companyName": "Fresh Cargo", "countryCode": "FR", "offices": []},
    )
    response = agent_client.post(
        action_url(user, "activate"),
        {
            "company": "new",
            "new_company_name": "Fresh Cargo SARL",
            "new_company_country": "FR",
            "new_company_domain": "fresh-cargo.fr",
            "create_office": "on",
            "new_office_country": "FR",
            "new_office_airport": "CDG",
            "new_office_iata": "",
            "new_office_cass": "",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    user.refresh_from_db()
    assert user.status == "activated"
    assert user.company.legal_name == "Fresh Cargo SARL"
    assert CompanyDomain.objects.get(domain="fresh-cargo.fr").company == user.company
    assert [o.airport_code for o in user.offices.all()] == ["CDG"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"company": "COMPANY"}, "Choose at least one office"),
        ({"company": "new", "new_company_name": ""}, "needs a legal name and a country"),
        (
            {
                "company": "COMPANY",
                "create_office": "on",
                "new_office_country": "DE",
                "new_office_airport": "JFK",
            },
            "JFK is not an airport in DE",
        ),
    ],
)
def test_an_incomplete_activation_is_shown_again_with_the_problem(
    agent_client, flow2_account, data, error
):
    data = {k: flow2_account.company_id if v == "COMPANY" else v for k, v in data.items()}
    response = agent_client.post(action_url(flow2_account, "activate"), data)
    assert response.status_code == 200
    assert error in response.content.decode()
    flow2_account.refresh_from_db()
    assert flow2_account.status == "pending"


def test_activating_twice_makes_one_transition_and_one_email(agent_client, flow2_account):
    office = flow2_account.offices.get()
    data = {"company": flow2_account.company_id, "offices": [office.pk]}
    agent_client.post(action_url(flow2_account, "activate"), data)
    again = agent_client.post(action_url(flow2_account, "activate"), data, follow=True)
    assert AuditEvent.objects.filter(action="user.activated").count() == 1
    assert emails_to(flow2_account, "activated_by_support") == 1
    assert "was not activated: it is activated" in again.content.decode()


# --- reject, resend, re-open, erase ------------------------------------------------------------


def test_rejecting_disables_with_the_reason_emailed_and_audited(
    agent_client, flow2_account, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            action_url(flow2_account, "reject"), {"reason": "We could not verify Newco."}
        )
    assert response.status_code == 302
    flow2_account.refresh_from_db()
    assert (flow2_account.status, flow2_account.pending_reason) == ("disabled", "")
    event = audit("user.disabled")
    assert event.actor_user.email == "sam@support.example"
    assert event.note == "Rejected: We could not verify Newco."
    assert emails_to(flow2_account, "rejected") == 1
    assert "We could not verify Newco." in mailoutbox[0].body


def test_a_rejection_needs_a_reason(agent_client, flow2_account):
    response = agent_client.post(action_url(flow2_account, "reject"), {"reason": "  "})
    assert response.status_code == 200
    flow2_account.refresh_from_db()
    assert flow2_account.status == "pending"


def test_resending_the_completion_link_issues_a_new_one_and_emails_it(
    agent_client, django_capture_on_commit_callbacks, mailoutbox
):
    user = pending("eli@nocass.example", reason=PendingReason.AWAITING_DETAILS)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(action_url(user, "resend_link"), {})
    assert response.status_code == 302
    assert CompletionLink.objects.filter(user=user, superseded_at__isnull=True).count() == 1
    assert audit("user.completion_link_sent").actor_user.email == "sam@support.example"
    assert emails_to(user, "completion_link") == 1
    # A second click right after sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(action_url(user, "resend_link"), {})
    assert emails_to(user, "completion_link") == 1
    assert len(mailoutbox) == 1


def test_reopening_puts_a_rejected_account_back_in_the_queue(agent_client, flow2_account):
    User.objects.filter(pk=flow2_account.pk).update(status="disabled", pending_reason="")
    response = agent_client.post(action_url(flow2_account, "reopen"), {"note": "Appeal."})
    assert response.status_code == 302
    flow2_account.refresh_from_db()
    assert (flow2_account.status, flow2_account.pending_reason) == ("pending", "awaiting_support")
    event = audit("user.pending")
    assert (event.actor_user.email, event.note) == ("sam@support.example", "Appeal.")
    assert emails_to(flow2_account, "pending") == 1
    assert flow2_account in agent_client.get(QUEUE_URL).context["cl"].result_list


def test_erasing_keeps_a_pseudonymous_trail_and_scrubs_emails_and_notes(
    agent_client, flow2_account, agent
):
    OutboxMessage.objects.create(
        kind="email", template="pending", recipient="carl@newco-air.de", context={"x": "Carl"}
    )
    AccountNote.objects.create(user=flow2_account, author=agent, body="Carl's mobile: +49 170")
    User.objects.filter(pk=flow2_account.pk).update(status="deleted", pending_reason="")

    refused = agent_client.post(action_url(flow2_account, "erase"), {})  # box not ticked
    assert refused.status_code == 200
    response = agent_client.post(action_url(flow2_account, "erase"), {"confirm": "on"})

    assert response.status_code == 302
    flow2_account.refresh_from_db()
    assert flow2_account.email == f"erased-{flow2_account.pk}@erased.invalid"
    assert (flow2_account.first_name, flow2_account.last_name) == ("", "")
    assert "firstName" not in flow2_account.request_data
    assert flow2_account.request_data["companyName"] == "Newco Air Freight"
    assert audit("user.erased").actor_user.email == "sam@support.example"
    message = OutboxMessage.objects.get()
    assert (message.recipient, message.context, message.status) == (
        flow2_account.email,
        {},
        "failed",
    )
    assert "+49" not in AccountNote.objects.get().body
    trail = str(list(AuditEvent.objects.values()))
    assert "carl@newco-air.de" not in trail


def test_a_pending_account_cannot_be_erased(agent_client, flow2_account):
    page = agent_client.get(action_url(flow2_account, "erase"))
    assert "does not apply to this account" in page.content.decode()
    agent_client.post(action_url(flow2_account, "erase"), {"confirm": "on"})
    flow2_account.refresh_from_db()
    assert flow2_account.email == "carl@newco-air.de"


# --- bulk ----------------------------------------------------------------------------------------


def bulk(client, action: str, users, confirm: dict | None = None, query: str = ""):
    data = {"action": f"bulk_{action}", "_selected_action": [u.pk for u in users]}
    if confirm is None:
        data["index"] = 0  # the changelist's own form: shows the confirmation
    else:
        data.update(confirm, confirm="yes")
    return client.post(QUEUE_URL + query, data)


def test_bulk_rejection_confirms_then_rejects_each_with_one_reason(agent_client):
    users = [pending(f"spam{n}@spam.example") for n in range(3)]
    page = bulk(agent_client, "reject", users)
    assert page.status_code == 200
    assert "Reject 3 accounts" in page.content.decode()
    assert User.objects.filter(status="disabled").count() == 0

    response = bulk(agent_client, "reject", users, {"reason": "Not forwarders."})

    assert response.status_code == 302
    assert User.objects.filter(status="disabled").count() == 3
    assert AuditEvent.objects.filter(action="user.disabled", actor_user__isnull=False).count() == 3
    assert OutboxMessage.objects.filter(template="rejected").count() == 3


def test_bulk_activation_confirms_each_account_as_it_is_and_skips_the_incomplete(
    agent_client, flow2_account
):
    no_company = pending("solo@nowhere.example")
    page = bulk(agent_client, "activate", [flow2_account, no_company])
    assert "No company owns its domain or CASS" in page.content.decode()

    response = bulk(agent_client, "activate", [flow2_account, no_company], {"note": ""})

    assert response.status_code == 302
    flow2_account.refresh_from_db()
    no_company.refresh_from_db()
    assert (flow2_account.status, no_company.status) == ("activated", "pending")
    assert OutboxMessage.objects.filter(template="activated_by_support").count() == 1


def test_bulk_resend_reopen_and_erase(agent_client):
    waiting = [pending(f"w{n}@a.example", reason=PendingReason.AWAITING_DETAILS) for n in range(2)]
    bulk(agent_client, "resend_link", waiting, {})
    assert OutboxMessage.objects.filter(template="completion_link").count() == 2

    rejected = [
        UserFactory(email=f"r{n}@a.example", status="disabled", pending_reason="") for n in range(2)
    ]
    bulk(agent_client, "reopen", rejected, {"note": ""}, query="?status=disabled")
    assert User.objects.filter(pk__in=[u.pk for u in rejected], status="pending").count() == 2

    deleted = [
        UserFactory(email=f"d{n}@a.example", status="deleted", pending_reason="") for n in range(2)
    ]
    bulk(agent_client, "erase", deleted, {"confirm": "on"}, query="?status=deleted")
    assert User.objects.filter(email__endswith="@erased.invalid").count() == 2
    assert AuditEvent.objects.filter(action="user.erased").count() == 2


def test_bulk_actions_are_capped(agent_client, monkeypatch):
    monkeypatch.setattr("backoffice.admin.queue_page.MAX_BULK", 2)
    users = [pending(f"c{n}@a.example") for n in range(3)]
    response = bulk(agent_client, "reject", users, {"reason": "x"})
    assert response.status_code == 302
    assert User.objects.filter(status="disabled").count() == 0


def test_the_activation_form_ticks_only_offices_at_a_requested_airport(agent_client, directory):
    user = pending(
        "nina@acme-cargo.de",
        company=directory.acme,
        request_data={
            "companyName": "ACME",
            "countryCode": "DE",
            "offices": [{"countryCode": "DE", "officeAirportCode": "FRA"}],
        },
    )
    form = agent_client.get(action_url(user, "activate")).context["form"]
    assert form["offices"].initial == [directory.fra.pk]
    user.request_data = {"companyName": "ACME", "countryCode": "DE", "offices": []}
    user.save(update_fields=["request_data"])
    form = agent_client.get(action_url(user, "activate")).context["form"]
    assert form["offices"].initial == []
