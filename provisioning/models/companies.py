from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries.fields import CountryField

from provisioning.accounts.domains import domain_normal_form, validate_company_domain
from recognition.validators import (
    airports,
    validate_airport_code,
    validate_cass_code,
    validate_iata_agent_code,
)


class Company(models.Model):
    """A forwarding company."""

    legal_name = models.CharField(max_length=200)
    country = CountryField()
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +4940123456")
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["legal_name"]
        indexes = [
            # Suggested matches: a similar name in the same country.
            models.Index("country", Lower("legal_name"), name="company_country_name_idx"),
        ]

    def __str__(self):
        return f"{self.legal_name} ({self.country.code})"


class CompanyDomain(models.Model):
    """An email domain that belongs to a company (flow 1 identifies the company by it)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True, validators=[validate_company_domain])

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(
                condition=Q(domain=Lower("domain")), name="company_domain_lower_case"
            ),
        ]

    def __str__(self):
        return self.domain

    def clean_fields(self, exclude=None):
        # One normal form, before the validators: `Bücher.de` is `xn--bcher-kva.de` (§10).
        self.domain = domain_normal_form(self.domain or "")
        super().clean_fields(exclude=exclude)


class Office(models.Model):
    """A company location, optionally with its IATA agent code and CASS address."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="offices")
    country = CountryField()
    airport_code = models.CharField(max_length=3, validators=[validate_airport_code])
    iata_code = models.CharField(
        "IATA agent code", max_length=7, blank=True, validators=[validate_iata_agent_code]
    )
    cass_code = models.CharField(
        "CASS address", max_length=4, blank=True, validators=[validate_cass_code]
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["company_id", "country", "airport_code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(iata_code="") | Q(iata_code__regex=r"^[0-9]{7}$"),
                name="office_iata_code_7_digits",
            ),
            models.CheckConstraint(
                condition=Q(cass_code="") | Q(cass_code__regex=r"^[0-9]{4}$"),
                name="office_cass_code_4_digits",
            ),
            models.CheckConstraint(
                condition=Q(airport_code__regex=r"^[A-Z]{3}$"), name="office_airport_code_3_letters"
            ),
        ]

    def __str__(self):
        return f"{self.company.legal_name} {self.city}"

    @property
    def city(self) -> str:
        airport = airports().get(self.airport_code)
        return airport["city"] if airport else self.airport_code

    def clean(self):
        airport = airports().get(self.airport_code)
        if airport and self.country and airport["country"] != self.country.code:
            raise ValidationError(
                {"airport_code": f"{self.airport_code} is not in {self.country.name}."}
            )
        if bool(self.iata_code) != bool(self.cass_code):
            raise ValidationError(
                "IATA agent code and CASS address go together: give both or neither."
            )
