"""Login form state: e-mail and password, one clear message when refused."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app.db import transaction
from opex_app.services import sessions
from opex_app.state.base import HOME_ROUTE, AppState
from opex_app.state.guard import public_handler


class LoginState(AppState):
    error: str = ""
    busy: bool = False

    @public_handler
    def submit(self, form: dict[str, Any]) -> Any:
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        if not email or not password:
            self.error = "Enter your e-mail and password."
            return None
        try:
            with transaction() as session:
                token, principal = sessions.login(
                    session, email=email, password=password, ip=self.router.session.client_ip
                )
        except sessions.LoginRefused as exc:
            self.error = str(exc)
            return None
        self.error = ""
        self.session_token = token
        self._set_user(principal)
        return rx.redirect(HOME_ROUTE)

    @public_handler
    def redirect_if_logged_in(self) -> Any:
        if self._principal() is not None:
            return rx.redirect(HOME_ROUTE)
        self.error = ""
        return None
