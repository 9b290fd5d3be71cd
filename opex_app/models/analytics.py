"""Tables of the analytics issue: the data version, variance comments, app settings, API tokens.

- `data_version`: one row. Every statement that changes a figure's inputs (budget lines, POs, PO lines,
  actuals, FX rates, masters, variance comments) bumps it in the same transaction (statement triggers of
  migration 0006) and NOTIFYs `opex_data_version`. Caches key on it; dashboards refresh when it moves.
- `variance_comment`: the analyst's explanation of one member's variance in one FY, level and period.
- `app_setting`: small admin-set values as JSON (e.g. the variance thresholds).
- `api_token`: personal tokens for the read API, stored as SHA-256 only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from opex_app.models._types import created_at_field, timestamp_field

DATA_VERSION_CHANNEL = "opex_data_version"


class DataVersion(SQLModel, table=True):
    __tablename__ = "data_version"

    id: int = Field(default=1, primary_key=True)  # always 1 (CHECK in the migration)
    version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    changed_at: datetime = created_at_field()


class VarianceComment(SQLModel, table=True):
    __tablename__ = "variance_comment"
    __table_args__ = (
        UniqueConstraint("fiscal_year_id", "level", "member", "period", name="uq_variance_comment_member"),
    )

    id: int | None = Field(default=None, primary_key=True)
    fiscal_year_id: int = Field(foreign_key="fiscal_year.id")
    level: str = Field(max_length=20)  # line | tower | budget_head | cost_centre | vendor
    member: str = Field(max_length=255)  # the report's member label (a UID at line level)
    period: str = Field(max_length=10)  # fy | ytd | q1..q4 | m01..m12
    comment: str = Field(max_length=2000)
    created_at: datetime = created_at_field()
    created_by: str = Field(max_length=200)
    updated_at: datetime | None = timestamp_field()
    updated_by: str | None = Field(default=None, max_length=200)


class AppSetting(SQLModel, table=True):
    __tablename__ = "app_setting"

    key: str = Field(primary_key=True, max_length=100)
    value: Any = Field(sa_column=Column(JSONB, nullable=False))
    updated_at: datetime = created_at_field()
    updated_by: str = Field(max_length=200)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)  # sha256 hex of the token; the token is shown once
    prefix: str = Field(max_length=12)  # the token's first characters, to tell tokens apart
    created_at: datetime = created_at_field()
    last_used_at: datetime | None = timestamp_field()
    revoked_at: datetime | None = timestamp_field()
