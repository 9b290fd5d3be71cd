"""Import a budget workbook: validate it cell by cell, preview what it changes, then upsert it by (FY, UID)
in one transaction with its import batch and audit events. An import never deletes a line.

The write is set-based: new lines are COPYed straight into budget_line and recorded by one audit event per
batch that lists their UIDs (their first values are those of the file, whose sha256 the batch keeps);
changed lines are COPYed into a temporary table, from which one INSERT..SELECT writes an audit event per
line with the before/after of each changed field, and one UPDATE changes them.
"""

from __future__ import annotations

import hashlib
import io
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import text
from sqlmodel import Session, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.db import psycopg_connection
from opex_app.domain.budget_fields import DATE_FIELDS, LABELS, MASTER_FIELDS
from opex_app.domain.export import write_error_report
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest.budget_reader import CellError, ParsedBudget, WorkbookRefused, WorkbookUnreadable
from opex_app.domain.names import name_key
from opex_app.models import MONTH_COLUMNS, Currency, FiscalYearRow, ImportBatch
from opex_app.models._types import utcnow
from opex_app.services import audit, downloads, masters
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.import_reading import read_budget_file
from opex_app.services.request_ids import current_request_id

STORED_TEXT = ("parent_uid", "description", "currency_code", "remarks")  # budget_line's own text columns
ID_FIELDS = tuple(f"{kind}_id" for kind in MASTER_FIELDS)
COMPARED = (*STORED_TEXT, *DATE_FIELDS, *ID_FIELDS, *MONTH_COLUMNS)
PREVIEW_LIMIT = 500  # changed cells / missing UIDs listed in a preview
ERRORS_KEPT = 1000  # errors stored on a rejected batch

__all__ = [
    "ImportOptions",
    "ImportResult",
    "WorkbookRefused",
    "WorkbookUnreadable",
    "error_report_download",
    "import_budget",
]


@dataclass(frozen=True)
class ImportOptions:
    fiscal_year: FiscalYear | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    strict_masters: bool = False


@dataclass(frozen=True)
class CellChange:
    uid: str
    field: str
    before: str
    after: str


@dataclass
class ImportResult:
    status: str  # committed | rejected | dry-run
    fiscal_year: str
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    lines_created: int = 0
    lines_updated: int = 0
    lines_unchanged: int = 0
    masters_created: int = 0
    errors: list[CellError] = field(default_factory=list)
    masters_new: dict[str, list[str]] = field(default_factory=dict)
    changes: list[CellChange] = field(default_factory=list)
    missing_uids: list[str] = field(default_factory=list)
    missing_count: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    sheet: str = ""
    import_batch_id: int | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """The public `--json` object (field names are a contract)."""
        return {
            "status": self.status,
            "fiscal_year": self.fiscal_year,
            "rows_total": self.rows_total,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "lines_created": self.lines_created,
            "lines_updated": self.lines_updated,
            "lines_unchanged": self.lines_unchanged,
            "masters_created": self.masters_created,
            "errors": [
                {
                    "sheet": e.sheet,
                    "cell": e.cell,
                    "row": e.row,
                    "column": e.column,
                    "value": e.value,
                    "message": e.message,
                }
                for e in self.errors
            ],
        }


def _master_errors(
    parsed: ParsedBudget, rows: pl.DataFrame, known: dict[str, dict[str, int]], strict: bool
) -> tuple[list[CellError], dict[str, list[str]]]:
    """Unknown master names: 'will be created' (or errors on their cells with strict masters)."""
    new: dict[str, list[str]] = {}
    errors: list[CellError] = []
    for kind in MASTER_FIELDS:
        names = rows.select(pl.col(kind).drop_nulls().unique()).to_series().to_list()
        unknown = sorted({n for n in names if name_key(n) not in known[kind]}, key=str.casefold)
        # distinct spellings of one new name ('Acme ', 'ACME') create one master
        seen: dict[str, str] = {}
        for n in unknown:
            seen.setdefault(name_key(n), n.strip())
        if not seen:
            continue
        if not strict:
            new[kind] = sorted(seen.values(), key=str.casefold)
            continue
        bad = rows.filter(pl.col(kind).is_in(unknown)).select("row", kind)
        label = kind.replace("_", " ")
        for row, value in bad.iter_rows():
            errors.append(
                parsed.cell_error(
                    row,
                    kind,
                    value,
                    f"unknown {label} '{value}': with strict masters only existing {label}s are accepted",
                )
            )
    return errors, new


def _currency_errors(parsed: ParsedBudget, rows: pl.DataFrame, codes: set[str]) -> list[CellError]:
    bad = rows.filter(pl.col("currency").is_not_null() & ~pl.col("currency").is_in(sorted(codes)))
    return [
        parsed.cell_error(row, "currency", value, f"unknown currency '{value}': expected an ISO 4217 code, e.g. INR")
        for row, value in bad.select("row", "currency").iter_rows()
    ]


