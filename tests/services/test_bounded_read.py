"""Import files are read in a subprocess held to OPEX_IMPORT_MAX_MEMORY_BYTES and OPEX_IMPORT_MAX_SECONDS,
so one upload cannot starve the app worker that received it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session

from opex_app.auth.permissions import cli_principal
from opex_app.domain.fiscal import FiscalYear
from opex_app.services.imports import ImportOptions, WorkbookRefused, WorkbookUnreadable, bounded, run_import
from opex_app.services.imports.bounded import read_file_bounded
from opex_app.services.imports.reading import read_file
from opex_app.settings import get_settings
from tests.domain.workbooks import write_workbook

FY = FiscalYear(2027)
SHEET = "xl/worksheets/sheet1.xml"
MB = 1024 * 1024


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    rows = [["UID", "Description", *FY.month_labels()], ["IT-1", "Hosting", *[100] * 12], ["IT-1", "Again", *[1] * 12]]
    return write_workbook(tmp_path / "small.xlsx", rows)


@pytest.fixture()
def greedy(small: Path) -> bytes:
    """A 5 KB workbook, valid for Excel, with one cell at A1 and one at XFD200000: the reader builds the
    dense range between them, 16,384 x 200,000 cells (tens of GB)."""
    with zipfile.ZipFile(small) as original:
        xml = original.read(SHEET)
        at = xml.index(b"</sheetData>")
        far = b'<row r="200000"><c r="XFD200000" t="n"><v>1</v></c></row>'
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as rebuilt:
            for info in original.infolist():
                content = xml[:at] + far + xml[at:] if info.filename == SHEET else original.read(info)
                rebuilt.writestr(info.filename, content)
    return out.getvalue()


@pytest.fixture()
def limits(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    settings = get_settings()
    monkeypatch.setattr(settings, "import_max_memory_bytes", 512 * MB)
    monkeypatch.setattr(settings, "import_max_seconds", 120.0)
    return monkeypatch


def test_the_bounded_read_gives_what_the_read_in_process_gives(small: Path, limits: pytest.MonkeyPatch) -> None:
    bounded = read_file_bounded(small, "budget", file_name="small.xlsx", fiscal_year=FY)
    here = read_file(small, "budget", file_name="small.xlsx", fiscal_year=FY)
    assert bounded.rows.equals(here.rows)
    assert bounded.errors == here.errors and len(bounded.errors) == 2  # the UID twice
    assert (bounded.sheet, bounded.header_row, bounded.present) == (here.sheet, here.header_row, here.present)


def test_a_refusal_in_the_child_arrives_whole(tmp_path: Path, limits: pytest.MonkeyPatch) -> None:
    path = write_workbook(tmp_path / "none.xlsx", [["Name", "Colour"], ["a", "b"]])
    with pytest.raises(WorkbookRefused) as refused:
        read_file_bounded(path, "budget", file_name="none.xlsx", fiscal_year=FY)
    with pytest.raises(WorkbookRefused) as here:
        read_file(path, "budget", file_name="none.xlsx", fiscal_year=FY)
    assert str(refused.value) == str(here.value)
    assert refused.value.closest.headers == here.value.closest.headers == ["Name", "Colour"]


def test_a_file_that_needs_too_much_memory_is_refused(greedy: bytes, limits: pytest.MonkeyPatch) -> None:
    assert len(greedy) < 10_000
    with pytest.raises(WorkbookUnreadable) as refused:
        read_file_bounded(greedy, "budget", file_name="greedy.xlsx", fiscal_year=FY)
    assert str(refused.value).startswith(
        "greedy.xlsx needs more than 512 MB of memory to read (the limit for an import): refused."
    )


def test_a_read_past_the_time_limit_is_stopped(limits: pytest.MonkeyPatch) -> None:
    """A 400,000-line CSV (over a second to read anywhere) against a 0.1 s limit."""
    header = ",".join(["UID", "Description", *FY.month_labels()])
    data = (header + "\n" + "".join(f"IT-{i},Hosting" + ",100" * 12 + "\n" for i in range(400_000))).encode()
    limits.setattr(get_settings(), "import_max_seconds", 0.1)
    with pytest.raises(WorkbookUnreadable, match=r"big.csv took longer than 0.1 seconds to read"):
        read_file_bounded(data, "budget", file_name="big.csv", fiscal_year=FY)


def test_a_waiting_child_takes_the_next_read(small: Path, limits: pytest.MonkeyPatch) -> None:
    read_file_bounded(small, "budget", file_name="small.xlsx", fiscal_year=FY)
    waiting = bounded._warm
    assert waiting is not None and waiting.poll() is None  # started, imports done or under way, no job yet
    read_file_bounded(small, "budget", file_name="small.xlsx", fiscal_year=FY)
    assert waiting.returncode == 0  # it read the second file and ended
    assert bounded._warm is not waiting and bounded._warm is not None


def test_the_child_reads_with_this_processs_settings(small: Path, limits: pytest.MonkeyPatch) -> None:
    """Set here, not in the environment: the child still reads with it."""
    limits.setattr(get_settings(), "upload_max_uncompressed_bytes", 1000)
    with pytest.raises(WorkbookUnreadable, match=r"over the 0\.0 MB limit"):
        read_file_bounded(small, "budget", file_name="small.xlsx", fiscal_year=FY)


def test_the_import_pipeline_reads_through_the_bounded_child(
    session: Session, small: Path, greedy: bytes, limits: pytest.MonkeyPatch
) -> None:
    limits.setattr(get_settings(), "import_isolated", True)
    options = ImportOptions(fiscal_year=FY, dry_run=True)
    result = run_import(session, cli_principal(), "budget", small, file_name="small.xlsx", options=options)
    assert result.rows_total == 2 and len(result.errors) == 2
    with pytest.raises(WorkbookUnreadable, match="needs more than 512 MB of memory"):
        run_import(session, cli_principal(), "budget", greedy, file_name="greedy.xlsx", options=options)
