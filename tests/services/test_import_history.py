"""Import history on real PostgreSQL: every batch listed with its facts, the original file kept privately
and downloadable again byte for byte, and the error report of a rejected import."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from opex_app.auth.permissions import PermissionDenied
from opex_app.domain.fiscal import FiscalYear
from opex_app.services.errors import NotFound
from opex_app.services.import_history import error_report_download, list_batches, original_download
from opex_app.services.imports import ImportOptions, run_import
from opex_app.settings import get_settings
from tests.domain.workbooks import write_workbook

FY = FiscalYear(2058)  # a year no other test uses
HEADER = ["UID", "Description", "Currency", *FY.month_labels()]


def _import(session: Session, principal, path: Path):
    options = ImportOptions(fiscal_year=FY)
    return run_import(session, principal, "budget", path, file_name=path.name, options=options)


def test_batches_are_listed_and_their_files_come_back(
    session: Session, admin, analyst, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path / "data")
    good = write_workbook(tmp_path / "good.xlsx", [HEADER, ["IH-1", "Hosting", "INR", *[10] * 12]])
    bad = write_workbook(tmp_path / "bad.xlsx", [HEADER, ["IH-2", "Hosting", "INR", "12x", *[10] * 11]])
    committed, rejected = _import(session, analyst, good), _import(session, analyst, bad)
    assert (committed.status, rejected.status) == ("committed", "rejected")

    page = list_batches(session, principal=admin, page_size=1)
    assert page.total >= 2 and page.page == 1 and len(page.rows) == 1
    newest = page.rows[0]
    assert (newest.id, newest.file_name, newest.actor, newest.rows_rejected) == (
        rejected.import_batch_id,
        "bad.xlsx",
        analyst.actor,
        1,
    )
    assert newest.id in page.kept and newest.file_size == bad.stat().st_size

    kept = tmp_path / "data" / "imports" / str(committed.import_batch_id)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o700
    assert stat.S_IMODE((kept / "good.xlsx").stat().st_mode) == 0o600
    ticket = original_download(session, principal=admin, batch_id=committed.import_batch_id)
    assert ticket.file_name == "good.xlsx" and ticket.path.read_bytes() == good.read_bytes()
    assert ticket.user_id == admin.user_id

    report = error_report_download(session, principal=admin, batch_id=rejected.import_batch_id)
    rows = list(load_workbook(report.path, read_only=True)["Errors"].iter_rows(values_only=True))
    assert report.file_name == "bad-errors.xlsx" and any("12x" in str(r) for r in rows)
    with pytest.raises(NotFound, match="recorded no errors"):
        error_report_download(session, principal=admin, batch_id=committed.import_batch_id)
    (kept / "good.xlsx").write_bytes(b"not what was imported")
    with pytest.raises(NotFound, match="not as it was imported"):
        original_download(session, principal=admin, batch_id=committed.import_batch_id)
    with pytest.raises(PermissionDenied):
        original_download(session, principal=analyst, batch_id=committed.import_batch_id)
