"""The files the app keeps for its users stay private to the app's OS user: folders 0700, files 0600.

That covers uploads waiting for an import (data/uploads), every import's original (data/imports/<batch>),
one-time downloads (data/downloads) and the tab states Reflex saves on disk when there is no Redis (`.states`,
the `make run` mode): budgets, invoices and vendors, readable by nobody else on the machine.

Two layers, so that neither a library nor a forgotten call leaves a file readable:
- each serving worker sets its umask to 077 when it starts (`keep_files_private`, a lifespan task of the app,
  so it runs in the workers only: `reflex export` builds the static frontend that nginx serves as another
  user, and that build must stay readable), so every file or folder any code creates there is private;
- every folder the app makes is created 0700 and re-moded (mkdir's mode is masked by the umask, and the folder
  may be older than this code), every file it writes is opened 0600.
Temporary files (the exports' spools) come from `tempfile`, which creates them 0600 and unlinked.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from opex_app.settings import get_settings

FOLDER_MODE = 0o700
FILE_MODE = 0o600
WORKER_UMASK = 0o077
DATA_FOLDERS = ("uploads", "imports", "downloads")

log = logging.getLogger(__name__)


def private_folder(path: Path) -> Path:
    """`path` (and any missing parent) as a folder only the app's user can enter; returns it."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    path.chmod(FOLDER_MODE)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write `data` to a file created 0600 (an existing one is truncated and re-moded)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    path.chmod(FILE_MODE)
    return path


def make_private(path: Path) -> None:
    """Re-mode a file that a library wrote (0600)."""
    path.chmod(FILE_MODE)


def keep_files_private(*, extra_folders: Iterable[Path] = ()) -> None:
    """At a worker's start: umask 077, and the data folders (and `extra_folders`, e.g. Reflex's `.states`)
    made private with what they already hold. A folder the app may not re-mode (a volume owned by another
    user) is logged, not fatal: the umask still keeps everything new private."""
    os.umask(WORKER_UMASK)
    data_dir = get_settings().data_dir
    _private_tree(data_dir, walk=False)  # the folder itself: PostgreSQL looks after data/pg
    for folder in (*(data_dir / name for name in DATA_FOLDERS), *extra_folders):
        _private_tree(folder, walk=True)


def _private_tree(folder: Path, *, walk: bool) -> None:
    if not folder.is_dir():
        return
    try:
        folder.chmod(FOLDER_MODE)
        for root, dirs, files in os.walk(folder) if walk else ():
            for name in dirs:
                os.chmod(os.path.join(root, name), FOLDER_MODE)
            for name in files:
                os.chmod(os.path.join(root, name), FILE_MODE)
    except OSError as exc:
        log.warning("could not make %s private: %s", folder, exc)
