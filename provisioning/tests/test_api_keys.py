"""API keys are issued from the command line and the admin, shown once, stored hashed."""

import re
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command

from provisioning.models import ApiKey, Partner
from provisioning.partner_api.keys import api_key_authenticate
from provisioning.tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_the_command_prints_a_working_key_once_and_stores_its_hash():
    partner = PartnerFactory(name="Freight Soft")
    raw, err = run("Freight Soft", "--name", "production")
    key = ApiKey.objects.get()
    assert api_key_authenticate(raw) == key
    assert (key.partner, key.name) == (partner, "production")
    assert raw not in err and raw not in key.hashed_key
    assert "will not be shown again" in err


def test_the_command_refuses_an_unknown_partner_unless_asked_to_create_it():
    with pytest.raises(CommandError, match="--create-partner"):
        run("Nobody")
    raw, _ = run("Nobody", "--create-partner")
    assert api_key_authenticate(raw).partner == Partner.objects.get(name="Nobody")


def test_the_admin_shows_a_new_key_once(client):
    staff = UserFactory(
        email="admin@example.com",
        is_staff=True,
        is_superuser=True,
        status="activated",
        pending_reason="",
    )
    client.force_login(staff)
    partner = PartnerFactory(name="Freight Soft")
    response = client.post(
        "/admin/provisioning/apikey/add/", {"partner": partner.pk, "name": "staging"}, follow=True
    )
    assert response.status_code == 200
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    raw = re.search(r"The new API key is (\S+)", shown).group(1)
    assert api_key_authenticate(raw).name == "staging"
    page = client.get(f"/admin/provisioning/apikey/{ApiKey.objects.get().pk}/change/")
    assert raw not in page.content.decode()
