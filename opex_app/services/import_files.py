"""The original file of every import batch, kept for the import history: data_dir/imports/<batch id>/.

The upload itself is discarded once the import is committed (services/uploads), so the batch keeps its own
copy, private to the app's user (folders 0700, file 0600), under the name it was uploaded with (made safe)."""

from __future__ import annotations

import os
from pathlib import Path

from opex_app.services.downloads import safe_file_name
from opex_app.settings import get_settings

_FOLDER_MODE = 0o700
_FILE_MODE = 0o600


def batch_folder(batch_id: int) -> Path:
    return get_settings().data_dir / "imports" / str(int(batch_id))


def keep_original(batch_id: int, file_name: str, data: bytes) -> Path:
    """Write the batch's uploaded bytes (0600, in 0700 folders) and return the path."""
    folder = batch_folder(batch_id)
    for path in (folder.parent, folder):
        path.mkdir(mode=_FOLDER_MODE, exist_ok=True, parents=True)
        path.chmod(_FOLDER_MODE)  # mkdir's mode is masked by the umask
    target = folder / safe_file_name(Path(file_name).name)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    target.chmod(_FILE_MODE)
    return target


def original_of(batch_id: int) -> Path | None:
    """The kept file of a batch, or None (a batch from before files were kept, or a file removed by hand)."""
    folder = batch_folder(batch_id)
    files = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    return files[0] if files else None
