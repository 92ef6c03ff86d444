"""/metrics (Prometheus) and /readyz (readiness: database and broker)."""

import hmac
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from backoffice.observability.metrics import scrape_registry

logger = logging.getLogger(__name__)


@never_cache
def metrics(request):
    """Prometheus text format. With METRICS_TOKEN set, only for `Authorization: Bearer
    <METRICS_TOKEN>`; without it, open in development and absent (404) in production."""
    token = settings.METRICS_TOKEN
    if not token:
        if not settings.DEBUG:
            raise Http404
    else:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


def _database() -> str | None:
    """None when the database answers, else what went wrong (the error's class only)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return type(error).__name__
    return None


def _broker() -> tuple[bool, str]:
    from backoffice.celery import app

    if app.conf.task_always_eager:
        return True, "ok: in-process mode, no broker configured"
    try:
        with app.connection_for_write() as conn:
            # One attempt, no retry: a readiness probe must answer within its timeout.
            conn.ensure_connection(max_retries=0, timeout=settings.READYZ_BROKER_TIMEOUT)
    except Exception as error:  # kombu raises the transport's own errors too
        return False, f"down: {type(error).__name__}"
    return True, "ok"


@never_cache
def readyz(request):
    """Ready to serve: the database and the broker answer. 503 names the one that does not."""
    database_error = _database()
    broker_ok, broker = _broker()
    checks = {"database": f"down: {database_error}" if database_error else "ok", "broker": broker}
    down = [
        name for name, ok in [("database", not database_error), ("broker", broker_ok)] if not ok
    ]
    if down:
        logger.warning("not ready: %s", ", ".join(down))
        return JsonResponse({"status": "unavailable", "down": down, "checks": checks}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
