"""The rest of the admin: human app names, a Users list with its country as a drop-down, a
favicon, no "View site" to a page that does not exist, one date format."""

import re

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from backoffice.tests.conftest import account_url
from provisioning.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    admin = User.objects.create_superuser("root@support.example", "pw", status="activated")
    client.force_login(admin)
    return client


def test_the_admin_index_names_apps_in_words_and_has_no_view_site(superuser_client):
    page = superuser_client.get("/admin/").content.decode()
    assert "Staff authenticators" in page and "Sign-in lockouts" in page
    captions = re.findall(r'class="section"[^>]*>([^<]+)</a>', page)
    assert captions and not any(c.isupper() or "_" in c for c in captions), captions
    assert "View site" not in page
    assert 'rel="icon"' in page


def test_the_users_list_filters_country_with_a_drop_down(superuser_client, directory):
    page = superuser_client.get("/admin/provisioning/user/").content.decode()
    assert 'aria-label="Filter by company country"' in page
    assert "<option" in page and "Germany" in page
    assert "Afghanistan" not in page  # only countries that companies are in
    filtered = superuser_client.get("/admin/provisioning/user/", {"country": "DE"})
    assert filtered.status_code == 200


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"


def test_people_read_one_date_format(agent_client, flow2_account):
    assert date_format(timezone.datetime(2026, 12, 4, 21, 28), "DATETIME_FORMAT") == (
        "4 Dec 2026, 21:28"
    )
    page = agent_client.get(account_url(flow2_account)).content.decode()
    assert date_format(flow2_account.date_joined, "DATETIME_FORMAT") in page
