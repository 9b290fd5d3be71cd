"""The original file of every import batch, kept for the import history: data_dir/imports/<batch id>/.

The upload itself is discarded once the import is committed (services/uploads), so the batch keeps its own
copy, private to the app's user (folders 0700, file 0600), under the name it was uploaded with (made safe)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from opex_app.services.downloads import safe_file_name
from opex_app.services.private_files import private_folder, write_private
from opex_app.settings import get_settings


def batch_folder(batch_id: int) -> Path:
    return get_settings().data_dir / "imports" / str(int(batch_id))


def keep_original(batch_id: int, file_name: str, data: bytes) -> Path:
    """Write the batch's uploaded bytes (0600, in 0700 folders) and return the path."""
    folder = batch_folder(batch_id)
    if folder.exists():  # left by a database this one replaced (ids start again): not this batch's file
        shutil.rmtree(folder)
    private_folder(folder.parent)
    private_folder(folder)
    return write_private(kept_path(batch_id, file_name), data)


def kept_path(batch_id: int, file_name: str) -> Path:
    return batch_folder(batch_id) / safe_file_name(Path(file_name).name)


def is_kept(batch_id: int, file_name: str, file_size: int) -> bool:
    """A file of the batch's name and size is kept (cheap enough for a page of batches)."""
    path = kept_path(batch_id, file_name)
    return path.is_file() and path.stat().st_size == file_size


def original_of(batch_id: int, file_name: str, sha256: str) -> Path | None:
    """The kept file of a batch if its bytes are the ones the batch recorded (sha256), else None: a batch from
    before files were kept, a file removed by hand, or one that is not this batch's."""
    path = kept_path(batch_id, file_name)
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return path if digest.hexdigest() == sha256 else None
