"""Login throttling: growing delays per account and address, per address and per account; never a lockout
of the owner by someone else's failures. Delays are asserted as computed, never slept: the login's clock is
a fixture that the test moves forward (argon2's own time would otherwise count as waiting)."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, func, select

from opex_app.auth import passwords
from opex_app.models import LoginAttempt
from opex_app.models._types import utcnow
from opex_app.services import login_throttle, sessions
from opex_app.services.login_throttle import delay_seconds, wait_seconds
from opex_app.settings import get_settings
from tests.conftest import make_principal

OWNER = "owner@example.com"
PASSWORD = "correct horse battery"
ATTACKER, OWNER_IP = "203.0.113.7", "198.51.100.20"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its smallest cost (the default costs ~0.6 s a hash on a busy CI machine, and these tests
    make dozens): what is tested is when a password is verified, not how hard the hash is."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", cheap)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", cheap.hash("a dummy password"))


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock()
    monkeypatch.setattr(sessions, "utcnow", frozen)
    return frozen


def _fail(session: Session, email: str, ip: str, *, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(sessions.LoginRefused, match="Wrong e-mail or password"):
            sessions.login(session, email=email, password="wrong guess", ip=ip)


def _record(session: Session, email: str, ip: str, *, failures: int, at: datetime, success: bool = False) -> None:
    """Failures (or successes) recorded straight away: the counts without paying argon2 for each."""
    session.add_all(LoginAttempt(email_key=email, ip=ip, at=at, success=success) for _ in range(failures))
    session.flush()


_FIRST_ID = [0]  # attempts of this test: other test files' logins (tests/api, tests/state) are not pruned yet


@pytest.fixture(autouse=True)
def _only_this_tests_attempts(session: Session) -> None:
    _FIRST_ID[0] = int(session.exec(select(func.coalesce(func.max(LoginAttempt.id), 0))).one()) + 1


def _attempts(session: Session) -> list[tuple[str, str, bool]]:
    """The attempts this test recorded that are still there (after any pruning), oldest first."""
    query = select(LoginAttempt).where(col(LoginAttempt.id) >= _FIRST_ID[0])
    rows = session.exec(query.order_by(col(LoginAttempt.at), col(LoginAttempt.id))).all()
    return [(a.email_key, a.ip, a.success) for a in rows]


def test_delays_double_after_the_free_failures_up_to_the_cap() -> None:
    assert [delay_seconds(n, 5, 300) for n in range(4, 15)] == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert delay_seconds(10_000, 5, 300) == 300


def test_an_attackers_failures_from_one_address_do_not_stop_the_owner_at_another(
    session: Session, clock: Clock
) -> None:
    make_principal(session, "admin", email=OWNER)
    _fail(session, OWNER, ATTACKER, times=5)  # free
    assert wait_seconds(session, email_key=OWNER, ip=ATTACKER, now=clock.now) == 1
    clock.advance(1)
    _fail(session, OWNER, ATTACKER)
    assert wait_seconds(session, email_key=OWNER, ip=ATTACKER, now=clock.now) == 2
    clock.advance(2)
    _fail(session, OWNER, ATTACKER)
    assert wait_seconds(session, email_key=OWNER, ip=ATTACKER, now=clock.now) == 4  # 2^(7-5)
    with pytest.raises(sessions.LoginRefused) as refused:
        sessions.login(session, email=OWNER, password=PASSWORD, ip=ATTACKER)  # even the right password waits
    assert str(refused.value) == "Too many failed attempts. Try again in 4 seconds."
    assert wait_seconds(session, email_key=OWNER, ip=OWNER_IP, now=clock.now) == 0
    token, principal = sessions.login(session, email=OWNER, password=PASSWORD, ip=OWNER_IP)
    assert token and principal.actor == OWNER


def test_a_throttled_attempt_is_refused_unjudged_and_not_recorded(session: Session, clock: Clock) -> None:
    make_principal(session, "viewer", email=OWNER)
    _fail(session, OWNER, ATTACKER, times=5)
    before = _attempts(session)
    for _ in range(10):  # hammering while throttled neither counts nor lengthens the wait
        with pytest.raises(sessions.LoginRefused, match="Too many failed attempts"):
            sessions.login(session, email=OWNER, password="wrong guess", ip=ATTACKER)
    assert _attempts(session) == before
    assert wait_seconds(session, email_key=OWNER, ip=ATTACKER, now=clock.now) == 1
    clock.advance(1)
    assert sessions.login(session, email=OWNER, password=PASSWORD, ip=ATTACKER)[0]  # waited: judged again


def test_the_owner_waits_no_longer_once_the_window_has_passed(session: Session) -> None:
    make_principal(session, "viewer", email=OWNER)
    _record(session, OWNER, ATTACKER, failures=12, at=utcnow() - timedelta(minutes=16))
    assert wait_seconds(session, email_key=OWNER, ip=ATTACKER, now=utcnow()) == 0
    assert sessions.login(session, email=OWNER, password=PASSWORD, ip=ATTACKER)[0]


def test_one_address_spraying_many_accounts_is_slowed(session: Session) -> None:
    """The probe's pattern: 48 failures over 12 addresses from one socket. Each account stays under its own
    five free failures (4 each); the address does not: 20 free, then 1, 2, 4, ... seconds, capped at 300."""
    now = utcnow()
    emails = [f"user{i}@example.com" for i in range(12)]
    waits = []
    for n in range(48):
        _record(session, emails[n % 12], ATTACKER, failures=1, at=now)
        waits.append(wait_seconds(session, email_key=emails[n % 12], ip=ATTACKER, now=now))
    assert get_settings().login_ip_max_failures == 20
    assert waits[:19] == [0] * 19
    assert waits[19:29] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert waits[29:] == [300] * 19
    assert wait_seconds(session, email_key="fresh@example.com", ip=ATTACKER, now=now) == 300  # any account
    assert wait_seconds(session, email_key=emails[0], ip=OWNER_IP, now=now) == 0  # not other addresses


def test_many_addresses_on_one_account_slow_new_addresses_not_the_owners_usual_one(session: Session) -> None:
    make_principal(session, "viewer", email=OWNER)
    now = utcnow()
    _record(session, OWNER, OWNER_IP, failures=1, at=now - timedelta(days=2), success=True)
    free = get_settings().login_account_max_failures
    for i in range(free + 3):  # each address under its own limits
        _record(session, OWNER, f"192.0.2.{i}", failures=1, at=now - timedelta(seconds=1))
    assert wait_seconds(session, email_key=OWNER, ip="192.0.2.250", now=now) == 2**3 - 1  # 1 s already passed
    assert wait_seconds(session, email_key=OWNER, ip=OWNER_IP, now=now) == 0
    assert sessions.login(session, email=OWNER, password=PASSWORD, ip=OWNER_IP)[0]


def test_a_success_resets_the_account_and_address_count(session: Session, clock: Clock) -> None:
    make_principal(session, "viewer", email=OWNER)
    _fail(session, OWNER, OWNER_IP, times=4)
    assert sessions.login(session, email=OWNER, password=PASSWORD, ip=OWNER_IP)[0]
    clock.advance(1)
    _fail(session, OWNER, OWNER_IP, times=4)  # a typo-prone owner: still under the free five
    assert wait_seconds(session, email_key=OWNER, ip=OWNER_IP, now=clock.now) == 0


@pytest.mark.parametrize("email", [OWNER, "no-such-account@example.com"])
def test_known_and_unknown_emails_get_the_same_answers(session: Session, clock: Clock, email: str) -> None:
    make_principal(session, "viewer", email=OWNER)
    messages = []
    for _ in range(6):
        with pytest.raises(sessions.LoginRefused) as refused:
            sessions.login(session, email=email, password="wrong guess", ip=ATTACKER)
        messages.append(str(refused.value))
    assert messages[:5] == [sessions.WRONG_CREDENTIALS] * 5
    assert messages[5] == "Too many failed attempts. Try again in 1 second."


def test_an_unknown_email_costs_a_password_verification_as_a_known_one_does(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_principal(session, "viewer", email=OWNER)
    verified: list[bool] = []
    real = passwords._hasher

    class Spy:
        def verify(self, hash_: str, password: str) -> bool:
            verified.append(hash_ == passwords._DUMMY_HASH)
            return real.verify(hash_, password)

    monkeypatch.setattr(passwords, "_hasher", Spy())
    _fail(session, OWNER, ATTACKER)
    _fail(session, "ghost@example.com", OWNER_IP)
    assert verified == [False, True]  # one argon2 verification each: the unknown one against the dummy hash


def test_old_attempts_are_pruned_on_the_next_attempt(session: Session, clock: Clock) -> None:
    make_principal(session, "viewer", email=OWNER)
    settings = get_settings()
    now = clock.now
    window = timedelta(minutes=settings.login_window_minutes)
    _record(session, "old@example.com", ATTACKER, failures=3, at=now - login_throttle.PRUNE_FACTOR * window - window)
    _record(session, "kept@example.com", ATTACKER, failures=1, at=now - login_throttle.PRUNE_FACTOR * window + window)
    _record(
        session, OWNER, OWNER_IP, failures=1, at=now - timedelta(days=settings.login_trusted_days + 1), success=True
    )
    _record(session, OWNER, OWNER_IP, failures=1, at=now - timedelta(days=2), success=True)
    _fail(session, "someone@example.com", "192.0.2.1")
    assert sorted(_attempts(session)) == sorted(
        [
            ("kept@example.com", ATTACKER, False),
            (OWNER, OWNER_IP, True),
            ("someone@example.com", "192.0.2.1", False),
        ]
    )


def test_an_attempt_without_an_address_is_counted_under_unknown(session: Session) -> None:
    _fail(session, "x@example.com", "")
    assert _attempts(session) == [("x@example.com", login_throttle.UNKNOWN_IP, False)]


def test_attempts_on_one_email_are_judged_one_at_a_time(session: Session, database_url: str) -> None:
    """Another connection judging an attempt on the same e-mail holds the account's lock: this attempt waits
    for it (here: gives up after 200 ms) instead of passing the throttle check alongside it."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as other:
        other.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ["login:busy@example.com"])
        session.exec(text("SET LOCAL lock_timeout = '200ms'"))  # type: ignore[call-overload]
        with pytest.raises(OperationalError, match="lock timeout"):
            sessions.login(session, email="Busy@Example.com", password="wrong guess", ip=ATTACKER)
