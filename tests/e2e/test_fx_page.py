"""The FX rates page in Chromium: an admin adds a rate and sees it in force, corrects it and sees the history
kept; a clear error for a bad rate; a Viewer is refused the page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

CURRENCY = "LKR"  # no other test writes it; a past date, so the rate is in force today
DAY = "2021-04-01"
WAIT = 20_000  # ms: each step waits on what the server sends back, never on time


def test_admin_adds_a_rate_sees_it_and_its_history(page, login, running_app) -> None:
    login(running_app.admin_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Admin", timeout=WAIT)
    page.goto(f"{running_app.url}/admin/fx")
    loaded = page.get_by_role("heading", name=re.compile(r"Rates in force on \d{2}-\w{3}-\d{4}"))
    expect(loaded).to_be_visible(timeout=WAIT)

    page.get_by_test_id("fx-currency").fill(CURRENCY.lower())
    page.get_by_test_id("fx-rate").fill("0.2875")
    page.get_by_test_id("fx-from").fill(DAY)
    page.get_by_test_id("fx-submit").click()
    message = page.get_by_test_id("fx-message")
    expect(message).to_have_text(f"{CURRENCY} 0.2875 from 01-Apr-2021 recorded.", timeout=WAIT)
    row = page.get_by_test_id("fx-current-row").filter(has_text=CURRENCY)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("0.2875")
    expect(row).to_contain_text("01-Apr-2021")
    expect(row).to_contain_text(running_app.admin_email)

    # a correction of the same date: a new row wins, the first one is kept in the history
    page.get_by_test_id("fx-rate").fill("0.29")
    page.get_by_test_id("fx-submit").click()
    expect(message).to_have_text(f"{CURRENCY} 0.29 from 01-Apr-2021 recorded, correcting 0.2875.", timeout=WAIT)
    expect(row).to_contain_text("0.29")
    history = page.get_by_test_id("fx-history").locator("tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("0.29")
    expect(history.nth(1)).to_contain_text("0.2875")
    expect(history.nth(1)).to_contain_text("corrected")

    # a bad rate is refused with a clear message; nothing is added
    page.get_by_test_id("fx-rate").fill("abc")
    page.get_by_test_id("fx-submit").click()
    expect(page.get_by_test_id("fx-error")).to_have_text("'abc' is not a rate.", timeout=WAIT)
    expect(message).to_have_count(0)
    expect(history).to_have_count(2)

    # a fresh visit: the rate is in force; clicking its row opens its history
    page.goto(f"{running_app.url}/admin/fx")
    expect(loaded).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("fx-error")).to_have_count(0, timeout=WAIT)
    expect(row).to_contain_text("0.29")
    expect(page.get_by_test_id("fx-history")).to_have_count(0)
    row.click()
    expect(page.get_by_role("heading", name=f"History of {CURRENCY}, newest first")).to_be_visible(timeout=WAIT)
    expect(history).to_have_count(2)


def test_viewer_is_refused_the_fx_page(page, login, running_app) -> None:
    login(running_app.viewer_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Viewer", timeout=WAIT)
    page.goto(f"{running_app.url}/admin/fx")
    expect(page.get_by_test_id("not-allowed")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("fx-table")).to_have_count(0)
    expect(page.get_by_test_id("fx-submit")).to_have_count(0)
