"""Opening an import file safely and reading its sheets: workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods)
through fastexcel, and CSV exports (`csv_source`) as a workbook of one sheet.

A file is checked before any parser sees it: its size, that it is a spreadsheet at all, and for
zip-based files the uncompressed size its entries declare. Then:

* Each sheet is read once (fastexcel reads a whole sheet whatever is asked of it); the table finder
  looks at its first rows for the header. .xlsx sheets are read with worksheet row 1 as fastexcel's
  header and column types inferred from every row, so numeric and date columns arrive typed (as fast
  as `polars.read_excel`). The few cells such a typed read shows as null although they hold something
  (Excel errors, TRUE/FALSE, 'NA' in a numeric column) are found when needed by one streaming scan of
  the sheet's XML (`xlsx_scan`). Other formats, and .xlsx sheets whose mix of cell types fastexcel
  refuses to infer, are read with every cell as text.

Row and column numbers here are 0-based worksheet positions (row 0 is Excel's row 1).
"""

from __future__ import annotations

import ctypes
import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Literal

import fastexcel
import polars as pl

from opex_app.domain.ingest import csv_source
from opex_app.domain.ingest.errors import WorkbookUnreadable
from opex_app.domain.ingest.xlsx_scan import (
    InflateLimitExceeded,
    ProblemCell,
    XlsxParts,
    count_inflated,
    open_zip,
    peek_first_row,
    scan_problem_cells,
    xlsx_parts,
)

MAX_HEADER_ROWS = 20
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit

# fastexcel logs a warning for every column whose type it cannot infer or whose cells are all empty; we
# read such columns on purpose. A library does not print: keep its records away from the CLI's stderr.
_FASTEXCEL_LOG = logging.getLogger("fastexcel")
_FASTEXCEL_LOG.addHandler(logging.NullHandler())
_FASTEXCEL_LOG.propagate = False

Kind = Literal["xlsx", "xlsb", "ods", "xls", "csv"]


def release_freed_heap() -> None:
    """Hand the C heap that a sheet read freed back to the OS. fastexcel builds the whole sheet in the C
    heap (hundreds of MB for a million rows) and frees it once the frame is made, but glibc keeps the pages
    and Polars allocates from its own allocator, so without this they only add to the peak of what follows."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


@dataclass(frozen=True)
class ReadLimits:
    max_file_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 500 * 1024 * 1024


@dataclass
class SheetTable:
    """The sheet that holds the table, as read, from the header row down."""

    name: str
    header_row: int  # 0-based worksheet row of the header
    header: dict[int, object]  # 0-based worksheet column -> header cell value, non-empty cells only
    frame: pl.DataFrame  # rows below the header; one column per header cell, named str(column)
    first_row: int  # 0-based worksheet row of frame row 0
    typed: bool  # True: numeric/date columns may arrive typed; False: every column is text
    scanner: Callable[[], dict[tuple[int, int], ProblemCell]] | None = None

    @property
    def can_scan(self) -> bool:
        """Whether `problem_cells` can look at the sheet's XML (.xlsx only)."""
        return self.scanner is not None

    def problem_cells(self) -> dict[tuple[int, int], ProblemCell]:
        """Cells the read shows as null although they hold something (see `xlsx_scan.scan_problem_cells`).
        One more pass over the sheet's XML: call it only when the table has null cells that matter."""
        return self.scanner() if self.scanner is not None else {}


# ---------------------------------------------------------------------------------------------- opening


def _display_name(source: str | Path | bytes, file_name: str | None) -> str:
    if file_name:
        return file_name
    if isinstance(source, bytes):
        return "the file"
    return Path(source).name


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (BIFF in an OLE2 compound file)
FORMATS = ".xlsx, .xlsm, .xlsb, .xls, .ods or .csv"


def _read_head(source: str | Path | bytes, name: str) -> tuple[int, bytes]:
    if isinstance(source, bytes):
        return len(source), source[:4096]
    path = Path(source)
    try:
        with path.open("rb") as handle:
            return path.stat().st_size, handle.read(4096)
    except OSError as exc:
        raise WorkbookUnreadable(f"{name} cannot be opened: {exc.strerror or exc}") from exc


