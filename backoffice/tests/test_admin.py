"""Every admin page a support agent can reach renders, with its search and filters."""

from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from backoffice.models import Account
from provisioning.management.demo_data import ADMIN_EMAIL
from provisioning.models import ApiKey, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    call_command("seed_demo", force=True, stdout=StringIO())
    client.force_login(User.objects.get(email=ADMIN_EMAIL))
    return client


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label_lower)
def test_every_admin_list_and_search_renders(superuser_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert superuser_client.get(url).status_code == 200
    if admin.site._registry[model].search_fields:
        assert superuser_client.get(url, {"q": "acme"}).status_code == 200
    # The account pages are for forwarders' accounts; staff accounts have none.
    rows = model._default_manager.all()
    first = (rows.filter(is_staff=False) if model is Account else rows).first()
    if first is not None:
        change = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[first.pk]
        )
        assert superuser_client.get(change).status_code == 200


def test_a_key_issued_in_the_admin_is_shown_once_and_stored_hashed(superuser_client):
    partner_id = ApiKey.objects.first().partner_id
    response = superuser_client.post(
        reverse("admin:provisioning_apikey_add"),
        {"partner": partner_id, "name": "production"},
        follow=True,
    )
    shown = next(str(m) for m in response.context["messages"] if "new API key" in str(m))
    raw_key = shown.split("The new API key is ")[1].split(" ")[0]
    key = ApiKey.objects.get(name="production")
    assert raw_key.startswith(key.prefix + ".")
    assert raw_key not in key.hashed_key
    page = superuser_client.get(reverse("admin:provisioning_apikey_change", args=[key.pk]))
    assert raw_key not in page.content.decode()


def test_non_staff_cannot_see_the_admin(client):
    user = User.objects.create_user("forwarder@acme-cargo.de", "pw", status="activated")
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
