"""The analyst's path: drop a messy workbook, see exactly which cells are wrong and what was left out, fix,
commit, see the lines."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from playwright.sync_api import expect

from tests.domain.workbooks import MONTHS_FY27, write_workbook

HEADER = ["Line ID", "Service Description", "Tower", "Vendor Name", "Curr", "Start Date", *MONTHS_FY27, "FY Total"]
SLOW = 30_000  # ms: a preview reads the file and the database in a worker thread


def _tracker(path: Path, *, broken: bool) -> Path:
    rows: list[list[object]] = [["OPEX tracker FY27"], ["Prepared by Finance"], HEADER]
    for i in range(1, 6):
        rows.append(
            [
                f"E2E-FY27-{i:03d}",
                f"Support contract {i}",
                "E2E Tower",
                "E2E Vendor",
                "INR",
                date(2026, 4, 1),
                *["10,000.00"] * 12,
                120000,
            ]
        )
    if broken:
        rows[4][8] = "12O00"  # a letter O typed for a zero, Jun-26 of worksheet row 5
    rows.append([None, "Grand Total"])  # a totals row: skipped, with a warning
    return write_workbook(path, rows, sheet="Tracker")


def test_import_error_fix_commit_and_grid(page, login, running_app, tmp_path: Path) -> None:
    login(running_app.analyst_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Analyst")
    page.goto(f"{running_app.url}/import")
    expect(page.get_by_test_id("import-kind")).to_contain_text("Budget lines")
    upload = page.locator("input[type=file]")

    upload.set_input_files(_tracker(tmp_path / "broken.xlsx", broken=True))
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("Tracker!I5", timeout=SLOW)
    expect(errors).to_contain_text("12O00")
    warnings = page.get_by_test_id("import-warnings")
    expect(warnings).to_contain_text("Warnings (1)")
    expect(warnings).to_contain_text(re.compile(r"Tracker![A-Z]+9(?!\d)"))  # the totals row, worksheet row 9
    expect(warnings).to_contain_text("skipped as a totals row")
    expect(page.get_by_test_id("import-summary")).to_contain_text("Skipped rows")
    expect(page.get_by_test_id("import-read")).to_contain_text("UID ← 'Line ID'")
    expect(page.get_by_test_id("import-read")).to_contain_text("12 month column(s) (Apr-26 … Mar-27)")
    expect(page.get_by_test_id("import-commit")).to_be_disabled()

    # "Import the valid rows" previews again: the four good lines may now be committed.
    page.get_by_test_id("skip-invalid").click()
    expect(page.get_by_test_id("import-message")).to_contain_text(
        "4 new and 0 changed line(s) will be imported", timeout=SLOW
    )
    expect(page.get_by_test_id("import-commit")).to_be_enabled()
    page.get_by_test_id("skip-invalid").click()
    expect(page.get_by_test_id("import-message")).to_contain_text("1 error(s): nothing was imported", timeout=SLOW)
    expect(page.get_by_test_id("import-commit")).to_be_disabled()

    upload.set_input_files(_tracker(tmp_path / "fixed.xlsx", broken=False))
    expect(page.get_by_test_id("import-errors")).to_have_count(0, timeout=SLOW)
    expect(page.get_by_test_id("import-summary")).to_contain_text("5")
    expect(page.get_by_test_id("import-commit")).to_be_enabled()
    page.get_by_test_id("import-commit").click()
    expect(page.get_by_test_id("import-message")).to_contain_text(
        "5 new and 0 changed line(s) were imported", timeout=SLOW
    )

    page.goto(f"{running_app.url}/budgets?fy=FY27&search=E2E-FY27")
    expect(page).to_have_url(re.compile(r"search=E2E-FY27"))
    expect(page.get_by_text("E2E-FY27-005")).to_be_visible()
    expect(page.get_by_text("E2E-FY27-001")).to_be_visible()
