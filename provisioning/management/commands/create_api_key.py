"""Issue an API key for a partner and print it once: only its hash is stored."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from provisioning.models import Partner
from provisioning.partner_api.keys import api_key_create


class Command(BaseCommand):
    help = "Issue an API key for a partner. The key is printed once and never shown again."

    def add_arguments(self, parser):
        parser.add_argument("partner", help="The partner's name, exactly as in the admin.")
        parser.add_argument("--name", default="default", help="What the key is for.")
        parser.add_argument(
            "--create-partner", action="store_true", help="Create the partner if it is missing."
        )

    def handle(self, *args, partner, name, create_partner=False, **options):
        with transaction.atomic():
            found = Partner.objects.filter(name=partner).first()
            if found is None:
                if not create_partner:
                    raise CommandError(
                        f"No partner named {partner!r}; add --create-partner to create it."
                    )
                found = Partner.objects.create(name=partner)
                self.stderr.write(f"Created partner {found.name}.")
            key, raw_key = api_key_create(partner=found, name=name)
        self.stderr.write(
            f"API key {key.prefix}… issued for {found.name} ({name}). Copy it now: it is stored "
            "hashed and will not be shown again."
        )
        # Alone on stdout, so that a script can capture it.
        self.stdout.write(raw_key)
