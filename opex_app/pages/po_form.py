"""The PO form (new, or edit a draft/rejected PO): header fields, allocations to budget lines found by UID
search, and the running total of the allocations against the PO value."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.detail import back_link
from opex_app.components.fields import field_label, form_field, save_banners, saved_hint
from opex_app.components.layout import ACCENT, app_page
from opex_app.state.po_form import PoFormState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = PoFormState

_TOTAL_COLORS = {"ok": "green", "over": "red", "invalid": "red", "under": "amber", "empty": "gray"}


def _field(name: str, label: str, *, input_type: str = "text", **props: Any) -> rx.Component:
    return form_field(S, name, label, test_id=f"po-{name}", list_id=f"choices-{name}", type=input_type, **props)


def header_fields() -> rx.Component:
    return rx.vstack(
        rx.grid(
            _field("po_number", "PO number", required=True),
            _field("po_date", "PO date", required=True, input_type="date"),
            _field("vendor", "Vendor", required=True, choices=S.vendor_names, placeholder="Pick a vendor"),
            _field("entity", "Entity", required=True, choices=S.entity_names, placeholder="Pick an entity"),
            _field("currency", "Currency", required=True, choices=S.currency_codes, max_length=3),
            _field("value", "PO value", required=True, input_mode="decimal", placeholder="1,50,000.00"),
            _field("pr_number", "PR number"),
            _field("pr_date", "PR date", input_type="date"),
            _field("pr_amount", "PR amount", input_mode="decimal"),
            columns=rx.breakpoints(initial="2", md="3", lg="6"),
            spacing="3",
            width="100%",
        ),
        rx.vstack(
            field_label("Description"),
            rx.text_area(
                name="description",
                value=S.form["description"],
                on_change=lambda v: S.set_field("description", v),
                rows="2",
                width="100%",
                data_testid="po-description",
            ),
            saved_hint(S, "description"),
            spacing="1",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _choices(row: Any) -> rx.Component:
    """The budget lines matching what is typed in this row's UID, listed under it (in the flow of the page:
    an overlay would be clipped by the card and the shell's scrolling box)."""
    item = lambda c: rx.box(  # noqa: E731
        rx.hstack(
            rx.text(c["uid"], size="2", weight="bold", white_space="nowrap"),
            rx.text(c["description"], size="2", overflow="hidden", text_overflow="ellipsis", white_space="nowrap"),
            rx.spacer(),
            rx.text(c["detail"], size="1", color_scheme="gray", white_space="nowrap"),
            spacing="2",
            align="center",
            width="100%",
        ),
        on_click=S.pick_line(row["key"], c["uid"], c["description"]),
        cursor="pointer",
        padding="0.35rem 0.6rem",
        border_radius="4px",
        _hover={"background": rx.color(ACCENT, 3)},
        data_testid="uid-choice",
    )
    return rx.cond(
        S.search_key == row["key"],
        rx.box(
            rx.hstack(
                rx.text("Budget lines of ", S.search_fy, size="1", color_scheme="gray"),
                rx.spacer(),
                rx.icon_button(
                    rx.icon("x", size=12),
                    size="1",
                    variant="ghost",
                    color_scheme="gray",
                    type="button",
                    on_click=S.close_search,
                    aria_label="Close",
                ),
                align="center",
                padding="0.25rem 0.6rem",
                width="100%",
            ),
            rx.cond(
                S.choices.length() == 0,
                rx.text("No budget line of this FY matches.", size="2", color_scheme="gray", padding="0.35rem 0.6rem"),
                rx.foreach(S.choices, item),
            ),
            margin_top="0.25rem",
            width="100%",
            max_height="14rem",
            overflow_y="auto",
            background="var(--color-panel-solid)",
            border=f"1px solid {rx.color('gray', 6)}",
            border_radius="6px",
            box_shadow="0 6px 18px rgba(0,0,0,0.12)",
            data_testid="uid-choices",
        ),
    )


_ROW_GRID = "minmax(14rem, 2fr) minmax(9rem, 1fr) 10rem 10rem 2.25rem"


