"""Budget lines grid: filters, search, sorting and paging done by the database; the view lives in the URL."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.downloads import export_button, template_button
from opex_app.components.layout import ACCENT, app_page
from opex_app.components.month_grid import NUMBER_CELL
from opex_app.components.pager import pager as pager_controls
from opex_app.state.budget_grid import ANY, COLUMN_LABELS, FIGURE_FIELDS, MONTH_COLUMNS, TEXT_COLUMNS, BudgetGridState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = BudgetGridState

_TRUNCATE = {"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap"}
_WIDTHS = {"description": "14rem", "tower": "8rem", "budget_head": "8rem", "cost_centre": "8rem", "vendor": "8rem"}
_HEADER_BG = rx.color("gray", 2)
_PANEL_BG = "var(--color-panel-solid)"
# The UID column stays in view while the months scroll sideways; the header stays while rows scroll.
_STICKY_LEFT = {"position": "sticky", "left": "0", "z_index": "1"}
_STICKY_TOP = {"position": "sticky", "top": "0", "z_index": "2", "background": _HEADER_BG}


def _filter_select(name: str, label: str, choices: Any, value: Any, *, any_label: str | None) -> rx.Component:
    items = [rx.select.item(any_label, value=ANY)] if any_label else []
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray", weight="medium"),
        rx.select.root(
            rx.select.trigger(placeholder=any_label or label, max_width="13rem", data_testid=f"filter-{name}"),
            rx.select.content(*items, rx.foreach(choices, lambda c: rx.select.item(c, value=c))),
            value=rx.cond(value == "", ANY, value),
            on_change=lambda v: S.set_filter(name, v),
            size="1",
        ),
        spacing="1",
    )


def toolbar() -> rx.Component:
    s = S
    return rx.hstack(
        _filter_select("fy", "Fiscal year", s.fy_names, s.fy, any_label=None),
        _filter_select("tower", COLUMN_LABELS["tower"], s.tower_names, s.tower, any_label="All towers"),
        _filter_select("budget_head", COLUMN_LABELS["budget_head"], s.head_names, s.budget_head, any_label="All heads"),
        _filter_select(
            "cost_centre",
            COLUMN_LABELS["cost_centre"],
            s.cost_centre_names,
            s.cost_centre,
            any_label="All cost centres",
        ),
        _filter_select("vendor", COLUMN_LABELS["vendor"], s.vendor_names, s.vendor, any_label="All vendors"),
        rx.form(
            rx.hstack(
                rx.input(
                    name="search",
                    default_value=s.search,
                    key=s.search,
                    placeholder="UID or description",
                    size="1",
                    width="12rem",
                    data_testid="grid-search",
                ),
                rx.button(rx.icon("search", size=14), "Search", type="submit", size="1", variant="soft"),
                rx.button(
                    "Clear",
                    type="button",
                    size="1",
                    variant="ghost",
                    on_click=s.clear_filters,
                    data_testid="grid-clear",
                ),
                spacing="2",
                align="center",
            ),
            on_submit=s.apply_search,
            reset_on_submit=False,
            width="auto",
        ),
        rx.spacer(),
        _downloads(),
        spacing="3",
        align="end",
        wrap="wrap",
        width="100%",
        data_testid="grid-toolbar",
    )


def _downloads() -> rx.Component:
    """Export exactly the view on screen, or fetch the blank import template of its FY."""
    view = {name: getattr(S, name) for name in ("fy", "tower", "budget_head", "cost_centre", "vendor", "search")}
    return rx.hstack(export_button(view), template_button(S.fy, test_id="grid-template"), spacing="2")


def _sort_header(key: str, label: Any, *, numeric: bool) -> rx.Component:
    s = S
    arrow = rx.cond(
        s.sort_key == key,
        rx.icon(rx.cond(s.descending, "arrow-down", "arrow-up"), size=12),
        rx.fragment(),
    )
    sticky = {**_STICKY_TOP, "left": "0", "z_index": "3"} if key == "uid" else _STICKY_TOP
    return rx.table.column_header_cell(
        rx.hstack(
            label,
            arrow,
            spacing="1",
            align="center",
            justify="end" if numeric else "start",
        ),
        on_click=s.sort_by(key),
        cursor="pointer",
        user_select="none",
        white_space="nowrap",
        text_align="right" if numeric else "left",
        _hover={"background": rx.color(ACCENT, 3)},
        data_testid=f"sort-{key}",
        **sticky,
    )


def _figure_headers() -> list[tuple[str, Any]]:
    return [
        ("fig_budget", rx.text("Budget (", S.base_currency, ")")),
        ("fig_committed", "Committed"),
        ("fig_actual", "Actual"),
        ("fig_available", "Available"),
    ]


def _figure_header(key: str, label: Any) -> rx.Component:
    """A figures-model column: the line's FY figure in base currency (not sortable: computed per page)."""
    return rx.table.column_header_cell(
        label,
        white_space="nowrap",
        text_align="right",
        title="This line's FY figure in base currency (budget at the budget rate; committed; actual; available)",
        data_testid=f"head-{key}",
        **_STICKY_TOP,
    )


