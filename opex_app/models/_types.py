"""Column helpers shared by the table modules: money is NUMERIC(18,2), never a float.

They use sa_type/sa_column_kwargs (not sa_column) so a field declared on a shared base
class gets a fresh Column on every table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, text
from sqlmodel import Field

MONEY = Numeric(18, 2)
RATE = Numeric(18, 6)
ZERO = Decimal("0.00")


def utcnow() -> datetime:
    return datetime.now(UTC)


def money_field(*, nullable: bool = False, default: Decimal | None = ZERO) -> Any:
    kwargs: dict[str, Any] = {} if nullable else {"server_default": text("0")}
    return Field(default=default, sa_type=MONEY, nullable=nullable, sa_column_kwargs=kwargs)


def created_at_field() -> Any:
    return Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": text("now()")},
    )


def timestamp_field(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable)
