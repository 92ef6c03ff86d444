"""Demo data for a local run: a partner with a known API key, a support login, a small CASS
directory and a few forwarder accounts in each status. Safe to run again: it only adds what
is missing, and prints the credentials each time."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from provisioning.keys import api_key_create
from provisioning.models import (
    ApiKey,
    Company,
    CompanyDomain,
    Membership,
    Office,
    Partner,
    PendingReason,
    User,
    UserStatus,
)
from recognition.models import (
    Airline,
    AirlineCassConfiguration,
    AirlineCustomerId,
    CassRegistration,
    ColoaderCoverage,
)

DEMO_PARTNER = "Demo Freight Software"
DEMO_API_KEY = "demo00000000.local-demo-key-never-use-in-production"
SUPPORT_EMAIL = "support@example.com"
SUPPORT_PASSWORD = "support-demo-password"  # noqa: S105 - printed for local use only

# name, country, domains, offices: (country, airport, IATA agent code or ""), airlines that
# know the CASS registrations, company-wide customer IDs {airline: id}
COMPANIES = [
    (
        "ACME Cargo GmbH",
        "DE",
        ["acme-cargo.de", "acme-cargo.com"],
        [("DE", "HAM", "2347001"), ("DE", "FRA", "2347002"), ("US", "JFK", "0112345")],
        ["EK", "QR", "TK", "AF", "KL", "CX"],
        {"LH": "LH-ACME-4711"},
    ),
    (
        "Nordic Air Freight AB",
        "SE",
        ["nordicfreight.se"],
        [("SE", "ARN", "8234560")],
        ["EK", "KL", "AF"],
        {"AY": "AY-77031"},
    ),
    (
        "Pacific Forwarding Pte Ltd",
        "SG",
        ["pacfwd.com.sg"],
        [("SG", "SIN", "3956010")],
        ["CX", "EK", "QR"],
        {},
    ),
    (
        "Blue Sky Logistics Inc",
        "US",
        ["blueskylogistics.com"],
        [("US", "ORD", "0198765"), ("US", "LAX", "")],
        ["DL", "UA", "AC"],
        {"AA": "AA-55120"},
    ),
    (
        "Orange Freight BV",
        "NL",
        ["orangefreight.nl"],
        [("NL", "AMS", "3612345")],
        ["KL", "AF", "EK"],
        {},
    ),
]

COLOADER_COUNTRIES = ["DE", "US", "NL", "SG", "SE", "GB", "FR"]

# email, first, last, company (legal name or None), office airport, status, pending reason
USERS = [
    (
        "anna.schmidt@acme-cargo.de",
        "Anna",
        "Schmidt",
        "ACME Cargo GmbH",
        "HAM",
        UserStatus.ACTIVATED,
        "",
    ),
    (
        "bob.miller@blueskylogistics.com",
        "Bob",
        "Miller",
        "Blue Sky Logistics Inc",
        "ORD",
        UserStatus.ACTIVATED,
        "",
    ),
    (
        "claire.dubois@acme-cargo.com",
        "Claire",
        "Dubois",
        "ACME Cargo GmbH",
        None,
        UserStatus.PENDING,
        PendingReason.AWAITING_SUPPORT,
    ),
    (
        "dev.patel@swiftcargo.in",
        "Dev",
        "Patel",
        None,
        None,
        UserStatus.PENDING,
        PendingReason.AWAITING_DETAILS,
    ),
    (
        "emma.jones@gmail.com",
        "Emma",
        "Jones",
        None,
        None,
        UserStatus.PENDING,
        PendingReason.AWAITING_DETAILS,
    ),
    (
        "farid.haddad@gulfline-logistics.ae",
        "Farid",
        "Haddad",
        None,
        None,
        UserStatus.PENDING,
        PendingReason.DETAILS_SUBMITTED,
    ),
    (
        "greta.lind@nordicfreight.se",
        "Greta",
        "Lind",
        "Nordic Air Freight AB",
        None,
        UserStatus.DISABLED,
        "",
    ),
    (
        "hugo.stone@orangefreight.nl",
        "Hugo",
        "Stone",
        "Orange Freight BV",
        "AMS",
        UserStatus.DELETED,
        "",
    ),
]


def cass_address(iata_code: str, first_three: str = "000") -> str:
    """A CASS address whose last digit passes the check seen in public samples."""
    return first_three + str(int(iata_code + first_three) % 7)


class Command(BaseCommand):
    help = "Create demo data for a local run and print the demo API key and support login."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DJANGO_DEBUG=false."
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo installs a public demo key; use --force outside DEBUG.")
        with transaction.atomic():
            partner = self._partner()
            self._support_login()
            self._directory()
            self._users(partner)
        self.stdout.write(
            self.style.SUCCESS("Demo data ready.")
            + f"\n  Demo partner:   {DEMO_PARTNER}"
            + f"\n  Demo API key:   {DEMO_API_KEY}"
            + f"\n  Support login:  {SUPPORT_EMAIL} / {SUPPORT_PASSWORD}"
            + "  (http://127.0.0.1:8000/admin/)"
        )

    def _partner(self) -> Partner:
        partner, _ = Partner.objects.get_or_create(name=DEMO_PARTNER)
        prefix = DEMO_API_KEY.split(".", 1)[0]
        if not ApiKey.objects.filter(prefix=prefix).exists():
            api_key_create(partner=partner, name="demo", raw_key=DEMO_API_KEY)
        return partner

    def _support_login(self) -> None:
        if not User.objects.filter(email__iexact=SUPPORT_EMAIL).exists():
            User.objects.create_superuser(
                SUPPORT_EMAIL,
                SUPPORT_PASSWORD,
                first_name="Sam",
                last_name="Support",
                status=UserStatus.ACTIVATED,
            )

    def _directory(self) -> None:
        airlines = {a.iata_code: a for a in Airline.objects.all()}
        for name, country, domains, offices, configured_at, customer_ids in COMPANIES:
            company, _ = Company.objects.get_or_create(legal_name=name, country=country)
            for domain in domains:
                CompanyDomain.objects.get_or_create(domain=domain, defaults={"company": company})
            for office_country, airport, iata_code in offices:
                cass_code = cass_address(iata_code) if iata_code else ""
                office, _ = Office.objects.get_or_create(
                    company=company,
                    airport_code=airport,
                    defaults={
                        "country": office_country,
                        "iata_code": iata_code,
                        "cass_code": cass_code,
                    },
                )
                if not iata_code:
                    continue
                registration, _ = CassRegistration.objects.get_or_create(
                    iata_code=iata_code,
                    cass_code=cass_code,
                    defaults={"country": office_country, "company": company, "office": office},
                )
                for code in configured_at:
                    AirlineCassConfiguration.objects.get_or_create(
                        airline=airlines[code], registration=registration
                    )
            for code, customer_id in customer_ids.items():
                AirlineCustomerId.objects.get_or_create(
                    airline=airlines[code],
                    company=company,
                    office=None,
                    defaults={"customer_id": customer_id},
                )
        for country in COLOADER_COUNTRIES:
            ColoaderCoverage.objects.get_or_create(
                origin_country=country, origin_airport="", airline=None
            )

    def _users(self, partner: Partner) -> None:
        now = timezone.now()
        for age_days, (email, first, last, company_name, airport, status, reason) in enumerate(
            USERS
        ):
            if User.objects.filter(email__iexact=email).exists():
                continue
            company = Company.objects.filter(legal_name=company_name).first()
            user = User.objects.create_user(
                email,
                first_name=first,
                last_name=last,
                company=company,
                status=status,
                pending_reason=reason,
                status_changed_at=now - timedelta(days=age_days, hours=3),
                request_data={
                    "firstName": first,
                    "lastName": last,
                    "email": email,
                    "companyName": company_name or f"{last} Freight",
                },
            )
            if airport:
                user.offices.set(Office.objects.filter(company=company, airport_code=airport))
            Membership.objects.create(
                user=user,
                partner=partner,
                removed_at=now if status == UserStatus.DELETED else None,
            )
