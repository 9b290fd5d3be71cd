"""The profile page: the user's number format, their password and their personal API tokens.

No secret is ever held in this state (which is pickled into Redis between events). A new token's raw value
goes to the browser only inside the client-side script the creating event returns (`reveal_script`), which
writes it into the page's token element; the state keeps only the token's name, to show the callout. Passwords
arrive as the form's event arguments and are never assigned to the state.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import reflex as rx

from opex_app.auth.permissions import Permission
from opex_app.db import read_session, transaction
from opex_app.services import api_tokens, preferences, user_admin
from opex_app.services.errors import ServiceError
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

_WHEN = "%d-%b-%Y %H:%M"
NEW_TOKEN_ELEMENT = "new-token"  # the id of the element the reveal script writes the new token into
_REVEAL_TRIES = 120  # animation frames (about 2 s) to wait for the callout to be rendered


def reveal_script(token: str) -> str:
    """JavaScript that writes `token` into the new-token element once the callout showing it is rendered."""
    return (
        f"(() => {{ const value = {json.dumps(token)}; let tries = 0; const put = () => {{ "
        f"const el = document.getElementById({json.dumps(NEW_TOKEN_ELEMENT)}); "
        f"if (el) {{ el.textContent = value; }} else if (tries++ < {_REVEAL_TRIES}) {{ requestAnimationFrame(put); }} "
        f"}}; put(); }})()"
    )


# copies what the page shows (the token is nowhere else on the client)
COPY_SCRIPT = f"navigator.clipboard.writeText(document.getElementById({json.dumps(NEW_TOKEN_ELEMENT)}).textContent)"


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
    new_token_name: str = ""  # the name of the token just created ('' = none): its value is only in the page
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
    def change_password(self, form: dict[str, Any]) -> None:
        """Change the user's own password (current one required); their other sessions end, this one stays."""
        self.message = self.error = ""
        current, new, repeat = (str(form.get(key) or "") for key in ("current_password", "new_password", "repeat"))
        if not current or not new:
            self.error = "Enter your current password and the new one."
            return
        if new != repeat:
            self.error = "The new password and its repetition differ: nothing was changed."
            return
        try:
            with transaction() as session:
                ended = user_admin.change_password(
                    session=session,
                    principal=current_principal(),
                    current=current,
                    new=new,
                    keep_session=self._session_key(),
                    ip=self.router.session.client_ip,
                )
        except ServiceError as exc:
            self.error = _sentence(exc)
            return
        others = f" {ended} other session{'s' if ended != 1 else ''} of yours ended." if ended else ""
        self.message = f"Your password is changed.{others}"

    @guarded(Permission.VIEW_DASHBOARDS)
    def create_token(self, form: dict[str, Any]) -> Any:
        """Create a token; its value reaches the browser only in the returned script, never this state."""
        self._forget_token()
        self.message = self.error = ""
        try:
            with transaction() as session:
                created = api_tokens.create(session, current_principal(), name=str(form.get("name") or ""))
        except ServiceError as exc:
            self.error = _sentence(exc)
            return None
        self.new_token_name = created.info.name
        self._load_tokens()
        return rx.call_script(reveal_script(created.token))

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
        self.new_token_name = ""

    def _load_tokens(self) -> None:
        with read_session() as session:
            self.tokens = [_row(t) for t in api_tokens.list_tokens(session, current_principal())]


PASSWORD_RULE = user_admin.PASSWORD_RULE  # what the page says a new password must be
# the choices the page offers, in order: (value, label)
NUMBER_FORMAT_CHOICES: list[tuple[str, str]] = list(preferences.number_format_choices())
