"""Purchase orders: create and edit (draft or rejected), the workflow (submit, approve, reject, reopen, close,
cancel) with the approval over-budget warning, and the reads behind the PO pages (list, detail, approvals
inbox, the allocation picker's UID search).

Every function checks its permission first and only flushes: the caller owns the transaction, so a PO, its
lines and its audit event are written together or not at all. Edits and transitions name the `version` the
user saw (optimistic locking, services/locking). The workflow itself is the table in domain/po_workflow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import Select, and_, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain import po_workflow
from opex_app.domain.fiscal import FiscalYear, fiscal_year_of, parse_fiscal_year
from opex_app.domain.ingest import amounts
from opex_app.domain.money import format_indian
from opex_app.domain.names import clean_name, name_key
from opex_app.domain.po_workflow import PoAction, TransitionRefused
from opex_app.models import (
    Actual,
    BudgetLine,
    Currency,
    Entity,
    FiscalYearRow,
    PoLine,
    PoStatus,
    PurchaseOrder,
    Tower,
    Vendor,
)
from opex_app.models._types import ZERO, utcnow
from opex_app.services import audit, locking
from opex_app.services.errors import NotFound, ServiceError
from opex_app.services.figures import line_totals
from opex_app.services.fx import rate_on
from opex_app.services.inputs import blank_none, optional_text_amount
from opex_app.settings import get_settings

ENTITY = "purchase_order"  # the audit trail's name for a PO
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
SEARCH_LIMIT = 20
_CENT = Decimal("0.01")
_MAX_TEXT = {"po_number": 100, "pr_number": 100, "description": 4000, "comment": 4000}

# How the fields are named to people (forms, history, conflict messages).
LABELS: dict[str, str] = {
    "po_number": "PO number",
    "po_date": "PO date",
    "vendor": "Vendor",
    "entity": "Entity",
    "currency": "Currency",
    "value": "PO value",
    "fx_rate": "FX rate",
    "value_base": "Value (base)",
    "pr_number": "PR number",
    "pr_date": "PR date",
    "pr_amount": "PR amount",
    "description": "Description",
    "lines": "Allocations",
    "status": "Status",
    "comment": "Comment",
    "overrun": "Over budget",
}


# ---------------------------------------------------------------------------------------------- inputs


class PoLineInput(BaseModel):
    """One allocation of the PO's value: a budget line (by UID, in the FY of the PO date) and an amount in the
    PO's currency, with optional service months (first and last day of the service it pays for)."""

    model_config = ConfigDict(frozen=True)

    uid: str
    amount: Decimal
    service_start: date | None = None
    service_end: date | None = None
    description: str | None = None

    _amount = field_validator("amount", mode="before")(optional_text_amount)
    _dates = field_validator("service_start", "service_end", mode="before")(blank_none)


class PoInput(BaseModel):
    """A PO as the form (or a script) gives it: masters by name, currency by ISO code, amounts in its currency."""

    model_config = ConfigDict(frozen=True)

    po_number: str
    po_date: date
    vendor: str
    entity: str
    currency: str
    value: Decimal
    lines: list[PoLineInput]
    pr_number: str | None = None
    pr_date: date | None = None
    pr_amount: Decimal | None = None
    description: str | None = None

    _amounts = field_validator("value", "pr_amount", mode="before")(optional_text_amount)
    _dates = field_validator("pr_date", mode="before")(blank_none)


@dataclass(frozen=True)
class PoFilter:
    """What the user narrowed the PO list to; empty strings mean 'any'. Names are master names as shown."""

    status: str = ""  # a PoStatus value
    vendor: str = ""
    tower: str = ""  # POs allocating to at least one line of this tower
    fy: str = ""  # FY name (FY27): the FY of the PO date
    text: str = ""  # substring of PO number, PR number, description or vendor

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PoFilter:
        """Build from URL query parameters (unknown keys ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: str(v).strip() for k, v in params.items() if k in names and v is not None})

    def to_params(self) -> dict[str, str]:
        """Only the set fields, for the URL (so a view can be shared)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


