"""The hot path's hand-written reads and batched inserts give what the ORM would."""

import datetime
import time
from contextlib import nullcontext
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from conftest import require
from provisioning import rows as rows_module
from provisioning.accounts.selectors import (
    DomainCompany,
    MemberRead,
    domain_company,
    membership_by_email,
    user_by_email_locked,
)
from provisioning.models import AuditEvent, Membership, OutboxMessage, PartnerEvent, User
from provisioning.models.audit import ActorType
from provisioning.partner_api.ratelimit import Lookahead, api_request_admit
from provisioning.rows import _id_blocks, new_rows, row_insert
from provisioning.tests.factories import (
    CompanyDomainFactory,
    CompanyFactory,
    PartnerFactory,
    UserFactory,
    api_key_for,
)

pytestmark = pytest.mark.django_db


def fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_locked_user_read_is_the_orm_row_whatever_the_letter_case():
    company = CompanyFactory()
    user = UserFactory(email="Anna.Schmidt@Acme-Cargo.de", company=company, warnings=[{"a": 1}])
    with transaction.atomic():
        found = user_by_email_locked("  anna.schmidt@ACME-cargo.DE ")
    assert fields(found) == fields(User.objects.get(pk=user.pk))
    assert found.warnings == [{"a": 1}]
    assert user_by_email_locked("nobody@acme-cargo.de") is None


def test_the_member_read_brings_user_and_company_and_hides_staff_and_strangers():
    partner, other = PartnerFactory(), PartnerFactory()
    company = CompanyFactory(legal_name="ACME Cargo GmbH")
    user = UserFactory(email="anna@acme-cargo.de", company=company)
    membership = Membership.objects.create(user=user, partner=partner)
    staff = UserFactory(email="agent@acme-cargo.de", is_staff=True)
    Membership.objects.create(user=staff, partner=partner)

    found = membership_by_email(partner=partner, email="ANNA@acme-cargo.de")

    expected = (
        Membership.objects.select_related("user__company")
        .alias(email_lower=Lower("user__email"))
        .get(partner=partner, email_lower="anna@acme-cargo.de")
    )
    assert fields(found) == fields(expected) == fields(membership)
    assert fields(found.user) == fields(expected.user)
    assert fields(found.user.company) == fields(expected.user.company)
    assert membership_by_email(partner=other, email="anna@acme-cargo.de") is None
    assert membership_by_email(partner=partner, email="agent@acme-cargo.de") is None


def test_a_member_without_company_reads_with_none():
    partner = PartnerFactory()
    Membership.objects.create(user=UserFactory(email="solo@gmail.com"), partner=partner)
    assert membership_by_email(partner=partner, email="solo@gmail.com").user.company is None


def test_the_member_read_without_company_reads_the_same_rows_and_leaves_the_company_out(
    django_assert_num_queries,
):
    partner = PartnerFactory()
    user = UserFactory(email="anna@acme-cargo.de", company=CompanyFactory())
    membership = Membership.objects.create(user=user, partner=partner)

    with django_assert_num_queries(1):
        found = membership_by_email(partner=partner, email="Anna@acme-cargo.de", company=False)
    assert fields(found) == fields(membership)
    assert fields(found.user) == fields(User.objects.get(pk=user.pk))
    with django_assert_num_queries(1):  # asked for later, it is read then
        assert found.user.company == user.company


def test_the_domain_read_finds_the_owning_company_only():
    company = CompanyFactory(legal_name="ACME Cargo GmbH")
    CompanyDomainFactory(company=company, domain="acme-cargo.de")
    assert fields(domain_company("acme-cargo.de")) == fields(company)
    assert domain_company("acme-cargo.com") is None


def test_the_key_check_counts_only_keys_that_pass(settings):
    settings.API_RATE_LIMIT = "2/minute"
    partner = PartnerFactory(name="Freight Soft")
    key, raw = api_key_for(partner)
    now = 6_000_000 * 60.0
    admitted = api_request_admit(raw, now=now)
    assert admitted.key == key and admitted.key.partner.name == "Freight Soft"
    assert admitted.retry_after is None
    assert api_request_admit(key.prefix + ".wrong", now=now).key is None
    assert api_request_admit(raw, now=now).retry_after is None  # the wrong one did not count
    assert api_request_admit(raw, now=now + 15).retry_after == 45

    partner.is_active = False
    partner.save(update_fields=["is_active"])
    assert api_request_admit(raw, now=now).key is None


