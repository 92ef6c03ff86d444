from io import StringIO

import pytest
from django.core.management import call_command

from provisioning.management.demo_data import DEMO_API_KEY, SUPPORT_EMAIL
from provisioning.models import PendingReason, User, UserStatus
from provisioning.partner_api.keys import api_key_authenticate
from recognition.models import CassRegistration

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def test_the_demo_prints_a_working_api_key_and_a_support_login(client):
    output = seed()
    assert f"Demo API key:   {DEMO_API_KEY}" in output
    assert api_key_authenticate(DEMO_API_KEY).partner.name == "Demo Freight Software"
    signed_in = client.post(
        "/admin/login/", {"username": SUPPORT_EMAIL, "password": "support-demo-password"}
    )
    assert signed_in.status_code == 302
    assert client.get("/admin/", follow=True).redirect_chain == [
        ("/admin/backoffice/account/", 302)
    ]


def test_the_demo_support_login_is_an_agent_of_the_support_group_not_a_superuser():
    seed()
    support = User.objects.get(email=SUPPORT_EMAIL)
    assert (support.is_staff, support.is_superuser) == (True, False)
    assert list(support.groups.values_list("name", flat=True)) == ["Support"]
    assert support.has_perm("backoffice.act_on_accounts")


def test_the_demo_queue_has_pending_accounts_of_every_reason():
    seed()
    pending = User.objects.filter(status=UserStatus.PENDING)
    assert pending.count() >= 50
    assert set(pending.values_list("pending_reason", flat=True)) == set(PendingReason.values)


def test_the_demo_has_users_in_every_status_and_a_cass_directory():
    seed()
    statuses = set(User.objects.filter(is_staff=False).values_list("status", flat=True))
    assert statuses == set(UserStatus.values)
    assert CassRegistration.objects.values("company").distinct().count() >= 4


def test_seeding_twice_adds_nothing():
    seed()
    counts = (User.objects.count(), CassRegistration.objects.count())
    output = seed()
    assert (User.objects.count(), CassRegistration.objects.count()) == counts
    assert DEMO_API_KEY in output
