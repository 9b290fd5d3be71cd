"""Variance report: one row per member of a level for a period, flagged rows asking for a comment, the totals
row always shown, a Download of the same report as the CLI's workbook, and the Admin's thresholds form."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.layout import ACCENT, app_page
from opex_app.components.month_grid import NUMBER_CELL
from opex_app.components.pager import pager
from opex_app.state.base import AppState
from opex_app.state.downloads import DownloadState
from opex_app.state.variance import AMOUNT_COLUMNS, LEVEL_CHOICES, VarianceDownloadState, VarianceState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = VarianceState
A: Any = AppState
D: Any = VarianceDownloadState

VALUE_HEADERS = [
    ("budget", "Budget"),
    ("committed", "Committed"),
    ("actual", "Actual"),
    ("available", "Available"),
    ("variance", "Variance"),
    ("variance_pct", "Variance %"),
    ("outturn", "Forecast outturn"),
    ("outturn_variance", "Outturn variance"),
]
assert {k for k, _ in VALUE_HEADERS} == {*AMOUNT_COLUMNS, "variance_pct"}
FLAGGED_BG = rx.color("amber", 3)


def _labelled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color_scheme="gray", weight="medium"), control, spacing="1")


def _select(name: str, label: str, items: list[rx.Component] | rx.Component, value: Any) -> rx.Component:
    return _labelled(
        label,
        rx.select.root(
            rx.select.trigger(max_width="12rem", data_testid=f"variance-{name}"),
            rx.select.content(*(items if isinstance(items, list) else [items])),
            value=value,
            on_change=lambda v: S.choose(name, v),
            size="1",
        ),
    )


def _download() -> rx.Component:
    view = {"fy": S.fy, "level": S.level, "period": S.period, "as_of": S.as_of}
    return rx.button(
        rx.icon("download", size=14),
        "Download",
        size="2",
        variant="soft",
        on_click=D.export_variance(view),
        loading=DownloadState.busy,
        data_testid="variance-download",
    )


def toolbar() -> rx.Component:
    return rx.hstack(
        _select("fy", "Fiscal year", rx.foreach(S.fy_names, lambda n: rx.select.item(n, value=n)), S.fy),
        _select("level", "Level", [rx.select.item(text, value=key) for key, text in LEVEL_CHOICES], S.level),
        _select(
            "period",
            "Period",
            rx.foreach(S.period_options, lambda o: rx.select.item(o[1], value=o[0])),
            S.period,
        ),
        rx.form(
            _labelled(
                "As of",
                rx.hstack(
                    rx.input(
                        name="as_of",
                        type="date",
                        default_value=S.as_of,
                        key=S.as_of,
                        size="1",
                        data_testid="variance-as-of",
                    ),
                    rx.button("Apply", type="submit", size="1", variant="soft", data_testid="variance-as-of-apply"),
                    spacing="2",
                ),
            ),
            on_submit=S.apply_as_of,
            reset_on_submit=False,
            width="auto",
        ),
        rx.spacer(),
        _download(),
        spacing="3",
        align="end",
        wrap="wrap",
        width="100%",
    )


def _comment_editor(row: Any) -> rx.Component:
    return rx.form(
        rx.el.input(type="hidden", name="member", value=row["member"], read_only=True),
        rx.hstack(
            rx.input(
                name="comment",
                default_value=row["comment"],
                placeholder="Why is this member off budget?",
                max_length=2000,
                size="1",
                width="100%",
                data_testid="variance-comment-input",
            ),
            rx.button("Save", type="submit", size="1", variant="soft", data_testid="variance-comment-save"),
            spacing="2",
            width="100%",
        ),
        on_submit=S.save_comment,  # the member comes in the form: a row var is not in the submit handler's scope
        reset_on_submit=False,
        key=row["member"] + "|" + row["comment"],
        width="100%",
    )


def _comment_cell(row: Any) -> rx.Component:
    editable = A.can_edit_budget & ((row["flagged"] == "1") | (row["comment"] != ""))
    shown = rx.cond(
        row["comment"] != "",
        rx.text(row["comment"], size="2", data_testid="variance-comment-text"),
        rx.cond(row["flagged"] == "1", rx.text("Comment needed", size="1", color_scheme="amber"), rx.fragment()),
    )
    who = rx.cond(
        row["comment_by"] != "",
        rx.text(
            row["comment_by"], ", ", row["comment_at"], size="1", color_scheme="gray", data_testid="variance-comment-by"
        ),
        rx.fragment(),
    )
    return rx.table.cell(
        rx.vstack(rx.cond(editable, _comment_editor(row), shown), who, spacing="1", width="100%"),
        min_width="16rem",
    )


def _row(row: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["member"], white_space="nowrap", font_weight="500", data_testid="variance-member"),
        *[rx.table.cell(row[key], **NUMBER_CELL) for key, _ in VALUE_HEADERS],
        _comment_cell(row),
        background=rx.cond(row["flagged"] == "1", FLAGGED_BG, "transparent"),
        data_flagged=row["flagged"],
        data_testid="variance-row",
    )


def _totals_row() -> rx.Component:
    t = S.totals
    return rx.table.row(
        rx.table.cell(rx.text("Total", weight="bold")),
        *[rx.table.cell(t[key], **NUMBER_CELL, font_weight="bold") for key, _ in VALUE_HEADERS],
        rx.table.cell(""),
        background=rx.color(ACCENT, 2),
        data_testid="variance-totals",
    )


def report_table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(S.level_label),
                *[
                    rx.table.column_header_cell(
                        rx.text(label, " (", S.base_currency, ")") if key == "budget" else label,
                        text_align="right",
                    )
                    for key, label in VALUE_HEADERS
                ],
                rx.table.column_header_cell("Comment"),
            )
        ),
        rx.table.body(rx.foreach(S.rows, _row), rx.cond(S.member_count > 0, _totals_row(), rx.fragment())),
        size="1",
        variant="surface",
        width="100%",
        data_testid="variance-table",
    )


def thresholds_form() -> rx.Component:
    """Admin only (MANAGE_MASTERS, checked again on the server)."""
    form = rx.form(
        rx.hstack(
            _labelled(
                "Flag over %",
                rx.input(
                    name="pct",
                    default_value=S.pct_threshold,
                    key=S.pct_threshold,
                    size="1",
                    width="6rem",
                    data_testid="thresholds-pct",
                ),
            ),
            _labelled(
                "and over amount",
                rx.input(
                    name="amount",
                    default_value=S.amount_threshold,
                    key=S.amount_threshold,
                    size="1",
                    width="9rem",
                    data_testid="thresholds-amount",
                ),
            ),
            rx.button("Save thresholds", type="submit", size="1", variant="soft", data_testid="thresholds-save"),
            spacing="3",
            align="end",
        ),
        rx.cond(
            S.thresholds_error != "",
            rx.text(S.thresholds_error, color_scheme="red", size="1", data_testid="thresholds-error"),
        ),
        on_submit=S.save_thresholds,
        reset_on_submit=False,
    )
    return rx.cond(S.can_set_thresholds, form, rx.fragment())


def summary() -> rx.Component:
    return rx.text(
        S.fy,
        " · ",
        S.period_label,
        " · as of ",
        S.as_of,
        " · ",
        S.member_count,
        " members · ",
        S.flagged_count,
        " flagged (",
        S.thresholds_text,
        ")",
        size="2",
        color_scheme="gray",
        data_testid="variance-summary",
    )


@app_page(routes.VARIANCE, on_load=[S.load])
def variance_page() -> rx.Component:
    info = rx.text("Page ", S.page_number, " of ", S.page_count, size="2", color_scheme="gray")
    return rx.vstack(
        toolbar(),
        rx.cond(S.notice != "", rx.callout(S.notice, icon="info", size="1", data_testid="variance-notice")),
        rx.cond(
            S.error != "",
            rx.callout(S.error, icon="triangle-alert", color_scheme="red", size="1", data_testid="variance-error"),
        ),
        summary(),
        report_table(),
        pager(S, info, test_id_prefix="variance", first_last=True),
        thresholds_form(),
        spacing="3",
        width="100%",
    )
