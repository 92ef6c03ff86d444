"""Repeated wrong passwords lock the staff sign-in for that account and address."""

import pytest

from backoffice.tests.conftest import make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def sign_in(client, email: str, password: str, address: str = "203.0.113.7"):
    return client.post(
        "/admin/login/", {"username": email, "password": password}, REMOTE_ADDR=address
    )


@pytest.fixture
def agent():
    user = make_staff("sam@support.example", support=True)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, agent.email, "guess").status_code == 200
    locked = sign_in(client, agent.email, "guess")
    assert locked.status_code == 429
    assert "Sign-in locked for now" in locked.content.decode()

    right = sign_in(client, agent.email, PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_whatever_the_letter_case_of_the_email(client, agent, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, agent.email.upper() if n % 2 else agent.email, "guess")
    assert sign_in(client, agent.email.title(), PASSWORD).status_code == 429


def test_a_locked_account_can_still_sign_in_from_another_address(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, agent.email, "guess")
    assert sign_in(client, agent.email, PASSWORD, address="198.51.100.20").status_code == 302


def test_a_colleague_at_the_same_address_is_not_locked_out(client, agent, settings):
    colleague = make_staff("kim@support.example", support=True)
    colleague.set_password(PASSWORD)
    colleague.save(update_fields=["password"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, agent.email, "guess")
    assert sign_in(client, colleague.email, PASSWORD).status_code == 302


def test_a_success_resets_the_count_of_failures(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, agent.email, "guess")
    assert sign_in(client, agent.email, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, agent.email, "guess")
    assert sign_in(client, agent.email, PASSWORD).status_code == 302


# --- One normalisation for the lookup and the count; a limit per address -----------------------


@pytest.mark.parametrize("spelling", ["sam@support.example".replace("a", "\u0430", 1), "s\u0430m"])
def test_a_look_alike_spelling_neither_signs_in_nor_escapes_the_count(client, agent, spelling):
    """Only what the lockout counts under can sign in: a Cyrillic a is another address."""
    spelling = spelling if "@" in spelling else spelling + "@support.example"
    assert sign_in(client, spelling, PASSWORD).status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_dotless_i_does_not_sign_in_to_a_locked_account(client, settings):
    """On PostgreSQL `email__iexact` compares UPPER(), which folds a dotless i (U+0131) into
    I: that spelling signed in as `admin@…` while the lockout counted it apart. Run it on
    PostgreSQL too."""
    admin = make_staff("admin@example.com", support=True)
    admin.set_password(PASSWORD)
    admin.save(update_fields=["password"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "admin@example.com", "guess")
    assert sign_in(client, "admin@example.com", PASSWORD).status_code == 429
    dotless = sign_in(client, "adm\u0131n@example.com", PASSWORD)
    assert dotless.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_the_lookup_takes_the_spellings_the_count_merges(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, " SAM@Support.Example ", "guess")
    assert sign_in(client, "sam@support.example", PASSWORD).status_code == 429


def test_failures_spread_over_many_emails_lock_the_address(client, agent, settings):
    settings.AXES_IP_FAILURE_LIMIT = 12
    for n in range(11):  # each email stays under its own limit
        assert sign_in(client, f"guess{n % 4}@support.example", "guess").status_code == 200
    assert sign_in(client, "guess11@support.example", "guess").status_code == 429  # the 12th
    assert sign_in(client, agent.email, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    assert sign_in(client, agent.email, PASSWORD, address="198.51.100.20").status_code == 302
