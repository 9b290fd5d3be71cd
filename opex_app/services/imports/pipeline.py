"""The one import pipeline: read a file by its kind's spec, check it against the database, preview what
it changes, and (unless a dry run or rejected) commit it all or nothing with its import batch and audit
events, through the kind's write strategy (`strategy.WriteStrategy`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

import polars as pl
from sqlmodel import Session, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.budget_fields import MASTER_FIELDS
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest import CellError, ParsedImport
from opex_app.models import Currency
from opex_app.services import masters
from opex_app.services.imports.batch import finish_batch, record_batch
from opex_app.services.imports.bounded import read_file_bounded
from opex_app.services.imports.checks import currency_errors, master_errors
from opex_app.services.imports.observed import observed_import
from opex_app.services.imports.reading import read_file
from opex_app.services.imports.result import ImportResult
from opex_app.services.imports.strategy import PREVIEW_LIMIT, Plan, WriteStrategy
from opex_app.settings import get_settings

# Import kind -> its write strategy ("module:Class", loaded on first use). A new kind is a spec in
# domain/ingest/specs and a strategy here, not a new engine.
STRATEGIES: dict[str, str] = {
    "budget": "opex_app.services.imports.budget_write:BudgetStrategy",
    "fx": "opex_app.services.imports.fx_write:FxStrategy",
    "pos": "opex_app.services.imports.po_write:PoStrategy",
    "actuals": "opex_app.services.imports.actuals_write:ActualsStrategy",
}


# What a kind's commit needs beyond IMPORT, checked before anything is read (a preview needs only IMPORT).
COMMIT_PERMISSIONS: dict[str, Permission] = {"fx": Permission.MANAGE_FX, "pos": Permission.CREATE_PO}


def strategy_for(kind: str) -> WriteStrategy:
    module, _, name = STRATEGIES[kind].partition(":")
    factory: Callable[[], WriteStrategy] = getattr(import_module(module), name)
    return factory()


@dataclass(frozen=True)
class ImportOptions:
    fiscal_year: FiscalYear | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    strict_masters: bool = False
    mapping: Mapping[str, str] = field(default_factory=dict)  # header text -> field (checked by the spec)
    sheet: str | None = None


@observed_import
def run_import(
    session: Session,
    principal: Principal,
    kind: str,
    source: bytes | Path,
    *,
    file_name: str,
    options: ImportOptions = ImportOptions(),
    parsed: ParsedImport | None = None,
) -> ImportResult:
    """Validate and (unless dry-run or rejected) commit an import file. Raises WorkbookUnreadable or
    WorkbookRefused when the file as a whole cannot be taken; otherwise returns the result to show."""
    require(principal, Permission.IMPORT)
    if not options.dry_run and kind in COMMIT_PERMISSIONS:
        require(principal, COMMIT_PERMISSIONS[kind])
    started = time.perf_counter()
    data = source.read_bytes() if isinstance(source, Path) else source
    strategy = strategy_for(kind)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The file is parsed in a thread while this one reads what the checks compare it with.
        # In the app the read is bounded in memory and time (`bounded`); OPEX_IMPORT_ISOLATED=false reads here.
        reader = read_file_bounded if get_settings().import_isolated else read_file
        reading = None
        if parsed is None:
            reading = pool.submit(
                reader, data, kind, file_name=file_name, fiscal_year=options.fiscal_year,
                mapping=options.mapping, sheet=options.sheet,
            )  # fmt: skip
        known = {name: masters.name_index(session, name) for name in MASTER_FIELDS}
        codes = set(session.exec(select(Currency.code)))
        strategy.prefetch(session, options.fiscal_year)
        parsed = parsed or reading.result()  # type: ignore[union-attr]
    strategy.load(session, parsed)
    rows, errors, new_masters = _checked(parsed, strategy, known, codes, options)
    accepted = rows.filter(pl.col("valid"))
    result = _preview(parsed, rows, errors, new_masters)
    plan = strategy.plan(parsed, accepted, known)
    result.changes = strategy.changes(session, parsed, plan)
    missing = strategy.missing(parsed, rows)
    result.missing_count, result.missing_keys = missing.len(), missing.head(PREVIEW_LIMIT).to_list()
    _count(result, plan)
    strategy.report(result, plan)
    refusal = _refusal(parsed, result, accepted.height, options)
    if refusal or options.dry_run:
        result.status = "rejected" if refusal else "dry-run"
        result.message = refusal or _summary_message(result)
        if refusal and not result.errors:  # the errors hold the reason
            result.errors = [CellError(parsed.sheet, "", parsed.header_row, "", "", refusal)]
        if refusal and not options.dry_run:
            result.lines_created = result.lines_updated = result.lines_unchanged = result.masters_created = 0
            result.import_batch_id = record_batch(session, principal, data, file_name, None, result, started)
        return result
    source_info = (data, file_name, started)
    return _commit(session, principal, source_info, parsed, strategy, (accepted, plan), known, result)


def _commit(
    session: Session,
    principal: Principal,
    source: tuple[bytes, str, float],
    parsed: ParsedImport,
    strategy: WriteStrategy,
    planned: tuple[pl.DataFrame, Plan],
    known: dict[str, dict[str, int]],
    result: ImportResult,
) -> ImportResult:
    """Write it all in the caller's transaction: batch, new masters, lines, audit."""
    data, file_name, started = source
    accepted, plan = planned
    result.status = "committed"
    batch_id = record_batch(
        session, principal, data, file_name, strategy.fiscal_year_id(session, parsed), result, started
    )
    result.import_batch_id = batch_id
    for name, names in result.masters_new.items():
        known[name] |= masters.create_missing(session, principal, name, names, import_batch_id=batch_id)
    if result.masters_new:  # the lines naming them now carry their ids
        plan = strategy.plan(parsed, accepted, known)
        _count(result, plan)
        strategy.report(result, plan)
    if plan.new.height or plan.changed.height:
        strategy.write(session, principal, batch_id, plan)
    result.message = _summary_message(result)
    finish_batch(session, batch_id, result, started)
    return result


