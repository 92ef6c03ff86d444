"""The Support group holds exactly what an agent needs, created by migration."""

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def test_the_support_group_has_exactly_the_support_permissions():
    group = Group.objects.get(name="Support")
    assert sorted(
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    ) == [
        "backoffice.act_on_accounts",
        "backoffice.add_accountnote",
        "backoffice.view_account",
        "backoffice.view_accountnote",
        "provisioning.view_accessrequest",
        "provisioning.view_company",
        "provisioning.view_companydomain",
        "provisioning.view_office",
    ]


def test_an_agent_sees_the_queue_and_companies_but_not_partners_or_keys(agent_client):
    assert agent_client.get("/admin/backoffice/account/").status_code == 200
    assert agent_client.get("/admin/provisioning/company/").status_code == 200
    assert agent_client.get("/admin/provisioning/partner/").status_code == 403
    assert agent_client.get("/admin/provisioning/apikey/").status_code == 403
    assert agent_client.get("/admin/provisioning/user/").status_code == 403
