"""Import page (Analyst): pick what to import, drop a file, map its columns if it needs it (or let a saved
mapping profile do it), see the preview with every warning and wrong cell, then commit."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.cards import data_table, kpi_card
from opex_app.components.downloads import template_button
from opex_app.components.layout import ACCENT, app_page
from opex_app.components.mapping import mapping_editor, profiles_panel
from opex_app.state.import_profiles import ImportProfilesState
from opex_app.state.imports import UPLOAD_ID, ImportState

S: Any = ImportState  # handlers are called with event args in the page, which mypy cannot follow
P: Any = ImportProfilesState  # saving, listing, renaming and deleting mapping profiles

SUMMARY = [
    ("rows_total", "Rows"),
    ("rows_accepted", "Accepted"),
    ("rows_rejected", "Rejected"),
    ("rows_skipped", "Skipped rows"),
    ("lines_created", "New lines"),
    ("lines_updated", "Changed lines"),
    ("lines_unchanged", "Unchanged"),
    ("masters_created", "New masters"),
]
ERROR_HEADERS = [
    ("ref", "Cell"),
    ("row", "Row"),
    ("column", "Column"),
    ("value", "Value found"),
    ("message", "What is wrong"),
]


def _section(title: Any, *children: rx.Component, test_id: str, **props: Any) -> rx.Component:
    return rx.vstack(rx.heading(title, size="3", **props), *children, spacing="2", width="100%", data_testid=test_id)


def _controls() -> rx.Component:
    return rx.hstack(
        rx.text("Import", size="2"),
        rx.select.root(
            rx.select.trigger(data_testid="import-kind", min_width="10rem"),
            rx.select.content(
                rx.foreach(S.kind_choices, lambda k: rx.select.item(k["label"], value=k["kind"])),
            ),
            value=S.kind,
            on_change=S.pick_kind,
            size="2",
            disabled=S.busy,
        ),
        rx.text("Fiscal year", size="2"),
        rx.select(S.fy_choices, value=S.fy_name, on_change=S.pick_fy, size="2", disabled=S.busy),
        rx.hstack(
            rx.switch(
                checked=S.skip_invalid, on_change=S.set_skip_invalid, disabled=S.busy, data_testid="skip-invalid"
            ),
            rx.text("Import the valid rows", size="2"),
            align="center",
            spacing="2",
        ),
        rx.spacer(),
        rx.cond(S.has_template, template_button(S.template_fy, test_id="import-template")),
        rx.button(
            "Start over", variant="soft", color_scheme="gray", on_click=S.start_over, data_testid="import-start-over"
        ),
        align="center",
        spacing="3",
        width="100%",
        wrap="wrap",
    )


def _dropzone() -> rx.Component:
    return rx.upload.root(
        rx.vstack(
            rx.icon("file-spreadsheet", size=32, color=rx.color(ACCENT, 9)),
            rx.text("Drop a workbook here, or click to choose one", weight="medium"),
            rx.text(
                "The first sheet with a table of the chosen kind is read. Nothing is written until you commit.",
                size="1",
                color_scheme="gray",
            ),
            rx.foreach(rx.selected_files(UPLOAD_ID), lambda f: rx.badge(f, size="2")),
            align="center",
            spacing="2",
        ),
        id=UPLOAD_ID,
        accept={
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx", ".xlsm"],
            "application/vnd.ms-excel.sheet.binary.macroEnabled.12": [".xlsb"],
            "application/vnd.ms-excel": [".xls"],
            "application/vnd.oasis.opendocument.spreadsheet": [".ods"],
            "text/csv": [".csv"],
        },
        max_files=1,
        multiple=False,
        on_drop=S.handle_upload(rx.upload_files(upload_id=UPLOAD_ID, on_upload_progress=S.track_upload)),
        border=f"2px dashed {rx.color(ACCENT, 7)}",
        border_radius="10px",
        padding="1.5rem",
        width="100%",
        cursor="pointer",
        data_testid="upload-dropzone",
    )


def _status() -> rx.Component:
    return rx.vstack(
        rx.cond(
            (S.upload_progress > 0) & (S.upload_progress < 100),
            rx.progress(value=S.upload_progress, width="100%", data_testid="upload-progress"),
        ),
        rx.cond(
            S.busy,
            rx.vstack(
                rx.hstack(rx.spinner(), rx.text(S.message), align="center"),
                rx.progress(width="100%"),
                width="100%",
                data_testid="import-busy",
            ),
        ),
        rx.cond(
            ~S.busy & (S.message != ""),
            rx.callout(
                S.message,
                icon=rx.match(S.message_tone, ("green", "check"), ("blue", "info"), "triangle-alert"),
                color_scheme=S.message_tone,
                width="100%",
                data_testid="import-message",
            ),
        ),
        rx.cond(
            S.profile_note != "",
            rx.callout(S.profile_note, icon="info", color_scheme="amber", size="1", width="100%"),
        ),
        width="100%",
    )


def _profile_applied() -> rx.Component:
    return rx.cond(
        S.applied_profile != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("bookmark-check")),
            rx.hstack(
                rx.text("Mapping profile ", rx.text.strong("'", S.applied_profile, "'"), " applied", size="2"),
                rx.text(S.applied_mapping, size="1", color_scheme="gray"),
                rx.spacer(),
                rx.button(
                    "Clear",
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    on_click=S.clear_profile,
                    disabled=S.busy,
                    data_testid="profile-clear",
                ),
                align="center",
                spacing="3",
                width="100%",
                wrap="wrap",
            ),
            color_scheme="teal",
            size="1",
            width="100%",
            data_testid="profile-applied",
        ),
    )


def _warnings() -> rx.Component:
    return rx.cond(
        S.warning_count > 0,
        _section(
            rx.hstack(rx.icon("triangle-alert", size=16), rx.text("Warnings (", S.warning_count, ")"), align="center"),
            rx.text(
                "Read with a doubt or left out; they do not stop the import.",
                size="1",
                color_scheme="gray",
            ),
            rx.scroll_area(
                rx.vstack(
                    rx.foreach(
                        S.warnings,
                        lambda w: rx.hstack(
                            rx.code(w["ref"], size="1", white_space="nowrap", variant="ghost"),
                            rx.text(w["message"], size="2"),
                            spacing="3",
                            align="baseline",
                        ),
                    ),
                    spacing="1",
                    padding="0.5rem 0.75rem",
                ),
                type="auto",
                scrollbars="vertical",
                max_height="12rem",
                border=f"1px solid {rx.color('amber', 6)}",
                background=rx.color("amber", 2),
                border_radius="8px",
            ),
            rx.cond(
                S.warning_count > S.warnings.length(),
                rx.text("The first ", S.warnings.length(), " are listed.", size="1", color_scheme="gray"),
            ),
            test_id="import-warnings",
            color_scheme="amber",
        ),
    )


def _summary() -> rx.Component:
    return rx.cond(
        S.has_preview,
        rx.vstack(
            rx.hstack(
                rx.text(S.file_name, " → ", S.summary["fiscal_year"], weight="medium"),
                rx.spacer(),
                rx.button(
                    rx.icon("columns-3", size=14),
                    rx.cond(S.mapping_open, "Hide column mapping", "Map columns"),
                    size="2",
                    variant="soft",
                    on_click=S.toggle_mapping,
                    data_testid="mapping-open",
                ),
                width="100%",
                align="center",
            ),
            rx.grid(
                *[kpi_card(label, S.summary[key]) for key, label in SUMMARY],
                # four to a row when there is room, fewer (at least 10rem each) on narrow screens
                grid_template_columns="repeat(auto-fill, minmax(max(10rem, calc(25% - 0.5rem)), 1fr))",
                gap="0.5rem",
                width="100%",
                data_testid="import-summary",
            ),
            rx.button(
                "Commit import",
                size="3",
                disabled=~S.can_commit,
                on_click=S.commit,
                loading=S.busy,
                data_testid="import-commit",
            ),
            spacing="3",
            width="100%",
        ),
    )


def _errors() -> rx.Component:
    header = rx.table.row(
        *[
            rx.table.column_header_cell(
                rx.hstack(rx.text(label), rx.cond(S.error_sort == key, rx.icon("arrow-down", size=12)), align="center"),
                on_click=S.sort_errors(key),
                cursor="pointer",
            )
            for key, label in ERROR_HEADERS
        ]
    )
    return rx.cond(
        S.error_count > 0,
        rx.vstack(
            rx.hstack(
                rx.heading(S.error_count, " cell(s) need fixing", size="3", color_scheme="red"),
                rx.spacer(),
                rx.button(
                    rx.icon("download", size=14),
                    "Error report (.xlsx)",
                    variant="soft",
                    size="2",
                    on_click=S.download_errors,
                    data_testid="import-error-report",
                ),
                width="100%",
                align="center",
            ),
            rx.table.root(
                rx.table.header(header),
                rx.table.body(
                    rx.foreach(S.errors, lambda e: rx.table.row(*[rx.table.cell(e[key]) for key, _ in ERROR_HEADERS]))
                ),
                size="1",
                variant="surface",
                width="100%",
                data_testid="import-errors",
            ),
            rx.cond(
                S.error_count > S.errors.length(),
                rx.text(
                    "The first ",
                    S.errors.length(),
                    " are listed; the error report has them all.",
                    size="1",
                    color_scheme="gray",
                ),
            ),
            spacing="2",
            width="100%",
        ),
    )


def _changes() -> rx.Component:
    return rx.cond(
        S.change_count > 0,
        _section(
            rx.text("Changed cells (", S.change_count, ")"),
            data_table(
                [("key", "Key"), ("field", "Field"), ("before", "Stored"), ("after", "In the file")],
                S.changes,
                test_id="import-changes",
            ),
            test_id="import-changes-section",
        ),
    )


def _details() -> rx.Component:
    """New masters, lines not in the file, and what was read: the small print of the preview."""
    return rx.cond(
        S.has_preview,
        rx.vstack(
            rx.cond(
                S.new_masters.length() > 0,
                _section(
                    "New masters",
                    rx.foreach(
                        S.new_masters,
                        lambda m: rx.text(rx.text.strong(m["kind"], ": "), m["names"], size="2"),
                    ),
                    test_id="import-masters",
                ),
            ),
            rx.cond(
                S.missing != "",
                _section("Not in this file", rx.text(S.missing, size="2"), test_id="import-missing"),
            ),
            _section(
                "What was read",
                rx.data_list.root(
                    rx.foreach(
                        S.read_facts,
                        lambda f: rx.data_list.item(
                            rx.data_list.label(f["label"], min_width="9rem"),
                            rx.data_list.value(f["value"]),
                        ),
                    ),
                    size="2",
                ),
                test_id="import-read",
            ),
            spacing="4",
            width="100%",
        ),
    )


@app_page(routes.IMPORT, on_load=[S.prepare])
def import_page() -> rx.Component:
    return rx.vstack(
        _controls(),
        rx.cond(
            S.kind == "actuals",
            rx.callout(
                "Amounts are net of recoverable tax (GST/VAT input credit): import the amount that hits the budget.",
                icon="info",
                color_scheme="blue",
                size="1",
                width="100%",
                data_testid="import-net-of-tax",
            ),
        ),
        _dropzone(),
        _status(),
        _profile_applied(),
        mapping_editor(S, P),
        _warnings(),
        _summary(),
        _errors(),
        _changes(),
        _details(),
        profiles_panel(P),
        spacing="4",
        width="100%",
        max_width="80rem",
    )
