"""The reads behind the PO pages: the list, the detail, the approvals inbox and the allocation picker."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP
from typing import Any

from sqlalchemy import Select, and_, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain import po_workflow
from opex_app.domain.fiscal import FiscalYear, fiscal_year_of, parse_fiscal_year
from opex_app.domain.names import name_key
from opex_app.models import Actual, BudgetLine, Entity, FiscalYearRow, PoLine, PoStatus, PurchaseOrder, Tower, Vendor
from opex_app.models._types import ZERO
from opex_app.services import audit
from opex_app.services.errors import ServiceError
from opex_app.services.purchase_orders.inputs import PoFilter
from opex_app.services.purchase_orders.stored import CENT, ENTITY, invoiced_by_line, load_po, master_name, po_lines
from opex_app.services.purchase_orders.views import (
    InvoiceView,
    LineChoice,
    PoHistoryEntry,
    PoLineView,
    PoPage,
    PoRow,
    PoView,
)
from opex_app.services.purchase_orders.wording import describe_changes
from opex_app.settings import get_settings

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
SEARCH_LIMIT = 20


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


def _line_views(session: Session, po: PurchaseOrder, lines: list[tuple[PoLine, BudgetLine]]) -> list[PoLineView]:
    """The PO's lines with what is invoiced against each (in the PO's currency and in base)."""
    invoiced = invoiced_by_line(session, po, [pl.id for pl, _ in lines if pl.id is not None])
    return [
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
            invoiced=invoiced.get(pl.id or 0, (ZERO, ZERO))[0].quantize(CENT, rounding=ROUND_HALF_UP),
            invoiced_base=invoiced.get(pl.id or 0, (ZERO, ZERO))[1],
        )
        for pl, bl in lines
    ]


def _invoices(session: Session, po: PurchaseOrder, line_ids: list[int]) -> list[InvoiceView]:
    """The invoices booked against the PO or one of its lines, oldest first."""
    invoice_stmt: Select = (
        sa_select(Actual, col(Vendor.name).label("vendor"), col(BudgetLine.uid).label("uid"))
        .outerjoin(Vendor, col(Vendor.id) == col(Actual.vendor_id))
        .outerjoin(BudgetLine, col(BudgetLine.id) == col(Actual.budget_line_id))
        .where(or_(col(Actual.purchase_order_id) == po.id, col(Actual.po_line_id).in_(line_ids or [0])))
        .order_by(col(Actual.invoice_date), col(Actual.id))
    )
    return [
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


def get_po(session: Session, principal: Principal, po_id: int) -> PoView:
    """A PO with its lines (and what is invoiced against each), its invoices and its history, oldest first."""
    require(principal, Permission.VIEW_DASHBOARDS)
    po = load_po(session, po_id)
    assert po.id is not None
    fy_row = session.get(FiscalYearRow, po.fiscal_year_id)
    lines = po_lines(session, po.id)
    line_views = _line_views(session, po, lines)
    invoices = _invoices(session, po, [pl.id for pl, _ in lines if pl.id is not None])
    return PoView(
        id=po.id,
        po_number=po.po_number,
        po_date=po.po_date,
        fiscal_year=fy_row.name if fy_row is not None else "",
        vendor=master_name(session, Vendor, po.vendor_id),
        entity=master_name(session, Entity, po.entity_id),
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
