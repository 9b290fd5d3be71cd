"""End-to-end fixtures: the real app (`reflex run --env prod`, Redis state manager) started once per
test session against the test database, and Debian's Chromium driven by Playwright.

Timeouts are set once, here, and generous: on a busy two-core machine a login or a page's on_load can take
seconds, which is slowness, not a fault. Tests wait on the app's own signals (a visible element, a text, a
data attribute the state renders) through `expect`, never on fixed sleeps; Playwright's own 5 s default for
`expect` timed the login and refusal tests out under load. The app and its users hash passwords at argon2's
test cost (OPEX_ENV=test, see opex_app/auth/passwords.py), so each login does not spend 0.7 s of CPU.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.app_process import serve_app
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct horse battery"
EXPECT_TIMEOUT_MS = 30_000  # every expect(...) waits this long for the app's signal
ACTION_TIMEOUT_MS = 30_000  # clicks, fills and navigations

expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def _need(ok: bool, what: str) -> None:
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI", pytrace=False)
    pytest.skip(f"{what} not available")


def _redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception:  # noqa: BLE001
        _need(False, f"Redis at {url}")
    return url


@dataclass(frozen=True)
class RunningApp:
    url: str
    admin_email: str
    viewer_email: str
    analyst_email: str
    password: str = PASSWORD
    pid: int = 0  # the `reflex run` process; its workers are its descendants
    approver_email: str = ""  # the role that audits (view + approve + audit trail) without administering


@pytest.fixture(scope="session")
def running_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    _need(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM}")
    redis_url = _redis_url()
    from opex_app.auth import passwords
    from opex_app.auth.permissions import RoleName, cli_principal
    from opex_app.db import transaction
    from opex_app.services.users import create_user

    tag = uuid.uuid4().hex[:6]
    emails = {role: f"{role.value}-{tag}@example.com" for role in RoleName}
    with pytest.MonkeyPatch.context() as patch, transaction() as session:
        patch.setattr(passwords, "_hasher", passwords.hasher_for("test"))  # as the app started below hashes
        for role, email in emails.items():
            create_user(
                session,
                cli_principal(),
                email=email,
                role=role,
                password=PASSWORD,
                full_name=f"Test {role.value.title()}",
            )

    ARTIFACTS.mkdir(exist_ok=True)
    # a state that grows too large fails the test, not production
    limits = {
        "REFLEX_PERF_MODE": "raise",
        "REFLEX_STATE_SIZE_LIMIT": "1000",
        "GRANIAN_WORKERS": "2",
        "OPEX_ENV": "test",
    }
    # as deployed: the two workers write their metrics into one directory (tests/e2e/test_metrics.py reads it)
    limits["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path_factory.mktemp("metrics"))
    with serve_app(database_url, redis_url, ARTIFACTS / "app.log", limits) as (base, pid):
        yield RunningApp(
            base,
            emails[RoleName.ADMIN],
            emails[RoleName.VIEWER],
            emails[RoleName.ANALYST],
            pid=pid,
            approver_email=emails[RoleName.APPROVER],
        )


@pytest.fixture(scope="session")
def chromium(running_app: RunningApp) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture()
def page(chromium, request):
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


LOGGED_IN = 30_000  # ms: a login loads a whole new page (its socket must carry the new cookie)


def log_in_as(tab, url: str, email: str, role: str) -> None:
    """Log `email` in through the form of `tab` (any browser context) and wait for the shell to show `role`."""
    tab.goto(f"{url}/login")
    tab.get_by_test_id("login-email").fill(email)
    tab.get_by_test_id("login-password").fill(PASSWORD)
    tab.get_by_test_id("login-submit").click()
    expect(tab.get_by_test_id("user-role")).to_have_text(role)


def import_budget(session, path: Path, fy, *, file_name: str | None = None):
    """Import the budget workbook `path` into `fy` as the CLI, inside the caller's transaction; it must commit."""
    from opex_app.auth.permissions import cli_principal
    from opex_app.services.imports import ImportOptions, run_import

    result = run_import(
        session,
        cli_principal(),
        "budget",
        path,
        file_name=file_name or path.name,
        options=ImportOptions(fiscal_year=fy),
    )
    assert result.status == "committed", result.message
    return result


@pytest.fixture()
def login(page, running_app: RunningApp) -> Callable[[str], object]:
    """Log in through the form; returns once the app has answered: the shell of the new page (the browser
    posted to /api/session and navigated), or the form's refusal."""

    def do(email: str, password: str = PASSWORD) -> object:
        from playwright.sync_api import expect

        page.goto(f"{running_app.url}/login")
        page.get_by_test_id("login-email").fill(email)
        page.get_by_test_id("login-password").fill(password)
        page.get_by_test_id("login-submit").click()
        answered = page.get_by_test_id("user-role").or_(page.get_by_test_id("login-error"))
        expect(answered).to_be_visible(timeout=LOGGED_IN)
        return page

    return do
