"""Opening a workbook safely, reading its sheets once each, and finding the header row.

A workbook is checked before any parser sees it: its size, that it is a workbook at all, and for
zip-based files (.xlsx, .ods) the uncompressed size its entries declare. Then each sheet is read
with fastexcel in one pass:

* .xlsx sheets are read with worksheet row 1 as fastexcel's header and the column types inferred
  from every row, so numeric and date columns arrive typed (as fast as `polars.read_excel`). The
  few cells such a typed read shows as null although they hold something (Excel error cells such
  as #REF!, TRUE/FALSE and texts like 'NA' in a numeric column) are found, when the table has
  empty cells that could be such cells, by one streaming scan of the sheet's XML
  (`SheetTable.problem_cells`).
* Other formats (.xls, .ods), and .xlsx sheets whose mix of cell types fastexcel refuses to infer,
  are read with every cell as text. Excel error cells in .xls/.ods files come through as empty.

Row and column numbers here are 0-based positions on the worksheet (row 0 is Excel's row 1).
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Literal
from xml.etree import ElementTree

import fastexcel
import polars as pl

from opex_app.domain.ingest.headers import is_header_row

MAX_HEADER_ROWS = 20

# fastexcel logs a warning for every column whose cells are all empty; we read such columns on purpose.
# A library does not print: the application's logging configuration decides (Python logging HOWTO).
logging.getLogger("fastexcel").addHandler(logging.NullHandler())


class WorkbookUnreadable(Exception):
    """The file is not a workbook we can read (damaged, truncated, too big, not Excel). One line of text."""


class WorkbookRefused(Exception):
    """The workbook was read but cannot be imported as a whole. One line of text."""


@dataclass(frozen=True)
class ReadLimits:
    max_file_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 500 * 1024 * 1024


def column_letter(index: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA'."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    """The Excel name of a 0-based (row, column) position: (13, 10) -> 'K14'."""
    return f"{column_letter(column)}{row + 1}"


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


@dataclass(frozen=True)
class ProblemCell:
    """A cell a typed read shows as null although it holds something: an Excel error, TRUE/FALSE
    or one of the texts fastexcel treats as null ('NA', 'N/A', 'null', ...)."""

    kind: Literal["error", "bool", "text"]
    text: str


@dataclass
class SheetTable:
    """The sheet that holds the budget table, as read, from the header row down."""

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
        """Cells the read shows as null although they hold something (see `scan_problem_cells`).
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


def _not_a_workbook(name: str, head: bytes) -> WorkbookUnreadable:
    try:
        head.decode("utf-8")
        looks = " (it looks like a text or CSV file)" if head.strip() else ""
    except UnicodeDecodeError:
        looks = ""
    return WorkbookUnreadable(f"{name} is not an Excel workbook (.xlsx, .xls or .ods){looks}")


def open_workbook(
    source: str | Path | bytes, *, limits: ReadLimits = ReadLimits(), file_name: str | None = None
) -> Workbook:
    """Check a file and open it; raises WorkbookUnreadable with one clear line when it cannot be read."""
    name = _display_name(source, file_name)
    if isinstance(source, bytes):
        size, head = len(source), source[:512]
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
            with path.open("rb") as handle:
                head = handle.read(512)
        except OSError as exc:
            raise WorkbookUnreadable(f"{name} cannot be opened: {exc.strerror or exc}") from exc
    if size == 0:
        raise WorkbookUnreadable(f"{name} is empty (0 bytes)")
    if size > limits.max_file_bytes:
        raise WorkbookUnreadable(
            f"{name} is {_megabytes(size)}, over the {_megabytes(limits.max_file_bytes)} limit for a workbook"
        )
    kind: Literal["xlsx", "ods", "xls"]
    if head.startswith(_ZIP_MAGIC):
        kind = _check_zip(source, name, limits)
    elif head.startswith(_OLE_MAGIC):
        kind = "xls"
    else:
        raise _not_a_workbook(name, head)
    try:
        reader = fastexcel.read_excel(source if isinstance(source, bytes) else str(source))
        sheet_names = list(reader.sheet_names)
    except Exception as exc:  # fastexcel raises its own errors and, on damaged files, plain ones
        raise WorkbookUnreadable(f"{name} could not be read as a workbook: {_first_line(exc)}") from exc
    return Workbook(reader, sheet_names, name=name, kind=kind, source=source)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _open_zip(source: str | Path | bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)


