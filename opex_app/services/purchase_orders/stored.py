"""The stored PO as the PO services read it: by id (locked to edit), its lines, what is invoiced against
them, its version check, and its fields as the audit trail records them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from opex_app.models import Actual, BudgetLine, Entity, PoLine, PurchaseOrder, Vendor
from opex_app.models._types import ZERO
from opex_app.services import locking
from opex_app.services.errors import NotFound
from opex_app.services.purchase_orders.wording import describe_changes, service_months

ENTITY = "purchase_order"  # the audit trail's name for a PO
CENT = Decimal("0.01")


def to_base(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def load_po(session: Session, po_id: int, *, for_update: bool = False) -> PurchaseOrder:
    stmt = select(PurchaseOrder).where(PurchaseOrder.id == po_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    po = session.exec(stmt).first()
    if po is None:
        raise NotFound(f"PO {po_id} does not exist.")
    return po


def po_lines(session: Session, po_id: int) -> list[tuple[PoLine, BudgetLine]]:
    stmt = (
        select(PoLine, BudgetLine)
        .join(BudgetLine, col(BudgetLine.id) == col(PoLine.budget_line_id))
        .where(PoLine.purchase_order_id == po_id)
        .order_by(col(PoLine.id))
    )
    return [(pl, bl) for pl, bl in session.exec(stmt)]


def line_text(uid: str, pl: PoLine) -> str:
    text = f"{uid}: {Decimal(pl.amount).quantize(CENT)}"
    months = service_months(pl.service_start, pl.service_end)
    if months:
        text += f" ({months})"
    if pl.description:
        text += f" {pl.description}"
    return text


def master_name(session: Session, model: type[Vendor] | type[Entity], id_: int | None) -> str:
    row = session.get(model, id_) if id_ is not None else None
    return row.name if row is not None else ""


def audit_values(session: Session, po: PurchaseOrder, lines: Sequence[tuple[PoLine, BudgetLine]]) -> dict[str, Any]:
    """The PO's fields as the audit trail records them (masters by name, lines as 'UID: amount')."""
    return {
        "po_number": po.po_number,
        "po_date": po.po_date,
        "vendor": master_name(session, Vendor, po.vendor_id),
        "entity": master_name(session, Entity, po.entity_id),
        "currency": po.currency_code,
        "value": Decimal(po.total_amount).quantize(CENT),
        "fx_rate": None if po.fx_rate is None else Decimal(po.fx_rate).quantize(Decimal("0.000001")),
        "value_base": Decimal(po.total_amount_base).quantize(CENT),
        "pr_number": po.pr_number,
        "pr_date": po.pr_date,
        "pr_amount": None if po.pr_amount is None else Decimal(po.pr_amount).quantize(CENT),
        "description": po.description,
        "lines": [line_text(bl.uid, pl) for pl, bl in lines],
    }


def check_version(session: Session, po: PurchaseOrder, expected_version: int) -> None:
    locking.check_version(
        session, po, expected_version, entity=ENTITY, name=f"PO {po.po_number}", describe=describe_changes
    )


def invoiced_by_line(
    session: Session, po: PurchaseOrder, po_line_ids: Sequence[int]
) -> dict[int, tuple[Decimal, Decimal]]:
    """{po line id: (invoiced in the PO's currency, invoiced in base)}, counted as the figures model counts it:
    an invoice in another currency at its base value converted back at the PO's rate."""
    if not po_line_ids:
        return {}
    stmt = (
        sa_select(
            col(Actual.po_line_id),
            col(Actual.currency_code),
            func.sum(col(Actual.amount)),
            func.sum(col(Actual.amount_base)),
        )
        .where(col(Actual.po_line_id).in_(list(po_line_ids)))
        .group_by(col(Actual.po_line_id), col(Actual.currency_code))
    )
    out: dict[int, tuple[Decimal, Decimal]] = {}
    for line_id, currency, amount, amount_base in session.execute(stmt):
        if currency == po.currency_code:
            in_po = Decimal(amount)
        else:
            rate = Decimal(po.fx_rate) if po.fx_rate else Decimal(1)
            in_po = Decimal(amount_base) / rate  # unrounded, as the figures model counts it
        before = out.get(line_id, (ZERO, ZERO))
        out[line_id] = (before[0] + in_po, before[1] + Decimal(amount_base))
    return out
