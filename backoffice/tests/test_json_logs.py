"""LOG_FORMAT=json: one JSON object per line, carrying the request's id, which the response
echoes; the one-time secrets of forwarder links stay redacted."""

import json
import logging

import pytest

from backoffice.observability.logs import JsonFormatter, RequestIdFilter
from provisioning.log_filters import RedactOneTimeLinks

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines(settings):
    """The lines the console handler would print with LOG_FORMAT=json, as dicts."""
    settings.LOG_REQUESTS = True
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactOneTimeLinks())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in lines]
    finally:
        root.removeHandler(handler)


def test_a_request_gets_an_id_echoed_on_the_response_and_on_its_log_line(client, json_lines):
    response = client.get("/healthz")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32

    [line] = [line for line in json_lines() if line["logger"] == "backoffice.requests"]
    assert line["request_id"] == request_id
    assert (line["method"], line["path"], line["status"], line["view"]) == (
        "GET",
        "/healthz",
        200,
        "healthz",
    )
    assert line["level"] == "INFO"
    assert "time" in line and line["duration_ms"] >= 0


def test_a_sane_incoming_request_id_is_kept(client, json_lines):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.91:2"})
    assert response["X-Request-ID"] == "lb-7f3a.91:2"
    assert json_lines()[-1]["request_id"] == "lb-7f3a.91:2"


@pytest.mark.parametrize("header", ['a"b', "x" * 200, "with space", "é"])
def test_an_odd_incoming_request_id_is_replaced(client, header):
    response = client.get("/healthz", headers={"X-Request-ID": header})
    assert response["X-Request-ID"] != header
    assert len(response["X-Request-ID"]) == 32


def test_lines_logged_while_serving_carry_the_request_id(client, json_lines):
    response = client.get("/nowhere/at/all", headers={"X-Request-ID": "trace-1"})
    assert response.status_code == 404
    lines = json_lines()
    assert {line["logger"] for line in lines} >= {"django.request", "backoffice.requests"}
    assert all(line["request_id"] == "trace-1" for line in lines)


def test_one_time_tokens_stay_out_of_json_lines(client, json_lines):
    client.get("/complete/secret-token-value-123", headers={"X-Request-ID": "t-2"})
    client.get("/portal/login?auth=another-secret-456")
    text = "\n".join(json.dumps(line) for line in json_lines())
    assert "secret-token-value-123" not in text
    assert "another-secret-456" not in text
    assert "/complete/[redacted]" in text


def test_an_exception_is_one_json_line_with_its_traceback(json_lines):
    try:
        raise ValueError("went wrong at /complete/abc-secret")
    except ValueError:
        logging.getLogger("backoffice.tests").exception("failed")
    [line] = json_lines()
    assert line["message"] == "failed"
    assert "ValueError" in line["exception"]
    assert "abc-secret" not in line["exception"]
    assert "request_id" not in line
