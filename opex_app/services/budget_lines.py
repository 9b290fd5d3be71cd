"""Budget lines: the grid (one page, sorted and totalled in SQL), a line's detail, the monthly editor, notes.

Budget (in base currency), committed, actual and available come from the figures model
(services/figures.py), for the grid's page of rows and for the detail's months alike.

Every function takes (session, principal, ...) and checks the permission first. Reads need
VIEW_DASHBOARDS; `update_line` and `add_note` need EDIT_BUDGET and write their audit event in the
caller's transaction.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain import audit_diff
from opex_app.domain.audit_diff import FieldChange
from opex_app.domain.budget_fields import DATE_FIELDS, LABELS, MONTH_FIELDS
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest import amounts
from opex_app.domain.money import NumberFormat
from opex_app.domain.names import clean_name
from opex_app.models import (
    MASTER_MODELS,
    BudgetHead,
    BudgetLine,
    BudgetNote,
    CostCentre,
    Currency,
    FiscalYearRow,
    MasterBase,
    Tower,
    Vendor,
)
from opex_app.models._types import ZERO
from opex_app.services import audit, figures, locking, masters
from opex_app.services.budget_query import SORTABLE, BudgetFilter, apply_filter, fiscal_year_row
from opex_app.services.errors import NotFound, ServiceError
from opex_app.services.figures import LineTotals, MonthFigures
from opex_app.settings import get_settings

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
SORT_KEYS: frozenset[str] = frozenset(SORTABLE | set(MONTH_FIELDS))

GRID_MASTERS = ("tower", "budget_head", "cost_centre", "vendor")
EDITABLE_TEXT = ("description", "parent_uid", "remarks")  # free-text fields the editor changes
# What the editor may change, in the order a form shows it.
EDITABLE_FIELDS: tuple[str, ...] = (
    "description",
    "parent_uid",
    *MASTER_MODELS,
    "currency_code",
    *DATE_FIELDS,
    "remarks",
    *MONTH_FIELDS,
)
# How fields are named to people: as the export's headers name them (one name per idea).
ATTRIBUTE_LABELS: dict[str, str] = {**LABELS, "currency_code": LABELS["currency"], "total": "Total"}
_CENT = Decimal("0.01")
_MAX_TEXT = {"parent_uid": 100, "description": 4000, "remarks": 4000}
NOTE_MAX_CHARS = 4000


# ---------------------------------------------------------------------------------------------- the grid


@dataclass(frozen=True)
class GridRow:
    id: int
    uid: str
    description: str
    tower: str
    budget_head: str
    cost_centre: str
    vendor: str
    months: tuple[Decimal, ...]  # the budget as entered, in the line's currency
    total: Decimal
    figures: LineTotals  # budget (base), committed, actual, available: from the figures model


@dataclass(frozen=True)
class LinePage:
    """One page of the grid, the totals of everything the filter matches, and the FY it is in."""

    fiscal_year: str  # '' when there is no FY (no lines at all, or an unknown FY name)
    month_labels: list[str]
    rows: list[GridRow]
    total_count: int
    month_totals: tuple[Decimal, ...]
    total: Decimal
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total_count // self.page_size))


def _total_expr() -> ColumnElement[Decimal]:
    months: list[Any] = [col(getattr(BudgetLine, m)) for m in MONTH_FIELDS]
    return functools.reduce(operator.add, months)


def list_lines(
    session: Session,
    principal: Principal,
    flt: BudgetFilter,
    *,
    sort: str = "uid",
    descending: bool = False,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> LinePage:
    """One page of the lines `flt` matches, sorted by `sort` (a column key, a month m01..m12 or 'total').

    Sorting, paging and the totals row run in PostgreSQL; only the page's rows come back, each with its
    figures (budget in base currency, committed, actual, available) from the figures model.
    A page past the end gives the last page.
    """
    require(principal, Permission.VIEW_DASHBOARDS)
    if sort not in SORT_KEYS:
        raise ServiceError(f"cannot sort by '{sort}' (expected one of: {', '.join(sorted(SORT_KEYS))})")
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    fy_row = fiscal_year_row(session, flt)
    if fy_row is None or fy_row.id is None:
        return LinePage("", [], [], 0, tuple(ZERO for _ in MONTH_FIELDS), ZERO, 1, page_size)
    labels = FiscalYear(fy_row.end_year, fy_row.start_month).month_labels()
    months = [col(getattr(BudgetLine, m)) for m in MONTH_FIELDS]
    total = _total_expr()

    sums = sa_select(func.count(), *[func.coalesce(func.sum(m), 0) for m in months]).select_from(BudgetLine)
    count, *month_totals = session.execute(apply_filter(sums, flt, fy_row.id)).one()
    month_totals = [Decimal(v).quantize(_CENT) for v in month_totals]

    page_count = max(1, -(-int(count) // page_size))
    page = min(max(1, int(page)), page_count)
    names = {kind: col(MASTER_MODELS[kind].name) for kind in GRID_MASTERS}
    sort_columns: dict[str, Any] = {
        "uid": col(BudgetLine.uid),
        "description": col(BudgetLine.description),
        "total": total,
        **names,
        **dict(zip(MONTH_FIELDS, months, strict=True)),
    }
    key = sort_columns[sort]
    stmt: Select = (
        sa_select(
            col(BudgetLine.id),
            col(BudgetLine.uid),
            col(BudgetLine.description),
            *[name.label(kind) for kind, name in names.items()],
            *months,
            total.label("total"),
        )
        .select_from(BudgetLine)
        .outerjoin(Tower, col(Tower.id) == col(BudgetLine.tower_id))
        .outerjoin(BudgetHead, col(BudgetHead.id) == col(BudgetLine.budget_head_id))
        .outerjoin(CostCentre, col(CostCentre.id) == col(BudgetLine.cost_centre_id))
        .outerjoin(Vendor, col(Vendor.id) == col(BudgetLine.vendor_id))
    )
    stmt = apply_filter(stmt, flt, fy_row.id)
    stmt = stmt.order_by(
        key.desc().nulls_last() if descending else key.asc().nulls_last(),
        col(BudgetLine.uid).desc() if descending else col(BudgetLine.uid).asc(),
        col(BudgetLine.id),
    )
    stmt = stmt.limit(page_size).offset((page - 1) * page_size)
    found = session.execute(stmt).all()
    line_figures = figures.line_totals(session, line_ids=[r.id for r in found])
    rows = [
        GridRow(
            id=r.id,
            uid=r.uid,
            description=r.description or "",
            tower=r.tower or "",
            budget_head=r.budget_head or "",
            cost_centre=r.cost_centre or "",
            vendor=r.vendor or "",
            months=tuple(getattr(r, m) for m in MONTH_FIELDS),
            total=r.total,
            figures=line_figures[r.id],
        )
        for r in found
    ]
    return LinePage(
        fiscal_year=fy_row.name,
        month_labels=labels,
        rows=rows,
        total_count=int(count),
        month_totals=tuple(month_totals),
        total=sum(month_totals, ZERO),
        page=page,
        page_size=page_size,
    )


# ---------------------------------------------------------------------------------------------- the detail


@dataclass(frozen=True)
class NoteView:
    id: int
    author: str
    at: datetime
    body: str


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    changes: list[FieldChange]


@dataclass(frozen=True)
class LineDetail:
    id: int
    uid: str
    fiscal_year: str
    fy_start: date  # the day the budget rate is taken on
    month_labels: list[str]
    values: dict[str, Any]  # the editable fields (EDITABLE_FIELDS): names, dates, text and Decimal months
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime | None
    updated_by: str | None
    base_currency: str
    months: tuple[MonthFigures, ...]  # fiscal months 1..12 from the figures model
    totals: LineTotals  # their sums, with the line's currency and budget rate
    notes: list[NoteView] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.totals.currency

    @property
    def budget_rate(self) -> Decimal | None:
        return self.totals.budget_rate

    @property
    def shows_base(self) -> bool:
        """The budget as entered is not in the base currency: show it converted as well."""
        return self.currency != self.base_currency


def _fiscal_year(session: Session, line: BudgetLine) -> FiscalYearRow:
    row = session.get(FiscalYearRow, line.fiscal_year_id)
    assert row is not None  # a foreign key
    return row


def _master_name(session: Session, model: type[MasterBase], id_: int | None) -> str | None:
    if id_ is None:
        return None
    row = session.get(model, id_)
    return row.name if row is not None else None


def _values(session: Session, line: BudgetLine) -> dict[str, Any]:
    """The line's editable fields as the editor and the audit trail name them (masters by name)."""
    values: dict[str, Any] = {
        "description": line.description,
        "parent_uid": line.parent_uid,
        "currency_code": line.currency_code,
        "service_start": line.service_start,
        "service_end": line.service_end,
        "remarks": line.remarks,
    }
    for kind, model in MASTER_MODELS.items():
        values[kind] = _master_name(session, model, getattr(line, f"{kind}_id"))
    for m in MONTH_FIELDS:
        values[m] = Decimal(getattr(line, m) or ZERO).quantize(_CENT)
    return {k: values[k] for k in EDITABLE_FIELDS}


