"""Query parameters of the list endpoints. Each refuses a value it cannot use (422) rather
than ignore it, so that a typo never returns an unfiltered list."""

import django_filters
from django.db.models import Q

from ...models import EventType, PartnerEvent, PendingReason, User, UserStatus

USER_ORDERINGS = {
    "created_at": ("date_joined", "id"),
    "-created_at": ("-date_joined", "-id"),
    "email": ("email",),
    "-email": ("-email",),
}


class UserFilter(django_filters.FilterSet):
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
    created_after = django_filters.IsoDateTimeFilter(field_name="date_joined", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="date_joined", lookup_expr="lt")
    email = django_filters.CharFilter(
        field_name="email", lookup_expr="icontains", max_length=254, help_text="Part of the email."
    )
    ordering = django_filters.ChoiceFilter(
        choices=[(key, key) for key in USER_ORDERINGS],
        method="filter_nothing",  # the cursor paginator orders by it
        empty_label=None,
    )

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


class EventFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(choices=EventType.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = PartnerEvent
        fields: list[str] = []
