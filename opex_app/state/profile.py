"""The profile page: the user's number format and their personal API tokens.

A new token's raw value is the one secret this state ever holds: it is shown once, and it leaves the state
when the user dismisses it, leaves the page (the page's unmount) or opens the page again (on_load).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opex_app.auth.permissions import Permission
from opex_app.db import read_session, transaction
from opex_app.services import api_tokens, preferences
from opex_app.services.errors import ServiceError
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

_WHEN = "%d-%b-%Y %H:%M"


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _when(moment: datetime | None, never: str = "never") -> str:
    return f"{moment:{_WHEN}} UTC" if moment is not None else never


def _row(token: api_tokens.TokenInfo) -> dict[str, str]:
    return {
        "id": str(token.id),
        "name": token.name,
        "prefix": f"{token.prefix}…",
        "created": _when(token.created_at),
        "last_used": _when(token.last_used_at),
        "status": token.status,
    }


class ProfileState(AppState):
    tokens: list[dict[str, str]] = []  # the user's own tokens (id, name, prefix, created, last_used, status)
    new_token: str = ""  # the raw token just created: shown once, cleared on dismiss / leave / reload
    new_token_name: str = ""
    message: str = ""
    error: str = ""

    @guarded(Permission.VIEW_DASHBOARDS)
    def load(self) -> None:
        """on_load: a fresh page; no token from an earlier visit survives it."""
        self._forget_token()
        self.message = self.error = ""
        self._load_tokens()

    @guarded(Permission.VIEW_DASHBOARDS)
    def save_number_format(self, value: str) -> None:
        self.message = self.error = ""
        try:
            with transaction() as session:
                saved = preferences.set_number_format(session, current_principal(), value)
        except ServiceError as exc:
            self.error = _sentence(exc)
            return
        self.number_format = saved  # the shell's own var: every amount regroups at once
        self.message = f"Amounts are now shown in {saved} grouping."

    @guarded(Permission.VIEW_DASHBOARDS)
    def create_token(self, form: dict[str, Any]) -> None:
        self._forget_token()
        self.message = self.error = ""
        try:
            with transaction() as session:
                created = api_tokens.create(session, current_principal(), name=str(form.get("name") or ""))
        except ServiceError as exc:
            self.error = _sentence(exc)
            return
        self.new_token, self.new_token_name = created.token, created.info.name
        self._load_tokens()

    @guarded(Permission.VIEW_DASHBOARDS)
    def dismiss_token(self) -> None:
        self._forget_token()

    @guarded(Permission.VIEW_DASHBOARDS)
    def revoke_token(self, token_id: str) -> None:
        self.message = self.error = ""
        try:
            with transaction() as session:
                revoked = api_tokens.revoke(session, current_principal(), token_id=int(token_id))
        except ValueError:
            self.error = f"'{token_id}' is not a token number."
            return
        except ServiceError as exc:
            self.error = _sentence(exc)
        else:
            self.message = f"The token '{revoked.name}' is revoked: requests that use it are refused from now on."
        self._load_tokens()

    def _forget_token(self) -> None:
        self.new_token = self.new_token_name = ""

    def _load_tokens(self) -> None:
        with read_session() as session:
            self.tokens = [_row(t) for t in api_tokens.list_tokens(session, current_principal())]


# the choices the page offers, in order: (value, label)
NUMBER_FORMAT_CHOICES: list[tuple[str, str]] = list(preferences.number_format_choices())
