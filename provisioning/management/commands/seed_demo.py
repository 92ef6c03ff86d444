"""Demo data for a local run: a partner with a known API key, a support login, a small CASS
directory and a few forwarder accounts in each status. Safe to run again: it only adds what
is missing, and prints the credentials each time. The data itself is in ../demo_data.py."""

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from provisioning.management.demo_data import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    COLOADER_COUNTRIES,
    COMPANIES,
    DEMO_API_KEY,
    DEMO_PARTNER,
    FIRST_NAMES,
    LAST_NAMES,
    QUEUE_COMPANIES,
    QUEUE_SIZE,
    SECOND_PARTNER,
    SUPPORT_EMAIL,
    SUPPORT_GROUP,
    SUPPORT_PASSWORD,
    USERS,
    cass_address,
)
from provisioning.models import (
    ApiKey,
    AuditEvent,
    Company,
    CompanyDomain,
    Membership,
    Office,
    Partner,
    PendingReason,
    User,
    UserStatus,
)
from provisioning.partner_api.keys import api_key_create
from recognition.models import (
    Airline,
    AirlineCassConfiguration,
    AirlineCustomerId,
    CassRegistration,
    ColoaderCoverage,
)


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
            self._queue([partner, Partner.objects.get_or_create(name=SECOND_PARTNER)[0]])
        self.stdout.write(
            self.style.SUCCESS("Demo data ready.")
            + f"\n  Demo partner:   {DEMO_PARTNER}"
            + f"\n  Demo API key:   {DEMO_API_KEY}"
            + f"\n  Support login:  {SUPPORT_EMAIL} / {SUPPORT_PASSWORD}"
            + f"  ({settings.SITE_URL}/admin/)"
            + f"\n  Admin login:    {ADMIN_EMAIL} / {ADMIN_PASSWORD}"
        )

    def _partner(self) -> Partner:
        partner, _ = Partner.objects.get_or_create(name=DEMO_PARTNER)
        prefix = DEMO_API_KEY.split(".", 1)[0]
        if not ApiKey.objects.filter(prefix=prefix).exists():
            api_key_create(partner=partner, name="demo", raw_key=DEMO_API_KEY)
        return partner

    def _support_login(self) -> None:
        """An agent of the Support group (no superuser: it sees what support sees), and an
        administrator for the rest of the admin."""
        support = User.objects.filter(email__iexact=SUPPORT_EMAIL).first()
        if support is None:
            support = User.objects.create_user(
                SUPPORT_EMAIL,
                SUPPORT_PASSWORD,
                first_name="Sam",
                last_name="Support",
                status=UserStatus.ACTIVATED,
            )
        if support.is_superuser or not support.is_staff:
            support.is_superuser, support.is_staff = False, True
            support.save(update_fields=["is_superuser", "is_staff"])
        support.groups.add(Group.objects.get(name=SUPPORT_GROUP))
        if not User.objects.filter(email__iexact=ADMIN_EMAIL).exists():
            User.objects.create_superuser(
                ADMIN_EMAIL,
                ADMIN_PASSWORD,
                first_name="Ada",
                last_name="Admin",
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

    @staticmethod
    def _request_company(user: User, name: str, country: str, office: dict) -> None:
        company, _ = Company.objects.get_or_create(legal_name=name, country=country)
        office_row, _ = Office.objects.get_or_create(
            company=company,
            airport_code=office["officeAirportCode"],
            defaults={
                "country": country,
                "iata_code": office["iataCode"],
                "cass_code": office["cassCode"],
            },
        )
        user.company = company
        user.save(update_fields=["company"])
        user.offices.set([office_row])

    def _queue(self, partners: list[Partner]) -> None:
        """QUEUE_SIZE pending accounts of made-up forwarders across reasons, countries,
        partners and ages, some with warnings; and a few weeks of activations by support."""
        if User.objects.filter(email__endswith="@queue.example").exists():
            return
        rng = random.Random(5)  # noqa: S311 - demo data, the same every run
        now = timezone.now()
        support = User.objects.get(email__iexact=SUPPORT_EMAIL)
        reasons = [
            PendingReason.AWAITING_SUPPORT,
            PendingReason.AWAITING_DETAILS,
            PendingReason.DETAILS_SUBMITTED,
        ]
        for n in range(QUEUE_SIZE):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            company_name, country, airport = rng.choice(QUEUE_COMPANIES)
            reason = reasons[n % 3]
            offices, warnings = [], []
            if reason != PendingReason.AWAITING_DETAILS:
                iata = f"{rng.randrange(10**6, 10**7):07d}"
                good = n % 5 != 0
                cass = cass_address(iata) if good else "0009"
                offices = [
                    {
                        "countryCode": country,
                        "officeAirportCode": airport,
                        "iataCode": iata,
                        "cassCode": cass,
                    }
                ]
                if not good:
                    warnings.append(
                        {
                            "code": "cass_check_digit",
                            "message": f"CASS {iata}/{cass}: the CASS address's check digit "
                            "does not match.",
                        }
                    )
            email = f"{first}.{last}.{n}@queue.example".lower()
            waited = timedelta(hours=rng.randrange(1, 24 * 21))
            user = User.objects.create_user(
                email,
                first_name=first,
                last_name=last,
                status=UserStatus.PENDING,
                pending_reason=reason,
                status_changed_at=now - waited,
                date_joined=now - waited - timedelta(hours=1),
                warnings=warnings,
                request_data={
                    "firstName": first,
                    "lastName": last,
                    "email": email,
                    "companyName": company_name,
                    "countryCode": country,
                    "offices": offices,
                },
            )
            if reason == PendingReason.AWAITING_SUPPORT and good and n % 6 == 3:
                # Flow 2 as the API leaves it: a company made from the request, with its office.
                self._request_company(user, company_name, country, offices[0])
            Membership.objects.create(user=user, partner=partners[n % len(partners)])
            AuditEvent.objects.create(
                created_at=user.date_joined,
                actor_type="system",
                action="user.created",
                user=user,
                changes={"status": [None, "pending"], "pending_reason": [None, reason]},
            )
        for n in range(12):  # accounts support activated out of the queue in the last weeks
            first, last = FIRST_NAMES[n % 10], LAST_NAMES[(n + 3) % 10]
            activated_at = now - timedelta(days=n * 2, hours=3)
            joined = activated_at - timedelta(hours=rng.randrange(2, 24 * 6))
            user = User.objects.create_user(
                f"{first}.{last}.done{n}@queue.example".lower(),
                first_name=first,
                last_name=last,
                status=UserStatus.ACTIVATED,
                status_changed_at=activated_at,
                date_joined=joined,
            )
            Membership.objects.create(user=user, partner=partners[n % len(partners)])
            AuditEvent.objects.create(
                created_at=activated_at,
                actor_type="staff",
                actor_user=support,
                action="user.activated",
                user=user,
                changes={
                    "status": ["pending", "activated"],
                    "pending_reason": ["awaiting_support", ""],
                },
                note="Activated by support.",
            )