# ---------------------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class PoRow:
    """One PO in the list and in the approvals inbox (with its version, to approve or reject from there)."""

    id: int
    po_number: str
    po_date: date | None
    fiscal_year: str
    vendor: str
    entity: str
    currency: str
    value: Decimal
    value_base: Decimal
    status: str
    created_by: str
    submitted_at: datetime | None
    version: int


@dataclass(frozen=True)
class PoPage:
    rows: list[PoRow]
    total_count: int
    page: int
    page_size: int
    sort: str

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total_count // self.page_size))


@dataclass(frozen=True)
class PoLineView:
    id: int
    budget_line_id: int
    uid: str
    line_description: str  # the budget line's
    description: str  # the allocation's own
    amount: Decimal  # in the PO's currency
    amount_base: Decimal
    service_start: date | None
    service_end: date | None
    invoiced: Decimal  # actuals booked against this PO line, in the PO's currency
    invoiced_base: Decimal

    @property
    def service_months(self) -> str:
        return service_months(self.service_start, self.service_end)


@dataclass(frozen=True)
class InvoiceView:
    id: int
    invoice_number: str
    invoice_date: date
    vendor: str
    uid: str
    currency: str
    amount: Decimal
    amount_base: Decimal
    po_line_id: int | None
    remarks: str


@dataclass(frozen=True)
class PoHistoryEntry:
    at: datetime
    actor: str
    action: str  # create | update | transition | imported ...
    changes: list[str]  # 'Label: before → after'
    status_from: str | None = None  # transitions
    status_to: str | None = None
    comment: str | None = None  # the reason or comment given with a transition


@dataclass(frozen=True)
class PoView:
    id: int
    po_number: str
    po_date: date | None
    fiscal_year: str
    vendor: str
    entity: str
    currency: str
    value: Decimal
    fx_rate: Decimal | None
    value_base: Decimal
    pr_number: str | None
    pr_date: date | None
    pr_amount: Decimal | None
    description: str | None
    status: str
    version: int
    created_at: datetime
    created_by: str
    submitted_at: datetime | None
    approved_at: datetime | None
    approved_by: str | None
    updated_at: datetime | None
    updated_by: str | None
    closed_at: datetime | None
    rejection_reason: str | None
    approval_comment: str | None
    editable: bool
    actions: tuple[str, ...]  # what the workflow allows from the status (the caller filters by permission)
    lines: list[PoLineView] = field(default_factory=list)
    invoices: list[InvoiceView] = field(default_factory=list)
    history: list[PoHistoryEntry] = field(default_factory=list)

    @property
    def invoiced_base(self) -> Decimal:
        return sum((i.amount_base for i in self.invoices), ZERO)


@dataclass(frozen=True)
class LineChoice:
    """A budget line offered by the allocation picker."""

    id: int
    uid: str
    description: str
    tower: str
    vendor: str
    currency: str


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


# ---------------------------------------------------------------------------------------------- helpers


def service_months(start: date | None, end: date | None) -> str:
    """'Apr-26 – Jun-26', one month alone, or '' when none are given."""
    if start is None and end is None:
        return ""
    first, last = (d.strftime("%b-%y") if d else "…" for d in (start, end))
    return first if first == last else f"{first} – {last}"


