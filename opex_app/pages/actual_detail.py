"""One actual (invoice): its values and conversion, what it is linked to, reconciliation notes and history,
the editor; and manual entry of a new actual (`/actuals/new`)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.detail import back_link, facts_list, history_table, section
from opex_app.components.fields import form_field, save_banners
from opex_app.components.layout import app_page
from opex_app.state.actual_detail import ActualDetailState
from opex_app.state.base import AppState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = ActualDetailState
A: Any = AppState


def _field(name: str, label: str, **props: Any) -> rx.Component:
    return form_field(S, name, label, test_id=f"actual-{name}", list_id=f"actual-choices-{name}", **props)


def editor() -> rx.Component:
    return rx.form(
        rx.vstack(
            save_banners(S.conflict, S.error, conflict_id="actual-conflict", error_id="actual-error"),
            rx.grid(
                _field("invoice_number", "Invoice No", required=True),
                _field("invoice_date", "Invoice date", required=True, type="date"),
                _field("vendor", "Vendor", choices=S.vendor_names, placeholder="Pick a vendor"),
                _field("currency", "Currency", choices=S.currency_codes, max_length=3),
                _field("amount", "Amount", required=True, input_mode="decimal", placeholder="1,50,000.00"),
                _field("uid", "UID", placeholder="Budget line UID"),
                _field("po_number", "PO number"),
                columns=rx.breakpoints(initial="2", md="4"),
                spacing="3",
                width="100%",
            ),
            _field("remarks", "Remarks"),
            rx.text(
                "Amounts are net of recoverable tax (GST/VAT input credit): enter the amount that hits the budget. "
                "The FY, month and FX rate come from the invoice date; the UID and PO number link it as an import "
                "would (changing them links it again).",
                size="1",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.button(rx.icon("save", size=14), "Save", type="submit", size="2", data_testid="actual-save"),
                rx.cond(
                    S.mode == "new",
                    rx.link(
                        rx.button("Cancel", type="button", size="2", variant="soft", color_scheme="gray"),
                        href=routes.UNLINKED_ACTUALS.path,
                        underline="none",
                    ),
                    rx.button(
                        "Cancel",
                        type="button",
                        size="2",
                        variant="soft",
                        color_scheme="gray",
                        on_click=S.cancel_edit,
                        data_testid="actual-cancel",
                    ),
                ),
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=S.save,
        reset_on_submit=False,
        width="100%",
        data_testid="actual-form",
    )


def details() -> rx.Component:
    return facts_list(S.details, test_id="actual-details")


def link_status() -> rx.Component:
    return rx.cond(
        S.linked,
        rx.hstack(
            rx.icon("link", size=16, color=rx.color("green", 10)),
            rx.text("Booked to budget line", size="2"),
            rx.link(
                S.linked_uid,
                href=routes.BUDGET_LINE.url(line_id=S.linked_line_id),
                weight="bold",
                data_testid="actual-line",
            ),
            rx.cond(
                S.linked_po != "",
                rx.text(
                    "against PO ",
                    rx.link(
                        S.linked_po,
                        href=routes.POS.path + "?text=" + S.linked_po,
                        weight="bold",
                        data_testid="actual-po",
                    ),
                    size="2",
                ),
                rx.text("(no PO line)", size="2", color_scheme="gray"),
            ),
            spacing="2",
            align="center",
            wrap="wrap",
            data_testid="actual-linked",
        ),
        rx.hstack(
            rx.icon("unlink", size=16, color=rx.color("amber", 10)),
            rx.text("Unlinked: it counts in no budget line's actual.", size="2"),
            rx.cond(
                A.can_edit_budget,
                rx.link("Link it from the Unlinked actuals queue", href=routes.UNLINKED_ACTUALS.path, size="2"),
            ),
            spacing="2",
            align="center",
            wrap="wrap",
            data_testid="actual-unlinked",
        ),
    )


def notes() -> rx.Component:
    return rx.vstack(
        rx.cond(
            A.can_edit_budget,
            rx.form(
                rx.hstack(
                    rx.input(
                        name="body",
                        placeholder="Add a reconciliation note",
                        size="2",
                        width="100%",
                        data_testid="note-body",
                    ),
                    rx.button("Add note", type="submit", size="2", variant="soft", data_testid="note-add"),
                    width="100%",
                ),
                key=S.note_key,
                on_submit=S.add_note,
                reset_on_submit=True,
                width="100%",
            ),
        ),
        rx.cond(S.note_error != "", rx.text(S.note_error, size="1", color_scheme="red", data_testid="note-error")),
        rx.cond(
            S.notes.length() == 0,
            rx.text("No notes yet.", size="2", color_scheme="gray"),
            rx.foreach(
                S.notes,
                lambda n: rx.box(
                    rx.text(n["body"], size="2", white_space="pre-wrap"),
                    rx.text(n["author"], " · ", n["at"], size="1", color_scheme="gray"),
                    padding_y="0.25rem",
                    border_bottom=f"1px solid {rx.color('gray', 4)}",
                    width="100%",
                    data_testid="note",
                ),
            ),
        ),
        spacing="2",
        width="100%",
    )


def history() -> rx.Component:
    return history_table(
        S.history,
        row_test_id="actual-history-row",
        what=[
            (
                "What",
                lambda h: rx.table.cell(
                    rx.text(h["action"], size="2", weight="medium"),
                    rx.text(h["changes"], size="1", color_scheme="gray", white_space="pre-line"),
                ),
            )
        ],
        data_testid="actual-history",
    )


def _back() -> rx.Component:
    return back_link("Unlinked actuals", routes.UNLINKED_ACTUALS.path)


def detail() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.cond(A.can_edit_budget, _back()),
            rx.heading("Invoice ", S.invoice_number, size="5", data_testid="actual-number"),
            rx.badge("v", S.version, variant="outline", color_scheme="gray", data_testid="actual-version"),
            rx.spacer(),
            rx.cond(
                A.can_edit_budget & ~S.editing,
                rx.button(
                    rx.icon("pencil", size=14), "Edit", size="2", on_click=S.start_edit, data_testid="actual-edit"
                ),
            ),
            align="center",
            spacing="3",
            width="100%",
        ),
        rx.cond(
            S.saved_message != "",
            rx.callout(
                S.saved_message, icon="check", color_scheme="green", size="1", width="100%", data_testid="actual-saved"
            ),
        ),
        rx.foreach(
            S.warnings,
            lambda w: rx.callout(
                w, icon="triangle-alert", color_scheme="amber", size="1", width="100%", data_testid="actual-warning"
            ),
        ),
        rx.cond(S.editing, section("Edit", editor(), test_id="actual-editor")),
        section("Invoice", details(), link_status(), test_id="actual-card"),
        section("Reconciliation notes", notes(), test_id="actual-notes"),
        section("History", history(), test_id="actual-history-card"),
        spacing="3",
        width="100%",
    )


@app_page(routes.ACTUAL, on_load=[S.load])
def actual_detail_page() -> rx.Component:
    return rx.cond(
        S.not_found != "",
        rx.callout(S.not_found, icon="circle-alert", color_scheme="red", data_testid="actual-not-found"),
        detail(),
    )


@app_page(routes.ACTUAL_NEW, on_load=[S.load])
def actual_new_page() -> rx.Component:
    return rx.vstack(
        _back(),
        section("New actual (invoice)", editor(), test_id="actual-editor"),
        spacing="3",
        width="100%",
    )
