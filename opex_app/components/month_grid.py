"""A dense figures-by-month table: one row per fiscal month (then e.g. 'Unphased' and 'Total'), one
right-aligned column per figure. Months as rows keep two-decimal amounts readable at laptop widths."""

from __future__ import annotations

from typing import Any

import reflex as rx

NUMBER_CELL = {"text_align": "right", "white_space": "nowrap", "font_variant_numeric": "tabular-nums"}


def month_table(
    rows: Any, columns: list[tuple[str, str]], *, test_id: str, label_header: str = "Month"
) -> rx.Component:
    """`rows`: a list Var of dicts of strings with 'label', 'kind' ('month' | 'extra' | 'total') and the
    `columns` keys [(key, header)]. The total row is bold and separated from the months."""

    def row_of(row: Any) -> rx.Component:
        is_total = row["kind"] == "total"
        weight = rx.cond(is_total, "700", "400")
        return rx.table.row(
            rx.table.row_header_cell(row["label"], white_space="nowrap", font_weight=rx.cond(is_total, "700", "500")),
            *[rx.table.cell(row[key], font_weight=weight, **NUMBER_CELL) for key, _ in columns],
            background=rx.cond(row["kind"] == "month", "transparent", rx.color("gray", 2)),
            data_testid=f"{test_id}-row",
        )

    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(label_header),
                *[rx.table.column_header_cell(header, **NUMBER_CELL) for _, header in columns],
            )
        ),
        rx.table.body(rx.foreach(rows, row_of)),
        size="1",
        variant="surface",
        width="100%",
        data_testid=test_id,
    )
