"""An agent takes an account ("assigned to me"); a second agent sees whose it is and is never
given it silently; releasing gives it back; both are audited; the queue filters by it."""

import pytest
from django.contrib.auth.models import Permission

from backoffice.models import AccountClaim
from backoffice.services import account_claim, account_release
from backoffice.tests.conftest import QUEUE_URL, account_url, make_staff, pending
from provisioning.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_an_agent_takes_an_account_and_a_second_agent_does_not_get_it_unknowingly(agent):
    other = make_staff("kim@support.example", support=True)
    user = pending("a@claims.example")

    assert account_claim(user=user, agent=agent).changed
    second = account_claim(user=user, agent=other)
    assert not second.changed and second.detail == "taken by Sam"
    assert AccountClaim.objects.get(user=user).agent == agent

    assert account_claim(user=user, agent=other, take_over=True).changed
    assert AccountClaim.objects.get(user=user).agent == other
    assert not account_release(user=user, agent=agent).changed  # not the holder any more
    assert account_release(user=user, agent=other).changed
    assert not AccountClaim.objects.filter(user=user).exists()
    actions = list(
        AuditEvent.objects.filter(user=user).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["user.claimed", "user.claimed", "user.released"]


def test_the_queue_shows_whose_account_it_is_and_filters_mine_and_unassigned(agent_client, agent):
    other = make_staff("kim@support.example", support=True)
    mine = pending("mine@claims.example")
    theirs = pending("theirs@claims.example")
    free = pending("free@claims.example")
    account_claim(user=mine, agent=agent)
    account_claim(user=theirs, agent=other)

    def listed(params):
        return sorted(
            u.email for u in agent_client.get(QUEUE_URL, params).context["cl"].result_list
        )

    assert listed({"assigned": "mine"}) == ["mine@claims.example"]
    assert listed({"assigned": "none"}) == ["free@claims.example"]
    assert listed({"assigned": "others"}) == ["theirs@claims.example"]
    page = agent_client.get(QUEUE_URL).content.decode()
    assert '<span class="badge badge-mine">me</span>' in page
    assert "Assigned to Kim" in page
    assert free.pk


def test_the_account_page_takes_releases_and_warns_before_taking_over(agent_client, agent):
    user = pending("page@claims.example")
    url = account_url(user, "claim/")

    agent_client.post(url)
    page = agent_client.get(account_url(user)).content.decode()
    assert "Assigned to you" in page and 'id="release-button"' in page

    agent_client.post(url, {"release": "1"})
    assert not AccountClaim.objects.filter(user=user).exists()

    account_claim(user=user, agent=make_staff("kim@support.example", support=True))
    page = agent_client.get(account_url(user)).content.decode()
    assert "Assigned to Kim" in page and 'id="take-over-button"' in page
    agent_client.post(url)  # without take_over: refused
    assert AccountClaim.objects.get(user=user).agent.email == "kim@support.example"


def test_an_auditor_cannot_take_accounts(client, db):
    auditor = make_staff("audit@support.example", support=False)
    auditor.user_permissions.add(Permission.objects.get(codename="view_account"))
    client.force_login(auditor)
    user = pending("x@claims.example")
    assert client.post(account_url(user, "claim/")).status_code == 403
