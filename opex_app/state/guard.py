"""`guarded(permission)`: the decorator every data-touching event handler wears.

It runs the one server-side check, `require(permission)`, before the handler body. A refused
event shows a toast and changes nothing. `public_handler` marks the few handlers that need no
login (logging in, toggling the theme); a test walks every State class and fails on any
handler that is neither.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from opex_app.auth.permissions import Permission, PermissionDenied, Principal

F = TypeVar("F", bound=Callable[..., Any])
GUARD_ATTR = "__opex_permission__"
PUBLIC_ATTR = "__opex_public__"
_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("opex_principal", default=None)


def current_principal() -> Principal:
    """The principal the enclosing guarded handler checked (inside a handler body only)."""
    principal = _current.get()
    if principal is None:
        raise PermissionDenied("No permission check ran for this event.")
    return principal


def _check(state: Any, permission: Permission) -> None:
    _current.set(state._require(permission))


def _refused(exc: PermissionDenied) -> Any:
    return rx.toast.error(str(exc), id="permission-denied")


def guarded(permission: Permission) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        if inspect.isasyncgenfunction(fn):

            @functools.wraps(fn)
            async def agen_wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
                try:
                    _check(self, permission)
                except PermissionDenied as exc:
                    yield _refused(exc)
                    return
                async for item in fn(self, *args, **kwargs):
                    yield item

            wrapper: Any = agen_wrapper
        elif inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
                try:
                    _check(self, permission)
                except PermissionDenied as exc:
                    return _refused(exc)
                return await fn(self, *args, **kwargs)

            wrapper = async_wrapper
        elif inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def gen_wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
                try:
                    _check(self, permission)
                except PermissionDenied as exc:
                    yield _refused(exc)
                    return
                yield from fn(self, *args, **kwargs)

            wrapper = gen_wrapper
        else:

            @functools.wraps(fn)
            def sync_wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
                try:
                    _check(self, permission)
                except PermissionDenied as exc:
                    return _refused(exc)
                return fn(self, *args, **kwargs)

            wrapper = sync_wrapper
        setattr(wrapper, GUARD_ATTR, permission)
        return wrapper  # type: ignore[no-any-return]

    return decorate


def public_handler(fn: F) -> F:
    setattr(fn, PUBLIC_ATTR, True)
    return fn


def unguarded_handlers() -> list[str]:
    """`Class.handler` of every event handler of the app's states that is neither guarded nor public (setvar
    aside: it only calls a `set_<name>` handler, which is then one of these)."""
    found, todo = [], list(rx.State.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if not cls.__module__.startswith("opex_app.") or cls._mixin:
            continue
        for name, handler in cls.event_handlers.items():
            fn = handler.fn
            if name != "setvar" and getattr(fn, GUARD_ATTR, None) is None and not getattr(fn, PUBLIC_ATTR, False):
                found.append(f"{cls.__name__}.{name}")
    return sorted(set(found))


def refuse_unguarded_handlers() -> None:
    """At app start: stop if any handler would run without the permission check, e.g. the setters Reflex
    generates for every var when REFLEX_STATE_AUTO_SETTERS=true (set_session_token, set_permissions, ...)."""
    if unguarded := unguarded_handlers():
        shown = ", ".join(unguarded[:5]) + (f" and {len(unguarded) - 5} more" if len(unguarded) > 5 else "")
        raise RuntimeError(
            f"event handlers without a permission check: {shown}. Is REFLEX_STATE_AUTO_SETTERS set? It must not be."
        )
