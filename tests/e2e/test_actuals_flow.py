"""Actuals in Chromium: a PO approved on a budget line commits money; an analyst imports an actuals workbook
through the import page (one invoice against the PO by PO number and UID, one whose UID matches nothing),
sees on the line detail that committed fell and actual rose by the invoice, then links the unmatched
invoice from the Unlinked actuals queue (to the line and the PO's line) and sees it leave the queue and the
line's actual rise again. The actual's page takes a reconciliation note, and an edit refused because
someone else saved first keeps what was typed.

The PO itself is raised, submitted and approved through the services (test_po_flow drives those pages);
the budget lines come in through the budget import (FY47, UIDs ACTE2E-...), which no other test uses.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, import_budget, log_in_as

FY_END = 2047  # FY47 = Apr 2046 - Mar 2047
PO_DATE = "2046-05-10"
SLOW = 30_000  # ms: a preview reads the file and the database in a worker thread
SHOTS = Path("/tmp/shots")


@dataclass(frozen=True)
class Seeded:
    tag: str
    uids: list[str]  # ACTE2E-<tag>-1, -2: budgets 12,00,000 / 6,00,000
    line_ids: list[int]
    vendor: str
    po_number: str  # approved, 1,00,000 on line 1


@pytest.fixture(scope="module")
def seeded(running_app, tmp_path_factory) -> Seeded:
    """Two budget lines imported from a workbook and a PO raised by the analyst, approved by an approver
    (committed before any page loads: the app is another process on the same database)."""
    from opex_app.auth.permissions import Principal, RoleName, cli_principal
    from opex_app.db import transaction
    from opex_app.domain.fiscal import FiscalYear
    from opex_app.models import BudgetLine
    from opex_app.services.purchase_orders import PoInput, PoLineInput, approve_po, create_po, submit_po
    from opex_app.services.users import create_user
    from tests.domain.workbooks import write_workbook

    tag = uuid.uuid4().hex[:6].upper()
    uids = [f"ACTE2E-{tag}-1", f"ACTE2E-{tag}-2"]
    vendor, entity = f"ACTE2E Vendor {tag}", f"ACTE2E Entity {tag}"
    header = ["UID", "Description", "Tower", "Vendor", "Entity", "Currency", *FiscalYear(FY_END).month_labels()]
    rows = [
        [uid, f"Actuals e2e line {n}", f"ACTE2E Tower {tag}", vendor, entity, "INR", *[amount] * 12]
        for n, (uid, amount) in enumerate(zip(uids, [100000, 50000], strict=True), start=1)
    ]
    path = write_workbook(tmp_path_factory.mktemp("act") / "budget.xlsx", [header, *rows])
    approver_email = f"act-approver-{tag.lower()}@example.com"
    analyst = Principal(actor=running_app.analyst_email, roles=frozenset({RoleName.ANALYST}))
    approver = Principal(actor=approver_email, roles=frozenset({RoleName.APPROVER}))
    number = f"ACTE2E-{tag}-PO"
    with transaction() as session:
        create_user(
            session, cli_principal(), email=approver_email, role=RoleName.APPROVER, password=PASSWORD, full_name="A"
        )
        import_budget(session, path, FiscalYear(FY_END))
        po = create_po(
            session,
            analyst,
            data=PoInput(
                po_number=number,
                po_date=date.fromisoformat(PO_DATE),
                vendor=vendor,
                entity=entity,
                currency="INR",
                value=Decimal("100000"),
                lines=[PoLineInput(uid=uids[0], amount=Decimal("100000"))],
            ),
        )
        assert po.id is not None
        po = submit_po(session, analyst, po.id, expected_version=po.version)
        approve_po(session, approver, po.id, expected_version=po.version)  # type: ignore[arg-type]
        line_ids = [session.exec(_line(BudgetLine, uid)).one() for uid in uids]
    return Seeded(tag=tag, uids=uids, line_ids=line_ids, vendor=vendor, po_number=number)


def _line(model, uid: str):
    from sqlmodel import select

    return select(model.id).where(model.uid == uid)


def _actuals_file(path: Path, s: Seeded) -> Path:
    from tests.domain.workbooks import write_workbook

    header = ["Invoice No", "Invoice Date", "Vendor", "Amount", "Currency", "UID", "PO Number", "Remarks"]
    rows: list[list[object]] = [
        header,
        [f"INV-{s.tag}-1", "15/07/2046", s.vendor, "30,000.00", "INR", s.uids[0], s.po_number, "Q1 support"],
        [f"INV-{s.tag}-2", date(2046, 8, 10), s.vendor, 20000, "INR", f"ACTE2E-{s.tag}-NOPE", None, "typo in UID"],
    ]
    return write_workbook(path, rows, sheet="Ledger")


def _other_edits_remarks(s: Seeded, invoice: str, remarks: str) -> None:
    from sqlmodel import select

    from opex_app.auth.permissions import Principal, RoleName
    from opex_app.db import transaction
    from opex_app.models import Actual
    from opex_app.services.actuals import ActualUpdate, update_actual

    other = Principal(actor=f"other-{s.tag.lower()}@example.com", roles=frozenset({RoleName.ANALYST}))
    with transaction() as session:
        actual = session.exec(select(Actual).where(Actual.invoice_number == invoice)).one()
        assert actual.id is not None
        update_actual(session, other, actual.id, expected_version=actual.version, changes=ActualUpdate(remarks=remarks))


def _expect_line_totals(page: Page, url: str, line_id: int, *, committed: str, actual: str) -> None:
    """The line detail's Total row: Budget, Committed, Actual, Available (an INR line)."""
    page.goto(f"{url}/budgets/{line_id}")
    total = page.get_by_test_id("line-months-row").filter(has_text="Total")
    cells = total.locator("td")
    expect(cells.nth(1)).to_have_text(committed)
    expect(cells.nth(2)).to_have_text(actual)


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"actuals-{name}.png"), full_page=True)


