"""Shared fixtures for the provisioning tests: a partner with a key, and a small CASS
directory (ACME Cargo: acme-cargo.de, offices HAM and FRA in Germany and JFK in the US)."""

import json
from dataclasses import dataclass

import pytest

from provisioning.models import Company, Office
from provisioning.tests.factories import (
    CassRegistrationFactory,
    CompanyDomainFactory,
    CompanyFactory,
    OfficeFactory,
    PartnerFactory,
    api_key_for,
)


@dataclass
class Directory:
    acme: Company
    ham: Office
    fra: Office
    jfk: Office


@pytest.fixture
def directory(db) -> Directory:
    acme = CompanyFactory(legal_name="ACME Cargo GmbH", country="DE")
    CompanyDomainFactory(company=acme, domain="acme-cargo.de")
    ham = OfficeFactory(company=acme, country="DE", airport_code="HAM")
    fra = OfficeFactory(company=acme, country="DE", airport_code="FRA")
    jfk = OfficeFactory(company=acme, country="US", airport_code="JFK")
    CassRegistrationFactory(office=ham, iata_code="2347001", cass_code="0002")
    CassRegistrationFactory(office=fra, iata_code="2347002", cass_code="0003")
    CassRegistrationFactory(office=jfk, iata_code="0112345", cass_code="0004")
    return Directory(acme=acme, ham=ham, fra=fra, jfk=jfk)


@pytest.fixture
def partner(db):
    return PartnerFactory(name="Freight Soft")


@pytest.fixture
def api_key(partner):
    _key, raw = api_key_for(partner)
    return raw


class CompatClient:
    """Calls /solutions/users the way a partner's integration does."""

    def __init__(self, client, key: str | None):
        self.client = client
        self.key = key

    def _headers(self):
        return {"x-api-key": self.key} if self.key is not None else {}

    def _send(self, method, body, **params):
        if isinstance(body, dict | list):
            body = json.dumps(body)
        return getattr(self.client, method)(
            "/solutions/users", body, content_type="application/json", headers=self._headers()
        )

    def post(self, body):
        return self._send("post", body)

    def put(self, body):
        return self._send("put", body)

    def get(self, email: str | None):
        query = {"email": email} if email is not None else {}
        return self.client.get("/solutions/users", query, headers=self._headers())

    def delete(self, email: str | None):
        from urllib.parse import urlencode

        query = f"?{urlencode({'email': email})}" if email is not None else ""
        return self.client.delete(f"/solutions/users{query}", headers=self._headers())


@pytest.fixture
def compat(client, api_key) -> CompatClient:
    return CompatClient(client, api_key)


@pytest.fixture
def other_compat(client, db) -> CompatClient:
    _, raw = api_key_for(PartnerFactory(name="Other Vendor"))
    return CompatClient(client, raw)


def person(email: str, **extra) -> dict:
    return {
        "firstName": "Anna",
        "lastName": "Schmidt",
        "email": email,
        "companyName": "ACME Cargo GmbH",
        **extra,
    }


class V1Client:
    """Calls /api/v1/ the way a partner's integration does: JSON, `Authorization: Bearer`."""

    def __init__(self, client, key: str | None):
        self.client = client
        self.key = key

    def headers(self, **extra) -> dict:
        auth = {"Authorization": f"Bearer {self.key}"} if self.key is not None else {}
        return {**auth, **extra}

    def get(self, path: str, params: dict | None = None, **headers):
        return self.client.get(f"/api/v1/{path}", params or {}, headers=self.headers(**headers))

    def post(self, path: str, body=None, **headers):
        data = json.dumps(body) if isinstance(body, dict | list) else body
        return self.client.generic(
            "POST",
            f"/api/v1/{path}",
            data or "",
            content_type="application/json",
            headers=self.headers(**headers),
        )

    def delete(self, path: str, **headers):
        return self.client.delete(f"/api/v1/{path}", headers=self.headers(**headers))


@pytest.fixture
def v1(client, api_key) -> V1Client:
    return V1Client(client, api_key)


@pytest.fixture
def other_v1(client, db) -> V1Client:
    _, raw = api_key_for(PartnerFactory(name="Other Vendor"))
    return V1Client(client, raw)


def allow_access() -> None:
    """The forwarders allow every open request of a partner to manage their accounts."""
    from provisioning.accounts.consent import access_request_decide
    from provisioning.audit.records import Actor
    from provisioning.models import AccessRequest

    for access in AccessRequest.objects.filter(decided_at__isnull=True).select_related(
        "user", "partner"
    ):
        access_request_decide(access=access, allow=True, actor=Actor.forwarder(access.user))