def _check_zip(source: str | Path | bytes, name: str, limits: ReadLimits) -> Literal["xlsx", "ods"]:
    """Refuse damaged zips and zip bombs (by the sizes the entries declare) before any parsing."""
    try:
        with _open_zip(source) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise WorkbookUnreadable(
            f"{name} is damaged or truncated: its zip container cannot be read ({_first_line(exc)})"
        ) from exc
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limits.max_uncompressed_bytes:
        raise WorkbookUnreadable(
            f"{name} unpacks to {_megabytes(unpacked)}, over the {_megabytes(limits.max_uncompressed_bytes)} "
            "limit; refusing it as a possible zip bomb"
        )
    if b"opendocument.spreadsheet" in mimetype:
        return "ods"
    if any(entry.endswith("workbook.xml") or entry.endswith("workbook.bin") for entry in names):
        return "xlsx"
    raise WorkbookUnreadable(f"{name} is a zip file but not an Excel workbook (.xlsx, .xls or .ods)")


# ---------------------------------------------------------------------------------------------- reading


class Workbook:
    """An opened workbook: its sheets, read one at a time."""

    def __init__(
        self,
        reader: fastexcel.ExcelReader,
        sheet_names: list[str],
        *,
        name: str,
        kind: Literal["xlsx", "ods", "xls"],
        source: str | Path | bytes,
    ) -> None:
        self.name = name
        self.kind = kind
        self.sheet_names = sheet_names
        self._reader = reader
        self._source = source
        self._parts = _xlsx_parts(source) if kind == "xlsx" else None

    def find_table(self, max_header_rows: int = MAX_HEADER_ROWS) -> SheetTable | None:
        """The first sheet whose first `max_header_rows` rows hold a header row, read from it down.

        A sheet that cannot be read (a chart sheet, a damaged part) is passed over; if no sheet has
        the table, the first such failure is raised rather than "no table found"."""
        failure: WorkbookUnreadable | None = None
        for index, sheet in enumerate(self.sheet_names):
            try:
                table = self._read_table(index, sheet, max_header_rows)
            except WorkbookUnreadable as exc:
                failure = failure or exc
                continue
            if table is not None:
                return table
        if failure is not None:
            raise failure
        return None

    def _read_table(self, index: int, sheet: str, max_header_rows: int) -> SheetTable | None:
        part = self._parts.sheets.get(sheet) if self._parts else None
        raw = self._load(index, sheet, typed=part is not None)
        header = _find_header_row(raw.candidate_rows(max_header_rows, self._header_peek(part)))
        if header is None:
            return None
        table = raw.table(*header)
        if part is not None and self._parts is not None:
            table.scanner = partial(self._scan, sheet, part, self._parts)
        return table

    def _scan(self, sheet: str, part: str, parts: XlsxParts) -> dict[tuple[int, int], ProblemCell]:
        try:
            return scan_problem_cells(self._source, part, parts)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
            raise WorkbookUnreadable(
                f"{self.name} is damaged: sheet '{sheet}' cannot be read ({_first_line(exc)})"
            ) from exc

    def _header_peek(self, part: str | None) -> Callable[[], dict[int, object]]:
        def peek() -> dict[int, object]:
            if part is None or self._parts is None:
                return {}
            return peek_first_row(self._source, part, date1904=self._parts.date1904)

        return peek

    def _load(self, index: int, sheet: str, *, typed: bool) -> _RawSheet:
        if typed:
            try:
                loaded = self._reader.load_sheet(index, header_row=0, skip_rows=0, schema_sample_rows=None)
                return _RawSheet.typed(sheet, loaded)
            except fastexcel.FastExcelError:
                pass  # a mix of cell types fastexcel will not infer (e.g. #NAME? or durations): read as text
            except Exception as exc:
                raise WorkbookUnreadable(
                    f"{self.name} is damaged: sheet '{sheet}' cannot be read ({_first_line(exc)})"
                ) from exc
        try:
            loaded = self._reader.load_sheet(index, header_row=None, skip_rows=0, dtypes="string")
            return _RawSheet.text(sheet, loaded)
        except Exception as exc:
            raise WorkbookUnreadable(
                f"{self.name} is damaged: sheet '{sheet}' cannot be read ({_first_line(exc)})"
            ) from exc


_GENERATED = re.compile(r"^__UNNAMED__\d+$")
_DEDUPED = re.compile(r"^(.*)_(\d+)$")
_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$")