def test_import_actuals_against_a_po_and_link_the_unmatched_one(
    page, running_app, seeded: Seeded, tmp_path: Path
) -> None:
    url, line = running_app.url, seeded.line_ids[0]
    log_in_as(page, url, running_app.analyst_email, "Analyst")
    _expect_line_totals(page, url, line, committed="1,00,000.00", actual="0.00")

    # The import page, kind "actuals": the net-of-tax note, then the workbook previewed and committed.
    page.goto(f"{url}/import")
    expect(page.get_by_test_id("import-kind")).to_contain_text("Budget lines")
    expect(page.get_by_test_id("import-net-of-tax")).to_have_count(0)
    page.get_by_test_id("import-kind").click()
    page.get_by_role("option", name="Actuals").click()
    expect(page.get_by_test_id("import-kind")).to_contain_text("Actuals")
    expect(page.get_by_test_id("import-net-of-tax")).to_contain_text("net of recoverable tax")
    page.locator("input[type=file]").set_input_files(_actuals_file(tmp_path / "actuals.xlsx", seeded))
    warnings = page.get_by_test_id("import-warnings")
    expect(warnings).to_contain_text(f"ACTE2E-{seeded.tag}-NOPE", timeout=SLOW)
    expect(warnings).to_contain_text("matches no budget line")
    commit = page.get_by_test_id("import-commit")
    expect(commit).to_be_enabled()
    commit.click()
    expect(page.get_by_test_id("import-message")).to_contain_text(
        "2 new and 0 changed line(s) were imported", timeout=SLOW
    )

    # Committed fell and actual rose by the invoice booked against the PO.
    _expect_line_totals(page, url, line, committed="70,000.00", actual="30,000.00")

    # The unmatched invoice waits in the queue, with why.
    page.get_by_test_id("nav-actuals-unlinked").click()
    expect(page).to_have_url(re.compile(r"/actuals/unlinked/?$"))
    mine = page.get_by_test_id("unlinked-row").filter(has_text=f"INV-{seeded.tag}-2")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("20,000.00")
    expect(mine.get_by_test_id("unlinked-reason")).to_contain_text(f"UID 'ACTE2E-{seeded.tag}-NOPE' matched no")
    expect(page.get_by_test_id("unlinked-row").filter(has_text=f"INV-{seeded.tag}-1")).to_have_count(0)
    _shot(page, "queue")

    # Link it: the budget line by UID search in its FY, then the PO's line allocating to it.
    mine.get_by_test_id("unlinked-link-button").click()
    dialog = page.get_by_test_id("link-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("link-line-search").fill(f"acte2e-{seeded.tag}-")
    choice = dialog.get_by_test_id("link-line-choice").filter(has_text=seeded.uids[0])
    expect(choice).to_be_visible()
    expect(dialog.get_by_test_id("link-line-choice")).to_have_count(2)
    choice.click()
    expect(dialog.get_by_test_id("link-picked-line")).to_have_text(seeded.uids[0])
    po_choice = dialog.get_by_test_id("link-po-choice").filter(has_text=seeded.po_number)
    expect(po_choice).to_contain_text("70,000.00 open")
    po_choice.click()
    _shot(page, "link-dialog")

    # Someone else changes the invoice while the dialog is open: the link is refused, naming their change;
    # a second try links on top of it.
    _other_edits_remarks(seeded, f"INV-{seeded.tag}-2", "Vendor confirmed the UID typo")
    dialog.get_by_test_id("link-confirm").click()
    expect(dialog.get_by_test_id("link-error")).to_contain_text("saved invoice")
    expect(dialog.get_by_test_id("link-error")).to_contain_text("Vendor confirmed the UID typo")
    expect(dialog.get_by_test_id("link-picked-line")).to_have_text(seeded.uids[0])  # the picks are kept
    dialog.get_by_test_id("link-confirm").click()
    expect(page.get_by_test_id("link-done")).to_contain_text(
        f"Invoice INV-{seeded.tag}-2 linked to {seeded.uids[0]} (PO {seeded.po_number})"
    )
    expect(dialog).to_have_count(0)
    expect(mine).to_have_count(0)

    # The line's actual rose again (and the PO's open amount fell with it).
    _expect_line_totals(page, url, line, committed="50,000.00", actual="50,000.00")


def test_actual_page_notes_and_an_edit_refused_by_a_newer_version(page, running_app, seeded: Seeded) -> None:
    """An invoice typed in by hand; a reconciliation note; an edit refused because someone saved first keeps
    the typed amount and saves on a second try."""
    from opex_app.auth.permissions import Principal, RoleName
    from opex_app.db import transaction
    from opex_app.services.actuals import ActualUpdate, update_actual

    url = running_app.url
    log_in_as(page, url, running_app.analyst_email, "Analyst")
    page.goto(f"{url}/actuals/new")
    number = f"INV-{seeded.tag}-M1"
    page.get_by_test_id("actual-invoice_number").fill(number)
    page.get_by_test_id("actual-invoice_date").fill("2046-09-05")
    page.get_by_test_id("actual-vendor").fill(seeded.vendor)
    page.get_by_test_id("actual-amount").fill("5,000")
    page.get_by_test_id("actual-uid").fill(seeded.uids[1])
    page.get_by_test_id("actual-save").click()
    expect(page).to_have_url(re.compile(r"/actuals/\d+/?$"))
    actual_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    expect(page.get_by_test_id("actual-number")).to_contain_text(number)
    expect(page.get_by_test_id("actual-line")).to_have_text(seeded.uids[1])

    page.get_by_test_id("note-body").fill("Matched to the September statement")
    page.get_by_test_id("note-add").click()
    expect(page.get_by_test_id("note").first).to_contain_text("Matched to the September statement")

    page.get_by_test_id("actual-edit").click()
    page.get_by_test_id("actual-amount").fill("5,500")
    with transaction() as session:  # someone else saves first
        other = Principal(actor=f"other-{seeded.tag.lower()}@example.com", roles=frozenset({RoleName.ANALYST}))
        update_actual(session, other, actual_id, expected_version=1, changes=ActualUpdate(remarks="Checked by AP"))
    page.get_by_test_id("actual-save").click()
    expect(page.get_by_test_id("actual-conflict")).to_contain_text("saved invoice")
    expect(page.get_by_test_id("actual-amount")).to_have_value("5,500")
    expect(page.get_by_test_id("actual-remarks")).to_have_value("Checked by AP")
    _shot(page, "detail-conflict")
    page.get_by_test_id("actual-save").click()
    expect(page.get_by_test_id("actual-saved")).to_contain_text("version 3")
    expect(page.get_by_test_id("actual-card")).to_contain_text("INR 5,500.00")
    expect(page.get_by_test_id("actual-card")).to_contain_text("Checked by AP")
    expect(page.get_by_test_id("actual-history-row")).to_have_count(3)
    _shot(page, "detail")


def test_the_sidebar_offers_unlinked_actuals_to_analysts_and_fx_rates_to_admins(page, running_app) -> None:
    log_in_as(page, running_app.url, running_app.viewer_email, "Viewer")
    expect(page.get_by_test_id("nav-budgets")).to_be_visible()
    expect(page.get_by_test_id("nav-actuals-unlinked")).to_have_count(0)
    expect(page.get_by_test_id("nav-admin-fx")).to_have_count(0)
    page.get_by_test_id("logout").click()

    log_in_as(page, running_app.url, running_app.admin_email, "Admin")
    page.get_by_test_id("nav-admin-fx").click()
    expect(page).to_have_url(re.compile(r"/admin/fx/?$"))
    expect(page.get_by_test_id("not-allowed")).to_have_count(0)
