"""Audit trail: every change is recorded, in the same transaction, as an append-only event."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.models import AuditEvent
from opex_app.services.request_ids import current_request_id


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value differs."""
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            out[key] = [jsonable(old), jsonable(new)]
    return out


def record(
    session: Session,
    principal: Principal,
    *,
    action: str,
    entity: str,
    entity_id: Any = None,
    changes: Mapping[str, Any] | None = None,
    import_batch_id: int | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor=principal.actor,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        changes=dict(changes) if changes is not None else None,
        request_id=current_request_id(),
        import_batch_id=import_batch_id,
    )
    session.add(event)
    return event


def history(session: Session, principal: Principal, entity: str, entity_id: Any) -> list[AuditEvent]:
    """Every event recorded for one row, oldest first."""
    require(principal, Permission.VIEW_DASHBOARDS)
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(col(AuditEvent.id))
    )
    return list(session.exec(stmt))


def recent_events(
    session: Session,
    principal: Principal,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int = 200,
) -> list[AuditEvent]:
    """The newest events, optionally of one entity (and one row of it)."""
    require(principal, Permission.VIEW_AUDIT)
    stmt = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    if entity:
        stmt = stmt.where(AuditEvent.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    return list(session.exec(stmt))


CREATED_BY_IMPORT = text(
    """
    SELECT e.id, b.file_name, b.sha256
    FROM audit_event e JOIN import_batch b ON b.id = e.import_batch_id
    WHERE e.entity = 'budget_line' AND e.action = 'import' AND b.fiscal_year_id = :fy
      AND e.changes @> CAST(:probe AS jsonb)
    ORDER BY e.id
    LIMIT 1
    """
)


def created_by_import_params(fiscal_year_id: int, uid: str) -> dict[str, Any]:
    """The lookup's parameters: its containment probe is {"created_uids": [["UID"]]}, i.e. the UID in the
    event's [before, after] lists, which the GIN index (jsonb_path_ops, migration 0011) answers."""
    return {"fy": fiscal_year_id, "probe": json.dumps({"created_uids": [[uid]]})}


def import_that_created(
    session: Session, principal: Principal, *, fiscal_year_id: int, uid: str
) -> tuple[AuditEvent, str, str] | None:
    """The import event (with the batch's file name and sha256) that created a budget line, if an import did.

    An import records the lines it creates as one event listing their UIDs, not one event per line."""
    require(principal, Permission.VIEW_DASHBOARDS)
    found = session.execute(CREATED_BY_IMPORT, created_by_import_params(fiscal_year_id, uid)).first()
    if found is None:
        return None
    event = session.get(AuditEvent, found.id)
    return (event, found.file_name, found.sha256) if event is not None else None
