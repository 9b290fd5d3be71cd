"""Admin-set application settings stored in `app_setting` (key -> JSON): for now the variance thresholds.

Variance thresholds (key `variance_thresholds`, value `{"pct": "10", "amount": "100000"}`, decimal strings so
nothing passes through a float): a report member is flagged, and a comment asked for, when |variance|
exceeds BOTH `pct` % of its budget and `amount` base-currency units (domain.analytics.exceeds_thresholds).
Until an admin sets them the defaults apply: 10 % and 1,00,000 units (one lakh), small enough to catch a
line that is really off, large enough not to ask for comments on rounding-sized gaps.

Setting them needs MANAGE_MASTERS: like the masters, the thresholds are reference data every report reads,
and only an admin holds that permission; MANAGE_USERS is about accounts, which this is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.models import AppSetting
from opex_app.models._types import utcnow
from opex_app.services import audit
from opex_app.services.errors import ServiceError

THRESHOLDS_KEY = "variance_thresholds"
DEFAULT_PCT = Decimal("10")
DEFAULT_AMOUNT = Decimal("100000")
MAX_PCT = Decimal("1000")
MAX_AMOUNT = Decimal("9999999999999999.99")  # NUMERIC(18,2)


@dataclass(frozen=True)
class Thresholds:
    pct: Decimal  # percent of budget: 10 means 10 %
    amount: Decimal  # base-currency units
    is_default: bool = False  # nothing stored yet: the defaults apply

    def as_json(self) -> dict[str, str]:
        return {"pct": plain(self.pct), "amount": plain(self.amount)}


DEFAULT_THRESHOLDS = Thresholds(DEFAULT_PCT, DEFAULT_AMOUNT, is_default=True)


def plain(value: Decimal) -> str:
    """12.5, 100000: no exponent, no trailing zeros (what is stored and shown)."""
    return format(value.normalize(), "f")


def _decimal(raw: Any, what: str, *, places: int) -> Decimal:
    text = str(raw if raw is not None else "").strip().replace(",", "").removesuffix("%").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ServiceError(f"'{raw}' is not a number ({what}).") from None
    if not value.is_finite():
        raise ServiceError(f"'{raw}' is not a number ({what}).")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise ServiceError(f"{what} takes at most {places} decimals, got '{raw}'.")
    return value.quantize(Decimal(1).scaleb(-places))


def parse_thresholds(pct: Any, amount: Any) -> Thresholds:
    """The thresholds from user text or numbers ('12.5', '1,00,000'); ServiceError with a clear message."""
    pct_value = _decimal(pct, "the variance % threshold", places=2)
    amount_value = _decimal(amount, "the variance amount threshold", places=2)
    if not Decimal(0) <= pct_value <= MAX_PCT:
        raise ServiceError(f"The variance % threshold must be between 0 and {MAX_PCT}, got {pct_value}.")
    if not Decimal(0) <= amount_value <= MAX_AMOUNT:
        raise ServiceError(f"The variance amount threshold must be 0 or more, got {amount_value}.")
    return Thresholds(pct_value, amount_value)


def get_thresholds(session: Session) -> Thresholds:
    """The thresholds in force (the defaults when none are stored).

    A stored value that no longer reads as thresholds (hand-edited) is an error, not silently the defaults:
    an admin saves the thresholds again to repair it."""
    row = session.get(AppSetting, THRESHOLDS_KEY)
    if row is None:
        return DEFAULT_THRESHOLDS
    value = row.value if isinstance(row.value, dict) else {}
    try:
        return parse_thresholds(value.get("pct"), value.get("amount"))
    except ServiceError as exc:
        raise ServiceError(
            f"The stored variance thresholds are unreadable ({exc}) Ask an admin to set them again."
        ) from None


def set_thresholds(session: Session, principal: Principal, *, pct: Any, amount: Any) -> Thresholds:
    """Store new thresholds (audited with before and after); returns them as stored."""
    require(principal, Permission.MANAGE_MASTERS)
    new = parse_thresholds(pct, amount)
    row = session.get(AppSetting, THRESHOLDS_KEY)
    before = row.value if row is not None else None
    after = new.as_json()
    if row is None:
        row = AppSetting(key=THRESHOLDS_KEY, value=after, updated_by=principal.actor)
    else:
        row.value, row.updated_at, row.updated_by = after, utcnow(), principal.actor
    if before != after:
        session.add(row)
        audit.record(
            session,
            principal,
            action="create" if before is None else "update",
            entity="app_setting",
            entity_id=THRESHOLDS_KEY,
            changes=audit.changed_fields(before or {}, after),
        )
        session.flush()
    return new
