"""The provisioning services themselves: transitions are idempotent, audited, and a
rolled-back change sends nothing."""

import pytest
from django.db import transaction

from provisioning.accounts.errors import InvalidTransition
from provisioning.accounts.inputs import UserInput
from provisioning.accounts.services import user_create
from provisioning.accounts.transitions import user_activate
from provisioning.audit.records import Actor
from provisioning.models import AuditEvent, OutboxMessage, User

pytestmark = pytest.mark.django_db


def new_user(partner, email="carl@newco.example"):
    data = UserInput(
        email=email, first_name="Carl", last_name="Meyer", company_name="NewCo", country="DE"
    )
    return user_create(partner=partner, data=data, actor=Actor.system()).user


def test_activating_twice_changes_and_emails_once(
    partner, directory, mailoutbox, django_capture_on_commit_callbacks
):
    user = new_user(partner)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            user_activate(
                user=user, company=directory.acme, offices=[directory.ham], actor=Actor.system()
            )
    user.refresh_from_db()
    assert (user.status, user.pending_reason, user.company) == ("activated", "", directory.acme)
    assert AuditEvent.objects.filter(action="user.activated").count() == 1
    assert [m.subject for m in mailoutbox] == ["Welcome to CargoMART, Carl: your account is active"]
    assert not user.completion_links.filter(superseded_at__isnull=True).exists()


def test_a_deleted_account_cannot_be_activated(partner, directory):
    user = new_user(partner)
    User.objects.filter(pk=user.pk).update(status="deleted", pending_reason="")
    with pytest.raises(InvalidTransition):
        user_activate(user=user, company=directory.acme, offices=[], actor=Actor.system())


def test_a_rolled_back_create_sends_nothing(
    partner, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        new_user(partner)
        raise RuntimeError("the caller failed after the service")
    assert mailoutbox == []
    assert not User.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_the_completion_link_stays_out_of_the_audit_trail(partner):
    user = new_user(partner)
    link_url = OutboxMessage.objects.get().context["completion_url"]
    token = link_url.rsplit("/", 1)[1]
    trail = str(list(AuditEvent.objects.filter(user=user).values()))
    assert "Completion link #" in trail  # the sending is recorded, the link is not
    assert token not in trail
