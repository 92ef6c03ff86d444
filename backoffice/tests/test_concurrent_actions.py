"""Two agents activating the same account at the same moment: one transition, one email."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from backoffice.tests.conftest import action_url, make_staff
from provisioning.models import AuditEvent, OutboxMessage, User

AGENTS = 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_agents_activating_one_account_at_once_make_one_transition_and_one_email(
    postgres_only, flow2_account
):
    agents = [make_staff(f"agent{n}@support.example", support=True) for n in range(AGENTS)]
    office = flow2_account.offices.get()
    start = threading.Barrier(AGENTS)

    def activate(agent):
        try:
            client = Client()
            client.force_login(agent)
            start.wait(timeout=30)
            return client.post(
                action_url(flow2_account, "activate"),
                {"company": flow2_account.company_id, "offices": [office.pk]},
            ).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=AGENTS) as pool:
        statuses = list(pool.map(activate, agents))

    assert statuses == [302] * AGENTS
    assert User.objects.get(pk=flow2_account.pk).status == "activated"
    assert AuditEvent.objects.filter(action="user.activated").count() == 1
    assert OutboxMessage.objects.filter(template="activated_by_support").count() == 1
