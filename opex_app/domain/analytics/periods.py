"""Report periods of a fiscal year: a month, a quarter, year to date, or the whole FY.

A period is a filter on `fiscal_month`. Year to date depends on the as-of month (see `as_of_month`): the
fiscal months 1..as-of month, so it is empty before the FY starts and the whole FY after it ends.
The CLI spells periods `fy`, `ytd`, `q1`..`q4` or a month label of the FY such as `Apr-26`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import polars as pl

from opex_app.domain.fiscal import FiscalYear

PeriodKind = Literal["month", "quarter", "ytd", "fy"]


@dataclass(frozen=True)
class Period:
    """`index` is the fiscal month (1..12) of a month, the quarter (1..4) of a quarter, else 0."""

    kind: PeriodKind
    index: int = 0

    def __post_init__(self) -> None:
        bounds = {"month": (1, 12), "quarter": (1, 4), "ytd": (0, 0), "fy": (0, 0)}[self.kind]
        if not bounds[0] <= self.index <= bounds[1]:
            raise ValueError(f"{self.kind} period index must be {bounds[0]}..{bounds[1]}, got {self.index}")

    def months(self, as_of_month: int) -> range:
        """The fiscal months of the period (as_of_month: see `as_of_month`, 0..13)."""
        if self.kind == "month":
            return range(self.index, self.index + 1)
        if self.kind == "quarter":
            return range(3 * self.index - 2, 3 * self.index + 1)
        if self.kind == "ytd":
            return range(1, min(max(as_of_month, 0), 12) + 1)
        return range(1, 13)

    def filter(self, as_of_month: int) -> pl.Expr:
        """Boolean expression on `fiscal_month`: the row falls in the period."""
        months = self.months(as_of_month)
        return pl.col("fiscal_month").is_between(months.start, months.stop - 1)

    def label(self, fy: FiscalYear) -> str:
        if self.kind == "month":
            return fy.month_label(self.index)
        if self.kind == "quarter":
            return f"Q{self.index} {fy.name}"
        return f"{self.kind.upper()} {fy.name}"

    @property
    def key(self) -> str:
        """The FY-independent spelling stored with variance comments and kept in URLs: fy, ytd, q1..q4, m01..m12."""
        if self.kind == "month":
            return f"m{self.index:02d}"
        if self.kind == "quarter":
            return f"q{self.index}"
        return self.kind

    @classmethod
    def from_key(cls, key: str) -> Period:
        """The period of a `key` (fy, ytd, q1..q4, m01..m12); ValueError for anything else."""
        raw = str(key).strip().lower()
        if raw in ("fy", "ytd"):
            return cls(raw)  # type: ignore[arg-type]  # narrowed by the membership test
        if len(raw) == 2 and raw[0] == "q" and raw[1] in "1234":
            return cls("quarter", int(raw[1]))
        if len(raw) == 3 and raw[0] == "m" and raw[1:].isdigit() and 1 <= int(raw[1:]) <= 12:
            return cls("month", int(raw[1:]))
        raise ValueError(f"'{key}' is not a period key (expected fy, ytd, q1..q4 or m01..m12)")


FY = Period("fy")
YTD = Period("ytd")


def parse_period(text: str, fy: FiscalYear) -> Period:
    """`fy`, `ytd`, `q1`..`q4` or a month label of `fy` (e.g. `Apr-26`), case-insensitive."""
    raw = str(text).strip().lower()
    if raw in ("fy", "ytd"):
        return Period(raw)  # type: ignore[arg-type]  # narrowed by the membership test
    if raw in ("q1", "q2", "q3", "q4"):
        return Period("quarter", int(raw[1]))
    labels = [label.lower() for label in fy.month_labels()]
    if raw in labels:
        return Period("month", labels.index(raw) + 1)
    raise ValueError(
        f"'{text}' is not a period of {fy.name} (expected fy, ytd, q1..q4 or a month "
        f"{fy.month_label(1)}..{fy.month_label(12)})"
    )


def as_of_month(fy: FiscalYear, as_of: date) -> int:
    """The fiscal month of `as_of` in `fy`: 0 before the FY starts, 13 after it ends (every month closed).

    Months before it are closed, it and the later ones remaining.
    """
    if as_of < fy.start_date:
        return 0
    if as_of > fy.end_date:
        return 13
    return (as_of.year * 12 + as_of.month) - (fy.start_date.year * 12 + fy.start_date.month) + 1
