"""The app's backend exception handler: a Redis failure anywhere in the chain gets the session-store message,
anything else Reflex's generic toast."""

from __future__ import annotations

import redis

from opex_app.state.backend_errors import SESSION_STORE_DOWN, backend_exception_handler


def _shown(exception: Exception) -> str:
    spec = backend_exception_handler(exception)
    assert spec is not None
    return str(spec.args)


def _raised_while_handling(cause: BaseException, outer: Exception) -> Exception:
    """`outer` as Python leaves it when raised inside `except` of `cause` (what Reflex's own wrappers do)."""
    outer.__context__ = cause
    return outer


def test_a_redis_failure_says_the_session_store_is_down() -> None:
    assert SESSION_STORE_DOWN in _shown(redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379"))
    assert SESSION_STORE_DOWN in _shown(_raised_while_handling(redis.TimeoutError("timed out"), RuntimeError("lock")))


def test_any_other_failure_gets_reflexs_generic_toast() -> None:
    shown = _shown(ValueError("a bug"))
    assert SESSION_STORE_DOWN not in shown
    assert "An error occurred." in shown
