"""Keeps the one-time secrets of forwarder links out of the logs (DESIGN §10).

The completion token is in the path of /complete/<token>, the login token in the `auth`
query parameter of /portal/login. Django logs the path of every 4xx/5xx answer and the
development server logs each request line, so the log handlers run this filter.
"""

import logging
import re

_SECRETS = re.compile(
    r"(?P<path>/complete/)(?!new-link\b|done\b)[^/?\s\"']+|(?P<query>(?:^|[?&])auth=)[^&\s\"']+"
)


def redact(text: str) -> str:
    return _SECRETS.sub(lambda m: f"{m.group('path') or m.group('query')}[redacted]", text)


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
