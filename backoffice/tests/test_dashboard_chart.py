"""The queue's 30-day chart: accounts created pending and activations per day, from one
aggregate query, drawn as SVG with the same numbers in a table."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.selectors.dashboard import daily_activity
from backoffice.tests.conftest import QUEUE_URL, pending
from provisioning.models import AuditEvent

pytestmark = pytest.mark.django_db


def event(action, days_ago, status):
    AuditEvent.objects.create(
        created_at=timezone.now() - timedelta(days=days_ago),
        actor_type="system",
        action=action,
        user=pending(f"{action}{days_ago}{status}{AuditEvent.objects.count()}@chart.example"),
        changes={"status": [None, status]},
    )


def test_the_chart_counts_per_day_in_one_query(django_assert_num_queries):
    event("user.created", 0, "pending")
    event("user.created", 0, "pending")
    event("user.created", 0, "activated")  # activated at once: never in the queue
    event("user.activated", 2, "activated")
    event("user.created", 40, "pending")  # outside the window

    with django_assert_num_queries(1):
        daily = daily_activity()

    assert len(daily.days) == 30
    assert daily.days[-1].day == timezone.localdate()
    assert (daily.days[-1].created, daily.days[-1].activated) == (2, 0)
    assert (daily.days[-3].created, daily.days[-3].activated) == (0, 1)
    assert (daily.total_created, daily.total_activated) == (2, 1)


def test_the_queue_draws_the_chart_with_its_numbers_as_text(agent_client):
    event("user.created", 1, "pending")
    page = agent_client.get(QUEUE_URL).content.decode()
    assert '<svg class="daily-chart"' in page
    assert 'class="bar-created"' in page
    yesterday = timezone.localdate() - timedelta(days=1)
    assert f"<td>{yesterday.day} {yesterday:%b %Y}</td><td>1</td><td>0</td>" in page