def _existing_lines(session: Session, fiscal_year_id: int | None) -> pl.DataFrame:
    """Every line of the FY, as stored, read with one COPY."""
    schema: dict[str, Any] = {"id": pl.Int64, "version": pl.Int64, "uid": pl.String}
    schema |= {c: pl.String for c in STORED_TEXT} | {c: pl.Date for c in DATE_FIELDS}
    schema |= {c: pl.Int64 for c in ID_FIELDS} | {c: pl.Decimal(18, 2) for c in MONTH_COLUMNS}
    if fiscal_year_id is None:
        return pl.DataFrame(schema=schema)
    columns = ", ".join(schema)
    buffer = io.BytesIO()
    with (
        psycopg_connection(session).cursor() as cur,
        cur.copy(
            f"COPY (SELECT {columns} FROM budget_line WHERE fiscal_year_id = {int(fiscal_year_id)}) "
            "TO STDOUT WITH (FORMAT csv, HEADER true)"
        ) as copy,
    ):
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    return pl.read_csv(buffer, schema=schema)


def _incoming(rows: pl.DataFrame, ids: dict[str, dict[str, int]]) -> pl.DataFrame:
    """The accepted rows in the stored shape: master names resolved to ids (null for names still to create)."""
    exprs = []
    for kind in MASTER_FIELDS:
        distinct = rows.select(pl.col(kind).drop_nulls().unique()).to_series().to_list()
        mapping = {name: ids[kind].get(name_key(name)) for name in distinct}
        exprs.append(pl.col(kind).replace_strict(mapping, default=None, return_dtype=pl.Int64).alias(f"{kind}_id"))
    return rows.select(
        "row",
        "uid",
        "parent_uid",
        "description",
        pl.col("currency").alias("currency_code"),
        "remarks",
        *DATE_FIELDS,
        *[pl.col(m).fill_null(0).cast(pl.Decimal(18, 2)) for m in MONTH_COLUMNS],
        *MASTER_FIELDS,
    ).with_columns(exprs)