def field_label(name: str, labels: list[str]) -> str:
    """'m01' -> 'Apr-26' (the FY's month label); other fields by their label."""
    return audit_diff.field_label(name, ATTRIBUTE_LABELS, labels)


def describe_changes(
    changes: Mapping[str, Any] | None, labels: list[str], number_format: NumberFormat = "indian"
) -> list[FieldChange]:
    """An audit event's {field: [before, after]} on a line as labelled, readable changes (months in FY order)."""
    return audit_diff.describe(changes, ATTRIBUTE_LABELS, labels, number_format, order=("uid", *EDITABLE_FIELDS))


def _get_line(session: Session, line_id: int, *, for_update: bool = False) -> BudgetLine:
    stmt = select(BudgetLine).where(BudgetLine.id == line_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    line = session.exec(stmt).first()
    if line is None:
        raise NotFound(f"Budget line {line_id} does not exist.")
    return line


def get_line_detail(session: Session, principal: Principal, line_id: int) -> LineDetail:
    """A line's attributes, its figures by month (the figures model), notes (newest first) and audit history."""
    require(principal, Permission.VIEW_DASHBOARDS)
    line = _get_line(session, line_id)
    assert line.id is not None
    fy_row = _fiscal_year(session, line)
    labels = FiscalYear(fy_row.end_year, fy_row.start_month).month_labels()
    months = figures.month_figures(session, line_ids=[line.id])[line.id]
    totals = figures.line_totals(session, line_ids=[line.id])[line.id]
    notes = session.exec(
        select(BudgetNote)
        .where(BudgetNote.budget_line_id == line.id)
        .order_by(col(BudgetNote.created_at).desc(), col(BudgetNote.id).desc())
    )
    history = [
        HistoryEntry(e.at, e.actor, e.action, describe_changes(e.changes, labels))
        for e in audit.history(session, principal, "budget_line", line.id)
    ]
    created = audit.import_that_created(session, principal, fiscal_year_id=fy_row.id or 0, uid=line.uid)
    if created is not None:
        event, file_name, sha256 = created
        history.insert(
            0,
            HistoryEntry(
                event.at,
                event.actor,
                "import",
                [FieldChange("created from", "", f"{file_name} (sha256 {sha256[:12]}…)")],
            ),
        )
    return LineDetail(
        id=line.id,
        uid=line.uid,
        fiscal_year=fy_row.name,
        fy_start=fy_row.start_date,
        month_labels=labels,
        values=_values(session, line),
        version=line.version,
        created_at=line.created_at,
        created_by=line.created_by,
        updated_at=line.updated_at,
        updated_by=line.updated_by,
        base_currency=get_settings().base_currency,
        months=tuple(months),
        totals=totals,
        notes=[NoteView(n.id or 0, n.author, n.created_at, n.body) for n in notes],
        history=history,
    )


# ---------------------------------------------------------------------------------------------- editing


def parse_amount(value: Any, label: str) -> Decimal:
    """An amount typed by a person, read by the import's rules ('1,23,456.78', '(500)', '₹ 1,000'; empty or
    '-' is zero). Raises ServiceError naming `label`."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        value = str(value)
    try:
        return amounts.parse_amount("" if value is None else str(value))
    except amounts.AmountError as exc:
        if exc.problem == amounts.TOO_LARGE:
            raise ServiceError(
                f"{label}: '{value}' is too large (at most {amounts.MAX_INTEGER_DIGITS} digits before the point)"
            ) from None
        raise ServiceError(f"{label}: '{value}' is not an amount (e.g. 1,23,456.78)") from None


def _parse_date(value: Any, label: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ServiceError(f"{label}: '{text}' is not a date (YYYY-MM-DD)") from None


def _parse_changes(
    session: Session, changes: Mapping[str, Any], labels: list[str], current: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, int | None]]:
    """Validate `changes`: ({field: new value as audited}, {fk column: new id}). All problems in one message."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ServiceError(f"these fields cannot be edited: {', '.join(unknown)}")
    parsed: dict[str, Any] = {}
    ids: dict[str, int | None] = {}
    problems: list[str] = []
    for name, raw in changes.items():
        label = field_label(name, labels)
        try:
            if name in MONTH_FIELDS:
                parsed[name] = parse_amount(raw, label)
            elif name in DATE_FIELDS:
                parsed[name] = _parse_date(raw, label)
            elif name in EDITABLE_TEXT:
                text = "" if raw is None else str(raw).strip()
                if len(text) > _MAX_TEXT[name]:
                    raise ServiceError(f"{label}: at most {_MAX_TEXT[name]} characters")
                parsed[name] = text or None
            elif name in MASTER_MODELS:
                wanted = clean_name("" if raw is None else str(raw))
                if not wanted:
                    parsed[name], ids[f"{name}_id"] = None, None
                    continue
                found = masters.resolve(session, name, wanted)
                if found is None:
                    raise ServiceError(f"{label}: '{wanted}' is not a known {label.lower()} (pick one from the list)")
                ids[f"{name}_id"], parsed[name] = found
            elif name == "currency_code":
                code = ("" if raw is None else str(raw)).strip().upper()
                if code and session.get(Currency, code) is None:
                    raise ServiceError(f"{label}: '{code}' is not a known currency code")
                parsed[name] = code or None
        except ServiceError as exc:
            problems.append(str(exc))
    start = parsed.get("service_start", current.get("service_start"))
    end = parsed.get("service_end", current.get("service_end"))
    if not problems and start and end and end < start:
        problems.append(f"Service end ({end.isoformat()}) is before service start ({start.isoformat()})")
    if problems:
        raise ServiceError("Not saved. " + "; ".join(problems))
    return parsed, ids


def update_line(
    session: Session,
    principal: Principal,
    line_id: int,
    *,
    expected_version: int,
    changes: Mapping[str, Any],
) -> BudgetLine:
    """Change a line's months and attributes (optimistic locking on `version`).

    `changes` maps EDITABLE_FIELDS to new values: months as Decimal or text like '1,23,456.78',
    masters by name (they must exist), currency by code, dates as date or 'YYYY-MM-DD', '' clears.
    Raises Conflict when the line is no longer at `expected_version` (the message names the other
    change) and ServiceError when a value is refused; in both cases nothing is written.
    On a real change: version + 1, updated_at/by, and one audit event {field: [before, after]}.
    """
    require(principal, Permission.EDIT_BUDGET)
    line = _get_line(session, line_id, for_update=True)
    fy_row = _fiscal_year(session, line)
    labels = FiscalYear(fy_row.end_year, fy_row.start_month).month_labels()
    locking.check_version(
        session,
        line,
        expected_version,
        entity="budget_line",
        name=line.uid,
        describe=lambda changes: [f"{c.label}: {c.before} → {c.after}" for c in describe_changes(changes, labels)],
    )
    before = _values(session, line)
    parsed, ids = _parse_changes(session, changes, labels, before)
    after = {**before, **parsed}
    diff = audit.changed_fields(before, after)
    if not diff:
        return line
    for name in diff:
        if name in MASTER_MODELS:
            setattr(line, f"{name}_id", ids[f"{name}_id"])
        else:
            setattr(line, name, after[name])
    locking.stamp(line, principal)
    session.add(line)
    session.flush()
    audit.record(session, principal, action="update", entity="budget_line", entity_id=line.id, changes=diff)
    return line


def add_note(session: Session, principal: Principal, line_id: int, *, body: str) -> BudgetNote:
    """Add a note to a line (audited as a new budget_note)."""
    require(principal, Permission.EDIT_BUDGET)
    line = _get_line(session, line_id)
    assert line.id is not None
    text = (body or "").strip()
    if not text:
        raise ServiceError("Write the note first.")
    if len(text) > NOTE_MAX_CHARS:
        raise ServiceError(f"A note has at most {NOTE_MAX_CHARS} characters ({len(text)} given).")
    note = BudgetNote(budget_line_id=line.id, body=text, author=principal.actor)
    session.add(note)
    session.flush()
    audit.record(
        session,
        principal,
        action="create",
        entity="budget_note",
        entity_id=note.id,
        changes={"budget_line_id": [None, line.id], "uid": [None, line.uid], "body": [None, text]},
    )
    return note
