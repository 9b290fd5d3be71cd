"""The activity log: who logged in (or failed to), logged out, exported or downloaded what, when, from where.

Kept apart from `login_attempt`, which the login throttle prunes after a few windows: this table is the
history a reviewer reads, append-only like `audit_event` (a trigger refuses UPDATE, DELETE and TRUNCATE).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from opex_app.models._types import created_at_field


class ActivityEvent(SQLModel, table=True):
    __tablename__ = "activity_event"
    __table_args__ = (
        Index("ix_activity_event_at", "at"),
        Index("ix_activity_event_kind_at", "kind", "at"),
        Index("ix_activity_event_user_at", "user_id", "at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    at: datetime = created_at_field()
    kind: str = Field(max_length=20)  # login | login_failed | logout | export | download (services/activity.Kind)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")  # None: no such account, or no user
    actor: str = Field(max_length=254)  # the user's e-mail, or the e-mail tried at a failed login
    ip: str = Field(max_length=64)
    detail: str = Field(
        default="", max_length=300, sa_column_kwargs={"server_default": ""}
    )  # e.g. the file name of an export or download
