"""Workbooks built to hurt: a zip that lies about its sizes, sheets beyond Excel's rows, one key on every row."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest import ReadLimits, ReadOptions, WorkbookUnreadable, read_import
from opex_app.domain.ingest.specs import get_spec
from opex_app.domain.ingest.workbook import MAX_SHEET_ROWS, open_workbook
from opex_app.domain.ingest.xlsx_scan import InflateLimitExceeded, count_inflated
from tests.domain.workbooks import MONTHS_FY27, write_workbook

MB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"


def _rebuilt(source: Path, replace: dict[str, bytes]) -> bytes:
    """The package of `source` with some entries' contents replaced, every entry deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as rebuilt:
        for info in original.infolist():
            rebuilt.writestr(info.filename, replace.get(info.filename, original.read(info)))
    return out.getvalue()


def _declare_size(data: bytes, entry: str, size: int) -> bytes:
    """Patch the uncompressed size `entry` declares, in its local header and in the central directory."""
    patched = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        offset = archive.getinfo(entry).header_offset
    struct.pack_into("<I", patched, offset + 22, size)  # local file header: uncompressed size
    name = entry.encode()
    at = patched.find(b"PK\x01\x02")
    while at != -1:
        name_length = struct.unpack_from("<H", patched, at + 28)[0]
        if patched[at + 46 : at + 46 + name_length] == name:
            struct.pack_into("<I", patched, at + 24, size)  # central directory: uncompressed size
            break
        at = patched.find(b"PK\x01\x02", at + 4)
    return bytes(patched)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real workbook whose sheet inflates to 64 MB (whitespace between elements, legal XML) but declares 4 KB."""
    path = write_workbook(tmp_path_factory.mktemp("bomb") / "small.xlsx", [["UID", "Apr-26"], ["IT-1", 100]])
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(SHEET)
    cut = xml.index(b"<sheetData>") + len(b"<sheetData>")
    inflated = xml[:cut] + b" " * (64 * MB) + xml[cut:]
    return _declare_size(_rebuilt(path, {SHEET: inflated}), SHEET, 4096)


def test_the_bomb_is_small_and_declares_a_tiny_size(bomb: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert archive.getinfo(SHEET).file_size == 4096
        assert sum(info.file_size for info in archive.infolist()) < MB
    assert len(bomb) < MB


def test_a_zip_that_lies_about_its_size_is_refused(bomb: bytes) -> None:
    with pytest.raises(WorkbookUnreadable) as refused:
        open_workbook(bomb, limits=ReadLimits(max_uncompressed_bytes=8 * MB), file_name="bomb.xlsx")
    message = str(refused.value)
    assert message.startswith("bomb.xlsx unpacks to more than 8.0 MB (the limit)")
    assert "zip bomb" in message


def test_counting_stops_at_the_limit_without_inflating_it_all(bomb: bytes) -> None:
    with pytest.raises(InflateLimitExceeded) as stopped:
        count_inflated(bomb, 8 * MB)
    # at most one 1 MB block beyond the limit was inflated, not the 64 MB the sheet holds
    assert 8 * MB < stopped.value.counted <= 9 * MB


def test_the_same_bomb_under_a_higher_limit_is_counted_in_full(bomb: bytes) -> None:
    assert 64 * MB < count_inflated(bomb, 100 * MB) < 65 * MB


def test_an_honest_workbook_counts_what_it_declares(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "ok.xlsx", [["UID", "Apr-26"], ["IT-1", 100]])
    with zipfile.ZipFile(path) as archive:
        declared = sum(info.file_size for info in archive.infolist())
    assert count_inflated(path, 10 * MB) == declared
    assert open_workbook(path, limits=ReadLimits(max_uncompressed_bytes=declared)).sheet_names == ["Budget"]


def test_a_sheet_beyond_excels_last_row_is_refused(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "ok.xlsx", [["UID", "Apr-26"], ["IT-1", 100]])
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(SHEET)
    beyond = f'<row r="{MAX_SHEET_ROWS + 1}"><c r="A{MAX_SHEET_ROWS + 1}" t="n"><v>1</v></c></row>'.encode()
    at = xml.index(b"</sheetData>")
    data = _rebuilt(path, {SHEET: xml[:at] + beyond + xml[at:]})
    workbook = open_workbook(data, file_name="tall.xlsx")
    with pytest.raises(
        WorkbookUnreadable, match=r"sheet 'Budget' has rows beyond row 1,048,576 \(down to row 1,048,577\)"
    ):
        workbook.load(0)


def test_a_sheet_ending_on_excels_last_row_is_read(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "ok.xlsx", [["UID", "Apr-26"], ["IT-1", 100]])
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(SHEET)
    last = f'<row r="{MAX_SHEET_ROWS}"><c r="A{MAX_SHEET_ROWS}" t="n"><v>1</v></c></row>'.encode()
    at = xml.index(b"</sheetData>")
    raw = open_workbook(_rebuilt(path, {SHEET: xml[:at] + last + xml[at:]})).load(0)
    assert raw.last_row == MAX_SHEET_ROWS - 1


def test_a_csv_beyond_excels_last_row_is_refused() -> None:
    data = b"UID,Apr-26\n" + b"IT-1,1\n" * MAX_SHEET_ROWS
    with pytest.raises(WorkbookUnreadable, match=r"tall.csv has 1,048,577 records, over the limit of 1,048,576 rows"):
        open_workbook(data, file_name="tall.csv", limits=ReadLimits(max_file_bytes=50 * MB))


def test_one_uid_on_every_row_gives_one_error_per_row_naming_the_first_others(tmp_path: Path) -> None:
    """50,000 repeats of one UID: one error per row, each naming at most five other rows, built in one pass
    (the benchmark figure is in tests/benchmarks, not asserted here)."""
    repeats = 50_000
    header = ",".join(["UID", "Description", *MONTHS_FY27])
    lines = [header] + [f"IT-1,line {i}" + ",100" * 12 for i in range(repeats)]
    data = ("\n".join(lines) + "\n").encode()
    parsed = read_import(data, get_spec("budget"), ReadOptions(fiscal_year=FiscalYear(2027), file_name="dup.csv"))
    assert len(parsed.errors) == repeats
    assert not parsed.rows["valid"].any()
    first, second, last = parsed.errors[0], parsed.errors[1], parsed.errors[-1]
    assert (first.cell, first.row, first.value) == ("A2", 2, "IT-1")
    assert first.message == "UID 'IT-1' appears more than once: also on rows 3, 4, 5, 6, 7, ..."
    assert second.message == "UID 'IT-1' appears more than once: also on rows 2, 4, 5, 6, 7, ..."
    assert (last.cell, last.row) == (f"A{repeats + 1}", repeats + 1)
    assert last.message == "UID 'IT-1' appears more than once: also on rows 2, 3, 4, 5, 6, ..."


def test_a_uid_twice_names_the_other_row(tmp_path: Path) -> None:
    rows = [["UID", *MONTHS_FY27], ["IT-1", *([1] * 12)], ["IT-2", *([1] * 12)], ["IT-1", *([1] * 12)]]
    parsed = read_import(write_workbook(tmp_path / "two.xlsx", rows), get_spec("budget"))
    assert [(e.row, e.message) for e in parsed.errors] == [
        (2, "UID 'IT-1' appears more than once: also on row 4"),
        (4, "UID 'IT-1' appears more than once: also on row 2"),
    ]
