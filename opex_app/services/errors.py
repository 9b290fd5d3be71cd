"""Errors a service raises for the caller to show: the message is one clear line for the user."""

from __future__ import annotations


class ServiceError(Exception):
    """Refused by validation: nothing was changed (CLI exit code 1)."""


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    """Someone else changed the record first (optimistic locking)."""
