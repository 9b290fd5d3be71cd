"""A PoInput checked against the database before anything is written: every problem in one message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from opex_app.domain.fiscal import fiscal_year_of
from opex_app.domain.ingest import amounts
from opex_app.domain.money import format_indian
from opex_app.domain.names import clean_name
from opex_app.models import BudgetLine, Currency, Entity, FiscalYearRow, PurchaseOrder, Vendor
from opex_app.models._types import ZERO
from opex_app.services import masters
from opex_app.services.errors import NotFound, ServiceError
from opex_app.services.fx import rate_on
from opex_app.services.purchase_orders.inputs import MAX_TEXT, PoInput, PoLineInput, clean_text
from opex_app.services.purchase_orders.stored import CENT
from opex_app.settings import get_settings


def _money_problem(value: Decimal | None, label: str, *, positive: bool = True) -> str | None:
    if value is None:
        return f"{label} is required"
    if not value.is_finite():
        return f"{label}: '{value}' is not an amount"
    if value != value.quantize(CENT):
        return f"{label}: {value} has more than 2 decimals"
    if abs(value) >= Decimal(10) ** amounts.MAX_INTEGER_DIGITS:
        return f"{label}: {value} is too large"
    if positive and value <= 0:
        return f"{label} must be greater than zero ({format_indian(value)} given)"
    if value < 0:
        return f"{label} cannot be negative ({format_indian(value)} given)"
    return None


def _master_id(
    session: Session, model: type[Vendor] | type[Entity], raw: str, kind: str, problems: list[str]
) -> int | None:
    wanted = clean_name(raw or "")
    if not wanted:
        problems.append(f"{kind.title()} is required")
        return None
    found = masters.resolve(session, str(model.__tablename__), wanted)
    if found is None:
        problems.append(f"{kind.title()}: '{wanted}' is not a known {kind} (pick one from the list)")
        return None
    return found[0]


@dataclass
class ParsedPo:
    fy_row: FiscalYearRow
    vendor_id: int
    entity_id: int
    currency: str
    rate: Decimal
    po_number: str
    description: str | None
    pr_number: str | None
    lines: list[tuple[PoLineInput, BudgetLine]]


def parse_po(session: Session, data: PoInput, *, po_id: int | None) -> ParsedPo:
    """Validate a PO: every problem in one message, nothing written."""
    problems: list[str] = []
    po_number = _po_number(session, data, po_id, problems)
    vendor_id = _master_id(session, Vendor, data.vendor, "vendor", problems)
    entity_id = _master_id(session, Entity, data.entity, "entity", problems)
    currency, known = _currency(session, data, problems)
    value_problem = _money_problem(data.value, "PO value")
    if value_problem:
        problems.append(value_problem)
    if data.pr_amount is not None:
        pr_problem = _money_problem(data.pr_amount, "PR amount", positive=False)
        if pr_problem:
            problems.append(pr_problem)
    description = clean_text(data.description, "description", problems)
    pr_number = clean_text(data.pr_number, "pr_number", problems)
    fy_row, lines = _allocations(session, data, problems)
    if data.lines and value_problem is None and all(line.amount is not None for line in data.lines):
        allocated = sum((line.amount for line in data.lines), ZERO)
        if allocated != data.value:
            problems.append(
                f"The allocations add up to {format_indian(allocated)} but the PO value is "
                f"{format_indian(data.value)} (difference {format_indian(data.value - allocated)})"
            )
    rate = _rate(session, currency, data.po_date, problems) if known is not None else Decimal(1)
    if problems:
        raise ServiceError("Not saved. " + "; ".join(problems) + ".")
    assert fy_row is not None and vendor_id is not None and entity_id is not None and po_number is not None
    return ParsedPo(fy_row, vendor_id, entity_id, currency, rate, po_number, description, pr_number, lines)


def _po_number(session: Session, data: PoInput, po_id: int | None, problems: list[str]) -> str | None:
    """The PO number, given and used by no other PO."""
    po_number = clean_text(data.po_number, "po_number", problems)
    if not po_number:
        problems.append("PO number is required")
        return po_number
    taken = session.exec(
        select(PurchaseOrder.id).where(PurchaseOrder.po_number == po_number, col(PurchaseOrder.id) != (po_id or 0))
    ).first()
    if taken is not None:
        problems.append(f"PO number '{po_number}' already exists (each PO number is used once)")
    return po_number


def _currency(session: Session, data: PoInput, problems: list[str]) -> tuple[str, Currency | None]:
    """The ISO code and its stored currency (None when unknown); an inactive one is a problem too."""
    currency = (data.currency or "").strip().upper()
    known = session.get(Currency, currency) if currency else None
    if known is None or not known.is_active:
        problems.append(
            f"Currency: '{data.currency}' is not a known currency code (ISO, e.g. USD)"
            if currency
            else "Currency is required"
        )
    return currency, known


def _allocations(
    session: Session, data: PoInput, problems: list[str]
) -> tuple[FiscalYearRow | None, list[tuple[PoLineInput, BudgetLine]]]:
    """The FY of the PO date and each allocation with its budget line (a UID of that FY, once per PO)."""
    fy = fiscal_year_of(data.po_date, get_settings().fy_start_month)
    fy_row = session.exec(select(FiscalYearRow).where(FiscalYearRow.end_year == fy.end_year)).first()
    where = f"{fy.name} (the FY of the PO date {data.po_date.isoformat()})"
    if not data.lines:
        problems.append("Allocate the PO's value to at least one budget line")
    uids = [clean_name(line.uid or "") for line in data.lines]
    found: dict[str, BudgetLine] = {}
    if fy_row is not None and any(uids):
        found = {
            bl.uid: bl
            for bl in session.exec(
                select(BudgetLine).where(BudgetLine.fiscal_year_id == fy_row.id, col(BudgetLine.uid).in_(uids))
            )
        }
    seen: set[str] = set()
    lines: list[tuple[PoLineInput, BudgetLine]] = []
    for number, (line, uid) in enumerate(zip(data.lines, uids, strict=True), start=1):
        label = f"Allocation {number}" + (f" ({uid})" if uid else "")
        if not uid:
            problems.append(f"{label}: the UID is required")
        elif uid in seen:
            problems.append(f"{label}: {uid} is allocated twice (one allocation per budget line)")
        elif uid not in found:
            problems.append(f"{label}: UID {uid} is not a budget line of {where}")
        seen.add(uid)
        _line_problems(line, label, problems)
        if uid in found:
            lines.append((line, found[uid]))
    return fy_row, lines


def _line_problems(line: PoLineInput, label: str, problems: list[str]) -> None:
    """An allocation's own checks: its amount, its service months, its description's length."""
    amount_problem = _money_problem(line.amount, f"{label} amount")
    if amount_problem:
        problems.append(amount_problem)
    if (line.service_start is None) != (line.service_end is None):
        problems.append(f"{label}: give both the service start and end, or neither")
    elif line.service_start and line.service_end and line.service_end < line.service_start:
        problems.append(
            f"{label}: service end ({line.service_end.isoformat()}) is before its start "
            f"({line.service_start.isoformat()})"
        )
    if line.description and len(line.description.strip()) > MAX_TEXT["description"]:
        problems.append(f"{label}: the description has at most {MAX_TEXT['description']} characters")


def _rate(session: Session, currency: str, po_date: date, problems: list[str]) -> Decimal:
    """The rate in force on the PO date; never 1.0 when there is none: the PO would be converted at a made-up
    rate (a problem instead)."""
    try:
        found_rate = rate_on(session, currency, po_date)
    except NotFound:
        found_rate = None
    if found_rate is not None:
        return Decimal(found_rate)
    problems.append(
        f"No {currency} rate on {po_date.isoformat()} (the PO date): "
        "record the rate in force on that date first (FX rates)"
    )
    return Decimal(1)
