"""Purchase orders on real PostgreSQL: create and edit (every refusal, optimistic locking), the workflow through
the service (who may do what, never one's own PO), the approval over-budget warning with hand-computed
figures, and the reads behind the pages (list filters and paging, detail, approvals inbox, UID search)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, func, select

from opex_app.auth.permissions import PermissionDenied, Principal, cli_principal
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import Actual, AuditEvent, BudgetLine, FiscalYearRow, PoLine, PoStatus, PurchaseOrder
from opex_app.services.errors import Conflict, NotFound, ServiceError
from opex_app.services.figures import line_totals
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.fx import set_rate
from opex_app.services.masters import create_missing, name_index
from opex_app.services.purchase_orders import (
    OverBudget,
    PoFilter,
    PoInput,
    PoLineInput,
    approval_check,
    approve_po,
    cancel_po,
    close_po,
    create_po,
    get_po,
    list_pos,
    pending_approvals,
    pending_count,
    reject_po,
    reopen_po,
    search_lines,
    submit_po,
    update_po,
)
from tests.conftest import make_principal
from tests.services.lines import add_line

FY = FiscalYear(2045)  # FY45 = Apr 2044 - Mar 2045, far from the FYs other tests use
PO_DATE = date(2044, 6, 15)
D = Decimal


@dataclass
class Seed:
    fy: FiscalYearRow
    lines: dict[str, BudgetLine]
    approver: Principal
    approver2: Principal
    analyst2: Principal


_line = add_line


@pytest.fixture()
def seed(session: Session) -> Seed:
    fy = ensure_fiscal_year(session, FY)
    cli = cli_principal()
    create_missing(session, cli, "tower", ["Po Infra", "Po Apps"])
    create_missing(session, cli, "vendor", ["Po Vendor A", "Po Vendor B"])
    create_missing(session, cli, "entity", ["Po Entity"])
    set_rate(session, cli, currency="USD", rate="80", effective_from=date(2044, 4, 1))
    lines = {
        "L1": _line(session, fy, "PO-0001", {1: "500.00", 2: "500.00"}, tower="Po Infra", description="Server AMC"),
        "L2": _line(session, fy, "PO-0002", {3: "2000.00"}, tower="Po Apps", description="Backup licences"),
        "L3": _line(session, fy, "PO-0003", {4: "100.00"}, tower="Po Apps", description="Cloud credits"),
    }
    # A line of another FY: its UID does not name a line of FY45.
    _line(session, ensure_fiscal_year(session, FiscalYear(2044)), "PO-0099", {1: "1.00"})
    return Seed(
        fy,
        lines,
        approver=make_principal(session, "approver"),
        approver2=make_principal(session, "approver"),
        analyst2=make_principal(session, "analyst"),
    )


def _input(
    number: str = "PO-45-001",
    value: str = "1000.00",
    lines: list[tuple[str, str]] | None = None,
    **overrides: Any,
) -> PoInput:
    fields: dict[str, Any] = {
        "po_number": number,
        "po_date": PO_DATE,
        "vendor": "Po Vendor A",
        "entity": "Po Entity",
        "currency": "INR",
        "value": value,
        "lines": [
            PoLineInput(uid=uid, amount=amount)
            for uid, amount in (lines if lines is not None else [("PO-0001", "600.00"), ("PO-0002", "400.00")])
        ],
        "pr_number": "PR-1",
        "pr_date": date(2044, 6, 1),
        "pr_amount": "1000.00",
        "description": "Annual support",
    }
    fields.update(overrides)
    return PoInput(**fields)


def _events(session: Session, po_id: int | None) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "purchase_order", AuditEvent.entity_id == str(po_id))
            .order_by(col(AuditEvent.id))
        )
    )


def _po_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(PurchaseOrder)).one()


def _submitted(session: Session, analyst: Principal, number: str = "PO-45-001", **kw: Any) -> PurchaseOrder:
    po = create_po(session, analyst, data=_input(number, **kw))
    assert po.id is not None
    return submit_po(session, analyst, po.id, expected_version=po.version)


def _approved(session: Session, analyst: Principal, approver: Principal, number: str, **kw: Any) -> PurchaseOrder:
    po = _submitted(session, analyst, number, **kw)
    assert po.id is not None
    return approve_po(session, approver, po.id, expected_version=po.version)


def _actual(session: Session, po: PurchaseOrder, line: BudgetLine, amount: str, number: str, *, linked: bool) -> None:
    po_line = session.exec(
        select(PoLine).where(PoLine.purchase_order_id == po.id, PoLine.budget_line_id == line.id)
    ).first()
    session.add(
        Actual(
            fiscal_year_id=line.fiscal_year_id,
            budget_line_id=line.id,
            purchase_order_id=po.id if linked else None,
            po_line_id=po_line.id if linked and po_line else None,
            vendor_id=po.vendor_id,
            invoice_number=number,
            invoice_date=date(2044, 7, 1),
            fiscal_month=4,
            currency_code="INR",
            amount=D(amount),
            amount_base=D(amount),
            created_by="seed",
        )
    )
    session.flush()


# ---------------------------------------------------------------------------------------------- create


def test_create_converts_at_the_rate_on_the_po_date_and_is_audited(session: Session, seed: Seed, analyst) -> None:
    po = create_po(session, analyst, data=_input(value="1,000.00"))
    assert po.status == PoStatus.DRAFT.value and po.version == 1 and po.created_by == analyst.actor
    assert po.fiscal_year_id == seed.fy.id
    assert (po.total_amount, po.fx_rate, po.total_amount_base) == (D("1000.00"), D(1), D("1000.00"))
    assert (po.pr_number, po.pr_amount, po.description) == ("PR-1", D("1000.00"), "Annual support")
    lines = session.exec(select(PoLine).where(PoLine.purchase_order_id == po.id).order_by(col(PoLine.id))).all()
    assert [(pl.budget_line_id, pl.amount, pl.amount_base) for pl in lines] == [
        (seed.lines["L1"].id, D("600.00"), D("600.00")),
        (seed.lines["L2"].id, D("400.00"), D("400.00")),
    ]
    assert all(pl.fiscal_month is None for pl in lines)
    [event] = _events(session, po.id)
    assert event.action == "create" and event.actor == analyst.actor
    assert event.changes["po_number"] == [None, "PO-45-001"]
    assert event.changes["vendor"] == [None, "Po Vendor A"]
    assert event.changes["lines"] == [None, ["PO-0001: 600.00", "PO-0002: 400.00"]]
    assert event.changes["status"] == [None, "draft"]

    usd = create_po(
        session,
        analyst,
        data=_input(
            "PO-45-USD",
            value="12.50",
            currency="usd",
            lines=[("PO-0001", "7.49"), ("PO-0002", "5.01")],
        ),
    )
    assert (usd.currency_code, usd.fx_rate, usd.total_amount) == ("USD", D("80.000000"), D("12.50"))
    usd_lines = session.exec(select(PoLine).where(PoLine.purchase_order_id == usd.id).order_by(col(PoLine.id))).all()
    assert [pl.amount_base for pl in usd_lines] == [D("599.20"), D("400.80")]  # 7.49 x 80, 5.01 x 80
    assert usd.total_amount_base == D("1000.00")  # the sum of its lines


def test_service_months_and_line_descriptions_are_kept(session: Session, seed: Seed, analyst) -> None:
    data = _input(
        lines=[],
    ).model_copy(
        update={
            "lines": [
                PoLineInput(
                    uid="PO-0001",
                    amount=D("1000.00"),
                    service_start=date(2044, 4, 1),
                    service_end="2044-06-30",  # type: ignore[arg-type]
                    description="Q1",
                )
            ]
        }
    )
    po = create_po(session, analyst, data=data)
    view = get_po(session, analyst, po.id or 0)
    [line] = view.lines
    assert (line.uid, line.service_start, line.service_end, line.description) == (
        "PO-0001",
        date(2044, 4, 1),
        date(2044, 6, 30),
        "Q1",
    )
    assert line.service_months == "Apr-44 – Jun-44"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"vendor": "Nobody Ltd"}, "Vendor: 'Nobody Ltd' is not a known vendor"),
        ({"entity": "Ghost Corp"}, "Entity: 'Ghost Corp' is not a known entity"),
        ({"currency": "XQZ"}, "Currency: 'XQZ' is not a known currency code"),
        ({"value": "1200.00"}, "The allocations add up to 1,000.00 but the PO value is 1,200.00"),
        ({"lines": [("PO-0001", "600.00"), ("PO-9999", "400.00")]}, "UID PO-9999 is not a budget line of FY45"),
        ({"lines": [("PO-0001", "600.00"), ("PO-0099", "400.00")]}, "UID PO-0099 is not a budget line of FY45"),
        ({"lines": [("PO-0001", "600.00"), ("PO-0001", "400.00")]}, "PO-0001 is allocated twice"),
        ({"lines": []}, "Allocate the PO's value to at least one budget line"),
        ({"lines": [("PO-0001", "1000.00"), ("PO-0002", "0")]}, "Allocation 2 (PO-0002) amount must be greater"),
        ({"value": "0", "lines": [("PO-0001", "0")]}, "PO value must be greater than zero"),
        ({"currency": "EUR"}, "No EUR rate on 2044-06-15 (the PO date)"),
        ({"po_number": "  "}, "PO number is required"),
    ],
)
def test_create_refusals_name_the_problem_and_write_nothing(
    session: Session, seed: Seed, analyst, overrides: dict[str, Any], expected: str
) -> None:
    lines = overrides.pop("lines", None)
    before = _po_count(session)
    with pytest.raises(ServiceError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        create_po(session, analyst, data=_input(lines=lines, **overrides))
    assert _po_count(session) == before


def test_a_duplicate_po_number_is_refused(session: Session, seed: Seed, analyst) -> None:
    create_po(session, analyst, data=_input("PO-45-DUP"))
    with pytest.raises(ServiceError, match="PO number 'PO-45-DUP' already exists"):
        create_po(session, seed.analyst2, data=_input(" PO-45-DUP "))


def test_allocations_message_names_both_figures_and_the_difference(session: Session, seed: Seed, analyst) -> None:
    with pytest.raises(ServiceError) as refused:
        create_po(session, analyst, data=_input(value="1,25,000.00", lines=[("PO-0001", "1,00,000.50")]))
    message = str(refused.value)
    assert "add up to 1,00,000.50 but the PO value is 1,25,000.00 (difference 24,999.50)" in message


def test_a_missing_rate_is_an_error_never_one(session: Session, seed: Seed, analyst) -> None:
    # USD has a rate from 1 Apr 2044 only: a PO dated the day before has none.
    data = _input(currency="USD", po_date=date(2044, 3, 31), lines=[("PO-0099", "1000.00")])
    with pytest.raises(ServiceError, match=r"No USD rate on 2044-03-31 \(the PO date\)"):
        create_po(session, analyst, data=data)


def test_several_problems_are_reported_together(session: Session, seed: Seed, analyst) -> None:
    with pytest.raises(ServiceError) as refused:
        create_po(session, analyst, data=_input(vendor="Nobody", entity="Ghost", lines=[("PO-0001", "5.00")]))
    message = str(refused.value)
    assert message.startswith("Not saved.")
    assert "'Nobody' is not a known vendor" in message and "'Ghost' is not a known entity" in message
    assert "add up to 5.00" in message


# ---------------------------------------------------------------------------------------------- edit


def test_update_replaces_fields_and_lines_keeping_line_ids(session: Session, seed: Seed, analyst) -> None:
    po = create_po(session, analyst, data=_input())
    old_l1 = session.exec(
        select(PoLine).where(PoLine.purchase_order_id == po.id, PoLine.budget_line_id == seed.lines["L1"].id)
    ).one()
    updated = update_po(
        session,
        analyst,
        po.id or 0,
        expected_version=1,
        data=_input(value="1100.00", lines=[("PO-0001", "700.00"), ("PO-0003", "400.00")], description="Renewed"),
    )
    assert updated.version == 2 and updated.updated_by == analyst.actor
    lines = session.exec(select(PoLine).where(PoLine.purchase_order_id == po.id).order_by(col(PoLine.id))).all()
    assert [(pl.budget_line_id, pl.amount) for pl in lines] == [
        (seed.lines["L1"].id, D("700.00")),
        (seed.lines["L3"].id, D("400.00")),
    ]
    assert lines[0].id == old_l1.id  # the same budget line keeps its PO line
    event = _events(session, po.id)[-1]
    assert event.action == "update"
    assert event.changes["description"] == ["Annual support", "Renewed"]
    assert event.changes["value"] == ["1000.00", "1100.00"]
    assert event.changes["lines"] == [["PO-0001: 600.00", "PO-0002: 400.00"], ["PO-0001: 700.00", "PO-0003: 400.00"]]
    assert "vendor" not in event.changes

    same = update_po(
        session,
        analyst,
        po.id or 0,
        expected_version=2,
        data=_input(value="1100.00", lines=[("PO-0001", "700.00"), ("PO-0003", "400.00")], description="Renewed"),
    )
    assert same.version == 2 and len(_events(session, po.id)) == 2  # nothing changed, nothing written


def test_an_edit_on_a_stale_version_names_who_changed_what(session: Session, seed: Seed, analyst) -> None:
    po = create_po(session, analyst, data=_input())
    update_po(session, seed.analyst2, po.id or 0, expected_version=1, data=_input(description="Their text"))
    with pytest.raises(Conflict) as refused:
        update_po(session, analyst, po.id or 0, expected_version=1, data=_input(description="My text"))
    message = str(refused.value)
    assert f"{seed.analyst2.actor} saved PO PO-45-001 first" in message
    assert "Description: Annual support → Their text" in message
    assert session.get(PurchaseOrder, po.id).description == "Their text"  # type: ignore[union-attr]


def test_only_draft_and_rejected_pos_can_be_edited(session: Session, seed: Seed, analyst) -> None:
    po = _submitted(session, analyst)
    with pytest.raises(ServiceError, match="PO PO-45-001 is submitted: only a draft or rejected PO can be edited"):
        update_po(session, analyst, po.id or 0, expected_version=po.version, data=_input(description="x"))
    po = reject_po(session, seed.approver, po.id or 0, expected_version=po.version, reason="Wrong vendor")
    edited = update_po(session, analyst, po.id or 0, expected_version=po.version, data=_input(vendor="Po Vendor B"))
    assert edited.status == PoStatus.REJECTED.value and edited.vendor_id == name_index(session, "vendor")["po vendor b"]


def test_an_allocation_with_invoices_cannot_be_removed(session: Session, seed: Seed, analyst) -> None:
    po = create_po(session, analyst, data=_input())
    _actual(session, po, seed.lines["L2"], "10.00", "INV-EDIT", linked=True)
    with pytest.raises(ServiceError, match="allocation to PO-0002 has invoices booked against it"):
        update_po(session, analyst, po.id or 0, expected_version=1, data=_input(lines=[("PO-0001", "1000.00")]))


def test_an_unknown_po_is_not_found(session: Session, seed: Seed, analyst) -> None:
    with pytest.raises(NotFound):
        get_po(session, analyst, 987654321)
    with pytest.raises(NotFound):
        submit_po(session, analyst, 987654321, expected_version=1)


# ---------------------------------------------------------------------------------------------- workflow


def test_the_whole_workflow_through_the_service(session: Session, seed: Seed, analyst, admin) -> None:
    po = create_po(session, analyst, data=_input())
    pid = po.id or 0
    po = submit_po(session, analyst, pid, expected_version=1, comment="Please approve")
    assert (po.status, po.version) == ("submitted", 2) and po.submitted_at is not None
    with pytest.raises(ServiceError, match="Give a reason for rejecting PO PO-45-001"):
        reject_po(session, seed.approver, pid, expected_version=2, reason="  ")
    po = reject_po(session, seed.approver, pid, expected_version=2, reason="Split the allocation")
    assert (po.status, po.rejection_reason) == ("rejected", "Split the allocation")
    po = reopen_po(session, analyst, pid, expected_version=po.version)
    assert po.status == "draft"
    po = submit_po(session, analyst, pid, expected_version=po.version)
    po = approve_po(session, seed.approver2, pid, expected_version=po.version, comment="OK")
    assert (po.status, po.approved_by, po.approval_comment) == ("approved", seed.approver2.actor, "OK")
    assert po.approved_at is not None
    po = close_po(session, admin, pid, expected_version=po.version, comment="Delivered")
    assert po.status == "closed" and po.closed_at is not None and po.version == 7

    history = get_po(session, analyst, pid).history
    assert [(h.action, h.status_from, h.status_to) for h in history] == [
        ("create", None, None),
        ("transition", "draft", "submitted"),
        ("transition", "submitted", "rejected"),
        ("transition", "rejected", "draft"),
        ("transition", "draft", "submitted"),
        ("transition", "submitted", "approved"),
        ("transition", "approved", "closed"),
    ]
    assert [h.comment for h in history] == [
        None,
        "Please approve",
        "Split the allocation",
        None,
        None,
        "OK",
        "Delivered",
    ]
    assert [h.actor for h in history][2] == seed.approver.actor
    assert "Status: submitted → rejected" in history[2].changes
    event = _events(session, pid)[2]
    assert event.changes == {"status": ["submitted", "rejected"], "comment": [None, "Split the allocation"]}


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("approve", "Cannot approve a PO in status draft: from draft you can submit or cancel"),
        ("reject", "Cannot reject a PO in status draft"),
        ("reopen", "Cannot reopen a PO in status draft"),
        ("close", "Cannot close a PO in status draft"),
    ],
)
def test_refused_transitions_through_the_service(
    session: Session, seed: Seed, analyst, admin, action: str, expected: str
) -> None:
    po = create_po(session, analyst, data=_input())
    calls = {
        "approve": lambda: approve_po(session, admin, po.id or 0, expected_version=1),
        "reject": lambda: reject_po(session, admin, po.id or 0, expected_version=1, reason="no"),
        "reopen": lambda: reopen_po(session, admin, po.id or 0, expected_version=1),
        "close": lambda: close_po(session, admin, po.id or 0, expected_version=1),
    }
    with pytest.raises(ServiceError, match=f"PO PO-45-001: {expected}"):
        calls[action]()
    assert session.get(PurchaseOrder, po.id).status == "draft"  # type: ignore[union-attr]
    assert len(_events(session, po.id)) == 1


def test_final_statuses_allow_nothing(session: Session, seed: Seed, analyst) -> None:
    po = create_po(session, analyst, data=_input())
    po = cancel_po(session, analyst, po.id or 0, expected_version=1, comment="Not needed")
    assert po.status == "cancelled"
    with pytest.raises(ServiceError, match="cancelled is final"):
        submit_po(session, analyst, po.id or 0, expected_version=po.version)
    with pytest.raises(ServiceError, match="cancelled is final"):
        cancel_po(session, analyst, po.id or 0, expected_version=po.version)


def test_cancelling_an_approved_po_needs_nothing_invoiced(session: Session, seed: Seed, analyst) -> None:
    po = _approved(session, analyst, seed.approver, "PO-45-C1")
    _actual(session, po, seed.lines["L1"], "100.00", "INV-C1", linked=True)
    with pytest.raises(ServiceError, match="has 1 invoice booked against it: close it instead"):
        cancel_po(session, analyst, po.id or 0, expected_version=po.version)
    clean = _approved(session, analyst, seed.approver, "PO-45-C2", value="100.00", lines=[("PO-0002", "100.00")])
    assert cancel_po(session, analyst, clean.id or 0, expected_version=clean.version).status == "cancelled"


def test_a_transition_on_a_stale_version_is_refused(session: Session, seed: Seed, analyst) -> None:
    po = _submitted(session, analyst)  # version 2
    reject_po(session, seed.approver, po.id or 0, expected_version=2, reason="Too dear")
    with pytest.raises(Conflict) as refused:
        approve_po(session, seed.approver2, po.id or 0, expected_version=2)
    assert f"{seed.approver.actor} saved PO PO-45-001 first" in str(refused.value)
    assert "Status: submitted → rejected" in str(refused.value)
    assert session.get(PurchaseOrder, po.id).status == "rejected"  # type: ignore[union-attr]


def test_nobody_approves_or_rejects_their_own_po(session: Session, seed: Seed, admin) -> None:
    po = _submitted(session, admin)
    with pytest.raises(ServiceError, match="You raised PO PO-45-001: another approver must approve it"):
        approve_po(session, admin, po.id or 0, expected_version=po.version)
    with pytest.raises(ServiceError, match="another approver must reject it"):
        reject_po(session, admin, po.id or 0, expected_version=po.version, reason="mine")
    assert approve_po(session, seed.approver, po.id or 0, expected_version=po.version).status == "approved"


def test_roles(session: Session, seed: Seed, analyst, viewer) -> None:
    with pytest.raises(PermissionDenied):
        create_po(session, seed.approver, data=_input())  # approvers do not raise POs
    po = _submitted(session, analyst)
    pid = po.id or 0
    with pytest.raises(PermissionDenied):
        approve_po(session, seed.analyst2, pid, expected_version=po.version)  # analysts do not approve
    with pytest.raises(PermissionDenied):
        reject_po(session, seed.analyst2, pid, expected_version=po.version, reason="x")
    with pytest.raises(PermissionDenied):
        pending_approvals(session, analyst)
    with pytest.raises(PermissionDenied):
        cancel_po(session, seed.approver, pid, expected_version=po.version)


def test_a_viewer_is_refused_every_change(session: Session, seed: Seed, analyst, viewer) -> None:
    po = create_po(session, analyst, data=_input())
    pid = po.id or 0
    refused = [
        lambda: create_po(session, viewer, data=_input("PO-45-V")),
        lambda: update_po(session, viewer, pid, expected_version=1, data=_input()),
        lambda: submit_po(session, viewer, pid, expected_version=1),
        lambda: approve_po(session, viewer, pid, expected_version=1),
        lambda: reject_po(session, viewer, pid, expected_version=1, reason="x"),
        lambda: reopen_po(session, viewer, pid, expected_version=1),
        lambda: close_po(session, viewer, pid, expected_version=1),
        lambda: cancel_po(session, viewer, pid, expected_version=1),
        lambda: approval_check(session, viewer, pid),
        lambda: pending_approvals(session, viewer),
        lambda: pending_count(session, viewer),
    ]
    for call in refused:
        with pytest.raises(PermissionDenied):
            call()
    assert session.get(PurchaseOrder, pid).version == 1  # type: ignore[union-attr]
    # Reading is allowed.
    assert get_po(session, viewer, pid).po_number == "PO-45-001"
    assert list_pos(session, viewer, PoFilter(fy="FY45")).total_count == 1
    assert [c.uid for c in search_lines(session, viewer, fy="FY45", text="PO-000")] == ["PO-0001", "PO-0002", "PO-0003"]


# ---------------------------------------------------------------------------------------------- over budget


def test_approval_warns_with_the_figures_and_needs_an_acknowledged_comment(
    session: Session, seed: Seed, analyst
) -> None:
    l1, l2 = seed.lines["L1"], seed.lines["L2"]
    # PO-0001: budget 1,000.00. An approved PO allocates 400.00 of which 100.00 is invoiced: committed 300.00.
    earlier = _approved(session, analyst, seed.approver, "PO-45-E", value="400.00", lines=[("PO-0001", "400.00")])
    _actual(session, earlier, l1, "100.00", "INV-E1", linked=True)
    # An invoice booked to the line without a PO: actual 100.00 + 150.00 = 250.00.
    _actual(session, earlier, l1, "150.00", "INV-X1", linked=False)
    totals = line_totals(session, line_ids=[l1.id or 0])[l1.id or 0]
    assert (totals.budget_base, totals.committed, totals.actual) == (D("1000.00"), D("300.00"), D("250.00"))

    # The new PO, in USD at 80: 7.50 (600.00) to PO-0001 and 5.00 (400.00) to PO-0002 (budget 2,000.00, fits).
    po = _submitted(
        session, analyst, "PO-45-N", value="12.50", currency="USD", lines=[("PO-0001", "7.50"), ("PO-0002", "5.00")]
    )
    pid = po.id or 0
    [warning] = approval_check(session, seed.approver, pid)
    assert warning.budget_line_id == l1.id and warning.uid == "PO-0001"
    assert (warning.budget, warning.committed, warning.actual, warning.this_po) == (
        D("1000.00"),
        D("300.00"),
        D("250.00"),
        D("600.00"),
    )
    assert warning.over_by == D("150.00")  # 300 + 250 + 600 - 1000
    assert not warning.budget_rate_missing

    with pytest.raises(OverBudget) as refused:
        approve_po(session, seed.approver, pid, expected_version=po.version)
    assert refused.value.warnings == [warning]
    assert "PO-0001: budget 1,000.00, committed 300.00, actual 250.00, this PO 600.00; over budget by 150.00" in str(
        refused.value
    )
    with pytest.raises(ServiceError, match="say why it is approved anyway"):
        approve_po(session, seed.approver, pid, expected_version=po.version, acknowledge_overrun=True, comment=" ")
    assert session.get(PurchaseOrder, pid).status == "submitted"  # type: ignore[union-attr]

    po = approve_po(
        session,
        seed.approver,
        pid,
        expected_version=po.version,
        acknowledge_overrun=True,
        comment="Renewal is contractual; budget transfer follows",
    )
    assert po.status == "approved"
    assert po.approval_comment == "Renewal is contractual; budget transfer follows"
    event = _events(session, pid)[-1]
    assert event.changes["comment"] == [None, "Renewal is contractual; budget transfer follows"]
    assert event.changes["overrun"][1] == [warning.message]
    # Approved: its allocation is now committed, and the line is 150.00 over.
    after = line_totals(session, line_ids=[l1.id or 0, l2.id or 0])
    assert after[l1.id or 0].committed == D("900.00") and after[l1.id or 0].available == D("-150.00")
    assert after[l2.id or 0].committed == D("400.00")
    assert approval_check(session, seed.approver, pid) == []  # no longer waiting


def test_an_invoice_already_booked_against_the_po_reduces_what_approval_adds(
    session: Session, seed: Seed, analyst
) -> None:
    # PO-0003: budget 100.00. The PO allocates 150.00; 120.00 is already invoiced against its line (actual 120).
    po = _submitted(session, analyst, "PO-45-I", value="150.00", lines=[("PO-0003", "150.00")])
    _actual(session, po, seed.lines["L3"], "120.00", "INV-I1", linked=True)
    [warning] = approval_check(session, seed.approver, po.id or 0)
    assert (warning.budget, warning.committed, warning.actual, warning.this_po, warning.this_po_open) == (
        D("100.00"),
        D("0.00"),
        D("120.00"),
        D("150.00"),
        D("30.00"),
    )
    assert warning.over_by == D("50.00")  # 0 + 120 + 30 - 100


def test_a_po_within_budget_approves_without_a_warning(session: Session, seed: Seed, analyst) -> None:
    po = _submitted(session, analyst, value="1000.00", lines=[("PO-0001", "1000.00")])
    assert approval_check(session, seed.approver, po.id or 0) == []
    po = approve_po(session, seed.approver, po.id or 0, expected_version=po.version)
    assert po.status == "approved" and po.approval_comment is None
    assert "overrun" not in _events(session, po.id)[-1].changes


# ---------------------------------------------------------------------------------------------- reads


@pytest.fixture()
def many(session: Session, seed: Seed, analyst) -> dict[str, PurchaseOrder]:
    # Only this test's POs: other tests (the CLI and browser ones) commit theirs. Inside the test's
    # transaction, which is rolled back.
    for table in ("actual", "po_line", "purchase_order"):
        session.execute(text(f"DELETE FROM {table}"))
    out = {
        "A": create_po(session, analyst, data=_input("PO-45-A", value="100.00", lines=[("PO-0001", "100.00")])),
        "B": create_po(
            session,
            analyst,
            data=_input("PO-45-B", value="300.00", lines=[("PO-0002", "300.00")], vendor="Po Vendor B"),
        ),
        "C": create_po(
            session,
            analyst,
            data=_input("PO-45-C", value="200.00", lines=[("PO-0003", "200.00")], description="Cloud 100% commit_x"),
        ),
        "D": create_po(
            session,
            analyst,
            data=_input("PO-44-D", value="50.00", po_date=date(2043, 12, 1), lines=[("PO-0099", "50.00")]),
        ),
    }
    submit_po(session, analyst, out["B"].id or 0, expected_version=1)
    return out


def _numbers(page) -> list[str]:
    return [r.po_number for r in page.rows]


def test_list_filters(session: Session, many, viewer) -> None:
    assert _numbers(list_pos(session, viewer, PoFilter(), sort="po_number")) == [
        "PO-44-D",
        "PO-45-A",
        "PO-45-B",
        "PO-45-C",
    ]
    assert _numbers(list_pos(session, viewer, PoFilter(status="submitted"))) == ["PO-45-B"]
    assert _numbers(list_pos(session, viewer, PoFilter(vendor="po vendor b"))) == ["PO-45-B"]
    assert _numbers(list_pos(session, viewer, PoFilter(tower="Po Apps"), sort="po_number")) == ["PO-45-B", "PO-45-C"]
    assert _numbers(list_pos(session, viewer, PoFilter(fy="FY44"))) == ["PO-44-D"]
    assert _numbers(list_pos(session, viewer, PoFilter(text="100%"))) == ["PO-45-C"]  # % is literal
    assert _numbers(list_pos(session, viewer, PoFilter(text="vendor B"))) == ["PO-45-B"]  # the vendor's name
    assert _numbers(list_pos(session, viewer, PoFilter(fy="FY45", status="draft", tower="Po Infra"))) == ["PO-45-A"]
    row = list_pos(session, viewer, PoFilter(status="submitted")).rows[0]
    assert (row.vendor, row.entity, row.fiscal_year, row.value, row.status, row.version) == (
        "Po Vendor B",
        "Po Entity",
        "FY45",
        D("300.00"),
        "submitted",
        2,
    )
    with pytest.raises(ServiceError, match="'pending' is not a PO status"):
        list_pos(session, viewer, PoFilter(status="pending"))
    assert PoFilter.from_params({"status": "draft", "page": "2"}).to_params() == {"status": "draft"}


def test_list_sorts_by_an_allow_list_and_pages(session: Session, many, viewer) -> None:
    page = list_pos(session, viewer, PoFilter(), page=2, page_size=3, sort="-value")
    assert (page.total_count, page.page, page.page_count) == (4, 2, 2)
    assert _numbers(page) == ["PO-44-D"]
    assert _numbers(list_pos(session, viewer, PoFilter(), page=1, page_size=3, sort="-value")) == [
        "PO-45-B",
        "PO-45-C",
        "PO-45-A",
    ]
    assert list_pos(session, viewer, PoFilter(), page=99, page_size=3).page == 2  # past the end: the last page
    assert _numbers(list_pos(session, viewer, PoFilter(), sort="po_date"))[0] == "PO-44-D"
    with pytest.raises(ServiceError, match="cannot sort POs by 'id; drop table'"):
        list_pos(session, viewer, PoFilter(), sort="id; drop table")


def test_pending_approvals_leave_out_the_approvers_own_pos(session: Session, seed: Seed, many, analyst, admin) -> None:
    mine = _submitted(session, admin, "PO-45-ADM", value="10.00", lines=[("PO-0001", "10.00")])
    inbox = pending_approvals(session, admin)
    assert [r.po_number for r in inbox] == ["PO-45-B"]  # drafts wait for nobody, and not their own
    assert pending_count(session, admin) == 1
    assert [r.po_number for r in pending_approvals(session, seed.approver)] == ["PO-45-B", "PO-45-ADM"]
    assert pending_count(session, seed.approver) == 2
    approve_po(session, seed.approver, mine.id or 0, expected_version=mine.version)
    assert pending_count(session, seed.approver) == 1


def test_detail_shows_lines_invoices_and_history(session: Session, seed: Seed, analyst) -> None:
    po = _approved(session, analyst, seed.approver, "PO-45-V")
    _actual(session, po, seed.lines["L1"], "250.00", "INV-V1", linked=True)
    _actual(session, po, seed.lines["L1"], "100.00", "INV-V2", linked=True)
    view = get_po(session, analyst, po.id or 0)
    assert (view.po_number, view.vendor, view.entity, view.currency, view.status) == (
        "PO-45-V",
        "Po Vendor A",
        "Po Entity",
        "INR",
        "approved",
    )
    assert view.fiscal_year == "FY45" and not view.editable and view.actions == ("close", "cancel")
    assert [(v.uid, v.amount, v.invoiced, v.invoiced_base) for v in view.lines] == [
        ("PO-0001", D("600.00"), D("350.00"), D("350.00")),
        ("PO-0002", D("400.00"), D("0.00"), D("0.00")),
    ]
    assert view.lines[0].line_description == "Server AMC"
    assert [(i.invoice_number, i.uid, i.amount) for i in view.invoices] == [
        ("INV-V1", "PO-0001", D("250.00")),
        ("INV-V2", "PO-0001", D("100.00")),
    ]
    assert view.invoiced_base == D("350.00")
    assert [h.action for h in view.history] == ["create", "transition", "transition"]
    assert view.history[0].at <= view.history[-1].at


def test_search_lines_for_the_allocation_picker(session: Session, seed: Seed, analyst) -> None:
    assert [c.uid for c in search_lines(session, analyst, fy="FY45", text="licences")] == ["PO-0002"]
    by_date = search_lines(session, analyst, fy=PO_DATE, text="0003")
    assert [(c.uid, c.description, c.tower, c.currency) for c in by_date] == [
        ("PO-0003", "Cloud credits", "Po Apps", "INR")
    ]
    assert [c.uid for c in search_lines(session, analyst, fy="FY45", text="", limit=2)] == ["PO-0001", "PO-0002"]
    assert search_lines(session, analyst, fy="FY44", text="PO-0001") == []
    assert search_lines(session, analyst, fy="FY60", text="x") == []  # an FY without lines
    # UIDs starting with the text come before descriptions containing it.
    _line(session, seed.fy, "ZZ-0001", {}, description="for PO-0 migration")
    assert [c.uid for c in search_lines(session, analyst, fy="FY45", text="po-0")][-1] == "ZZ-0001"
    with pytest.raises(ServiceError, match="not a fiscal year name"):
        search_lines(session, analyst, fy="next year", text="x")
