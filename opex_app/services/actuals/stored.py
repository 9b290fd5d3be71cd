"""One stored actual: reading it (for update when it is to change), its values and links as the audit
trail records them, the version check of an edit, and what a save returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from opex_app.domain.fiscal import FiscalYear
from opex_app.models import Actual, BudgetLine, FiscalYearRow, PoLine, PurchaseOrder, Vendor
from opex_app.services import locking
from opex_app.services.actuals.labels import ENTITY, describe_changes
from opex_app.services.errors import NotFound


@dataclass(frozen=True)
class ActualSaved:
    """A saved actual and what the save said without refusing it (a reference that matches nothing, a PO
    line exceeded, a PO that is not approved)."""

    actual: Actual
    warnings: list[str]


def fetch_actual(session: Session, actual_id: int, *, for_update: bool = False) -> Actual:
    stmt = select(Actual).where(Actual.id == actual_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    actual = session.exec(stmt).first()
    if actual is None:
        raise NotFound(f"Actual {actual_id} does not exist.")
    return actual


def _vendor_name(session: Session, vendor_id: int | None) -> str | None:
    return session.get(Vendor, vendor_id).name if vendor_id is not None else None  # type: ignore[union-attr]


def fiscal_year_of(session: Session, fiscal_year_id: int) -> FiscalYear:
    row = session.get(FiscalYearRow, fiscal_year_id)
    assert row is not None
    return FiscalYear(row.end_year, row.start_month)


def audited_values(session: Session, actual: Actual) -> dict[str, Any]:
    """The audited values of an actual (references as typed, masters by name)."""
    fy = fiscal_year_of(session, actual.fiscal_year_id)
    return {
        "invoice_number": actual.invoice_number,
        "invoice_date": actual.invoice_date,
        "vendor": _vendor_name(session, actual.vendor_id),
        "uid": actual.uid_ref,
        "po_number": actual.po_ref,
        "currency": actual.currency_code,
        "amount": actual.amount,
        "fx_rate": actual.fx_rate,
        "amount_base": actual.amount_base,
        "fiscal_year": fy.name,
        "fiscal_month": fy.month_label(actual.fiscal_month),
        "remarks": actual.remarks,
    }


def audited_links(session: Session, actual: Actual) -> dict[str, Any]:
    """The links as the audit trail names them: the budget line by UID, the PO line by PO number and UID."""
    line = session.get(BudgetLine, actual.budget_line_id) if actual.budget_line_id is not None else None
    po_line = session.get(PoLine, actual.po_line_id) if actual.po_line_id is not None else None
    po = session.get(PurchaseOrder, po_line.purchase_order_id) if po_line is not None else None
    return {
        "budget_line": line.uid if line is not None else None,
        "po_line": f"{po.po_number} / {line.uid if line else ''}" if po is not None else None,
    }


def check_version(session: Session, actual: Actual, expected_version: int) -> None:
    locking.check_version(
        session,
        actual,
        expected_version,
        entity=ENTITY,
        name=f"invoice '{actual.invoice_number}'",
        describe=describe_changes,
    )
