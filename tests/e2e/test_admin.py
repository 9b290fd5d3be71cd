"""Administration in Chromium: an admin creates an analyst (the one-time password is shown once), the analyst
logs in with it in a second browser; the admin deactivates them and the analyst's open tab is refused at
its next action; a duplicate vendor is merged and the budget grid shows the survivor's name."""

from __future__ import annotations

import stat
import uuid
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, ROOT

MERGE_FY = 2093  # FY93: only this test's line
LOADED = 30_000  # ms to wait for a freshly loaded page's login check (the app's own signal: the shell)


def _seed_duplicate_vendors(tag: str) -> tuple[str, str, str]:
    """Two spellings of one vendor and a budget line on the duplicate; committed before any page loads."""
    from opex_app.auth.permissions import cli_principal
    from opex_app.db import transaction
    from opex_app.domain.fiscal import FiscalYear
    from opex_app.models import BudgetLine
    from opex_app.services import masters_admin
    from opex_app.services.fiscal_years import ensure_fiscal_year

    duplicate, survivor, uid = f"Vendor {tag} Ltd", f"Vendor {tag} Ltd.", f"M-{tag}-1"
    with transaction() as session:
        fy = ensure_fiscal_year(session, FiscalYear(MERGE_FY))
        dup_id = masters_admin.create_master(session=session, principal=cli_principal(), kind="vendor", name=duplicate)
        masters_admin.create_master(session=session, principal=cli_principal(), kind="vendor", name=survivor)
        session.add(
            BudgetLine(
                fiscal_year_id=fy.id,
                uid=uid,
                vendor_id=dup_id,
                currency_code="INR",
                m01=Decimal("1000"),
                created_by="e2e",
            )
        )
    return duplicate, survivor, uid


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


def _create_analyst(page: Page, url: str, email: str) -> str:
    page.goto(f"{url}/admin/users")
    page.get_by_test_id("new-user-email").fill(email)
    page.get_by_test_id("new-user-name").fill("Ana Lyst")
    page.get_by_test_id("new-user-role-viewer").click()  # ticked by default: untick
    page.get_by_test_id("new-user-role-analyst").click()
    page.get_by_test_id("new-user-submit").click()
    shown = page.get_by_test_id("one-time-password")
    expect(shown).to_be_visible()
    secret = shown.inner_text().strip()
    assert len(secret) >= 12
    _shot(page, "users-one-time-password")
    page.get_by_test_id("one-time-password-done").click()
    expect(page.get_by_test_id("one-time-password")).to_have_count(0)
    expect(page.get_by_text(secret)).to_have_count(0)  # shown once: gone from the page with the dialog
    expect(page.get_by_test_id("users-table").locator("tr", has_text=email)).to_contain_text("Analyst")
    _shot(page, "users")
    return secret


def _deactivate(page: Page, email: str) -> None:
    page.get_by_test_id("users-search").fill(email)
    page.get_by_test_id("users-search").press("Enter")
    row = page.get_by_test_id("users-table").locator("tbody tr", has_text=email)
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Deactivate").click()
    page.get_by_test_id("confirm-action").click()
    expect(page.get_by_test_id("new-user-message")).to_contain_text(f"{email} is deactivated")
    expect(row).to_contain_text("deactivated")
    expect(row.get_by_role("button", name="Reactivate")).to_be_visible()


def _merge(page: Page, url: str, duplicate: str, survivor: str) -> None:
    page.goto(f"{url}/admin/masters")
    page.get_by_test_id("masters-tab-vendor").click()
    page.get_by_test_id("masters-search").fill(duplicate)
    page.get_by_test_id("masters-search").press("Enter")
    table = page.get_by_test_id("masters-table")
    # the search's two rows, not the first page it replaces: a click on a row being re-rendered can land on another
    expect(table.locator("tbody tr")).to_have_count(2)
    row = table.locator("tbody tr").filter(has=page.get_by_text(duplicate, exact=True))
    expect(row).to_contain_text("1 line, 0 POs, 0 invoices")
    row.get_by_role("button", name="Merge into…").click()
    page.get_by_test_id("master-merge-survivor").fill(survivor)
    _shot(page, "masters-merge-dialog")
    page.get_by_test_id("master-merge-submit").click()
    expect(page.get_by_test_id("masters-message")).to_contain_text(f"Merged '{duplicate}' into '{survivor}'")
    expect(row).to_contain_text(f"merged into {survivor}")
    _shot(page, "masters")
    page.get_by_test_id("masters-tab-currency").click()
    expect(page.get_by_text("page 1 of 7")).to_be_visible()  # ~170 currencies, 25 a page
    page.get_by_test_id("masters-search").fill("usd")
    page.get_by_test_id("masters-search").press("Enter")
    expect(table.locator("tbody tr", has_text="USD ·")).to_contain_text("active")
    _shot(page, "masters-currencies")
    page.get_by_test_id("masters-tab-fiscal_year").click()
    expect(table.locator("tbody tr", has_text="FY93")).to_contain_text("1 line")
    _shot(page, "masters-fiscal-years")


