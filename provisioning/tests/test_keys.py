import pytest

from provisioning.partner_api.keys import api_key_authenticate, api_key_create, api_key_revoke
from provisioning.tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def test_a_key_authenticates_its_partner_and_records_its_use():
    key, raw = api_key_create(partner=PartnerFactory(name="Freightsoft"), name="prod")
    assert key.last_used_at is None
    found = api_key_authenticate(raw)
    assert found.partner.name == "Freightsoft"
    key.refresh_from_db()
    assert key.last_used_at is not None


@pytest.mark.parametrize("raw", [None, "", "nodot", "x" * 500])
def test_garbage_does_not_authenticate(raw):
    assert api_key_authenticate(raw) is None


def test_a_wrong_secret_with_a_real_prefix_does_not_authenticate():
    key, _raw = api_key_create(partner=PartnerFactory(), name="prod")
    assert api_key_authenticate(key.prefix + ".wrong-secret") is None


def test_a_revoked_key_no_longer_authenticates():
    key, raw = api_key_create(partner=PartnerFactory(), name="prod")
    api_key_revoke(key=key)
    assert api_key_authenticate(raw) is None


def test_the_raw_key_is_not_stored():
    key, raw = api_key_create(partner=PartnerFactory(), name="prod")
    key.refresh_from_db()
    assert raw.split(".", 1)[1] not in key.hashed_key
