"""Previous/next controls under a paged list. `P` is a state with `page_number`, `page_count` and a
`go_to_page(n)` handler."""

from __future__ import annotations

from typing import Any

import reflex as rx


def _end_button(icon: str, page: Any, disabled: Any, label: str) -> rx.Component:
    return rx.button(
        rx.icon(icon, size=14), size="1", variant="soft", disabled=disabled, on_click=page, aria_label=label
    )


def pager(P: Any, info: rx.Component, *, test_id_prefix: str, first_last: bool = False) -> rx.Component:
    """`info` on the left ('Page 2 of 5 …'); the buttons are `{test_id_prefix}-prev` and `-next`, and with
    `first_last` also First page / Last page (icons only) on either side."""
    return rx.hstack(
        info,
        rx.spacer(),
        *([_end_button("chevrons-left", P.go_to_page(1), P.page_number <= 1, "First page")] if first_last else []),
        rx.button(
            rx.icon("chevron-left", size=14),
            "Previous",
            size="1",
            variant="soft",
            disabled=P.page_number <= 1,
            on_click=P.go_to_page(P.page_number - 1),
            data_testid=f"{test_id_prefix}-prev",
        ),
        rx.button(
            "Next",
            rx.icon("chevron-right", size=14),
            size="1",
            variant="soft",
            disabled=P.page_number >= P.page_count,
            on_click=P.go_to_page(P.page_number + 1),
            data_testid=f"{test_id_prefix}-next",
        ),
        *(
            [_end_button("chevrons-right", P.go_to_page(P.page_count), P.page_number >= P.page_count, "Last page")]
            if first_last
            else []
        ),
        align="center",
        width="100%",
        spacing="2",
    )
