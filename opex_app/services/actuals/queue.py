"""The Unlinked actuals queue: actuals booked to no budget line, a page at a time, and linking one to a
budget line of its FY (and, optionally, a PO line allocating to that line).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.money import format_indian
from opex_app.models import Actual, BudgetLine, FiscalYearRow, PoLine, Vendor
from opex_app.services import audit, locking
from opex_app.services.actuals.labels import ENTITY
from opex_app.services.actuals.stored import ActualSaved, audited_links, check_version, fetch_actual, fiscal_year_of
from opex_app.services.errors import NotFound, ServiceError
from opex_app.settings import get_settings

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


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
    actual = fetch_actual(session, actual_id, for_update=True)
    check_version(session, actual, expected_version)
    line = session.get(BudgetLine, budget_line_id)
    if line is None:
        raise NotFound(f"Budget line {budget_line_id} does not exist.")
    fy, line_fy = fiscal_year_of(session, actual.fiscal_year_id), fiscal_year_of(session, line.fiscal_year_id)
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
    before = audited_links(session, actual)
    actual.budget_line_id = line.id
    actual.po_line_id = po_line.id if po_line is not None else None
    actual.purchase_order_id = po_line.purchase_order_id if po_line is not None else None
    after = audited_links(session, actual)
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
