"""Money display in the user's number format: Indian (lakh/crore) or western grouping, in full or short.

Each user picks a format (`app_user.number_format`); the figures are the same, only the text differs:

    format      full              short
    indian      1,23,45,678.90    1.23 Cr, 45.60 L, below a lakh the full figure without decimals: 99,999
    western     12,345,678.90     12.35M, 45.60K, 1.23B, below a thousand the figure without decimals: 999

A short figure has two decimals and the largest unit its rounded value reaches (9,999,999 is 1.00 Cr, not
100.00 L; 99,999.4 is 99,999). Negatives carry a leading minus (-1.23 Cr). Rounding is half away from zero everywhere.
Stored values and exports never pass through here: this is display only.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, get_args

NumberFormat = Literal["indian", "western"]
NUMBER_FORMATS: tuple[NumberFormat, ...] = get_args(NumberFormat)

LAKH = Decimal(100_000)
CRORE = Decimal(10_000_000)
# short-form units per format, largest first: (size, suffix)
_SHORT_UNITS: dict[NumberFormat, tuple[tuple[Decimal, str], ...]] = {
    "indian": ((CRORE, " Cr"), (LAKH, " L")),
    "western": ((Decimal(10**9), "B"), (Decimal(10**6), "M"), (Decimal(10**3), "K")),
}
_CENT = Decimal("0.01")


def as_number_format(value: str) -> NumberFormat:
    """The NumberFormat named by `value` (as stored on the user), or ValueError naming the choices."""
    if value not in NUMBER_FORMATS:
        raise ValueError(f"number format must be one of {', '.join(NUMBER_FORMATS)}, got '{value}'")
    return value  # type: ignore[return-value]  # narrowed by the membership test


def _rounded(amount: Decimal | int | float, decimals: int) -> Decimal:
    return Decimal(str(amount)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_indian(amount: Decimal | int | float, decimals: int = 2) -> str:
    """12,34,567.89: the last three digits, then groups of two."""
    value = _rounded(amount, decimals)
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


def format_western(amount: Decimal | int | float, decimals: int = 2) -> str:
    """12,345,678.90: groups of three."""
    value = _rounded(amount, decimals)
    return f"{'-' if value < 0 else ''}{abs(value):,.{decimals}f}"


def format_amount(amount: Decimal | int | float, number_format: NumberFormat = "indian", decimals: int = 2) -> str:
    """The full figure in the user's grouping."""
    if number_format == "western":
        return format_western(amount, decimals)
    return format_indian(amount, decimals)


def _short_unit(value: Decimal, number_format: NumberFormat) -> tuple[Decimal, str] | None:
    """The largest unit the value reaches once rounded as the next smaller form would show it.

    Below a unit, the next smaller unit shows hundredths of itself (the smallest unit: whole numbers). So
    9,999,999 is 1.00 Cr (it would show as 100.00 L) and 99,999.4 stays 99,999 (it shows below a lakh).
    """
    units = _SHORT_UNITS[number_format]
    steps = [*(size / 100 for size, _ in units[1:]), Decimal(1)]
    for (size, suffix), step in zip(units, steps, strict=True):
        if abs((value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step) >= size:
            return size, suffix
    return None


def format_short(amount: Decimal | int | float, number_format: NumberFormat = "indian") -> str:
    """1.23 Cr / 45.60 L (Indian) or 1.23B / 12.35M / 45.60K (western); smaller figures in full, no decimals."""
    value = Decimal(str(amount))
    unit = _short_unit(value, number_format)
    if unit is None:
        return format_amount(value, number_format, 0)
    scaled = (value / unit[0]).quantize(_CENT, rounding=ROUND_HALF_UP)
    return f"{'-' if scaled < 0 else ''}{abs(scaled):,.2f}{unit[1]}"
