"""The pending-accounts queue as an admin changelist that never counts.

Django's changelist runs `COUNT(*)` for its paginator; at 100,000 pending accounts that is the
slowest query of the page and grows with the queue. This changelist pages by key instead: it
reads one row more than a page to know whether a next page exists, and the next page starts
after the last row's (status_changed_at, id) — a range on user_pending_queue_idx, as fast for
the thousandth page as for the first.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Exists, OuterRef, Q, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django_countries import countries

from backoffice.selectors.activation import activation_plans
from provisioning.models import Membership, Partner, PendingReason, UserStatus

CURSOR_VAR = "after"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Cursor:
    changed_at: datetime
    pk: int

    def encode(self) -> str:
        micros = (self.changed_at - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}-{self.pk}"

    @classmethod
    def decode(cls, value: str | None) -> "Cursor | None":
        micros, _, pk = (value or "").partition("-")
        if not (micros.isdigit() and pk.isdigit()) or len(micros) > 18 or len(pk) > 18:
            return None
        return cls(_EPOCH + timedelta(microseconds=int(micros)), int(pk))


# --- Filters -----------------------------------------------------------------------------------


class StatusViewFilter(admin.SimpleListFilter):
    """The queue is the pending accounts; disabled and deleted ones are one click away (to
    re-open or erase them), newest first."""

    title = "view"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            (UserStatus.DISABLED.value, "Disabled (rejected)"),
            (UserStatus.DELETED.value, "Deleted by partners"),
        ]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Pending — the queue",
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        status = self.value() if self.value() in dict(self.lookup_choices) else None
        return queryset.filter(status=status or UserStatus.PENDING)


class ReasonFilter(admin.SimpleListFilter):
    title = "pending reason"
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return PendingReason.choices

    def queryset(self, request, queryset):
        if self.value() in PendingReason.values:
            return queryset.filter(pending_reason=self.value())
        return queryset


AGE_BUCKETS = {
    "lt1d": ("under a day", None, timedelta(days=1)),
    "1-3d": ("1 to 3 days", timedelta(days=1), timedelta(days=3)),
    "3-7d": ("3 to 7 days", timedelta(days=3), timedelta(days=7)),
    "7-30d": ("7 to 30 days", timedelta(days=7), timedelta(days=30)),
    "gt30d": ("over 30 days", timedelta(days=30), None),
}


def age_bucket(waited: timedelta) -> str:
    for key, (_label, low, high) in AGE_BUCKETS.items():
        if (low is None or waited >= low) and (high is None or waited < high):
            return key
    return "gt30d"


class AgeFilter(admin.SimpleListFilter):
    """How long the account has been waiting: a range of status_changed_at."""

    title = "waiting"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _low, _high) in AGE_BUCKETS.items()]

    def queryset(self, request, queryset):
        if self.value() not in AGE_BUCKETS:
            return queryset
        _label, low, high = AGE_BUCKETS[self.value()]
        now = timezone.now()
        if low is not None:
            queryset = queryset.filter(status_changed_at__lte=now - low)
        if high is not None:
            queryset = queryset.filter(status_changed_at__gt=now - high)
        return queryset


class SelectFilter(admin.SimpleListFilter):
    """A filter with many values, shown as a drop-down in a small GET form instead of a long
    list of links (one query string per country would cost more than the rest of the page)."""

    template = "backoffice/filter_select.html"

    def choices(self, changelist):
        self.select_hidden = self.hidden_params(changelist)
        selected = self.value()
        yield {"value": "", "display": "All", "selected": not selected}
        for value, label in self.lookup_choices:
            yield {"value": value, "display": label, "selected": str(value) == selected}

    def hidden_params(self, changelist) -> list[tuple[str, str]]:
        """The view's other parameters, kept when this filter changes (the cursor is not)."""
        return [
            (key, value)
            for key, values in changelist.filter_params.items()
            if key not in (self.parameter_name, CURSOR_VAR)
            for value in values
        ]


class CountryFilter(SelectFilter):
    """The company's country, or for an account without a company yet, the requested one."""

    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        return list(countries)

    def queryset(self, request, queryset):
        code = (self.value() or "").upper()
        if code not in countries:
            return queryset
        return queryset.filter(
            Q(company__country=code) | Q(company__isnull=True, request_data__countryCode=code)
        )


