"""The budget write strategy: upsert by (FY, UID), comparing and writing only the columns the file has.

A column absent from the file leaves the stored value as it is (new lines get no value, or zero for a
month); a blank cell of a column the file has clears that field, or makes that month zero, and the
preview shows it as a change. New lines are COPYed straight into budget_line and recorded by one audit
event per batch that lists their UIDs; changed lines are COPYed into a temporary table, from which one
INSERT..SELECT writes an audit event per line with the before/after of each changed field, and one
UPDATE changes them. Nothing is ever deleted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import text
from sqlmodel import Session, select

from opex_app.auth.permissions import Principal
from opex_app.domain.budget_fields import DATE_FIELDS, LABELS, MASTER_FIELDS, MONTH_FIELDS
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest import CellError, ParsedImport
from opex_app.domain.money import format_indian
from opex_app.models import FiscalYearRow
from opex_app.models._types import utcnow
from opex_app.services import audit, masters
from opex_app.services.copying import copy_in, copy_out
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.imports.result import CellChange, ImportResult
from opex_app.services.imports.strategy import PREVIEW_LIMIT, Plan
from opex_app.services.request_ids import current_request_id

# file field -> budget_line column
STORED: dict[str, str] = {
    "parent_uid": "parent_uid",
    "description": "description",
    "currency": "currency_code",
    "remarks": "remarks",
    **{name: name for name in DATE_FIELDS},
    **{name: f"{name}_id" for name in MASTER_FIELDS},
    **{name: name for name in MONTH_FIELDS},
}
ID_COLUMNS = tuple(f"{name}_id" for name in MASTER_FIELDS)
TOTAL_TOLERANCE = Decimal("1.00")


def existing_lines(session: Session, fiscal_year_id: int | None) -> pl.DataFrame:
    """Every line of the FY, as stored, read with one COPY."""
    schema: dict[str, Any] = {"id": pl.Int64, "version": pl.Int64, "uid": pl.String}
    schema |= {c: pl.String for c in ("parent_uid", "description", "currency_code", "remarks")}
    schema |= {c: pl.Date for c in DATE_FIELDS} | {c: pl.Int64 for c in ID_COLUMNS}
    schema |= {c: pl.Decimal(18, 2) for c in MONTH_FIELDS}
    if fiscal_year_id is None:
        return pl.DataFrame(schema=schema)
    query = f"SELECT {', '.join(schema)} FROM budget_line WHERE fiscal_year_id = {int(fiscal_year_id)}"
    return copy_out(session, query, schema)


def stored_columns(parsed: ParsedImport) -> tuple[str, ...]:
    return tuple(STORED[name] for name in parsed.present if name in STORED)


def total_errors(parsed: ParsedImport, rows: pl.DataFrame, existing: pl.DataFrame) -> list[CellError]:
    """The Total column against the twelve months as they will be stored: the file's months, and for the
    months the file does not have, the stored ones (zero for a new line)."""
    if "total" not in parsed.present:
        return []
    read = set(parsed.months_present)
    joined = rows.filter(pl.col("total").is_not_null()).join(
        existing.select("uid", *[pl.col(m).alias(f"{m}_old") for m in MONTH_FIELDS if m not in read]),
        on="uid",
        how="left",
    )
    months = [pl.col(m) if m in read else pl.col(f"{m}_old").fill_null(0) for m in MONTH_FIELDS]
    checked = joined.with_columns(pl.sum_horizontal(months).alias("month_sum")).filter(
        (pl.col("total") - pl.col("month_sum")).abs() > TOTAL_TOLERANCE
    )
    return [
        parsed.cell_error(
            row,
            "total",
            total,
            f"total {format_indian(total)} does not match the sum of the months as they will be stored "
            f"{format_indian(month_sum)} (allowed difference {TOTAL_TOLERANCE})",
        )
        for row, total, month_sum in checked.select("row", "total", "month_sum").iter_rows()
    ]


def incoming(parsed: ParsedImport, rows: pl.DataFrame, ids: dict[str, dict[str, int]]) -> pl.DataFrame:
    """The accepted lines in the stored shape, the columns the file has only (master names resolved to
    ids; null for names still to create)."""
    from opex_app.domain.names import name_key

    exprs: list[pl.Expr] = [pl.col("row"), pl.col("uid")]
    for name in parsed.present:
        column = STORED.get(name)
        if column is None:
            continue
        if name in MASTER_FIELDS:
            distinct = rows.select(pl.col(name).drop_nulls().unique()).to_series().to_list()
            mapping = {n: ids[name].get(name_key(n)) for n in distinct}
            exprs += [
                pl.col(name),
                pl.col(name).replace_strict(mapping, default=None, return_dtype=pl.Int64).alias(column),
            ]
        elif name in MONTH_FIELDS:
            exprs.append(pl.col(name).fill_null(0).cast(pl.Decimal(18, 2)))
        else:
            exprs.append(pl.col(name).alias(column))
    return rows.select(exprs)


def plan(parsed: ParsedImport, rows: pl.DataFrame, existing: pl.DataFrame, ids: dict[str, dict[str, int]]) -> Plan:
    """(new lines, changed lines joined with their stored values, unchanged lines)."""
    columns = stored_columns(parsed)
    joined = incoming(parsed, rows, ids).join(
        existing.select("id", "uid", *[pl.col(c).alias(f"{c}_old") for c in columns]), on="uid", how="left"
    )
    known = joined.filter(pl.col("id").is_not_null())
    differs = (
        pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_old")) for c in columns]) if columns else pl.lit(False)
    )
    return Plan(joined.filter(pl.col("id").is_null()), known.filter(differs), known.filter(~differs), columns)


def cell_changes(p: Plan, fy: FiscalYear, id_names: dict[str, dict[int, str]]) -> list[CellChange]:
    labels = dict(zip(MONTH_FIELDS, fy.month_labels(), strict=True))
    labels |= {column: LABELS[name] for name, column in STORED.items() if name not in MONTH_FIELDS}
    out: list[CellChange] = []
    for row in p.changed.head(PREVIEW_LIMIT).iter_rows(named=True):
        for c in p.columns:
            before, after = row[f"{c}_old"], row[c]
            if before == after:
                continue
            if c in ID_COLUMNS:
                kind = c.removesuffix("_id")
                before = id_names[kind].get(before, "") if before is not None else ""
                after = row[kind] if after is None else id_names[kind].get(after, "")
            out.append(CellChange(row["uid"], labels.get(c, c), _shown(before), _shown(after)))
            if len(out) >= PREVIEW_LIMIT:
                return out
    return out


def _shown(value: object) -> str:
    return "" if value is None else str(value)


def _audited_change(column: str) -> str:
    """SQL for one `'field', [before, after]` pair of an update's audit event (null when unchanged). Masters
    are recorded by name under their field name ('tower'), as the editor records them."""
    before, after, key = f"b.{column}::text", f"s.{column}::text", column
    if column in ID_COLUMNS:
        key = column.removesuffix("_id")
        table = str(masters.master_model(key).__tablename__)
        before = f"(SELECT name FROM {table} WHERE id = b.{column})"
        after = f"(SELECT name FROM {table} WHERE id = s.{column})"
    return f"'{key}', CASE WHEN b.{column} IS DISTINCT FROM s.{column} THEN jsonb_build_array({before}, {after}) END"


def write_plan(session: Session, principal: Principal, fiscal_year_id: int, batch_id: int, p: Plan) -> None:
    """Create the new lines and update the changed ones (their columns from the file only)."""
    session.flush()
    stage = ("uid", *p.columns)
    if p.new.height:
        copy_in(
            session,
            "budget_line",
            p.new.select(stage).with_columns(
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
            changes={"created_uids": [None, p.new.get_column("uid").sort().to_list()]},
            import_batch_id=batch_id,
        )
    if p.changed.height and p.columns:
        _update(session, principal, fiscal_year_id, batch_id, p.changed.select(stage), p.columns)


def _update(
    session: Session,
    principal: Principal,
    fiscal_year_id: int,
    batch_id: int,
    changed: pl.DataFrame,
    columns: tuple[str, ...],
) -> None:
    conn = session.connection()
    conn.execute(text("DROP TABLE IF EXISTS budget_stage"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE budget_stage ON COMMIT DROP AS SELECT uid, {', '.join(columns)} FROM budget_line "
            "WITH NO DATA"
        )
    )
    copy_in(session, "budget_stage", changed)
    params = {"fy": fiscal_year_id, "batch": batch_id, "actor": principal.actor, "req": current_request_id()}
    diffs = ", ".join(_audited_change(c) for c in columns)
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
        UPDATE budget_line b SET {", ".join(f"{c} = s.{c}" for c in columns)},
               version = b.version + 1, updated_at = now(), updated_by = :actor, import_batch_id = :batch
        FROM budget_stage s
        WHERE b.fiscal_year_id = :fy AND b.uid = s.uid
    """),
        params,
    )


