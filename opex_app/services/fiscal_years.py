"""Fiscal years: a write that names an FY not yet stored creates it from the fiscal calendar."""

from __future__ import annotations

from sqlmodel import Session, col, select

from opex_app.domain.fiscal import FiscalYear
from opex_app.models import FiscalYearRow
from opex_app.settings import get_settings


def ensure_fiscal_year(session: Session, fy: FiscalYear) -> FiscalYearRow:
    row = session.exec(select(FiscalYearRow).where(FiscalYearRow.end_year == fy.end_year)).first()
    if row is not None:
        return row
    row = FiscalYearRow(
        name=fy.name,
        end_year=fy.end_year,
        start_month=fy.start_month,
        start_date=fy.start_date,
        end_date=fy.end_date,
    )
    session.add(row)
    session.flush()
    return row


def to_fiscal_year(row: FiscalYearRow) -> FiscalYear:
    return FiscalYear(row.end_year, row.start_month)


def list_fiscal_years(session: Session, *, include_inactive: bool = False) -> list[FiscalYearRow]:
    """Fiscal years, newest first; the pickers leave out those an admin deactivated."""
    stmt = select(FiscalYearRow).order_by(col(FiscalYearRow.end_year).desc())
    if not include_inactive:
        stmt = stmt.where(col(FiscalYearRow.is_active))
    return list(session.exec(stmt))


def current_fiscal_year() -> FiscalYear:
    from opex_app.domain.fiscal import fiscal_year_of
    from opex_app.models._types import utcnow

    return fiscal_year_of(utcnow().date(), get_settings().fy_start_month)