def _row(row: Any) -> rx.Component:
    def row_input(name: str, **props: Any) -> rx.Component:
        return rx.input(
            name=f"{name}-" + row["key"],
            value=row[name],
            on_change=lambda v: S.set_row(row["key"], name, v),
            size="2",
            width="100%",
            data_testid=f"alloc-{name}",
            **props,
        )

    return rx.grid(
        rx.box(
            rx.input(
                name="uid-" + row["key"],
                value=row["uid"],
                on_change=lambda v: S.search_uid(row["key"], v),
                on_focus=S.search_uid(row["key"], row["uid"]),
                placeholder="Type a UID or description",
                auto_complete=False,
                size="2",
                width="100%",
                data_testid="alloc-uid",
            ),
            rx.cond(
                row["line"] != "",
                rx.text(
                    row["line"],
                    size="1",
                    color_scheme="gray",
                    overflow="hidden",
                    text_overflow="ellipsis",
                    white_space="nowrap",
                    data_testid="alloc-line",
                ),
            ),
            _choices(row),
            min_width="0",
        ),
        row_input("amount", input_mode="decimal", placeholder="0.00", style={"text-align": "right"}),
        row_input("service_start", type="date"),
        row_input("service_end", type="date"),
        rx.icon_button(
            rx.icon("trash-2", size=14),
            type="button",
            variant="ghost",
            color_scheme="gray",
            on_click=S.remove_row(row["key"]),
            aria_label="Remove this allocation",
            data_testid="alloc-remove",
        ),
        grid_template_columns=_ROW_GRID,
        gap="0.5rem",
        align_items="start",
        width="100%",
        key=row["key"],
        data_testid="alloc-row",
    )


def _total_bar() -> rx.Component:
    color = rx.match(S.total_state, *_TOTAL_COLORS.items(), "gray")
    return rx.hstack(
        rx.text("Allocated ", rx.text.strong(S.allocated), " of ", rx.text.strong(S.value_shown), size="2"),
        rx.badge(S.remaining, color_scheme=color, variant="soft", size="2", data_testid="alloc-remaining"),
        spacing="3",
        align="center",
        data_testid="alloc-total",
    )


def allocations() -> rx.Component:
    labels = ["Budget line (UID)", "Amount", "Service start", "Service end", ""]
    return rx.vstack(
        rx.grid(
            *[rx.text(label, size="1", weight="medium", color_scheme="gray") for label in labels],
            grid_template_columns=_ROW_GRID,
            gap="0.5rem",
            width="100%",
        ),
        rx.foreach(S.rows, _row),
        saved_hint(S, "allocations"),
        rx.hstack(
            rx.button(
                rx.icon("plus", size=14),
                "Add allocation",
                type="button",
                size="2",
                variant="soft",
                on_click=S.add_row,
                data_testid="alloc-add",
            ),
            rx.spacer(),
            _total_bar(),
            width="100%",
            align="center",
        ),
        rx.text(
            "Amounts are in the PO's currency and must add up to the PO value. Budget lines are those of the "
            "PO date's FY; service months (both or neither) spread the commitment, else it falls in the PO "
            "date's month.",
            size="1",
            color_scheme="gray",
        ),
        spacing="2",
        width="100%",
    )


def _card(title: str, body: rx.Component, test_id: str) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="3"), body, spacing="3", width="100%"),
        width="100%",
        data_testid=test_id,
    )


def po_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            save_banners(S.conflict, S.error, conflict_id="po-conflict", error_id="po-error"),
            _card("Purchase order", header_fields(), "po-header-card"),
            _card("Allocation to budget lines", allocations(), "po-alloc-card"),
            rx.hstack(
                rx.button(rx.icon("save", size=14), "Save", type="submit", size="2", data_testid="po-save"),
                rx.link(
                    rx.button("Cancel", type="button", size="2", variant="soft", color_scheme="gray"),
                    href=rx.cond(S.mode == "edit", routes.PO.url(po_id=S.po_ref), routes.POS.path),
                    underline="none",
                ),
                rx.cond(
                    S.mode == "new",
                    rx.text(
                        "A new PO is saved as a draft; submit it for approval from its page.",
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                spacing="2",
                align="center",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=S.save,
        reset_on_submit=False,
        width="100%",
        data_testid="po-form",
    )


def _page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            back_link("Purchase orders", routes.POS.path),
            rx.cond(S.mode == "edit", rx.heading(S.title, size="5", data_testid="po-form-title")),
            align="center",
            spacing="3",
        ),
        rx.cond(
            S.not_editable != "",
            rx.callout(S.not_editable, icon="lock", color_scheme="amber", data_testid="po-not-editable"),
            po_form(),
        ),
        spacing="3",
        width="100%",
    )


@app_page(routes.PO_NEW, on_load=[S.load])
def po_new_page() -> rx.Component:
    return _page()


@app_page(routes.PO_EDIT, on_load=[S.load])
def po_edit_page() -> rx.Component:
    return _page()
