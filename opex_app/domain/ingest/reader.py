"""The one ingestion path: open a file, find its table by the spec, read its columns (by alias or by
the user's mapping), parse and check every row, and report every error and every ignored input.

`read_import` raises WorkbookUnreadable (not a spreadsheet we can read) or WorkbookRefused (no table,
months of two FYs, ...: one line that says where the file came closest and what would make it work);
everything else is a `CellError` in `errors` (the row is not imported) or in `warnings` (something
ignored or odd that does not stop the import).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from opex_app.domain.budget_fields import MONTH_FIELDS
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest.errors import CellError, cell_name, column_letter
from opex_app.domain.ingest.long import to_lines
from opex_app.domain.ingest.rows import Column, ParsedRows, RowParser
from opex_app.domain.ingest.specs import ImportSpec, header_key
from opex_app.domain.ingest.table import FoundTable, find_table
from opex_app.domain.ingest.warnings import column_warnings, line_warnings, sheet_warnings
from opex_app.domain.ingest.wide import fiscal_months
from opex_app.domain.ingest.workbook import ReadLimits, open_workbook

Layout = Literal["wide", "long", "table"]


@dataclass(frozen=True)
class ReadOptions:
    fiscal_year: FiscalYear | None = None
    fy_start_month: int = 4
    day_first: bool = True
    limits: ReadLimits = field(default_factory=ReadLimits)
    file_name: str | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)  # header text -> field name (resolved)
    sheet: str | None = None


@dataclass
class ParsedImport:
    """What a file holds for an import kind, checked: one row per line in `rows` (`row` is the worksheet
    row of the line's first row, `sheet_rows` how many sheet rows it came from, `valid`), with only the
    fields the file has (`present`): a field the file does not have is left as stored."""

    spec: ImportSpec
    file_kind: str
    sheet: str
    header_row: int  # 1-based
    layout: Layout
    fiscal_year: FiscalYear | None
    column_map: dict[str, str]  # field -> header text
    month_columns: dict[int, str]  # fiscal month -> header text (long layout: the month column's header)
    present: tuple[str, ...]  # fields read, months as m01..m12
    headers: list[str]  # every header text of the header row, in column order
    ignored_columns: list[str]
    ignored_sheets: list[str]
    rows: pl.DataFrame
    rows_total: int  # data rows read (blank, totals and section rows excluded)
    rows_skipped: int  # totals and section rows
    errors: list[CellError] = field(default_factory=list)
    warnings: list[CellError] = field(default_factory=list)
    column_letters: dict[str, str] = field(default_factory=dict)  # field -> worksheet column letter

    def cell_error(self, row: int, field_name: str, value: object, message: str) -> CellError:
        """An error on the cell of `field_name` in worksheet row `row` (for checks made after reading)."""
        letter = self.column_letters.get(field_name, "A")
        return CellError(self.sheet, f"{letter}{row}", row, field_name, "" if value is None else str(value), message)

    def accepted(self, rows: pl.DataFrame | None = None) -> int:
        """Sheet rows of the valid lines."""
        frame = self.rows if rows is None else rows
        return int(frame.filter(pl.col("valid"))["sheet_rows"].sum())

    @property
    def months_present(self) -> list[str]:
        return [name for name in self.present if name in MONTH_FIELDS]


def read_import(source: str | Path | bytes, spec: ImportSpec, options: ReadOptions = ReadOptions()) -> ParsedImport:
    """Read and check an import file (.xlsx, .xlsm, .xlsb, .xls, .ods or .csv) for the kind `spec`."""
    workbook = open_workbook(source, limits=options.limits, file_name=options.file_name)
    found = find_table(workbook, spec, options.mapping, options.sheet)
    start_month = options.fiscal_year.start_month if options.fiscal_year else options.fy_start_month
    layout = found.layout
    long = spec.long_fields is not None and not layout.months and set(spec.long_fields) <= set(layout.fields)
    fy: FiscalYear | None = None
    months: dict[int, int] = {}
    outside: list[int] = []
    if spec.month_columns and not long:
        fy, months, outside = fiscal_months(
            layout, found.table.name, found.table.header_row, options.fiscal_year, start_month
        )
    columns = _columns(spec, found, months, long, skip_total=bool(outside))
    parsed = RowParser(found.table, spec, columns, day_first=options.day_first).parse()
    found.table.frame = found.table.frame.clear()  # the sheet as read is no longer needed: free it now
    result = _result(spec, workbook.kind, found, columns, parsed, "long" if long else "wide" if months else "table")
    result.fiscal_year = fy
    if long:
        _to_lines(result, columns, options.fiscal_year, start_month)
    elif spec.month_columns:
        result.month_columns = {m: layout.texts[col] for m, col in sorted(months.items())}
    result.errors += _duplicate_keys(result, columns) if spec.unique_key and not long else []
    result.errors.sort(key=lambda e: (e.row or 0, len(e.cell), e.cell))
    result.rows = _invalidate(result.rows, result.errors)
    result.warnings = [
        *sheet_warnings(found, options.mapping, workbook.name),
        *column_warnings(spec, found, {c.col for c in columns}, result, outside),
        *parsed.skipped,
        *line_warnings(spec, result),
    ]
    return result


def _columns(
    spec: ImportSpec, found: FoundTable, months: dict[int, int], long: bool, *, skip_total: bool
) -> list[Column]:
    layout = found.layout
    out = []
    for name, col in layout.fields.items():
        if spec.long_fields and name in spec.long_fields and not long:
            continue  # a Month or Amount column beside month columns: ignored (a warning says so)
        if name == "total" and skip_total:
            continue  # it adds up months of another FY too: not comparable (a warning says so)
        out.append(Column(name, col, spec.field(name).kind, name))
    for month, col in sorted(months.items()):
        out.append(Column(MONTH_FIELDS[month - 1], col, "amount", layout.texts[col]))
    return out


def _result(
    spec: ImportSpec, file_kind: str, found: FoundTable, columns: list[Column], parsed: ParsedRows, layout: Layout
) -> ParsedImport:
    table = found.table
    texts = found.layout.texts
    read = {c.col for c in columns}
    rows = parsed.rows.with_columns(pl.lit(1, pl.UInt32).alias("sheet_rows"))
    return ParsedImport(
        spec=spec,
        file_kind=file_kind,
        sheet=table.name,
        header_row=table.header_row + 1,
        layout=layout,
        fiscal_year=None,
        column_map={c.name: texts[c.col] for c in columns if c.name not in MONTH_FIELDS},
        month_columns={},
        present=tuple(c.name for c in columns),
        headers=[text for _, text in sorted(texts.items()) if text],
        ignored_columns=[texts[col] for col in sorted(texts) if texts[col] and col not in read],
        ignored_sheets=[name for name, _ in found.other_sheets],
        rows=rows,
        rows_total=rows.height,
        rows_skipped=len(parsed.skipped),
        errors=list(parsed.errors),
        column_letters={c.name: column_letter(c.col) for c in columns},
    )


def _to_lines(result: ParsedImport, columns: list[Column], chosen: FiscalYear | None, start_month: int) -> None:
    spec = result.spec
    assert spec.long_fields is not None
    month, amount = spec.long_fields
    long = to_lines(
        result.rows.drop("sheet_rows"),
        spec,
        sheet=result.sheet,
        columns={c.name: (c.col, c.shown) for c in columns},
        chosen=chosen,
        start_month=start_month,
    )
    result.fiscal_year = long.fiscal_year
    result.rows = long.lines
    result.errors += long.errors
    month_fields = tuple(MONTH_FIELDS[m - 1] for m in long.months)
    result.present = tuple(name for name in result.present if name not in (month, amount)) + month_fields
    result.month_columns = {m: result.column_map[month] for m in long.months}


def _duplicate_keys(result: ParsedImport, columns: list[Column]) -> list[CellError]:
    """A key twice in the file is an error on every row that has it, naming up to five of the key's other
    rows (the first ones). Grouped once; a key's rows past its first six all name the same five rows, so
    their message is worded once per key: one key on every one of n rows costs n small records, nothing more."""
    keys = [k for k in result.spec.key if k in result.present]
    if not keys:
        return []
    col = next(c.col for c in columns if c.name == keys[0])
    repeated = (
        result.rows.filter(pl.all_horizontal([pl.col(k).is_not_null() for k in keys]))
        .group_by(keys, maintain_order=True)
        .agg(pl.col("row").sort())
        .filter(pl.col("row").list.len() > 1)
        .select(pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator=" / ").alias("value"), "row")
    )
    label, letter, sheet, field_name = result.spec.label(keys[0]), column_letter(col), result.sheet, keys[0]

    def message(value: str, others: list[int], total: int) -> str:
        more = ", ..." if total - 1 > len(others) else ""
        where = "row" if total == 2 else "rows"
        return f"{label} '{value}' appears more than once: also on {where} {', '.join(map(str, others))}{more}"

    found = []
    for value, rows in repeated.iter_rows():
        first = rows[:6]
        tail_message = message(value, first[:5], len(rows))  # every row after the sixth names the first five
        for index, row in enumerate(rows):
            text = message(value, [r for r in first if r != row][:5], len(rows)) if index < 6 else tail_message
            found.append(CellError(sheet, f"{letter}{row}", row, field_name, value, text))
    return found


def _invalidate(rows: pl.DataFrame, errors: list[CellError]) -> pl.DataFrame:
    bad = pl.Series(sorted({e.row for e in errors if e.row is not None}), dtype=pl.Int64)
    return rows.with_columns(pl.col("valid") & ~pl.col("row").is_in(bad.implode()))


__all__ = ["ParsedImport", "ReadOptions", "cell_name", "header_key", "read_import"]
