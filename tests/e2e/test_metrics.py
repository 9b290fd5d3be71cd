"""/metrics of the running app (two workers, one PROMETHEUS_MULTIPROC_DIR): the events a browser sends are
counted by handler and outcome through the Reflex hook, HTTP requests by route template, and the scrape is
open to loopback but not to a request that came through a proxy."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from playwright.sync_api import expect
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import RunningApp


def _scrape(app: RunningApp, headers: dict[str, str] | None = None) -> str:
    request = urllib.request.Request(f"{app.url}/metrics", headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        return response.read().decode()


def _events(text: str) -> dict[tuple[str, str], float]:
    return {
        (s.labels["handler"], s.labels["outcome"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "opex_events_total"
    }


def _until(app: RunningApp, done, what: str, timeout: float = 20) -> str:
    """Scrape until `done(text)`: an event is counted when its handler finishes, after the page has shown it."""
    deadline = time.monotonic() + timeout
    while True:
        text = _scrape(app)
        if done(text):
            return text
        assert time.monotonic() < deadline, f"{what} never appeared in /metrics:\n{text[-3000:]}"
        time.sleep(0.2)


def test_events_and_requests_are_counted(page, login, running_app: RunningApp) -> None:
    login(running_app.viewer_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Viewer")
    page.goto(f"{running_app.url}/admin/users")
    expect(page.get_by_text("Your role does not allow this").first).to_be_visible()

    text = _until(running_app, lambda t: _events(t).get(("LoginState.submit", "ok"), 0) >= 1, "the login event")
    text = _until(
        running_app, lambda t: any(o == "refused" for _, o in _events(t)), "the viewer's refused users-page event"
    )
    assert "opex_event_duration_seconds_bucket" in text
    assert 'opex_http_request_duration_seconds_count{method="GET",route="/api/health",status="200"}' in text
    assert "opex_db_pool_connections" in text and "opex_active_sessions" in text


def test_a_proxied_request_is_refused(running_app: RunningApp) -> None:
    try:
        _scrape(running_app, {"X-Forwarded-For": "203.0.113.7"})
    except urllib.error.HTTPError as error:
        assert error.code == 404
    else:
        raise AssertionError("/metrics answered a request forwarded by a proxy")
