"""Pieces of a record's detail page (budget line, PO, actual): a titled card, the label/value facts grid and
the history table (when, who, what changed), one copy for every detail page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx


def back_link(label: str, href: str, *, test_id: str | None = None) -> rx.Component:
    """The '← Budget lines' link at the top of a detail page, back to the list it was opened from."""
    props = {"data_testid": test_id} if test_id else {}
    return rx.link(
        rx.hstack(rx.icon("arrow-left", size=14), label, spacing="1", align="center"), href=href, size="2", **props
    )


def section(title: Any, *children: rx.Component, test_id: str, **props: Any) -> rx.Component:
    """A card with a heading over its children."""
    return rx.card(
        rx.vstack(rx.heading(title, size="3"), *children, spacing="2", width="100%"),
        width="100%",
        data_testid=test_id,
        **props,
    )


def facts_list(rows: Any, *, test_id: str, columns: Any = None) -> rx.Component:
    """Rows of {label, value} as a grid of small label-over-value facts."""
    return rx.grid(
        rx.foreach(
            rows,
            lambda a: rx.vstack(
                rx.text(a["label"], size="1", color_scheme="gray", weight="medium"),
                rx.text(a["value"], size="2", white_space="pre-wrap", word_break="break-word"),
                spacing="0",
                min_width="0",
            ),
        ),
        columns=columns if columns is not None else rx.breakpoints(initial="2", md="4"),
        spacing="3",
        width="100%",
        data_testid=test_id,
    )


def history_table(
    rows: Any,
    *,
    row_test_id: str,
    what: Sequence[tuple[str, Callable[[Any], rx.Component]]],
    **props: Any,
) -> rx.Component:
    """Audit rows ({at, actor, ...}): when and who, then one column per (header, cell builder) in `what`."""
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("When (UTC)"),
                rx.table.column_header_cell("Who"),
                *[rx.table.column_header_cell(header) for header, _ in what],
            )
        ),
        rx.table.body(
            rx.foreach(
                rows,
                lambda h: rx.table.row(
                    rx.table.cell(h["at"], white_space="nowrap"),
                    rx.table.cell(h["actor"], white_space="nowrap"),
                    *[cell(h) for _, cell in what],
                    data_testid=row_test_id,
                ),
            )
        ),
        size="1",
        variant="ghost",
        width="100%",
        **props,
    )
