"""Purchase orders in Chromium: an analyst raises a PO on the form (budget lines found by UID search, a refused
save that keeps what was typed), allocates it to two budget lines and submits it; an approver in a second
browser sees it and the sidebar count in the inbox, approves it there, and the PO shows Approved with its
history. The approver's own PO never waits in their inbox; a PO over budget is approved only with a comment;
a rejection needs a reason.

The budget lines come in through the budget import (FY46, UIDs POE2E-...), which no other test uses.
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

FY_END = 2046  # FY46 = Apr 2045 - Mar 2046
PO_DATE = "2045-06-15"


@dataclass(frozen=True)
class Seeded:
    tag: str
    approver_email: str
    uids: list[str]  # POE2E-<tag>-1 .. -3: budgets 12,00,000 / 6,00,000 / 1,20,000 for the FY
    vendor: str
    entity: str
    own_po: str  # raised by the approver, submitted
    over_po: str  # raised by the analyst, submitted, takes line 3 over budget
    reject_po: str  # raised by the analyst, submitted
    waiting_po: str  # raised by the analyst, submitted, left waiting


def _budget_file(path: Path, uids: list[str], monthly: list[int], tower: str, vendor: str, entity: str) -> Path:
    from opex_app.domain.fiscal import FiscalYear
    from tests.domain.workbooks import write_workbook

    header = ["UID", "Description", "Tower", "Vendor", "Entity", "Currency", *FiscalYear(FY_END).month_labels()]
    rows = [
        [uid, f"PO e2e line {n}", tower, vendor, entity, "INR", *[amount] * 12]
        for n, (uid, amount) in enumerate(zip(uids, monthly, strict=True), start=1)
    ]
    return write_workbook(path, [header, *rows])


@pytest.fixture(scope="module")
def seeded(running_app, tmp_path_factory) -> Seeded:
    """An approver, three budget lines imported from a workbook, and four submitted POs made through the
    services (committed before any page loads: the app is another process on the same database)."""
    from opex_app.auth.permissions import Principal, RoleName, cli_principal
    from opex_app.db import transaction
    from opex_app.domain.fiscal import FiscalYear
    from opex_app.services.purchase_orders import PoInput, PoLineInput, create_po, submit_po
    from opex_app.services.users import create_user

    tag = uuid.uuid4().hex[:6].upper()
    approver = f"approver-{tag.lower()}@example.com"
    uids = [f"POE2E-{tag}-{n}" for n in (1, 2, 3)]
    vendor, entity = f"POE2E Vendor {tag}", f"POE2E Entity {tag}"
    path = _budget_file(
        tmp_path_factory.mktemp("po") / "budget.xlsx",
        uids,
        [100000, 50000, 10000],
        f"POE2E Tower {tag}",
        vendor,
        entity,
    )
    with transaction() as session:
        create_user(
            session,
            cli_principal(),
            email=approver,
            role=RoleName.APPROVER,
            password=PASSWORD,
            full_name="Test Approver",
        )
        import_budget(session, path, FiscalYear(FY_END))

    def raise_po(actor: str, number: str, uid: str, amount: str) -> str:
        raiser = Principal(actor=actor, roles=frozenset({RoleName.ANALYST}))
        with transaction() as session:
            po = create_po(
                session,
                raiser,
                data=PoInput(
                    po_number=number,
                    po_date=date.fromisoformat(PO_DATE),
                    vendor=vendor,
                    entity=entity,
                    currency="INR",
                    value=Decimal(amount),
                    lines=[PoLineInput(uid=uid, amount=Decimal(amount))],
                ),
            )
            assert po.id is not None
            submit_po(session, raiser, po.id, expected_version=po.version)
        return number

    return Seeded(
        tag=tag,
        approver_email=approver,
        uids=uids,
        vendor=vendor,
        entity=entity,
        own_po=raise_po(approver, f"POE2E-{tag}-OWN", uids[1], "10000"),
        over_po=raise_po(running_app.analyst_email, f"POE2E-{tag}-OVER", uids[2], "150000"),
        reject_po=raise_po(running_app.analyst_email, f"POE2E-{tag}-REJ", uids[1], "20000"),
        waiting_po=raise_po(running_app.analyst_email, f"POE2E-{tag}-WAIT", uids[1], "5000"),
    )


def _pick_line(page: Page, row: int, typed: str, uid: str) -> None:
    """Type part of a UID in allocation `row` and pick the budget line from the offered ones."""
    page.get_by_test_id("alloc-uid").nth(row).fill(typed)
    choice = page.get_by_test_id("uid-choice").filter(has_text=uid)
    expect(choice).to_be_visible()
    choice.click()
    expect(page.get_by_test_id("alloc-uid").nth(row)).to_have_value(uid)
    expect(page.get_by_test_id("uid-choices")).to_have_count(0)


@pytest.fixture()
def approver_tab(chromium):
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    context.set_default_timeout(20_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_raise_submit_and_approve_from_the_inbox(page, approver_tab, running_app, seeded: Seeded) -> None:
    number = f"POE2E-{seeded.tag}-PO1"
    log_in_as(page, running_app.url, running_app.analyst_email, "Analyst")
    page.get_by_test_id("nav-pos").click()
    expect(page).to_have_url(re.compile(r"/pos/?$"))
    page.get_by_test_id("po-new").click()
    expect(page).to_have_url(re.compile(r"/pos/new/?$"))

    page.get_by_test_id("po-po_number").fill(number)
    page.get_by_test_id("po-po_date").fill(PO_DATE)
    page.get_by_test_id("po-vendor").fill(seeded.vendor)
    page.get_by_test_id("po-entity").fill(seeded.entity)
    expect(page.get_by_test_id("po-currency")).to_have_value("INR")
    page.get_by_test_id("po-value").fill("3,00,000")
    page.get_by_test_id("po-pr_number").fill(f"PR-{seeded.tag}")
    _pick_line(page, 0, f"POE2E-{seeded.tag}", seeded.uids[0])
    expect(page.get_by_test_id("alloc-line").first).to_contain_text("PO e2e line 1")
    page.get_by_test_id("alloc-amount").first.fill("2,00,000")
    expect(page.get_by_test_id("alloc-remaining")).to_contain_text("1,00,000.00 left to allocate")

    # Saved with only one allocation: refused with the figures, and nothing typed is lost.
    page.get_by_test_id("po-save").click()
    expect(page.get_by_test_id("po-error")).to_contain_text("add up to 2,00,000.00 but the PO value is 3,00,000.00")
    expect(page.get_by_test_id("po-po_number")).to_have_value(number)
    expect(page.get_by_test_id("alloc-amount").first).to_have_value("2,00,000")
    expect(page).to_have_url(re.compile(r"/pos/new/?$"))

    page.get_by_test_id("alloc-add").click()
    expect(page.get_by_test_id("alloc-row")).to_have_count(2)
    _pick_line(page, 1, seeded.uids[1].lower(), seeded.uids[1])
    page.get_by_test_id("alloc-amount").nth(1).fill("1,00,000")
    page.get_by_test_id("alloc-service_start").nth(1).fill("2045-07-01")
    page.get_by_test_id("alloc-service_end").nth(1).fill("2045-12-31")
    expect(page.get_by_test_id("alloc-remaining")).to_have_text("Fully allocated")
    page.get_by_test_id("po-save").click()

    expect(page).to_have_url(re.compile(r"/pos/\d+/?$"))
    po_url = page.url
    expect(page.get_by_test_id("po-number")).to_have_text(number)
    expect(page.get_by_test_id("po-status")).to_have_text("Draft")
    lines = page.get_by_test_id("po-line")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text(seeded.uids[0])
    expect(lines.nth(0)).to_contain_text("2,00,000.00")
    expect(lines.nth(1)).to_contain_text("Jul-45 – Dec-45")
    expect(page.get_by_test_id("po-lines-total")).to_have_text("3,00,000.00")

    page.get_by_test_id("po-submit").click()
    page.get_by_test_id("confirm-comment").fill("Renewal for FY46")
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("po-status")).to_have_text("Submitted")
    expect(page.get_by_test_id("po-edit")).to_have_count(0)
    expect(page.get_by_test_id("po-approve")).to_have_count(0)  # analysts do not approve

    # The approver, in another browser: the count in the sidebar, the PO in the inbox, approved from there.
    approver = approver_tab
    log_in_as(approver, running_app.url, seeded.approver_email, "Approver")
    count = approver.get_by_test_id("nav-count")
    expect(count).to_have_text(re.compile(r"^\d+$"))
    approver.get_by_test_id("nav-approvals").click()
    expect(approver).to_have_url(re.compile(r"/approvals/?$"))
    rows = approver.get_by_test_id("inbox-row")
    mine = rows.filter(has_text=number)
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text(running_app.analyst_email)
    expect(mine).to_contain_text("3,00,000.00")
    waiting = rows.count()
    expect(count).to_have_text(str(waiting))
    expect(rows.filter(has_text=seeded.own_po)).to_have_count(0)

    mine.get_by_test_id("po-approve").click()
    expect(approver.get_by_test_id("po-done")).to_contain_text(f"PO {number} approved")
    expect(mine).to_have_count(0)
    expect(rows).to_have_count(waiting - 1)
    if waiting > 1:
        expect(count).to_have_text(str(waiting - 1))
    else:
        expect(count).to_have_count(0)

    approver.goto(po_url)
    expect(approver.get_by_test_id("po-status")).to_have_text("Approved")
    history = approver.get_by_test_id("po-history-row")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text(seeded.approver_email)
    expect(history.nth(0)).to_contain_text("Submitted")
    expect(history.nth(0)).to_contain_text("Approved")
    expect(history.nth(1)).to_contain_text("Draft")
    expect(history.nth(1)).to_contain_text("Renewal for FY46")
    expect(history.nth(2)).to_contain_text("created")
    expect(history.nth(2)).to_contain_text(running_app.analyst_email)

    # The analyst sees the same PO approved.
    page.reload()
    expect(page.get_by_test_id("po-status")).to_have_text("Approved")
    expect(page.get_by_test_id("po-close")).to_be_visible()


def test_the_approvers_own_po_is_not_in_their_inbox(page, running_app, seeded: Seeded) -> None:
    log_in_as(page, running_app.url, seeded.approver_email, "Approver")
    page.goto(f"{running_app.url}/approvals")
    expect(page.get_by_test_id("inbox-row").filter(has_text=seeded.waiting_po)).to_have_count(1)  # it has loaded
    expect(page.get_by_test_id("inbox-row").filter(has_text=seeded.own_po)).to_have_count(0)

    # Its page offers no approval either (the service refuses it anyway).
    page.goto(f"{running_app.url}/pos?text={seeded.own_po}")
    page.get_by_test_id("po-link").filter(has_text=seeded.own_po).click()
    expect(page.get_by_test_id("po-status")).to_have_text("Submitted")
    expect(page.get_by_test_id("po-approve")).to_have_count(0)
    expect(page.get_by_test_id("po-reject")).to_have_count(0)


def test_over_budget_needs_a_comment_and_reject_needs_a_reason(page, running_app, seeded: Seeded) -> None:
    log_in_as(page, running_app.url, seeded.approver_email, "Approver")
    page.goto(f"{running_app.url}/approvals")
    over = page.get_by_test_id("inbox-row").filter(has_text=seeded.over_po)
    over.get_by_test_id("po-approve").click()

    dialog = page.get_by_test_id("overrun-dialog")
    expect(dialog).to_be_visible()
    figures = dialog.get_by_test_id("overrun-row")
    expect(figures).to_have_count(1)
    expect(figures).to_contain_text(seeded.uids[2])
    expect(figures).to_contain_text("1,20,000.00")  # budget
    expect(figures).to_contain_text("1,50,000.00")  # this PO
    expect(figures).to_contain_text("30,000.00")  # over by
    dialog.get_by_test_id("overrun-approve").click()  # no comment: refused, still waiting
    expect(dialog.get_by_test_id("dialog-error")).to_contain_text("Say why")
    dialog.get_by_test_id("overrun-comment").fill("Budget transfer agreed with Finance")
    dialog.get_by_test_id("overrun-approve").click()
    expect(page.get_by_test_id("po-done")).to_contain_text(f"PO {seeded.over_po} approved")
    expect(dialog).to_have_count(0)
    expect(over).to_have_count(0)

    rejected = page.get_by_test_id("inbox-row").filter(has_text=seeded.reject_po)
    rejected.get_by_test_id("po-reject").click()
    reject = page.get_by_test_id("reject-dialog")
    reject.get_by_test_id("reject-confirm").click()
    expect(reject.get_by_test_id("dialog-error")).to_contain_text("Give a reason")
    reject.get_by_test_id("reject-reason").fill("Wrong entity")
    reject.get_by_test_id("reject-confirm").click()
    expect(page.get_by_test_id("po-done")).to_contain_text(f"PO {seeded.reject_po} rejected")
    expect(rejected).to_have_count(0)

    page.goto(f"{running_app.url}/pos?text={seeded.tag}&status=approved")
    expect(page.get_by_test_id("po-row").filter(has_text=seeded.over_po)).to_have_count(1)
    page.get_by_test_id("po-link").filter(has_text=seeded.over_po).click()
    expect(page.get_by_test_id("po-approval-comment")).to_contain_text("Budget transfer agreed with Finance")
    expect(page.get_by_test_id("po-history-row").first).to_contain_text("over budget by 30,000.00")