def _row(row: Any) -> rx.Component:
    cells = [
        rx.table.cell(
            rx.link(
                row["uid"], href=routes.BUDGET_LINE.url(line_id=row["id"]), weight="medium", data_testid="grid-uid"
            ),
            white_space="nowrap",
            background=_PANEL_BG,
            **_STICKY_LEFT,
        )
    ]
    for key, _ in TEXT_COLUMNS[1:]:
        cells.append(rx.table.cell(row[key], title=row[key], max_width=_WIDTHS[key], **_TRUNCATE))
    cells += [rx.table.cell(row[m], **NUMBER_CELL) for m in MONTH_COLUMNS]
    cells.append(rx.table.cell(row["total"], **NUMBER_CELL, font_weight="600"))
    cells += [rx.table.cell(row[key], **NUMBER_CELL, data_testid=f"grid-{key}") for key in FIGURE_FIELDS]
    return rx.table.row(*cells, data_testid="grid-row")


def _totals_row() -> rx.Component:
    s = S
    return rx.table.row(
        rx.table.cell(rx.text("Total", weight="bold"), background=rx.color(ACCENT, 2), **_STICKY_LEFT),
        rx.table.cell(
            rx.text(s.total_count, " lines", color_scheme="gray", white_space="nowrap"),
            col_span=len(TEXT_COLUMNS) - 1,
        ),
        *[rx.table.cell(s.totals[m], **NUMBER_CELL, font_weight="bold") for m in MONTH_COLUMNS],
        rx.table.cell(s.totals["total"], **NUMBER_CELL, font_weight="bold", data_testid="totals-total"),
        *[rx.table.cell("") for _ in FIGURE_FIELDS],  # per line only: totalling them would read every line
        background=rx.color(ACCENT, 2),
        data_testid="totals-row",
    )


def grid() -> rx.Component:
    s = S
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[_sort_header(key, label, numeric=False) for key, label in TEXT_COLUMNS],
                *[_sort_header(m, s.month_labels[i], numeric=True) for i, m in enumerate(MONTH_COLUMNS)],
                _sort_header("total", "Total", numeric=True),
                *[_figure_header(key, label) for key, label in _figure_headers()],
            )
        ),
        rx.table.body(_totals_row(), rx.foreach(s.rows, _row)),
        size="1",
        variant="surface",
        width="100%",
        # Radix scrolls the table in its own viewport: cap its height so the header can stick, and let
        # the table itself not clip (an overflow: hidden ancestor would stop position: sticky).
        style={
            "& .rt-ScrollAreaViewport": {"max_height": "calc(100vh - 13rem)"},
            "& .rt-TableRootTable": {"overflow": "visible"},
        },
        data_testid="budget-grid",
    )


def pager() -> rx.Component:
    return pager_controls(
        S,
        rx.text(
            "Page ",
            S.page_number,
            " of ",
            S.page_count,
            " · ",
            S.total_count,
            " lines",
            size="2",
            color_scheme="gray",
            data_testid="grid-page-info",
        ),
        test_id_prefix="grid",
        first_last=True,
    )


@app_page(routes.BUDGETS, on_load=[S.load])
def budgets_page() -> rx.Component:
    s = S
    return rx.vstack(
        toolbar(),
        rx.cond(
            s.error != "",
            rx.callout(s.error, icon="triangle-alert", color_scheme="red", size="1", data_testid="grid-error"),
        ),
        grid(),
        rx.cond(
            s.total_count == 0,
            rx.text("No budget lines match this view.", size="2", color_scheme="gray", data_testid="grid-empty"),
        ),
        pager(),
        spacing="3",
        width="100%",
    )
