"""Actuals one at a time: the Unlinked actuals queue, linking an actual to a budget line (and a PO line),
manual entry and editing, and reconciliation notes.

An actual typed in a form follows the rules of the import (`imports/actuals_write` and the modules beside
it), run on a frame of one row, so the two doors cannot drift apart (`inputs`).

Edits and links name the `version` the user saw (optimistic locking, services/locking); each is one audit
event. Reconciliation notes are audit events of their own (`notes`).

Permissions: reads need VIEW_DASHBOARDS; writes EDIT_BUDGET (what analysts have).

The modules: `inputs` (ActualInput, ActualUpdate, the checks), `entry` (create, update, get), `queue`
(unlinked_actuals, link_actual), `notes`, `stored` (one stored actual as the audit trail records it),
`labels` (how fields are named). Callers import from here.
"""

from opex_app.services.actuals.entry import ActualView, create_actual, get_actual, update_actual
from opex_app.services.actuals.inputs import ActualInput, ActualUpdate
from opex_app.services.actuals.labels import ENTITY, LABELS, describe_changes
from opex_app.services.actuals.notes import NOTE_MAX_CHARS, NoteView, actual_notes, add_actual_note
from opex_app.services.actuals.queue import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    UnlinkedPage,
    UnlinkedRow,
    link_actual,
    unlinked_actuals,
)
from opex_app.services.actuals.stored import ActualSaved

__all__ = [
    "ENTITY",
    "LABELS",
    "MAX_PAGE_SIZE",
    "NOTE_MAX_CHARS",
    "PAGE_SIZE",
    "ActualInput",
    "ActualSaved",
    "ActualUpdate",
    "ActualView",
    "NoteView",
    "UnlinkedPage",
    "UnlinkedRow",
    "actual_notes",
    "add_actual_note",
    "create_actual",
    "describe_changes",
    "get_actual",
    "link_actual",
    "unlinked_actuals",
    "update_actual",
]
