"""JSON log lines (LOG_FORMAT=json) carrying the id of the request they belong to.

The request id lives in a context variable set by RequestMiddleware, so that every line
logged while serving a request, by any module, carries it. The one-time-link redaction
(provisioning/log_filters.py) runs as a handler filter before this formatter, and the
formatter redacts the final text once more, exception text included.
"""

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from provisioning.log_filters import redact

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# An incoming X-Request-ID is kept when it reads like an id (a proxy's or a partner's); anything
# else (too long, spaces, quotes, control characters) is replaced by one of ours.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")

# Attributes a caller may pass in `extra=` that become fields of the JSON line.
EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "view", "task", "task_id")


def request_id_from(header: str | None) -> str:
    if header and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on the record (`-` outside a request), for any format."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id and request_id != "-":
            line["request_id"] = request_id
        for field in EXTRA_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False, default=str)
