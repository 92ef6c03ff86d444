"""Login tokens are one-time and short-lived; completion links are signed, single-use,
expire after 7 days, and a new one kills the older ones."""

from datetime import timedelta

import pytest
from django.utils import timezone

from provisioning.accounts.links import (
    CompletionLinkInvalid,
    completion_link_issue,
    completion_link_resolve,
    completion_link_token,
    completion_link_url,
    completion_link_use,
    login_link,
    login_token_create,
    login_token_redeem,
)
from provisioning.models import CompletionLink, LoginToken, Membership
from provisioning.models.links import hash_token
from provisioning.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def membership():
    return MembershipFactory(
        user=UserFactory(status="activated", pending_reason=""),
    )


def test_a_login_token_is_stored_hashed_and_works_once(membership):
    token, raw = login_token_create(user=membership.user, partner=membership.partner)
    assert token.token_hash == hash_token(raw) and raw not in token.token_hash
    assert token.expires_at - token.created_at == timedelta(minutes=10)
    assert login_token_redeem(raw_token=raw) == membership.user
    assert login_token_redeem(raw_token=raw) is None


def test_an_expired_login_token_is_refused(membership):
    _, raw = login_token_create(user=membership.user, partner=membership.partner)
    past = timezone.now() - timedelta(minutes=11)
    LoginToken.objects.update(created_at=past, expires_at=past + timedelta(minutes=10))
    assert login_token_redeem(raw_token=raw) is None


@pytest.mark.parametrize("change", ["disabled", "deleted", "removed"])
def test_a_login_token_dies_with_the_account_or_the_membership(membership, change):
    _, raw = login_token_create(user=membership.user, partner=membership.partner)
    if change == "removed":
        Membership.objects.update(removed_at=timezone.now())
    else:
        type(membership.user).objects.update(status=change)
    assert login_token_redeem(raw_token=raw) is None


@pytest.mark.parametrize("raw", ["", "x" * 300, "not-a-token"])
def test_a_made_up_login_token_is_refused(db, raw):
    assert login_token_redeem(raw_token=raw) is None


def test_the_login_link_carries_the_token(settings):
    settings.PORTAL_URL = "https://portal.example/login?lang=en"
    assert login_link("abc-_1") == "https://portal.example/login?lang=en&auth=abc-_1"


def test_a_completion_link_resolves_until_used(db, settings):
    settings.SITE_URL = "https://back.example"
    user = UserFactory()
    link = completion_link_issue(user=user)
    url = completion_link_url(link)
    token = completion_link_token(link)
    assert url == f"https://back.example/complete/{token}"
    assert link.expires_at - link.created_at == timedelta(days=7)
    assert completion_link_resolve(token=token) == link
    assert completion_link_use(link=link)
    assert not completion_link_use(link=link)
    with pytest.raises(CompletionLinkInvalid) as error:
        completion_link_resolve(token=token)
    assert error.value.reason == "used"


def test_a_new_completion_link_supersedes_the_old_one(db):
    user = UserFactory()
    old = completion_link_token(completion_link_issue(user=user))
    new = completion_link_token(completion_link_issue(user=user))
    with pytest.raises(CompletionLinkInvalid) as error:
        completion_link_resolve(token=old)
    assert error.value.reason == "superseded"
    assert completion_link_resolve(token=new).user == user


def test_an_expired_completion_link_is_refused(db):
    link = completion_link_issue(user=UserFactory())
    CompletionLink.objects.update(
        created_at=timezone.now() - timedelta(days=8), expires_at=timezone.now()
    )
    with pytest.raises(CompletionLinkInvalid) as error:
        completion_link_resolve(token=completion_link_token(link))
    assert error.value.reason == "expired"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: "9" + t,
        lambda t: t.split(":")[0],
        lambda t: "",
    ],
)
def test_a_tampered_completion_link_is_refused(db, tamper):
    token = completion_link_token(completion_link_issue(user=UserFactory()))
    with pytest.raises(CompletionLinkInvalid) as error:
        completion_link_resolve(token=tamper(token))
    assert error.value.reason == "tampered"


def test_a_completion_link_signed_with_another_secret_is_refused(db, settings):
    link = completion_link_issue(user=UserFactory())
    token = completion_link_token(link)
    settings.SECRET_KEY = "another-secret-" + "x" * 50
    with pytest.raises(CompletionLinkInvalid):
        completion_link_resolve(token=token)


def test_the_emailed_link_opens_without_burning_it(client, db):
    link = completion_link_issue(user=UserFactory(pending_reason="awaiting_details"))
    response = client.get(completion_link_url(link).removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200
    link.refresh_from_db()
    assert link.used_at is None
