"""The PO workflow (submit, approve, reject, reopen, close, cancel) and the approval's over-budget check.
The workflow itself is the table in domain/po_workflow."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain import po_workflow
from opex_app.domain.money import format_indian
from opex_app.domain.po_workflow import PoAction, TransitionRefused
from opex_app.models import Actual, PoLine, PoStatus, PurchaseOrder
from opex_app.models._types import ZERO, utcnow
from opex_app.services import audit, locking
from opex_app.services.errors import ServiceError
from opex_app.services.figures import line_totals
from opex_app.services.purchase_orders.inputs import clean_text
from opex_app.services.purchase_orders.stored import ENTITY, check_version, invoiced_by_line, load_po, po_lines, to_base


@dataclass(frozen=True)
class OverrunWarning:
    """Approving the PO would take this budget line's committed + actual above its budget (base currency)."""

    budget_line_id: int
    uid: str
    budget: Decimal
    committed: Decimal
    actual: Decimal
    this_po: Decimal  # this PO's allocation to the line
    this_po_open: Decimal  # what approving adds to committed: the allocation less what is invoiced against it
    budget_rate_missing: bool = False  # the line's budget has no budget rate: its base budget is unknown

    @property
    def after(self) -> Decimal:
        return self.committed + self.actual + self.this_po_open

    @property
    def over_by(self) -> Decimal:
        return self.after - self.budget

    @property
    def message(self) -> str:
        figures = (
            f"budget {format_indian(self.budget)}, committed {format_indian(self.committed)}, "
            f"actual {format_indian(self.actual)}, this PO {format_indian(self.this_po)}"
        )
        if self.budget_rate_missing:
            return f"{self.uid}: {figures}; the budget has no budget rate, so its base value is unknown"
        return f"{self.uid}: {figures}; over budget by {format_indian(self.over_by)}"


class OverBudget(ServiceError):
    """Approval refused until the approver acknowledges the overrun (with a comment); carries the figures."""

    def __init__(self, po_number: str, warnings: list[OverrunWarning]) -> None:
        self.warnings = warnings
        super().__init__(
            f"Approving PO {po_number} takes {'a line' if len(warnings) == 1 else f'{len(warnings)} lines'} above "
            f"budget: {'; '.join(w.message for w in warnings)}. To approve anyway, acknowledge it with a comment."
        )


def _transition(
    session: Session,
    principal: Principal,
    po_id: int,
    action: PoAction,
    *,
    expected_version: int,
    comment: str | None,
    acknowledge_overrun: bool = False,
) -> PurchaseOrder:
    rule = po_workflow.rule(action)
    require(principal, rule.permission)
    po = load_po(session, po_id, for_update=True)
    assert po.id is not None
    check_version(session, po, expected_version)
    old = po.status
    try:
        new = po_workflow.transition(old, action)
    except TransitionRefused as exc:
        raise ServiceError(f"PO {po.po_number}: {exc}") from None
    if action in {PoAction.APPROVE, PoAction.REJECT} and po.created_by == principal.actor:
        raise ServiceError(
            f"You raised PO {po.po_number}: another approver must {action.value} it (nobody approves their own PO)."
        )
    text = _comment(po, action, comment, needed=rule.needs_comment)
    changes: dict[str, Any] = {"status": [old, new.value]}
    now = utcnow()
    if action is PoAction.APPROVE:
        changes.update(_approval(session, po, text, acknowledge_overrun=acknowledge_overrun))
        po.approved_at, po.approved_by = now, principal.actor
        po.approval_comment = text
    elif action is PoAction.SUBMIT:
        po.submitted_at = now
    elif action is PoAction.REJECT:
        po.rejection_reason = text
    elif action is PoAction.CLOSE:
        po.closed_at = now
    elif action is PoAction.CANCEL and old == PoStatus.APPROVED.value:
        _refuse_if_invoiced(session, po)
    if text:
        changes["comment"] = [None, text]
    po.status = new.value
    locking.stamp(po, principal)
    session.add(po)
    session.flush()
    audit.record(session, principal, action="transition", entity=ENTITY, entity_id=po.id, changes=changes)
    return po


def _comment(po: PurchaseOrder, action: PoAction, comment: str | None, *, needed: bool) -> str | None:
    """The comment given with a transition, trimmed; refused when too long, or missing where a reason is due."""
    problems: list[str] = []
    text = clean_text(comment, "comment", problems)
    if problems:
        raise ServiceError("; ".join(problems))
    if needed and not text:
        raise ServiceError(
            f"Give a reason for {'rejecting' if action is PoAction.REJECT else action.value} PO {po.po_number}."
        )
    return text


def _approval(session: Session, po: PurchaseOrder, text: str | None, *, acknowledge_overrun: bool) -> dict[str, Any]:
    """The over-budget check of an approval: OverBudget unless acknowledged, and then only with a comment.
    Returns what the audit event adds (the overrun figures)."""
    warnings = _overruns(session, po)
    if warnings and not acknowledge_overrun:
        raise OverBudget(po.po_number, warnings)
    if warnings and not text:
        raise ServiceError(
            f"PO {po.po_number} takes {', '.join(w.uid for w in warnings)} over budget: "
            "say why it is approved anyway (the comment is stored)."
        )
    return {"overrun": [None, [w.message for w in warnings]]} if warnings else {}