class PartnerFilter(SelectFilter):
    """Accounts the partner currently has (membership_unique is probed per account)."""

    title = "partner"
    parameter_name = "partner"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Partner.objects.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if not (self.value() or "").isdigit():
            return queryset
        return queryset.filter(
            Exists(
                Membership.objects.filter(
                    user=OuterRef("pk"), partner_id=int(self.value()), removed_at__isnull=True
                )
            )
        )


class AssignedFilter(admin.SimpleListFilter):
    """Whose accounts: mine, nobody's, or another agent's (backoffice.AccountClaim)."""

    title = "assigned to"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("mine", "Me"), ("none", "Nobody (unassigned)"), ("others", "Other agents")]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(support_claim__agent=request.user)
        if self.value() == "none":
            return queryset.filter(support_claim__isnull=True)
        if self.value() == "others":
            return queryset.filter(support_claim__isnull=False).exclude(
                support_claim__agent=request.user
            )
        return queryset


class ContactedFilter(admin.SimpleListFilter):
    title = "contacted"
    parameter_name = "contacted"

    def lookups(self, request, model_admin):
        return [("yes", "Contacted"), ("no", "Not contacted yet")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(contact_mark__isnull=False)
        if self.value() == "no":
            return queryset.filter(contact_mark__isnull=True)
        return queryset


# --- The changelist ----------------------------------------------------------------------------


class QueueChangeList(ChangeList):
    """A changelist paged by key, in the queue's fixed order, without any COUNT."""

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(CURSOR_VAR, None)
        return lookup_params

    def get_query_string(self, new_params=None, remove=None):
        # A changed filter or search starts again from the top of the queue.
        new_params = {CURSOR_VAR: None, **(new_params or {})}
        return super().get_query_string(new_params, remove)

    @property
    def is_queue(self) -> bool:
        return self.filter_params.get(StatusViewFilter.parameter_name, [None])[-1] not in (
            UserStatus.DISABLED,
            UserStatus.DELETED,
        )

    def get_ordering(self, request, queryset):
        # The queue serves the longest-waiting first; the other views the latest change first.
        if self.is_queue:
            return ["status_changed_at", "id"]
        return ["-status_changed_at", "-id"]

    def get_results(self, request):
        cursor = Cursor.decode(request.GET.get(CURSOR_VAR))
        queryset = self.queryset
        if cursor is not None:
            if self.is_queue:
                after = Q(status_changed_at__gt=cursor.changed_at) | Q(
                    status_changed_at=cursor.changed_at, id__gt=cursor.pk
                )
            else:
                after = Q(status_changed_at__lt=cursor.changed_at) | Q(
                    status_changed_at=cursor.changed_at, id__lt=cursor.pk
                )
            queryset = queryset.filter(after)
        rows = list(queryset[: self.list_per_page + 1])
        self.has_next = len(rows) > self.list_per_page
        self.result_list = rows[: self.list_per_page]
        suffix = f"?{self.preserved_filters}" if self.preserved_filters else ""
        for row in self.result_list:
            # The account page and its actions lead back to this view of the queue.
            row.queue_link = reverse("admin:backoffice_account_change", args=[row.pk]) + suffix
            claim = getattr(row, "support_claim", None)
            row.claimed_by_viewer = claim is not None and claim.agent_id == request.user.pk
        if self.is_queue:
            # Which rows a bulk activation would take, and for which company (four queries
            # for the page: the rows' offices, then domains, CASS and candidate offices).
            prefetch_related_objects(self.result_list, "offices")
            plans = activation_plans(self.result_list)
            for row in self.result_list:
                row.activation_plan = plans[row.pk]
        last = self.result_list[-1] if self.result_list else None
        self.next_query = (
            self.get_query_string({CURSOR_VAR: Cursor(last.status_changed_at, last.pk).encode()})
            if self.has_next
            else ""
        )
        self.is_continued = cursor is not None
        self.first_page_query = self.get_query_string()
        # What the admin's templates read: no total is known, and none is offered.
        self.result_count = len(self.result_list)
        self.full_result_count = None
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.can_show_all = False
        self.multi_page = self.has_next or self.is_continued
        self.paginator = None
