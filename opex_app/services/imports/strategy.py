"""How one import kind meets the database: a write strategy per kind, one pipeline for all.

The pipeline (`pipeline.run_import`) reads the file by the kind's spec, checks masters and currencies,
then asks the strategy for the rest: what is stored to compare with, the kind's own checks, the plan (new,
changed, unchanged), the changed cells to preview, what is stored but not in the file, and the write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl
from sqlmodel import Session

from opex_app.auth.permissions import Principal
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest import CellError, ParsedImport
from opex_app.services.imports.result import CellChange, ImportResult

PREVIEW_LIMIT = 500  # changed cells / missing keys listed in a preview


@dataclass
class Plan:
    new: pl.DataFrame
    changed: pl.DataFrame  # joined with the stored values (suffix _old)
    unchanged: pl.DataFrame
    columns: tuple[str, ...] = ()  # stored columns the file sets
    extra: dict[str, Any] = field(default_factory=dict)  # what a strategy needs to carry to its write


class WriteStrategy(Protocol):
    def prefetch(self, session: Session, chosen: FiscalYear | None) -> None:
        """Read what can be read before the file is parsed (runs while it is parsed)."""

    def load(self, session: Session, parsed: ParsedImport) -> None:
        """Read what the file is compared with, now that it is parsed."""

    def checks(self, parsed: ParsedImport, rows: pl.DataFrame) -> list[CellError]:
        """The kind's own checks against the database (rows: the valid ones)."""

    def plan(self, parsed: ParsedImport, accepted: pl.DataFrame, known: dict[str, dict[str, int]]) -> Plan:
        """New, changed and unchanged lines (masters resolved with `known`; null for names still to create)."""

    def changes(self, session: Session, parsed: ParsedImport, plan: Plan) -> list[CellChange]:
        """The changed cells to preview (at most PREVIEW_LIMIT)."""

    def missing(self, parsed: ParsedImport, rows: pl.DataFrame) -> pl.Series:
        """Keys stored (in the file's scope) but not in the file: listed, never deleted."""

    def fiscal_year_id(self, session: Session, parsed: ParsedImport) -> int | None:
        """The FY the batch belongs to (created when needed), or None for a kind that spans years."""

    def write(self, session: Session, principal: Principal, batch_id: int, plan: Plan) -> None:
        """Write the plan in the caller's transaction, with its audit events."""

    def report(self, result: ImportResult, plan: Plan) -> None:
        """Add the kind's own figures to the result (e.g. `result.extra["duplicates_skipped"]`, which the
        JSON then carries after the common fields)."""
