"""First middleware of the stack: gives each request its id, times it for the latency
histogram, and (LOG_REQUESTS) writes one log line per request."""

import logging
import time

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver

from backoffice.observability.logs import request_id_from, request_id_var
from backoffice.observability.metrics import REQUEST_LATENCY

logger = logging.getLogger("backoffice.requests")

UNRESOLVED = "unresolved"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def view_label(request) -> str:
    """The URL pattern's name (`provisioning:compat-users`, `admin:index`): a bounded set,
    unlike paths, which carry emails and tokens."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNRESOLVED
    return match.view_name or match._func_path


class RequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        # Kept until the response is closed (request_finished), as Django logs a 4xx/5xx
        # answer after the middleware has returned.
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        view = view_label(request)
        method = request.method if request.method in METHODS else "other"
        REQUEST_LATENCY.labels(view=view, method=method).observe(elapsed)
        response["X-Request-ID"] = request_id
        if settings.LOG_REQUESTS:
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.get_full_path(),
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 1),
                    "view": view,
                },
            )
        return response


@receiver(request_finished, dispatch_uid="request-id-forget")
def _request_id_forget(**kwargs):
    request_id_var.set(None)
