"""FX rates with history: units of base currency per unit of a currency, effective from a date."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from opex_app.models._types import RATE, created_at_field


class FxRate(SQLModel, table=True):
    __tablename__ = "fx_rate"
    # History is kept: a correction is a new row; the latest row of the latest effective date wins
    # (SQL function fx_rate_on, migration 0004).
    __table_args__ = (Index("ix_fx_rate_lookup", "currency_code", "effective_from", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    currency_code: str = Field(foreign_key="currency.code", max_length=3, index=True)
    rate_to_base: Decimal = Field(sa_column=Column(RATE, nullable=False))
    effective_from: date
    created_at: datetime = created_at_field()
    created_by: str = Field(max_length=200)
