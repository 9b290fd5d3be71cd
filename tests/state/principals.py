"""Real State instances driven directly, as an event from a browser would drive them, with whoever is acting.

`act_as` is the one place the tests decide who is logged in. Every guarded handler asks
`AppState._principal()`, whatever carries the session (a token in local storage today, an HttpOnly cookie read
from the request headers tomorrow), so patching that one method keeps these tests valid when the carrier
changes. `fresh_state` builds the state tree the way Reflex does for a new tab, and `run_handler` runs any
handler kind (plain, generator, coroutine, async generator, background) to completion, returning what it
sent back to the browser.
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import inspect
from typing import Any

import pytest
import reflex as rx

from opex_app.auth.permissions import Principal, RoleName

_FRAMEWORK_FIELDS = {"router_data", "is_hydrated", "_reflex_internal_links"}


def app_states() -> list[type[rx.State]]:
    """Every State class of the app (mixins left out: their handlers live on the states that use them)."""
    importlib.import_module("opex_app.opex_app")  # registers every page and state
    found: list[type[rx.State]] = []
    todo: list[type[rx.State]] = [rx.State]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("opex_app.") and not cls._mixin and cls not in found:
            found.append(cls)
    return sorted(found, key=lambda cls: cls.get_full_name())


def principal(role: RoleName | None, user_id: int | None = None) -> Principal | None:
    """A logged-in user of one role (None: nobody is logged in)."""
    if role is None:
        return None
    return Principal(
        actor=f"{role.value}-direct@example.com",
        user_id=user_id,
        display_name=f"Direct {role.value}",
        roles=frozenset({role}),
    )


def act_as(monkeypatch: pytest.MonkeyPatch, who: Principal | None) -> None:
    """From now on (until the test ends) every state sees `who` as the session's user."""
    from opex_app.state.base import AppState

    monkeypatch.setattr(AppState, "_principal", lambda self: who)


def fresh_state(cls: type[rx.State], query: str = "", route: str = "") -> Any:
    """A new tab's state tree, returning the instance of `cls`; `route` and `query` are the page's address."""
    root = rx.State(_reflex_internal_init=True)
    path = cls.get_full_name().split(".")[1:]
    route = route or "/" + cls.__name__.lower()
    root._update_router_vars(
        {
            "pathname": route,
            "asPath": f"{route}?{query}" if query else route,
            "query": {},
            "headers": {"origin": "http://localhost:3000", "host": "localhost:3000"},
            "token": "direct-call-test",
            "sid": "direct-call-sid",
            "ip": "127.0.0.1",
        },
        {},
    )
    state = root.get_substate(path)
    root._clean()
    return state


def snapshot(state: Any) -> dict[str, Any]:
    """The state's own values (frontend and backend vars), to compare before and after an event."""
    names = [name for name in type(state).get_fields() if name not in _FRAMEWORK_FIELDS and not name.startswith("rx_")]
    return {name: copy.deepcopy(getattr(state, name)) for name in names}


def run_handler(fn: Any, state: Any, *args: Any) -> list[Any]:
    """Call an event handler's function the way Reflex does, to its end; what it returned or yielded."""
    result = fn(state, *args)
    if inspect.isasyncgen(result):

        async def drain() -> list[Any]:
            return [item async for item in result]

        return asyncio.run(drain())
    if inspect.iscoroutine(result):
        return [asyncio.run(result)]
    if inspect.isgenerator(result):
        return list(result)
    return [result]
