"""Uploaded files waiting for an import: kept on disk under data/uploads, named by a random id."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from opex_app.services.errors import ServiceError
from opex_app.services.private_files import private_folder, write_private
from opex_app.settings import get_settings

_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
ALLOWED_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".csv"}
ABANDONED_AFTER_SECONDS = 24 * 3600  # an upload never committed nor discarded is removed after a day


def upload_dir() -> Path:
    return private_folder(get_settings().data_dir / "uploads")


def save_upload(file_name: str, data: bytes) -> str:
    """Store an upload; return its id. Refuses files over the size limit and unknown kinds."""
    limit = get_settings().upload_max_bytes
    if len(data) > limit:
        raise ServiceError(f"{file_name} is {len(data) / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB")
    suffix = Path(file_name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ServiceError(
            f"{file_name} is not a spreadsheet the import reads (.xlsx, .xlsm, .xlsb, .xls, .ods or .csv)"
        )
    _sweep_abandoned()
    upload_id = secrets.token_urlsafe(24)
    write_private(upload_dir() / f"{upload_id}{suffix}", data)
    return upload_id


def _sweep_abandoned() -> None:
    cutoff = time.time() - ABANDONED_AFTER_SECONDS
    for path in upload_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another worker removed it first
            continue


def upload_path(upload_id: str) -> Path:
    if not _ID.match(upload_id):
        raise ServiceError("unknown upload")
    matches = list(upload_dir().glob(f"{upload_id}.*"))
    if not matches:
        raise ServiceError("the uploaded file is gone; upload it again")
    return matches[0]


def discard_upload(upload_id: str) -> None:
    try:
        upload_path(upload_id).unlink(missing_ok=True)
    except ServiceError:
        pass