def _diff(incoming: pl.DataFrame, existing: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(new rows, changed rows joined with their stored values, unchanged uids)."""
    joined = incoming.join(existing, on="uid", how="left", suffix="_old")
    new = joined.filter(pl.col("id").is_null())
    known = joined.filter(pl.col("id").is_not_null())
    differs = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_old")) for c in COMPARED])
    return new, known.filter(differs), known.filter(~differs)


def _cell_changes(changed: pl.DataFrame, fy: FiscalYear, id_names: dict[str, dict[int, str]]) -> list[CellChange]:
    labels = dict(zip(MONTH_COLUMNS, fy.month_labels(), strict=True))
    labels |= {c: LABELS[c.removesuffix("_id").removesuffix("_code")] for c in (*STORED_TEXT, *DATE_FIELDS, *ID_FIELDS)}
    out: list[CellChange] = []
    for row in changed.head(PREVIEW_LIMIT).iter_rows(named=True):
        for c in COMPARED:
            before, after = row[f"{c}_old"], row[c]
            if before == after:
                continue
            if c in ID_FIELDS:
                kind = c.removesuffix("_id")
                before = id_names[kind].get(before, "") if before is not None else ""
                after = row[kind] if after is None else id_names[kind].get(after, "")
            out.append(
                CellChange(
                    row["uid"],
                    labels.get(c, c),
                    "" if before is None else str(before),
                    "" if after is None else str(after),
                )
            )
            if len(out) >= PREVIEW_LIMIT:
                return out
    return out


def import_budget(
    session: Session,
    principal: Principal,
    source: bytes | Path,
    *,
    file_name: str,
    options: ImportOptions = ImportOptions(),
    parsed: ParsedBudget | None = None,
) -> ImportResult:
    """Validate and (unless dry-run or rejected) commit a budget workbook. Raises WorkbookUnreadable or
    WorkbookRefused when the file as a whole cannot be taken; otherwise returns the result to show."""
    require(principal, Permission.IMPORT)
    started = time.perf_counter()
    data = source.read_bytes() if isinstance(source, Path) else source
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The workbook is parsed in a thread while this one reads what the checks compare it with.
        reading = (
            None
            if parsed
            else pool.submit(read_budget_file, data, file_name=file_name, fiscal_year=options.fiscal_year)
        )
        known = {kind: masters.name_index(session, kind) for kind in MASTER_FIELDS}
        codes = set(session.exec(select(Currency.code)))
        guessed_fy = options.fiscal_year
        existing = _existing_lines(session, _fiscal_year_id(session, guessed_fy)) if guessed_fy else None
        parsed = parsed or reading.result()  # type: ignore[union-attr]
    fy = parsed.fiscal_year
    if existing is None or guessed_fy != fy:
        existing = _existing_lines(session, _fiscal_year_id(session, fy))
    rows = parsed.rows
    extra_errors = _currency_errors(parsed, rows, codes)
    master_errors, new_masters = _master_errors(parsed, rows.filter(pl.col("valid")), known, options.strict_masters)
    extra_errors += master_errors
    if extra_errors:
        bad_rows = sorted({e.row for e in extra_errors})
        rows = rows.with_columns(pl.col("valid") & ~pl.col("row").is_in(bad_rows))
    errors = sorted([*parsed.errors, *extra_errors], key=lambda e: (e.row, e.cell))
    accepted = rows.filter(pl.col("valid"))
    result = ImportResult(
        status="dry-run",
        fiscal_year=fy.name,
        rows_total=rows.height,
        rows_accepted=accepted.height,
        rows_rejected=rows.height - accepted.height,
        errors=errors,
        masters_new=new_masters,
        unknown_columns=list(parsed.unknown_columns),
        sheet=parsed.sheet,
        masters_created=sum(len(v) for v in new_masters.values()),
    )
    incoming = _incoming(accepted, known)
    new, changed, unchanged = _diff(incoming, existing)
    result.changes = _cell_changes(changed, fy, {kind: masters.names_by_id(session, kind) for kind in MASTER_FIELDS})
    in_file = rows.get_column("uid").drop_nulls().implode()  # every UID of the file, valid row or not
    missing = existing.filter(~pl.col("uid").is_in(in_file)).get_column("uid").sort()
    result.missing_count = missing.len()
    result.missing_uids = missing.head(PREVIEW_LIMIT).to_list()
    result.lines_created, result.lines_updated, result.lines_unchanged = new.height, changed.height, unchanged.height

    rejected = bool(errors) and not options.skip_invalid
    if options.dry_run:
        result.message = _summary_message(result, rejected)
        return result
    if rejected:
        result.status = "rejected"
        result.lines_created = result.lines_updated = result.lines_unchanged = result.masters_created = 0
        result.message = f"{len(errors)} error(s): nothing was imported. Fix the cells listed and import again."
        result.import_batch_id = _record_batch(session, principal, data, file_name, None, result, started)
        return result

    fy_row = ensure_fiscal_year(session, fy)
    assert fy_row.id is not None
    batch_id = _record_batch(session, principal, data, file_name, fy_row.id, result, started, status="committed")
    result.status, result.import_batch_id = "committed", batch_id
    for kind, names in new_masters.items():
        known[kind] |= masters.create_missing(session, principal, kind, names, import_batch_id=batch_id)
    if new_masters:  # the lines naming them now carry their ids
        new, changed, unchanged = _diff(_incoming(accepted, known), existing)
        result.lines_created, result.lines_updated, result.lines_unchanged = (
            new.height,
            changed.height,
            unchanged.height,
        )
    if new.height or changed.height:
        _write(session, principal, fy_row.id, batch_id, new, changed)
    result.message = _summary_message(result, False)
    batch = session.get(ImportBatch, batch_id)
    assert batch is not None
    batch.lines_created, batch.lines_updated, batch.lines_unchanged = (
        result.lines_created,
        result.lines_updated,
        result.lines_unchanged,
    )
    batch.duration_ms = int((time.perf_counter() - started) * 1000)
    batch.finished_at = utcnow()
    session.add(batch)
    return result


def error_report_download(principal: Principal, errors: list[dict[str, Any]], source_name: str) -> downloads.Ticket:
    """The errors of an import as a workbook (sheet Errors) in a one-time download ticket."""
    require(principal, Permission.IMPORT)
    stem = Path(source_name).stem or "import"
    with downloads.issue(f"{stem}-errors.xlsx") as ticket:
        write_error_report(ticket.path, errors, title=f"Errors found in {Path(source_name).name}")
    return ticket


def _fiscal_year_id(session: Session, fy: FiscalYear) -> int | None:
    return session.exec(select(FiscalYearRow.id).where(FiscalYearRow.end_year == fy.end_year)).first()


def _summary_message(result: ImportResult, rejected: bool) -> str:
    if rejected:
        return f"{len(result.errors)} error(s): fix them, or import only the valid rows."
    if result.lines_created == 0 and result.lines_updated == 0:
        return "No changes: every line in the file matches what is stored."
    verb = "will be" if result.status == "dry-run" else "were"
    return (
        f"{result.lines_created} new and {result.lines_updated} changed line(s) {verb} imported; "
        f"{result.lines_unchanged} unchanged."
    )


def _record_batch(
    session: Session,
    principal: Principal,
    data: bytes,
    file_name: str,
    fiscal_year_id: int | None,
    result: ImportResult,
    started: float,
    status: str | None = None,
) -> int:
    batch = ImportBatch(
        kind="budget",
        file_name=Path(file_name).name[:255],
        file_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        fiscal_year_id=fiscal_year_id,
        actor=principal.actor,
        status=status or result.status,
        rows_total=result.rows_total,
        rows_accepted=result.rows_accepted,
        rows_rejected=result.rows_rejected,
        lines_created=result.lines_created,
        lines_updated=result.lines_updated,
        lines_unchanged=result.lines_unchanged,
        masters_created=result.masters_created,
        errors=result.to_json()["errors"][:ERRORS_KEPT] or None,
        duration_ms=int((time.perf_counter() - started) * 1000),
        finished_at=utcnow(),
    )
    session.add(batch)
    session.flush()
    assert batch.id is not None
    return batch.id


STAGE_COLUMNS = ("uid", *STORED_TEXT, *DATE_FIELDS, *ID_FIELDS, *MONTH_COLUMNS)


def _copy_in(session: Session, table: str, frame: pl.DataFrame) -> None:
    """COPY a frame into `table` (its column names are the table's), inside the session's transaction."""
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value=r"\N", quote_style="necessary")
    with (
        psycopg_connection(session).cursor() as cur,
        cur.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy,
    ):
        copy.write(buffer.getbuffer())


def _audited_change(column: str) -> str:
    """SQL for one `'field', [before, after]` pair of an update's audit event (null when unchanged). Masters
    are recorded by name under their field name ('tower'), as the editor records them."""
    before, after, key = f"b.{column}::text", f"s.{column}::text", column
    if column in ID_FIELDS:
        key = column.removesuffix("_id")
        table = str(masters.master_model(key).__tablename__)
        before = f"(SELECT name FROM {table} WHERE id = b.{column})"
        after = f"(SELECT name FROM {table} WHERE id = s.{column})"
    return f"'{key}', CASE WHEN b.{column} IS DISTINCT FROM s.{column} THEN jsonb_build_array({before}, {after}) END"


def _write(
    session: Session,
    principal: Principal,
    fiscal_year_id: int,
    batch_id: int,
    new: pl.DataFrame,
    changed: pl.DataFrame,
) -> None:
    """New lines are COPYed straight into budget_line (one audit event lists them); changed lines go
    through a temporary table, from which one statement audits them (before/after) and one updates them."""
    session.flush()
    if new.height:
        _copy_in(
            session,
            "budget_line",
            new.select(STAGE_COLUMNS).with_columns(
                pl.lit(fiscal_year_id).alias("fiscal_year_id"),
                pl.lit(1).alias("version"),
                pl.lit(batch_id).alias("import_batch_id"),
                pl.lit(principal.actor).alias("created_by"),
                pl.lit(utcnow().isoformat()).alias("created_at"),
            ),
        )
        audit.record(
            session,
            principal,
            action="import",
            entity="budget_line",
            entity_id=None,
            changes={"created_uids": [None, new.get_column("uid").sort().to_list()]},
            import_batch_id=batch_id,
        )
    if not changed.height:
        return
    conn = session.connection()
    conn.execute(text("DROP TABLE IF EXISTS budget_stage"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE budget_stage ON COMMIT DROP AS SELECT {', '.join(STAGE_COLUMNS)} FROM budget_line "
            "WITH NO DATA"
        )
    )
    _copy_in(session, "budget_stage", changed.select(STAGE_COLUMNS))
    params = {"fy": fiscal_year_id, "batch": batch_id, "actor": principal.actor, "req": current_request_id()}
    diffs = ", ".join(_audited_change(c) for c in COMPARED)
    conn.execute(
        text(f"""
        INSERT INTO audit_event (at, actor, action, entity, entity_id, changes, request_id, import_batch_id)
        SELECT now(), :actor, 'update', 'budget_line', b.id::text,
               jsonb_strip_nulls(jsonb_build_object({diffs})), :req, :batch
        FROM budget_line b JOIN budget_stage s ON s.uid = b.uid
        WHERE b.fiscal_year_id = :fy
    """),
        params,
    )
    conn.execute(
        text(f"""
        UPDATE budget_line b SET {", ".join(f"{c} = s.{c}" for c in STAGE_COLUMNS[1:])},
               version = b.version + 1, updated_at = now(), updated_by = :actor, import_batch_id = :batch
        FROM budget_stage s
        WHERE b.fiscal_year_id = :fy AND b.uid = s.uid
    """),
        params,
    )
