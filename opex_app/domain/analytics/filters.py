"""The dashboard's and reports' filters: FY-independent selections on a line's dimensions, by name.

A filter is kept in the URL (`?tower=Infra&vendor=Acme`), sent to the read API as query parameters, and
part of every cache key, so it is a small frozen value with a stable text form. Names match the master
names exactly as stored (the pickers offer only stored names); an unknown name simply matches no line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import polars as pl

# the filterable dimensions, in the order the pages show them: URL parameter == frame column
FILTER_DIMENSIONS: tuple[str, ...] = ("tower", "budget_head", "cost_centre", "vendor", "entity")
FILTER_LABELS: dict[str, str] = {
    "tower": "Tower",
    "budget_head": "Budget head",
    "cost_centre": "Cost centre",
    "vendor": "Vendor",
    "entity": "Entity",
}


@dataclass(frozen=True)
class Filters:
    tower: str | None = None
    budget_head: str | None = None
    cost_centre: str | None = None
    vendor: str | None = None
    entity: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str | None]) -> Filters:
        """From URL/query parameters: unknown keys are ignored, blank values mean no filter."""
        values = {name: (str(params.get(name) or "").strip() or None) for name in FILTER_DIMENSIONS}
        return cls(**values)

    def as_params(self) -> dict[str, str]:
        """The set filters only, in FILTER_DIMENSIONS order (a URL query or a cache key part)."""
        return {f.name: value for f in fields(self) if (value := getattr(self, f.name)) is not None}

    def cache_key(self) -> str:
        return "&".join(f"{k}={v}" for k, v in self.as_params().items())

    def expr(self) -> pl.Expr:
        """Boolean expression on a FIGURES_SCHEMA frame: the row's line matches every set filter."""
        conditions = [pl.col(name) == value for name, value in self.as_params().items()]
        return pl.all_horizontal(conditions) if conditions else pl.lit(True)

    def __bool__(self) -> bool:
        return bool(self.as_params())
