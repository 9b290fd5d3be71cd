"""Column mapping and mapping profiles: a file whose key column the app does not know is mapped by hand
once, saved as a profile, and the next file with the same headers imports without asking."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from opex_app.domain.fiscal import FiscalYear
from tests.domain.workbooks import write_workbook

MONTHS_FY49 = FiscalYear(2049).month_labels()  # Apr-48 .. Mar-49: a FY no other test uses
HEADER = ["Cost ID", "Description", *MONTHS_FY49, "Owner"]
PROFILE = "Cost ID tracker"
SLOW = 30_000  # ms: a preview reads the file and the database in a worker thread


def _cost_sheet(path: Path, batch: int) -> Path:
    rows: list[list[object]] = [HEADER]
    for i in range(1, 4):
        rows.append([f"MAP-{batch}-{i:03d}", f"Hosting {batch}.{i}", *[1000 * i] * 12, "Finance"])
    return write_workbook(path, rows, sheet="Costs")


def test_map_columns_save_profile_and_reuse_it(page, login, running_app, tmp_path: Path) -> None:
    login(running_app.analyst_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Analyst")
    page.goto(f"{running_app.url}/import")
    upload = page.locator("input[type=file]")

    # A file without a UID column is refused, and the editor offers its headers.
    upload.set_input_files(_cost_sheet(tmp_path / "costs-1.xlsx", 1))
    editor = page.get_by_test_id("mapping-editor")
    expect(editor).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("import-message")).to_contain_text("no budget line table")
    expect(editor).to_contain_text("Cost ID")
    expect(page.get_by_test_id("map-1")).to_contain_text("Description")  # recognised by its name
    expect(page.get_by_test_id("map-2")).to_contain_text("month column")  # Apr-48
    expect(page.get_by_test_id("import-commit")).to_have_count(0)

    page.get_by_test_id("map-0").click()
    page.get_by_role("option", name="UID", exact=True).click()
    expect(page.get_by_test_id("map-0")).to_contain_text("UID")
    page.get_by_test_id("mapping-apply").click()

    summary = page.get_by_test_id("import-summary")
    expect(summary).to_contain_text("3", timeout=SLOW)
    expect(page.get_by_test_id("import-message")).to_contain_text("3 new and 0 changed line(s) will be imported")
    expect(page.get_by_test_id("import-read")).to_contain_text("UID ← 'Cost ID'")
    expect(page.get_by_test_id("import-warnings")).to_contain_text("column 'Owner'")
    expect(page.get_by_test_id("import-commit")).to_be_enabled()

    page.get_by_test_id("profile-name").fill(PROFILE)
    page.get_by_test_id("profile-save").click()
    expect(page.get_by_test_id("profile-applied")).to_contain_text(PROFILE)
    expect(page.get_by_test_id("profiles-toggle")).to_contain_text("Mapping profiles (1)")

    page.get_by_test_id("import-commit").click()
    expect(page.get_by_test_id("import-message")).to_contain_text(
        "3 new and 0 changed line(s) were imported", timeout=SLOW
    )

    # The next file with the same headers: the profile is applied, nothing to map by hand.
    upload.set_input_files(_cost_sheet(tmp_path / "costs-2.xlsx", 2))
    applied = page.get_by_test_id("profile-applied")
    expect(applied).to_contain_text(f"Mapping profile '{PROFILE}' applied", timeout=SLOW)
    expect(page.get_by_test_id("import-message")).to_contain_text("3 new and 0 changed line(s) will be imported")
    expect(page.get_by_test_id("mapping-editor")).to_have_count(0)
    expect(page.get_by_test_id("import-read")).to_contain_text("UID ← 'Cost ID'")
    page.get_by_test_id("import-commit").click()
    expect(page.get_by_test_id("import-message")).to_contain_text(
        "3 new and 0 changed line(s) were imported", timeout=SLOW
    )

    # The profiles section: rename, then delete.
    page.get_by_test_id("profiles-toggle").click()
    listing = page.get_by_test_id("profiles-list")
    expect(listing).to_contain_text(PROFILE)
    expect(listing).to_contain_text("Cost ID → UID")
    expect(listing).not_to_contain_text("Description →")  # read by its name: not part of the profile
    listing.get_by_test_id("profile-rename").click()
    page.get_by_test_id("profile-new-name").fill("Hosting costs")
    page.get_by_test_id("profile-rename-confirm").click()
    expect(listing).to_contain_text("Hosting costs")
    expect(page.get_by_test_id("profile-applied")).to_contain_text("Hosting costs")

    # A profile applied to a file can be cleared: the file is read as it is again (and refused).
    upload.set_input_files(_cost_sheet(tmp_path / "costs-3.xlsx", 3))
    expect(page.get_by_test_id("import-message")).to_contain_text("will be imported", timeout=SLOW)
    expect(page.get_by_test_id("profile-applied")).to_contain_text("Hosting costs")
    page.get_by_test_id("profile-clear").click()
    expect(page.get_by_test_id("mapping-editor")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("import-message")).to_contain_text("no budget line table")
    expect(page.get_by_test_id("profile-applied")).to_have_count(0)

    listing.get_by_test_id("profile-delete").click()
    page.get_by_test_id("profile-delete-confirm").click()
    expect(page.get_by_test_id("profiles-list")).to_have_count(0)
    expect(page.get_by_test_id("profiles-toggle")).to_contain_text("Mapping profiles (0)")
