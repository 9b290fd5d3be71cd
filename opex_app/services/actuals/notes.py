"""Reconciliation notes on an actual: audit events of their own (action 'note' on the actual), append-only,
with who and when, and no table of their own. (A note table like budget_note would need a migration; notes
that can be edited or deleted, or listed across actuals, would be the reason to add one.) Notes on a budget
line are budget_lines.add_note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.models import AuditEvent
from opex_app.services import audit
from opex_app.services.actuals.labels import ENTITY
from opex_app.services.actuals.stored import fetch_actual
from opex_app.services.errors import ServiceError

NOTE_MAX_CHARS = 4000


@dataclass(frozen=True)
class NoteView:
    id: int
    author: str
    created_at: datetime
    body: str


def add_actual_note(session: Session, principal: Principal, actual_id: int, *, body: str) -> NoteView:
    """A reconciliation note on an actual: an append-only audit event (it does not change the actual's
    version, so nobody's open form goes stale)."""
    require(principal, Permission.EDIT_BUDGET)
    actual = fetch_actual(session, actual_id)
    note = (body or "").strip()
    if not note:
        raise ServiceError("Write the note first.")
    if len(note) > NOTE_MAX_CHARS:
        raise ServiceError(f"A note has at most {NOTE_MAX_CHARS} characters ({len(note)} given).")
    event = audit.record(
        session,
        principal,
        action="note",
        entity=ENTITY,
        entity_id=actual.id,
        changes={"note": [None, note], "invoice_number": [None, actual.invoice_number]},
    )
    session.flush()
    return NoteView(event.id or 0, event.actor, event.at, note)


def actual_notes(session: Session, principal: Principal, actual_id: int) -> list[NoteView]:
    """The reconciliation notes of an actual, newest first."""
    require(principal, Permission.VIEW_DASHBOARDS)
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == ENTITY, AuditEvent.entity_id == str(actual_id), AuditEvent.action == "note")
        .order_by(col(AuditEvent.id).desc())
    )
    return [NoteView(e.id or 0, e.actor, e.at, str((e.changes or {}).get("note", [None, ""])[-1])) for e in events]
