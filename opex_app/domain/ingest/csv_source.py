"""Reading a CSV export of an ERP into the raw grid the import engine reads workbook sheets as.

The grid is what Excel shows when it opens the file: one frame row per CSV record, in order,
title rows and blank records included (frame row i is record i + 1), every cell a String (null when
empty), columns named "0", "1", ... by position, as wide as the widest record. The engine then finds
the header row itself, as it does for a workbook sheet.

The parse is Polars' (`read_csv`, multi-threaded). Polars 2.1 keeps blank records as all-null rows and
fills the missing cells of short records with null, but takes the width from the first line and
refuses a longer record later. So the width is worked out first from the text (separators outside
quotes, record by record) and a synthetic header "0,1,..." of that width is put on top. A file
Polars refuses or reads to a different number of records (a quote inside an unquoted field, an
unterminated quote) is read again with the csv module, which treats such quotes as Excel does.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from itertools import repeat

import polars as pl

DELIMITERS = ("\t", ";", ",")  # in order of preference when two are equally consistent
SAMPLE_RECORDS = 50
MAX_ROWS = 1_048_576  # Excel's row limit

_UTF8_BOM = codecs.BOM_UTF8
# A quoted run. A doubled quote inside a quoted field splits it into two runs that are both removed,
# so what is left of a record holds exactly the separators and line ends outside quotes.
_QUOTED = re.compile(rb'"[^"]*"')
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class CsvGrid:
    """A CSV file as a raw grid, with how it was read (for the import's report)."""

    frame: pl.DataFrame  # String columns "0".."n-1"; row i is CSV record i + 1
    encoding: str  # "utf-8-sig", "utf-8" or "cp1252"
    delimiter: str  # ",", ";" or "\t"


def looks_like_text(head: bytes) -> bool:
    """Whether the first bytes of a file are text a CSV could be: no NUL byte, and either UTF-8 (with
    or without BOM; a character cut off at the end of `head` is allowed) or cp1252, without control
    characters other than tab, CR and LF. An empty `head` is not."""
    if not head or b"\x00" in head:
        return False
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        try:
            text = head.decode("cp1252")
        except UnicodeDecodeError:
            return False  # bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D)
    return _CONTROL.search(text) is None


def read_csv_grid(data: bytes, *, name: str, max_rows: int = MAX_ROWS) -> CsvGrid:
    """Read a CSV file (its bytes) into a raw grid; see the module docstring for its shape.

    Encoding: a UTF-8 BOM means utf-8-sig (the BOM is dropped); else valid UTF-8 is utf-8; else cp1252.
    Delimiter: see `_detect_delimiter`. Quoting: RFC 4180 double quotes. Empty cells are null; nothing
    is stripped. Raises ValueError with one line naming `name` when the file is empty, cannot be
    decoded or parsed, or has more than `max_rows` records.
    """
    payload, encoding = _utf8(data, name)
    if not payload:
        raise ValueError(f"{name} is empty")
    if b"\n" not in payload and b"\r" in payload:
        payload = payload.replace(b"\r", b"\n")  # classic Mac line ends
    records = _records(payload)
    if len(records) > max_rows:
        raise ValueError(f"{name} has {len(records):,} records, over the limit of {max_rows:,} rows")
    delimiter = _detect_delimiter(records)
    separator = delimiter.encode()
    width = max(map(bytes.count, records, repeat(separator))) + 1
    frame = _read_with_polars(payload, delimiter, width, len(records))
    if frame is None:
        frame = _read_with_csv_module(payload.decode("utf-8"), delimiter, name=name, max_rows=max_rows)
    return CsvGrid(frame=frame, encoding=encoding, delimiter=delimiter)


def _detect_delimiter(records: list[bytes]) -> str:
    """The delimiter, from the records with their quoted runs taken out (see `_records`).

    Each of tab, ';' and ',' is counted in each of the first 50 non-blank records; a candidate's
    score is the number of records holding its most common non-zero count ("most consistent"), so
    title lines without separators count for none. The highest score wins; equal scores go to tab,
    then ';', then ',': a ';' export with decimal commas ('A1;Rent;1234,50') may have commas in
    every line too, while a ',' file seldom has a ';' or a tab in every line. When none of them
    occurs (a one-column file) the delimiter is ','.
    """
    sample = [record for record in records[: SAMPLE_RECORDS * 20] if record.strip()][:SAMPLE_RECORDS]
    best, best_score = ",", 0
    for delimiter in DELIMITERS:
        separator = delimiter.encode()
        counts = Counter(count for record in sample if (count := record.count(separator)))
        score = counts.most_common(1)[0][1] if counts else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _utf8(data: bytes, name: str) -> tuple[bytes, str]:
    """The file as UTF-8 bytes (without BOM), and the encoding it was read in."""
    if data.startswith(_UTF8_BOM):
        data, encoding = data[len(_UTF8_BOM) :], "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        data.decode("utf-8")
        return data, encoding
    except UnicodeDecodeError as exc:
        if encoding == "utf-8-sig":
            raise ValueError(f"{name} starts with a UTF-8 mark but is not UTF-8 (byte {exc.start + 3})") from exc
    try:
        return data.decode("cp1252").encode("utf-8"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name} cannot be decoded as UTF-8 or Windows-1252 text (byte {exc.start})") from exc


def _records(payload: bytes) -> list[bytes]:
    """One item per CSV record: the record with its quoted runs taken out, so a newline inside quotes
    does not split it and what is left holds exactly the separators outside quotes. A last line
    without a line end is a record; the empty rest after a final line end is not."""
    outside = _QUOTED.sub(b"", payload) if b'"' in payload else payload
    records = outside.split(b"\n")
    if records[-1] == b"":
        records.pop()
    return records


def _read_with_polars(payload: bytes, delimiter: str, width: int, height: int) -> pl.DataFrame | None:
    """The grid as Polars reads it, or None when Polars refuses the file or reads a different number
    of records than `_records` counted (quotes that Polars and Excel read differently)."""
    header = delimiter.join(str(column) for column in range(width)) + "\n"
    try:
        frame = pl.read_csv(
            header.encode() + payload,
            has_header=True,
            separator=delimiter,
            quote_char='"',
            infer_schema=False,
            null_values=[""],  # a quoted empty field too
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return None
    return frame if frame.shape == (height, width) else None


def _read_with_csv_module(text: str, delimiter: str, *, name: str, max_rows: int) -> pl.DataFrame:
    """The slow, forgiving reader: a quote inside an unquoted field is a character, an unterminated
    quote runs to the end of the file (as in Excel). A blank record is an empty row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ValueError(f"{name} cannot be read as CSV (record {reader.line_num}: {exc})") from exc
    if len(rows) > max_rows:
        raise ValueError(f"{name} has {len(rows):,} records, over the limit of {max_rows:,} rows")
    width = max((len(row) for row in rows), default=1) or 1
    cells = [[value or None for value in row] + [None] * (width - len(row)) for row in rows]
    return pl.DataFrame(cells, schema={str(column): pl.String for column in range(width)}, orient="row")
