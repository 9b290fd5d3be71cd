"""FX rates with history: units of base currency per unit of a currency, effective from a date.

The base currency's rate is always 1 and is never stored; a rate applies from its date until the next one.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.models import Currency, FxRate
from opex_app.services import audit
from opex_app.services.errors import NotFound, ServiceError
from opex_app.settings import get_settings

ONE = Decimal(1)


def set_rate(
    session: Session, principal: Principal, *, currency: str, rate: Decimal | str, effective_from: date
) -> FxRate:
    """Record (or correct) the rate of `currency` from `effective_from`; audited with the rate it replaces."""
    require(principal, Permission.MANAGE_FX)
    code = currency.strip().upper()
    if code == get_settings().base_currency:
        raise ServiceError(f"{code} is the base currency: its rate is always 1")
    if session.get(Currency, code) is None:
        raise ServiceError(f"unknown currency '{currency}'")
    try:
        value = Decimal(str(rate)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        raise ServiceError(f"'{rate}' is not a rate") from None
    if value <= 0:
        raise ServiceError("a rate must be greater than zero")
    row = session.exec(
        select(FxRate).where(FxRate.currency_code == code, FxRate.effective_from == effective_from)
    ).first()
    before = row.rate_to_base if row else None
    if row is None:
        row = FxRate(currency_code=code, rate_to_base=value, effective_from=effective_from, created_by=principal.actor)
    else:
        row.rate_to_base = value
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        action="update" if before is not None else "create",
        entity="fx_rate",
        entity_id=row.id,
        changes={
            "currency": [code, code],
            "effective_from": [None, effective_from.isoformat()],
            "rate_to_base": [None if before is None else str(before), str(value)],
        },
    )
    return row


def rate_on(session: Session, currency: str, day: date) -> Decimal:
    """Units of base currency per unit of `currency` on `day` (1 for the base currency)."""
    code = currency.strip().upper()
    if code == get_settings().base_currency:
        return ONE
    row = session.exec(
        select(FxRate)
        .where(FxRate.currency_code == code, col(FxRate.effective_from) <= day)
        .order_by(col(FxRate.effective_from).desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound(f"no {code} rate on or before {day.isoformat()}")
    return row.rate_to_base
