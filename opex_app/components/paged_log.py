"""The parts of a log's page (the audit trail, the activity log, the import history): a filters bar whose form
goes to the filtered view's address, the table of one page of rows, and the count with the pager under it.

`S` is a state with `rows`, `total`, `page_number`, `page_count` and `go_to_page(n)`; a filtered log's state
(state.url_log.UrlLogMixin) also has `warnings`, `view_key`, `apply_filter` and `clear_filters`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx

from opex_app.components.pager import pager
from opex_app.state.downloads import DownloadState

D: Any = DownloadState  # Reflex Vars and event specs, which mypy cannot see


def labelled(label: str, control: rx.Component) -> rx.Component:
    """A filter's control under its small grey label."""
    return rx.vstack(rx.text(label, size="1", color_scheme="gray"), control, spacing="1")


def filter_input(
    name: str, label: str, value: Any, *, test_prefix: str, placeholder: str = "", type_: str = "text"
) -> rx.Component:
    """A text or date filter, uncontrolled: it starts from the address's value (`value`)."""
    return labelled(
        label,
        rx.input(
            name=name,
            default_value=value,
            placeholder=placeholder,
            type=type_,
            size="1",
            data_testid=f"{test_prefix}-filter-{name}",
        ),
    )


def excel_export_button(on_click: Any, *, test_id: str) -> rx.Component:
    """Export the filtered view (`on_click`: a DownloadState background export) to Excel."""
    return rx.button(
        rx.icon("download", size=14),
        "Export to Excel",
        size="1",
        variant="soft",
        type="button",
        on_click=on_click,
        loading=D.busy,
        data_testid=test_id,
    )


def filters_bar(S: Any, filters: Sequence[rx.Component], *, export: rx.Component, test_prefix: str) -> rx.Component:
    """The filters, Filter (goes to the view's address), Clear and `export`; re-created for each new view."""
    return rx.form(
        rx.hstack(
            *filters,
            rx.button("Filter", type="submit", size="1", data_testid=f"{test_prefix}-filter-apply"),
            rx.button("Clear", type="button", size="1", variant="ghost", on_click=S.clear_filters),
            export,
            spacing="2",
            align="end",
            wrap="wrap",
        ),
        key=S.view_key,
        on_submit=S.apply_filter,
        width="100%",
    )


def data_table(
    rows: Any, headers: Sequence[str], row: Callable[[Any], rx.Component], *, test_id: str | None = None
) -> rx.Component:
    """A compact table: `headers`, then `row(r)` for each of `rows` (a list Var)."""
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(rx.foreach(rows, row)),
        size="1",
        variant="surface",
        width="100%",
        **({"data_testid": test_id} if test_id else {}),
    )


def log_table(
    S: Any, columns: Sequence[tuple[str, str]], cell: Callable[[Any, str], rx.Component], *, test_prefix: str
) -> rx.Component:
    """`columns` (key, header) of `S.rows`, each cell made by `cell(row, key)`."""
    return data_table(
        S.rows,
        [header for _, header in columns],
        lambda row: rx.table.row(*[cell(row, key) for key, _ in columns], data_testid=f"{test_prefix}-row"),
        test_id=f"{test_prefix}-table",
    )


def count_and_pager(
    S: Any, noun: str, *, test_id_prefix: str, count_test_id: str | None = None, first_last: bool = False
) -> rx.Component:
    """'12 events · page 1 of 1' (`noun` and its plural in s), then the pager's buttons."""
    count = rx.text(
        S.total,
        rx.cond(S.total == 1, f" {noun}", f" {noun}s"),
        " · page ",
        S.page_number,
        " of ",
        S.page_count,
        size="2",
        color_scheme="gray",
        **({"data_testid": count_test_id} if count_test_id else {}),
    )
    return pager(S, count, test_id_prefix=test_id_prefix, first_last=first_last)


def filtered_log(S: Any, filters: rx.Component, table: rx.Component, *, test_prefix: str) -> rx.Component:
    """A filtered log's page: its filters bar, what of the address was ignored, the table, the count and pager."""
    return rx.vstack(
        filters,
        rx.foreach(
            S.warnings,
            lambda w: rx.callout(w, icon="triangle-alert", color_scheme="amber", size="1", width="100%"),
        ),
        table,
        count_and_pager(S, "event", test_id_prefix=test_prefix, count_test_id=f"{test_prefix}-count", first_last=True),
        spacing="3",
        width="100%",
    )
