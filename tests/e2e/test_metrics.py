"""/metrics of the running app (two workers, one PROMETHEUS_MULTIPROC_DIR): the events a browser sends are
counted by handler and outcome through the Reflex hook, HTTP requests by route template, the dashboard's cache
lookups, the live sessions and the pool; the scrape is open to loopback but not to a request that came through a
proxy."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect
from prometheus_client.parser import text_string_to_metric_families

from opex_app.services.dashboard import DASHBOARD_NAMESPACE
from tests.e2e.conftest import RunningApp, import_budget
from tests.observability.scraped import sample


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


def _dashboard_lookups(text: str) -> float:
    found = (sample(text, "opex_cache_lookups_total", namespace=DASHBOARD_NAMESPACE, result=r) for r in ("hit", "miss"))
    return sum(value or 0 for value in found)


def _until(app: RunningApp, done, what: str, timeout: float = 20) -> str:
    """Scrape until `done(text)`: an event is counted when its handler finishes, after the page has shown it."""
    deadline = time.monotonic() + timeout
    while True:
        text = _scrape(app)
        if done(text):
            return text
        assert time.monotonic() < deadline, f"{what} never appeared in /metrics:\n{text[-3000:]}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def fy39(running_app: RunningApp, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One committed FY39 line, so that the dashboard has figures to read through the cache."""
    from opex_app.db import transaction
    from opex_app.domain.fiscal import FiscalYear
    from tests.domain.workbooks import write_workbook

    fy = FiscalYear(2039)
    tag = uuid.uuid4().hex[:6].upper()
    header = ["UID", "Description", "Tower", "Vendor", "Currency", *fy.month_labels()]
    row = [f"METE2E-{tag}", "Metrics e2e", f"METE2E Tower {tag}", f"METE2E Vendor {tag}", "INR", *[1000] * 12]
    path = write_workbook(tmp_path_factory.mktemp("metrics-e2e") / "budget.xlsx", [header, row])
    with transaction() as session:
        import_budget(session, path, fy)
    return fy.name


def test_events_and_requests_are_counted(page, login, running_app: RunningApp, fy39: str) -> None:
    login(running_app.viewer_email)
    # the app's own signals; generous waits: a login hashes a password, seconds on a loaded 2-core machine
    expect(page.get_by_test_id("user-role")).to_have_text("Viewer", timeout=30_000)
    page.goto(f"{running_app.url}/?fy={fy39}")
    expect(page.get_by_test_id("kpi-budget").get_by_test_id("kpi-value")).to_have_text("INR 12,000", timeout=30_000)
    page.goto(f"{running_app.url}/admin/users")
    expect(page.get_by_text("Your role does not allow this").first).to_be_visible(timeout=30_000)

    text = _until(running_app, lambda t: _events(t).get(("LoginState.submit", "ok"), 0) >= 1, "the login event")
    text = _until(
        running_app, lambda t: any(o == "refused" for _, o in _events(t)), "the viewer's refused users-page event"
    )
    assert "opex_event_duration_seconds_bucket" in text
    assert 'opex_http_request_duration_seconds_count{method="GET",route="/api/health",status="200"}' in text
    text = _until(running_app, lambda t: _dashboard_lookups(t) >= 1, "the viewer's dashboard figures through the cache")
    assert (sample(text, "opex_active_sessions") or 0) >= 1, "the viewer's session at least"
    assert (sample(text, "opex_db_pool_connections", engine="primary", state="capacity") or 0) > 0


def test_a_proxied_request_is_refused(running_app: RunningApp) -> None:
    try:
        _scrape(running_app, {"X-Forwarded-For": "203.0.113.7"})
    except urllib.error.HTTPError as error:
        assert error.code == 404
    else:
        raise AssertionError("/metrics answered a request forwarded by a proxy")
