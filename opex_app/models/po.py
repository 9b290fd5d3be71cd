"""Purchase orders (commitments to a vendor) and PO lines (allocation of a PO's value to budget lines)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from opex_app.domain.po_workflow import PoStatus
from opex_app.models._types import RATE, created_at_field, money_field, timestamp_field

__all__ = ["PoLine", "PoStatus", "PurchaseOrder"]  # PoStatus lives in the domain's workflow table


class PurchaseOrder(SQLModel, table=True):
    __tablename__ = "purchase_order"

    id: int | None = Field(default=None, primary_key=True)
    po_number: str = Field(max_length=100, unique=True)
    fiscal_year_id: int = Field(foreign_key="fiscal_year.id", index=True)
    vendor_id: int | None = Field(default=None, foreign_key="vendor.id", index=True)
    entity_id: int | None = Field(default=None, foreign_key="entity.id")
    currency_code: str = Field(foreign_key="currency.code", max_length=3)
    status: str = Field(default=PoStatus.DRAFT.value, max_length=20, index=True)
    po_date: date | None = None
    description: str | None = Field(default=None, sa_column=Column(Text))
    pr_number: str | None = Field(default=None, max_length=100)
    pr_date: date | None = None
    pr_amount: Decimal | None = money_field(nullable=True, default=None)
    total_amount: Decimal = money_field()
    fx_rate: Decimal | None = Field(default=None, sa_column=Column(RATE, nullable=True))  # at the PO date
    total_amount_base: Decimal = money_field()
    rejection_reason: str | None = Field(default=None, sa_column=Column(Text))
    approval_comment: str | None = Field(default=None, sa_column=Column(Text))
    version: int = Field(default=1)
    created_at: datetime = created_at_field()
    created_by: str = Field(max_length=200)
    submitted_at: datetime | None = timestamp_field()
    approved_at: datetime | None = timestamp_field()
    approved_by: str | None = Field(default=None, max_length=200)
    updated_at: datetime | None = timestamp_field()
    updated_by: str | None = Field(default=None, max_length=200)
    closed_at: datetime | None = timestamp_field()


class PoLine(SQLModel, table=True):
    __tablename__ = "po_line"

    id: int | None = Field(default=None, primary_key=True)
    purchase_order_id: int = Field(foreign_key="purchase_order.id", index=True)
    budget_line_id: int = Field(foreign_key="budget_line.id", index=True)
    fiscal_month: int | None = None
    amount: Decimal = money_field()
    amount_base: Decimal = money_field()
    description: str | None = Field(default=None, sa_column=Column(Text))
    service_start: date | None = None  # optional service months: committed is spread over them
    service_end: date | None = None
