"""The dashboard in Chromium: its view lives in the URL (a filter picked survives a reload), a click on a tower
bar opens the budget grid filtered to that tower, and an actuals workbook imported through the import page
in a SECOND browser context moves the first context's Actual card without any reload (live refresh, possibly
across the two backend workers the harness runs).

Data: three budget lines of FY52 (Apr 2051 - Mar 2052; no other test uses it), in two towers of this run's
own names, imported through the budget service before any page loads. The dashboard is opened as of
31-Mar-2052 so the FY52 invoice (Jul-51) counts.

    tower A: DASHE2E-<tag>-A1 10,000 × 12 = 1,20,000; DASHE2E-<tag>-A2 5,000 × 12 = 60,000   → 1,80,000
    tower B: DASHE2E-<tag>-B1 20,000 × 12 = 2,40,000                                           → 2,40,000
    FY budget 4,20,000 = INR 4.20 L; actual 0, then 30,000 after the import (an invoice on A1).
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import import_budget, log_in_as

FY_END = 2052
AS_OF = "2052-03-31"
SLOW = 30_000  # ms: a preview reads the file and the database in a worker thread
LIVE = 10_000  # ms: the issue asks for 2 s; this only bounds the wait on a loaded CI machine


@dataclass(frozen=True)
class Seeded:
    tag: str
    tower_a: str
    tower_b: str
    vendor: str
    uids: list[str]  # A1, A2, B1


@pytest.fixture(scope="module")
def seeded(running_app, tmp_path_factory) -> Seeded:
    from opex_app.db import transaction
    from opex_app.domain.fiscal import FiscalYear
    from tests.domain.workbooks import write_workbook

    tag = uuid.uuid4().hex[:6].upper()
    tower_a, tower_b, vendor = f"DASHE2E Tower A {tag}", f"DASHE2E Tower B {tag}", f"DASHE2E Vendor {tag}"
    uids = [f"DASHE2E-{tag}-A1", f"DASHE2E-{tag}-A2", f"DASHE2E-{tag}-B1"]
    header = ["UID", "Description", "Tower", "Vendor", "Entity", "Currency", *FiscalYear(FY_END).month_labels()]
    rows = [
        [uid, f"Dashboard e2e {uid}", tower, vendor, f"DASHE2E Entity {tag}", "INR", *[amount] * 12]
        for uid, tower, amount in zip(uids, [tower_a, tower_a, tower_b], [10000, 5000, 20000], strict=True)
    ]
    path = write_workbook(tmp_path_factory.mktemp("dash") / "budget.xlsx", [header, *rows])
    with transaction() as session:
        import_budget(session, path, FiscalYear(FY_END))
    return Seeded(tag=tag, tower_a=tower_a, tower_b=tower_b, vendor=vendor, uids=uids)


def _kpi(page: Page, key: str):
    return page.get_by_test_id(f"kpi-{key}").get_by_test_id("kpi-value")


def _click_bar(page: Page, chart: str, index: int) -> None:
    """Click the middle of one drawn bar: plotly picks the point under the mouse (its own hit test)."""
    bar = page.get_by_test_id(chart).locator("g.trace.bars g.point path").nth(index)
    expect(bar).to_be_visible()
    box = bar.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _actuals_file(path: Path, s: Seeded) -> Path:
    from tests.domain.workbooks import write_workbook

    header = ["Invoice No", "Invoice Date", "Vendor", "Amount", "Currency", "UID", "Remarks"]
    rows = [header, [f"DASH-INV-{s.tag}", "15/07/2051", s.vendor, "30,000.00", "INR", s.uids[0], "July support"]]
    return write_workbook(path, rows, sheet="Ledger")


def _import_actuals(tab: Page, url: str, workbook: Path) -> None:
    tab.goto(f"{url}/import")
    expect(tab.get_by_test_id("import-kind")).to_contain_text("Budget lines")
    tab.get_by_test_id("import-kind").click()
    tab.get_by_role("option", name="Actuals").click()
    expect(tab.get_by_test_id("import-kind")).to_contain_text("Actuals")
    tab.locator("input[type=file]").set_input_files(workbook)
    commit = tab.get_by_test_id("import-commit")
    expect(commit).to_be_enabled(timeout=SLOW)
    commit.click()
    expect(tab.get_by_test_id("import-message")).to_contain_text(
        "1 new and 0 changed line(s) were imported", timeout=SLOW
    )


def test_dashboard_url_drill_down_and_live_refresh(page, chromium, running_app, seeded: Seeded, tmp_path) -> None:
    url = running_app.url
    log_in_as(page, url, running_app.viewer_email, "Viewer")
    page.goto(f"{url}/?fy=FY52&as_of={AS_OF}")
    expect(_kpi(page, "budget")).to_have_text("INR 4.20 L")
    expect(page.get_by_test_id("kpi-budget")).to_contain_text("4,20,000")
    expect(_kpi(page, "actual")).to_have_text("INR 0")
    expect(_kpi(page, "available")).to_have_text("INR 4.20 L")
    expect(page.get_by_test_id("dash-as-of-label")).to_contain_text("31-Mar-2052")

    # A filter picked goes into the URL, and a reload shows the same view.
    page.get_by_test_id("dash-tower").click()
    page.get_by_role("option", name=seeded.tower_b).click()
    expect(page).to_have_url(re.compile(rf"tower={re.escape(quote_plus(seeded.tower_b))}"))
    expect(page).to_have_url(re.compile(rf"fy=FY52.*as_of={AS_OF}"))
    expect(_kpi(page, "budget")).to_have_text("INR 2.40 L")
    page.reload()
    expect(page.get_by_test_id("dash-tower")).to_contain_text(seeded.tower_b)
    expect(_kpi(page, "budget")).to_have_text("INR 2.40 L")
    page.get_by_test_id("dash-clear").click()
    expect(_kpi(page, "budget")).to_have_text("INR 4.20 L")
    expect(page).not_to_have_url(re.compile(r"tower="))

    # Drill down: tower B has the larger budget, so it is the first group; tower A's Budget bar is the second
    # point of the Budget trace. Its click opens the grid of FY52 filtered to tower A.
    _click_bar(page, "chart-towers", 1)
    expect(page).to_have_url(re.compile(r"/budgets\?"))
    expect(page).to_have_url(re.compile(rf"tower={re.escape(quote_plus(seeded.tower_a))}"))
    expect(page).to_have_url(re.compile(r"fy=FY52"))
    expect(page.get_by_text(seeded.uids[0], exact=True)).to_be_visible()
    expect(page.get_by_text(seeded.uids[1], exact=True)).to_be_visible()
    expect(page.get_by_text(seeded.uids[2], exact=True)).to_have_count(0)

    # Back on the dashboard, a second browser context (an analyst) imports an actual through the import page.
    page.go_back()
    expect(_kpi(page, "actual")).to_have_text("INR 0")
    indicator = page.get_by_test_id("live-indicator")
    expect(indicator).to_be_visible()
    version_before = int(page.get_by_test_id("live-version").inner_text())
    other = chromium.new_context(viewport={"width": 1366, "height": 768})
    other.set_default_timeout(20_000)
    try:
        tab = other.new_page()
        log_in_as(tab, url, running_app.analyst_email, "Analyst")
        _import_actuals(tab, url, _actuals_file(tmp_path / "actuals.xlsx", seeded))
        committed_at = time.monotonic()  # the import page has said "imported": the write is committed
    finally:
        other.close()

    # The first context was never reloaded: its cards and indicator move by themselves.
    expect(_kpi(page, "actual")).to_have_text("INR 30,000", timeout=LIVE)
    print(f"live refresh: the Actual card moved {time.monotonic() - committed_at:.2f} s after the import committed")
    expect(_kpi(page, "available")).to_have_text("INR 3.90 L")
    expect(page.get_by_test_id("live-version")).not_to_have_text(str(version_before))
    assert int(page.get_by_test_id("live-version").inner_text()) > version_before

    # The line detail draws the same months as a small cumulative chart (budget, actual + committed, actual).
    page.goto(f"{url}/budgets?fy=FY52&search={seeded.uids[0]}")
    page.get_by_text(seeded.uids[0], exact=True).click()
    expect(page).to_have_url(re.compile(r"/budgets/\d+/?$"))
    expect(page.get_by_test_id("line-chart").locator(".scatterlayer .trace")).to_have_count(3)