def test_the_key_check_reads_the_company_of_the_domain_it_is_given():
    require(connection.vendor == "postgresql", "one statement on PostgreSQL only")
    company = CompanyFactory(legal_name="ACME Cargo GmbH")
    CompanyDomainFactory(company=company, domain="acme-cargo.de")
    key, raw = api_key_for(PartnerFactory())

    read = api_request_admit(raw, lookahead=Lookahead.create("anna@acme-cargo.de"))
    assert read.domain_company.domain == "acme-cargo.de"
    assert fields(read.domain_company.company) == fields(company)
    assert read.member is None  # not asked, not read
    unknown = api_request_admit(raw, lookahead=Lookahead.create("bob@NewCo.example "))
    assert unknown.key == key
    assert unknown.domain_company == DomainCompany("newco.example", None)
    assert api_request_admit(raw).domain_company is None
    refused = api_request_admit(key.prefix + ".wrong", lookahead=Lookahead.create("a@acme.de"))
    assert refused.key is None
    assert refused.domain_company is None
    assert Lookahead.create("anna@gmail.com") is None  # free mail never identifies a company
    # What the database could not take, or no address could be, is not looked up.
    assert Lookahead.create("anna@acme\x00.de") is None
    assert Lookahead.member("anna\ud800@acme.de") is None
    assert Lookahead.member("a" * 250 + "@acme.de") is None


def test_the_key_check_reads_the_member_of_its_own_partner_as_the_member_read_does():
    require(connection.vendor == "postgresql", "one statement on PostgreSQL only")
    partner, other = PartnerFactory(), PartnerFactory()
    company = CompanyFactory()
    anna = UserFactory(email="anna@acme-cargo.de", company=company)
    Membership.objects.create(user=anna, partner=partner)
    Membership.objects.create(user=UserFactory(email="bob@acme-cargo.de"), partner=other)
    _, raw = api_key_for(partner)

    read = api_request_admit(raw, lookahead=Lookahead.member(" Anna@ACME-cargo.de")).member
    expected = membership_by_email(partner=partner, email="anna@acme-cargo.de", company=False)
    assert read.email == "anna@acme-cargo.de"
    assert fields(read.membership) == fields(expected)
    assert fields(read.membership.user) == fields(expected.user)
    assert read.membership.partner == partner
    # Another partner's user is not this key's to read.
    assert api_request_admit(raw, lookahead=Lookahead.member("bob@acme-cargo.de")).member == (
        MemberRead("bob@acme-cargo.de", None)
    )


def _audit(note: str) -> AuditEvent:
    return AuditEvent(actor_type=ActorType.SYSTEM, action="test", changes={"n": [1, 2]}, note=note)


def test_new_rows_are_inserted_together_with_their_reserved_ids():
    user = UserFactory()
    with transaction.atomic(), new_rows(reserve=(AuditEvent, OutboxMessage)):
        audit = row_insert(_audit("first"))
        message = row_insert(
            OutboxMessage(kind="email", template="welcome", recipient=user.email, context={})
        )
        extra = row_insert(_audit("beyond the reservation"))
        asked = row_insert(_audit("beyond, with its id"), with_id=True)
        assert None not in (audit.pk, message.pk, asked.pk)
    stored = AuditEvent.objects.get(pk=audit.pk)
    assert (stored.note, stored.changes) == ("first", {"n": [1, 2]})
    assert stored.created_at <= timezone.now()
    assert AuditEvent.objects.get(pk=extra.pk).note == "beyond the reservation"
    assert AuditEvent.objects.get(pk=asked.pk).note == "beyond, with its id"
    assert OutboxMessage.objects.get(pk=message.pk).recipient == user.email
    assert not audit._state.adding


def test_new_rows_insert_nothing_when_one_of_them_breaks_a_rule():
    UserFactory(email="taken@forwarder.example")
    with pytest.raises(IntegrityError), transaction.atomic(), new_rows(reserve=(AuditEvent, User)):
        row_insert(_audit("must not stay"))
        row_insert(User(email="TAKEN@forwarder.example", password="!"))
    assert not AuditEvent.objects.filter(note="must not stay").exists()


