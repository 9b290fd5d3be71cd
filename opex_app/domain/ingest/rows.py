"""Parsing and checking the data rows of a table, driven by the spec: every column is parsed by its
field's value kind in one vectorised Polars pass; each parser yields a value and a problem code, and
only the cells with a problem are looked at one by one (to word the error).

Rows that are not lines are skipped and reported: blank rows (silently: they hold nothing), totals
(a key or first text cell that is a total label) and section headings (one label ending in a colon).
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from opex_app.domain.ingest.amounts import (
    SERIAL_TEXT,
    amount_from_number,
    amount_from_text,
    date_from_serial,
    date_from_text,
    rate_from_number,
    rate_from_text,
)
from opex_app.domain.ingest.cells import as_text, blank_to_null, has_content
from opex_app.domain.ingest.errors import CellError, column_letter
from opex_app.domain.ingest.headers import SECTION_LABEL_PATTERN, TOTAL_LABEL_PATTERN, header_text, is_total_label
from opex_app.domain.ingest.messages import END_BEFORE_START, KEY_EMPTY, article, message_for
from opex_app.domain.ingest.specs import ImportSpec, ValueKind
from opex_app.domain.ingest.workbook import SheetTable
from opex_app.domain.ingest.xlsx_scan import ProblemCell

P = "__p"  # suffix of a problem-code column
SKIP = "__skip"
_TOTAL, _SECTION = "total", "section"
_PARSED: tuple[ValueKind, ...] = ("amount", "rate", "date")  # kinds parsed to a value and a problem code


@dataclass
class Column:
    """One column read: the output name, the worksheet column, its value kind and the name errors show."""

    name: str
    col: int
    kind: ValueKind
    shown: str


@dataclass
class ParsedRows:
    rows: pl.DataFrame  # 'row' (worksheet row, 1-based), one column per Column read, 'valid'
    errors: list[CellError]
    skipped: list[CellError] = field(default_factory=list)  # warnings: totals and section rows


class RowParser:
    """Parses and checks the data rows of one table."""

    def __init__(self, table: SheetTable, spec: ImportSpec, columns: list[Column], *, day_first: bool) -> None:
        self.table, self.spec, self.day_first = table, spec, day_first
        self.columns = {c.name: c for c in columns}
        self.by_col = {c.col: c for c in columns}
        self.excel_errors: dict[tuple[int, int], str] = {}  # (0-based row, column) -> error text, text fields

    def parse(self) -> ParsedRows:
        frame = self.table.frame
        if not (self.table.can_scan and self._has_hidden_cells(frame)):
            return self._parse(frame)
        # The scan of the sheet's XML (zlib, mostly outside the GIL) runs while Polars parses; in the rare
        # case it finds such cells, the frame with them put back is parsed again.
        with ThreadPoolExecutor(max_workers=1) as pool:
            scan = pool.submit(self.table.problem_cells)
            result = self._parse(frame)
            problems = scan.result()
        patched = self._patched(frame, problems)
        return result if patched is frame else self._parse(patched)

    def _parse(self, frame: pl.DataFrame) -> ParsedRows:
        first = self.table.first_row + 1
        parsed = (
            frame.lazy()
            .with_columns(pl.int_range(first, first + pl.len(), dtype=pl.Int64).alias("row"))
            .with_columns(*self._value_columns(frame.schema), self._skip(frame))
            .unnest([f"{c.name}__s" for c in self._structured()])
            .filter(has_content(frame.schema))
            .with_columns(self._row_checks())
            .collect()
        )
        skipped = self._skipped(parsed.filter(pl.col(SKIP).is_not_null()))
        parsed = parsed.filter(pl.col(SKIP).is_null())
        errors = self._errors(parsed, frame.schema)
        bad_rows = pl.Series(sorted({e.row for e in errors if e.row is not None}), dtype=pl.Int64)
        rows = parsed.select(
            pl.col("row"),
            *[pl.col(name) for name in self.columns],
            (~pl.col("row").is_in(bad_rows.implode())).alias("valid"),
        )
        return ParsedRows(rows, errors, skipped)

    # -- preparing columns

    def _structured(self) -> list[Column]:
        return [c for c in self.columns.values() if c.kind in _PARSED]

    def _has_hidden_cells(self, frame: pl.DataFrame) -> bool:
        """Whether a row with content has an empty cell in a column we read: it may be an Excel error
        (or TRUE/FALSE, or 'NA' in a numeric column) that the read shows as null."""
        used = [pl.col(str(col)).is_null() for col in self.by_col if str(col) in frame.columns]
        if not used or frame.height == 0:
            return False
        return bool(frame.select((has_content(frame.schema) & pl.any_horizontal(used)).any()).item())

    def _patched(self, frame: pl.DataFrame, problems: dict[tuple[int, int], ProblemCell]) -> pl.DataFrame:
        """Put back the cells a typed read shows as null (Excel errors, booleans, 'NA'), as text."""
        by_column: dict[int, list[tuple[int, ProblemCell]]] = defaultdict(list)
        first = self.table.first_row
        for (row, col), problem in problems.items():
            if col in self.by_col and first <= row < first + frame.height:
                by_column[col].append((row - first, problem))
        replaced: list[pl.Series] = []
        for col, cells in by_column.items():
            column = self.by_col[col]
            series = frame[str(col)]
            if series.dtype == pl.String:  # texts, TRUE/FALSE and 'NA' arrived as text: only errors are missing
                cells = [(index, problem) for index, problem in cells if problem.kind == "error"]
                if not cells:
                    continue
            else:
                text = as_text(pl.col(str(col)), series.dtype, amount=column.kind == "amount")
                series = frame.select(text).to_series()
            if column.kind not in _PARSED:  # any text is valid there: an Excel error needs its own message
                for index, problem in cells:
                    if problem.kind == "error":
                        self.excel_errors[(index + first, col)] = problem.text
            series = series.scatter([index for index, _ in cells], [problem.text for _, problem in cells])
            replaced.append(series.alias(str(col)))
        return frame.with_columns(replaced) if replaced else frame

    def _value_columns(self, schema: pl.Schema) -> list[pl.Expr]:
        exprs: list[pl.Expr] = []
        for column in self.columns.values():
            source = pl.col(str(column.col))
            dtype = schema[str(column.col)]
            if column.kind in _PARSED:
                parsed = self._structured_value(column.kind, source, dtype)
                exprs.append(parsed.struct.rename_fields([column.name, column.name + P]).alias(f"{column.name}__s"))
                continue
            value = blank_to_null(as_text(source, dtype))
            exprs.append((value.str.to_uppercase() if column.kind == "currency" else value).alias(column.name))
        return exprs

    def _structured_value(self, kind: ValueKind, source: pl.Expr, dtype: pl.DataType) -> pl.Expr:
        if kind == "date":
            if dtype == pl.Datetime:
                return pl.struct(source.dt.date().alias("value"), pl.lit(None, pl.String).alias("p"))
            if dtype == pl.Date:
                return pl.struct(source.alias("value"), pl.lit(None, pl.String).alias("p"))
            if dtype.is_numeric():
                return date_from_serial(source)
            text = as_text(source, dtype)
            serial = text.str.contains(SERIAL_TEXT).fill_null(False)
            by_text = date_from_text(text, day_first=self.day_first)
            by_serial = date_from_serial(text.str.strip_chars().cast(pl.Float64, strict=False))
            return pl.when(serial).then(by_serial).otherwise(by_text)
        if kind == "rate":
            if dtype.is_numeric() or dtype == pl.Null:
                return rate_from_number(source.cast(pl.Float64))
            return rate_from_text(as_text(source, dtype))
        if dtype.is_numeric():
            return amount_from_number(source)
        if dtype == pl.Null:
            return amount_from_number(source.cast(pl.Float64))
        return amount_from_text(as_text(source, dtype))

    # -- rows that are not lines

    def _skip(self, frame: pl.DataFrame) -> pl.Series:
        """'total' for a row whose key or first text cell is a total label, 'section' for a row whose only
        content is a label ending in a colon, else null. Only rows that could be such (no key, a key that
        reads like a label, or text left of the key) are looked at in full: on a large sheet, a handful."""
        schema = frame.schema
        texts = [name for name, dtype in schema.items() if dtype == pl.String]
        if not texts or frame.height == 0:
            return pl.Series(SKIP, [None] * frame.height, dtype=pl.String)
        keys = [str(self.columns[k].col) for k in self.spec.key if k in self.columns]
        candidate = pl.lit(True)
        if keys:
            key = blank_to_null(as_text(pl.col(keys[0]), schema[keys[0]]))
            left = [blank_to_null(pl.col(n)).is_not_null() for n in texts if int(n) < int(keys[0])]
            candidate = (
                key.is_null()
                | key.str.contains(TOTAL_LABEL_PATTERN).fill_null(False)
                | key.str.contains(SECTION_LABEL_PATTERN).fill_null(False)
                | pl.any_horizontal([pl.lit(False), *left])
            )
        index = frame.select(pl.arg_where(candidate)).to_series()
        if index.len() == 0:
            return pl.Series(SKIP, [None] * frame.height, dtype=pl.String)
        found = frame[index].select(self._skip_kind(schema, texts, keys)).to_series()
        return pl.Series(SKIP, [None] * frame.height, dtype=pl.String).scatter(index, found)

    def _skip_kind(self, schema: pl.Schema, texts: list[str], keys: list[str]) -> pl.Expr:
        labels = [pl.coalesce([blank_to_null(pl.col(n)) for n in texts])]
        labels += [blank_to_null(as_text(pl.col(k), schema[k])) for k in keys]
        is_total = pl.any_horizontal([label.str.contains(TOTAL_LABEL_PATTERN).fill_null(False) for label in labels])
        filled = pl.sum_horizontal(
            [
                (pl.col(n).str.strip_chars() != "").fill_null(False) if d == pl.String else pl.col(n).is_not_null()
                for n, d in schema.items()
            ]
        )
        is_section = (filled == 1) & labels[0].str.contains(SECTION_LABEL_PATTERN).fill_null(False)
        return pl.when(is_total).then(pl.lit(_TOTAL)).when(is_section).then(pl.lit(_SECTION)).alias(SKIP)

    def _skipped(self, rows: pl.DataFrame) -> list[CellError]:
        """A warning per skipped row, at the cell of its label (the key's, or the first text cell's)."""
        if rows.height == 0:
            return []
        cells = [c for c in rows.columns if c.isdigit()]
        keys = [str(self.columns[k].col) for k in self.spec.key if k in self.columns]
        out = []
        for record in rows.select("row", SKIP, *cells).iter_rows(named=True):
            row, skip = record["row"], record[SKIP]
            key = record[keys[0]] if keys else None
            if isinstance(key, str) and key.strip() and skip == _TOTAL and is_total_label(key):
                col = keys[0]
            else:
                col = next((c for c in cells if isinstance(record[c], str) and record[c].strip()), cells[0])
            text = str(record[col]).strip() if record[col] is not None else ""
            what = "a totals row" if skip == _TOTAL else "a section heading"
            out.append(
                CellError(
                    self.table.name,
                    f"{column_letter(int(col))}{row}",
                    row,
                    header_text(self.table.header.get(int(col))),
                    text,
                    f"row {row} ('{text}') was skipped as {what}, "
                    f"not read as {article(self.spec.noun)} {self.spec.noun}",
                )
            )
        return out

    # -- checks

    def _row_checks(self) -> list[pl.Expr]:
        checks: list[pl.Expr] = []
        for key in self.spec.key:
            if key in self.columns:
                empty = pl.col(key).is_null()
                if self.columns[key].kind in _PARSED:  # a key that is a date (FX): a bad cell keeps its own problem
                    empty &= pl.col(key + P).is_null()
                    checks.append(pl.when(empty).then(pl.lit(KEY_EMPTY)).otherwise(pl.col(key + P)).alias(key + P))
                else:
                    checks.append(pl.when(empty).then(pl.lit(KEY_EMPTY)).alias(key + P))
        for start, end in self.spec.date_order:
            if start in self.columns and end in self.columns:
                before = (pl.col(end) < pl.col(start)).fill_null(False)
                checks.append(
                    pl.when(pl.col(end + P).is_null() & before)
                    .then(pl.lit(END_BEFORE_START))
                    .otherwise(pl.col(end + P))
                    .alias(end + P)
                )
        return checks

    def _errors(self, parsed: pl.DataFrame, schema: pl.Schema) -> list[CellError]:
        checked = [c for c in self.columns.values() if c.name + P in parsed.columns]
        found: list[tuple[int, int, CellError]] = []
        if checked:
            flagged = parsed.filter(pl.any_horizontal([pl.col(c.name + P).is_not_null() for c in checked]))
            raw = flagged.select(
                "row",
                *[as_text(pl.col(str(c.col)), schema[str(c.col)]).alias(f"raw{c.col}") for c in checked],
                *[pl.col(c.name + P) for c in checked],
                *[pl.col(name) for start_end in self.spec.date_order for name in start_end if name in self.columns],
            )
            for record in raw.iter_rows(named=True):
                for c in checked:
                    code = record[c.name + P]
                    if code is not None:
                        message = message_for(code, self.spec, c.name, record, record[f"raw{c.col}"], self.day_first)
                        found.append(self.error(record["row"], c, record[f"raw{c.col}"], message))
        kept = set(parsed["row"].to_list()) if self.excel_errors else set()
        for (row0, col), text in self.excel_errors.items():
            if row0 + 1 in kept:
                column = self.by_col[col]
                label = self.spec.label(column.name) if column.name in self.spec.names else column.shown
                message = f"the cell shows the Excel error {text}; expected a value for {label}"
                found.append(self.error(row0 + 1, column, text, message))
        found.sort(key=lambda item: (item[0], item[1]))
        return [error for _, _, error in found]

    def error(self, row: int, column: Column, value: object, message: str) -> tuple[int, int, CellError]:
        text = "" if value is None else str(value).removesuffix(" 00:00:00")
        return (
            row,
            column.col,
            CellError(self.table.name, f"{column_letter(column.col)}{row}", row, column.shown, text, message),
        )
