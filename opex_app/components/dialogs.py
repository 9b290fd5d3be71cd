"""A dialog around one form (a comment or reason, then Cancel and a submit button), shared by the PO
decision dialogs and the PO detail's confirm dialog."""

from __future__ import annotations

from typing import Any

import reflex as rx


def form_dialog(
    *,
    title: rx.Component,
    description: rx.Component,
    body: list[rx.Component],
    error: rx.Component,
    cancel: rx.Component,
    submit: rx.Component,
    form_key: Any,
    on_submit: Any,
    open: Any,
    on_close: Any,
    max_width: str,
    test_id: str,
) -> rx.Component:
    """A dialog around one form: title, description, the fields, an error, then Cancel and the submit button."""
    return rx.dialog.root(
        rx.dialog.content(
            title,
            description,
            rx.form(
                rx.vstack(
                    *body,
                    error,
                    rx.hstack(cancel, submit, justify="end", spacing="2", width="100%"),
                    spacing="3",
                    width="100%",
                    margin_top="0.75rem",
                ),
                key=form_key,
                on_submit=on_submit,
                reset_on_submit=False,
            ),
            max_width=max_width,
            data_testid=test_id,
        ),
        open=open,
        on_open_change=lambda _: on_close(),
    )
