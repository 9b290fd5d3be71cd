"""The FX write strategy: rates are history, so an import only ever adds rows.

A row of the file is new when its currency has no stored rate of that exact date, a correction (counted
as changed, written as a new row that wins) when the latest stored rate of that date differs, and
unchanged when it is equal: re-importing a file changes nothing. Nothing is deleted, nothing is missing
(a file of rates is not the whole history). The base currency (always 1) and rates of zero or less are
errors on their rows. Rows go through `services.fx.record_rates`, the one write path, audited per row.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import text
from sqlmodel import Session

from opex_app.auth.permissions import Principal
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest import CellError, ParsedImport
from opex_app.domain.ingest.amounts import RATE
from opex_app.services.fx import NewRate, record_rates, shown_rate
from opex_app.services.imports.result import CellChange, ImportResult
from opex_app.services.imports.strategy import PREVIEW_LIMIT, Plan
from opex_app.settings import get_settings

STORED_SCHEMA: dict[str, pl.DataType] = {
    "currency": pl.String(),
    "effective_from": pl.Date(),
    "rate_old": RATE,
    "id": pl.Int64(),
}


_STORED = text(
    """
    SELECT DISTINCT ON (currency_code, effective_from) currency_code, effective_from, rate_to_base, id
    FROM fx_rate WHERE currency_code = ANY(CAST(:codes AS text[]))
    ORDER BY currency_code, effective_from, id DESC
    """
)


def stored_rates(session: Session, codes: list[str]) -> pl.DataFrame:
    """The latest stored row of every (currency, date) of `codes`: what a file's row is compared with."""
    rows = [tuple(r) for r in session.execute(_STORED, {"codes": codes})] if codes else []
    return pl.DataFrame(rows, schema=STORED_SCHEMA, orient="row")


class FxStrategy:
    """FX rates: a new row per new or corrected (currency, date); equal rates are left as they are."""

    def __init__(self) -> None:
        self._stored = pl.DataFrame(schema=STORED_SCHEMA)

    def prefetch(self, session: Session, chosen: FiscalYear | None) -> None:
        return None  # what to read depends on the file's currencies

    def load(self, session: Session, parsed: ParsedImport) -> None:
        codes = parsed.rows.get_column("currency").drop_nulls().unique().sort().to_list()
        self._stored = stored_rates(session, codes)

    def checks(self, parsed: ParsedImport, rows: pl.DataFrame) -> list[CellError]:
        base = get_settings().base_currency
        errors = [
            parsed.cell_error(row, "currency", code, f"{code} is the base currency: its rate is always 1, not imported")
            for row, code in rows.filter(pl.col("currency") == base).select("row", "currency").iter_rows()
        ]
        errors += [
            parsed.cell_error(row, "rate", rate, f"a rate must be greater than zero, found {shown_rate(rate)}")
            for row, rate in rows.filter(pl.col("rate") <= 0).select("row", "rate").iter_rows()
        ]
        return errors

    def plan(self, parsed: ParsedImport, accepted: pl.DataFrame, known: dict[str, dict[str, int]]) -> Plan:
        joined = accepted.select("row", "currency", "effective_from", "rate").join(
            self._stored, on=["currency", "effective_from"], how="left"
        )
        stored = joined.filter(pl.col("id").is_not_null())
        differs = pl.col("rate") != pl.col("rate_old")
        return Plan(
            new=joined.filter(pl.col("id").is_null()),
            changed=stored.filter(differs),
            unchanged=stored.filter(~differs),
            columns=("rate_to_base",),
        )

    def changes(self, session: Session, parsed: ParsedImport, plan: Plan) -> list[CellChange]:
        label = parsed.spec.label("rate")
        return [
            CellChange(f"{code} {day.isoformat()}", label, str(before), str(after))
            for code, day, before, after in plan.changed.head(PREVIEW_LIMIT)
            .select("currency", "effective_from", "rate_old", "rate")
            .iter_rows()
        ]

    def missing(self, parsed: ParsedImport, rows: pl.DataFrame) -> pl.Series:
        return pl.Series("key", [], dtype=pl.String)

    def fiscal_year_id(self, session: Session, parsed: ParsedImport) -> int | None:
        return None

    def write(self, session: Session, principal: Principal, batch_id: int, plan: Plan) -> None:
        rows = pl.concat([plan.new, plan.changed]).sort("row")
        columns = rows.select("currency", "effective_from", "rate")
        rates = [NewRate(code, rate, day) for code, day, rate in columns.iter_rows()]
        record_rates(session, principal, rates, import_batch_id=batch_id)

    def report(self, result: ImportResult, plan: Plan) -> None:
        return None
