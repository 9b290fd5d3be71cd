"""The audit log as people read it: filtered, paged, each change a labelled before/after, and exported.

Filters come from the page's URL, so they are parsed here (AuditQuery.from_params) and what cannot be read
is reported back rather than dropped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain import audit_diff
from opex_app.domain.audit_diff import FieldChange
from opex_app.domain.budget_fields import MONTH_FIELDS
from opex_app.domain.export.audit_workbook import write_audit_workbook
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.money import NumberFormat
from opex_app.models import AuditEvent, BudgetLine, FiscalYearRow
from opex_app.services import downloads, filtered_log
from opex_app.services.actuals.labels import LABELS as ACTUAL_LABELS
from opex_app.services.budget_lines import ATTRIBUTE_LABELS, EDITABLE_FIELDS
from opex_app.services.filtered_log import EXPORT_MAX_ROWS, PAGE_SIZE, LogPage, UrlQuery
from opex_app.services.purchase_orders.wording import LABELS as PO_LABELS

# How each entity's fields are named, and in what order they are listed.
_LABELS: dict[str, tuple[Mapping[str, str], Sequence[str]]] = {
    "budget_line": (ATTRIBUTE_LABELS, ("uid", *EDITABLE_FIELDS)),
    "actual": (ACTUAL_LABELS, tuple(ACTUAL_LABELS)),
    "purchase_order": (PO_LABELS, tuple(PO_LABELS)),
}


@dataclass(frozen=True)
class AuditQuery(UrlQuery):
    """What the log is filtered on. `ref` is an entity id, or a budget line's UID (any FY)."""

    actor: str = ""
    entity: str = ""
    ref: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> tuple[AuditQuery, list[str]]:
        """The query the URL names, and a sentence for each parameter that could not be read."""
        date_from, date_to, problems = filtered_log.read_dates(params)
        text = {key: str(params.get(key) or "").strip()[:100] for key in ("actor", "entity", "ref", "action")}
        return cls(text["actor"], text["entity"], text["ref"], text["action"], date_from, date_to), problems


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    changes: list[FieldChange] = field(default_factory=list)


_NEWEST_FIRST = (col(AuditEvent.id).desc(),)


def _ref_clause(session: Session, ref: str) -> Any:
    """Events of the row whose id is `ref`, or of the budget lines (any FY) whose UID it is."""
    ids = [str(i) for i in session.exec(select(BudgetLine.id).where(BudgetLine.uid == ref))]
    same_id = col(AuditEvent.entity_id) == ref
    if not ids:
        return same_id
    return or_(same_id, and_(col(AuditEvent.entity) == "budget_line", col(AuditEvent.entity_id).in_(ids)))


def _filtered(session: Session, query: AuditQuery) -> Any:
    stmt = select(AuditEvent)
    if query.actor:
        stmt = stmt.where(func.lower(AuditEvent.actor).contains(query.actor.lower(), autoescape=True))
    if query.entity:
        stmt = stmt.where(AuditEvent.entity == query.entity)
    if query.action:
        stmt = stmt.where(AuditEvent.action == query.action)
    if query.ref:
        stmt = stmt.where(_ref_clause(session, query.ref))
    return filtered_log.within_dates(stmt, AuditEvent.at, query.date_from, query.date_to)


def _month_labels(session: Session, events: Sequence[AuditEvent]) -> dict[str, list[str]]:
    """Month labels of the FY of each budget line the events touch, by line id (as the trail spells it)."""
    ids = {int(e.entity_id or "") for e in events if e.entity == "budget_line" and (e.entity_id or "").isdigit()}
    if not ids:
        return {}
    stmt = (
        select(BudgetLine.id, FiscalYearRow.end_year, FiscalYearRow.start_month)
        .join(FiscalYearRow, col(FiscalYearRow.id) == BudgetLine.fiscal_year_id)
        .where(col(BudgetLine.id).in_(ids))
    )
    return {str(i): FiscalYear(end, start).month_labels() for i, end, start in session.exec(stmt)}


def _rows(session: Session, events: Sequence[AuditEvent], number_format: NumberFormat) -> list[AuditRow]:
    months = _month_labels(session, events)
    rows = []
    for e in events:
        labels, order = _LABELS.get(e.entity, ({}, ()))
        month_labels = months.get(e.entity_id or "", []) if e.entity == "budget_line" else []
        changes = audit_diff.describe(e.changes, labels, month_labels, number_format, order)
        rows.append(AuditRow(e.id or 0, e.at, e.actor, e.action, e.entity, e.entity_id or "", changes))
    return rows


def search(
    session: Session,
    *,
    principal: Principal,
    query: AuditQuery,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    number_format: NumberFormat = "indian",
) -> LogPage[AuditRow]:
    """One page of the events matching `query`, newest first; `page` past the end gives the last page."""
    require(principal, Permission.VIEW_AUDIT)
    stmt = _filtered(session, query)
    shown = lambda events: _rows(session, events, number_format)  # noqa: E731
    return filtered_log.one_page(session, stmt, newest_first=_NEWEST_FIRST, page=page, page_size=page_size, shown=shown)


def export_rows(
    session: Session, *, principal: Principal, query: AuditQuery, number_format: NumberFormat = "indian"
) -> list[AuditRow]:
    """Every event matching `query`, newest first, for the Excel export (at most EXPORT_MAX_ROWS)."""
    require(principal, Permission.VIEW_AUDIT)
    stmt = _filtered(session, query).order_by(*_NEWEST_FIRST).limit(EXPORT_MAX_ROWS)
    return _rows(session, list(session.exec(stmt)), number_format)


def export_download(
    session: Session, *, principal: Principal, query: AuditQuery, number_format: NumberFormat = "indian"
) -> tuple[int, downloads.Ticket]:
    """The events matching `query` as a workbook in a one-time download ticket for this user; (events, ticket)."""
    rows = export_rows(session, principal=principal, query=query, number_format=number_format)
    events = ((r.at, r.actor, r.action, r.entity, r.entity_id, r.changes) for r in rows)
    with downloads.issue("audit-trail.xlsx", user_id=principal.user_id) as ticket:
        write_audit_workbook(ticket.path, events, title=filtered_log.export_title("Audit trail", query, len(rows)))
    return len(rows), ticket


@dataclass(frozen=True)
class CellChange:
    at: datetime
    actor: str
    action: str  # update (by hand or by an import)
    before: str
    after: str


def cell_history(
    session: Session,
    *,
    principal: Principal,
    line_id: int,
    month: int,
    number_format: NumberFormat = "indian",
) -> list[CellChange]:
    """Every recorded change of one monthly amount of a line (fiscal `month` 1..12), newest first.

    Anyone who may read the line may read its history (as on the line's page)."""
    require(principal, Permission.VIEW_DASHBOARDS)
    if not 1 <= month <= 12:
        raise ValueError(f"fiscal month must be 1..12, got {month}")
    name = MONTH_FIELDS[month - 1]
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity == "budget_line", AuditEvent.entity_id == str(line_id))
        .where(col(AuditEvent.changes).op("?")(name))  # jsonb: the event changed this month
        .order_by(col(AuditEvent.id).desc())
    )
    out = []
    for e in session.exec(stmt):
        before, after = (e.changes or {})[name]
        shown = (audit_diff.shown(name, v, number_format) for v in (before, after))
        out.append(CellChange(e.at, e.actor, e.action, *shown))
    return out
