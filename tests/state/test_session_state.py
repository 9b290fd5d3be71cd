"""The session as the event handlers see it, on a real Reflex state tree (every state of the app, as Reflex
builds it for one client token) whose router headers are those the socket gate hands to Reflex:

- a socket without the cookie, or with a cookie header that did not pass the gate, is refused;
- after logging in and after an admin creates a user, neither what is sent to the browser (the full state and
  the delta) nor the pickled states (what Redis stores) hold the session token, a password hash or the
  one-time password;
- logout ends the session and puts every state of the client back to its defaults, and the same client token
  then gets nothing.
"""

from __future__ import annotations

import asyncio
import importlib
import pickle
import re
import uuid
from typing import Any

import reflex as rx
from reflex.istate.data import RouterData
from reflex.state import BaseState
from reflex_base import constants
from reflex_base.utils import format
from sqlmodel import select

from opex_app.api.socket_session import SocketSessionMiddleware
from opex_app.auth.permissions import RoleName, cli_principal
from opex_app.db import transaction
from opex_app.models import AppUser
from opex_app.services import sessions
from opex_app.services.users import create_user

PASSWORD = "correct horse battery"


def _handshake_headers(cookie: str | None) -> dict[str, str]:
    """The headers Reflex receives for a websocket handshake carrying `cookie`, after the socket gate."""
    seen: dict[str, str] = {}

    async def reflex_socket(scope: Any, receive: Any, send: Any) -> None:
        seen.update({k.decode(): v.decode() for k, v in scope["headers"]})

    raw = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
    raw += [(b"cookie", cookie.encode())] if cookie else []
    asyncio.run(SocketSessionMiddleware(reflex_socket)({"type": "websocket", "headers": raw}, None, None))
    return seen


def _tree(headers: dict[str, str]) -> BaseState:
    """Every state of the app for one client token, with `headers` as its socket's."""
    importlib.import_module("opex_app.opex_app")
    root = rx.State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {
            constants.RouteVar.HEADERS: headers,
            constants.RouteVar.CLIENT_TOKEN: "client-" + uuid.uuid4().hex,
            constants.RouteVar.CLIENT_IP: "127.0.0.1",
            constants.RouteVar.SESSION_ID: "sid-1",
            constants.RouteVar.PATH: "/admin/users",
        }
    )
    return root


def _state(root: BaseState, cls: type[BaseState]) -> Any:
    return asyncio.run(root.get_state(cls))


def _run(state: Any, name: str, *args: Any) -> Any:
    result = type(state).event_handlers[name].fn(state, *args)
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def _all_states(root: BaseState) -> list[BaseState]:
    found, todo = [], [root]
    while todo:
        state = todo.pop()
        found.append(state)
        todo.extend(state.substates.values())
    return found


def _what_leaves_the_server(root: BaseState) -> str:
    """The full state and the delta as sent to the browser, and every state as pickled into the store."""
    sent = format.json_dumps(root.dict()) + format.json_dumps(root.get_delta())
    stored = b"".join(pickle.dumps(state) for state in _all_states(root))
    return sent + stored.decode("latin-1")


def _values(root: BaseState) -> str:
    """Every state's vars as the browser gets them, but the router's (the connection, not the user)."""

    def drop_router(tree: dict[str, Any]) -> dict[str, Any]:
        return {
            k: drop_router(v) if isinstance(v, dict) and k.startswith("reflex___") else v
            for k, v in tree.items()
            if not k.startswith("rx_router")
        }

    return format.json_dumps(drop_router(root.dict()))


def _admin(email: str) -> str:
    with transaction() as session:
        create_user(session, cli_principal(), email=email, role=RoleName.ADMIN, password=PASSWORD)
        token, _ = sessions.login(session, email=email, password=PASSWORD)
    return token


def _hash_of(email: str) -> str:
    with transaction() as session:
        return session.exec(select(AppUser.password_hash).where(AppUser.email == email)).one() or ""


def _users_state() -> type[BaseState]:
    from opex_app.state.admin import UsersState

    return UsersState


def test_a_socket_without_the_session_cookie_is_refused(database_url: str) -> None:
    from opex_app.state.base import AppState

    token = _admin(f"sock-{uuid.uuid4().hex[:6]}@example.com")
    for headers in (
        _handshake_headers(None),
        _handshake_headers("theme=dark"),
        # a key the client made up (here: the right one) is dropped by the gate
        _handshake_headers(f"{sessions.KEY_COOKIE_NAME}={sessions.session_key(token)}"),
        # the token itself, had a cookie header reached Reflex without the gate, is not read either
        {"cookie": f"{sessions.COOKIE_NAME}={token}"},
    ):
        root = _tree(headers)
        users = _state(root, _users_state())
        refused = _run(users, "load")
        assert "session has ended" in str(refused) and users.rows == []
        assert "/login" in str(_run(_state(root, AppState), "check_login"))
    root = _tree(_handshake_headers(f"theme=dark; {sessions.COOKIE_NAME}={token}"))
    users = _state(root, _users_state())
    assert _run(users, "load") is None and users.rows != []


def test_no_token_hash_or_one_time_password_leaves_the_server_in_state(database_url: str) -> None:
    from opex_app.state.base import AppState

    tag = uuid.uuid4().hex[:6]
    admin_email, new_email = f"leak-admin-{tag}@example.com", f"leak-new-{tag}@example.com"
    token = _admin(admin_email)
    headers = _handshake_headers(f"{sessions.COOKIE_NAME}={token}")
    assert headers["cookie"] == f"{sessions.KEY_COOKIE_NAME}={sessions.session_key(token)}"
    root = _tree(headers)
    assert _run(_state(root, AppState), "check_login") is None  # logged in
    assert _state(root, AppState).user_email == admin_email
    after_login = _what_leaves_the_server(root)
    users = _state(root, _users_state())
    _run(users, "load")
    events = _run(users, "add_user", {"email": new_email, "role": "viewer"})
    (one_time,) = set(re.findall(r'\["password"\] : "([^"]+)"', str(events)))  # in the event only
    with transaction() as session:
        assert sessions.login(session, email=new_email, password=one_time)[1].actor == new_email
    after_create = _what_leaves_the_server(root)
    assert new_email in after_create  # the search below looks where the page's data is
    for secret in (token, _hash_of(admin_email), _hash_of(new_email), one_time):
        assert secret not in after_login and secret not in after_create


def test_logout_ends_the_session_and_resets_every_state_of_the_client(database_url: str) -> None:
    from opex_app.state.base import AppState

    fresh = _values(_tree({}))
    token = _admin(f"bye-{uuid.uuid4().hex[:6]}@example.com")
    root = _tree(_handshake_headers(f"{sessions.COOKIE_NAME}={token}"))
    app_state = _state(root, AppState)
    _run(app_state, "check_login")
    users = _state(root, _users_state())
    _run(users, "load")
    users.query = "someone"
    assert users.rows and app_state.user_email
    assert "/api/session/logout" in str(_run(app_state, "logout"))
    with transaction() as session:
        assert sessions.resolve(session, token) is None
    assert _values(root) == fresh  # every state's defaults
    assert users.rows == [] and users.query == "" and app_state.permissions == []
    refused = _run(users, "load")  # the same client token, now without a session
    assert "session has ended" in str(refused) and users.rows == []