def test_new_rows_insert_nothing_when_the_block_raises():
    with pytest.raises(RuntimeError), new_rows(reserve=(AuditEvent,)):
        row_insert(_audit("abandoned"))
        raise RuntimeError
    assert not AuditEvent.objects.filter(note="abandoned").exists()


@pytest.mark.postgres
def test_on_postgresql_the_rows_cost_one_statement_and_ids_come_a_block_at_a_time(
    django_assert_num_queries,
):
    require(connection.vendor == "postgresql", "one statement on PostgreSQL only")
    _id_blocks.forget()
    with django_assert_num_queries(2), new_rows(reserve=(AuditEvent, AuditEvent)):
        row_insert(_audit(f"a {time.time()}"))
        row_insert(_audit("b"))
    # The first draw brought a block: the next calls take their ids from it.
    for _ in range(3):
        with django_assert_num_queries(1), new_rows(reserve=(AuditEvent, AuditEvent)):
            row_insert(_audit("c"))
            row_insert(_audit("d"))
    assert AuditEvent.objects.filter(note__in=["c", "d"]).count() == 6


@pytest.mark.postgres
def test_ids_handed_out_are_unique_and_a_forked_process_draws_its_own(monkeypatch):
    require(connection.vendor == "postgresql", "ids drawn ahead on PostgreSQL only")
    _id_blocks.forget()
    taken = [_id_blocks.take([AuditEvent, User]) for _ in range(45)]  # more than two blocks
    audits = [pk for pk, _ in taken]
    assert len(set(audits)) == len(audits)
    assert len({pk for _, pk in taken}) == len(taken)

    left = _id_blocks.take([AuditEvent])[0]
    monkeypatch.setattr(rows_module.os, "getpid", lambda: -1)  # as in a child of this process
    in_child = _id_blocks.take([AuditEvent])[0]
    assert in_child > left  # a fresh block, not the parent's remainder
    assert in_child not in audits


@pytest.mark.postgres
def test_new_rows_read_back_as_the_orm_writes_them():
    """Every kind of column the hot path writes — text with quotes and non-Latin letters,
    nested JSON with nulls, microsecond timestamps, a UUID, choices, booleans, nulls and
    foreign keys — is stored exactly as the ORM's own insert stores it."""
    require(connection.vendor == "postgresql", "the batched insert of PostgreSQL")
    partner = PartnerFactory()
    company = CompanyFactory()
    moment = timezone.now().replace(microsecond=123456)

    def user(email):
        return User(
            email=email,
            first_name='Zoë "the" O\'Brien',
            last_name="Łukasiewicz 山田",
            company=company,
            status="pending",
            pending_reason="awaiting_details",
            status_changed_at=moment,
            request_data={"offices": [{"code": "HAM", "note": None}], "n": 1.5, "ok": True},
            warnings=[],
            password="!x",
        )

    def event(target):
        return PartnerEvent(
            partner=partner, type="user.created", user=target, payload={"a": [None, "ü"]}
        )

    by_orm = user("orm@forwarder.example")
    by_orm.save()
    orm_event = event(by_orm)
    orm_event.save()
    with new_rows(reserve=(User,)):
        batched = row_insert(user("batch@forwarder.example"), with_id=True)
        batched_event = row_insert(event(batched))

    ignore = {"id", "email", "date_joined", "user_id", "public_id", "created_at"}

    def stored(model, pk):
        return {k: v for k, v in fields(model.objects.get(pk=pk)).items() if k not in ignore}

    assert stored(User, batched.pk) == stored(User, by_orm.pk)
    assert stored(PartnerEvent, batched_event.pk) == stored(PartnerEvent, orm_event.pk)
    again = PartnerEvent.objects.get(pk=batched_event.pk)
    assert (again.public_id, again.user_id) == (batched_event.public_id, batched.pk)
    assert User.objects.get(pk=batched.pk).status_changed_at == moment


