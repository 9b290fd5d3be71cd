"""Form fields of the record editors (PO form, actual editor, budget line editor): a label with the
required mark, an optional list of choices, and the value the other person saved after a conflict.

`F` is a state with `form` (name → text), `saved_hints` (name → text) and, for `form_field`, a
`set_field(name, value)` handler.
"""

from __future__ import annotations

from typing import Any

import reflex as rx


def field_label(text: str, required: bool = False) -> rx.Component:
    return rx.text(text, rx.text.span(" *", color=rx.color("red", 10)) if required else "", size="1", weight="medium")


def saved_hint(F: Any, name: str) -> rx.Component:
    """After a conflict, beside a field both people changed: the value saved by the other person."""
    return rx.cond(
        F.saved_hints[name],
        rx.text("Saved now: ", F.saved_hints[name], size="1", color_scheme="amber", data_testid=f"saved-{name}"),
    )


def choices_list(choices: Any, list_id: str) -> list[rx.Component]:
    """The datalist an input names in its `list` attribute (none without choices)."""
    if choices is None:
        return []
    return [rx.el.datalist(rx.foreach(choices, lambda c: rx.el.option(value=c)), id=list_id)]


def list_attr(choices: Any, list_id: str) -> dict[str, Any]:
    return {"custom_attrs": {"list": list_id}} if choices is not None else {}


def form_field(
    F: Any,
    name: str,
    label: str,
    *,
    test_id: str,
    list_id: str,
    required: bool = False,
    choices: Any = None,
    **props: Any,
) -> rx.Component:
    """A labelled input bound to `F.form[name]` (each keystroke goes to `F.set_field`)."""
    return rx.vstack(
        field_label(label, required),
        rx.input(
            name=name,
            value=F.form[name],
            on_change=lambda v: F.set_field(name, v),
            size="2",
            width="100%",
            data_testid=test_id,
            **list_attr(choices, list_id),
            **props,
        ),
        *choices_list(choices, list_id),
        saved_hint(F, name),
        spacing="1",
        width="100%",
        min_width="0",
    )


def save_banners(conflict: Any, error: Any, *, conflict_id: str, error_id: str, **props: Any) -> rx.Component:
    """Above an editor: the other person's saved change after a conflict (amber), and why a save was
    refused (red); each shown only when set."""
    return rx.fragment(
        rx.cond(
            conflict != "",
            rx.callout(
                conflict,
                icon="git-compare-arrows",
                color_scheme="amber",
                width="100%",
                data_testid=conflict_id,
                **props,
            ),
        ),
        rx.cond(
            error != "",
            rx.callout(error, icon="triangle-alert", color_scheme="red", width="100%", data_testid=error_id, **props),
        ),
    )
