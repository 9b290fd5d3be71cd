"""Fiscal years and master data: towers, budget heads, cost centres, vendors, entities, currencies."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import text
from sqlmodel import Field, SQLModel

from opex_app.models._types import created_at_field


class FiscalYearRow(SQLModel, table=True):
    __tablename__ = "fiscal_year"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=8, unique=True)  # FY27
    end_year: int = Field(unique=True)
    start_month: int
    start_date: date
    end_date: date
    is_closed: bool = Field(default=False)
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})  # offered in FY pickers


class MasterBase(SQLModel):
    """Shared shape of the named master tables; `name_key` is the normalised, unique name."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, unique=True)
    code: str | None = Field(default=None, max_length=50)
    is_active: bool = Field(default=True)
    created_at: datetime = created_at_field()
    # set on a duplicate merged into another master of its kind: names resolve to the survivor
    merged_into_id: int | None = Field(default=None)


class Tower(MasterBase, table=True):
    __tablename__ = "tower"


class BudgetHead(MasterBase, table=True):
    __tablename__ = "budget_head"


class CostCentre(MasterBase, table=True):
    __tablename__ = "cost_centre"


class Vendor(MasterBase, table=True):
    __tablename__ = "vendor"


class Entity(MasterBase, table=True):
    __tablename__ = "entity"


class Currency(SQLModel, table=True):
    __tablename__ = "currency"

    code: str = Field(primary_key=True, max_length=3)
    name: str = Field(max_length=100)
    minor_units: int = Field(default=2)
    is_active: bool = Field(default=True)


MASTER_MODELS: dict[str, type[MasterBase]] = {
    "tower": Tower,
    "budget_head": BudgetHead,
    "cost_centre": CostCentre,
    "vendor": Vendor,
    "entity": Entity,
}
