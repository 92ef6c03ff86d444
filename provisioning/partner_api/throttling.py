"""The per-key rate limit as a DRF throttle, shared by both partner surfaces."""

from rest_framework.throttling import BaseThrottle

from provisioning.partner_api.ratelimit import rate_limit_hit


class ApiKeyRateThrottle(BaseThrottle):
    """429 past API_RATE_LIMIT, counted per key (`ratelimit.rate_limit_hit`)."""

    def allow_request(self, request, view):
        self._wait = rate_limit_hit(api_key=request.auth) if request.auth else None
        return self._wait is None

    def wait(self):
        return self._wait
