"""The queue's search box: an email address, a domain, or a company name.

An email address is looked up exactly on the unique lower(email) index; a domain matches the
accounts of that email domain and of the company owning it (CompanyDomain's unique index); any
other text matches email, names and company names by substring, within the current view (the
pending accounts, at most the size of the queue).
"""

import re

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from provisioning.models import CompanyDomain

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DOMAIN = re.compile(r"@?([a-z0-9-]+\.)+[a-z]{2,63}")


def queue_search(queryset: QuerySet, term: str) -> QuerySet:
    term = " ".join(term.split()).lower()
    if not term:
        return queryset
    if _EMAIL.fullmatch(term):
        return queryset.alias(email_lower=Lower("email")).filter(email_lower=term)
    if _DOMAIN.fullmatch(term):
        domain = term.lstrip("@")
        owners = CompanyDomain.objects.filter(domain=domain).values("company_id")
        return queryset.filter(Q(email__iendswith="@" + domain) | Q(company_id__in=owners))
    return queryset.filter(
        Q(email__icontains=term)
        | Q(last_name__icontains=term)
        | Q(company__legal_name__icontains=term)
        | Q(company__isnull=True, request_data__companyName__icontains=term)
    )
