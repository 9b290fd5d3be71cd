"""Proved on this machine: the deployment (tests/deploy/stack.py: nginx with deploy/nginx.conf, the exported static
frontend, two backend-only workers, PostgreSQL, Redis) keeps a signed-in tab working when the worker serving it is
killed. In Chromium: log in, import a workbook, open the dashboard, pick a tower; SIGKILL the worker whose address
nginx put on the tab's websocket handshake; the next click (a vendor filter) is answered by the other worker with
the same login and the tower still picked, and the dashboard there still follows writes live. Before that, the
running nginx is checked to send the app's paths (the api, /api/session included) to the workers and the pages to
the exported frontend.

Run by `make test-deploy` (marker `deploy`, left out of `make test`). Data: FY55 (Apr 2054 - Mar 2055), this run's
own database.

    tower A: A1 10,000 x 12 = 1,20,000 (vendor 1)
    tower B: B1 20,000 x 12 = 2,40,000 (vendor 1); B2 5,000 x 12 = 60,000 (vendor 2)   -> 3,00,000
    FY55 4,20,000 = INR 4.20 L; tower B + vendor 2: INR 60,000, then 72,000 when B2 becomes 6,000 a month.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.app_process import ROOT
from tests.deploy.nginx_layout import UPSTREAM_HEADER
from tests.deploy.stack import NGINX, Stack, deploy_stack, redis_server, tls_context
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PASSWORD, RunningApp, _need, _redis_url

pytestmark = pytest.mark.deploy

FY_END = 2055
SLOW = 30_000  # ms: an import preview reads the file in a subprocess and the database in a worker thread
AFTER_KILL = 30_000  # ms: bounds the wait for the other worker on a loaded machine; the time taken is printed
DEPLOY_ARTIFACTS = ARTIFACTS / "deploy"


@pytest.fixture(scope="module")
def stack(database_url: str, request: pytest.FixtureRequest) -> Iterator[Stack]:
    _need(Path(NGINX).exists(), f"nginx at {NGINX} (make test-deploy installs it)")
    _need(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM}")
    _need(shutil.which("openssl") is not None, "openssl (for the throwaway certificate)")
    failed_before = request.session.testsfailed
    with (
        # TEST_REDIS_URL's server (it must answer: in CI the test fails otherwise), or a private redis-server
        redis_server(_redis_url() if os.environ.get("TEST_REDIS_URL") else None) as redis_url,
        deploy_stack(database_url, redis_url, DEPLOY_ARTIFACTS) as running,
    ):
        yield running
        if request.session.testsfailed > failed_before:
            running.save_logs(DEPLOY_ARTIFACTS)


@pytest.fixture(scope="module")
def running_app(stack: Stack) -> RunningApp:
    """The site through nginx, and an analyst (imports and views dashboards); the e2e `login` uses it."""
    from opex_app.auth.permissions import RoleName, cli_principal
    from opex_app.db import transaction
    from opex_app.services.users import create_user

    email = f"analyst-deploy-{uuid.uuid4().hex[:6]}@example.com"
    with transaction() as session:
        create_user(session, cli_principal(), email=email, role=RoleName.ANALYST, password=PASSWORD)
    return RunningApp(stack.url, admin_email="", viewer_email="", analyst_email=email)


@pytest.fixture(scope="module")
def chromium(running_app: RunningApp) -> Iterator[object]:
    """Debian's Chromium, told to accept this run's throwaway certificate (self-signed, loopback only)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--ignore-certificate-errors"]
        )
        yield instance
        instance.close()


class EventSockets:
    """The tab's event websockets (/_event), as Chromium's DevTools protocol reports them: which backend answered
    each handshake (nginx's UPSTREAM_HEADER, the address it proxied to) and which sockets have closed."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.urls: dict[str, str] = {}
        self.upstreams: dict[str, str] = {}  # request id -> the backend(s) nginx tried for the handshake
        self.closed: set[str] = set()
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.webSocketCreated", lambda e: self.urls.__setitem__(e["requestId"], e["url"]))
        cdp.on("Network.webSocketHandshakeResponseReceived", self._handshake)
        cdp.on("Network.webSocketClosed", lambda e: self.closed.add(e["requestId"]))
        cdp.send("Network.enable")

    def _handshake(self, event: dict[str, Any]) -> None:
        if "/_event" not in self.urls.get(event["requestId"], ""):
            return
        headers = {name.lower(): value for name, value in event["response"]["headers"].items()}
        self.upstreams[event["requestId"]] = headers.get(UPSTREAM_HEADER.lower(), "")

    def __repr__(self) -> str:
        return f"event sockets answered by {self.upstreams}, closed {sorted(self.closed)}"

    def current(self) -> tuple[str, str]:
        """(request id, backend) of the tab's latest event socket (an older page's may never report closing)."""
        assert self.upstreams, f"no event socket yet ({self})"
        request, tried = list(self.upstreams.items())[-1]
        return request, answered_by(tried)

    def wait(self, condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
        """Until `condition()` holds; Playwright delivers the protocol's events while the page waits."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"{what}: not within {timeout} s ({self})"
            self.page.wait_for_timeout(50)