def _base(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(_CENT, rounding=ROUND_HALF_UP)


def _money_problem(value: Decimal | None, label: str, *, positive: bool = True) -> str | None:
    if value is None:
        return f"{label} is required"
    if not value.is_finite():
        return f"{label}: '{value}' is not an amount"
    if value != value.quantize(_CENT):
        return f"{label}: {value} has more than 2 decimals"
    if abs(value) >= Decimal(10) ** amounts.MAX_INTEGER_DIGITS:
        return f"{label}: {value} is too large"
    if positive and value <= 0:
        return f"{label} must be greater than zero ({format_indian(value)} given)"
    if value < 0:
        return f"{label} cannot be negative ({format_indian(value)} given)"
    return None


def _text(value: str | None, name: str, problems: list[str]) -> str | None:
    text = (value or "").strip()
    if len(text) > _MAX_TEXT[name]:
        problems.append(f"{LABELS.get(name, name)}: at most {_MAX_TEXT[name]} characters ({len(text)} given)")
    return text or None


def _master_id(
    session: Session, model: type[Vendor] | type[Entity], raw: str, kind: str, problems: list[str]
) -> int | None:
    wanted = clean_name(raw or "")
    if not wanted:
        problems.append(f"{kind.title()} is required")
        return None
    found = session.exec(select(model.id).where(model.name_key == name_key(wanted))).first()
    if found is None:
        problems.append(f"{kind.title()}: '{wanted}' is not a known {kind} (pick one from the list)")
    return found


def _get_po(session: Session, po_id: int, *, for_update: bool = False) -> PurchaseOrder:
    stmt = select(PurchaseOrder).where(PurchaseOrder.id == po_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    po = session.exec(stmt).first()
    if po is None:
        raise NotFound(f"PO {po_id} does not exist.")
    return po


def _lines(session: Session, po_id: int) -> list[tuple[PoLine, BudgetLine]]:
    stmt = (
        select(PoLine, BudgetLine)
        .join(BudgetLine, col(BudgetLine.id) == col(PoLine.budget_line_id))
        .where(PoLine.purchase_order_id == po_id)
        .order_by(col(PoLine.id))
    )
    return [(pl, bl) for pl, bl in session.exec(stmt)]


def _line_text(uid: str, pl: PoLine) -> str:
    text = f"{uid}: {Decimal(pl.amount).quantize(_CENT)}"
    months = service_months(pl.service_start, pl.service_end)
    if months:
        text += f" ({months})"
    if pl.description:
        text += f" {pl.description}"
    return text


def _name(session: Session, model: type[Vendor] | type[Entity], id_: int | None) -> str:
    row = session.get(model, id_) if id_ is not None else None
    return row.name if row is not None else ""


def _values(session: Session, po: PurchaseOrder, lines: Sequence[tuple[PoLine, BudgetLine]]) -> dict[str, Any]:
    """The PO's fields as the audit trail records them (masters by name, lines as 'UID: amount')."""
    return {
        "po_number": po.po_number,
        "po_date": po.po_date,
        "vendor": _name(session, Vendor, po.vendor_id),
        "entity": _name(session, Entity, po.entity_id),
        "currency": po.currency_code,
        "value": Decimal(po.total_amount).quantize(_CENT),
        "fx_rate": None if po.fx_rate is None else Decimal(po.fx_rate).quantize(Decimal("0.000001")),
        "value_base": Decimal(po.total_amount_base).quantize(_CENT),
        "pr_number": po.pr_number,
        "pr_date": po.pr_date,
        "pr_amount": None if po.pr_amount is None else Decimal(po.pr_amount).quantize(_CENT),
        "description": po.description,
        "lines": [_line_text(bl.uid, pl) for pl, bl in lines],
    }


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def describe_changes(changes: Mapping[str, Any] | None) -> list[str]:
    """An audit event's changes as 'Label: before → after' (a comment as 'Comment: text')."""
    order = {name: i for i, name in enumerate(LABELS)}
    out: list[str] = []
    for name in sorted(changes or {}, key=lambda n: (order.get(n, len(order)), n)):
        pair = (changes or {})[name]
        before, after = (pair[0], pair[-1]) if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        label = LABELS.get(name, name.replace("_", " "))
        if name in {"comment", "overrun"}:
            out.append(f"{label}: {_shown(after)}")
        else:
            out.append(f"{label}: {_shown(before)} → {_shown(after)}")
    return out


def _check_version(session: Session, po: PurchaseOrder, expected_version: int) -> None:
    locking.check_version(
        session, po, expected_version, entity=ENTITY, name=f"PO {po.po_number}", describe=describe_changes
    )


def _invoiced(session: Session, po: PurchaseOrder, po_line_ids: Sequence[int]) -> dict[int, tuple[Decimal, Decimal]]:
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


# ---------------------------------------------------------------------------------------------- create and edit


@dataclass
class _Parsed:
    fy_row: FiscalYearRow
    vendor_id: int
    entity_id: int
    currency: str
    rate: Decimal
    po_number: str
    description: str | None
    pr_number: str | None
    lines: list[tuple[PoLineInput, BudgetLine]]


def _parse(session: Session, data: PoInput, *, po_id: int | None) -> _Parsed:
    """Validate a PO: every problem in one message, nothing written."""
    problems: list[str] = []
    po_number = _text(data.po_number, "po_number", problems)
    if not po_number:
        problems.append("PO number is required")
    else:
        taken = session.exec(
            select(PurchaseOrder.id).where(PurchaseOrder.po_number == po_number, col(PurchaseOrder.id) != (po_id or 0))
        ).first()
        if taken is not None:
            problems.append(f"PO number '{po_number}' already exists (each PO number is used once)")
    vendor_id = _master_id(session, Vendor, data.vendor, "vendor", problems)
    entity_id = _master_id(session, Entity, data.entity, "entity", problems)
    currency = (data.currency or "").strip().upper()
    known = session.get(Currency, currency) if currency else None
    if known is None or not known.is_active:
        problems.append(
            f"Currency: '{data.currency}' is not a known currency code (ISO, e.g. USD)"
            if currency
            else "Currency is required"
        )
    value_problem = _money_problem(data.value, "PO value")
    if value_problem:
        problems.append(value_problem)
    if data.pr_amount is not None:
        pr_problem = _money_problem(data.pr_amount, "PR amount", positive=False)
        if pr_problem:
            problems.append(pr_problem)
    description = _text(data.description, "description", problems)
    pr_number = _text(data.pr_number, "pr_number", problems)

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
        if line.description and len(line.description.strip()) > _MAX_TEXT["description"]:
            problems.append(f"{label}: the description has at most {_MAX_TEXT['description']} characters")
        if uid in found:
            lines.append((line, found[uid]))
    if data.lines and value_problem is None and all(line.amount is not None for line in data.lines):
        allocated = sum((line.amount for line in data.lines), ZERO)
        if allocated != data.value:
            problems.append(
                f"The allocations add up to {format_indian(allocated)} but the PO value is "
                f"{format_indian(data.value)} (difference {format_indian(data.value - allocated)})"
            )
    rate = Decimal(1)
    if known is not None:
        try:
            found_rate = rate_on(session, currency, data.po_date)
        except NotFound:
            found_rate = None
        if found_rate is not None:
            rate = Decimal(found_rate)
        else:  # never 1.0: the PO would be converted at a made-up rate
            problems.append(
                f"No {currency} rate on {data.po_date.isoformat()} (the PO date): "
                "record the rate in force on that date first (FX rates)"
            )
    if problems:
        raise ServiceError("Not saved. " + "; ".join(problems) + ".")
    assert fy_row is not None and vendor_id is not None and entity_id is not None and po_number is not None
    return _Parsed(fy_row, vendor_id, entity_id, currency, rate, po_number, description, pr_number, lines)


def _apply(po: PurchaseOrder, data: PoInput, parsed: _Parsed) -> None:
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
    po.total_amount_base = sum((_base(line.amount, parsed.rate) for line, _ in parsed.lines), ZERO)


def _write_line(pl: PoLine, line: PoLineInput, bl: BudgetLine, rate: Decimal) -> None:
    pl.budget_line_id = bl.id or 0
    pl.amount = line.amount
    pl.amount_base = _base(line.amount, rate)
    pl.service_start = line.service_start
    pl.service_end = line.service_end
    pl.description = (line.description or "").strip() or None


def create_po(session: Session, principal: Principal, *, data: PoInput) -> PurchaseOrder:
    """A new draft PO with its allocations, converted at the rate on its PO date; audited as 'create'.

    Raises ServiceError naming every problem (duplicate PO number, unknown vendor, entity, currency or UID,
    allocations not adding up to the value, no FX rate on the PO date); nothing is written then."""
    require(principal, Permission.CREATE_PO)
    parsed = _parse(session, data, po_id=None)
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
    after = _values(session, po, _lines(session, po.id))
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
    po = _get_po(session, po_id, for_update=True)
    assert po.id is not None
    _check_version(session, po, expected_version)
    if not po_workflow.can_edit(po.status):
        raise ServiceError(
            f"PO {po.po_number} is {po.status}: only a draft or rejected PO can be edited"
            + (" (close or cancel it instead)" if po.status == PoStatus.APPROVED.value else "")
            + "."
        )
    current = _lines(session, po.id)
    before = _values(session, po, current)
    parsed = _parse(session, data, po_id=po.id)
    existing = {pl.budget_line_id: pl for pl, _ in current}
    wanted = {bl.id for _, bl in parsed.lines}
    removed = [(pl, bl) for pl, bl in current if pl.budget_line_id not in wanted]
    if removed:
        linked = _invoiced(session, po, [pl.id for pl, _ in removed if pl.id is not None])
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
    after = _values(session, po, _lines(session, po.id))
    diff = audit.changed_fields(before, after)
    if not diff:
        return po  # nothing changed: same version, no audit event
    locking.stamp(po, principal)
    session.add(po)
    session.flush()
    audit.record(session, principal, action="update", entity=ENTITY, entity_id=po.id, changes=diff)
    return po


# ---------------------------------------------------------------------------------------------- the workflow


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
    po = _get_po(session, po_id, for_update=True)
    assert po.id is not None
    _check_version(session, po, expected_version)
    old = po.status
    try:
        new = po_workflow.transition(old, action)
    except TransitionRefused as exc:
        raise ServiceError(f"PO {po.po_number}: {exc}") from None
    if action in {PoAction.APPROVE, PoAction.REJECT} and po.created_by == principal.actor:
        raise ServiceError(
            f"You raised PO {po.po_number}: another approver must {action.value} it (nobody approves their own PO)."
        )
    problems: list[str] = []
    text = _text(comment, "comment", problems)
    if problems:
        raise ServiceError("; ".join(problems))
    if rule.needs_comment and not text:
        raise ServiceError(
            f"Give a reason for {'rejecting' if action is PoAction.REJECT else action.value} PO {po.po_number}."
        )
    changes: dict[str, Any] = {"status": [old, new.value]}
    now = utcnow()
    if action is PoAction.APPROVE:
        warnings = _overruns(session, po)
        if warnings and not acknowledge_overrun:
            raise OverBudget(po.po_number, warnings)
        if warnings and not text:
            raise ServiceError(
                f"PO {po.po_number} takes {', '.join(w.uid for w in warnings)} over budget: "
                "say why it is approved anyway (the comment is stored)."
            )
        if warnings:
            changes["overrun"] = [None, [w.message for w in warnings]]
        po.approved_at, po.approved_by = now, principal.actor
        po.approval_comment = text
    elif action is PoAction.SUBMIT:
        po.submitted_at = now
    elif action is PoAction.REJECT:
        po.rejection_reason = text
    elif action is PoAction.CLOSE:
        po.closed_at = now
    elif action is PoAction.CANCEL and old == PoStatus.APPROVED.value:
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
    if text:
        changes["comment"] = [None, text]
    po.status = new.value
    locking.stamp(po, principal)
    session.add(po)
    session.flush()
    audit.record(session, principal, action="transition", entity=ENTITY, entity_id=po.id, changes=changes)
    return po


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
    lines = _lines(session, po.id)
    if not lines:
        return []
    invoiced = _invoiced(session, po, [pl.id for pl, _ in lines if pl.id is not None])
    rate = Decimal(po.fx_rate) if po.fx_rate is not None else Decimal(1)
    allocated: dict[int, Decimal] = defaultdict(lambda: ZERO)
    opening: dict[int, Decimal] = defaultdict(lambda: ZERO)
    uids: dict[int, str] = {}
    for pl, bl in lines:
        assert bl.id is not None
        uids[bl.id] = bl.uid
        allocated[bl.id] += Decimal(pl.amount_base)
        spent = invoiced.get(pl.id or 0, (ZERO, ZERO))[0]
        opening[bl.id] += _base(max(Decimal(pl.amount) - spent, ZERO), rate)  # as the figures model commits it
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
    po = _get_po(session, po_id)
    if po.status != PoStatus.SUBMITTED.value:
        return []
    return _overruns(session, po)


# ---------------------------------------------------------------------------------------------- reads


SORT_KEYS: dict[str, Any] = {
    "po_number": col(PurchaseOrder.po_number),
    "po_date": col(PurchaseOrder.po_date),
    "vendor": col(Vendor.name),
    "entity": col(Entity.name),
    "status": col(PurchaseOrder.status),
    "value": col(PurchaseOrder.total_amount),
    "value_base": col(PurchaseOrder.total_amount_base),
    "created_at": col(PurchaseOrder.created_at),
    "submitted_at": col(PurchaseOrder.submitted_at),
}


def _escaped(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _rows_stmt() -> Select:
    return (
        sa_select(
            col(PurchaseOrder.id),
            col(PurchaseOrder.po_number),
            col(PurchaseOrder.po_date),
            col(FiscalYearRow.name).label("fiscal_year"),
            col(Vendor.name).label("vendor"),
            col(Entity.name).label("entity"),
            col(PurchaseOrder.currency_code),
            col(PurchaseOrder.total_amount),
            col(PurchaseOrder.total_amount_base),
            col(PurchaseOrder.status),
            col(PurchaseOrder.created_by),
            col(PurchaseOrder.submitted_at),
            col(PurchaseOrder.version),
        )
        .select_from(PurchaseOrder)
        .join(FiscalYearRow, col(FiscalYearRow.id) == col(PurchaseOrder.fiscal_year_id))
        .outerjoin(Vendor, col(Vendor.id) == col(PurchaseOrder.vendor_id))
        .outerjoin(Entity, col(Entity.id) == col(PurchaseOrder.entity_id))
    )


def _row(r: Any) -> PoRow:
    return PoRow(
        id=r.id,
        po_number=r.po_number,
        po_date=r.po_date,
        fiscal_year=r.fiscal_year,
        vendor=r.vendor or "",
        entity=r.entity or "",
        currency=r.currency_code,
        value=r.total_amount,
        value_base=r.total_amount_base,
        status=r.status,
        created_by=r.created_by,
        submitted_at=r.submitted_at,
        version=r.version,
    )


def _filtered(stmt: Select, flt: PoFilter) -> Select:
    if flt.status:
        try:
            status = PoStatus(flt.status.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in PoStatus)
            raise ServiceError(f"'{flt.status}' is not a PO status (expected one of: {names})") from None
        stmt = stmt.where(col(PurchaseOrder.status) == status.value)
    if flt.vendor:
        stmt = stmt.where(
            col(PurchaseOrder.vendor_id).in_(select(Vendor.id).where(Vendor.name_key == name_key(flt.vendor)))
        )
    if flt.fy:
        try:
            fy = parse_fiscal_year(flt.fy, get_settings().fy_start_month)
        except ValueError as exc:
            raise ServiceError(str(exc)) from None
        stmt = stmt.where(col(FiscalYearRow.end_year) == fy.end_year)
    if flt.tower:
        towered = (
            select(PoLine.purchase_order_id)
            .join(BudgetLine, col(BudgetLine.id) == col(PoLine.budget_line_id))
            .where(col(BudgetLine.tower_id).in_(select(Tower.id).where(Tower.name_key == name_key(flt.tower))))
        )
        stmt = stmt.where(col(PurchaseOrder.id).in_(towered))
    if flt.text.strip():
        pattern = _escaped(flt.text.strip())
        stmt = stmt.where(
            or_(
                col(PurchaseOrder.po_number).ilike(pattern),
                col(PurchaseOrder.pr_number).ilike(pattern),
                col(PurchaseOrder.description).ilike(pattern),
                col(Vendor.name).ilike(pattern),
            )
        )
    return stmt


def list_pos(
    session: Session,
    principal: Principal,
    flt: PoFilter | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    sort: str = "-po_date",
) -> PoPage:
    """One page of the POs `flt` matches, sorted in PostgreSQL by an allow-listed key (SORT_KEYS; a leading
    '-' sorts descending). A page past the end gives the last page."""
    require(principal, Permission.VIEW_DASHBOARDS)
    flt = flt or PoFilter()
    key = sort.strip()
    descending = key.startswith("-")
    column = SORT_KEYS.get(key.lstrip("-"))
    if column is None:
        raise ServiceError(
            f"cannot sort POs by '{sort}' (expected one of: {', '.join(SORT_KEYS)}, '-' first to reverse)"
        )
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    base = _filtered(_rows_stmt(), flt)
    total = int(session.execute(sa_select(func.count()).select_from(base.subquery())).scalar_one())
    page = min(max(1, int(page)), max(1, -(-total // page_size)))
    ordered = base.order_by(
        column.desc().nulls_last() if descending else column.asc().nulls_last(),
        col(PurchaseOrder.id).desc() if descending else col(PurchaseOrder.id).asc(),
    )
    rows = [_row(r) for r in session.execute(ordered.limit(page_size).offset((page - 1) * page_size))]
    return PoPage(rows=rows, total_count=total, page=page, page_size=page_size, sort=key)


def _history(session: Session, principal: Principal, po_id: int) -> list[PoHistoryEntry]:
    out: list[PoHistoryEntry] = []
    for event in audit.history(session, principal, ENTITY, po_id):
        changes = event.changes or {}
        status = changes.get("status") if event.action == "transition" else None
        comment = changes.get("comment")
        out.append(
            PoHistoryEntry(
                at=event.at,
                actor=event.actor,
                action=event.action,
                changes=describe_changes(changes),
                status_from=status[0] if isinstance(status, list) else None,
                status_to=status[-1] if isinstance(status, list) else None,
                comment=comment[-1] if isinstance(comment, list) else comment,
            )
        )
    return out


def get_po(session: Session, principal: Principal, po_id: int) -> PoView:
    """A PO with its lines (and what is invoiced against each), its invoices and its history, oldest first."""
    require(principal, Permission.VIEW_DASHBOARDS)
    po = _get_po(session, po_id)
    assert po.id is not None
    fy_row = session.get(FiscalYearRow, po.fiscal_year_id)
    lines = _lines(session, po.id)
    invoiced = _invoiced(session, po, [pl.id for pl, _ in lines if pl.id is not None])
    line_views = [
        PoLineView(
            id=pl.id or 0,
            budget_line_id=bl.id or 0,
            uid=bl.uid,
            line_description=bl.description or "",
            description=pl.description or "",
            amount=pl.amount,
            amount_base=pl.amount_base,
            service_start=pl.service_start,
            service_end=pl.service_end,
            invoiced=invoiced.get(pl.id or 0, (ZERO, ZERO))[0].quantize(_CENT, rounding=ROUND_HALF_UP),
            invoiced_base=invoiced.get(pl.id or 0, (ZERO, ZERO))[1],
        )
        for pl, bl in lines
    ]
    line_ids = [pl.id for pl, _ in lines if pl.id is not None]
    invoice_stmt: Select = (
        sa_select(Actual, col(Vendor.name).label("vendor"), col(BudgetLine.uid).label("uid"))
        .outerjoin(Vendor, col(Vendor.id) == col(Actual.vendor_id))
        .outerjoin(BudgetLine, col(BudgetLine.id) == col(Actual.budget_line_id))
        .where(or_(col(Actual.purchase_order_id) == po.id, col(Actual.po_line_id).in_(line_ids or [0])))
        .order_by(col(Actual.invoice_date), col(Actual.id))
    )
    invoices = [
        InvoiceView(
            id=a.id or 0,
            invoice_number=a.invoice_number,
            invoice_date=a.invoice_date,
            vendor=vendor or "",
            uid=uid or a.uid_ref or "",
            currency=a.currency_code,
            amount=a.amount,
            amount_base=a.amount_base,
            po_line_id=a.po_line_id,
            remarks=a.remarks or "",
        )
        for a, vendor, uid in session.execute(invoice_stmt)
    ]
    return PoView(
        id=po.id,
        po_number=po.po_number,
        po_date=po.po_date,
        fiscal_year=fy_row.name if fy_row is not None else "",
        vendor=_name(session, Vendor, po.vendor_id),
        entity=_name(session, Entity, po.entity_id),
        currency=po.currency_code,
        value=po.total_amount,
        fx_rate=po.fx_rate,
        value_base=po.total_amount_base,
        pr_number=po.pr_number,
        pr_date=po.pr_date,
        pr_amount=po.pr_amount,
        description=po.description,
        status=po.status,
        version=po.version,
        created_at=po.created_at,
        created_by=po.created_by,
        submitted_at=po.submitted_at,
        approved_at=po.approved_at,
        approved_by=po.approved_by,
        updated_at=po.updated_at,
        updated_by=po.updated_by,
        closed_at=po.closed_at,
        rejection_reason=po.rejection_reason,
        approval_comment=po.approval_comment,
        editable=po_workflow.can_edit(po.status),
        actions=tuple(a.value for a in po_workflow.allowed_actions(po.status)),
        lines=line_views,
        invoices=invoices,
        history=_history(session, principal, po.id),
    )


def _pending(principal: Principal) -> Any:
    return and_(col(PurchaseOrder.status) == PoStatus.SUBMITTED.value, col(PurchaseOrder.created_by) != principal.actor)


def pending_approvals(session: Session, principal: Principal) -> list[PoRow]:
    """The approvals inbox: submitted POs the principal did not raise, longest waiting first."""
    require(principal, Permission.APPROVE_PO)
    stmt = (
        _rows_stmt()
        .where(_pending(principal))
        .order_by(col(PurchaseOrder.submitted_at).asc().nulls_first(), col(PurchaseOrder.id))
    )
    return [_row(r) for r in session.execute(stmt)]


def pending_count(session: Session, principal: Principal) -> int:
    """How many POs wait for this approver (the sidebar badge). Callers without APPROVE_PO are refused: check
    `principal.can(Permission.APPROVE_PO)` before asking."""
    require(principal, Permission.APPROVE_PO)
    stmt = sa_select(func.count()).select_from(PurchaseOrder).where(_pending(principal))
    return int(session.execute(stmt).scalar_one())


def search_lines(
    session: Session, principal: Principal, *, fy: str | date, text: str = "", limit: int = SEARCH_LIMIT
) -> list[LineChoice]:
    """Budget lines of one FY (its name, or any date in it such as the PO date) whose UID or description
    contains `text`, UIDs starting with it first: the allocation picker."""
    require(principal, Permission.VIEW_DASHBOARDS)
    start = get_settings().fy_start_month
    if isinstance(fy, date):
        wanted: FiscalYear = fiscal_year_of(fy, start)
    else:
        try:
            wanted = parse_fiscal_year(fy, start)
        except ValueError as exc:
            raise ServiceError(str(exc)) from None
    fy_row = session.exec(select(FiscalYearRow).where(FiscalYearRow.end_year == wanted.end_year)).first()
    if fy_row is None:
        return []
    limit = max(1, min(int(limit), 100))
    stmt: Select = (
        sa_select(
            col(BudgetLine.id),
            col(BudgetLine.uid),
            col(BudgetLine.description),
            col(Tower.name).label("tower"),
            col(Vendor.name).label("vendor"),
            col(BudgetLine.currency_code),
        )
        .select_from(BudgetLine)
        .outerjoin(Tower, col(Tower.id) == col(BudgetLine.tower_id))
        .outerjoin(Vendor, col(Vendor.id) == col(BudgetLine.vendor_id))
        .where(col(BudgetLine.fiscal_year_id) == fy_row.id)
    )
    needle = (text or "").strip()
    if needle:
        pattern = _escaped(needle)
        prefix = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(col(BudgetLine.uid).ilike(pattern), col(BudgetLine.description).ilike(pattern)))
        stmt = stmt.order_by(col(BudgetLine.uid).ilike(prefix).desc(), col(BudgetLine.uid))
    else:
        stmt = stmt.order_by(col(BudgetLine.uid))
    return [
        LineChoice(
            id=r.id,
            uid=r.uid,
            description=r.description or "",
            tower=r.tower or "",
            vendor=r.vendor or "",
            currency=r.currency_code or get_settings().base_currency,
        )
        for r in session.execute(stmt.limit(limit))
    ]
