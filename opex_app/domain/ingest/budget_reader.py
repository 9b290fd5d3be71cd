"""Read a budget workbook into validated budget lines: `read_budget_workbook`.

The table is found (first sheet with a header row in its first 20 rows), its columns are matched to
the canonical fields and fiscal months, and every data row is parsed and checked with vectorised
Polars expressions. Problems with the file as a whole raise `WorkbookRefused` (or
`WorkbookUnreadable` when it is not a readable workbook); problems with single cells become
`CellError`s and mark their row invalid, so an import can report every error at once.
"""

from __future__ import annotations

import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl

from opex_app.domain.budget_fields import DATE_FIELDS, MONTH_FIELDS, TEXT_FIELDS
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest.amounts import (
    AMOUNT,
    MAX_INTEGER_DIGITS,
    NOT_A_DATE,
    TOO_LARGE,
    amount_from_number,
    amount_from_text,
    date_from_text,
    number_as_text,
)
from opex_app.domain.ingest.headers import (
    FIELD_LABELS,
    TOTAL_LABEL_PATTERN,
    MonthHeader,
    header_text,
    looked_for,
    match_field,
    parse_month_header,
)
from opex_app.domain.ingest.workbook import (
    MAX_HEADER_ROWS,
    ProblemCell,
    ReadLimits,
    SheetTable,
    WorkbookRefused,
    WorkbookUnreadable,
    cell_name,
    column_letter,
    open_workbook,
)
from opex_app.domain.money import format_indian

__all__ = [
    "CellError",
    "ParsedBudget",
    "ReadLimits",
    "WorkbookRefused",
    "WorkbookUnreadable",
    "read_budget_workbook",
]

TOTAL_TOLERANCE = Decimal("1.00")
_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$")  # a date cell read as text
_TEXT_OUT = (*TEXT_FIELDS, "remarks")


@dataclass(frozen=True)
class CellError:
    """One problem with one cell, worded for the person who fixes the workbook."""

    sheet: str
    cell: str  # 'K14'
    row: int  # worksheet row as Excel shows it (1-based)
    column: str  # canonical field name, or the header text for a month column
    value: str  # the text found in the cell ('' for empty)
    message: str

    def ref(self) -> str:
        return f"{self.sheet}!{self.cell}"


@dataclass
class ParsedBudget:
    """The budget lines read from a workbook, with every cell error found."""

    sheet: str
    header_row: int  # worksheet row of the header (1-based)
    fiscal_year: FiscalYear
    column_map: dict[str, str]  # canonical field -> header text found
    month_columns: dict[int, str]  # fiscal month 1..12 -> header text found
    unknown_columns: list[str]
    rows: pl.DataFrame
    errors: list[CellError] = field(default_factory=list)
    column_letters: dict[str, str] = field(default_factory=dict)  # canonical field -> worksheet column letter

    def cell_error(self, row: int, field_name: str, value: object, message: str) -> CellError:
        """An error on the cell of `field_name` in worksheet row `row` (for checks made after reading)."""
        letter = self.column_letters.get(field_name, "A")
        return CellError(self.sheet, f"{letter}{row}", row, field_name, "" if value is None else str(value), message)

    @property
    def rows_total(self) -> int:
        return self.rows.height

    @property
    def rows_accepted(self) -> int:
        return int(self.rows["valid"].sum())

    @property
    def rows_rejected(self) -> int:
        return self.rows_total - self.rows_accepted

    def valid_rows(self) -> pl.DataFrame:
        return self.rows.filter(pl.col("valid"))


def read_budget_workbook(
    source: str | Path | bytes,
    *,
    fiscal_year: FiscalYear | None = None,
    fy_start_month: int = 4,
    day_first: bool = True,
    limits: ReadLimits = ReadLimits(),
    file_name: str | None = None,
) -> ParsedBudget:
    """Read and check a budget workbook (.xlsx; .xls and .ods too).

    `fiscal_year` is needed when the month headers carry no year; when they do, it is optional and
    must agree with them. Its start month (else `fy_start_month`) maps calendar months to fiscal
    months. Raises WorkbookUnreadable or WorkbookRefused (one line of text each).
    """
    start_month = fiscal_year.start_month if fiscal_year is not None else fy_start_month
    workbook = open_workbook(source, limits=limits, file_name=file_name)
    table = workbook.find_table()
    if table is None:
        sheets = ", ".join(f"'{name}'" for name in workbook.sheet_names) or "none"
        raise WorkbookRefused(
            f"{workbook.name} has no budget table: no sheet has, in its first {MAX_HEADER_ROWS} rows, "
            f"a header row with {looked_for()} (sheets looked at: {sheets})"
        )
    layout = _Layout.of(table)
    fy, months = _fiscal_months(layout, table, fiscal_year, start_month)
    rows, errors = _Rows(table, layout, months, day_first=day_first).parse()
    return ParsedBudget(
        sheet=table.name,
        header_row=table.header_row + 1,
        fiscal_year=fy,
        column_map={name: layout.texts[col] for name, col in layout.fields.items()},
        month_columns={month: layout.texts[col] for month, col in sorted(months.items())},
        unknown_columns=layout.unknown,
        rows=rows,
        errors=errors,
        column_letters={name: column_letter(col) for name, col in layout.fields.items()},
    )