def answered_by(upstream_header: str) -> str:
    """nginx's $upstream_addr lists every backend it tried ("dead, alive"): the last one answered."""
    return upstream_header.split(",")[-1].strip()


def _workbook(path: Path, tag: str, b2_monthly: int) -> Path:
    from opex_app.domain.fiscal import FiscalYear
    from tests.domain.workbooks import write_workbook

    header = ["UID", "Description", "Tower", "Vendor", "Currency", *FiscalYear(FY_END).month_labels()]
    lines = [("A1", "A", 1, 10000), ("B1", "B", 1, 20000), ("B2", "B", 2, b2_monthly)]
    rows = [
        [f"DEPLOY-{tag}-{uid}", f"Deploy proof {uid}", f"Deploy Tower {t} {tag}", f"Deploy Vendor {v} {tag}", "INR"]
        + [amount] * 12
        for uid, t, v, amount in lines
    ]
    return write_workbook(path, [header, *rows])


def _client_token(page: Page) -> str:
    """The tab's Reflex client token (its state's key in Redis), kept in the tab's sessionStorage."""
    return str(page.evaluate("() => window.sessionStorage.getItem('token')"))


def _kpi(page: Page, key: str):
    return page.get_by_test_id(f"kpi-{key}").get_by_test_id("kpi-value")


def _pick(page: Page, control: str, option: str, attempts: int = 3) -> None:
    """Open a dashboard drop-down and choose `option`. A re-render of the page (a rehydrate after a reconnect) can
    close the list before its option is clicked: then the list is opened again."""
    choice = page.get_by_role("option", name=option)
    for attempt in range(attempts):
        page.get_by_test_id(f"dash-{control}").click()
        try:
            choice.click(timeout=5_000)
            return
        except PlaywrightTimeoutError:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")


