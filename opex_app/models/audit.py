"""Audit events (append-only: a trigger refuses UPDATE and DELETE) and import batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from opex_app.models._types import created_at_field, timestamp_field


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_entity", "entity", "entity_id"),
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_entity_id_at", "entity", "entity_id", "at"),  # a line's changes after an as-of date
        # "which import created this line" (services/audit.import_that_created): containment on import events
        Index(
            "ix_audit_event_import_changes",
            "changes",
            postgresql_using="gin",
            postgresql_ops={"changes": "jsonb_path_ops"},
            postgresql_where=text("action = 'import'"),
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    at: datetime = created_at_field()
    actor: str = Field(max_length=200)
    action: str = Field(max_length=30)  # create | update | delete | import | login | logout ...
    entity: str = Field(max_length=50)  # table name of what changed
    entity_id: str | None = Field(default=None, max_length=100)
    changes: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))  # {field: [before, after]}
    request_id: str | None = Field(default=None, max_length=64)
    import_batch_id: int | None = Field(default=None, index=True)


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batch"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)  # budget | po | actuals
    file_name: str = Field(max_length=255)
    file_size: int
    sha256: str = Field(max_length=64, index=True)
    fiscal_year_id: int | None = Field(default=None, foreign_key="fiscal_year.id")
    actor: str = Field(max_length=200)
    started_at: datetime = created_at_field()
    finished_at: datetime | None = timestamp_field()
    duration_ms: int | None = None
    status: str = Field(max_length=20)  # committed | rejected
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    lines_created: int = 0
    lines_updated: int = 0
    lines_unchanged: int = 0
    masters_created: int = 0
    errors: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSONB))
    message: str | None = Field(default=None, sa_column=Column(Text))
