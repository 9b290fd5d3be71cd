"""Login throttling: growing delays instead of a lockout, so that an attacker can slow guessing but cannot
lock the real owner out of their account.

Three counts of recent failures (within `login_window_minutes`) each give a delay; the longest applies:

* the account from this address (`login_max_failures` free), reset by a success of the account from it;
* this address, whatever the accounts (`login_ip_max_failures` free): one client spraying many e-mails;
* the account from every address (`login_account_max_failures` free), reset by a success of the account,
  and not applied at all from an address the account logged in from in the last `login_trusted_days`:
  many addresses guessing one password are slowed, while the owner at their usual address is not.

After n failures in a count with k free, the next attempt waits 2^(n-k) seconds from the last of them
(n >= k), at most `login_max_delay_seconds`. An attempt made while it must wait is refused before the
password is looked at and is not recorded, so hammering neither lengthens the wait nor fills the table.
The counts are keyed on the e-mail as typed, whether or not an account has it: a throttled unknown
e-mail and a throttled real one get the same answer after the same number of failures.

Attempts on one e-mail are judged one at a time (`serialise`, a transaction-scoped advisory lock held
until the attempt is recorded), so parallel connections cannot all pass the check before any failure
counts. Attempts on different e-mails from one address still run in parallel (an office behind one NAT
logs in at nine); the address's count catches up with them once recorded.

Old attempts are pruned on every judged attempt (one indexed DELETE): failures once past the window's
reach (`PRUNE_FACTOR` windows), successes once past `login_trusted_days`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, text
from sqlmodel import Session, col, func, select

from opex_app.models import LoginAttempt
from opex_app.settings import get_settings

PRUNE_FACTOR = 4  # failures are kept for this many windows (for the activity a reviewer may look at)
UNKNOWN_IP = "unknown"


def delay_seconds(failures: int, free: int, cap: int) -> int:
    """The wait after `failures` recent failures of which `free` cost nothing: 0 below `free`, then
    1, 2, 4, ... seconds, at most `cap`."""
    if failures < free:
        return 0
    return min(cap, 2 ** min(failures - free, 62))


@dataclass(frozen=True)
class Scope:
    """One count of failures: how many, the last one's time, and how many are free."""

    failures: int
    last: datetime | None
    free: int

    def ready_at(self, cap: int) -> datetime | None:
        delay = delay_seconds(self.failures, self.free, cap)
        return self.last + timedelta(seconds=delay) if delay and self.last is not None else None


def _scope(times: Sequence[datetime], since: datetime | None, free: int) -> Scope:
    recent = [at for at in times if since is None or at > since]
    return Scope(len(recent), max(recent, default=None), free)


def serialise(session: Session, *, email_key: str) -> None:
    """Wait for any other attempt on this e-mail to be recorded (the lock ends with the transaction)."""
    session.exec(  # type: ignore[call-overload]
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), params={"key": f"login:{email_key}"}
    )


def wait_seconds(session: Session, *, email_key: str, ip: str, now: datetime) -> int:
    """How long this address must wait before its next attempt on this e-mail (0: it may try now)."""
    settings = get_settings()
    window_start = now - timedelta(minutes=settings.login_window_minutes)
    trusted_start = now - timedelta(days=settings.login_trusted_days)
    pair_success, account_success = session.exec(
        select(
            func.max(LoginAttempt.at).filter(col(LoginAttempt.ip) == ip),
            func.max(LoginAttempt.at),
        ).where(LoginAttempt.email_key == email_key, col(LoginAttempt.success), col(LoginAttempt.at) > trusted_start)
    ).one()
    failures = session.exec(
        select(LoginAttempt.at, LoginAttempt.ip, LoginAttempt.email_key).where(
            col(LoginAttempt.success).is_(False),
            col(LoginAttempt.at) > window_start,
            or_(col(LoginAttempt.ip) == ip, col(LoginAttempt.email_key) == email_key),
        )
    ).all()
    scopes = [
        _scope([at for at, a, e in failures if a == ip and e == email_key], pair_success, settings.login_max_failures),
        _scope([at for at, a, _ in failures if a == ip], None, settings.login_ip_max_failures),
    ]
    if pair_success is None:  # an address the account has not logged in from lately
        account = [at for at, _, e in failures if e == email_key]
        scopes.append(_scope(account, account_success, settings.login_account_max_failures))
    ready = [at for scope in scopes if (at := scope.ready_at(settings.login_max_delay_seconds)) is not None]
    latest = max(ready, default=now)
    return max(0, math.ceil((latest - now).total_seconds()))


def throttled_message(seconds: int) -> str:
    return f"Too many failed attempts. Try again in {seconds} second{'s' if seconds != 1 else ''}."


def prune(session: Session, *, now: datetime) -> int:
    """Delete attempts the throttle no longer looks at; return how many."""
    settings = get_settings()
    failures_before = now - PRUNE_FACTOR * timedelta(minutes=settings.login_window_minutes)
    anything_before = now - timedelta(days=settings.login_trusted_days)
    result = session.exec(  # type: ignore[call-overload]
        delete(LoginAttempt).where(
            or_(
                col(LoginAttempt.at) < anything_before,
                (col(LoginAttempt.at) < failures_before) & col(LoginAttempt.success).is_(False),
            )
        )
    )
    return int(result.rowcount or 0)


def client_ip(ip: str | None) -> str:
    """The address as stored: trimmed to the column, 'unknown' when the caller has none."""
    return (ip or "").strip()[:64] or UNKNOWN_IP
