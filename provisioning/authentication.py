"""API-key authentication for both partner surfaces.

The compatibility surface reads the key from `x-api-key`, the native surface from
`Authorization: Bearer <key>`. Either way a wrong, missing or revoked key gets the same
answer, and `request.auth` is the ApiKey (its partner is `request.auth.partner`).

Checking the key also counts the request against the key's rate limit (one statement for
both); `api.throttling.ApiKeyRateThrottle` then only reads the verdict. A view that creates
users names the email of the request (`admission_email`), and the same statement reads the
company of its domain, which the view hands to `user_create` (`request.domain_company`).
"""

from rest_framework import authentication, exceptions

from .domains import email_domain, is_free_mail
from .ratelimit import api_request_admit

INVALID_KEY_MESSAGE = "Invalid or missing API key."


class _ApiKeyAuthentication(authentication.BaseAuthentication):
    def raw_key(self, request) -> str | None:
        raise NotImplementedError

    def authenticate(self, request):
        admission = api_request_admit(
            self.raw_key(request), email_domain=_admission_domain(request)
        )
        if admission.key is None:
            raise exceptions.AuthenticationFailed(INVALID_KEY_MESSAGE)
        request.rate_limit_retry_after = admission.retry_after
        request.domain_company = admission.domain_company
        return (None, admission.key)


def _admission_domain(request) -> str | None:
    """The domain of the email the view says the request names, if a company could own it.

    Read before the request is validated: a wrong address only costs a lookup that finds
    nothing, and the create uses the answer only for the domain of the address it accepts."""
    view = request.parser_context.get("view")
    email = view.admission_email(request) if hasattr(view, "admission_email") else None
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        return None
    domain = email_domain(email)
    return domain if domain and not is_free_mail(domain) else None


class HeaderApiKeyAuthentication(_ApiKeyAuthentication):
    """`x-api-key: <key>` — the header existing partner clients send."""

    def raw_key(self, request):
        return request.headers.get("x-api-key")

    def authenticate_header(self, request):
        return "ApiKey"


class BearerApiKeyAuthentication(_ApiKeyAuthentication):
    """`Authorization: Bearer <key>`."""

    def raw_key(self, request):
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        return value.strip() if scheme.lower() == "bearer" else None

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
