"""Query parameters of the list endpoints. Each refuses a value it cannot use (422) rather
than ignore it, so that a typo never returns an unfiltered list."""

import re
from datetime import UTC, datetime

import django_filters
from django import forms
from django.db.models import Q

from provisioning.models import EventType, PartnerEvent, PendingReason, User, UserStatus

USER_ORDERINGS = {
    "created_at": ("date_joined", "id"),
    "-created_at": ("-date_joined", "-id"),
    "email": ("email",),
    "-email": ("-email",),
}


# RFC 3339, as OpenAPI's `date-time` means it (Python alone would also take a bare date).
RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


class Rfc3339Field(forms.DateTimeField):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not RFC3339.fullmatch(value):
            raise forms.ValidationError("must be an RFC 3339 date-time, e.g. 2026-01-31T09:00:00Z")
        # A leap second is a valid RFC 3339 time Python cannot hold: it means the next instant.
        value = re.sub(r":60(?=[.Zz+-])", ":59", value)
        parsed = super().to_python(value)
        # In UTC: PostgreSQL takes no offset beyond ±15:59. An instant outside Python's
        # years 1-9999 once in UTC filters like the first or last representable one.
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            return (
                datetime.min.replace(tzinfo=UTC)
                if parsed.year < 5000
                else datetime.max.replace(tzinfo=UTC)
            )


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = Rfc3339Field


class StrictFilterSet(django_filters.FilterSet):
    """Refuses `?param=` for a parameter whose schema has no empty value (enums, dates,
    numbers), instead of reading it as "no filter"."""

    allow_empty: tuple[str, ...] = ()

    def is_valid(self):
        valid = super().is_valid()
        for name in self.filters:
            if self.data.get(name) == "" and name not in self.allow_empty:
                self.form.add_error(name, "must not be empty")
                valid = False
        return valid


class UserFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=UserStatus.choices)
    pending_reason = django_filters.ChoiceFilter(choices=PendingReason.choices)
    country = django_filters.CharFilter(
        method="filter_country",
        max_length=2,
        min_length=2,
        help_text="ISO 3166-1 alpha-2: the company's country, or for a user without a "
        "company yet the country of the request.",
    )
    company = django_filters.NumberFilter(
        field_name="company_id", min_value=1, max_value=2**63 - 1, help_text="Company id."
    )
    company_name = django_filters.CharFilter(
        field_name="company__legal_name", lookup_expr="icontains", max_length=200
    )
    created_after = DateTimeFilter(field_name="date_joined", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="date_joined", lookup_expr="lt")
    email = django_filters.CharFilter(
        field_name="email", lookup_expr="icontains", max_length=254, help_text="Part of the email."
    )
    ordering = django_filters.ChoiceFilter(
        choices=[(key, key) for key in USER_ORDERINGS],
        method="filter_nothing",  # the cursor paginator orders by it
        empty_label=None,
    )

    allow_empty = ("company_name", "email")

    class Meta:
        model = User
        fields: list[str] = []

    def filter_country(self, queryset, name, value):
        value = value.upper()
        return queryset.filter(
            Q(company__country=value) | Q(company__isnull=True, request_data__countryCode=value)
        )

    def filter_nothing(self, queryset, name, value):
        return queryset


class EventFilter(StrictFilterSet):
    type = django_filters.ChoiceFilter(choices=EventType.choices)
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = PartnerEvent
        fields: list[str] = []
