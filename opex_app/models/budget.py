"""Budget lines with their twelve monthly amounts, and notes on lines.

The twelve fiscal-month amounts are twelve NUMERIC(18,2) columns (m01 = first fiscal month)
on the line rather than one row per month: a 100,000-line import then writes 100,000 rows,
not 1.2 million, and the grid reads months as columns without a pivot
(tests/benchmarks/bench_month_layout.py measures both shapes).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from opex_app.domain.budget_fields import MONTH_FIELDS
from opex_app.models._types import ZERO, created_at_field, money_field, timestamp_field


class BudgetLine(SQLModel, table=True):
    __tablename__ = "budget_line"
    # References are checked per statement by a trigger (migration 0002), not by row-level foreign
    # keys, so bulk imports stay fast; fiscal years, masters and currencies are never deleted.
    __table_args__ = (UniqueConstraint("fiscal_year_id", "uid", name="uq_budget_line_fy_uid"),)

    id: int | None = Field(default=None, primary_key=True)
    fiscal_year_id: int
    uid: str = Field(max_length=100)
    parent_uid: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, sa_column=Column(Text))
    tower_id: int | None = Field(default=None)
    budget_head_id: int | None = Field(default=None)
    cost_centre_id: int | None = Field(default=None)
    vendor_id: int | None = Field(default=None)
    entity_id: int | None = Field(default=None)
    currency_code: str | None = Field(default=None, max_length=3)
    service_start: date | None = None
    service_end: date | None = None
    remarks: str | None = Field(default=None, sa_column=Column(Text))
    m01: Decimal = money_field()
    m02: Decimal = money_field()
    m03: Decimal = money_field()
    m04: Decimal = money_field()
    m05: Decimal = money_field()
    m06: Decimal = money_field()
    m07: Decimal = money_field()
    m08: Decimal = money_field()
    m09: Decimal = money_field()
    m10: Decimal = money_field()
    m11: Decimal = money_field()
    m12: Decimal = money_field()
    version: int = Field(default=1)
    import_batch_id: int | None = Field(default=None)
    created_at: datetime = created_at_field()
    created_by: str = Field(max_length=200)
    updated_at: datetime | None = timestamp_field()
    updated_by: str | None = Field(default=None, max_length=200)

    def months(self) -> list[Decimal]:
        return [getattr(self, name) or ZERO for name in MONTH_FIELDS]

    @property
    def total(self) -> Decimal:
        return sum(self.months(), ZERO)


class BudgetNote(SQLModel, table=True):
    __tablename__ = "budget_note"

    id: int | None = Field(default=None, primary_key=True)
    budget_line_id: int = Field(foreign_key="budget_line.id", index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    author: str = Field(max_length=200)
    created_at: datetime = created_at_field()
