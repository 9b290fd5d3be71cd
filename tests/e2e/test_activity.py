"""The activity log in Chromium: a failed login, the admin's login and an export of theirs appear on
/admin/activity with the client's address, and the filters live in the address."""

from __future__ import annotations

import re
import uuid

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

LOADED = 30_000  # ms: a freshly loaded page's login check (the app's own signal: the shell)
ADDRESS = re.compile(r"^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]+)$")  # an IPv4 or IPv6 address, never 'unknown'


def test_a_failed_login_a_login_and_an_export_are_in_the_activity_log(page: Page, login, running_app, tmp_path) -> None:
    tried = f"nobody-{uuid.uuid4().hex[:6]}@example.com"
    login(tried, "not the password")
    expect(page.get_by_test_id("login-error")).to_have_text("Wrong e-mail or password.", timeout=LOADED)

    login(running_app.admin_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Admin", timeout=LOADED)
    page.get_by_test_id("nav-admin-activity").click()
    expect(page.get_by_test_id("activity-table")).to_be_visible(timeout=LOADED)

    page.get_by_test_id("activity-filter-user").fill(tried)
    page.get_by_test_id("activity-filter-apply").click()
    expect(page).to_have_url(re.compile(r"/admin/activity/\?user=nobody-"), timeout=LOADED)
    failed = page.get_by_test_id("activity-row")
    expect(failed).to_have_count(1, timeout=LOADED)
    expect(failed).to_contain_text("Failed login")
    expect(failed).to_contain_text(tried)
    expect(failed.locator("td").nth(3)).to_have_text(ADDRESS)

    page.get_by_test_id("activity-filter-user").fill(running_app.admin_email)
    page.get_by_test_id("activity-filter-apply").click()
    expect(page).to_have_url(re.compile(r"user=admin-"), timeout=LOADED)
    # the view's on_load has answered (the address changes first): the export takes the filters shown
    expect(page.get_by_test_id("activity-row").first).to_contain_text(running_app.admin_email, timeout=LOADED)
    with page.expect_download(timeout=LOADED) as caught:  # served by the route that logs it
        page.get_by_test_id("activity-export").click()
    saved = tmp_path / "activity.xlsx"
    caught.value.save_as(saved)
    sheet = load_workbook(saved)["Activity"]
    assert any(row[1] == running_app.admin_email and row[2] == "Login" for row in sheet.iter_rows(values_only=True))

    page.reload()  # the export is logged once its file has been served
    rows = page.get_by_test_id("activity-row")
    export = rows.filter(has_text="activity-log.xlsx")
    expect(export.first).to_contain_text("Export", timeout=LOADED)
    expect(export.first.locator("td").nth(3)).to_have_text(ADDRESS)
    expect(rows.filter(has_text="Login").first.locator("td").nth(3)).to_have_text(ADDRESS)
