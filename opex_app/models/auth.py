"""Users, roles, sessions and login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, text
from sqlmodel import Field, SQLModel

from opex_app.models._types import created_at_field, timestamp_field


class AppUser(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)  # stored lower-cased
    full_name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    # how amounts are grouped for this user: 'indian' (1,23,45,678 and lakh/crore) or 'western' (12,345,678)
    number_format: str = Field(default="indian", max_length=10, sa_column_kwargs={"server_default": "indian"})
    created_at: datetime = created_at_field()
    last_login_at: datetime | None = timestamp_field()


class Role(SQLModel, table=True):
    __tablename__ = "role"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50, unique=True)
    description: str = Field(default="", max_length=200)


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    role_id: int = Field(foreign_key="role.id", primary_key=True)


class UserSession(SQLModel, table=True):
    """A server-side login session. Only the SHA-256 of the browser's token is stored."""

    __tablename__ = "user_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = created_at_field()
    last_seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = timestamp_field()

    # the live sessions (the /metrics gauge counts them at each scrape): migration 0013
    __table_args__ = (Index("ix_user_session_live", "last_seen_at", postgresql_where=text("revoked_at IS NULL")),)


class LoginAttempt(SQLModel, table=True):
    """One login attempt that was judged (a throttled attempt is refused before, and not recorded); pruned
    once older than the throttle looks back (services/sessions.py)."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email_key", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
        Index("ix_login_attempt_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email_key: str = Field(max_length=254)
    ip: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    success: bool
