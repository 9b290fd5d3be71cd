"""One budget line: attributes, budget vs committed vs actual by month, the monthly editor, notes, history."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.cards import plot
from opex_app.components.detail import back_link, facts_list, history_table, section
from opex_app.components.fields import choices_list, list_attr, save_banners, saved_hint
from opex_app.components.layout import app_page
from opex_app.components.month_grid import month_table
from opex_app.state.base import AppState
from opex_app.state.budget_line import FORM_LABELS, MONTH_INPUTS, BudgetLineState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = BudgetLineState
MASTER_INPUTS = [
    ("tower", S.tower_names),
    ("budget_head", S.head_names),
    ("cost_centre", S.cost_centre_names),
    ("vendor", S.vendor_names),
    ("entity", S.entity_names),
]


def attributes() -> rx.Component:
    return facts_list(S.attributes, test_id="line-attributes", columns="2")


def _field(name: str, label: str, *, input_type: str = "text", choices: Any = None) -> rx.Component:
    list_id = f"choices-{name}"
    return rx.vstack(
        rx.text(label, size="1", weight="medium", as_="label"),
        rx.input(
            name=name,
            type=input_type,
            default_value=S.form[name],
            size="1",
            width="100%",
            data_testid=f"edit-{name}",
            **list_attr(choices, list_id),
        ),
        *choices_list(choices, list_id),
        saved_hint(S, name),
        spacing="1",
        width="100%",
        min_width="0",
    )


def _month_field(index: int, name: str) -> rx.Component:
    return rx.vstack(
        rx.text(S.month_labels[index], size="1", weight="medium"),
        rx.input(
            name=name,
            default_value=S.form[name],
            size="1",
            width="100%",
            text_align="right",
            input_mode="decimal",
            data_testid=f"edit-{name}",
            style={"text-align": "right"},
        ),
        saved_hint(S, name),
        spacing="1",
        min_width="0",
    )


def editor() -> rx.Component:
    return rx.form(
        rx.vstack(
            save_banners(S.conflict, S.edit_error, conflict_id="edit-conflict", error_id="edit-error", size="1"),
            rx.text("Monthly budget", size="2", weight="bold"),
            rx.grid(
                *[_month_field(i, m) for i, m in enumerate(MONTH_INPUTS)],
                columns=rx.breakpoints(initial="4", md="6", xl="12"),
                spacing="2",
                width="100%",
            ),
            rx.text("Attributes", size="2", weight="bold"),
            rx.grid(
                _field("description", FORM_LABELS["description"]),
                _field("parent_uid", FORM_LABELS["parent_uid"]),
                *[_field(name, FORM_LABELS[name], choices=choices) for name, choices in MASTER_INPUTS],
                _field("currency_code", FORM_LABELS["currency_code"]),
                _field("service_start", FORM_LABELS["service_start"], input_type="date"),
                _field("service_end", FORM_LABELS["service_end"], input_type="date"),
                _field("remarks", FORM_LABELS["remarks"]),
                columns=rx.breakpoints(initial="2", md="4"),
                spacing="2",
                width="100%",
            ),
            rx.hstack(
                rx.button(rx.icon("save", size=14), "Save", type="submit", size="2", data_testid="edit-save"),
                rx.button(
                    "Cancel",
                    type="button",
                    size="2",
                    variant="soft",
                    color_scheme="gray",
                    on_click=S.cancel_edit,
                    data_testid="edit-cancel",
                ),
                rx.text(
                    "Amounts like 1,23,456.78; masters must exist (pick from the list).",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="2",
                align="center",
            ),
            spacing="3",
            width="100%",
        ),
        key=S.form_key,
        on_submit=S.save,
        reset_on_submit=False,
        width="100%",
        data_testid="line-editor",
    )


def notes() -> rx.Component:
    return section(
        "Notes",
        rx.cond(
            AppState.can_edit_budget,
            rx.form(
                rx.hstack(
                    rx.input(name="body", placeholder="Add a note", size="2", width="100%", data_testid="note-body"),
                    rx.button("Add note", type="submit", size="2", variant="soft", data_testid="note-add"),
                    width="100%",
                ),
                key=S.note_key,
                on_submit=S.add_note,
                reset_on_submit=False,
                width="100%",
            ),
        ),
        rx.cond(S.note_error != "", rx.text(S.note_error, size="1", color_scheme="red", data_testid="note-error")),
        rx.cond(S.notes.length() == 0, rx.text("No notes yet.", size="2", color_scheme="gray")),
        rx.foreach(
            S.notes,
            lambda n: rx.box(
                rx.text(n["author"], " · ", n["at"], size="1", color_scheme="gray"),
                rx.text(n["body"], size="2", white_space="pre-wrap"),
                width="100%",
                data_testid="note",
            ),
        ),
        test_id="line-notes",
    )


def history() -> rx.Component:
    return section(
        "History",
        rx.cond(S.history.length() == 0, rx.text("No changes recorded yet.", size="2", color_scheme="gray")),
        history_table(
            S.history,
            row_test_id="history-row",
            what=[
                ("Action", lambda h: rx.table.cell(h["action"])),
                ("Changes [before → after]", lambda h: rx.table.cell(h["changes"], white_space="pre-line")),
            ],
        ),
        test_id="line-history",
    )


def cell_history() -> rx.Component:
    """Pick a month to see its past values, with who changed each and when (from the audit trail)."""
    picker = rx.select.root(
        rx.select.trigger(placeholder="History of a month…", data_testid="cell-history-month"),
        rx.select.content(rx.foreach(S.month_labels, lambda label: rx.select.item(label, value=label))),
        value=S.cell_month,
        on_change=S.show_cell_history,
        size="1",
    )
    dialog = rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("History of ", S.cell_month),
            rx.cond(
                S.cell_history.length() == 0,
                rx.text("No change of this month is recorded.", size="2", color_scheme="gray"),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(*[rx.table.column_header_cell(h) for h in ("When", "Who", "Before", "After")])
                    ),
                    rx.table.body(
                        rx.foreach(
                            S.cell_history,
                            lambda c: rx.table.row(
                                rx.table.cell(c["at"], white_space="nowrap"),
                                rx.table.cell(c["actor"]),
                                rx.table.cell(c["before"], text_align="right"),
                                rx.table.cell(c["after"], text_align="right"),
                                data_testid="cell-history-row",
                            ),
                        )
                    ),
                    size="1",
                    width="100%",
                ),
            ),
            max_width="40rem",
            data_testid="cell-history",
        ),
        open=S.cell_month != "",
        on_open_change=lambda _: S.close_cell_history(),
    )
    return rx.box(picker, dialog)


def figures() -> rx.Component:
    tail = [("committed", "Committed"), ("actual", "Actual"), ("available", "Available")]
    return section(
        "Budget, committed and actual",
        rx.foreach(
            S.rate_warnings,
            lambda w: rx.callout(w, icon="triangle-alert", color_scheme="amber", size="1", data_testid="rate-warning"),
        ),
        rx.cond(
            S.shows_base,
            month_table(
                S.figure_rows,
                [("budget", S.budget_header), ("budget_base", S.budget_base_header), *tail],
                test_id="line-months",
            ),
            month_table(S.figure_rows, [("budget", S.budget_header), *tail], test_id="line-months"),
        ),
        rx.cond(S.rate_note != "", rx.text(S.rate_note, size="1", color_scheme="gray", data_testid="rate-note")),
        cell_history(),
        rx.text("Cumulative budget against actual + committed", size="2", weight="medium"),
        rx.box(plot(S.cumulative_chart, height="240px"), width="100%", data_testid="line-chart"),
        rx.text(
            "Committed: approved POs less what was invoiced against each PO line, at the PO's rate, "
            "spread over the PO line's service months (else in the PO date's month). "
            "Available: budget − committed − actual, in base currency.",
            size="1",
            color_scheme="gray",
        ),
        test_id="line-figures",
    )


def line_header() -> rx.Component:
    return rx.hstack(
        back_link("Budget lines", routes.BUDGETS.path, test_id="back-to-grid"),
        rx.heading(S.uid, size="5", data_testid="line-uid"),
        rx.badge(S.fy_name, variant="soft"),
        rx.badge("v", S.version, variant="outline", color_scheme="gray", data_testid="line-version"),
        rx.spacer(),
        rx.cond(
            AppState.can_edit_budget & ~S.editing,
            rx.button(rx.icon("pencil", size=14), "Edit", size="2", on_click=S.start_edit, data_testid="edit-line"),
        ),
        align="center",
        spacing="3",
        width="100%",
    )


@app_page(routes.BUDGET_LINE, on_load=[BudgetLineState.load])
def budget_line_page() -> rx.Component:
    return rx.cond(
        S.not_found != "",
        rx.callout(S.not_found, icon="circle-alert", color_scheme="red", data_testid="line-not-found"),
        rx.vstack(
            line_header(),
            rx.cond(
                S.saved_message != "",
                rx.callout(S.saved_message, icon="check", color_scheme="green", size="1", data_testid="edit-saved"),
            ),
            rx.cond(S.editing, section("Edit", editor(), test_id="line-edit")),
            rx.grid(
                figures(),
                section("Attributes", attributes(), test_id="line-attributes-card", height="100%"),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
                align="start",
            ),
            notes(),
            history(),
            spacing="3",
            width="100%",
        ),
    )
