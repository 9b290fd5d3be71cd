"""Actuals one at a time: the Unlinked actuals queue, linking an actual to a budget line (and a PO line),
manual entry and editing, and reconciliation notes.

An actual typed in a form follows the rules of the import (`imports/actuals_write`): the FY and fiscal
month come from its date, it converts at the rate on that date (a missing rate refuses the save), an
invoice is identified by (vendor, invoice number), and its UID / PO number link it as an imported row's
would (a reference that matches nothing leaves it unlinked, with a warning). The same functions run on a
frame of one row, so the two doors cannot drift apart.

Edits and links name the `version` the user saw (optimistic locking, services/locking); each is one audit
event. Reconciliation notes on an actual are audit events of their own (action 'note' on the actual):
append-only, with who and when, and no table of their own. (A note table like budget_note would need a
migration; notes that can be edited or deleted, or listed across actuals, would be the reason to add one.)
Notes on a budget line are budget_lines.add_note.

Permissions: reads need VIEW_DASHBOARDS; writes EDIT_BUDGET (what analysts have).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.money import format_indian
from opex_app.domain.names import clean_name, name_key
from opex_app.models import Actual, AuditEvent, BudgetLine, Currency, FiscalYearRow, PoLine, PurchaseOrder, Vendor
from opex_app.services import audit, locking
from opex_app.services.errors import NotFound, ServiceError
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.imports.actuals_write import NEW, SKIP, classify, load_context, over_allocation, prepare
from opex_app.services.inputs import stripped, text_amount
from opex_app.settings import get_settings

ENTITY = "actual"  # the audit trail's name for an actual
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
NOTE_MAX_CHARS = 4000
_MAX_TEXT = {"invoice_number": 100, "uid": 100, "po_number": 100, "remarks": 4000}

# How the fields are named to people (forms, history, conflict messages): as the export's headers.
LABELS: dict[str, str] = {
    "invoice_number": "Invoice No",
    "invoice_date": "Invoice Date",
    "vendor": "Vendor",
    "uid": "UID",
    "po_number": "PO Number",
    "currency": "Currency",
    "amount": "Amount",
    "fx_rate": "Rate",
    "amount_base": "Base Amount",
    "fiscal_year": "FY",
    "fiscal_month": "Month",
    "remarks": "Remarks",
    "budget_line": "Budget line",
    "po_line": "PO line",
    "note": "Note",
}


# ---------------------------------------------------------------------------------------------- inputs


class ActualInput(BaseModel):
    """An actual as a form (or a script) gives it: vendor by name (a known one), currency by ISO code (the
    base currency when empty), the amount in that currency, references as typed."""

    model_config = ConfigDict(frozen=True)

    invoice_number: str
    invoice_date: date
    amount: Decimal
    currency: str | None = None
    vendor: str | None = None
    uid: str | None = None
    po_number: str | None = None
    remarks: str | None = None

    _amount = field_validator("amount", mode="before")(text_amount)
    _texts = field_validator("currency", "vendor", "uid", "po_number", "remarks", "invoice_number", mode="before")(
        stripped
    )


class ActualUpdate(BaseModel):
    """The fields an edit changes (read with exclude_unset: a field not given keeps its value; None clears
    an optional one)."""

    model_config = ConfigDict(frozen=True)

    invoice_number: str | None = None
    invoice_date: date | None = None
    amount: Decimal | None = None
    currency: str | None = None
    vendor: str | None = None
    uid: str | None = None
    po_number: str | None = None
    remarks: str | None = None

    _amount = field_validator("amount", mode="before")(text_amount)
    _texts = field_validator("currency", "vendor", "uid", "po_number", "remarks", "invoice_number", mode="before")(
        stripped
    )


# ---------------------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class UnlinkedRow:
    id: int
    invoice_number: str
    invoice_date: date
    fiscal_year: str
    vendor: str
    currency: str
    amount: Decimal
    amount_base: Decimal
    uid_ref: str  # the references as typed ('' when none)
    po_ref: str
    remarks: str
    version: int


@dataclass(frozen=True)
class UnlinkedPage:
    rows: list[UnlinkedRow]
    total_count: int
    total_base: Decimal  # of every unlinked actual, not only this page
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total_count // self.page_size))


@dataclass(frozen=True)
class NoteView:
    id: int
    author: str
    created_at: datetime
    body: str


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


@dataclass(frozen=True)
class ActualSaved:
    """A saved actual and what the save said without refusing it (a reference that matches nothing, a PO
    line exceeded, a PO that is not approved)."""

    actual: Actual
    warnings: list[str]


# ---------------------------------------------------------------------------------------------- reads


def _get(session: Session, actual_id: int, *, for_update: bool = False) -> Actual:
    stmt = select(Actual).where(Actual.id == actual_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    actual = session.exec(stmt).first()
    if actual is None:
        raise NotFound(f"Actual {actual_id} does not exist.")
    return actual


def _vendor_name(session: Session, vendor_id: int | None) -> str | None:
    return session.get(Vendor, vendor_id).name if vendor_id is not None else None  # type: ignore[union-attr]


def _fy(session: Session, fiscal_year_id: int) -> FiscalYear:
    row = session.get(FiscalYearRow, fiscal_year_id)
    assert row is not None
    return FiscalYear(row.end_year, row.start_month)


def _values(session: Session, actual: Actual) -> dict[str, Any]:
    """The audited values of an actual (references as typed, masters by name)."""
    fy = _fy(session, actual.fiscal_year_id)
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


def _linked(session: Session, actual: Actual) -> dict[str, Any]:
    """The links as the audit trail names them: the budget line by UID, the PO line by PO number and UID."""
    line = session.get(BudgetLine, actual.budget_line_id) if actual.budget_line_id is not None else None
    po_line = session.get(PoLine, actual.po_line_id) if actual.po_line_id is not None else None
    po = session.get(PurchaseOrder, po_line.purchase_order_id) if po_line is not None else None
    return {
        "budget_line": line.uid if line is not None else None,
        "po_line": f"{po.po_number} / {line.uid if line else ''}" if po is not None else None,
    }


def get_actual(session: Session, principal: Principal, actual_id: int) -> ActualView:
    require(principal, Permission.VIEW_DASHBOARDS)
    actual = _get(session, actual_id)
    assert actual.id is not None
    line = session.get(BudgetLine, actual.budget_line_id) if actual.budget_line_id is not None else None
    po = session.get(PurchaseOrder, actual.purchase_order_id) if actual.purchase_order_id is not None else None
    return ActualView(
        id=actual.id,
        version=actual.version,
        values=_values(session, actual),
        budget_line_id=actual.budget_line_id,
        uid=line.uid if line is not None else "",
        po_line_id=actual.po_line_id,
        po_number=po.po_number if po is not None else "",
        notes=actual_notes(session, principal, actual.id),
    )


def unlinked_actuals(session: Session, principal: Principal, page: int = 1, page_size: int = PAGE_SIZE) -> UnlinkedPage:
    """The Unlinked actuals queue: actuals booked to no budget line, newest invoice first, one page."""
    require(principal, Permission.VIEW_DASHBOARDS)
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    unlinked = col(Actual.budget_line_id).is_(None)
    count, total = session.exec(
        select(func.count(), func.coalesce(func.sum(Actual.amount_base), 0)).where(unlinked)
    ).one()
    pages = max(1, -(-count // size))
    number = max(1, min(page, pages))
    stmt = (
        select(Actual, FiscalYearRow.name, Vendor.name)
        .join(FiscalYearRow, col(FiscalYearRow.id) == Actual.fiscal_year_id)
        .outerjoin(Vendor, col(Vendor.id) == Actual.vendor_id)
        .where(unlinked)
        .order_by(col(Actual.invoice_date).desc(), col(Actual.id).desc())
        .offset((number - 1) * size)
        .limit(size)
    )
    rows = [
        UnlinkedRow(
            id=a.id or 0,
            invoice_number=a.invoice_number,
            invoice_date=a.invoice_date,
            fiscal_year=fy_name,
            vendor=vendor or "",
            currency=a.currency_code,
            amount=a.amount,
            amount_base=a.amount_base,
            uid_ref=a.uid_ref or "",
            po_ref=a.po_ref or "",
            remarks=a.remarks or "",
            version=a.version,
        )
        for a, fy_name, vendor in session.exec(stmt)
    ]
    return UnlinkedPage(rows, count, Decimal(total), number, size)


# ---------------------------------------------------------------------------------------------- the rules


def _text(name: str, value: str | None) -> str | None:
    if value is not None and len(value) > _MAX_TEXT[name]:
        raise ServiceError(f"{LABELS[name]}: at most {_MAX_TEXT[name]} characters")
    return value


def _vendor_id(session: Session, name: str | None) -> dict[str, int]:
    """{name_key: id} of the vendor named (it must be stored); {} for none."""
    if name is None:
        return {}
    wanted = clean_name(name)
    found = session.exec(select(Vendor.id).where(Vendor.name_key == name_key(wanted))).first()
    if found is None:
        raise ServiceError(f"Vendor: '{wanted}' is not a known vendor (pick one from the list)")
    return {name_key(wanted): found}


def _checked(
    session: Session, values: Mapping[str, Any], *, exclude_id: int | None = None
) -> tuple[dict[str, Any], list[str]]:
    """One actual through the import's rules: (its classified row, the warnings). Raises ServiceError with
    every reason it cannot be saved."""
    for name in ("invoice_number", "uid", "po_number", "remarks"):
        _text(name, values.get(name))
    if not values.get("invoice_number"):
        raise ServiceError("Not saved. Invoice No is empty: every actual needs its invoice number")
    currency = values.get("currency")
    if currency is not None and session.get(Currency, currency.upper()) is None:
        raise ServiceError(f"Not saved. Currency: '{currency}' is not a known currency code")
    settings = get_settings()
    vendors = _vendor_id(session, values.get("vendor"))
    frame = pl.DataFrame(
        [{"row": 1, **{name: values.get(name) for name in ActualInput.model_fields}}],
        schema={
            "row": pl.Int64,
            "invoice_number": pl.String,
            "invoice_date": pl.Date,
            "amount": pl.Decimal(18, 2),
            "currency": pl.String,
            "vendor": pl.String,
            "uid": pl.String,
            "po_number": pl.String,
            "remarks": pl.String,
        },
    )
    prepared = prepare(frame, vendors, base=settings.base_currency, start_month=settings.fy_start_month)
    ctx = load_context(session, prepared, exclude_id=exclude_id)
    classified = classify(prepared, ctx)
    if classified.errors.height:
        raise ServiceError("Not saved. " + "; ".join(classified.errors.get_column("message").to_list()))
    row = classified.rows.row(0, named=True)
    if row["status"] == SKIP:
        raise ServiceError(
            f"Not saved. Invoice '{row['invoice_number']}'"
            + (f" of {row['vendor']}" if row["vendor"] else "")
            + " is already recorded, with this amount and date"
        )
    assert row["status"] == NEW
    new = classified.rows.filter(pl.col("status") == NEW)
    warnings = [*classified.warnings.get_column("message").to_list()]
    warnings += over_allocation(new, ctx).get_column("message").to_list()
    row["vendor_id"] = next(iter(vendors.values()), None)
    return row, warnings


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


# ---------------------------------------------------------------------------------------------- writes


def create_actual(session: Session, principal: Principal, data: ActualInput) -> ActualSaved:
    """Record one invoice typed by a person (audited); refused (ServiceError) as the import would refuse
    its row, and when the invoice is already recorded."""
    require(principal, Permission.EDIT_BUDGET)
    row, warnings = _checked(session, data.model_dump())
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
        changes=audit.changed_fields({}, {**_values(session, actual), **_linked(session, actual)}),
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
    actual = _get(session, actual_id, for_update=True)
    _check_version(session, actual, expected_version)
    before = _values(session, actual)
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
    row, warnings = _checked(session, wanted, exclude_id=actual.id)
    linked_before = _linked(session, actual)
    _apply(session, actual, row, links=bool(moved & set(_RELINK)), money=bool(moved & set(_RECONVERT)))
    diff = audit.changed_fields({**before, **linked_before}, {**_values(session, actual), **_linked(session, actual)})
    locking.stamp(actual, principal)
    session.add(actual)
    session.flush()
    audit.record(session, principal, action="update", entity=ENTITY, entity_id=actual.id, changes=diff)
    return ActualSaved(actual, warnings)


def _key(name: str, value: Any) -> Any:
    """What a field is compared on: a vendor by its normalised name."""
    return name_key(value) if name == "vendor" and value is not None else value


def link_actual(
    session: Session,
    principal: Principal,
    actual_id: int,
    *,
    expected_version: int,
    budget_line_id: int,
    po_line_id: int | None = None,
) -> ActualSaved:
    """Book an actual to a budget line of its FY and, optionally, to a PO line allocating to that line
    (audited; optimistic locking). Exceeding the PO line, or a PO that is not approved, is said, not refused."""
    require(principal, Permission.EDIT_BUDGET)
    actual = _get(session, actual_id, for_update=True)
    _check_version(session, actual, expected_version)
    line = session.get(BudgetLine, budget_line_id)
    if line is None:
        raise NotFound(f"Budget line {budget_line_id} does not exist.")
    fy, line_fy = _fy(session, actual.fiscal_year_id), _fy(session, line.fiscal_year_id)
    if line.fiscal_year_id != actual.fiscal_year_id:
        raise ServiceError(
            f"Not linked: {line.uid} is a line of {line_fy.name}, and invoice '{actual.invoice_number}' dated "
            f"{actual.invoice_date:%d-%b-%Y} is in {fy.name}"
        )
    po_line = None
    if po_line_id is not None:
        po_line = session.get(PoLine, po_line_id)
        if po_line is None:
            raise NotFound(f"PO line {po_line_id} does not exist.")
        if po_line.budget_line_id != line.id:
            raise ServiceError(f"Not linked: PO line {po_line_id} does not allocate to {line.uid}")
    before = _linked(session, actual)
    actual.budget_line_id = line.id
    actual.po_line_id = po_line.id if po_line is not None else None
    actual.purchase_order_id = po_line.purchase_order_id if po_line is not None else None
    after = _linked(session, actual)
    if after == before:
        return ActualSaved(actual, [])
    locking.stamp(actual, principal)
    session.add(actual)
    session.flush()
    audit.record(
        session,
        principal,
        action="link",
        entity=ENTITY,
        entity_id=actual.id,
        changes=audit.changed_fields(before, after),
    )
    return ActualSaved(actual, _po_line_warnings(session, actual) if po_line is not None else [])


_PO_LINE_STATE = text(
    """
    SELECT p.po_number, p.status, p.currency_code, l.amount,
           COALESCE((SELECT SUM(CASE WHEN a.currency_code = p.currency_code THEN a.amount
                                     ELSE a.amount_base / NULLIF(r.rate, 0) END)
                     FROM actual a WHERE a.po_line_id = l.id), 0) AS invoiced
    FROM po_line l JOIN purchase_order p ON p.id = l.purchase_order_id
    CROSS JOIN LATERAL (
        SELECT CASE WHEN p.currency_code = :base THEN 1::numeric
                    ELSE COALESCE(p.fx_rate, fx_rate_on(p.currency_code, p.po_date, :base)) END AS rate
    ) r
    WHERE l.id = :id
    """
)


def _po_line_warnings(session: Session, actual: Actual) -> list[str]:
    """What linking to a PO line says: a PO that is not approved, a line invoiced above its allocation."""
    found = session.execute(_PO_LINE_STATE, {"id": actual.po_line_id, "base": get_settings().base_currency}).one()
    out = []
    if found.status != "approved":
        out.append(
            f"PO '{found.po_number}' is {found.status}: the invoice is booked against it as actual; "
            f"the PO stays {found.status} (nothing re-opens)"
        )
    invoiced = Decimal(found.invoiced).quantize(Decimal("0.01"))
    if invoiced > found.amount:
        out.append(
            f"PO '{found.po_number}' line is now invoiced {found.currency_code} {format_indian(invoiced)} of "
            f"{found.currency_code} {format_indian(found.amount)} allocated: booked in full as actual; nothing "
            "stays committed on that line"
        )
    return out


def _check_version(session: Session, actual: Actual, expected_version: int) -> None:
    locking.check_version(
        session,
        actual,
        expected_version,
        entity=ENTITY,
        name=f"invoice '{actual.invoice_number}'",
        describe=describe_changes,
    )


def describe_changes(changes: Mapping[str, Any] | None) -> list[str]:
    """An audit event's changes as 'Label: before → after' (a note as 'Note: text')."""
    order = {name: i for i, name in enumerate(LABELS)}
    out: list[str] = []
    for name in sorted(changes or {}, key=lambda n: (order.get(n, len(order)), n)):
        pair = (changes or {})[name]
        before, after = (pair[0], pair[-1]) if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        label = LABELS.get(name, name.replace("_", " "))
        if name == "note":
            out.append(f"{label}: {after}")
        else:
            out.append(f"{label}: {'' if before is None else before} → {'' if after is None else after}")
    return out


