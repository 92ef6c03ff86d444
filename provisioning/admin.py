from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django_countries import countries

from provisioning.cass import admin as cass_admin  # noqa: F401 - the CASS directory admin, with its CSV upload
from provisioning.models import (
    ApiKey,
    AuditEvent,
    Company,
    CompanyDomain,
    Membership,
    Office,
    OutboxMessage,
    Partner,
    PartnerEvent,
    User,
)
from provisioning.models.outbox import OutboxKind, OutboxStatus
from provisioning.partner_api.keys import api_key_create

# Partners and forwarders type bare host names; they mean https.
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    fields = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["name", "prefix", "created_at", "last_used_at"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # keys are issued from the API key page, which shows the key once


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "webhook_url", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    inlines = [ApiKeyInline]
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    fields = ["name", "is_active", "webhook_url", "webhook_secret", "webhook_deliveries"]
    readonly_fields = ["webhook_deliveries"]

    @admin.display(description="Webhook deliveries")
    def webhook_deliveries(self, obj):
        if obj.pk is None:
            return "-"
        url = reverse("admin:provisioning_outboxmessage_changelist")
        links = []
        for status, label in [(None, "all"), *OutboxStatus.choices]:
            query = {"partner__id__exact": obj.pk, "kind__exact": OutboxKind.WEBHOOK}
            if status:
                query["status__exact"] = status
            links.append(format_html('<a href="{}?{}">{}</a>', url, urlencode(query), label))
        return format_html(" · ".join(["{}"] * len(links)), *links)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # The secret signs the webhooks; it is typed in, never shown back.
        form.base_fields["webhook_secret"].widget = forms.PasswordInput(render_value=False)
        form.base_fields[
            "webhook_secret"
        ].help_text = (
            "Used to sign webhook bodies (HMAC-SHA256). Leave empty to keep the current one."
        )
        return form

    def save_model(self, request, obj, form, change):
        if change and not form.cleaned_data.get("webhook_secret"):
            obj.webhook_secret = Partner.objects.get(pk=obj.pk).webhook_secret
        super().save_model(request, obj, form, change)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "partner", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["partner", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "partner__name"]
    list_select_related = ["partner"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["partner", "name"]
        return ["partner", "name", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["partner", *self.readonly_fields] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw_key = api_key_create(partner=obj.partner, name=obj.name)
        obj.pk = key.pk
        obj.prefix = key.prefix
        messages.warning(
            request,
            f"The new API key is {raw_key} — copy it now: it is stored hashed and will not be "
            "shown again.",
        )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} key(s) revoked.")


class CompanyDomainInline(admin.TabularInline):
    model = CompanyDomain
    extra = 0


class OfficeInline(admin.TabularInline):
    model = Office
    extra = 0
    fields = ["country", "airport_code", "iata_code", "cass_code"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "country", "created_at"]
    list_filter = ["country"]
    search_fields = ["legal_name", "domains__domain"]
    inlines = [CompanyDomainInline, OfficeInline]
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS


@admin.register(CompanyDomain)
class CompanyDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "company"]
    search_fields = ["domain", "company__legal_name"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "country", "airport_code", "iata_code", "cass_code"]
    list_filter = ["country"]
    search_fields = ["company__legal_name", "airport_code", "iata_code"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["partner", "created_at", "removed_at"]
    readonly_fields = ["created_at"]


_SHORT_REASONS = {
    "awaiting_support": "awaiting support",
    "awaiting_details": "awaiting details",
    "details_submitted": "details submitted",
}


class CompanyCountryFilter(admin.SimpleListFilter):
    """The company's country as a drop-down of the countries companies are in (not a link
    per country of the world)."""

    title = "company country"
    parameter_name = "country"
    template = "admin/select_filter.html"

    def lookups(self, request, model_admin):
        codes = Company.objects.order_by().values_list("country", flat=True).distinct()
        return sorted(((c, countries.name(c) or c) for c in codes), key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(company__country=self.value()) if self.value() else queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name_column", "company", "status_column", "is_staff"]
    list_filter = ["status", "pending_reason", "is_staff", CompanyCountryFilter]
    search_fields = ["email", "first_name", "last_name", "company__legal_name"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    filter_horizontal = ["offices", "groups", "user_permissions"]
    readonly_fields = ["status_changed_at", "date_joined", "last_login"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "company", "offices"]}),
        (
            "Account",
            {
                "fields": [
                    "status",
                    "pending_reason",
                    "status_changed_at",
                    "warnings",
                    "request_data",
                ]
            },
        ),
        (
            "Staff",
            {
                "fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"],
                "classes": ["collapse"],
            },
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]

    @admin.display(description="Name", ordering="last_name")
    def name_column(self, user):
        return format_html(
            '<span style="white-space:nowrap">{}</span>', user.get_full_name() or "—"
        )

    @admin.display(description="Status", ordering="status")
    def status_column(self, user):
        reason = _SHORT_REASONS.get(user.pending_reason, "")
        label = f"{user.get_status_display()} — {reason}" if reason else user.get_status_display()
        return format_html('<span style="white-space:nowrap">{}</span>', label)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "partner", "created_at", "removed_at"]
    list_filter = ["partner", ("removed_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "partner__name"]
    list_select_related = ["user", "partner"]
    raw_id_fields = ["user"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor_type", "actor_user", "actor_partner", "user"]
    list_filter = ["action", "actor_type"]
    search_fields = ["user__email", "action"]
    list_select_related = ["actor_user", "actor_partner", "user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "template",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["kind", "status", "template", "partner"]
    search_fields = ["recipient"]
    list_select_related = ["partner"]
    # The context may hold one-time links; support sees where and when, not the secret.
    readonly_fields = [f.name for f in OutboxMessage._meta.fields if f.name != "context"]
    exclude = ["context"]

    def has_add_permission(self, request):
        return False


@admin.register(PartnerEvent)
class PartnerEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "partner", "type", "user", "delivery_status"]
    list_filter = ["type", "partner"]
    search_fields = ["user__email", "public_id"]
    list_select_related = ["partner", "user", "delivery"]
    raw_id_fields = ["user", "delivery"]
    readonly_fields = [f.name for f in PartnerEvent._meta.fields]

    @admin.display(description="Webhook")
    def delivery_status(self, obj):
        if obj.delivery is None:
            return "-"
        return f"{obj.delivery.get_status_display()} ({obj.delivery.attempts} attempts)"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