def _refuse_if_invoiced(session: Session, po: PurchaseOrder) -> None:
    """An approved PO with invoices booked against it is closed, not cancelled."""
    invoiced = session.exec(
        select(func.count())
        .select_from(Actual)
        .where(
            or_(
                col(Actual.purchase_order_id) == po.id,
                col(Actual.po_line_id).in_(select(PoLine.id).where(PoLine.purchase_order_id == po.id)),
            )
        )
    ).one()
    if invoiced:
        raise ServiceError(
            f"PO {po.po_number} has {invoiced} invoice{'s' if invoiced != 1 else ''} booked against it: "
            "close it instead (closing releases what is left open)."
        )


def submit_po(
    session: Session, principal: Principal, po_id: int, *, expected_version: int, comment: str | None = None
) -> PurchaseOrder:
    """Draft → submitted: it waits in the approvers' inbox."""
    return _transition(session, principal, po_id, PoAction.SUBMIT, expected_version=expected_version, comment=comment)


def approve_po(
    session: Session,
    principal: Principal,
    po_id: int,
    *,
    expected_version: int,
    comment: str | None = None,
    acknowledge_overrun: bool = False,
) -> PurchaseOrder:
    """Submitted → approved, by an approver who did not raise it. When it takes a budget line's committed +
    actual above the line's budget, OverBudget (with the figures) unless `acknowledge_overrun`, which then
    needs a comment; the comment is stored (approval_comment) and audited with the figures."""
    return _transition(
        session,
        principal,
        po_id,
        PoAction.APPROVE,
        expected_version=expected_version,
        comment=comment,
        acknowledge_overrun=acknowledge_overrun,
    )


def reject_po(
    session: Session, principal: Principal, po_id: int, *, expected_version: int, reason: str
) -> PurchaseOrder:
    """Submitted → rejected, with a reason (stored as rejection_reason): the analyst edits it and reopens it."""
    return _transition(session, principal, po_id, PoAction.REJECT, expected_version=expected_version, comment=reason)


def reopen_po(
    session: Session, principal: Principal, po_id: int, *, expected_version: int, comment: str | None = None
) -> PurchaseOrder:
    """Rejected → draft, to be edited and submitted again."""
    return _transition(session, principal, po_id, PoAction.REOPEN, expected_version=expected_version, comment=comment)


def close_po(
    session: Session, principal: Principal, po_id: int, *, expected_version: int, comment: str | None = None
) -> PurchaseOrder:
    """Approved → closed: what is left open on it is released (committed counts approved POs only)."""
    return _transition(session, principal, po_id, PoAction.CLOSE, expected_version=expected_version, comment=comment)


def cancel_po(
    session: Session, principal: Principal, po_id: int, *, expected_version: int, comment: str | None = None
) -> PurchaseOrder:
    """Draft, submitted, rejected or approved (with nothing invoiced) → cancelled."""
    return _transition(session, principal, po_id, PoAction.CANCEL, expected_version=expected_version, comment=comment)


# ---------------------------------------------------------------------------------------------- over budget


def _overruns(session: Session, po: PurchaseOrder) -> list[OverrunWarning]:
    """Per budget line this PO allocates to: would approving it take committed + actual above the budget?"""
    assert po.id is not None
    lines = po_lines(session, po.id)
    if not lines:
        return []
    invoiced = invoiced_by_line(session, po, [pl.id for pl, _ in lines if pl.id is not None])
    rate = Decimal(po.fx_rate) if po.fx_rate is not None else Decimal(1)
    allocated: dict[int, Decimal] = defaultdict(lambda: ZERO)
    opening: dict[int, Decimal] = defaultdict(lambda: ZERO)
    uids: dict[int, str] = {}
    for pl, bl in lines:
        assert bl.id is not None
        uids[bl.id] = bl.uid
        allocated[bl.id] += Decimal(pl.amount_base)
        spent = invoiced.get(pl.id or 0, (ZERO, ZERO))[0]
        opening[bl.id] += to_base(max(Decimal(pl.amount) - spent, ZERO), rate)  # as the figures model commits it
    totals = line_totals(session, line_ids=list(uids))
    warnings: list[OverrunWarning] = []
    for line_id, uid in uids.items():
        t = totals.get(line_id)
        if t is None:
            continue
        warning = OverrunWarning(
            budget_line_id=line_id,
            uid=uid,
            budget=Decimal(t.budget_base or ZERO),
            committed=Decimal(t.committed),
            actual=Decimal(t.actual),
            this_po=allocated[line_id],
            this_po_open=opening[line_id],
            budget_rate_missing=bool(t.budget_rate_missing),
        )
        if warning.budget_rate_missing or warning.after > warning.budget:
            warnings.append(warning)
    return sorted(warnings, key=lambda w: w.uid)


def approval_check(session: Session, principal: Principal, po_id: int) -> list[OverrunWarning]:
    """The over-budget warnings approving this PO now would raise, per budget line (base currency): budget,
    committed, actual and this PO. Empty when it fits, and for a PO that is not waiting for approval."""
    require(principal, Permission.APPROVE_PO)
    po = load_po(session, po_id)
    if po.status != PoStatus.SUBMITTED.value:
        return []
    return _overruns(session, po)
