"""API-key authentication for both partner surfaces.

The compatibility surface reads the key from `x-api-key`, the native surface from
`Authorization: Bearer <key>`. Either way a wrong, missing or revoked key gets the same
answer, and `request.auth` is the ApiKey (its partner is `request.auth.partner`).

Checking the key also counts the request against the key's rate limit (one statement for
both); `api.throttling.ApiKeyRateThrottle` then only reads the verdict. A view may name what
the call will read first (`admission_lookahead(request)` → `ratelimit.Lookahead`): the same
statement reads it, and the view hands it to the service (`request.domain_company`,
`request.member`).
"""

from rest_framework import authentication, exceptions

from .ratelimit import api_request_admit

INVALID_KEY_MESSAGE = "Invalid or missing API key."
# Larger bodies are not read along with the key: the key is checked before they are parsed.
LOOKAHEAD_MAX_BODY = 64 * 1024


def _declared_body_size(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return LOOKAHEAD_MAX_BODY + 1


class _ApiKeyAuthentication(authentication.BaseAuthentication):
    def raw_key(self, request) -> str | None:
        raise NotImplementedError

    def authenticate(self, request):
        ask = getattr(request.parser_context.get("view"), "admission_lookahead", None)
        small = _declared_body_size(request) <= LOOKAHEAD_MAX_BODY
        lookahead = ask(request) if ask is not None and small else None
        admission = api_request_admit(self.raw_key(request), lookahead=lookahead)
        if admission.key is None:
            raise exceptions.AuthenticationFailed(INVALID_KEY_MESSAGE)
        request.rate_limit_retry_after = admission.retry_after
        request.domain_company = admission.domain_company
        request.member = admission.member
        return (None, admission.key)


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
