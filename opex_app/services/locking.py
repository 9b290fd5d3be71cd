"""Optimistic locking, one mechanism for every record people edit (budget lines, POs, actuals).

A form keeps the `version` it was opened at; a save names it. When the row has moved on, the save is
refused with a message naming who changed what (from the row's latest audit event), and nothing is
written; the form keeps the typed values so the user can review and save again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session, col, select

from opex_app.auth.permissions import Principal
from opex_app.models import AuditEvent
from opex_app.models._types import utcnow
from opex_app.services.errors import Conflict

Describe = Callable[[Mapping[str, Any] | None], list[str]]  # an audit event's changes as 'Label: before → after'
SHOWN_CHANGES = 8


class Versioned(Protocol):
    id: int | None
    version: int
    updated_at: datetime | None
    updated_by: str | None


def check_version(
    session: Session, row: Versioned, expected_version: int, *, entity: str, name: str, describe: Describe
) -> None:
    """Raise Conflict unless `row` is still at `expected_version`. `name` is how people know the row
    ('IT-FY27-0042', 'PO 4500012'); `describe` words an audit event's changes."""
    if row.version == expected_version:
        return
    event = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(row.id))
        .order_by(col(AuditEvent.id).desc())
    ).first()
    behind = row.version - expected_version
    if event is None:
        who = f"{row.updated_by or 'someone'} at {when(row.updated_at)}" if row.updated_at else "someone"
        raise Conflict(
            f"Not saved: {name} was changed by {who} after you opened it. Review the current values and save again."
        )
    changes = describe(event.changes)
    shown = "; ".join(changes[:SHOWN_CHANGES])
    if len(changes) > SHOWN_CHANGES:
        shown += f"; and {len(changes) - SHOWN_CHANGES} more"
    earlier = f" (and {behind - 1} earlier change{'s' if behind > 2 else ''})" if behind > 1 else ""
    raise Conflict(
        f"Not saved: {event.actor} saved {name} first, at {when(event.at)}{earlier}. "
        f"Their change: {shown or event.action}. Review the current values and save again."
    )


def stamp(row: Versioned, principal: Principal) -> None:
    """A saved change: the next version, when and by whom."""
    row.version += 1
    row.updated_at = utcnow()
    row.updated_by = principal.actor


def when(at: datetime | None) -> str:
    return at.strftime("%d-%b-%Y %H:%M UTC") if at else ""