@dataclass
class _RawSheet:
    name: str
    frame: pl.DataFrame
    columns: list[int]  # 0-based worksheet column of each frame column
    first_row: int  # 0-based worksheet row of frame row 0
    row0_names: list[str | None] | None  # typed read: worksheet row 0 as fastexcel named the columns
    is_typed: bool

    @classmethod
    def typed(cls, sheet: str, loaded: fastexcel.ExcelSheet) -> _RawSheet:
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
    def text(cls, sheet: str, loaded: fastexcel.ExcelSheet) -> _RawSheet:
        columns = [info.absolute_index for info in loaded.selected_columns]
        return cls(sheet, loaded.to_polars(), columns, first_row=0, row0_names=None, is_typed=False)

    def candidate_rows(
        self, max_rows: int, peek: Callable[[], dict[int, object]]
    ) -> Iterator[tuple[int, list[object]]]:
        """(0-based worksheet row, cell values in frame column order) of the first `max_rows` rows."""
        if self.row0_names is not None:
            values: list[object] = list(self.row0_names)
            if any(v is None for v in values):
                cells = peek()  # cells fastexcel could not name: dates, numbers as dates, booleans
                values = [cells.get(col) if v is None else v for v, col in zip(values, self.columns, strict=True)]
            yield 0, values
        head = self.frame.head(max_rows - self.first_row)
        for offset, row in enumerate(head.iter_rows()):
            yield self.first_row + offset, [_header_value(v) for v in row]

    def table(self, header_row: int, header_values: list[object]) -> SheetTable:
        header = {
            col: value
            for col, value in zip(self.columns, header_values, strict=True)
            if value is not None and not (isinstance(value, str) and not value.strip())
        }
        keep = [name for name, col in zip(self.frame.columns, self.columns, strict=True) if col in header]
        frame = (
            self.frame.slice(header_row + 1 - self.first_row)
            .select(keep)
            .rename(
                {name: str(col) for name, col in zip(self.frame.columns, self.columns, strict=True) if name in keep}
            )
        )
        return SheetTable(
            name=self.name,
            header_row=header_row,
            header=header,
            frame=frame,
            first_row=header_row + 1,
            typed=self.is_typed,
        )


def _header_value(value: object) -> object:
    if isinstance(value, str) and (midnight := _MIDNIGHT.match(value)):
        return date.fromisoformat(midnight[1])  # a date cell read as text
    return value


def _find_header_row(rows: Iterator[tuple[int, list[object]]]) -> tuple[int, list[object]] | None:
    for row, values in rows:
        if is_header_row(values):
            return row, values
    return None


# ---------------------------------------------------------------------------------------------- xlsx parts


@dataclass(frozen=True)
class XlsxParts:
    sheets: dict[str, str]  # sheet name -> zip entry of its XML
    shared_strings: str | None
    date1904: bool


_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _resolve(base_dir: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base_dir, target))


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, zip entry) of a part's relationships."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
    if rels_name not in archive.namelist():
        return {}
    root = ElementTree.fromstring(archive.read(rels_name))
    return {
        rel.get("Id", ""): (rel.get("Type", ""), _resolve(folder, rel.get("Target", ""))) for rel in root.iter(_REL)
    }


def _xlsx_parts(source: str | Path | bytes) -> XlsxParts | None:
    """Where each sheet's XML lives; None when the package is not laid out as expected (then sheets
    are read as text, without the scan)."""
    try:
        with _open_zip(source) as archive:
            workbook = next(
                (target for kind, target in _relationships(archive, "").values() if kind.endswith("/officeDocument")),
                "xl/workbook.xml",
            )
            if not workbook.endswith(".xml"):
                return None  # .xlsb
            rels = _relationships(archive, workbook)
            root = ElementTree.fromstring(archive.read(workbook))
            sheets: dict[str, str] = {}
            date1904 = False
            for element in root.iter():
                tag = element.tag.rsplit("}", 1)[-1]
                if tag == "sheet" and element.get(_R_ID) in rels:
                    sheets[element.get("name", "")] = rels[element.get(_R_ID, "")][1]
                elif tag == "workbookPr":
                    date1904 = element.get("date1904", "").lower() in {"1", "true"}
            shared = next((target for kind, target in rels.values() if kind.endswith("/sharedStrings")), None)
            names = set(archive.namelist())
            return XlsxParts(
                sheets={name: part for name, part in sheets.items() if part in names},
                shared_strings=shared if shared in names else None,
                date1904=date1904,
            )
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, EOFError, ValueError, zlib.error):
        return None


