"""One-time download tickets: a generated file served once, within 10 minutes, by GET /api/downloads/{token}.

The token is the capability: 43 random URL-safe characters (256 bits), so a link cannot be guessed, and
it works only once. The file (``<token>.xlsx``) and its metadata (``<token>.json``: friendly file name,
media type, created_at) live under ``settings.data_dir / "downloads"``, not in process memory, so any
worker can serve a ticket that another worker issued; workers must share the data directory.
Expired leftovers are removed whenever a new ticket is issued.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from opex_app.settings import get_settings

TICKET_TTL = timedelta(minutes=10)
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
URL_PREFIX = "/api/downloads/"

_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,128}")  # what secrets.token_urlsafe makes; nothing else reaches the disk
_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")
_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_META = ".json"
_CLAIMED = ".claimed"


@dataclass(frozen=True)
class Ticket:
    token: str
    file_name: str  # the name the browser saves the file as, e.g. budget-FY27.xlsx
    media_type: str
    created_at: datetime
    path: Path  # the generated file

    @property
    def url(self) -> str:
        return f"{URL_PREFIX}{self.token}"

    def expired(self, now: datetime | None = None) -> bool:
        return (now or _now()) - self.created_at >= TICKET_TTL


def _now() -> datetime:
    return datetime.now(UTC)


def downloads_dir() -> Path:
    return get_settings().data_dir / "downloads"


def is_valid_token(token: str) -> bool:
    return bool(_TOKEN.fullmatch(token))


def _suffix(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    return suffix if _SUFFIX.fullmatch(suffix) else ".bin"


def safe_file_name(file_name: str) -> str:
    """The friendly name without path separators, quotes or control characters."""
    cleaned = _UNSAFE_NAME_CHARS.sub("_", file_name).strip(" .")
    return cleaned[:150] or "download"


def _data_path(folder: Path, token: str, file_name: str) -> Path:
    return folder / f"{token}{_suffix(file_name)}"


def sweep(now: datetime | None = None) -> int:
    """Delete ticket files older than the TTL (expired, claimed but not cleaned up, orphans); return how many."""
    folder = downloads_dir()
    if not folder.is_dir():
        return 0
    cutoff = ((now or _now()) - TICKET_TTL).timestamp()
    removed = 0
    for entry in os.scandir(folder):
        if not entry.is_file(follow_symlinks=False) or not is_valid_token(entry.name.split(".", 1)[0]):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:  # another worker removed it first
            continue
    return removed


@contextmanager
def issue(file_name: str, *, media_type: str = XLSX_MEDIA_TYPE, now: datetime | None = None) -> Iterator[Ticket]:
    """Reserve a ticket; write the file at ``ticket.path`` inside the block.

    The ticket is published (its metadata written) only when the block succeeds and the file exists;
    if the block raises, the partial file is removed and the token never works.
    """
    created = now or _now()
    folder = downloads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    sweep(created)
    token = secrets.token_urlsafe(32)
    name = safe_file_name(file_name)
    ticket = Ticket(token, name, media_type, created, _data_path(folder, token, name))
    try:
        yield ticket
        if not ticket.path.is_file():
            raise RuntimeError("no file was written for the download")
        meta = {"file_name": ticket.file_name, "media_type": media_type, "created_at": created.isoformat()}
        staging = folder / f"{token}{_META}.tmp"
        staging.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(staging, folder / f"{token}{_META}")  # atomic: the ticket appears complete or not at all
    except BaseException:
        ticket.path.unlink(missing_ok=True)
        raise


def _read(meta_path: Path, token: str) -> Ticket | None:
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        name = safe_file_name(str(meta["file_name"]))
        created = datetime.fromisoformat(str(meta["created_at"]))
        media_type = str(meta.get("media_type") or XLSX_MEDIA_TYPE)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Ticket(token, name, media_type, created, _data_path(meta_path.parent, token, name))


def lookup(token: str, *, now: datetime | None = None) -> Ticket | None:
    """The live ticket for ``token`` without using it up (None: unknown, malformed, used or expired)."""
    if not is_valid_token(token):
        return None
    ticket = _read(downloads_dir() / f"{token}{_META}", token)
    if ticket is None or ticket.expired(now) or not ticket.path.is_file():
        return None
    return ticket


def claim(token: str, *, now: datetime | None = None) -> Ticket | None:
    """Use the ticket up and return it for serving; None if unknown, malformed, used or expired.

    Claiming renames the metadata file, which is atomic: of two concurrent requests (on any
    workers) exactly one gets the ticket. The caller serves ``ticket.path`` then calls ``discard``.
    """
    if not is_valid_token(token):
        return None
    folder = downloads_dir()
    claimed = folder / f"{token}{_CLAIMED}"
    try:
        os.rename(folder / f"{token}{_META}", claimed)
    except FileNotFoundError:
        return None
    ticket = _read(claimed, token)
    if ticket is None or ticket.expired(now) or not ticket.path.is_file():
        claimed.unlink(missing_ok=True)
        if ticket is not None:
            ticket.path.unlink(missing_ok=True)
        return None
    return ticket


def discard(ticket: Ticket) -> None:
    """Remove a ticket's files (after it was served)."""
    folder = ticket.path.parent
    for path in (ticket.path, folder / f"{ticket.token}{_CLAIMED}", folder / f"{ticket.token}{_META}"):
        path.unlink(missing_ok=True)
