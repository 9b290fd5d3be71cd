"""Reusable display pieces: KPI cards and a simple data table."""

from __future__ import annotations

import reflex as rx


def kpi_card(label: rx.Var | str, value: rx.Var | str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="1", color_scheme="gray", weight="medium"),
            rx.text(value, size="6", weight="bold"),
            spacing="1",
        ),
        min_width="10rem",
        flex="1",
    )


def data_table(
    columns: list[tuple[str, str]],
    rows: rx.Var | list,
    *,
    test_id: str,
    numeric: frozenset[str] | set[str] = frozenset(),
) -> rx.Component:
    """A dense table of `rows` (list of dicts of strings); `columns` is [(key, header)]."""
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(header, text_align="right" if key in numeric else "left")
                    for key, header in columns
                ]
            )
        ),
        rx.table.body(
            rx.foreach(
                rows,
                lambda row: rx.table.row(
                    *[
                        rx.table.cell(row[key], text_align="right" if key in numeric else "left", white_space="nowrap")
                        for key, _ in columns
                    ]
                ),
            )
        ),
        size="1",
        variant="surface",
        width="100%",
        data_testid=test_id,
    )
