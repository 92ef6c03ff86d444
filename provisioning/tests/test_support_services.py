"""Support's transitions as services: idempotent, refused from the wrong status, audited with
the staff member, and their email queued only with a committed change."""

import pytest
from django.db import transaction

from provisioning.accounts.errors import InvalidTransition
from provisioning.accounts.inputs import OfficeInput
from provisioning.accounts.transitions import (
    CompanyDraft,
    user_activate_by_support,
    user_erase,
    user_reject,
    user_reopen,
    user_resend_completion_link,
)
from provisioning.audit.records import Actor
from provisioning.models import AuditEvent, OutboxMessage, User, UserStatus
from provisioning.tests.factories import CompanyFactory, OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(
        email="sam@support.example", is_staff=True, status="activated", pending_reason=""
    )


@pytest.fixture
def account():
    return UserFactory(email="carl@newco.example")


def test_each_transition_is_done_once(account, staff):
    actor = Actor.staff(staff)
    office = OfficeFactory()
    steps = [
        lambda: user_activate_by_support(
            user=account, actor=actor, company=office.company, offices=[office]
        ),
        lambda: user_reject(user=account, reason="Duplicate.", actor=actor),
        lambda: user_reopen(user=account, actor=actor),
    ]
    for step in steps:
        assert step().changed
        assert not step().changed
    assert list(AuditEvent.objects.order_by("id").values_list("action", "actor_user__email")) == [
        ("user.activated", "sam@support.example"),
        ("user.disabled", "sam@support.example"),
        ("user.pending", "sam@support.example"),
    ]
    assert list(OutboxMessage.objects.order_by("id").values_list("template", flat=True)) == [
        "activated_by_support",
        "rejected",
        "pending",
    ]


def test_activation_needs_an_office_of_the_chosen_company(account, staff):
    other = OfficeFactory()
    with pytest.raises(InvalidTransition, match="at least one office"):
        user_activate_by_support(user=account, actor=Actor.staff(staff), company=CompanyFactory())
    with pytest.raises(InvalidTransition, match="must belong to"):
        user_activate_by_support(
            user=account, actor=Actor.staff(staff), company=CompanyFactory(), offices=[other]
        )


def test_a_refused_activation_creates_no_company(account, staff):
    with pytest.raises(InvalidTransition):
        user_activate_by_support(
            user=account,
            actor=Actor.staff(staff),
            new_company=CompanyDraft(legal_name="Ghost Cargo", country="DE"),
        )
    assert not account.company and not User.objects.get(pk=account.pk).company


def test_activation_creates_the_company_with_its_domain_and_office(account, staff):
    outcome = user_activate_by_support(
        user=account,
        actor=Actor.staff(staff),
        new_company=CompanyDraft(legal_name="Newco", country="DE", domain="newco.example"),
        new_office=OfficeInput(country="DE", airport_code="MUC"),
    )
    assert outcome.user.company.domains.get().domain == "newco.example"
    assert [o.airport_code for o in outcome.user.offices.all()] == ["MUC"]


@pytest.mark.parametrize(
    ("status", "service"),
    [
        ("deleted", "activate"),
        ("deleted", "reject"),
        ("deleted", "reopen"),
        ("activated", "resend"),
        ("pending", "erase"),
        ("activated", "erase"),
    ],
)
def test_transitions_from_the_wrong_status_are_refused(account, staff, status, service):
    User.objects.filter(pk=account.pk).update(
        status=status, pending_reason="awaiting_support" if status == "pending" else ""
    )
    actor = Actor.staff(staff)
    call = {
        "activate": lambda: user_activate_by_support(
            user=account, actor=actor, company=CompanyFactory()
        ),
        "reject": lambda: user_reject(user=account, reason="x", actor=actor),
        "reopen": lambda: user_reopen(user=account, actor=actor),
        "resend": lambda: user_resend_completion_link(user=account, actor=actor),
        "erase": lambda: user_erase(user=account, actor=actor),
    }[service]
    with pytest.raises(InvalidTransition):
        call()
    assert not AuditEvent.objects.exists()


def test_staff_accounts_are_not_acted_on(staff):
    with pytest.raises(InvalidTransition):
        user_reject(user=staff, reason="x", actor=Actor.staff(staff))


def test_erasing_twice_erases_once_and_an_erased_account_is_not_reopened(account, staff):
    User.objects.filter(pk=account.pk).update(status=UserStatus.DISABLED, pending_reason="")
    assert user_erase(user=account, actor=Actor.staff(staff)).changed
    assert not user_erase(user=account, actor=Actor.staff(staff)).changed
    with pytest.raises(InvalidTransition, match="erased"):
        user_reopen(user=account, actor=Actor.staff(staff))


def test_a_rolled_back_rejection_sends_nothing(
    account, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        user_reject(user=account, reason="x", actor=Actor.staff(staff))
        raise RuntimeError("the caller failed")
    assert mailoutbox == []
    assert User.objects.get(pk=account.pk).status == "pending"


def test_erasing_pseudonymises_the_partner_events_and_their_webhooks(staff):
    from provisioning.models import Membership, PartnerEvent
    from provisioning.tests.factories import PartnerFactory

    partner = PartnerFactory(webhook_url="https://hooks.example/x", webhook_secret="s" * 32)
    account = UserFactory(email="gina@erase.example")
    Membership.objects.create(user=account, partner=partner)
    user_reject(user=account, reason="Duplicate.", actor=Actor.staff(staff))
    event = PartnerEvent.objects.get(user=account)
    assert event.payload["data"]["user"]["email"] == "gina@erase.example"

    user_erase(user=account, actor=Actor.staff(staff))

    event.refresh_from_db()
    assert event.type == "user.disabled"
    assert event.payload["data"]["user"]["email"] == f"erased-{account.pk}@erased.invalid"
    assert "gina@" not in str(event.delivery.context)
    assert not PartnerEvent.objects.filter(type="user.erased").exists()


def test_support_transitions_become_partner_events_and_notes_do_not(staff):
    from provisioning.models import Membership, PartnerEvent
    from provisioning.tests.factories import PartnerFactory

    account = UserFactory(email="hugo@events.example")
    Membership.objects.create(user=account, partner=PartnerFactory())
    office = OfficeFactory()
    actor = Actor.staff(staff)
    user_activate_by_support(user=account, actor=actor, company=office.company, offices=[office])
    user_reject(user=account, reason="x", actor=actor)
    user_reopen(user=account, actor=actor)
    user_resend_completion_link(user=account, actor=actor)
    assert list(PartnerEvent.objects.order_by("id").values_list("type", flat=True)) == [
        "user.activated",
        "user.disabled",
        "user.pending",
    ]
