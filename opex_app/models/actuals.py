"""Actuals: invoices booked against a budget line (or unlinked until someone links them).

References are checked per statement by triggers (migration 0005), not by row-level foreign keys, so bulk
imports stay fast; deleting a PO, PO line or budget line that an actual refers to is refused the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field, SQLModel

from opex_app.models._types import RATE, created_at_field, money_field, timestamp_field


class Actual(SQLModel, table=True):
    __tablename__ = "actual"
    __table_args__ = (
        Index("ix_actual_fy_month", "fiscal_year_id", "fiscal_month"),
        # the figures model reads actuals index-only, by budget line and by PO line (migration 0007)
        Index(
            "ix_actual_line_month",
            "budget_line_id",
            "fiscal_month",
            postgresql_include=["amount_base", "invoice_date"],
        ),
        Index(
            "ix_actual_po_line",
            "po_line_id",
            postgresql_include=["currency_code", "amount", "amount_base", "invoice_date"],
        ),
        # an invoice is identified by (vendor, invoice number); ledgers without a vendor count as vendor 0
        Index("uq_actual_vendor_invoice", text("COALESCE(vendor_id, 0)"), "invoice_number", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    fiscal_year_id: int
    budget_line_id: int | None = None
    purchase_order_id: int | None = Field(default=None, index=True)
    vendor_id: int | None = Field(default=None, index=True)
    invoice_number: str = Field(max_length=100)
    invoice_date: date
    fiscal_month: int
    currency_code: str = Field(max_length=3)
    amount: Decimal = money_field()
    amount_base: Decimal = money_field()
    description: str | None = Field(default=None, sa_column=Column(Text))
    import_batch_id: int | None = Field(default=None)
    po_line_id: int | None = None
    uid_ref: str | None = Field(default=None, max_length=100)  # the UID as typed (kept while unlinked)
    po_ref: str | None = Field(default=None, max_length=100)  # the PO number as typed
    fx_rate: Decimal | None = Field(default=None, sa_column=Column(RATE, nullable=True))  # at the invoice date
    remarks: str | None = Field(default=None, sa_column=Column(Text))
    version: int = Field(default=1, sa_column_kwargs={"server_default": text("1")})
    updated_at: datetime | None = timestamp_field()
    updated_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = created_at_field()
    created_by: str = Field(max_length=200)
