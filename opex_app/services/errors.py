"""Errors a service raises for the caller to show: the message is one clear line for the user."""

from __future__ import annotations

import redis


class ServiceError(Exception):
    """Refused by validation: nothing was changed (CLI exit code 1)."""


class NotFound(ServiceError):
    pass


class UploadRefused(Exception):
    """An upload refused before its body is stored: the HTTP status (400, 401, 403, 413) and one line for the user."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class Conflict(ServiceError):
    """Someone else changed the record first (optimistic locking)."""


def caused_by_redis(exception: BaseException) -> bool:
    """Whether `exception` or one it was raised from (cause or context) is a Redis error: the session store (and
    the figures cache) is unreachable, not a bug in what the user did."""
    seen: BaseException | None = exception
    for _ in range(10):  # chains are short; a bound keeps a cyclic one from looping
        if seen is None:
            return False
        if isinstance(seen, redis.RedisError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
