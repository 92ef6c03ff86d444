"""Airlines, the IATA CASS directory and what each airline knows of a forwarder.

The company and office these rows describe live in the provisioning app; they are referred to
by app label only, so that recognition's code imports nothing from provisioning.
"""

from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from recognition.validators import (
    validate_airline_code,
    validate_airport_code,
    validate_awb_prefix,
    validate_cass_code,
    validate_iata_agent_code,
    validate_icao_airline_code,
)


class Airline(models.Model):
    iata_code = models.CharField(
        "IATA code", max_length=2, unique=True, validators=[validate_airline_code]
    )
    icao_code = models.CharField(
        "ICAO code", max_length=3, blank=True, validators=[validate_icao_airline_code]
    )
    awb_prefix = models.CharField(
        "AWB prefix", max_length=3, unique=True, validators=[validate_awb_prefix]
    )
    name = models.CharField(max_length=100)
    requires_customer_id = models.BooleanField(
        default=False, help_text="Shows live rates only to forwarders with a customer ID here."
    )
    accepts_cass = models.BooleanField(
        default=True, help_text="Recognises forwarders by their IATA CASS registration."
    )
    api_booking = models.BooleanField(
        "API booking", default=False, help_text="Supports eBooking through the API."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(awb_prefix__regex=r"^[0-9]{3}$"), name="airline_awb_prefix_3_digits"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.iata_code})"


class CassRegistration(models.Model):
    """One entry of the IATA CASS directory: an agent code and a CASS address."""

    iata_code = models.CharField(
        "IATA agent code", max_length=7, validators=[validate_iata_agent_code]
    )
    cass_code = models.CharField("CASS address", max_length=4, validators=[validate_cass_code])
    country = CountryField()
    company = models.ForeignKey(
        "provisioning.Company", on_delete=models.CASCADE, related_name="cass_registrations"
    )
    office = models.ForeignKey(
        "provisioning.Office",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cass_registrations",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "CASS registration"
        ordering = ["iata_code", "cass_code"]
        constraints = [
            # The directory is keyed by agent code + CASS address; imports upsert on it.
            models.UniqueConstraint(
                fields=["iata_code", "cass_code"], name="cass_registration_unique"
            ),
            models.CheckConstraint(
                condition=Q(iata_code__regex=r"^[0-9]{7}$"), name="cass_registration_iata_7_digits"
            ),
            models.CheckConstraint(
                condition=Q(cass_code__regex=r"^[0-9]{4}$"), name="cass_registration_cass_4_digits"
            ),
        ]
        indexes = [
            # Flow 1 looks up a company's active registrations by country.
            models.Index(fields=["company", "country"], name="cass_reg_company_country_idx"),
        ]

    def __str__(self):
        return f"{self.iata_code}/{self.cass_code}"


class AirlineCassConfiguration(models.Model):
    """The airline has this CASS registration in its own system."""

    airline = models.ForeignKey(
        Airline, on_delete=models.CASCADE, related_name="cass_configurations"
    )
    registration = models.ForeignKey(
        CassRegistration, on_delete=models.CASCADE, related_name="airline_configurations"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "airline CASS configuration"
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "airline"], name="airline_cass_configuration_unique"
            ),
        ]

    def __str__(self):
        return f"{self.airline.iata_code}: {self.registration}"


class AirlineCustomerId(models.Model):
    """A company's customer ID at an airline; office set when it is one office's only."""

    airline = models.ForeignKey(Airline, on_delete=models.CASCADE, related_name="customer_ids")
    company = models.ForeignKey(
        "provisioning.Company", on_delete=models.CASCADE, related_name="airline_customer_ids"
    )
    office = models.ForeignKey(
        "provisioning.Office",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="airline_customer_ids",
    )
    customer_id = models.CharField("customer ID", max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "airline customer ID"
        constraints = [
            # One company-wide ID per airline, and one per office.
            models.UniqueConstraint(
                fields=["company", "airline"],
                condition=Q(office__isnull=True),
                name="airline_customer_id_company_unique",
            ),
            models.UniqueConstraint(
                fields=["office", "airline"],
                condition=Q(office__isnull=False),
                name="airline_customer_id_office_unique",
            ),
            models.CheckConstraint(
                condition=~Q(customer_id=""), name="airline_customer_id_not_blank"
            ),
        ]

    def __str__(self):
        return f"{self.airline.iata_code} {self.customer_id}"


class ColoaderCoverage(models.Model):
    """A market where the coloader network can quote: an origin country, optionally narrowed
    to one airport, for one airline or (airline empty) for every airline."""

    origin_country = CountryField()
    origin_airport = models.CharField(max_length=3, blank=True, validators=[validate_airport_code])
    airline = models.ForeignKey(
        Airline,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="coloader_coverage",
        help_text="Empty: the coloader network quotes this market for every airline.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "coloader coverage"
        verbose_name_plural = "coloader coverage"
        constraints = [
            models.UniqueConstraint(
                fields=["origin_country", "origin_airport", "airline"],
                condition=Q(airline__isnull=False),
                name="coloader_coverage_airline_unique",
            ),
            models.UniqueConstraint(
                fields=["origin_country", "origin_airport"],
                condition=Q(airline__isnull=True),
                name="coloader_coverage_all_airlines_unique",
            ),
        ]
        indexes = [
            # Recognition loads the coverage of one origin country.
            models.Index(fields=["origin_country"], name="coloader_origin_country_idx"),
        ]

    def __str__(self):
        where = self.origin_airport or self.origin_country.code
        return f"{where} ({self.airline.iata_code if self.airline_id else 'all airlines'})"
