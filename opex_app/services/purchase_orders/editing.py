"""Create a draft PO, and edit a draft or rejected one (optimistic locking on its version)."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain import po_workflow
from opex_app.models import BudgetLine, PoLine, PoStatus, PurchaseOrder
from opex_app.models._types import ZERO
from opex_app.services import audit, locking
from opex_app.services.errors import ServiceError
from opex_app.services.purchase_orders.inputs import PoInput, PoLineInput
from opex_app.services.purchase_orders.stored import (
    ENTITY,
    audit_values,
    check_version,
    invoiced_by_line,
    load_po,
    po_lines,
    to_base,
)
from opex_app.services.purchase_orders.validation import ParsedPo, parse_po


def _apply(po: PurchaseOrder, data: PoInput, parsed: ParsedPo) -> None:
    po.po_number = parsed.po_number
    po.fiscal_year_id = parsed.fy_row.id or 0
    po.po_date = data.po_date
    po.vendor_id = parsed.vendor_id
    po.entity_id = parsed.entity_id
    po.currency_code = parsed.currency
    po.description = parsed.description
    po.pr_number = parsed.pr_number
    po.pr_date = data.pr_date
    po.pr_amount = data.pr_amount
    po.total_amount = data.value
    po.fx_rate = parsed.rate
    # The PO's base value is the sum of its lines' base values (each converted at the PO's rate), so the PO
    # and its allocations never disagree by a rounding cent.
    po.total_amount_base = sum((to_base(line.amount, parsed.rate) for line, _ in parsed.lines), ZERO)


def _write_line(pl: PoLine, line: PoLineInput, bl: BudgetLine, rate: Decimal) -> None:
    pl.budget_line_id = bl.id or 0
    pl.amount = line.amount
    pl.amount_base = to_base(line.amount, rate)
    pl.service_start = line.service_start
    pl.service_end = line.service_end
    pl.description = (line.description or "").strip() or None


def create_po(session: Session, principal: Principal, *, data: PoInput) -> PurchaseOrder:
    """A new draft PO with its allocations, converted at the rate on its PO date; audited as 'create'.

    Raises ServiceError naming every problem (duplicate PO number, unknown vendor, entity, currency or UID,
    allocations not adding up to the value, no FX rate on the PO date); nothing is written then."""
    require(principal, Permission.CREATE_PO)
    parsed = parse_po(session, data, po_id=None)
    po = PurchaseOrder(
        po_number=parsed.po_number,
        fiscal_year_id=parsed.fy_row.id or 0,
        currency_code=parsed.currency,
        status=PoStatus.DRAFT.value,
        created_by=principal.actor,
    )
    _apply(po, data, parsed)
    session.add(po)
    session.flush()
    assert po.id is not None
    for line, bl in parsed.lines:
        pl = PoLine(purchase_order_id=po.id, budget_line_id=bl.id or 0)
        _write_line(pl, line, bl, parsed.rate)
        session.add(pl)
    session.flush()
    after = audit_values(session, po, po_lines(session, po.id))
    audit.record(
        session,
        principal,
        action="create",
        entity=ENTITY,
        entity_id=po.id,
        changes=audit.changed_fields({}, {**after, "status": po.status}),
    )
    return po


def update_po(
    session: Session, principal: Principal, po_id: int, *, expected_version: int, data: PoInput
) -> PurchaseOrder:
    """Replace a draft or rejected PO's fields and allocations (optimistic locking on `version`).

    Allocations are matched to the existing PO lines by budget line, so a line keeps its id (and anything
    linked to it); a removed allocation with invoices booked against it is refused. Audited as 'update' with
    {field: [before, after]}; a save that changes nothing writes nothing."""
    require(principal, Permission.CREATE_PO)
    po = load_po(session, po_id, for_update=True)
    assert po.id is not None
    check_version(session, po, expected_version)
    if not po_workflow.can_edit(po.status):
        raise ServiceError(
            f"PO {po.po_number} is {po.status}: only a draft or rejected PO can be edited"
            + (" (close or cancel it instead)" if po.status == PoStatus.APPROVED.value else "")
            + "."
        )
    current = po_lines(session, po.id)
    before = audit_values(session, po, current)
    parsed = parse_po(session, data, po_id=po.id)
    existing = {pl.budget_line_id: pl for pl, _ in current}
    wanted = {bl.id for _, bl in parsed.lines}
    removed = [(pl, bl) for pl, bl in current if pl.budget_line_id not in wanted]
    if removed:
        linked = invoiced_by_line(session, po, [pl.id for pl, _ in removed if pl.id is not None])
        blocked = [bl.uid for pl, bl in removed if pl.id in linked]
        if blocked:
            raise ServiceError(
                f"Not saved. The allocation to {', '.join(blocked)} has invoices booked against it and cannot be "
                "removed."
            )
    _apply(po, data, parsed)
    for pl, _ in removed:
        session.delete(pl)
    for line, bl in parsed.lines:
        pl = existing.get(bl.id or 0) or PoLine(purchase_order_id=po.id, budget_line_id=bl.id or 0)
        _write_line(pl, line, bl, parsed.rate)
        session.add(pl)
    session.flush()
    after = audit_values(session, po, po_lines(session, po.id))
    diff = audit.changed_fields(before, after)
    if not diff:
        return po  # nothing changed: same version, no audit event
    locking.stamp(po, principal)
    session.add(po)
    session.flush()
    audit.record(session, principal, action="update", entity=ENTITY, entity_id=po.id, changes=diff)
    return po