class BudgetStrategy:
    """Budgets: upsert by (FY, UID), only the columns the file has; lines of the FY not in the file are kept."""

    def __init__(self) -> None:
        self._existing: pl.DataFrame | None = None
        self._chosen: FiscalYear | None = None
        self._fy_id: int | None = None

    def prefetch(self, session: Session, chosen: FiscalYear | None) -> None:
        if chosen is not None:
            self._chosen, self._existing = chosen, existing_lines(session, _fy_id(session, chosen))

    def load(self, session: Session, parsed: ParsedImport) -> None:
        assert parsed.fiscal_year is not None
        if self._existing is None or self._chosen != parsed.fiscal_year:
            self._existing = existing_lines(session, _fy_id(session, parsed.fiscal_year))

    @property
    def existing(self) -> pl.DataFrame:
        assert self._existing is not None
        return self._existing

    def checks(self, parsed: ParsedImport, rows: pl.DataFrame) -> list[CellError]:
        return total_errors(parsed, rows, self.existing)

    def plan(self, parsed: ParsedImport, accepted: pl.DataFrame, known: dict[str, dict[str, int]]) -> Plan:
        return plan(parsed, accepted, self.existing, known)

    def changes(self, session: Session, parsed: ParsedImport, p: Plan) -> list[CellChange]:
        assert parsed.fiscal_year is not None
        names = {kind: masters.names_by_id(session, kind) for kind in MASTER_FIELDS}
        return cell_changes(p, parsed.fiscal_year, names)

    def missing(self, parsed: ParsedImport, rows: pl.DataFrame) -> pl.Series:
        in_file = rows.get_column("uid").drop_nulls().implode()  # every UID of the file, valid line or not
        return self.existing.filter(~pl.col("uid").is_in(in_file)).get_column("uid").sort()

    def fiscal_year_id(self, session: Session, parsed: ParsedImport) -> int | None:
        assert parsed.fiscal_year is not None
        self._fy_id = ensure_fiscal_year(session, parsed.fiscal_year).id
        return self._fy_id

    def report(self, result: ImportResult, p: Plan) -> None:
        return None

    def write(self, session: Session, principal: Principal, batch_id: int, p: Plan) -> None:
        assert self._fy_id is not None, "fiscal_year_id() comes before write()"
        write_plan(session, principal, self._fy_id, batch_id, p)


def _fy_id(session: Session, fy: FiscalYear) -> int | None:
    return session.exec(select(FiscalYearRow.id).where(FiscalYearRow.end_year == fy.end_year)).first()
