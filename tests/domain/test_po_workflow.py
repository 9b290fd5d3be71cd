"""The PO workflow table: every (status, action) pair, allowed or refused, against the issue's workflow
written out here by hand (Draft → Submitted → Approved → Closed, Rejected back to Draft, Cancelled)."""

from __future__ import annotations

import itertools

import pytest

from opex_app.auth.permissions import Permission
from opex_app.domain.po_workflow import (
    EDITABLE,
    TRANSITIONS,
    PoAction,
    TransitionRefused,
    allowed_actions,
    can_edit,
    rule,
    transition,
)
from opex_app.models.po import PoStatus

S, A = PoStatus, PoAction

ALLOWED: dict[tuple[PoStatus, PoAction], PoStatus] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.SUBMITTED, A.APPROVE): S.APPROVED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.SUBMITTED, A.CANCEL): S.CANCELLED,
    (S.REJECTED, A.REOPEN): S.DRAFT,
    (S.REJECTED, A.CANCEL): S.CANCELLED,
    (S.APPROVED, A.CLOSE): S.CLOSED,
    (S.APPROVED, A.CANCEL): S.CANCELLED,
}
EVERY_PAIR = list(itertools.product(PoStatus, PoAction))
REFUSED = [pair for pair in EVERY_PAIR if pair not in ALLOWED]


def test_the_pairs_cover_the_whole_product() -> None:
    assert len(EVERY_PAIR) == 36
    assert len(ALLOWED) + len(REFUSED) == 36 and len(REFUSED) == 27


@pytest.mark.parametrize(("status", "action"), list(ALLOWED), ids=[f"{s}-{a}" for s, a in ALLOWED])
def test_allowed_transition(status: PoStatus, action: PoAction) -> None:
    assert transition(status, action) is ALLOWED[(status, action)]
    assert transition(status.value, action.value) is ALLOWED[(status, action)]  # as stored / as posted
    assert action in allowed_actions(status)


@pytest.mark.parametrize(("status", "action"), REFUSED, ids=[f"{s}-{a}" for s, a in REFUSED])
def test_refused_transition(status: PoStatus, action: PoAction) -> None:
    with pytest.raises(TransitionRefused) as refused:
        transition(status, action)
    message = str(refused.value)
    assert f"Cannot {action.value} a PO in status {status.value}: " in message
    allowed = [a for (s, a) in ALLOWED if s is status]
    if allowed:
        for other in allowed:
            assert other.value in message  # what the user can do instead
    else:
        assert f"{status.value} is final" in message
    assert action not in allowed_actions(status)


def test_allowed_actions_follow_the_table_order() -> None:
    assert allowed_actions(S.DRAFT) == (A.SUBMIT, A.CANCEL)
    assert allowed_actions("submitted") == (A.APPROVE, A.REJECT, A.CANCEL)
    assert allowed_actions(S.REJECTED) == (A.REOPEN, A.CANCEL)
    assert allowed_actions(S.APPROVED) == (A.CLOSE, A.CANCEL)
    assert allowed_actions(S.CLOSED) == () and allowed_actions(S.CANCELLED) == ()


def test_the_message_for_a_refusal_reads_well() -> None:
    with pytest.raises(
        TransitionRefused, match=r"^Cannot approve a PO in status draft: from draft you can submit or cancel\.$"
    ):
        transition(S.DRAFT, A.APPROVE)
    with pytest.raises(TransitionRefused, match=r"from approved you can close or cancel\.$"):
        transition(S.APPROVED, A.SUBMIT)
    with pytest.raises(TransitionRefused, match=r"from submitted you can approve, reject or cancel\.$"):
        transition(S.SUBMITTED, A.REOPEN)


@pytest.mark.parametrize(
    ("action", "permission", "needs_comment"),
    [
        (A.SUBMIT, Permission.CREATE_PO, False),
        (A.APPROVE, Permission.APPROVE_PO, False),
        (A.REJECT, Permission.APPROVE_PO, True),
        (A.REOPEN, Permission.CREATE_PO, False),
        (A.CLOSE, Permission.CREATE_PO, False),
        (A.CANCEL, Permission.CREATE_PO, False),
    ],
)
def test_each_action_names_its_permission_and_whether_it_needs_a_reason(
    action: PoAction, permission: Permission, needs_comment: bool
) -> None:
    assert rule(action).permission is permission
    assert rule(action.value).needs_comment is needs_comment
    assert TRANSITIONS[action].label


@pytest.mark.parametrize("status", list(PoStatus))
def test_only_draft_and_rejected_pos_are_editable(status: PoStatus) -> None:
    assert can_edit(status) is (status in {S.DRAFT, S.REJECTED})
    assert can_edit(status.value) is (status in EDITABLE)


def test_unknown_statuses_and_actions_are_named() -> None:
    with pytest.raises(TransitionRefused, match="'pending' is not a PO status"):
        transition("pending", A.SUBMIT)
    with pytest.raises(TransitionRefused, match="'archive' is not a PO action"):
        transition(S.DRAFT, "archive")
    with pytest.raises(TransitionRefused, match="'pending' is not a PO status"):
        can_edit("pending")
