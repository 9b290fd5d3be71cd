"""Shared PO pieces: the status badge and the approve/reject controls with their dialogs (over budget,
reject with a reason), one copy used by the PO detail page and the approvals inbox.

`D` is a state class that mixes in `state.approvals.PoDecisionMixin`.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app.components.dialogs import form_dialog
from opex_app.components.month_grid import NUMBER_CELL
from opex_app.domain.po_workflow import PoAction

# Submit, back to draft, close and cancel: (action, label, icon, colour, variant).
OTHER_ACTIONS = [
    (PoAction.SUBMIT.value, "Submit for approval", "send", "teal", "solid"),
    (PoAction.REOPEN.value, "Back to draft", "undo-2", "gray", "soft"),
    (PoAction.CLOSE.value, "Close PO", "lock", "blue", "soft"),
    (PoAction.CANCEL.value, "Cancel PO", "ban", "red", "soft"),
]
APPROVE, REJECT = PoAction.APPROVE.value, PoAction.REJECT.value  # the two decisions, drawn by decision_buttons

STATUS_COLORS = {
    "draft": "gray",
    "submitted": "amber",
    "approved": "green",
    "rejected": "red",
    "closed": "blue",
    "cancelled": "gray",
}


def status_badge(status: Any, **props: Any) -> rx.Component:
    """The PO status as a coloured badge ('Submitted')."""
    return rx.match(
        status,
        *[
            (
                name,
                rx.badge(
                    name.title(),
                    color_scheme=color,  # type: ignore[arg-type]
                    variant="outline" if name == "cancelled" else "soft",
                    **props,
                ),
            )
            for name, color in STATUS_COLORS.items()
        ],
        rx.badge(status, variant="soft", **props),
    )


def decision_buttons(D: Any, po_id: Any, version: Any, po_number: Any, *, size: str = "2") -> list[rx.Component]:
    """Approve and Reject for one PO (the caller shows them only to approvers who did not raise it)."""
    return [
        rx.button(
            rx.icon("check", size=14),
            "Approve",
            size=size,  # type: ignore[arg-type]
            color_scheme="green",
            on_click=D.approve(po_id, version, po_number),
            data_testid="po-approve",
        ),
        rx.button(
            rx.icon("x", size=14),
            "Reject",
            size=size,  # type: ignore[arg-type]
            color_scheme="red",
            variant="soft",
            on_click=D.start_reject(po_id, version, po_number),
            data_testid="po-reject",
        ),
    ]


def decision_messages(D: Any) -> rx.Component:
    """What the last decision did, or why it was refused."""
    return rx.fragment(
        rx.cond(
            D.decision_message != "",
            rx.callout(
                D.decision_message, icon="check", color_scheme="green", size="1", width="100%", data_testid="po-done"
            ),
        ),
        rx.cond(
            D.decision_error != "",
            rx.callout(
                D.decision_error,
                icon="triangle-alert",
                color_scheme="red",
                size="1",
                width="100%",
                data_testid="po-refused",
            ),
        ),
    )


def _dialog_error(D: Any) -> rx.Component:
    return rx.cond(
        D.dialog_error != "",
        rx.callout(D.dialog_error, icon="triangle-alert", color_scheme="red", size="1", data_testid="dialog-error"),
    )


OVERRUN_COLUMNS = [
    ("uid", "UID"),
    ("budget", "Budget"),
    ("committed", "Committed"),
    ("actual", "Actual"),
    ("this_po", "This PO"),
    ("after", "After approval"),
    ("over_by", "Over by"),
]


def _overrun_table(D: Any) -> rx.Component:
    def row(item: Any) -> rx.Component:
        return rx.table.row(
            rx.table.row_header_cell(item["uid"], white_space="nowrap", font_weight="500"),
            *[rx.table.cell(item[key], **NUMBER_CELL) for key, _ in OVERRUN_COLUMNS[1:-1]],
            rx.table.cell(item["over_by"], **NUMBER_CELL, color=rx.color("red", 11), font_weight="600"),
            data_testid="overrun-row",
        )

    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(header, **(NUMBER_CELL if key != "uid" else {}))
                    for key, header in OVERRUN_COLUMNS
                ]
            )
        ),
        rx.table.body(rx.foreach(D.overrun_rows, row)),
        size="1",
        variant="surface",
        width="100%",
        data_testid="overrun-table",
    )


def _cancel(on_click: Any, **props: Any) -> rx.Component:
    return rx.button("Cancel", type="button", variant="soft", color_scheme="gray", on_click=on_click, **props)


def over_budget_dialog(D: Any) -> rx.Component:
    """Approving would take budget lines over budget: the figures, and 'approve anyway' with a comment."""
    return form_dialog(
        title=rx.dialog.title("Approve PO ", D.decision_po_number, " over budget?"),
        description=rx.dialog.description(
            "Approving this PO takes committed + actual above the budget of the lines below (",
            D.base_currency,
            "; committed and actual before this PO).",
            size="2",
        ),
        body=[
            _overrun_table(D),
            rx.text("Why approve it anyway? (required, stored with the approval)", size="2", weight="medium"),
            rx.text_area(
                name="comment",
                placeholder="e.g. Budget transfer from Applications agreed with Finance on 12-Jun",
                rows="3",
                width="100%",
                data_testid="overrun-comment",
            ),
        ],
        error=_dialog_error(D),
        cancel=_cancel(D.close_overrun, data_testid="overrun-cancel"),
        submit=rx.button(
            rx.icon("check", size=14),
            "Approve anyway",
            type="submit",
            color_scheme="amber",
            data_testid="overrun-approve",
        ),
        form_key=D.dialog_key,
        on_submit=D.approve_anyway,
        open=D.overrun_open,
        on_close=D.close_overrun,
        max_width="48rem",
        test_id="overrun-dialog",
    )


def reject_dialog(D: Any) -> rx.Component:
    """Reject with a reason (required): the PO goes back to its analyst, who sees the reason."""
    return form_dialog(
        title=rx.dialog.title("Reject PO ", D.decision_po_number),
        description=rx.dialog.description(
            "The analyst sees the reason on the PO, edits it and submits it again.", size="2"
        ),
        body=[
            rx.text_area(
                name="reason",
                placeholder="Reason for rejecting",
                rows="3",
                width="100%",
                data_testid="reject-reason",
            ),
        ],
        error=_dialog_error(D),
        cancel=_cancel(D.close_reject),
        submit=rx.button(
            rx.icon("x", size=14), "Reject", type="submit", color_scheme="red", data_testid="reject-confirm"
        ),
        form_key=D.dialog_key,
        on_submit=D.confirm_reject,
        open=D.reject_open,
        on_close=D.close_reject,
        max_width="32rem",
        test_id="reject-dialog",
    )


def decision_dialogs(D: Any) -> rx.Component:
    return rx.fragment(over_budget_dialog(D), reject_dialog(D))
