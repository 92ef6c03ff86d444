"""One reminder per completion link left unused for 3 days, even with several workers."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from provisioning.accounts.links import completion_link_issue
from provisioning.accounts.services import user_send_completion_link
from provisioning.audit.records import Actor
from provisioning.forwarder.completion import completion_reminders_send
from provisioning.models import AuditEvent, CompletionLink, OutboxMessage
from provisioning.tests.factories import UserFactory


def waiting_user(email="carl@newco.example"):
    return UserFactory(email=email, first_name="Carl", pending_reason="awaiting_details")


def age(link: CompletionLink, days: float) -> None:
    created = timezone.now() - timedelta(days=days)
    CompletionLink.objects.filter(pk=link.pk).update(
        created_at=created, expires_at=created + timedelta(days=7)
    )


@pytest.mark.django_db
def test_a_link_unused_for_three_days_gets_one_reminder(
    mailoutbox, django_capture_on_commit_callbacks
):
    user = waiting_user()
    link = completion_link_issue(user=user)
    age(link, days=2.9)
    assert completion_reminders_send() == 0

    age(link, days=3.1)
    with django_capture_on_commit_callbacks(execute=True):
        assert completion_reminders_send() == 1
        assert completion_reminders_send() == 0  # the next beat run
    (email,) = mailoutbox
    assert email.subject.startswith("Reminder: Carl, your CargoMART account is waiting")
    assert f"/complete/{link.pk}." in email.body  # the same link, still valid
    assert AuditEvent.objects.filter(action="user.completion_reminder_sent").count() == 1


@pytest.mark.django_db
def test_used_replaced_expired_or_settled_links_get_no_reminder():
    used = completion_link_issue(user=waiting_user("a@one.example"))
    CompletionLink.objects.filter(pk=used.pk).update(used_at=timezone.now())
    replaced_user = waiting_user("b@two.example")
    replaced = completion_link_issue(user=replaced_user)
    user_send_completion_link(user=replaced_user, actor=Actor.system())
    expired = completion_link_issue(user=waiting_user("c@three.example"))
    settled = completion_link_issue(
        user=UserFactory(email="d@four.example", status="activated", pending_reason="")
    )
    for link in (used, replaced, expired, settled):
        age(link, days=3.5)
    age(expired, days=8)

    assert completion_reminders_send() == 0
    assert not OutboxMessage.objects.filter(template="completion_reminder").exists()


def test_the_beat_schedule_runs_the_reminders():
    entry = settings.CELERY_BEAT_SCHEDULE["completion-reminders"]
    assert entry["task"] == "provisioning.tasks.completion_reminders"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_sweeps_send_each_reminder_once(postgres_only):
    links = [completion_link_issue(user=waiting_user(f"u{i}@race.example")) for i in range(10)]
    for link in links:
        age(link, days=4)
    start = threading.Barrier(4)

    def sweep(_):
        try:
            start.wait(timeout=30)
            return completion_reminders_send()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        sent = list(pool.map(sweep, range(4)))

    assert sum(sent) == 10
    assert OutboxMessage.objects.filter(template="completion_reminder").count() == 10
