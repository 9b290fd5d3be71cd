"""Unlinked actuals (Analyst): the invoices booked to no budget line, with the references as typed and why
they matched nothing, paged; each linked from here to a budget line (and optionally one of its PO lines)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.actuals import link_dialog, queue_table
from opex_app.components.layout import app_page
from opex_app.components.pager import pager as pager_controls
from opex_app.state.actuals import UnlinkedActualsState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = UnlinkedActualsState


def toolbar() -> rx.Component:
    return rx.hstack(
        rx.text(
            S.total_count,
            " unlinked actual(s), ",
            S.base_currency,
            " ",
            S.total_base,
            " in all: they count in no budget line's actual until linked.",
            size="2",
            data_testid="unlinked-summary",
        ),
        rx.spacer(),
        rx.link(
            rx.button(rx.icon("plus", size=14), "New actual", size="2", variant="soft", data_testid="actual-new"),
            href=routes.ACTUAL_NEW.path,
            underline="none",
        ),
        align="center",
        width="100%",
    )


def pager() -> rx.Component:
    return pager_controls(
        S,
        rx.text(
            "Page ", S.page_number, " of ", S.page_count, size="2", color_scheme="gray", data_testid="unlinked-page"
        ),
        test_id_prefix="unlinked",
    )


def messages() -> rx.Component:
    return rx.fragment(
        rx.cond(
            S.message != "",
            rx.callout(S.message, icon="check", color_scheme="green", size="1", width="100%", data_testid="link-done"),
        ),
        rx.foreach(
            S.warnings,
            lambda w: rx.callout(w, icon="triangle-alert", color_scheme="amber", size="1", width="100%"),
        ),
        rx.cond(
            S.error != "",
            rx.callout(S.error, icon="triangle-alert", color_scheme="red", size="1", width="100%"),
        ),
    )


@app_page(routes.UNLINKED_ACTUALS, on_load=[S.load])
def unlinked_actuals_page() -> rx.Component:
    return rx.vstack(
        toolbar(),
        messages(),
        rx.cond(
            S.total_count == 0,
            rx.callout(
                "Every actual is linked to a budget line.",
                icon="check",
                color_scheme="green",
                width="100%",
                data_testid="unlinked-empty",
            ),
            rx.vstack(queue_table(S), pager(), spacing="2", width="100%"),
        ),
        link_dialog(S),
        spacing="3",
        width="100%",
    )
