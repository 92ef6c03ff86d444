"""Staff with an authenticator sign in with its code; staff without one with the password
alone, unless STAFF_REQUIRE_TOTP is on. Only superusers enrol, and the key is shown once."""

from base64 import b32encode

import pytest
from django.contrib.auth.models import Permission
from django.utils.html import escape
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.tests.conftest import QUEUE_URL, make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
REFUSED = "and the current authenticator code if your account has one"
DEVICES_URL = "/admin/otp_totp/totpdevice/"


def sign_in(client, email: str, code: str | None = None, password: str = PASSWORD):
    data = {"username": email, "password": password}
    if code is not None:
        data["otp_token"] = code
    return client.post("/admin/login/", data, REMOTE_ADDR="203.0.113.7")


def current_code(device: TOTPDevice) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(current_code(device)) + 500_000) % 1_000_000:06d}"


def with_password(user):
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def agent():
    return with_password(make_staff("sam@support.example", support=True))


@pytest.fixture
def device(agent):
    return TOTPDevice.objects.create(user=agent, name="Phone")


@pytest.fixture
def admin_client(client):
    admin = make_staff("ada@admin.example", support=False)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    client.force_login(admin)
    return client


def test_staff_without_an_authenticator_sign_in_with_the_password(client, agent):
    assert sign_in(client, agent.email).status_code == 302
    assert client.get(QUEUE_URL).status_code == 200


def test_a_code_is_refused_without_the_code(client, agent, device):
    response = sign_in(client, agent.email)
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_code_is_refused_like_a_wrong_password(client, agent, device):
    response = sign_in(client, agent.email, wrong_code(device))
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_right_code_signs_in_and_opens_the_queue(client, agent, device):
    assert sign_in(client, agent.email, current_code(device)).status_code == 302
    assert client.get(QUEUE_URL).status_code == 200
    device.refresh_from_db()
    assert device.last_used_at is not None


def test_a_code_is_good_for_one_sign_in(client, agent, device):
    code = current_code(device)
    assert sign_in(client, agent.email, code).status_code == 302
    client.logout()
    assert sign_in(client, agent.email, code).status_code == 200


def test_missing_and_wrong_codes_count_towards_the_lockout(client, agent, device, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, agent.email).status_code == 200
    assert sign_in(client, agent.email, wrong_code(device)).status_code == 429


def test_a_wrong_password_with_the_right_code_is_refused(client, agent, device):
    response = sign_in(client, agent.email, current_code(device), password="guess")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_unconfirmed_device_is_not_asked_for(client, agent):
    TOTPDevice.objects.create(user=agent, name="Not set up yet", confirmed=False)
    assert sign_in(client, agent.email).status_code == 302


def test_when_required_staff_without_an_authenticator_are_told_to_ask_for_one(
    client, agent, settings
):
    settings.STAFF_REQUIRE_TOTP = True
    response = sign_in(client, agent.email)
    assert response.status_code == 200
    assert "Ask an administrator to enrol you" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_when_required_an_old_session_without_an_authenticator_is_sent_to_sign_in(
    agent_client, settings
):
    settings.STAFF_REQUIRE_TOTP = True
    response = agent_client.get(QUEUE_URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_when_required_staff_with_an_authenticator_sign_in_with_its_code(
    client, agent, device, settings
):
    settings.STAFF_REQUIRE_TOTP = True
    assert sign_in(client, agent.email, current_code(device)).status_code == 302
    assert client.get(QUEUE_URL).status_code == 200


def test_a_session_not_verified_by_the_code_cannot_open_admin_pages(client, agent, device):
    client.force_login(agent)  # e.g. a session from before enrolment, or another login path
    response = client.get(QUEUE_URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get("/admin/").status_code == 302


def test_an_administrator_enrols_a_staff_member_and_sees_the_key_once(admin_client, agent):
    response = admin_client.post(f"{DEVICES_URL}add/", {"user": agent.pk, "name": "Sam's phone"})
    device = TOTPDevice.objects.get(user=agent)
    assert device.confirmed
    assert response.status_code == 302
    provisioning = response["Location"]
    assert provisioning == f"{DEVICES_URL}{device.pk}/provisioning/"

    page = admin_client.get(provisioning)
    assert page.status_code == 200
    secret = b32encode(device.bin_key).decode()
    assert escape(device.config_url) in page.content.decode()
    assert "otpauth://totp/" in device.config_url and secret in device.config_url

    assert admin_client.get(provisioning).status_code == 403
    for url in (DEVICES_URL, f"{DEVICES_URL}{device.pk}/change/"):
        html = admin_client.get(url).content.decode()
        assert secret not in html and device.key not in html
    assert admin_client.get(f"{DEVICES_URL}{device.pk}/config/").status_code == 403


def test_the_add_page_neither_shows_nor_takes_a_key(admin_client, agent):
    response = admin_client.get(f"{DEVICES_URL}add/")
    assert response.status_code == 200
    assert 'name="key"' not in response.content.decode()
    admin_client.post(f"{DEVICES_URL}add/", {"user": agent.pk, "name": "Phone", "key": "00" * 20})
    assert TOTPDevice.objects.get(user=agent).key != "00" * 20


def test_only_staff_can_be_given_an_authenticator(admin_client):
    forwarder = make_staff("fred@forwarder.example", support=False)
    forwarder.is_staff = False
    forwarder.save(update_fields=["is_staff"])
    response = admin_client.post(f"{DEVICES_URL}add/", {"user": forwarder.pk, "name": "Phone"})
    assert response.status_code == 200
    assert not TOTPDevice.objects.exists()


def test_staff_who_are_not_superusers_cannot_enrol(client):
    staff = make_staff("eve@staff.example", support=False)
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="otp_totp"))
    client.force_login(staff)
    assert client.get(DEVICES_URL).status_code == 403
    assert client.get(f"{DEVICES_URL}add/").status_code == 403


def test_an_enrolled_staff_member_signs_in_with_the_new_app(admin_client, client, agent):
    admin_client.post(f"{DEVICES_URL}add/", {"user": agent.pk, "name": "Phone"})
    device = TOTPDevice.objects.get(user=agent)
    assert sign_in(client, agent.email).status_code == 200
    # A missing code is not checked, so the device's throttle is not bumped: no wait.
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    assert sign_in(client, agent.email, current_code(device)).status_code == 302
