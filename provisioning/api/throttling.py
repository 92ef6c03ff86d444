"""The per-key rate limit as a DRF throttle, shared by both partner surfaces."""

from rest_framework.throttling import BaseThrottle

from ..ratelimit import rate_limit_hit


class ApiKeyRateThrottle(BaseThrottle):
    """Counts every authenticated request against its key (API_RATE_LIMIT); 429 beyond."""

    def allow_request(self, request, view):
        self._wait = None
        if request.auth is None:
            return True  # authentication refuses these before any throttle runs
        self._wait = rate_limit_hit(api_key=request.auth)
        return self._wait is None

    def wait(self):
        return self._wait
