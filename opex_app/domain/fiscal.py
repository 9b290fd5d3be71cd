"""Fiscal calendar: the one place that maps dates to fiscal years and months.

A fiscal year (FY) is twelve months starting at a configurable calendar month
(default April) and is named by the calendar year it ends in: with an April
start, FY27 runs from 1 Apr 2026 to 31 Mar 2027. Fiscal month 1 is the start
month. With a January start the FY equals the calendar year.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

MONTH_ABBR = tuple(calendar.month_abbr[m] for m in range(1, 13))  # ('Jan', ..., 'Dec')

_FY_NAME = re.compile(r"^\s*FY\s*'?(\d{2}|\d{4})\s*$", re.IGNORECASE)


def _check_start(start_month: int) -> None:
    if not 1 <= start_month <= 12:
        raise ValueError(f"fiscal year start month must be 1..12, got {start_month}")


@dataclass(frozen=True, order=True)
class FiscalYear:
    """A fiscal year, identified by the calendar year it ends in."""

    end_year: int
    start_month: int = 4

    def __post_init__(self) -> None:
        _check_start(self.start_month)

    @property
    def name(self) -> str:
        return f"FY{self.end_year % 100:02d}"

    @property
    def start_year(self) -> int:
        return self.end_year if self.start_month == 1 else self.end_year - 1

    @property
    def start_date(self) -> date:
        return date(self.start_year, self.start_month, 1)

    @property
    def end_date(self) -> date:
        year, month = self.calendar_month(12)
        return date(year, month, calendar.monthrange(year, month)[1])

    def calendar_month(self, fiscal_month: int) -> tuple[int, int]:
        """(calendar year, calendar month) of fiscal month 1..12."""
        if not 1 <= fiscal_month <= 12:
            raise ValueError(f"fiscal month must be 1..12, got {fiscal_month}")
        index = self.start_month - 1 + fiscal_month - 1
        return self.start_year + index // 12, index % 12 + 1

    def month_label(self, fiscal_month: int) -> str:
        """Label of a fiscal month as shown in grids and exports, e.g. 'Apr-26'."""
        year, month = self.calendar_month(fiscal_month)
        return f"{MONTH_ABBR[month - 1]}-{year % 100:02d}"

    def month_labels(self) -> list[str]:
        return [self.month_label(m) for m in range(1, 13)]

    def contains(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date

    def __str__(self) -> str:
        return self.name


def fiscal_year_of(day: date, start_month: int = 4) -> FiscalYear:
    """The fiscal year a date falls in."""
    _check_start(start_month)
    if start_month == 1 or day.month < start_month:
        return FiscalYear(day.year, start_month)
    return FiscalYear(day.year + 1, start_month)


def fiscal_month_of(day: date, start_month: int = 4) -> int:
    """Fiscal month 1..12 of a date."""
    _check_start(start_month)
    return (day.month - start_month) % 12 + 1


def fiscal_period(day: date, start_month: int = 4) -> tuple[FiscalYear, int]:
    """(FY, fiscal month) of a date."""
    return fiscal_year_of(day, start_month), fiscal_month_of(day, start_month)


def fiscal_year_for_month(year: int, month: int, start_month: int = 4) -> tuple[FiscalYear, int]:
    """(FY, fiscal month) of a calendar month."""
    return fiscal_period(date(year, month, 1), start_month)


def parse_fiscal_year(text: str, start_month: int = 4) -> FiscalYear:
    """Parse 'FY27', 'fy 27', 'FY2027' or '2027' into a FiscalYear.

    Raises ValueError with a readable message otherwise.
    """
    raw = str(text).strip()
    match = _FY_NAME.match(raw) or re.match(r"^\s*(\d{4})\s*$", raw)
    if not match:
        raise ValueError(f"'{text}' is not a fiscal year name (expected e.g. FY27)")
    digits = match.group(1)
    end_year = int(digits) if len(digits) == 4 else 2000 + int(digits)
    return FiscalYear(end_year, start_month)
