"""Files kept for users are private to the app's OS user (folders 0700, files 0600): uploads waiting for an
import, kept import originals, one-time downloads (and their metadata) and Reflex's saved tab states, whatever
the umask of the process that writes them, and every file a serving worker creates after its start."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from opex_app.services import downloads, import_files, private_files, uploads
from opex_app.settings import get_settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data folder, written under the loose umask a default shell has (022), restored afterwards."""
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path / "data")
    old = os.umask(0o022)
    try:
        yield tmp_path / "data"
    finally:
        os.umask(old)


def _all_private(folder: Path) -> None:
    assert _mode(folder) == 0o700, folder
    found = list(folder.rglob("*"))
    assert found
    for path in found:
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path


def test_a_download_is_private_though_its_writer_is_not(data_dir: Path) -> None:
    with downloads.issue("budget-FY36.xlsx") as ticket:
        with open(ticket.path, "wb") as out:  # as a workbook library writes: mode from the umask (0644)
            out.write(b"PK\x03\x04")
    _all_private(data_dir / "downloads")
    assert {p.suffix for p in (data_dir / "downloads").iterdir()} == {".xlsx", ".json"}


def test_an_upload_waiting_for_its_import_is_private(data_dir: Path) -> None:
    upload_id = uploads.save_upload("budget.csv", b"UID,Description\n")
    assert uploads.upload_path(upload_id).read_bytes() == b"UID,Description\n"
    _all_private(data_dir / "uploads")


def test_a_kept_import_original_is_private(data_dir: Path) -> None:
    import_files.keep_original(36, "budget FY36.xlsx", b"original bytes")
    _all_private(data_dir / "imports")


def test_a_worker_start_makes_old_folders_private_and_every_new_file_too(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = tmp_path / ".states"
    for folder in (states, data_dir / "downloads", data_dir / "imports" / "7"):
        folder.mkdir(parents=True, mode=0o755)
        (folder / "left-by-an-older-version.pkl").write_bytes(b"x")
        os.chmod(folder / "left-by-an-older-version.pkl", 0o644)
    private_files.keep_files_private(extra_folders=[states])
    assert os.umask(0o077) == 0o077  # (and put back) the worker's umask from now on
    _all_private(states)
    _all_private(data_dir / "downloads")
    _all_private(data_dir / "imports")
    assert _mode(data_dir) == 0o700
    # what Reflex's disk state manager does to save a tab's state: a plain write, now private
    (states / "new-tab.pkl").write_bytes(b"state")
    assert _mode(states / "new-tab.pkl") == 0o600


def test_a_folder_that_cannot_be_remoded_does_not_stop_the_start(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (data_dir / "uploads").mkdir(parents=True)

    def refuse(self: Path, mode: int) -> None:
        raise PermissionError("a volume owned by another user")

    monkeypatch.setattr(Path, "chmod", refuse)
    private_files.keep_files_private()
    assert os.umask(0o077) == 0o077


def test_the_app_makes_its_workers_private_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from reflex.utils.prerequisites import get_states_dir

    from opex_app import opex_app

    assert opex_app._files_private in opex_app.app.get_lifespan_tasks()
    calls: list[list[Path]] = []
    monkeypatch.setattr(opex_app, "keep_files_private", lambda *, extra_folders: calls.append(list(extra_folders)))
    opex_app._files_private()
    assert calls == [[get_states_dir()]]