def test_new_rows_store_moments_of_any_zone_none_and_naive_ones_as_the_orm_does(settings):
    require(connection.vendor == "postgresql", "the batched insert of PostgreSQL")
    settings.TIME_ZONE = "Europe/Berlin"  # where a naive moment is taken to be
    partner = PartnerFactory()
    tokyo = datetime.datetime(2026, 3, 1, 9, 30, 0, 250000, tzinfo=ZoneInfo("Asia/Tokyo"))
    naive = datetime.datetime(2026, 3, 1, 9, 30, 0, 250000)
    for created, removed in ((tokyo, None), (naive, tokyo)):
        by_orm, batched = UserFactory(), UserFactory()
        with pytest.warns(RuntimeWarning, match="naive") if created is naive else nullcontext():
            orm = Membership.objects.create(
                user=by_orm, partner=partner, created_at=created, removed_at=removed
            )
            with new_rows():
                row = row_insert(
                    Membership(
                        user=batched, partner=partner, created_at=created, removed_at=removed
                    )
                )
        stored = Membership.objects.get(pk=row.pk)
        expected = Membership.objects.get(pk=orm.pk)
        assert (stored.created_at, stored.removed_at) == (expected.created_at, expected.removed_at)
    assert stored.removed_at == tokyo
    assert stored.created_at == naive.replace(tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.mark.postgres
def test_rows_nobody_asked_ids_of_get_them_from_the_database_in_one_statement(
    django_assert_num_queries,
):
    require(connection.vendor == "postgresql", "one statement on PostgreSQL only")
    user = UserFactory()
    with django_assert_num_queries(1), new_rows():
        first, second = row_insert(_audit("one")), row_insert(_audit("two"))
        message = row_insert(
            OutboxMessage(kind="email", template="welcome", recipient=user.email, context={})
        )
        assert first.pk is None
    assert AuditEvent.objects.get(pk=first.pk).note == "one"
    assert AuditEvent.objects.get(pk=second.pk).note == "two"
    assert OutboxMessage.objects.get(pk=message.pk).recipient == user.email


def test_a_row_asked_with_its_id_has_it_inside_the_block_and_others_may_point_at_it():
    with transaction.atomic(), new_rows():
        user = row_insert(
            User(email="new@forwarder.example", password="!", status="activated"), with_id=True
        )
        assert user.pk is not None
        membership = row_insert(Membership(user=user, partner=PartnerFactory()))
    assert Membership.objects.get(pk=membership.pk).user_id == user.pk


@pytest.mark.postgres
def test_pointing_at_a_new_row_without_its_id_is_refused_before_anything_is_written():
    require(connection.vendor == "postgresql", "ids are drawn at once elsewhere")
    with pytest.raises(ValueError), new_rows():
        user = row_insert(User(email="lost@forwarder.example", password="!", status="activated"))
        row_insert(Membership(user=user, partner=PartnerFactory()))
    assert not User.objects.filter(email="lost@forwarder.example").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_counts_lighter_commit_never_reaches_other_writes():
    """The key check's own statement commits without waiting for the disk; the setting must
    not outlive it, nor touch a caller's transaction."""
    require(connection.vendor == "postgresql", "a PostgreSQL setting")
    _key, raw = api_key_for(PartnerFactory())

    def synchronous_commit() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    assert api_request_admit(raw).key is not None
    assert synchronous_commit() == "on"
    with transaction.atomic():
        assert api_request_admit(raw).key is not None
        assert synchronous_commit() == "on"


@pytest.mark.postgres
@pytest.mark.parametrize("prepared", [True, False])
def test_hot_statements_are_prepared_unless_switched_off(settings, prepared):
    require(connection.vendor == "postgresql", "prepared statements of PostgreSQL")
    settings.DATABASE_PREPARED_STATEMENTS = prepared
    company = CompanyFactory()
    CompanyDomainFactory(company=company, domain="acme-cargo.de")

    for _ in range(2):
        assert domain_company("acme-cargo.de") == company

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%provisioning_companydomain%"],
        )
        assert (cursor.fetchone()[0] > 0) is prepared


def test_the_hot_statements_show_in_the_query_log_without_their_values(
    django_assert_num_queries,
):
    CompanyDomainFactory(company=CompanyFactory(), domain="acme-cargo.de")
    with django_assert_num_queries(1) as queries:
        domain_company("acme-cargo.de")
    (query,) = queries.captured_queries
    assert "provisioning_companydomain" in query["sql"]
    assert "acme-cargo.de" not in query["sql"] or connection.vendor != "postgresql"
