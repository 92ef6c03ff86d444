"""The per-key rate limit as a DRF throttle, shared by both partner surfaces."""

from rest_framework.throttling import BaseThrottle


class ApiKeyRateThrottle(BaseThrottle):
    """429 past API_RATE_LIMIT. The request was counted when its key was checked
    (`ratelimit.api_request_admit`, in the authentication classes); this reads the verdict."""

    def allow_request(self, request, view):
        self._wait = getattr(request, "rate_limit_retry_after", None)
        return self._wait is None

    def wait(self):
        return self._wait
