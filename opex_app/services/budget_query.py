"""The budget-line filter shared by the grid, its totals row and the export of the current view."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Select, or_
from sqlmodel import col, select

from opex_app.models import BudgetHead, BudgetLine, CostCentre, FiscalYearRow, Tower, Vendor

SORTABLE = {"uid", "description", "tower", "budget_head", "cost_centre", "vendor", "total"}


@dataclass(frozen=True)
class BudgetFilter:
    """What the user narrowed the grid to. Empty strings mean 'any'. Names are master names as shown."""

    fy: str = ""  # FY name, e.g. FY27 ('' = the latest FY that has lines)
    tower: str = ""
    budget_head: str = ""
    cost_centre: str = ""
    vendor: str = ""
    search: str = ""  # case-insensitive substring of UID or description

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> BudgetFilter:
        """Build from URL query parameters (unknown keys ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: str(v).strip() for k, v in params.items() if k in names and v is not None})

    def to_params(self) -> dict[str, str]:
        """Only the set fields, for the URL (so a view can be shared)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def apply_filter(stmt: Select, flt: BudgetFilter, fiscal_year_id: int) -> Select:
    """Add the filter's conditions to a select over BudgetLine (joins the masters it filters on)."""
    stmt = stmt.where(col(BudgetLine.fiscal_year_id) == fiscal_year_id)
    for value, model, fk in (
        (flt.tower, Tower, BudgetLine.tower_id),
        (flt.budget_head, BudgetHead, BudgetLine.budget_head_id),
        (flt.cost_centre, CostCentre, BudgetLine.cost_centre_id),
        (flt.vendor, Vendor, BudgetLine.vendor_id),
    ):
        if value:
            ids = select(model.id).where(model.name_key == value.strip().casefold())
            stmt = stmt.where(col(fk).in_(ids))
    if flt.search:
        escaped = flt.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        stmt = stmt.where(or_(col(BudgetLine.uid).ilike(pattern), col(BudgetLine.description).ilike(pattern)))
    return stmt


def fiscal_year_row(session: Any, flt: BudgetFilter) -> FiscalYearRow | None:
    """The FY the filter names, or the latest active FY that has lines when it names none (an FY an admin
    deactivated is shown only when asked for by name)."""
    if flt.fy:
        return session.exec(select(FiscalYearRow).where(FiscalYearRow.name == flt.fy.upper())).first()
    latest = (
        select(FiscalYearRow)
        .where(col(FiscalYearRow.is_active), col(FiscalYearRow.id).in_(select(BudgetLine.fiscal_year_id).distinct()))
        .order_by(col(FiscalYearRow.end_year).desc())
    )
    return session.exec(latest).first()
