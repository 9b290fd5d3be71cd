"""Login form state: a busy flag and one clear message when refused.

The credentials never pass through this state: the browser posts them to `POST /api/session`
(opex_app/api/session.py), which sets the HttpOnly session cookie; on success the page navigates, so that the
next page's event socket is opened with the cookie. Here only the refusal's message comes back.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app.state.base import HOME_ROUTE, AppState
from opex_app.state.guard import public_handler

FORM_ID = "login-form"
UNREACHABLE = "The server could not be reached. Try again."
# Resolves to the refusal's message; after a success it navigates and never resolves (the page is leaving).
LOGIN_SCRIPT = f"""(async () => {{
  const form = document.getElementById('{FORM_ID}');
  try {{
    const answer = await fetch('/api/session', {{
      method: 'POST',
      credentials: 'same-origin',
      headers: {{'Content-Type': 'application/json'}},
      body: JSON.stringify({{email: form.elements.email.value, password: form.elements.password.value}}),
    }});
    const body = await answer.json().catch(() => ({{}}));
    if (answer.ok) {{
      window.location.assign(body.redirect || '{HOME_ROUTE}');
      return new Promise(() => {{}});
    }}
    return body.error || ('Log-in failed: HTTP ' + answer.status + '.');
  }} catch (error) {{
    return '{UNREACHABLE}';
  }}
}})()"""


class LoginState(AppState):
    error: str = ""
    busy: bool = False

    @public_handler
    def submit(self) -> Any:
        """The form was sent: show it busy, and let the browser post it (the password stays in the browser)."""
        self.error, self.busy = "", True
        return rx.call_script(LOGIN_SCRIPT, callback=LoginState.refused)

    @public_handler
    def refused(self, message: Any) -> None:
        """The server refused the log-in (or could not be reached): say why, ready for another try."""
        self.error, self.busy = str(message or UNREACHABLE), False

    @public_handler
    def redirect_if_logged_in(self) -> Any:
        if self._principal() is not None:
            return rx.redirect(HOME_ROUTE)
        self.error, self.busy = "", False
        return None