def _checked(
    parsed: ParsedImport,
    strategy: WriteStrategy,
    known: dict[str, dict[str, int]],
    codes: set[str],
    options: ImportOptions,
) -> tuple[pl.DataFrame, list[CellError], dict[str, list[str]]]:
    """The rows with the database's checks applied: currencies, masters, the kind's own."""
    rows = parsed.rows
    valid = rows.filter(pl.col("valid"))
    extra = currency_errors(parsed, rows, codes) + strategy.checks(parsed, valid)
    found, new_masters = master_errors(parsed, valid, known, options.strict_masters)
    extra += found
    if extra:
        rows = rows.with_columns(pl.col("valid") & ~pl.col("row").is_in(sorted({e.row for e in extra if e.row})))
    errors = sorted([*parsed.errors, *extra], key=lambda e: (e.row or 0, len(e.cell), e.cell))
    return rows, errors, new_masters


def _preview(
    parsed: ParsedImport, rows: pl.DataFrame, errors: list[CellError], new_masters: dict[str, list[str]]
) -> ImportResult:
    accepted = parsed.accepted(rows)
    spec = parsed.spec
    return ImportResult(
        status="dry-run",
        kind=spec.kind,
        fiscal_year=parsed.fiscal_year.name if parsed.fiscal_year else None,
        rows_total=parsed.rows_total,
        rows_accepted=accepted,
        rows_rejected=parsed.rows_total - accepted,
        rows_skipped=parsed.rows_skipped,
        errors=errors,
        warnings=list(parsed.warnings),
        sheet=parsed.sheet,
        header_row=parsed.header_row,
        layout=parsed.layout,
        ignored_columns=list(parsed.ignored_columns),
        ignored_sheets=list(parsed.ignored_sheets),
        headers=list(parsed.headers),
        column_map=dict(parsed.column_map),
        masters_new=new_masters,
        masters_created=sum(len(v) for v in new_masters.values()),
        fields_read=[spec.label(n) for n in parsed.present if n in spec.names],
    )


def _count(result: ImportResult, plan: Plan) -> None:
    result.lines_created, result.lines_updated = plan.new.height, plan.changed.height
    result.lines_unchanged = plan.unchanged.height


def _refusal(parsed: ParsedImport, result: ImportResult, accepted: int, options: ImportOptions) -> str:
    """Why the import would be rejected ('' when it would not)."""
    where = f"sheet '{parsed.sheet}', header in row {parsed.header_row}"
    if parsed.rows_total == 0:
        return f"There are no data rows below the header ({where}): nothing to import."
    if accepted == 0:
        return f"Every row has an error ({len(result.errors)} error(s)): nothing to import. Fix the cells listed."
    if result.errors and not options.skip_invalid:
        return (
            f"{len(result.errors)} error(s): nothing was imported. Fix the cells listed, or import only the valid rows."
        )
    return ""


def _summary_message(result: ImportResult) -> str:
    if result.lines_created == 0 and result.lines_updated == 0:
        return "No changes: every line in the file matches what is stored."
    verb = "will be" if result.status == "dry-run" else "were"
    return (
        f"{result.lines_created} new and {result.lines_updated} changed line(s) {verb} imported; "
        f"{result.lines_unchanged} unchanged."
    )
