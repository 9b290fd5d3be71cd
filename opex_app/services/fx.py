"""FX rates with history: units of base currency per unit of a currency, effective from a date.

The base currency's rate is always 1 and is never stored; a rate applies from its date until the next one.
History is never overwritten: a correction of a date's rate is a new row, audited with the rate it
replaces, and the latest row of a date wins. The one lookup is the SQL function `fx_rate_on(code, day,
base)` (migration 0004), which `rate_on` and `rates_on` call and every figure in SQL uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import text
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.models import Currency, FxRate
from opex_app.models._types import utcnow
from opex_app.services import audit
from opex_app.services.errors import NotFound, ServiceError
from opex_app.settings import get_settings

ONE = Decimal(1)
RATE_QUANTUM = Decimal("0.000001")
MAX_RATE = Decimal(10) ** 12  # NUMERIC(18, 6): 12 digits before the point


@dataclass(frozen=True)
class NewRate:
    """A rate to record (checked by `check_rate` or the import's checks)."""

    currency: str
    rate: Decimal
    effective_from: date


@dataclass(frozen=True)
class RateRow:
    """One stored rate, with who recorded it and when; `corrected` when a later row of the same date
    replaced it (it is kept, never in force)."""

    id: int
    currency: str
    rate: Decimal
    effective_from: date
    created_by: str
    created_at: datetime
    corrected: bool = False


@dataclass(frozen=True)
class CurrentRate:
    """A currency's rate in force on the listing's date (None when its rates all start later), and the
    date of the next change when one is already recorded."""

    currency: str
    rate: RateRow | None
    next_from: date | None


@dataclass(frozen=True)
class RateListing:
    as_of: date
    current: list[CurrentRate]  # one per currency that has a rate (whichever was asked for), by code
    history: list[RateRow]  # every row (of the currency asked for), newest first


def currency_code(session: Session, currency: str) -> str:
    """The code of a currency that may have a stored rate; refuses the base currency and unknown codes."""
    code = currency.strip().upper()
    if code == get_settings().base_currency:
        raise ServiceError(f"{code} is the base currency: its rate is always 1")
    if not code or session.get(Currency, code) is None:
        raise ServiceError(f"unknown currency '{currency}'")
    return code


def parse_rate(rate: Decimal | str) -> Decimal:
    """A rate as stored (6 decimals); refuses what is not a number, zero or less, or too large."""
    try:
        value = Decimal(str(rate).strip()).quantize(RATE_QUANTUM)
    except InvalidOperation:
        raise ServiceError(f"'{rate}' is not a rate") from None
    if not value.is_finite():
        raise ServiceError(f"'{rate}' is not a rate")
    if value <= 0:
        raise ServiceError("a rate must be greater than zero")
    if value >= MAX_RATE:
        raise ServiceError(f"'{rate}' is too large for a rate (at most 12 digits before the point)")
    return value


def set_rate(
    session: Session, principal: Principal, *, currency: str, rate: Decimal | str, effective_from: date
) -> FxRate:
    """Record the rate of `currency` from `effective_from` as a new row. When the date already has a
    rate, this is a correction: the new row wins and the audit event names the rate it replaces."""
    require(principal, Permission.MANAGE_FX)
    new = NewRate(currency_code(session, currency), parse_rate(rate), effective_from)
    return record_rates(session, principal, [new])[0]


def record_rates(
    session: Session, principal: Principal, rates: Iterable[NewRate], *, import_batch_id: int | None = None
) -> list[FxRate]:
    """Insert checked rates, one audit event each: `create`, or `correct` with the rate (and row) it
    replaces when its date already had one. The one write path of `set_rate` and the FX import."""
    require(principal, Permission.MANAGE_FX)
    rates = list(rates)
    replaced = _latest_of_dates(session, {(r.currency, r.effective_from) for r in rates})
    now = utcnow()
    rows = [
        FxRate(
            currency_code=r.currency,
            rate_to_base=r.rate,
            effective_from=r.effective_from,
            created_at=now,
            created_by=principal.actor,
        )
        for r in rates
    ]
    session.add_all(rows)
    session.flush()
    for row in rows:
        before = replaced.get((row.currency_code, row.effective_from))
        changes: dict[str, list[object]] = {
            "currency": [None, row.currency_code],
            "effective_from": [None, row.effective_from.isoformat()],
            "rate_to_base": [None if before is None else str(before.rate_to_base), str(row.rate_to_base)],
        }
        if before is not None:  # the row in force for this currency and date: from the replaced one to this one
            changes["in_force_id"] = [before.id, row.id]
        audit.record(
            session,
            principal,
            action="create" if before is None else "correct",
            entity="fx_rate",
            entity_id=row.id,
            changes=changes,
            import_batch_id=import_batch_id,
        )
    return rows


def stored_rate(session: Session, currency: str, day: date) -> FxRate | None:
    """The latest row recorded for exactly `day` (the one a new rate of that date would correct)."""
    code = currency.strip().upper()
    return _latest_of_dates(session, {(code, day)}).get((code, day))


def shown_rate(rate: Decimal) -> str:
    """A rate as people write it: 83.250000 -> '83.25', 100.000000 -> '100'."""
    return format(rate.normalize(), "f")


def _latest_of_dates(session: Session, keys: set[tuple[str, date]]) -> dict[tuple[str, date], FxRate]:
    """The latest row of each (currency, date) that has one."""
    if not keys:
        return {}
    codes = sorted({code for code, _ in keys})
    days = sorted({day for _, day in keys})
    found: dict[tuple[str, date], FxRate] = {}
    rows = session.exec(
        select(FxRate)
        .where(col(FxRate.currency_code).in_(codes), col(FxRate.effective_from).in_(days))
        .order_by(col(FxRate.id))
    )
    for row in rows:
        key = (row.currency_code, row.effective_from)
        if key in keys:
            found[key] = row  # ordered by id: the last one wins
    return found


_RATE_ON = text("SELECT fx_rate_on(:code, :day, :base)")
_RATES_ON = text(
    """
    SELECT k.code, k.day, fx_rate_on(k.code, k.day, :base)
    FROM unnest(CAST(:codes AS text[]), CAST(:days AS date[])) AS k(code, day)
    """
)


def rate_on(session: Session, currency: str, day: date) -> Decimal:
    """Units of base currency per unit of `currency` on `day` (1 for the base currency). A missing rate is
    an error naming the currency and the date (NotFound), never 1 or a null."""
    code = currency.strip().upper()
    value = session.execute(_RATE_ON, {"code": code, "day": day, "base": get_settings().base_currency}).scalar()
    if value is None:
        raise NotFound(missing_rate_message(code, day))
    return Decimal(value)


def missing_rate_message(code: str, day: date) -> str:
    return f"no {code} rate on {day.isoformat()}: no {code} rate is effective on or before that date"


def rates_on(session: Session, pairs: Iterable[tuple[str, date]]) -> dict[tuple[str, date], Decimal | None]:
    """The rates of many (currency, day) pairs in one query; None where there is no rate (the caller
    reports it on the row that needs it, e.g. with `missing_rate_message`). Keys are the pairs as given."""
    given = set(pairs)
    if not given:
        return {}
    unique = sorted({(code.strip().upper(), day) for code, day in given})
    params = {
        "codes": [code for code, _ in unique],
        "days": [day for _, day in unique],
        "base": get_settings().base_currency,
    }
    found = {(code, day): value for code, day, value in session.execute(_RATES_ON, params)}
    out: dict[tuple[str, date], Decimal | None] = {}
    for code, day in given:
        value = found.get((code.strip().upper(), day))
        out[(code, day)] = None if value is None else Decimal(value)
    return out


_CURRENT = text(
    """
    SELECT c.code, r.id, r.rate_to_base, r.effective_from, r.created_by, r.created_at,
           (SELECT min(n.effective_from) FROM fx_rate n
            WHERE n.currency_code = c.code AND n.effective_from > :as_of) AS next_from
    FROM (SELECT DISTINCT currency_code AS code FROM fx_rate) c
    LEFT JOIN LATERAL (
        -- the row fx_rate_on(code, :as_of, base) takes: the latest row of the latest date on or before it
        SELECT * FROM fx_rate r WHERE r.currency_code = c.code AND r.effective_from <= :as_of
        ORDER BY r.effective_from DESC, r.id DESC LIMIT 1
    ) r ON true
    ORDER BY c.code
    """
)
_HISTORY = text(
    """
    SELECT r.id, r.currency_code, r.rate_to_base, r.effective_from, r.created_by, r.created_at,
           EXISTS (SELECT 1 FROM fx_rate l WHERE l.currency_code = r.currency_code
                   AND l.effective_from = r.effective_from AND l.id > r.id) AS corrected
    FROM fx_rate r
    WHERE CAST(:code AS text) IS NULL OR r.currency_code = :code
    ORDER BY r.effective_from DESC, r.id DESC
    """
)


def list_rates(
    session: Session, principal: Principal, currency: str | None = None, *, as_of: date | None = None
) -> RateListing:
    """The rate in force on `as_of` (default today) of every currency that has a rate, and the history,
    newest first, of `currency` when given (else of every currency), with who recorded each row and when."""
    require(principal, Permission.VIEW_DASHBOARDS)
    code = currency_code(session, currency) if currency is not None else None
    day = as_of or utcnow().date()
    current = [
        CurrentRate(
            currency=c,
            rate=None if rid is None else RateRow(rid, c, Decimal(rate), start, by, at),
            next_from=next_from,
        )
        for c, rid, rate, start, by, at, next_from in session.execute(_CURRENT, {"as_of": day})
    ]
    history = [
        RateRow(rid, c, Decimal(rate), start, by, at, bool(corrected))
        for rid, c, rate, start, by, at, corrected in session.execute(_HISTORY, {"code": code})
    ]
    return RateListing(day, current, history)
