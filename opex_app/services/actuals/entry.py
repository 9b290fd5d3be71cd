"""Manual entry and editing of one actual, by the rules of the import, and reading one for its form.

A change of the date, vendor, UID or PO number links an edited actual again from its references; a change
of the date, currency or amount converts it again at the rate on its date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.names import name_key
from opex_app.models import Actual, BudgetLine, PurchaseOrder
from opex_app.services import audit, locking
from opex_app.services.actuals.inputs import ActualInput, ActualUpdate, checked
from opex_app.services.actuals.labels import ENTITY
from opex_app.services.actuals.notes import NoteView, actual_notes
from opex_app.services.actuals.stored import (
    ActualSaved,
    audited_links,
    audited_values,
    check_version,
    fetch_actual,
)
from opex_app.services.errors import ServiceError
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.settings import get_settings


@dataclass(frozen=True)
class ActualView:
    """One actual as a form shows it: the values as entered, what they were converted to and linked to."""

    id: int
    version: int
    values: dict[str, Any]  # LABELS' keys (except budget_line, po_line, note)
    budget_line_id: int | None
    uid: str  # of the linked budget line ('' when unlinked)
    po_line_id: int | None
    po_number: str  # of the linked PO ('' when none)
    notes: list[NoteView] = field(default_factory=list)  # newest first


def get_actual(session: Session, principal: Principal, actual_id: int) -> ActualView:
    require(principal, Permission.VIEW_DASHBOARDS)
    actual = fetch_actual(session, actual_id)
    assert actual.id is not None
    line = session.get(BudgetLine, actual.budget_line_id) if actual.budget_line_id is not None else None
    po = session.get(PurchaseOrder, actual.purchase_order_id) if actual.purchase_order_id is not None else None
    return ActualView(
        id=actual.id,
        version=actual.version,
        values=audited_values(session, actual),
        budget_line_id=actual.budget_line_id,
        uid=line.uid if line is not None else "",
        po_line_id=actual.po_line_id,
        po_number=po.po_number if po is not None else "",
        notes=actual_notes(session, principal, actual.id),
    )


def _apply(session: Session, actual: Actual, row: Mapping[str, Any], *, links: bool, money: bool) -> None:
    """Set an actual's fields from a classified row (its links and its conversion only when asked)."""
    start_month = get_settings().fy_start_month
    actual.invoice_number = row["invoice_number"]
    actual.invoice_date = row["invoice_date"]
    actual.vendor_id = row["vendor_id"]
    actual.currency_code = row["currency"]
    actual.amount = row["amount"]
    actual.uid_ref, actual.po_ref, actual.remarks = row["uid"], row["po_number"], row["remarks"]
    actual.fiscal_year_id = ensure_fiscal_year(session, FiscalYear(row["fy_end"], start_month)).id or 0
    actual.fiscal_month = row["fiscal_month"]
    if money:
        actual.fx_rate, actual.amount_base = row["rate"], row["amount_base"]
    if links:
        actual.budget_line_id = row["budget_line_id"]
        actual.po_line_id = row["po_line_id"]
        actual.purchase_order_id = row["purchase_order_id"]


def create_actual(session: Session, principal: Principal, data: ActualInput) -> ActualSaved:
    """Record one invoice typed by a person (audited); refused (ServiceError) as the import would refuse
    its row, and when the invoice is already recorded."""
    require(principal, Permission.EDIT_BUDGET)
    row, warnings = checked(session, data.model_dump())
    actual = Actual(
        fiscal_year_id=0,
        invoice_number="",
        invoice_date=row["invoice_date"],
        fiscal_month=0,
        currency_code="",
        created_by=principal.actor,
    )
    _apply(session, actual, row, links=True, money=True)
    session.add(actual)
    session.flush()
    audit.record(
        session,
        principal,
        action="create",
        entity=ENTITY,
        entity_id=actual.id,
        changes=audit.changed_fields({}, {**audited_values(session, actual), **audited_links(session, actual)}),
    )
    return ActualSaved(actual, warnings)


# A change of one of these re-links the actual from its references (and the date moves it to its FY).
_RELINK = ("invoice_date", "vendor", "uid", "po_number")
_RECONVERT = ("invoice_date", "currency", "amount")


def update_actual(
    session: Session, principal: Principal, actual_id: int, *, expected_version: int, changes: ActualUpdate
) -> ActualSaved:
    """Edit an actual (optimistic locking on `version`), by the rules of `create_actual`. A change of the
    date, vendor, UID or PO number links it again from its references (a link made by hand that they do
    not name is then lost, and the warnings say why); a change of the date, currency or amount converts it
    again at the rate on its date. Nothing changed: nothing written."""
    require(principal, Permission.EDIT_BUDGET)
    actual = fetch_actual(session, actual_id, for_update=True)
    check_version(session, actual, expected_version)
    before = audited_values(session, actual)
    given = changes.model_dump(exclude_unset=True)
    if "amount" in given and given["amount"] is None:
        raise ServiceError("Not saved. Amount is empty")
    if "invoice_date" in given and given["invoice_date"] is None:
        raise ServiceError("Not saved. Invoice Date is empty: the FY, month and rate come from it")
    current = {name: before[name] for name in ActualInput.model_fields}
    wanted = {**current, **given}
    if wanted.get("currency"):
        wanted["currency"] = wanted["currency"].upper()
    moved = {name for name in ActualInput.model_fields if _key(name, wanted.get(name)) != _key(name, current.get(name))}
    if not moved:
        return ActualSaved(actual, [])
    row, warnings = checked(session, wanted, exclude_id=actual.id)
    linked_before = audited_links(session, actual)
    _apply(session, actual, row, links=bool(moved & set(_RELINK)), money=bool(moved & set(_RECONVERT)))
    diff = audit.changed_fields(
        {**before, **linked_before}, {**audited_values(session, actual), **audited_links(session, actual)}
    )
    locking.stamp(actual, principal)
    session.add(actual)
    session.flush()
    audit.record(session, principal, action="update", entity=ENTITY, entity_id=actual.id, changes=diff)
    return ActualSaved(actual, warnings)


def _key(name: str, value: Any) -> Any:
    """What a field is compared on: a vendor by its normalised name."""
    return name_key(value) if name == "vendor" and value is not None else value
