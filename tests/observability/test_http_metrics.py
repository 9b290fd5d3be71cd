"""/metrics and the HTTP middleware on a stand-in app (no Reflex, no server): route templates, text format,
access control, one JSON log line per request."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from opex_app.api.http_metrics import UNMATCHED, HttpMetricsMiddleware, route_template
from opex_app.api.metrics import metrics_api
from opex_app.api.routes import api
from opex_app.services import log_lines
from opex_app.settings import Settings, get_settings

LOOPBACK = ("127.0.0.1", 40000)
PUBLIC = ("203.0.113.7", 40000)  # a documentation address: Python calls it "private", the app must not
TOKEN = "a-metrics-token-of-some-length"


async def _item(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"item {request.path_params['item_id']}")


async def _boom(request: Request) -> PlainTextResponse:
    raise RuntimeError("handler failed")


def _app() -> HttpMetricsMiddleware:
    """The app's own stacking: metrics_api with the rest mounted under it, the middleware outermost."""
    inner = Starlette(routes=[Route("/items/{item_id:int}", _item), Mount("/nested", routes=[Route("/boom", _boom)])])
    stacked = Starlette(routes=[*metrics_api.routes, Mount("", inner)])
    return HttpMetricsMiddleware(stacked, routes=stacked.routes)


def _client(address: tuple[str, int] = LOOPBACK) -> TestClient:
    return TestClient(_app(), client=address, raise_server_exceptions=False)


@pytest.fixture()
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = log_lines.configure_logging(stream=stream, structured=True)
    yield stream
    logging.getLogger(log_lines.APP_LOGGER).removeHandler(handler)


@pytest.fixture()
def metrics_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("OPEX_METRICS_TOKEN", TOKEN)
    get_settings.cache_clear()
    yield TOKEN
    monkeypatch.delenv("OPEX_METRICS_TOKEN")
    get_settings.cache_clear()


def _scrape(client: TestClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text


def test_requests_are_counted_by_route_template_not_path() -> None:
    client = _client()
    assert client.get("/items/4711").status_code == 200
    assert client.get("/nested/boom").status_code == 500
    assert client.get("/no/such/page").status_code == 404
    text = _scrape(client)
    assert "# TYPE opex_http_request_duration_seconds histogram" in text
    assert 'opex_http_request_duration_seconds_count{method="GET",route="/items/{item_id:int}",status="200"}' in text
    assert 'route="/nested/boom",status="500"' in text
    assert f'route="{UNMATCHED}",status="404"' in text
    assert "4711" not in text


def test_the_apps_own_routes_have_templates() -> None:
    def template(path: str) -> str:
        return route_template(api.routes, {"type": "http", "method": "GET", "path": path, "root_path": ""})

    assert template("/api/health") == "/api/health"
    assert template("/api/downloads/secret-ticket") == "/api/downloads/{token}"
    assert template("/api/v1/summary") == "/api/v1/summary"
    assert template("/api/v1/nothing") == UNMATCHED


def test_metrics_refused_to_a_public_address() -> None:
    response = _client(PUBLIC).get("/metrics")
    assert response.status_code == 404
    assert "opex_" not in response.text


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
def test_metrics_refused_to_a_request_forwarded_by_a_proxy(header: str) -> None:
    """Behind nginx the peer is nginx's private address: the forwarding header gives the public request away."""
    assert _client().get("/metrics", headers={header: "203.0.113.7"}).status_code == 404


def test_metrics_open_to_private_network_peers() -> None:
    for address in ("10.1.2.3", "172.20.0.5", "192.168.1.9", "::1", "fd00::5"):
        assert _client((address, 40000)).get("/metrics").status_code == 200, address


def test_a_token_is_required_from_everyone_when_set(metrics_token: str) -> None:
    assert _client().get("/metrics").status_code == 404  # loopback alone is not enough any more
    wrong = {"Authorization": "Bearer wrong-token-wrong-token"}
    assert _client(PUBLIC).get("/metrics", headers=wrong).status_code == 404
    response = _client(PUBLIC).get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
    assert response.status_code == 200 and "opex_http_request_duration_seconds" in response.text


def test_one_json_line_per_request(captured: io.StringIO) -> None:
    _client().get("/items/12")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert len(lines) == 1
    line = lines[0]
    assert line["level"] == "INFO" and line["logger"] == "opex_app.http"
    assert (line["kind"], line["method"], line["route"], line["status"]) == ("http", "GET", "/items/{item_id:int}", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert len(line["request_id"]) == 32 and line["timestamp"].endswith("+00:00")


def test_each_request_gets_its_own_request_id(captured: io.StringIO) -> None:
    client = _client()
    client.get("/items/1")
    client.get("/items/2")
    ids = {json.loads(line)["request_id"] for line in captured.getvalue().splitlines()}
    assert len(ids) == 2


def test_an_empty_token_is_no_token_and_a_short_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPEX_METRICS_TOKEN", "")  # compose passes an optional variable left out of .env like this
    assert Settings().metrics_token is None
    monkeypatch.setenv("OPEX_METRICS_TOKEN", "short")
    with pytest.raises(ValueError, match="at least 16"):
        Settings()
