"""API-key authentication for both partner surfaces.

The compatibility surface reads the key from `x-api-key`, the native surface from
`Authorization: Bearer <key>`. Either way a wrong, missing or revoked key gets the same
answer, and `request.auth` is the ApiKey (its partner, read with it, is
`request.auth.partner`). The rate limit is counted by `throttling.ApiKeyRateThrottle` once
the key has passed.
"""

from rest_framework import authentication, exceptions

from provisioning.partner_api.keys import api_key_authenticate

INVALID_KEY_MESSAGE = "Invalid or missing API key."


class _ApiKeyAuthentication(authentication.BaseAuthentication):
    def raw_key(self, request) -> str | None:
        raise NotImplementedError

    def authenticate(self, request):
        key = api_key_authenticate(self.raw_key(request))
        if key is None:
            raise exceptions.AuthenticationFailed(INVALID_KEY_MESSAGE)
        return (None, key)


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
