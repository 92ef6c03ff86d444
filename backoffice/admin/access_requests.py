"""Partners' requests to manage an account another partner brought (DESIGN §5.2). The
forwarder answers most of them by email; support answers those of staff logins and disabled
accounts, and any other on the forwarder's behalf."""

from django.contrib import admin, messages

from backoffice.admin.base import ActionsOnly
from provisioning.accounts.consent import access_request_decide
from provisioning.audit.records import Actor
from provisioning.models import AccessRequest


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "Waiting for an answer"), ("no", "Answered or expired")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(decided_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(decided_at__isnull=False)
        return queryset


@admin.register(AccessRequest)
class AccessRequestAdmin(ActionsOnly, admin.ModelAdmin):
    list_display = ["user", "partner", "created_at", "expires_at", "who_decides", "decision"]
    list_filter = [OpenFilter, "emailed", "partner"]
    list_select_related = ["user", "partner"]
    search_fields = ["user__email", "partner__name"]
    ordering = ["created_at"]
    actions = ["allow", "decline"]
    readonly_fields = [f.name for f in AccessRequest._meta.fields if f.name != "nonce"]
    exclude = ["nonce"]

    @admin.display(description="Who answers")
    def who_decides(self, obj):
        return "the forwarder (emailed)" if obj.emailed else "support"

    def _decide(self, request, queryset, *, allow: bool):
        decided = 0
        for access in queryset.select_related("user", "partner"):
            if access_request_decide(access=access, allow=allow, actor=Actor.staff(request.user)):
                decided += 1
        verb = "allowed" if allow else "declined"
        self.message_user(request, f"{decided} request(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Allow the selected requests", permissions=["act"])
    def allow(self, request, queryset):
        self._decide(request, queryset, allow=True)

    @admin.action(description="Decline the selected requests", permissions=["act"])
    def decline(self, request, queryset):
        self._decide(request, queryset, allow=False)
