from django.contrib import admin

from recognition.models import (
    Airline,
    AirlineCassConfiguration,
    AirlineCustomerId,
    CassRegistration,
    ColoaderCoverage,
)
from recognition.validators import cass_check_digit_ok


@admin.register(Airline)
class AirlineAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "iata_code",
        "icao_code",
        "awb_prefix",
        "requires_customer_id",
        "accepts_cass",
        "api_booking",
        "is_active",
    ]
    list_filter = ["requires_customer_id", "accepts_cass", "api_booking", "is_active"]
    search_fields = ["name", "iata_code", "icao_code", "awb_prefix"]


class AirlineCassConfigurationInline(admin.TabularInline):
    model = AirlineCassConfiguration
    extra = 0
    autocomplete_fields = ["airline"]


@admin.register(CassRegistration)
class CassRegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "iata_code",
        "cass_code",
        "check_digit",
        "company",
        "country",
        "office",
        "is_active",
        "updated_at",
    ]
    list_filter = ["is_active", "country", "airline_configurations__airline"]
    search_fields = [
        "=iata_code",
        "=cass_code",
        "company__legal_name",
        "company__domains__domain",
    ]
    list_select_related = ["company", "office__company"]
    autocomplete_fields = ["company", "office"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AirlineCassConfigurationInline]

    @admin.display(boolean=True, description="check digit")
    def check_digit(self, registration):
        # Unconfirmed rule (DESIGN §5.1): a mismatch is a hint for support, never a refusal.
        return cass_check_digit_ok(registration.iata_code, registration.cass_code)


@admin.register(AirlineCassConfiguration)
class AirlineCassConfigurationAdmin(admin.ModelAdmin):
    list_display = ["airline", "registration", "created_at"]
    list_filter = ["airline"]
    search_fields = ["registration__iata_code", "registration__company__legal_name"]
    list_select_related = ["airline", "registration"]
    autocomplete_fields = ["airline", "registration"]


@admin.register(AirlineCustomerId)
class AirlineCustomerIdAdmin(admin.ModelAdmin):
    list_display = ["customer_id", "airline", "company", "office", "created_at"]
    list_filter = [
        "airline",
        ("office", admin.EmptyFieldListFilter),
        "airline__requires_customer_id",
    ]
    search_fields = ["customer_id", "company__legal_name", "company__domains__domain"]
    list_select_related = ["airline", "company", "office__company"]
    autocomplete_fields = ["airline", "company", "office"]


@admin.register(ColoaderCoverage)
class ColoaderCoverageAdmin(admin.ModelAdmin):
    list_display = ["origin_country", "origin_airport", "airline"]
    list_filter = ["origin_country", ("airline", admin.EmptyFieldListFilter), "airline"]
    search_fields = ["origin_airport", "airline__name", "=airline__iata_code"]
    list_select_related = ["airline"]
    autocomplete_fields = ["airline"]