# ---------------------------------------------------------------------------------------------- notes


def add_actual_note(session: Session, principal: Principal, actual_id: int, *, body: str) -> NoteView:
    """A reconciliation note on an actual: an append-only audit event (it does not change the actual's
    version, so nobody's open form goes stale)."""
    require(principal, Permission.EDIT_BUDGET)
    actual = _get(session, actual_id)
    note = (body or "").strip()
    if not note:
        raise ServiceError("Write the note first.")
    if len(note) > NOTE_MAX_CHARS:
        raise ServiceError(f"A note has at most {NOTE_MAX_CHARS} characters ({len(note)} given).")
    event = audit.record(
        session,
        principal,
        action="note",
        entity=ENTITY,
        entity_id=actual.id,
        changes={"note": [None, note], "invoice_number": [None, actual.invoice_number]},
    )
    session.flush()
    return NoteView(event.id or 0, event.actor, event.at, note)


def actual_notes(session: Session, principal: Principal, actual_id: int) -> list[NoteView]:
    """The reconciliation notes of an actual, newest first."""
    require(principal, Permission.VIEW_DASHBOARDS)
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == ENTITY, AuditEvent.entity_id == str(actual_id), AuditEvent.action == "note")
        .order_by(col(AuditEvent.id).desc())
    )
    return [NoteView(e.id or 0, e.actor, e.at, str((e.changes or {}).get("note", [None, ""])[-1])) for e in events]
