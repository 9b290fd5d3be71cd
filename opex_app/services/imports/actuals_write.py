"""The actuals write strategy: invoices booked against budget lines and PO lines, or stored unlinked.

The rules live beside it, each in its own module, and serve one actual typed in a form
(`services/actuals`) as they serve a file of 100,000 rows:
- `actuals_prepare`: the rows normalised, their FY and fiscal month from the invoice date;
- `actuals_context`: what the database says about the rows' keys and references, read once;
- `actuals_checks`: the errors, the duplicates skipped (`duplicates_skipped`) and the conversion at the FX
  rate on the invoice date;
- `actuals_links`: the budget line, PO line and PO each new invoice is booked to, and the warnings.

New actuals are written with one COPY and recorded by one audit event per batch (the actuals carry the
batch id); nothing stored is ever changed by an import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
from sqlalchemy import text
from sqlmodel import Session

from opex_app.auth.permissions import Principal
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest import CellError, ParsedImport
from opex_app.domain.ingest.specs.actuals import DERIVED
from opex_app.models._types import utcnow
from opex_app.services import audit, masters
from opex_app.services.copying import copy_in
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.imports.actuals_checks import NEW, SKIP, Classified, classify
from opex_app.services.imports.actuals_context import Context, load_context
from opex_app.services.imports.actuals_links import LINKS, over_allocation
from opex_app.services.imports.actuals_prepare import prepare
from opex_app.services.imports.result import CellChange, ImportResult
from opex_app.services.imports.strategy import Plan
from opex_app.settings import get_settings

# The rules, importable from here as they were before they moved beside this module.
__all__ = [
    "NEW",
    "SKIP",
    "ActualsStrategy",
    "Classified",
    "Context",
    "classify",
    "load_context",
    "over_allocation",
    "prepare",
    "write_actuals",
]

LOCK_KEY = "opex:actuals"  # imports of actuals run one at a time: the duplicate check holds at commit


# ---------------------------------------------------------------------------------------------- writing


def write_actuals(
    session: Session, principal: Principal, batch_id: int | None, new: pl.DataFrame, start_month: int
) -> dict[int, int]:
    """COPY the new actuals (PREPARED + conversion + links, `vendor_id` resolved) into `actual`; returns
    {FY end year: fiscal_year id} of the FYs they fall in (created when needed)."""
    fy_ids = {
        end: ensure_fiscal_year(session, FiscalYear(end, start_month)).id or 0
        for end in new.get_column("fy_end").unique().to_list()
    }
    session.flush()
    copy_in(
        session,
        "actual",
        new.select(
            pl.col("fy_end").replace_strict(fy_ids, return_dtype=pl.Int64).alias("fiscal_year_id"),
            *LINKS,
            "vendor_id",
            "invoice_number",
            "invoice_date",
            "fiscal_month",
            pl.col("currency").alias("currency_code"),
            "amount",
            "amount_base",
            pl.col("rate").alias("fx_rate"),
            "remarks",
            pl.col("uid").alias("uid_ref"),
            pl.col("po_number").alias("po_ref"),
            pl.lit(batch_id, pl.Int64).alias("import_batch_id"),
            pl.lit(1).alias("version"),
            pl.lit(utcnow().isoformat()).alias("created_at"),
            pl.lit(principal.actor).alias("created_by"),
        ),
    )
    return fy_ids


# ---------------------------------------------------------------------------------------------- the strategy


@dataclass
class _State:
    classified: Classified | None = None
    fy_ends: list[int] = field(default_factory=list)  # FYs (by end year) of the accepted rows
    added: list[CellError] = field(default_factory=list)  # warnings this strategy added to the result


class ActualsStrategy:
    """Actuals: insert the new invoices, skip the ones already imported; stored actuals are never changed."""

    def __init__(self) -> None:
        settings = get_settings()
        self._base, self._start = settings.base_currency, settings.fy_start_month
        self._chosen: FiscalYear | None = None
        self._vendors: dict[str, int] = {}
        self._ctx: Context | None = None
        self._prepared: pl.DataFrame | None = None
        self._derived: list[CellError] = []
        self._state = _State()

    def prefetch(self, session: Session, chosen: FiscalYear | None) -> None:
        # One import of actuals at a time: what this one finds stored stays true until it commits.
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": LOCK_KEY})
        self._chosen = chosen
        self._vendors = masters.name_index(session, "vendor")

    def load(self, session: Session, parsed: ParsedImport) -> None:
        valid = parsed.rows.filter(pl.col("valid"))
        self._prepared = prepare(valid, self._vendors, base=self._base, start_month=self._start)
        self._ctx = load_context(session, self._prepared)
        derived = [name for name in DERIVED if name in parsed.present]
        if derived:
            shown = ", ".join(f"'{parsed.column_map.get(name, parsed.spec.label(name))}'" for name in derived)
            self._derived = [
                CellError(
                    parsed.sheet,
                    "",
                    parsed.header_row,
                    "",
                    "",
                    f"column(s) {shown} are derived (the export writes them) and not read: the rate comes from "
                    "the FX rates on the invoice date, the FY and month from the invoice date",
                )
            ]

    def checks(self, parsed: ParsedImport, rows: pl.DataFrame) -> list[CellError]:
        assert self._prepared is not None and self._ctx is not None
        prepared = self._prepared.join(rows.select("row"), on="row", how="semi")
        classified = classify(prepared, self._ctx, chosen=self._chosen)
        self._state.classified = classified
        return [
            parsed.cell_error(row, name, value, message) for row, name, value, message in classified.errors.iter_rows()
        ]

    def plan(self, parsed: ParsedImport, accepted: pl.DataFrame, known: dict[str, dict[str, int]]) -> Plan:
        assert self._state.classified is not None and self._ctx is not None
        rows = self._state.classified.rows.join(accepted.select("row"), on="row", how="semi")
        vendors = known.get("vendor", {})
        rows = rows.with_columns(
            pl.when(pl.col("vendor_key") == "")
            .then(pl.lit(None, pl.Int64))
            .otherwise(pl.col("vendor_key").replace_strict(vendors, default=None, return_dtype=pl.Int64))
            .alias("vendor_id")
        )
        new = rows.filter(pl.col("status") == NEW)
        skipped = rows.filter(pl.col("status") == SKIP)
        warnings = pl.concat(
            [
                self._state.classified.warnings.join(new.select("row"), on="row", how="semi"),
                over_allocation(new, self._ctx),
            ],
            how="vertical",
        ).sort("row", maintain_order=True)
        self._state.fy_ends = sorted(rows.get_column("fy_end").drop_nulls().unique().to_list())
        cell_warnings = [
            parsed.cell_error(row, name, value, message) for row, name, value, message in warnings.iter_rows()
        ]
        return Plan(new, rows.clear(), skipped, extra={"warnings": [*self._derived, *cell_warnings]})

    def changes(self, session: Session, parsed: ParsedImport, plan: Plan) -> list[CellChange]:
        return []  # an import never changes a stored actual

    def missing(self, parsed: ParsedImport, rows: pl.DataFrame) -> pl.Series:
        return pl.Series("invoice_number", [], dtype=pl.String)  # a ledger file is a slice: nothing is missing

    def fiscal_year_id(self, session: Session, parsed: ParsedImport) -> int | None:
        if len(self._state.fy_ends) != 1:
            return None
        return ensure_fiscal_year(session, FiscalYear(self._state.fy_ends[0], self._start)).id

    def write(self, session: Session, principal: Principal, batch_id: int, plan: Plan) -> None:
        if plan.new.height == 0:
            return
        fy_ids = write_actuals(session, principal, batch_id, plan.new, self._start)
        audit.record(
            session,
            principal,
            action="import",
            entity="actual",
            entity_id=None,
            changes={
                "created": [None, plan.new.height],
                "fiscal_years": [None, [FiscalYear(end, self._start).name for end in sorted(fy_ids)]],
                "unlinked": [None, plan.new.filter(pl.col("budget_line_id").is_null()).height],
            },
            import_batch_id=batch_id,
        )

    def report(self, result: ImportResult, plan: Plan) -> None:
        years = [FiscalYear(end, self._start).name for end in self._state.fy_ends]
        result.fiscal_year = years[0] if len(years) == 1 else None
        result.extra["duplicates_skipped"] = plan.unchanged.height
        result.extra["fiscal_years"] = list(years)
        mine: list[CellError] = plan.extra.get("warnings", [])
        added = {id(w) for w in self._state.added}  # report() runs again after new masters: replace, not repeat
        kept = [w for w in result.warnings if id(w) not in added]
        result.warnings = [*kept, *mine]
        self._state.added = list(mine)
