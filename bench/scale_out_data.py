"""The scale-out run's data: what it seeds, the periodic work it leaves for beat, and when
that work is done (bench/scale_out.py)."""

from datetime import timedelta

KNOWN_DOMAIN = "scale-cargo.de"


def seed() -> dict[str, str]:
    """Two partners with a key each, and a CASS directory of one company with a German
    office, so that creates on its domain are activated."""
    from provisioning.models import Company, CompanyDomain, Office, Partner
    from provisioning.partner_api.keys import api_key_create
    from recognition.models import CassRegistration

    keys = {}
    for label in ("a", "b"):
        partner = Partner.objects.create(name=f"Scale partner {label.upper()}")
        keys[label] = api_key_create(partner=partner, name="scale-out")[1]
    company = Company.objects.create(legal_name="Scale Cargo GmbH", country="DE")
    CompanyDomain.objects.create(company=company, domain=KNOWN_DOMAIN)
    office = Office.objects.create(
        company=company, country="DE", airport_code="HAM", iata_code="2347100", cass_code="0011"
    )
    CassRegistration.objects.create(
        iata_code="2347100", cass_code="0011", country="DE", company=company, office=office
    )
    return keys


LOST = 10  # outbox emails whose delivery task was lost: only the sweep delivers them
OLD_ROWS = 20  # link requests and idempotency records old enough for the purges


def preload_periodic_work() -> None:
    from django.utils import timezone

    from provisioning.models import IdempotencyRecord, OutboxMessage, Partner
    from provisioning.models.links import LinkRequest
    from provisioning.models.outbox import OutboxKind

    long_ago = timezone.now() - timedelta(days=2)
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            kind=OutboxKind.EMAIL,
            template="welcome",
            recipient=f"lost{n}@swept.example.com",
            context={
                "first_name": "Lost",
                "email": f"lost{n}@swept.example.com",
                "portal_url": "http://127.0.0.1/portal/login",
            },
            created_at=long_ago,
            next_attempt_at=long_ago,
            handed_over_at=long_ago,
        )
        for n in range(LOST)
    )
    LinkRequest.objects.bulk_create(
        LinkRequest(created_at=long_ago, email_digest=f"e{n}", ip_digest=f"i{n}")
        for n in range(OLD_ROWS)
    )
    partner = Partner.objects.first()
    IdempotencyRecord.objects.bulk_create(
        IdempotencyRecord(
            partner=partner,
            key=f"old-{n}",
            request_hash="0" * 64,
            status_code=201,
            response_body={},
            created_at=long_ago,
        )
        for n in range(OLD_ROWS)
    )


REMINDED = 10  # completion links made 4 days old after the calls (at most): one reminder each


def make_links_due() -> int:
    from django.utils import timezone

    from provisioning.models.links import CompletionLink

    ids = list(
        CompletionLink.objects.filter(used_at=None, superseded_at=None, user__status="pending")
        .order_by("id")
        .values_list("id", flat=True)[:REMINDED]
    )
    return CompletionLink.objects.filter(id__in=ids).update(
        created_at=timezone.now() - timedelta(days=4)
    )


def quiet(smtp) -> bool:
    """Every email row delivered, every due link reminded, the old rows purged."""
    from django.utils import timezone

    from provisioning.models import IdempotencyRecord, OutboxMessage
    from provisioning.models.links import CompletionLink, LinkRequest
    from provisioning.models.outbox import OutboxStatus

    day_ago = timezone.now() - timedelta(days=1)
    return (
        not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()
        and len(smtp.inbox.messages) >= OutboxMessage.objects.filter(kind="email").count()
        and not CompletionLink.objects.filter(
            reminded_at=None, created_at__lt=day_ago, used_at=None, superseded_at=None
        ).exists()
        and not LinkRequest.objects.filter(created_at__lt=day_ago).exists()
        and not IdempotencyRecord.objects.filter(created_at__lt=day_ago).exists()
    )
