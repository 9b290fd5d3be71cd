"""Big sheets' rows rendered as XML by Polars and spliced into a workbook xlsxwriter builds.

xlsxwriter spends ~4 us of Python per cell serialising XML, so a 100k-row sheet of 10-25 columns took
8-12 s. Instead a writer builds each batch's ``<row>`` elements as one string with Polars expressions (no
per-cell Python), spools them to a temp file, and ``splice_rows`` appends them to the sheet's
``<sheetData>`` in the xlsx that xlsxwriter wrote with everything else (styles, widths, panes, autofilter,
conditional formats, other sheets). Shared by the budget and variance exports.

Text cells are inline strings escaped the way Excel and xlsxwriter do, never formulas whatever they look
like; number cells carry the value's exact text. The one private xlsxwriter call (``Format._get_xf_index``,
the style id xlsxwriter itself uses when it streams) is wrapped in ``style_id`` and pinned by a test.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import polars as pl
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name

MAX_ROWS = 1_048_576
RENDER_SLICE = 2_000  # rows rendered to XML at a time, whatever the caller's batch size
_ZIP_LEVEL = 6
_COPY_CHUNK = 1 << 20

# Characters XML cannot carry as-is (C0 controls, U+FFFE/U+FFFF) or would normalise (CR); Excel
# stores them as _xHHHH_ escapes, as xlsxwriter does.
_ESCAPED_CODES = (*range(0x09), *range(0x0B, 0x20), 0xFFFE, 0xFFFF)
_CTRL_CHARS = r"[\x00-\x08\x0B-\x1F\x{FFFE}\x{FFFF}]"
_ESCAPE_LIKE = r"(_x[0-9A-Fa-f]{4}_)"  # literal text that Excel would read as an escape
_MAX_CELL_CHARS = 32_767

_TEXT_OPEN = ' t="inlineStr"><is><t xml:space="preserve">'
_TEXT_CLOSE = "</t></is></c>"
_VALUE_CLOSE = "</v></c>"

# A cell's style: an xlsxwriter style id for the whole column, a per-row expression of ids, or no style.
Style = int | pl.Expr | None


def style_id(fmt: Format) -> int:
    """The id a cell of ``fmt`` carries (``s="..."``): what xlsxwriter itself calls in constant_memory mode.

    The format must also be used by xlsxwriter somewhere (or be created before close()) to be written."""
    return fmt._get_xf_index()


def has_controls(frame: pl.DataFrame, texts: list[pl.Expr]) -> bool:
    """Whether any of ``texts`` holds characters that need _xHHHH_ escapes (rare: only then pay for them)."""
    if not texts:
        return False
    return bool(frame.select(pl.any_horizontal([t.str.contains(_CTRL_CHARS) for t in texts]).any()).item())


def xml_text(expr: pl.Expr, escape_controls: bool) -> pl.Expr:
    """Cell text as XML character data, escaped the way Excel (and xlsxwriter) do."""
    text = (
        expr.str.slice(0, _MAX_CELL_CHARS)
        .str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
        .str.replace_all(_ESCAPE_LIKE, "_x005F${1}")
    )
    if escape_controls:
        for code in _ESCAPED_CODES:
            text = text.str.replace_all(chr(code), f"_x{code:04X}_", literal=True)
    return text


def excel_row(first_row: int) -> pl.Expr:
    """Excel row numbers (as text) of a frame's rows, the first being ``first_row``."""
    return (pl.int_range(pl.len(), dtype=pl.Int64) + first_row).cast(pl.String)


def _style_attr(style: Style) -> pl.Expr:
    if style is None:
        return pl.lit("")
    if isinstance(style, int):
        return pl.lit(f' s="{style}"')
    return pl.concat_str([pl.lit(' s="'), style.cast(pl.String), pl.lit('"')]).fill_null("")


def _cell(col: int, row: pl.Expr, style: Style, open_tail: str, body: pl.Expr, close: str) -> pl.Expr:
    """``<c r="{col}{row}"{style}{open_tail}{body}{close}``, or "" when ``body`` is null (no cell)."""
    ref = xl_col_to_name(col)
    parts = [pl.lit(f'<c r="{ref}'), row, pl.lit('"'), _style_attr(style), pl.lit(open_tail), body, pl.lit(close)]
    return pl.concat_str(parts).fill_null("")


