"""An auditor finds who changed a month and from what value: an analyst edits one month of a line in the
browser (and sees that month's history on the line), and an approver (who may view the audit trail without
administering anything) finds that change in the audit log by the line's UID, with the old and new amount and
the editor's e-mail, and exports it to Excel; the filter stays in the address."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.conftest import import_budget, log_in_as

AUDIT_FY = 2094  # FY94, Apr-93 .. Mar-94: a year no other test uses (FY47 is the actuals flow's)


@pytest.fixture(scope="module")
def line(running_app) -> tuple[int, str]:
    """A line of FY94 with Aug-93 (fiscal month 5) at 100, committed before any page loads."""
    from opex_app.db import transaction
    from opex_app.domain.fiscal import FiscalYear
    from opex_app.models import BudgetLine
    from opex_app.services.fiscal_years import ensure_fiscal_year

    uid = f"AUD-{uuid.uuid4().hex[:6]}"
    with transaction() as session:
        fy = ensure_fiscal_year(session, FiscalYear(AUDIT_FY))
        row = BudgetLine(fiscal_year_id=fy.id, uid=uid, created_by="e2e", currency_code="INR", m05=Decimal("100"))
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id, uid


def test_an_auditor_finds_who_changed_a_month_and_from_what(page, chromium, running_app, line, tmp_path) -> None:
    line_id, uid = line
    log_in_as(page, running_app.url, running_app.analyst_email, "Analyst")
    page.goto(f"{running_app.url}/budgets/{line_id}")
    page.get_by_test_id("edit-line").click()
    page.get_by_test_id("edit-m05").fill("2,500")
    page.get_by_test_id("edit-save").click()
    expect(page.get_by_test_id("edit-saved")).to_contain_text("version 2")
    # the cell's own history, on the line
    page.get_by_test_id("cell-history-month").click()
    page.get_by_role("option", name="Aug-93").click()
    change = page.get_by_test_id("cell-history-row")
    expect(change).to_have_count(1)
    for shown in (running_app.analyst_email, "100.00", "2,500.00"):
        expect(change).to_contain_text(shown)

    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    context.set_default_timeout(20_000)
    try:
        auditor = context.new_page()
        log_in_as(auditor, running_app.url, running_app.approver_email, "Approver")
        auditor.goto(f"{running_app.url}/admin/audit")
        expect(auditor.get_by_test_id("audit-count")).to_contain_text("page 1")  # loaded: the form is the view's
        auditor.get_by_test_id("audit-filter-ref").fill(uid)
        auditor.get_by_test_id("audit-filter-apply").click()
        expect(auditor).to_have_url(f"{running_app.url}/admin/audit/?ref={uid}")
        expect(auditor.get_by_test_id("audit-count")).to_contain_text("1 event")
        row = auditor.get_by_test_id("audit-row")
        expect(row).to_have_count(1)
        for shown in (running_app.analyst_email, "update", "budget_line", "Aug-93", "100.00", "2,500.00"):
            expect(row).to_contain_text(shown)
        with auditor.expect_download() as download:
            auditor.get_by_test_id("audit-export").click()
        assert download.value.suggested_filename == "audit-trail.xlsx"
        saved = tmp_path / "audit-trail.xlsx"
        download.value.save_as(saved)
        rows = [r[1:] for r in load_workbook(saved, read_only=True)["Audit"].iter_rows(min_row=4, values_only=True)]
        editor = running_app.analyst_email
        assert rows == [(editor, "update", "budget_line", str(line_id), "Aug-93", "100.00", "2,500.00")]
        # the address alone gives the same view (a bookmark, a link sent to a colleague)
        auditor.goto(f"{running_app.url}/admin/audit/?ref={uid}&action=delete")
        expect(auditor.get_by_test_id("audit-count")).to_contain_text("0 events")
        expect(auditor.get_by_test_id("audit-filter-action")).to_have_value("delete")
    finally:
        context.close()


def test_import_history_lists_a_batch_and_gives_its_file_back(page, running_app, tmp_path) -> None:
    from opex_app.db import transaction
    from opex_app.domain.fiscal import FiscalYear
    from tests.domain.workbooks import write_workbook

    fy = FiscalYear(AUDIT_FY)
    name = f"history-{uuid.uuid4().hex[:6]}.xlsx"
    source = write_workbook(
        tmp_path / name, [["UID", "Description", "Currency", *fy.month_labels()], [f"H-{name[8:14]}", "x", "INR"]]
    )
    with transaction() as session:
        import_budget(session, source, fy, file_name=name)

    log_in_as(page, running_app.url, running_app.admin_email, "Admin")
    page.goto(f"{running_app.url}/admin/imports")
    row = page.get_by_test_id("import-history-row").filter(has_text=name)
    expect(row).to_contain_text("committed")
    with page.expect_download() as download:
        row.get_by_test_id("import-history-file").click()
    assert download.value.suggested_filename == name
    saved = tmp_path / "again.xlsx"
    download.value.save_as(saved)
    assert saved.read_bytes() == source.read_bytes()
