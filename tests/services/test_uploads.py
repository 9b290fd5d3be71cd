import os
import time
from pathlib import Path

import pytest

from opex_app.services import uploads
from opex_app.services.errors import ServiceError
from opex_app.settings import get_settings


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPEX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPEX_UPLOAD_MAX_BYTES", "1000")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_upload_is_stored_found_and_discarded(data_dir: Path) -> None:
    upload_id = uploads.save_upload("Budget FY27.xlsx", b"PK\x03\x04 workbook bytes")
    path = uploads.upload_path(upload_id)
    assert path.parent == data_dir / "uploads" and path.read_bytes().startswith(b"PK")
    uploads.discard_upload(upload_id)
    with pytest.raises(ServiceError, match="upload it again"):
        uploads.upload_path(upload_id)


def test_too_big_or_not_a_workbook_is_refused(data_dir: Path) -> None:
    with pytest.raises(ServiceError, match="the limit is"):
        uploads.save_upload("big.xlsx", b"x" * 1001)
    with pytest.raises(ServiceError, match="not a spreadsheet the import reads"):
        uploads.save_upload("budget.pdf", b"%PDF-1.4")
    assert not (data_dir / "uploads").exists() or not any((data_dir / "uploads").iterdir())


def test_ids_cannot_reach_outside_the_folder(data_dir: Path) -> None:
    for bad in ("../../etc/passwd", "short", "x" * 20 + "/.."):
        with pytest.raises(ServiceError):
            uploads.upload_path(bad)


def test_abandoned_uploads_are_swept(data_dir: Path) -> None:
    old_id = uploads.save_upload("old.xlsx", b"PK old")
    old = uploads.upload_path(old_id)
    day_ago = time.time() - uploads.ABANDONED_AFTER_SECONDS - 60
    os.utime(old, (day_ago, day_ago))
    uploads.save_upload("new.xlsx", b"PK new")
    assert not old.exists()
