"""Previous/next controls under a paged list. `P` is a state with `page_number`, `page_count` and a
`go_to_page(n)` handler."""

from __future__ import annotations

from typing import Any

import reflex as rx


def pager(P: Any, info: rx.Component, *, test_id_prefix: str) -> rx.Component:
    """`info` on the left ('Page 2 of 5 …'); the buttons are `{test_id_prefix}-prev` and `-next`."""
    return rx.hstack(
        info,
        rx.spacer(),
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
        align="center",
        width="100%",
        spacing="2",
    )