def test_admin_manages_an_analyst_and_merges_a_vendor(page: Page, chromium, login, running_app) -> None:
    tag = uuid.uuid4().hex[:6]
    duplicate, survivor, uid = _seed_duplicate_vendors(tag)
    email = f"analyst-{tag}@example.com"
    login(running_app.admin_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Admin", timeout=LOADED)
    secret = _create_analyst(page, running_app.url, email)

    other = chromium.new_context(viewport={"width": 1366, "height": 768})
    other.set_default_timeout(20_000)
    try:
        tab = other.new_page()
        tab.goto(f"{running_app.url}/login")
        tab.get_by_test_id("login-email").fill(email)
        tab.get_by_test_id("login-password").fill(secret)
        tab.get_by_test_id("login-submit").click()
        expect(tab.get_by_test_id("user-role")).to_have_text("Analyst", timeout=LOADED)
        tab.goto(f"{running_app.url}/budgets?fy=FY93")
        expect(tab.get_by_test_id("grid-row")).to_contain_text(duplicate, timeout=LOADED)

        _deactivate(page, email)
        tab.get_by_test_id("grid-search").fill(uid)
        tab.get_by_test_id("grid-search").press("Enter")  # the open tab's next event
        expect(tab.get_by_text("Your session has ended. Please log in again.")).to_be_visible(timeout=LOADED)
        tab.screenshot(path=str(ARTIFACTS / "admin-analyst-refused.png"), full_page=True)
    finally:
        other.close()

    _merge(page, running_app.url, duplicate, survivor)
    page.goto(f"{running_app.url}/budgets?fy=FY93")
    grid_row = page.get_by_test_id("grid-row")
    expect(grid_row.get_by_text(survivor, exact=True)).to_be_visible(timeout=LOADED)
    expect(grid_row.get_by_text(duplicate, exact=True)).to_have_count(0)

    page.goto(f"{running_app.url}/admin/roles")
    expect(page.get_by_test_id("grant-analyst-import")).to_have_attribute("data-granted", "yes", timeout=LOADED)
    expect(page.get_by_test_id("grant-viewer-manage_users")).to_have_attribute("data-granted", "no")
    _shot(page, "roles")


# Each admin address, the refusal its on_load gets from the server ('' = a page with no server handler), and
# where its data would show: none of it may reach a viewer's page.
ADMIN_PAGES = [
    ("/admin/users", "manage users", "users-table"),
    ("/admin/roles", "", "roles-matrix"),
    ("/admin/masters", "manage masters", "masters-table"),
    ("/admin/audit", "view audit", "audit-row"),
    ("/admin/imports", "view audit", "import-history-row"),
]


def test_viewer_is_refused_on_the_admin_pages(page: Page, login, running_app) -> None:
    """Typing each admin address: the page shows the refusal instead of itself, and its on_load handler, which
    runs anyway, is refused on the server (the toast names the permission), so no row reaches the browser."""
    login(running_app.viewer_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Viewer", timeout=LOADED)
    for nav in ("nav-admin-users", "nav-admin-masters", "nav-admin-roles", "nav-admin-audit"):
        expect(page.get_by_test_id(nav)).to_have_count(0)
    for route, refused, data in ADMIN_PAGES:
        page.goto(f"{running_app.url}{route}")
        # the shell appears once the login check has answered: on a busy machine that is seconds, not a fault
        expect(page.get_by_test_id("user-role")).to_have_text("Viewer", timeout=LOADED)
        expect(page.get_by_test_id("not-allowed")).to_be_visible()
        if refused:
            expect(page.get_by_text(f"Your role does not allow this ({refused}).")).to_be_visible(timeout=LOADED)
        expect(page.get_by_test_id(data)).to_have_count(0)
        _shot(page, f"viewer-refused-{route.rsplit('/', 1)[-1]}")


def test_the_serving_workers_create_files_private(running_app) -> None:
    """The app's lifespan task ran in each worker that answers requests (GRANIAN_WORKERS=2): their umask is
    077, so whatever they write (Reflex's saved states, a library's file) is private to the app's user. The
    `reflex run` parent, which built the frontend that nginx may serve, keeps its usual umask."""
    import psutil

    def umask(pid: int) -> str:
        status = Path(f"/proc/{pid}/status").read_text()
        return next(line.split()[1] for line in status.splitlines() if line.startswith("Umask:"))

    family = psutil.Process(running_app.pid).children(recursive=True)
    private = [p.pid for p in family if umask(p.pid) == "0077"]
    assert len(private) >= 2, {p.pid: (p.name(), umask(p.pid)) for p in family}
    assert umask(running_app.pid) != "0077"
    assert stat.S_IMODE((ROOT / "data").stat().st_mode) == 0o700
