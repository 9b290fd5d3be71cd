"""Money display: Indian (lakh/crore) or western grouping, and short lakh/crore figures."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

LAKH = Decimal(100_000)
CRORE = Decimal(10_000_000)


def format_indian(amount: Decimal | int | float, decimals: int = 2) -> str:
    """12,34,567.89: the last three digits, then groups of two."""
    value = Decimal(str(amount)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):.{decimals}f}".partition(".")
    head, tail = whole[:-3], whole[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    grouped = ",".join([*groups, tail]) if groups else tail
    return f"{sign}{grouped}" + (f".{frac}" if decimals else "")


def format_short(amount: Decimal | int | float) -> str:
    """1.23 Cr, 45.60 L, or the plain grouped figure below a lakh."""
    value = Decimal(str(amount))
    if abs(value) >= CRORE:
        return f"{value / CRORE:,.2f} Cr"
    if abs(value) >= LAKH:
        return f"{value / LAKH:,.2f} L"
    return format_indian(value, 0)
