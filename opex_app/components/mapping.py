"""Column mapping UI of the import page: the editor (one drop-down per file header) and the list of saved
mapping profiles with rename and delete. `S` is the page's state class (ImportState), `P` its mapping-profiles
substate (ImportProfilesState), which also reads the page state's vars (`P.profiles`)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app.state.import_mapping import IGNORE, MONTH


def _field_select(S: Any, row: Any, index: Any) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(
            placeholder="— ignore —",
            width="100%",
            data_testid="map-" + index.to_string(),
        ),
        rx.select.content(
            rx.cond(row["month"] != "", rx.select.item("— month column —", value=MONTH)),
            rx.select.item("— ignore —", value=IGNORE),
            rx.select.separator(),
            rx.foreach(S.field_options, lambda option: rx.select.item(option["label"], value=option["value"])),
        ),
        value=row["field"],
        on_change=lambda value: S.map_column(row["index"], value),
        size="1",
    )


def _mapping_row(S: Any, row: Any, index: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["header"], weight="medium", size="2"), white_space="nowrap"),
        rx.table.cell(_field_select(S, row, index), min_width="14rem"),
        rx.table.cell(rx.text(row["note"], size="1", color_scheme="gray")),
        align="center",
    )


def mapping_editor(S: Any, P: Any) -> rx.Component:
    """Which field each column of the file is: apply to preview again, or save as a named profile."""
    return rx.cond(
        S.mapping_open & (S.mapping_rows.length() > 0),
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("columns-3", size=18),
                    rx.heading("Column mapping", size="3"),
                    rx.spacer(),
                    rx.icon_button(
                        rx.icon("x", size=14),
                        variant="ghost",
                        size="1",
                        color_scheme="gray",
                        on_click=S.toggle_mapping,
                        aria_label="Close the column mapping",
                    ),
                    align="center",
                    width="100%",
                ),
                rx.text(
                    "Set the field each column of the file holds. Columns recognised by their name need nothing; "
                    "month columns are read as months.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.scroll_area(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("Column in the file"),
                                rx.table.column_header_cell("Field"),
                                rx.table.column_header_cell(""),
                            )
                        ),
                        rx.table.body(rx.foreach(S.mapping_rows, lambda row, i: _mapping_row(S, row, i))),
                        size="1",
                        variant="ghost",
                        width="100%",
                    ),
                    type="auto",
                    scrollbars="vertical",
                    max_height="24rem",
                ),
                rx.cond(
                    S.mapping_error != "",
                    rx.callout(
                        S.mapping_error,
                        icon="triangle-alert",
                        color_scheme="red",
                        size="1",
                        width="100%",
                        data_testid="mapping-error",
                    ),
                ),
                rx.hstack(
                    rx.button(
                        rx.icon("play", size=14),
                        "Apply mapping",
                        on_click=S.apply_mapping,
                        loading=S.busy,
                        data_testid="mapping-apply",
                    ),
                    rx.spacer(),
                    rx.input(
                        placeholder="Profile name, e.g. Finance tracker",
                        value=P.profile_name,
                        on_change=P.set_profile_name,
                        size="2",
                        width="16rem",
                        data_testid="profile-name",
                    ),
                    rx.button(
                        rx.icon("bookmark-plus", size=14),
                        "Save as profile",
                        variant="soft",
                        on_click=P.save_profile,
                        disabled=P.profile_name.strip() == "",
                        data_testid="profile-save",
                    ),
                    align="center",
                    width="100%",
                    wrap="wrap",
                    spacing="2",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            data_testid="mapping-editor",
        ),
    )


def _profile_row(P: Any, profile: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(profile["name"], weight="medium"), white_space="nowrap"),
        rx.table.cell(rx.text(profile["columns"], size="1")),
        rx.table.cell(rx.text(profile["updated"], size="1", color_scheme="gray")),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    rx.icon("pencil", size=12),
                    "Rename",
                    size="1",
                    variant="ghost",
                    on_click=P.begin_rename(profile["id"], profile["name"]),
                    data_testid="profile-rename",
                ),
                rx.button(
                    rx.icon("trash-2", size=12),
                    "Delete",
                    size="1",
                    variant="ghost",
                    color_scheme="red",
                    on_click=P.ask_delete(profile["id"], profile["name"]),
                    data_testid="profile-delete",
                ),
                spacing="2",
            ),
            white_space="nowrap",
        ),
        data_testid="profile-row",
    )


def _rename_dialog(P: Any) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Rename mapping profile"),
            rx.vstack(
                rx.input(
                    value=P.rename_text, on_change=P.set_rename_text, width="100%", data_testid="profile-new-name"
                ),
                rx.hstack(
                    rx.button("Cancel", variant="soft", color_scheme="gray", on_click=P.cancel_rename),
                    rx.button("Rename", on_click=P.confirm_rename, data_testid="profile-rename-confirm"),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
            ),
            max_width="28rem",
        ),
        open=P.renaming_id != 0,
        on_open_change=lambda _: P.cancel_rename(),
    )


def _delete_dialog(P: Any) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete mapping profile"),
            rx.alert_dialog.description(
                "Delete the profile '", P.deleting_name, "'? Files it fits will need their columns mapped again."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button(
                    "Delete", color_scheme="red", on_click=P.confirm_delete, data_testid="profile-delete-confirm"
                ),
                justify="end",
                spacing="2",
                margin_top="1rem",
            ),
            max_width="28rem",
        ),
        open=P.deleting_id != 0,
        on_open_change=lambda _: P.cancel_delete(),
    )


def profiles_panel(P: Any) -> rx.Component:
    """The kind's saved mapping profiles (collapsed until opened)."""
    return rx.vstack(
        rx.button(
            rx.cond(P.profiles_open, rx.icon("chevron-down", size=14), rx.icon("chevron-right", size=14)),
            "Mapping profiles (",
            P.profiles.length(),
            ")",
            variant="ghost",
            color_scheme="gray",
            on_click=P.toggle_profiles,
            data_testid="profiles-toggle",
        ),
        rx.cond(
            P.profiles_open,
            rx.cond(
                P.profiles.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Name"),
                            rx.table.column_header_cell("Columns"),
                            rx.table.column_header_cell("Last changed"),
                            rx.table.column_header_cell(""),
                        )
                    ),
                    rx.table.body(rx.foreach(P.profiles, lambda p: _profile_row(P, p))),
                    size="1",
                    variant="surface",
                    width="100%",
                    data_testid="profiles-list",
                ),
                rx.text(
                    "No mapping profiles yet: map a file's columns, then save the mapping as a profile.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
        ),
        _rename_dialog(P),
        _delete_dialog(P),
        spacing="2",
        width="100%",
        align="start",
    )
