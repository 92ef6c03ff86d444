"""Template filters that put codes into words (backoffice.wording)."""

from django import template

from backoffice import wording

register = template.Library()


@register.filter
def warning_label(code: str) -> str:
    return wording.warning_label(code or "")


@register.filter
def account_status(user) -> str:
    """ "Pending — awaiting support", "Activated", "Rejected (disabled)"."""
    return wording.status_words(user.status, user.pending_reason or "")


@register.filter
def country_name(code: str) -> str:
    """ "Germany (DE)"; the code alone when django-countries does not know it."""
    return wording.country_words(code or "")


@register.filter
def reason_short(reason: str) -> str:
    """ "Awaiting support", "Awaiting details", "Details submitted"."""
    return wording.SHORT_REASONS.get(reason, (reason or "").replace("_", " ")).capitalize()
