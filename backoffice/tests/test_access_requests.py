"""Support answers the access requests nobody is emailed about (a disabled account)."""

import pytest

from provisioning.accounts.inputs import UserInput
from provisioning.accounts.services import user_create
from provisioning.audit.records import Actor
from provisioning.models import AccessRequest, Membership, UserStatus
from provisioning.tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

URL = "/admin/provisioning/accessrequest/"


def ask_for_a_disabled_account() -> AccessRequest:
    data = UserInput(
        email="carl@newco.example",
        first_name="Carl",
        last_name="M",
        company_name="NewCo",
        country="DE",
    )
    user = user_create(
        partner=PartnerFactory(name="Freight Soft"), data=data, actor=Actor.system()
    ).user
    user.status, user.pending_reason = UserStatus.DISABLED, ""
    user.save(update_fields=["status", "pending_reason"])
    return user_create(
        partner=PartnerFactory(name="Cargo Tools"), data=data, actor=Actor.system()
    ).access


def test_an_agent_sees_the_request_support_must_answer_and_allows_it(agent_client):
    access = ask_for_a_disabled_account()
    page = agent_client.get(URL, {"open": "yes"}).content.decode()
    assert "carl@newco.example" in page and "Cargo Tools" in page and "support" in page
    agent_client.post(URL, {"action": "allow", "_selected_action": [access.pk]})
    access.refresh_from_db()
    assert access.decision == "allowed"
    assert Membership.objects.filter(partner__name="Cargo Tools", removed_at__isnull=True).exists()


def test_a_staff_member_without_the_support_permission_cannot_answer(staff_client):
    access = ask_for_a_disabled_account()
    staff_client.post(URL, {"action": "allow", "_selected_action": [access.pk]})
    access.refresh_from_db()
    assert access.decided_at is None