# ---------------------------------------------------------------------------------------------- xlsx scan

# The texts fastexcel reads as null (and uses to infer a numeric column), apart from ''.
NULL_LIKE_TEXTS = (
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)
_CHUNK = 8 * 1024 * 1024


def _xml_escape(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()


def _xml_unescape(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _prefix(head: bytes, root: bytes) -> bytes:
    """The namespace prefix a part uses for its elements ('' or e.g. 'x:')."""
    match = re.search(rb"<([A-Za-z_][\w.-]*:)?" + root + rb"[\s>]", head)
    return match[1] or b"" if match else b""


def _null_like_shared_strings(archive: zipfile.ZipFile, part: str | None) -> dict[int, str]:
    """Index -> text of the shared strings fastexcel reads as null."""
    if part is None:
        return {}
    data = archive.read(part)
    prefix = _prefix(data[:4096], b"sst")
    p = re.escape(prefix)
    texts = b"|".join(re.escape(_xml_escape(text)) for text in NULL_LIKE_TEXTS)
    pattern = re.compile(rb"<" + p + rb"si><" + p + rb"t(?: [^>]*)?>(" + texts + rb")</" + p + rb"t></" + p + rb"si>")
    item = b"<" + prefix + b"si"
    found: dict[int, str] = {}
    counted, index = 0, 0
    for match in pattern.finditer(data):  # each <si> is one string; its index is the count before it
        index += data.count(item, counted, match.start())
        counted = match.start()
        found[index] = _xml_unescape(match[1])
    return found


def _entry_blocks(source: str | Path | bytes, part: str) -> Iterator[bytes]:
    """The uncompressed bytes of one zip entry, in blocks of a few MB. Deflated entries are inflated
    directly (without zipfile's CRC pass: fastexcel has read and checked the entry already)."""
    with _open_zip(source) as archive:
        info = archive.getinfo(part)
        if info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) or info.flag_bits & 0x1:
            with archive.open(info) as stream:
                while block := stream.read(_CHUNK):
                    yield block
            return
    with io.BytesIO(source) if isinstance(source, bytes) else Path(source).open("rb") as handle:
        handle.seek(info.header_offset)
        local = handle.read(30)
        if len(local) < 30 or not local.startswith(_ZIP_MAGIC):
            raise zipfile.BadZipFile(f"bad local header for {part}")
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        handle.seek(info.header_offset + 30 + name_length + extra_length)
        inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED else None
        remaining = info.compress_size
        while remaining:
            piece = handle.read(min(1024 * 1024, remaining))
            if not piece:
                raise zipfile.BadZipFile(f"{part} is truncated")
            remaining -= len(piece)
            yield inflater.decompress(piece) if inflater is not None else piece
        if inflater is not None and (tail := inflater.flush()):
            yield tail


def scan_problem_cells(source: str | Path | bytes, part: str, parts: XlsxParts) -> dict[tuple[int, int], ProblemCell]:
    """Find, in one streaming pass over a sheet's XML, the cells a typed read shows as null although
    they hold something: Excel errors, booleans and null-like texts. Keyed by 0-based (row, column)."""
    problems: dict[tuple[int, int], ProblemCell] = {}
    with _open_zip(source) as archive:
        null_shared = _null_like_shared_strings(archive, parts.shared_strings)
    blocks = _entry_blocks(source, part)
    carry = next(blocks, b"")
    p = _prefix(carry[:4096], b"worksheet")
    cell_start = b"<" + p + b"c "
    flagged_type = re.compile(rb' t="(?:e|b|str)"')  # error, boolean, formula text
    inline_texts = b"|".join(re.escape(_xml_escape(text)) for text in NULL_LIKE_TEXTS)
    inline = re.compile(rb"<" + re.escape(p) + rb"is><" + re.escape(p) + rb"t>(?:" + inline_texts + rb")</")
    shared_needles = [b"<" + p + b"v>%d</" % index + p + b"v>" for index in null_shared]
    inline_strings = b"inlineStr" in carry  # a writer uses inline strings throughout, or not at all
    while carry:
        more = b""
        for more in blocks:
            if more:
                break
        cut = carry.rfind(cell_start) if more else len(carry)
        if cut <= 0:
            cut = len(carry)
        block, carry = carry[:cut], carry[cut:] + more
        hits = {block.rfind(cell_start, 0, m.start()) for m in flagged_type.finditer(block)}
        if inline_strings:
            hits.update(block.rfind(cell_start, 0, m.start()) for m in inline.finditer(block))
        for needle in shared_needles:
            at = block.find(needle)
            while at != -1:
                hits.add(block.rfind(cell_start, 0, at))
                at = block.find(needle, at + 1)
        hits.discard(-1)
        for at in hits:
            found = _problem_cell(block, at, p, null_shared)
            if found is not None:
                problems[found[0]] = found[1]
    return problems


_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')


def _problem_cell(
    block: bytes, at: int, p: bytes, null_shared: dict[int, str]
) -> tuple[tuple[int, int], ProblemCell] | None:
    tag_end = block.find(b">", at)
    attributes = block[at:tag_end]
    ref = _CELL_REF.search(attributes)
    if ref is None or attributes.endswith(b"/"):
        return None  # a cell without a reference cannot be placed (never written by Excel)
    close = block.find(b"</" + p + b"c>", tag_end)
    body = block[tag_end + 1 : close]
    kind_match = _CELL_TYPE.search(attributes)
    kind = kind_match[1] if kind_match else b"n"
    value = re.search(rb"<" + re.escape(p) + rb"v>(.*?)</" + re.escape(p) + rb"v>", body, re.S)
    raw = _xml_unescape(value[1]) if value else ""
    problem: ProblemCell | None = None
    if kind == b"e":
        problem = ProblemCell("error", raw)
    elif kind == b"b":
        problem = ProblemCell("bool", "true" if raw.strip() in {"1", "true"} else "false")  # as fastexcel
    elif kind == b"str" and raw in NULL_LIKE_TEXTS:
        problem = ProblemCell("text", raw)
    elif kind == b"s" and raw.strip().isdigit() and int(raw) in null_shared:
        problem = ProblemCell("text", null_shared[int(raw)])
    elif kind == b"inlineStr":
        text = re.search(rb"<" + re.escape(p) + rb"t[^>]*>(.*?)</" + re.escape(p) + rb"t>", body, re.S)
        if text and _xml_unescape(text[1]) in NULL_LIKE_TEXTS:
            problem = ProblemCell("text", _xml_unescape(text[1]))
    if problem is None:
        return None
    return (int(ref[2]) - 1, _column_index(ref[1].decode())), problem


_FIRST_ROW_CELL = re.compile(rb"<(?:\w+:)?c ([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)", re.S)
_SERIAL_RANGE = (36526, 73051)  # 2000-01-01 .. 2099-12-31 in the 1900 date system


def peek_first_row(source: str | Path | bytes, part: str, *, date1904: bool = False) -> dict[int, object]:
    """Worksheet row 1's date cells, read from the start of the sheet's XML. Used only for the header
    cells fastexcel could not name, which are dates (numbers with a date format), booleans, errors
    or empty; so a number there in the range of the dates 2000-2099 is taken as a date, and the
    cell's number format is not looked up."""
    first_row = re.compile(rb"<(?:\w+:)?row ([^>]*)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
    data = b""
    row = None
    with _open_zip(source) as archive, archive.open(part) as stream:
        while row is None and len(data) < _CHUNK and (chunk := stream.read(64 * 1024)):
            data += chunk
            row = first_row.search(data)
    if row is None or (number := re.search(rb'\br="(\d+)"', row[1])) is None or number[1] != b"1":
        return {}
    epoch = date(1904, 1, 1) if date1904 else date(1899, 12, 30)
    cells: dict[int, object] = {}
    for cell in _FIRST_ROW_CELL.finditer(row[2] or b""):
        ref = _CELL_REF.search(cell[1])
        kind = _CELL_TYPE.search(cell[1])
        value = re.search(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", cell[3] or b"", re.S)
        if ref is None or value is None:
            continue
        column = _column_index(ref[1].decode())
        text = value[1].decode("utf-8", errors="replace").strip()
        if kind and kind[1] == b"d":
            try:
                cells[column] = datetime.fromisoformat(text)
            except ValueError:
                continue
        elif kind is None or kind[1] == b"n":
            try:
                serial = float(text)
            except ValueError:
                continue
            if _SERIAL_RANGE[0] <= serial < _SERIAL_RANGE[1]:
                cells[column] = datetime.combine(epoch + timedelta(days=int(serial)), datetime.min.time())
    return cells