def text_cell(col: int, row: pl.Expr, text: pl.Expr, style: Style = None) -> pl.Expr:
    """An inline-string cell of XML-escaped ``text`` (see xml_text); absent where ``text`` is null."""
    return _cell(col, row, style, _TEXT_OPEN, text, _TEXT_CLOSE)


def value_cell(col: int, row: pl.Expr, style: Style, value: pl.Expr) -> pl.Expr:
    """A number cell holding ``value``'s text (Decimal text is exact); absent where ``value`` is null."""
    return _cell(col, row, style, ">", pl.concat_str([pl.lit("<v>"), value.cast(pl.String)]), _VALUE_CLOSE)


def blank_cell(col: int, row: pl.Expr, style: pl.Expr) -> pl.Expr:
    """An empty cell that only carries a style (e.g. a highlight); absent where ``style`` is null."""
    ref = xl_col_to_name(col)
    return pl.concat_str(
        [pl.lit(f'<c r="{ref}'), row, pl.lit('" s="'), style.cast(pl.String), pl.lit('"/>')]
    ).fill_null("")


def render(frame: pl.DataFrame, row: pl.Expr, cells: list[pl.Expr]) -> bytes:
    """The ``<row>`` XML of ``frame``'s rows (``row``: excel_row) with ``cells`` in column order."""
    xml = pl.concat_str([pl.lit('<row r="'), row, pl.lit('">'), *cells, pl.lit("</row>")])
    return frame.select(xml.str.join("")).item().encode()


@dataclass(frozen=True)
class SpooledSheet:
    """Rows spooled for one sheet: the file holding them and the sheet's last cell (e.g. ``J1001``)."""

    rows: BinaryIO
    last_cell: str


def splice_rows(skeleton: bytes, sheets: Mapping[int, SpooledSheet], target: str | Path | BinaryIO) -> None:
    """Copy the ``skeleton`` xlsx to ``target`` with each spooled sheet's rows appended to its sheetData.

    ``sheets`` maps a sheet's position (0-based: xlsxwriter names sheet files ``sheet{position + 1}.xml``)
    to its rows; the sheet's dimension becomes ``A1:{last_cell}``."""
    by_path = {f"xl/worksheets/sheet{position + 1}.xml": sheet for position, sheet in sheets.items()}
    dest = str(target) if isinstance(target, Path) else target
    with zipfile.ZipFile(io.BytesIO(skeleton)) as src:
        missing = set(by_path) - set(src.namelist())
        if missing:
            raise RuntimeError(f"unexpected xlsx from xlsxwriter: no {', '.join(sorted(missing))}")
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL) as out:
            _copy_entries(src, out, by_path)


def _copy_entries(src: zipfile.ZipFile, out: zipfile.ZipFile, by_path: Mapping[str, SpooledSheet]) -> None:
    for info in src.infolist():
        sheet = by_path.get(info.filename)
        if sheet is None:
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            out.writestr(copy, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
        else:
            _write_sheet(out, info, src.read(info).decode(), sheet)


def _write_sheet(out: zipfile.ZipFile, info: zipfile.ZipInfo, xml: str, sheet: SpooledSheet) -> None:
    head, sep, tail = xml.partition("</sheetData>")
    if not sep:
        raise RuntimeError("unexpected worksheet XML from xlsxwriter: no </sheetData>")
    head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{sheet.last_cell}"/>', head, count=1)
    head_b, tail_b = head.encode(), (sep + tail).encode()
    rows_size = sheet.rows.seek(0, io.SEEK_END)
    sheet.rows.seek(0)
    entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.file_size = len(head_b) + rows_size + len(tail_b)  # lets zipfile pick ZIP64 if needed
    with out.open(entry, "w") as sink:
        sink.write(head_b)
        shutil.copyfileobj(sheet.rows, sink, _COPY_CHUNK)
        sink.write(tail_b)
