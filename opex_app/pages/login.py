"""Login page: e-mail and password; no public sign-up."""

from __future__ import annotations

import reflex as rx

from opex_app import routes
from opex_app.components.layout import ACCENT
from opex_app.state.login import FORM_ID, LoginState


@rx.page(
    route=routes.LOGIN.path, title=f"{routes.LOGIN.title} · OPEX Manager", on_load=LoginState.redirect_if_logged_in
)
def login_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.hstack(
                        rx.icon("wallet", color=rx.color(ACCENT, 9)),
                        rx.heading("OPEX Manager", size="6"),
                        align="center",
                    ),
                    rx.text("Log in with the account your administrator created.", size="2", color_scheme="gray"),
                    rx.text("E-mail", size="2", weight="medium"),
                    rx.input(
                        name="email",
                        type="email",
                        placeholder="you@company.com",
                        width="100%",
                        auto_focus=True,
                        data_testid="login-email",
                    ),
                    rx.text("Password", size="2", weight="medium"),
                    rx.input(name="password", type="password", width="100%", data_testid="login-password"),
                    rx.cond(
                        LoginState.error != "",
                        rx.callout(
                            LoginState.error,
                            icon="triangle-alert",
                            color_scheme="red",
                            size="1",
                            width="100%",
                            data_testid="login-error",
                        ),
                    ),
                    rx.button(
                        "Log in",
                        type="submit",
                        width="100%",
                        size="3",
                        loading=LoginState.busy,
                        data_testid="login-submit",
                    ),
                    spacing="2",
                    width="100%",
                ),
                # the browser posts the credentials to /api/session itself (state/login.py): they never
                # travel through the event socket
                on_submit=LoginState.submit,
                reset_on_submit=False,
                id=FORM_ID,
            ),
            size="4",
            width="min(24rem, 92vw)",
        ),
        height="100vh",
        background=rx.color("gray", 2),
    )