def open_workbook(
    source: str | Path | bytes, *, limits: ReadLimits = ReadLimits(), file_name: str | None = None
) -> Workbook:
    """Check a file and open it; raises WorkbookUnreadable with one clear line when it cannot be read."""
    name = _display_name(source, file_name)
    size, head = _read_head(source, name)
    if size == 0:
        raise WorkbookUnreadable(f"{name} is empty (0 bytes)")
    if size > limits.max_file_bytes:
        raise WorkbookUnreadable(
            f"{name} is {_megabytes(size)}, over the {_megabytes(limits.max_file_bytes)} limit for an import file"
        )
    kind: Kind
    if head.startswith(_ZIP_MAGIC):
        kind = _check_zip(source, name, limits)
    elif head.startswith(_OLE_MAGIC):
        kind = "xls"
    elif csv_source.looks_like_text(head):
        return CsvWorkbook(source, name=name)
    else:
        raise WorkbookUnreadable(f"{name} is not a spreadsheet ({FORMATS})")
    try:
        reader = fastexcel.read_excel(source if isinstance(source, bytes) else str(source))
        sheet_names = list(reader.sheet_names)
    except Exception as exc:  # fastexcel raises its own errors and, on damaged files, plain ones
        raise WorkbookUnreadable(f"{name} could not be read as a workbook: {first_line(exc)}") from exc
    return ExcelWorkbook(reader, sheet_names, name=name, kind=kind, source=source)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _check_zip(source: str | Path | bytes, name: str, limits: ReadLimits) -> Kind:
    """Refuse damaged zips and zip bombs before any parsing: first by the sizes the entries declare (no
    inflating needed), then by the bytes they really inflate to (`count_inflated`: the declared sizes may lie)."""
    try:
        with open_zip(source) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise WorkbookUnreadable(
            f"{name} is damaged or truncated: its zip container cannot be read ({first_line(exc)})"
        ) from exc
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limits.max_uncompressed_bytes:
        raise WorkbookUnreadable(
            f"{name} unpacks to {_megabytes(unpacked)}, over the {_megabytes(limits.max_uncompressed_bytes)} "
            "limit; refusing it as a possible zip bomb"
        )
    try:
        count_inflated(source, limits.max_uncompressed_bytes)
    except InflateLimitExceeded as exc:
        raise WorkbookUnreadable(
            f"{name} unpacks to more than {_megabytes(limits.max_uncompressed_bytes)} (the limit) although it "
            f"declares {_megabytes(unpacked)}; refusing it as a zip bomb (stopped after {_megabytes(exc.counted)})"
        ) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError, zlib.error) as exc:
        raise WorkbookUnreadable(
            f"{name} is damaged or truncated: its zip container cannot be read ({first_line(exc)})"
        ) from exc
    if b"opendocument.spreadsheet" in mimetype:
        return "ods"
    if any(entry.endswith("workbook.bin") for entry in names):
        return "xlsb"
    if any(entry.endswith("workbook.xml") for entry in names):
        return "xlsx"
    raise WorkbookUnreadable(f"{name} is a zip file but not a spreadsheet ({FORMATS})")


# ---------------------------------------------------------------------------------------------- reading


class Workbook:
    """An opened import file: its sheets, read one at a time (fastexcel reads a whole sheet whatever is
    asked of it, so a sheet is read once and its first rows looked at from that read)."""

    name: str
    kind: Kind
    sheet_names: list[str]

    def load(self, index: int) -> RawSheet:
        """A whole sheet, read once."""
        raise NotImplementedError

    def has_model_data(self) -> bool:
        """Whether the file keeps data outside its sheets (an Excel data model, as Power Pivot writes)."""
        return False


