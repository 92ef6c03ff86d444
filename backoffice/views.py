import logging
import sys
from functools import cache
from pathlib import Path

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)

# How long clients are asked to wait when the database is out of reach.
RETRY_AFTER_SECONDS = 5


@cache
def _favicon() -> bytes:
    return (Path(__file__).parent / "static" / "backoffice" / "favicon.ico").read_bytes()


def favicon(request):
    """/favicon.ico, which browsers ask for on every page (the admin also links the SVG)."""
    response = HttpResponse(_favicon(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def healthz(request):
    return JsonResponse({"status": "ok"})


def server_error(request, template_name="500.html"):
    """A lost database connection is an outage, not a bug: answer 503 with Retry-After so
    that partner clients retry, in the shape the caller reads (JSON for the APIs)."""
    error = sys.exc_info()[1]
    if not _is_database_unavailable(error):
        return django_server_error(request, template_name)
    logger.warning("database unavailable: %s", type(error).__name__)
    message = "The service is briefly unavailable. Please retry in a few seconds."
    if request.path.startswith(("/api/", "/solutions/")):
        response = JsonResponse({"message": message}, status=503)
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _is_database_unavailable(error: BaseException | None) -> bool:
    # OperationalError covers refused and dropped connections and a pool that timed out;
    # InterfaceError a connection object that was closed under the request.
    return isinstance(error, OperationalError | InterfaceError)