# ---------------------------------------------------------------------------------------------- columns


@dataclass
class _Layout:
    fields: dict[str, int]  # canonical field -> 0-based worksheet column
    month_headers: list[tuple[int, MonthHeader]]  # (column, month) in column order
    texts: dict[int, str]  # column -> header text
    unknown: list[str]

    @classmethod
    def of(cls, table: SheetTable) -> _Layout:
        fields: dict[str, int] = {}
        months: list[tuple[int, MonthHeader]] = []
        texts: dict[int, str] = {}
        unknown: list[str] = []
        for col, value in sorted(table.header.items()):
            text = texts[col] = header_text(value)
            name = match_field(value) if isinstance(value, str) else None
            if name is not None:
                if name in fields:
                    first = fields[name]
                    raise WorkbookRefused(
                        f"sheet '{table.name}' has two {FIELD_LABELS[name]} columns: "
                        f"'{texts[first]}' ({_header_cell(table, first)}) and "
                        f"'{text}' ({_header_cell(table, col)}); keep one"
                    )
                fields[name] = col
            elif (month := parse_month_header(value)) is not None:
                months.append((col, month))
            else:
                unknown.append(text)
        return cls(fields, months, texts, unknown)


def _header_cell(table: SheetTable, column: int) -> str:
    return cell_name(table.header_row, column)


def _fiscal_months(
    layout: _Layout, table: SheetTable, chosen: FiscalYear | None, start_month: int
) -> tuple[FiscalYear, dict[int, int]]:
    """The FY of the file and fiscal month -> column; refuses months of two FYs, a month twice, an FY
    that disagrees with the one chosen, or yearless months with no FY chosen."""
    placed = [(col, *month.fiscal(start_month)) for col, month in layout.month_headers]
    dated = [(col, fy) for col, fy, _ in placed if fy is not None]
    years = sorted({fy for _, fy in dated})
    if len(years) > 1:
        first = next(col for col, fy in dated if fy == years[0])
        second = next(col for col, fy in dated if fy == years[1])
        raise WorkbookRefused(
            f"the month columns of sheet '{table.name}' span more than one fiscal year: "
            f"'{layout.texts[first]}' is in {years[0]} and '{layout.texts[second]}' is in {years[1]}; "
            "a budget file holds one fiscal year"
        )
    if years:
        fy = years[0]
        if chosen is not None and chosen != fy:
            raise WorkbookRefused(
                f"the month columns of sheet '{table.name}' are in {fy} "
                f"(e.g. '{layout.texts[dated[0][0]]}') but {chosen} was chosen for this import"
            )
    elif chosen is None:
        sample = ", ".join(f"'{layout.texts[col]}'" for col, _ in layout.month_headers[:3])
        raise WorkbookRefused(
            f"the month columns of sheet '{table.name}' ({sample}) carry no year, so the fiscal year is "
            "not known: pass --fy (e.g. --fy FY27) or pick the fiscal year for this import"
        )
    else:
        fy = chosen
    months: dict[int, int] = {}
    for col, _, month in placed:
        if month in months:
            raise WorkbookRefused(
                f"sheet '{table.name}' has the month {fy.month_label(month)} twice: "
                f"'{layout.texts[months[month]]}' ({_header_cell(table, months[month])}) and "
                f"'{layout.texts[col]}' ({_header_cell(table, col)})"
            )
        months[month] = col
    return fy, months


# ---------------------------------------------------------------------------------------------- rows

_P = "__p"  # suffix of a problem-code column
_UID_EMPTY = "uid_empty"
_END_BEFORE_START = "end_before_start"
_TOTAL_MISMATCH = "total_mismatch"


def _blank_to_null(text: pl.Expr) -> pl.Expr:
    text = text.str.strip_chars()
    return pl.when(text != "").then(text)


