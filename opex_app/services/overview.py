"""Budget vs committed vs actual vs available for one FY, by tower (the Overview page), from the figures model."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.models import FiscalYearRow
from opex_app.services import figures


@dataclass(frozen=True)
class TowerFigures:
    """One tower's totals in base currency, as the figures model groups them."""

    tower: str
    lines: int
    budget: Decimal  # in base currency, of the lines that have a budget rate
    committed: Decimal
    actual: Decimal
    available: Decimal
    lines_without_budget_rate: int  # their budget is left out of `budget` (and `available`)


def figures_by_tower(session: Session, principal: Principal, end_year: int) -> list[TowerFigures]:
    """The towers of the FY ending in `end_year`, largest budget first ([] when there is no such FY)."""
    require(principal, Permission.VIEW_DASHBOARDS)
    fy_id = session.exec(select(FiscalYearRow.id).where(FiscalYearRow.end_year == end_year)).first()
    if fy_id is None:
        return []
    return [
        TowerFigures(
            tower=g.name,
            lines=g.lines,
            budget=g.budget_base,
            committed=g.committed,
            actual=g.actual,
            available=g.available,
            lines_without_budget_rate=g.lines_without_budget_rate,
        )
        for g in figures.figures_by(session, principal, fiscal_year_id=fy_id, by="tower")
    ]
