"""The parts of an .xlsx package the fast typed read does not give: where each sheet's XML lives, the
cells a typed read shows as null although they hold something (Excel errors, booleans, null-like texts),
found in one streaming pass, and the first row's date cells.

Row and column numbers are 0-based worksheet positions (row 0 is Excel's row 1).
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal
from xml.etree import ElementTree

_ZIP_MAGIC = b"PK\x03\x04"


def open_zip(source: str | Path | bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)


def column_index(letters: str) -> int:
    """'A' -> 0, 'AA' -> 26."""
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


def xlsx_parts(source: str | Path | bytes) -> XlsxParts | None:
    """Where each sheet's XML lives; None when the package is not laid out as expected (then sheets
    are read as text, without the scan)."""
    try:
        with open_zip(source) as archive:
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


def _raw_inflate(source: str | Path | bytes, info: zipfile.ZipInfo, *, max_block: int = _CHUNK) -> Iterator[bytes]:
    """The uncompressed bytes of a stored or deflated entry, in blocks of at most `max_block`, inflated from
    its compressed bytes as they really are: the uncompressed size the zip declares is neither trusted nor
    checked (the CRC pass of zipfile is skipped too: fastexcel reads and checks the entry itself). A block is
    never empty and never exceeds `max_block`, however much one compressed megabyte inflates to."""
    with io.BytesIO(source) if isinstance(source, bytes) else Path(source).open("rb") as handle:
        handle.seek(info.header_offset)
        local = handle.read(30)
        if len(local) < 30 or not local.startswith(_ZIP_MAGIC):
            raise zipfile.BadZipFile(f"bad local header for {info.filename}")
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        handle.seek(info.header_offset + 30 + name_length + extra_length)
        inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED else None
        remaining = info.compress_size
        while remaining:
            piece = handle.read(min(1024 * 1024, remaining))
            if not piece:
                raise zipfile.BadZipFile(f"{info.filename} is truncated")
            remaining -= len(piece)
            if inflater is None:
                yield piece
                continue
            while piece:
                if block := inflater.decompress(piece, max_block):
                    yield block
                piece = inflater.unconsumed_tail
        if inflater is not None and (tail := inflater.flush()):
            yield tail


def _plain(info: zipfile.ZipInfo) -> bool:
    """Stored or deflated and not encrypted: what `_raw_inflate` reads (every .xlsx writer's entries)."""
    return info.compress_type in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) and not info.flag_bits & 0x1


def _entry_blocks(source: str | Path | bytes, part: str) -> Iterator[bytes]:
    """The uncompressed bytes of one zip entry, in blocks of a few MB."""
    with open_zip(source) as archive:
        info = archive.getinfo(part)
        if not _plain(info):
            with archive.open(info) as stream:
                while block := stream.read(_CHUNK):
                    yield block
            return
    yield from _raw_inflate(source, info)


class InflateLimitExceeded(Exception):
    """The entries of a zip inflate to more bytes than allowed; `counted` is how many were inflated before stopping."""

    def __init__(self, counted: int) -> None:
        super().__init__(f"more than {counted} bytes")
        self.counted = counted


def count_inflated(source: str | Path | bytes, limit: int) -> int:
    """The bytes every entry of a zip really inflates to, counted by inflating them (the sizes the zip declares
    may lie: a 5 MB file declaring 4 KB may unpack to 600 MB). Stops as soon as the count passes `limit`
    (InflateLimitExceeded), having inflated at most one block more than `limit`. Entries neither stored nor
    deflated are read through zipfile, which holds them to their declared size and CRC."""
    counted = 0
    with open_zip(source) as archive:
        entries = archive.infolist()
        for info in entries:
            if _plain(info):
                continue
            with archive.open(info) as stream:
                while block := stream.read(_CHUNK):
                    counted += len(block)
                    if counted > limit:
                        raise InflateLimitExceeded(counted)
    for info in entries:
        if not _plain(info):
            continue
        for block in _raw_inflate(source, info, max_block=1024 * 1024):
            counted += len(block)
            if counted > limit:
                raise InflateLimitExceeded(counted)
    return counted


def scan_problem_cells(source: str | Path | bytes, part: str, parts: XlsxParts) -> dict[tuple[int, int], ProblemCell]:
    """Find, in one streaming pass over a sheet's XML, the cells a typed read shows as null although
    they hold something: Excel errors, booleans and null-like texts. Keyed by 0-based (row, column)."""
    problems: dict[tuple[int, int], ProblemCell] = {}
    with open_zip(source) as archive:
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
    return (int(ref[2]) - 1, column_index(ref[1].decode())), problem


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
    with open_zip(source) as archive, archive.open(part) as stream:
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
        column = column_index(ref[1].decode())
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