def test_nginx_sends_the_app_paths_to_the_workers_and_serves_the_rest(stack: Stack) -> None:
    """The routing of deploy/nginx.conf, on the running nginx: the api (the login's POST /api/session included,
    whatever the app answers to it), the ping and the event socket's path reach a backend (nginx names it in the
    test header); the pages come from the exported frontend, with the security headers and no backend."""
    context = tls_context()

    def through_nginx(path: str, method: str = "GET") -> tuple[int, dict[str, str]]:
        request = urllib.request.Request(f"{stack.url}{path}", method=method, data=b"{}" if method == "POST" else None)
        try:
            with urllib.request.urlopen(request, timeout=20, context=context) as response:
                return response.status, {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as refused:
            return refused.code, {k.lower(): v for k, v in refused.headers.items()}

    header = UPSTREAM_HEADER.lower()
    for path, method in [("/api/health", "GET"), ("/api/session", "POST"), ("/ping", "GET"), ("/_event/", "GET")]:
        status, headers = through_nginx(path, method)
        assert answered_by(headers.get(header, "")) in stack.backends, (path, status, headers)
    for path in ["/", "/login", "/budgets"]:
        status, headers = through_nginx(path)
        assert status == 200 and header not in headers, (path, status, headers)
        assert "default-src 'self'" in headers["content-security-policy"]


def test_killing_the_worker_of_a_tab_loses_neither_login_nor_page_state(
    page: Page, login: Callable[[str], object], running_app: RunningApp, stack: Stack, tmp_path: Path
) -> None:
    url, tag = running_app.url, uuid.uuid4().hex[:6].upper()
    tower_b, vendor_2 = f"Deploy Tower B {tag}", f"Deploy Vendor 2 {tag}"
    sockets = EventSockets(page)
    login(running_app.analyst_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Analyst")

    # The import page, through nginx: the upload goes to /_upload, the preview and commit over the websocket.
    page.goto(f"{url}/import")
    expect(page.get_by_test_id("import-kind")).to_contain_text("Budget lines")
    page.locator("input[type=file]").set_input_files(_workbook(tmp_path / "fy55.xlsx", tag, 5000))
    expect(page.get_by_test_id("import-commit")).to_be_enabled(timeout=SLOW)
    page.get_by_test_id("import-commit").click()
    expect(page.get_by_test_id("import-message")).to_contain_text(
        "3 new and 0 changed line(s) were imported", timeout=SLOW
    )

    # The dashboard, live, with a tower picked: that choice is the page state the kill must not lose.
    page.goto(f"{url}/?fy=FY55&as_of=2055-03-31")
    expect(_kpi(page, "budget")).to_have_text("INR 4.20 L", timeout=SLOW)
    expect(page.get_by_test_id("live-indicator")).to_be_visible()
    picked_at = time.monotonic()
    _pick(page, "tower", tower_b)
    expect(page).to_have_url(re.compile(rf"tower={re.escape(quote_plus(tower_b))}"))
    expect(_kpi(page, "budget")).to_have_text("INR 3.00 L", timeout=SLOW)
    baseline = time.monotonic() - picked_at  # the same kind of click with both workers up

    socket, served = sockets.current()
    assert served in stack.backends, f"nginx named {served!r}, backends are {list(stack.backends)}"
    (survivor,) = set(stack.backends) - {served}

    token_before = _client_token(page)
    killed = stack.kill(served)
    killed_at = time.monotonic()
    sockets.wait(lambda: socket in sockets.closed, "the tab sees its socket close")
    closed_after = time.monotonic() - killed_at
    sockets.wait(lambda: sockets.current()[0] != socket, "the tab reconnects")
    reconnected_after = time.monotonic() - killed_at
    reconnect = sockets.current()[0]
    picked_at = time.monotonic()
    _pick(page, "vendor", vendor_2)  # the next click, while the reconnect rehydrates the page
    expect(page).to_have_url(re.compile(rf"vendor={re.escape(quote_plus(vendor_2))}"), timeout=AFTER_KILL)
    expect(_kpi(page, "budget")).to_have_text("INR 60,000", timeout=AFTER_KILL)
    answered_after, click_took = time.monotonic() - killed_at, time.monotonic() - picked_at
    # The tower picked before the kill is still applied, and the login still holds. How the survivor restored them
    # is printed: with the same client token, from the tab's state in Redis; with a new one (Reflex's duplicate-tab
    # check finds the dead worker's socket record in Redis and renews the token), from the page's address and the
    # login kept in the browser.
    expect(page).to_have_url(re.compile(rf"tower={re.escape(quote_plus(tower_b))}"))
    expect(page.get_by_test_id("dash-tower")).to_contain_text(tower_b)
    expect(page.get_by_test_id("user-role")).to_have_text("Analyst")
    assert sockets.current()[1] == survivor, sockets
    token_after = _client_token(page)
    print(f"\nclient token {'kept' if token_after == token_before else 'renewed by the survivor'} across the kill")
    print(
        f"\nworker failover: SIGKILLed the backend at {served} (pids {killed}); the tab saw its socket close "
        f"{closed_after:.2f} s after the kill, was back on {survivor} (nginx tried {sockets.upstreams[reconnect]}) "
        f"{reconnected_after:.2f} s after the kill, the next click's event answered "
        f"{answered_after:.2f} s after it (the click itself {click_took:.2f} s; the tower's click before the kill "
        f"{baseline:.2f} s)"
    )

    # The surviving worker follows writes for this tab: a change committed elsewhere (the CLI) shows.
    version = int(page.get_by_test_id("live-version").inner_text())
    _import_with_the_cli(_workbook(tmp_path / "fy55-b2.xlsx", tag, 6000))
    expect(_kpi(page, "budget")).to_have_text("INR 72,000", timeout=AFTER_KILL)
    assert int(page.get_by_test_id("live-version").inner_text()) > version


def _import_with_the_cli(path: Path) -> None:
    """Another door onto the same database: `python -m opex_app.cli import budget`, in its own process."""
    command = [sys.executable, "-m", "opex_app.cli", "import", "budget", str(path), "--fy", f"FY{FY_END % 100}"]
    done = subprocess.run([*command, "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and json.loads(done.stdout)["status"] == "committed", done.stdout + done.stderr
