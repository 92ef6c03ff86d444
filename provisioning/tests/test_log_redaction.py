"""The one-time tokens of forwarder links stay out of the logs."""

import logging

from provisioning.log_filters import RedactOneTimeLinks, gunicorn_logger_class, redact


def test_completion_and_login_tokens_are_redacted():
    assert redact("Gone: /complete/12.abc:XYZ") == "Gone: /complete/[redacted]"
    assert (
        redact('"GET /portal/login?lang=en&auth=s3cr3t HTTP/1.1" 302')
        == '"GET /portal/login?lang=en&auth=[redacted] HTTP/1.1" 302'
    )
    assert (
        redact("/complete/new-link and /complete/done") == "/complete/new-link and /complete/done"
    )


def test_the_log_filter_redacts_the_arguments_of_a_record():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "%s: %s", ("Gone", "/complete/1.a:b"), None
    )
    assert RedactOneTimeLinks().filter(record)
    assert record.getMessage() == "Gone: /complete/[redacted]"


def test_the_gunicorn_access_log_is_redacted():
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    logger = gunicorn_logger_class()(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/portal/login?auth=s3cr3t",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/complete/1.abc:XYZ",
        "QUERY_STRING": "auth=s3cr3t",
        "HTTP_REFERER": "https://back.example/complete/1.abc:XYZ",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, timedelta(seconds=1))
    assert atoms["r"] == "GET /portal/login?auth=[redacted] HTTP/1.1"
    assert atoms["q"] == "auth=[redacted]"
    assert atoms["U"] == atoms["f"].removeprefix("https://back.example") == "/complete/[redacted]"


def test_a_percent_encoded_name_is_redacted_as_the_application_decodes_it():
    # Django reads `?%61uth=` as `auth`: the portal redeems it, so the log must not keep it.
    assert redact("GET /portal/login?%61uth=s3cr3t HTTP/1.1") == (
        "GET /portal/login?%61uth=[redacted] HTTP/1.1"
    )
    assert redact("/portal/login?x=1&au%74h=s3cr3t&y=2") == (
        "/portal/login?x=1&au%74h=[redacted]&y=2"
    )
    assert redact("%2561uth=s3cr3t") == "%2561uth=[redacted]"
    assert redact("Gone: /%63omplete/12.abc:XYZ") == "Gone: /%63omplete/[redacted]"
    assert redact("/portal/login?author=me&lang=en") == "/portal/login?author=me&lang=en"


def test_the_access_log_of_an_encoded_login_link_keeps_no_token():
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    logger = gunicorn_logger_class()(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/portal/login?%61uth=s3cr3t",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/portal/login",
        "QUERY_STRING": "%61uth=s3cr3t",
    }
    response = SimpleNamespace(status="302 Found", headers=[], sent=0)
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, timedelta(seconds=1))
    assert "s3cr3t" not in repr(atoms)
