"""Keeps the one-time secrets of forwarder links out of the logs (DESIGN §10).

The completion token is in the path of /complete/<token>, the login token in the `auth`
query parameter of /portal/login — whatever percent-encoding spells them. Django logs the
path of every 4xx/5xx answer and the development server logs each request line, so the log
handlers run this filter.
"""

import logging
import re
from urllib.parse import unquote, unquote_plus

# A query string: what follows a "?", or a whole text that is one (gunicorn's `q` atom).
_QUERY = re.compile(r"(?:(?<=\?)|^)[^\s\"'?#]+")
# A path: a "/" and what follows up to a query, a quote or a space.
_PATH = re.compile(r"/[^\s\"'?#]*")
_SECRET_PARAMETERS = {"auth"}
_NOT_SECRET_SEGMENTS = {"new-link", "done", ""}
REDACTED = "[redacted]"


def _decoded(text: str, unquoting=unquote) -> str:
    """As the application reads it: percent-decoded (repeatedly, so that no encoding hides a
    name from the check; over-redacting costs nothing)."""
    for _ in range(3):
        decoded = unquoting(text)
        if decoded == text:
            break
        text = decoded
    return text.lower()


def _redact_query(match: re.Match) -> str:
    parts = match.group(0).split("&")
    for index, part in enumerate(parts):
        name, equals, _value = part.partition("=")
        if equals and _decoded(name, unquote_plus) in _SECRET_PARAMETERS:
            parts[index] = f"{name}={REDACTED}"
    return "&".join(parts)


def _redact_path(match: re.Match) -> str:
    segments = match.group(0).split("/")
    for index in range(1, len(segments)):
        if (
            _decoded(segments[index - 1]) == "complete"
            and _decoded(segments[index]) not in _NOT_SECRET_SEGMENTS
        ):
            segments[index] = REDACTED
    return "/".join(segments)


def redact(text: str) -> str:
    """The text with every one-time token replaced, matched as the application decodes the
    URL: `?%61uth=` is the `auth` parameter, `/%63omplete/<token>` the completion page."""
    return _PATH.sub(_redact_path, _QUERY.sub(_redact_query, text))


class RedactOneTimeLinks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def gunicorn_logger_class():
    """gunicorn's logger with the access-log line redacted (docker-compose's web service).

    Built on call so that importing this module does not need gunicorn.
    """
    from gunicorn.glogging import Logger

    class RedactingLogger(Logger):
        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            # The request line, path, query string, Referer and any header that repeats them.
            return {
                key: redact(value) if isinstance(value, str) else value
                for key, value in atoms.items()
            }

    return RedactingLogger
