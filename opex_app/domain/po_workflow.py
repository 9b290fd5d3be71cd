"""The purchase-order workflow as one table: which action moves a PO from which status to which, who may do
it, and whether it needs a comment.

Draft → Submitted → Approved → Closed, plus Rejected (back to Draft to be edited, with a reason) and
Cancelled. Pure: no database, no Reflex. `PoStatus` lives here (the model stores its values in
`purchase_order.status`) and the permissions are the ones `require()` checks; the services apply the table,
the pages offer its actions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from opex_app.auth.permissions import Permission


class PoStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class PoAction(enum.StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    REOPEN = "reopen"
    CLOSE = "close"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Transition:
    action: PoAction
    sources: frozenset[PoStatus]
    target: PoStatus
    permission: Permission
    needs_comment: bool = False  # a reason the user must give (stored and shown in the history)
    label: str = ""  # the button


_S = PoStatus
TRANSITIONS: dict[PoAction, Transition] = {
    t.action: t
    for t in (
        Transition(PoAction.SUBMIT, frozenset({_S.DRAFT}), _S.SUBMITTED, Permission.CREATE_PO, label="Submit"),
        Transition(PoAction.APPROVE, frozenset({_S.SUBMITTED}), _S.APPROVED, Permission.APPROVE_PO, label="Approve"),
        Transition(
            PoAction.REJECT,
            frozenset({_S.SUBMITTED}),
            _S.REJECTED,
            Permission.APPROVE_PO,
            needs_comment=True,
            label="Reject",
        ),
        Transition(PoAction.REOPEN, frozenset({_S.REJECTED}), _S.DRAFT, Permission.CREATE_PO, label="Back to draft"),
        # Closing releases what is left open; invoices may still be booked against a closed PO.
        Transition(PoAction.CLOSE, frozenset({_S.APPROVED}), _S.CLOSED, Permission.CREATE_PO, label="Close"),
        # An approved PO can be cancelled only while nothing is invoiced against it: the service checks that.
        Transition(
            PoAction.CANCEL,
            frozenset({_S.DRAFT, _S.SUBMITTED, _S.REJECTED, _S.APPROVED}),
            _S.CANCELLED,
            Permission.CREATE_PO,
            label="Cancel PO",
        ),
    )
}

EDITABLE: frozenset[PoStatus] = frozenset({_S.DRAFT, _S.REJECTED})  # the PO's fields and lines may change
FINAL: frozenset[PoStatus] = frozenset({_S.CLOSED, _S.CANCELLED})  # no action leads out of these


class TransitionRefused(ValueError):
    """The action is not allowed from the PO's status. The message names both and what is allowed instead."""


def _status(status: PoStatus | str) -> PoStatus:
    try:
        return PoStatus(str(status).strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in PoStatus)
        raise TransitionRefused(f"'{status}' is not a PO status (expected one of: {names})") from None


def _action(action: PoAction | str) -> PoAction:
    try:
        return PoAction(str(action).strip().lower())
    except ValueError:
        names = ", ".join(a.value for a in PoAction)
        raise TransitionRefused(f"'{action}' is not a PO action (expected one of: {names})") from None


def allowed_actions(status: PoStatus | str) -> tuple[PoAction, ...]:
    """The actions the table allows from `status`, in the table's order (permissions aside)."""
    current = _status(status)
    return tuple(t.action for t in TRANSITIONS.values() if current in t.sources)


def rule(action: PoAction | str) -> Transition:
    """The table's row for `action`."""
    return TRANSITIONS[_action(action)]


def transition(status: PoStatus | str, action: PoAction | str) -> PoStatus:
    """The status `action` leads to from `status`; TransitionRefused when the table does not allow it."""
    current, wanted = _status(status), _action(action)
    row = TRANSITIONS[wanted]
    if current in row.sources:
        return row.target
    allowed = allowed_actions(current)
    instead = f"from {current.value} you can {_or(allowed)}" if allowed else f"{current.value} is final"
    raise TransitionRefused(f"Cannot {wanted.value} a PO in status {current.value}: {instead}.")


def can_edit(status: PoStatus | str) -> bool:
    """Whether the PO's fields and lines may be changed in this status (draft or rejected)."""
    return _status(status) in EDITABLE


def _or(actions: tuple[PoAction, ...]) -> str:
    names = [a.value for a in actions]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