def _filled(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


class ExcelWorkbook(Workbook):
    def __init__(
        self,
        reader: fastexcel.ExcelReader,
        sheet_names: list[str],
        *,
        name: str,
        kind: Kind,
        source: str | Path | bytes,
    ) -> None:
        self.name, self.kind, self.sheet_names = name, kind, sheet_names
        self._reader = reader
        self._source = source
        self._parts = xlsx_parts(source) if kind == "xlsx" else None

    def load(self, index: int) -> RawSheet:
        sheet = self.sheet_names[index]
        part = self._parts.sheets.get(sheet) if self._parts else None
        raw = self._load(index, sheet, typed=part is not None)
        if raw.last_row >= MAX_SHEET_ROWS:  # no spreadsheet program writes this: a crafted file
            raise WorkbookUnreadable(
                f"{self.name}: sheet '{sheet}' has rows beyond row {MAX_SHEET_ROWS:,} (down to row "
                f"{raw.last_row + 1:,}), more than Excel allows; refusing it"
            )
        if part is not None and self._parts is not None:
            raw.scanner = partial(self._scan, sheet, part, self._parts)
            raw.peek_row0 = partial(peek_first_row, self._source, part, date1904=self._parts.date1904)
        return raw

    def has_model_data(self) -> bool:
        if self.kind != "xlsx":
            return False
        try:
            with open_zip(self._source) as archive:
                return any(entry.startswith("xl/model/") for entry in archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return False

    def _scan(self, sheet: str, part: str, parts: XlsxParts) -> dict[tuple[int, int], ProblemCell]:
        try:
            return scan_problem_cells(self._source, part, parts)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
            raise WorkbookUnreadable(
                f"{self.name} is damaged: sheet '{sheet}' cannot be read ({first_line(exc)})"
            ) from exc

    def _load(self, index: int, sheet: str, *, typed: bool) -> RawSheet:
        if typed:
            try:
                loaded = self._reader.load_sheet(index, header_row=0, skip_rows=0, schema_sample_rows=None)
                raw = RawSheet.typed(sheet, loaded)
                del loaded
                release_freed_heap()
                return raw
            except fastexcel.FastExcelError:
                pass  # a mix of cell types fastexcel will not infer (e.g. #NAME? or durations): read as text
            except Exception as exc:
                raise WorkbookUnreadable(
                    f"{self.name} is damaged: sheet '{sheet}' cannot be read ({first_line(exc)})"
                ) from exc
        try:
            loaded = self._reader.load_sheet(index, header_row=None, skip_rows=0, dtypes="string")
            raw = RawSheet.text(sheet, loaded)
            del loaded
            release_freed_heap()
            return raw
        except Exception as exc:
            raise WorkbookUnreadable(
                f"{self.name} is damaged: sheet '{sheet}' cannot be read ({first_line(exc)})"
            ) from exc


class CsvWorkbook(Workbook):
    """A CSV export, read as one sheet named after the file."""

    def __init__(self, source: str | Path | bytes, *, name: str) -> None:
        self.name, self.kind = name, "csv"
        self.sheet_names = [Path(name).stem or "CSV"]
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        try:
            grid = csv_source.read_csv_grid(data, name=name, max_rows=MAX_SHEET_ROWS)
        except ValueError as exc:
            raise WorkbookUnreadable(f"{name}: {first_line(exc)}") from exc
        self.encoding, self.delimiter = grid.encoding, grid.delimiter
        self._frame = grid.frame
        if not any(self._frame[name].drop_nulls().str.strip_chars().ne("").any() for name in self._frame.columns):
            raise WorkbookUnreadable(f"{name} is empty: it holds no cells")

    def load(self, index: int) -> RawSheet:
        columns = list(range(self._frame.width))
        return RawSheet(self.sheet_names[0], self._frame, columns, first_row=0, row0_names=None, is_typed=False)


_GENERATED = re.compile(r"^__UNNAMED__\d+$")
_DEDUPED = re.compile(r"^(.*)_(\d+)$")
_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$")


@dataclass
class RawSheet:
    name: str
    frame: pl.DataFrame
    columns: list[int]  # 0-based worksheet column of each frame column
    first_row: int  # 0-based worksheet row of frame row 0
    row0_names: list[str | None] | None  # typed read: worksheet row 0 as fastexcel named the columns
    is_typed: bool
    scanner: Callable[[], dict[tuple[int, int], ProblemCell]] | None = None
    peek_row0: Callable[[], dict[int, object]] | None = None  # row 0's date cells (typed reads name them badly)

    @classmethod
    def typed(cls, sheet: str, loaded: fastexcel.ExcelSheet) -> RawSheet:
        infos = loaded.selected_columns
        frame = loaded.to_polars()
        names: list[str | None] = []
        for info in infos:
            if info.column_name_from == "generated" and _GENERATED.match(info.name):
                names.append(None)
                continue
            text = info.name
            deduped = _DEDUPED.match(text)
            if deduped and deduped[1] in names:
                text = deduped[1]  # fastexcel renamed a repeated header 'Apr' to 'Apr_1'
            names.append(text)
        columns = [info.absolute_index for info in infos]
        return cls(sheet, frame, columns, first_row=1, row0_names=names, is_typed=True)

    @classmethod
    def text(cls, sheet: str, loaded: fastexcel.ExcelSheet) -> RawSheet:
        columns = [info.absolute_index for info in loaded.selected_columns]
        return cls(sheet, loaded.to_polars(), columns, first_row=0, row0_names=None, is_typed=False)

    @property
    def last_row(self) -> int:
        """0-based worksheet row of the last row read."""
        return self.first_row + self.frame.height - 1

    def row_values(self, row: int) -> dict[int, object]:
        """The non-empty cells of one worksheet row (0-based) within the read."""
        if row < self.first_row:
            values: list[object] = list(self.row0_names or [])
            if any(v is None for v in values) and self.peek_row0 is not None:
                cells = self.peek_row0()  # cells fastexcel could not name: dates, numbers as dates, booleans
                values = [cells.get(col) if v is None else v for v, col in zip(values, self.columns, strict=True)]
        else:
            values = [header_value(v) for v in self.frame.row(row - self.first_row)]
        return {col: v for col, v in zip(self.columns, values, strict=True) if _filled(v)}

    def table(self, header_row: int) -> SheetTable:
        header = self.row_values(header_row)
        keep = [name for name, col in zip(self.frame.columns, self.columns, strict=True) if col in header]
        renamed = {name: str(col) for name, col in zip(self.frame.columns, self.columns, strict=True) if name in keep}
        frame = self.frame.slice(header_row + 1 - self.first_row).select(keep).rename(renamed)
        return SheetTable(
            name=self.name,
            header_row=header_row,
            header=header,
            frame=frame,
            first_row=header_row + 1,
            typed=self.is_typed,
            scanner=self.scanner,
        )

    def rows(self, start: int, count: int) -> Iterator[tuple[int, dict[int, object]]]:
        """Worksheet rows from `start` (0-based), for the diagnostics of a refusal."""
        for row in range(max(start, 0), min(start + count, self.last_row + 1)):
            yield row, self.row_values(row)


def header_value(value: object) -> object:
    if isinstance(value, str) and (midnight := _MIDNIGHT.match(value)):
        return date.fromisoformat(midnight[1])  # a date cell read as text
    return value