def _as_text(expr: pl.Expr, dtype: pl.DataType, *, amount: bool = False) -> pl.Expr:
    """A typed column as the text a person would type for it."""
    if dtype == pl.String:
        return expr
    if dtype.is_numeric():
        if amount:
            exact = amount_from_number(expr).struct.field("value").cast(pl.String)
            return pl.when(expr.is_not_null()).then(pl.coalesce(exact, number_as_text(expr)))
        return number_as_text(expr)
    if dtype == pl.Datetime:
        return (
            pl.when(expr.dt.time() == pl.time(0))
            .then(expr.dt.strftime("%Y-%m-%d"))
            .otherwise(expr.dt.strftime("%Y-%m-%d %H:%M:%S"))
        )
    if dtype == pl.Date:
        return expr.dt.strftime("%Y-%m-%d")
    if dtype == pl.Boolean:
        return pl.when(expr).then(pl.lit("true")).when(~expr).then(pl.lit("false"))  # as fastexcel does
    return expr.cast(pl.String)


class _Rows:
    """Parses and checks the data rows of a table."""

    def __init__(self, table: SheetTable, layout: _Layout, months: dict[int, int], *, day_first: bool) -> None:
        self.table = table
        self.layout = layout
        self.months = months  # fiscal month -> column
        self.day_first = day_first
        # column -> (field name used in rows, name shown in errors)
        self.names: dict[int, tuple[str, str]] = {col: (name, name) for name, col in layout.fields.items()}
        for month, col in months.items():
            self.names[col] = (MONTH_FIELDS[month - 1], layout.texts[col])
        self.excel_errors: dict[tuple[int, int], str] = {}  # (row, column) -> error text, text fields

    def parse(self) -> tuple[pl.DataFrame, list[CellError]]:
        frame = self.table.frame
        if not (self.table.can_scan and self._has_hidden_cells(frame)):
            return self._parse(frame)
        # The scan of the sheet's XML (zlib, mostly outside the GIL) runs while Polars parses; in the
        # rare case it finds such cells, the frame with them put back is parsed again.
        with ThreadPoolExecutor(max_workers=1) as pool:
            scan = pool.submit(self.table.problem_cells)
            result = self._parse(frame)
            problems = scan.result()
        patched = self._patched(frame, problems)
        return result if patched is frame else self._parse(patched)

    def _parse(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[CellError]]:
        first = self.table.first_row + 1
        parsed = (
            frame.lazy()
            .with_columns(pl.int_range(first, first + pl.len(), dtype=pl.Int64).alias("row"))
            .with_columns(self._value_columns(frame.schema))
            .unnest([f"{name}__s" for name in self._struct_names()])
            .filter(self._keep(frame.schema))
            .with_columns(self._row_checks())
            .collect()
        )
        errors = self._errors(parsed, frame.schema)
        bad_rows = pl.Series(sorted({error.row for error in errors}), dtype=pl.Int64)
        rows = parsed.select(
            pl.col("row"),
            *[self._output(name) for name in (*TEXT_FIELDS, *DATE_FIELDS, "remarks", *MONTH_FIELDS, "total")],
            (~pl.col("row").is_in(bad_rows.implode())).alias("valid"),
        )
        return rows, errors

    # -- preparing columns

    def _column(self, name: str) -> str | None:
        col = self.layout.fields.get(name)
        if col is None and name in MONTH_FIELDS:
            col = self.months.get(MONTH_FIELDS.index(name) + 1)
        return None if col is None else str(col)

    def _has_hidden_cells(self, frame: pl.DataFrame) -> bool:
        """Whether a row with content has an empty cell in a column we read: it may be an Excel error
        (or TRUE/FALSE, or 'NA' in a numeric column) that the read shows as null."""
        used = [pl.col(str(col)).is_null() for col in self.names]
        if not used or frame.height == 0:
            return False
        return bool(frame.select((_has_content(frame.schema) & pl.any_horizontal(used)).any()).item())

    def _patched(self, frame: pl.DataFrame, problems: dict[tuple[int, int], ProblemCell]) -> pl.DataFrame:
        """Put back the cells a typed read shows as null (Excel errors, booleans, 'NA'), as text."""
        by_column: dict[int, list[tuple[int, ProblemCell]]] = defaultdict(list)
        first = self.table.first_row
        for (row, col), problem in problems.items():
            if col in self.names and first <= row < first + frame.height:
                by_column[col].append((row - first, problem))
        replaced: list[pl.Series] = []
        for col, cells in by_column.items():
            name, _ = self.names[col]
            series = frame[str(col)]
            if series.dtype == pl.String:  # texts, TRUE/FALSE and 'NA' arrived as text: only errors are missing
                cells = [(index, problem) for index, problem in cells if problem.kind == "error"]
                if not cells:
                    continue
            else:
                amount = name in MONTH_FIELDS or name == "total"
                series = frame.select(_as_text(pl.col(str(col)), series.dtype, amount=amount)).to_series()
            if name in _TEXT_OUT:  # any text is a valid text cell: an Excel error needs its own message
                for index, problem in cells:
                    if problem.kind == "error":
                        self.excel_errors[(index + first, col)] = problem.text
            series = series.scatter([index for index, _ in cells], [problem.text for _, problem in cells])
            replaced.append(series.alias(str(col)))
        return frame.with_columns(replaced) if replaced else frame

    def _struct_names(self) -> list[str]:
        return [name for name in (*DATE_FIELDS, *MONTH_FIELDS, "total") if self._column(name) is not None]

    def _value_columns(self, schema: pl.Schema) -> list[pl.Expr]:
        exprs: list[pl.Expr] = []
        for name in _TEXT_OUT:
            source = self._column(name)
            if source is None:
                continue
            value = _blank_to_null(_as_text(pl.col(source), schema[source]))
            exprs.append((value.str.to_uppercase() if name == "currency" else value).alias(name))
        for name in self._struct_names():
            source = self._column(name)
            assert source is not None
            dtype = schema[source]
            if name in DATE_FIELDS:
                if dtype == pl.Datetime:
                    parsed = pl.struct(pl.col(source).dt.date().alias("value"), pl.lit(None, pl.String).alias("p"))
                elif dtype == pl.Date:
                    parsed = pl.struct(pl.col(source).alias("value"), pl.lit(None, pl.String).alias("p"))
                else:
                    parsed = date_from_text(_as_text(pl.col(source), dtype), day_first=self.day_first)
            elif dtype.is_numeric():
                parsed = amount_from_number(pl.col(source))
            elif dtype == pl.Null:
                parsed = amount_from_number(pl.col(source).cast(pl.Float64))
            else:
                parsed = amount_from_text(_as_text(pl.col(source), dtype))
            exprs.append(parsed.struct.rename_fields([name, name + _P]).alias(f"{name}__s"))
        return exprs

    def _keep(self, schema: pl.Schema) -> pl.Expr:
        """Drop blank rows, and rows with no UID labelled like a total ('Total', 'Sub-total', ...) in
        the description or in their first text cell."""
        has_content = _has_content(schema)
        no_uid = pl.col("uid").is_null()
        labels: list[pl.Expr] = []
        if "description" in self.layout.fields:
            labels.append(pl.when(no_uid).then(pl.col("description")))
        texts = [
            _blank_to_null(pl.when(no_uid).then(pl.col(name))) for name, dtype in schema.items() if dtype == pl.String
        ]
        if texts:
            labels.append(pl.coalesce(texts))
        if not labels:
            return has_content
        is_total = pl.any_horizontal(
            [label.str.to_lowercase().str.contains(TOTAL_LABEL_PATTERN).fill_null(False) for label in labels]
        )
        return has_content & ~is_total

    def _row_checks(self) -> list[pl.Expr]:
        checks: list[pl.Expr] = []
        if "uid" in self.layout.fields:
            checks.append(pl.when(pl.col("uid").is_null()).then(pl.lit(_UID_EMPTY)).alias("uid" + _P))
        if "service_start" in self.layout.fields and "service_end" in self.layout.fields:
            before = (pl.col("service_end") < pl.col("service_start")).fill_null(False)
            checks.append(
                pl.when(pl.col("service_end" + _P).is_null() & before)
                .then(pl.lit(_END_BEFORE_START))
                .otherwise(pl.col("service_end" + _P))
                .alias("service_end" + _P)
            )
        if "total" in self.layout.fields:
            months = [MONTH_FIELDS[month - 1] for month in self.months]
            clean = pl.all_horizontal([pl.col(name + _P).is_null() for name in (*months, "total")])
            month_sum = pl.sum_horizontal([pl.col(name) for name in months]) if months else pl.lit(0)
            off = ((pl.col("total") - month_sum).abs() > TOTAL_TOLERANCE).fill_null(False)
            checks.append(
                pl.when(clean & off).then(pl.lit(_TOTAL_MISMATCH)).otherwise(pl.col("total" + _P)).alias("total" + _P)
            )
        return checks

    def _output(self, name: str) -> pl.Expr:
        if name in self.layout.fields or (name in MONTH_FIELDS and self._column(name) is not None):
            return pl.col(name)
        if name in MONTH_FIELDS:
            return pl.lit(Decimal(0), AMOUNT).alias(name)
        dtype = pl.Date if name in DATE_FIELDS else AMOUNT if name == "total" else pl.String
        return pl.lit(None, dtype).alias(name)

    # -- errors

    def _errors(self, parsed: pl.DataFrame, schema: pl.Schema) -> list[CellError]:
        problem_columns = [name + _P for name in (*self._struct_names(), "uid") if name + _P in parsed.columns]
        found: list[tuple[int, int, CellError]] = []
        if problem_columns:
            wanted = [col for col in self.names if self.names[col][0] + _P in problem_columns]
            flagged = parsed.filter(pl.any_horizontal([pl.col(name).is_not_null() for name in problem_columns]))
            raw = flagged.select(
                "row",
                *[_as_text(pl.col(str(col)), schema[str(col)]).alias(f"raw{col}") for col in wanted],
                *[pl.col(self.names[col][0] + _P) for col in wanted],
                *[pl.col(name) for name in ("total", "service_start", "service_end") if name in flagged.columns],
                *(
                    [pl.sum_horizontal([pl.col(MONTH_FIELDS[m - 1]) for m in self.months]).alias("month_sum")]
                    if "total" in self.layout.fields and self.months
                    else []
                ),
            )
            for record in raw.iter_rows(named=True):
                for col in wanted:
                    name, shown = self.names[col]
                    code = record[name + _P]
                    if code is not None:
                        message = self._message(code, record, name)
                        found.append(self._error(record["row"], col, shown, record[f"raw{col}"], message))
        kept = set(parsed["row"].to_list()) if self.excel_errors else set()
        for (row0, col), text in self.excel_errors.items():
            if row0 + 1 in kept:
                name, shown = self.names[col]
                message = f"the cell shows the Excel error {text}; expected a value for {FIELD_LABELS[name]}"
                found.append(self._error(row0 + 1, col, shown, text, message))
        found.extend(self._duplicate_uids(parsed))
        found.sort(key=lambda item: (item[0], item[1]))
        return [error for _, _, error in found]

    def _error(self, row: int, col: int, shown: str, value: object, message: str) -> tuple[int, int, CellError]:
        text = "" if value is None else _MIDNIGHT.sub(r"\1", str(value))
        error = CellError(self.table.name, f"{column_letter(col)}{row}", row, shown, text, message)
        return row, col, error

    def _message(self, code: str, record: dict[str, object], name: str) -> str:
        raw = record.get(f"raw{self._column(name)}") or ""
        if code == _UID_EMPTY:
            return "UID is empty: every budget line needs a UID (rows labelled Total are skipped)"
        if code == TOO_LARGE:
            return f"amount '{raw}' is too large: at most {MAX_INTEGER_DIGITS} digits before the decimal point"
        if code == NOT_A_DATE:
            example = "01/04/2026" if self.day_first else "04/01/2026"
            return f"expected a date (e.g. 2026-04-01 or {example}), found '{raw}'"
        if code == _END_BEFORE_START:
            end, start = _show_date(record.get("service_end")), _show_date(record.get("service_start"))
            return f"service end {end} is before service start {start}"
        if code == _TOTAL_MISMATCH:
            total, month_sum = record.get("total"), record.get("month_sum")
            return (
                f"total {format_indian(_decimal(total))} does not match the sum of the months "
                f"{format_indian(_decimal(month_sum))} (allowed difference {TOTAL_TOLERANCE})"
            )
        return f"expected an amount (e.g. 1,23,456.78), found '{raw}'"

    def _duplicate_uids(self, parsed: pl.DataFrame) -> list[tuple[int, int, CellError]]:
        if "uid" not in self.layout.fields:
            return []
        col = self.layout.fields["uid"]
        repeated = parsed.filter(pl.col("uid").is_duplicated() & pl.col("uid").is_not_null()).select("row", "uid")
        rows_of: dict[str, list[int]] = defaultdict(list)
        for row, uid in repeated.iter_rows():
            rows_of[uid].append(row)
        found = []
        for uid, rows in rows_of.items():
            for row in rows:
                others = [other for other in rows if other != row]
                listed = ", ".join(str(other) for other in others[:5]) + (", ..." if len(others) > 5 else "")
                where = "row" if len(others) == 1 else "rows"
                message = f"UID '{uid}' appears more than once: also on {where} {listed}"
                found.append(self._error(row, col, "uid", uid, message))
        return found


def _has_content(schema: pl.Schema) -> pl.Expr:
    """True for a row with any non-blank cell among the given columns."""
    cells = [
        (pl.col(name).str.strip_chars() != "").fill_null(False) if dtype == pl.String else pl.col(name).is_not_null()
        for name, dtype in schema.items()
    ]
    return pl.any_horizontal(cells) if cells else pl.lit(False)


def _decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def _show_date(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "")
