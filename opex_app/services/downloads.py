"""One-time download tickets: a generated file served once, within 10 minutes, by GET /api/downloads/{token}.

The token is the capability: 43 random URL-safe characters (256 bits), so a link cannot be guessed, and
it works only once. The file (``<token>.xlsx``) and its metadata (``<token>.json``: friendly file name,
media type, created_at) live under ``settings.data_dir / "downloads"``, not in process memory, so any
worker can serve a ticket that another worker issued; workers must share the data directory.
Expired leftovers are removed whenever a new ticket is issued.

The metadata is signed (HMAC-SHA256 with ``OPEX_SECRET_KEY``) over the token, the user who asked, the
time it was issued, the name, the media type and the activity it is logged as (export or download): a
metadata file written or edited by anyone without the key (to lengthen a ticket's life, rename its file,
bind it to someone else or log it as something else) is refused like an unknown token. ``claim``/``lookup``
take the user who asks and refuse another user's ticket; the GET route can pass it once the session is a
cookie (until then the token alone is the capability).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from opex_app.services.private_files import make_private, private_folder, write_private
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
    user_id: int | None = None  # who asked for it (None: a command-line or system issue)
    activity: str = "export"  # what serving it is logged as in the activity log: 'export' or 'download'

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


def _signature(
    token: str, user_id: int | None, created_at: str, file_name: str, media_type: str, activity: str = "export"
) -> str:
    """HMAC-SHA256 of the ticket's fields, keyed with the app's secret (fields joined by NUL, which none holds)."""
    user = "" if user_id is None else str(user_id)
    message = "\x00".join((token, user, created_at, file_name, media_type, activity))
    key = get_settings().secret_key.encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


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
def issue(
    file_name: str,
    *,
    media_type: str = XLSX_MEDIA_TYPE,
    now: datetime | None = None,
    user_id: int | None = None,
    activity: str = "export",
) -> Iterator[Ticket]:
    """Reserve a ticket for ``user_id``; write the file at ``ticket.path`` inside the block. ``activity`` is what
    serving it is logged as: 'export' (a workbook generated from the data) or 'download' (a kept file).

    The ticket is published (its metadata written) only when the block succeeds and the file exists;
    if the block raises, the partial file is removed and the token never works.
    """
    created = now or _now()
    folder = private_folder(downloads_dir())
    sweep(created)
    token = secrets.token_urlsafe(32)
    name = safe_file_name(file_name)
    ticket = Ticket(token, name, media_type, created, _data_path(folder, token, name), user_id, activity)
    try:
        yield ticket
        if not ticket.path.is_file():
            raise RuntimeError("no file was written for the download")
        make_private(ticket.path)  # written by a workbook library, under whatever umask this process has
        stamp = created.isoformat()
        meta = {
            "file_name": ticket.file_name,
            "media_type": media_type,
            "created_at": stamp,
            "user_id": user_id,
            "activity": activity,
            "signature": _signature(token, user_id, stamp, ticket.file_name, media_type, activity),
        }
        staging = folder / f"{token}{_META}.tmp"
        write_private(staging, json.dumps(meta).encode())
        os.replace(staging, folder / f"{token}{_META}")  # atomic: the ticket appears complete or not at all
    except BaseException:
        ticket.path.unlink(missing_ok=True)
        raise


def _read(meta_path: Path, token: str) -> Ticket | None:
    """The ticket its metadata describes, or None when the file is unreadable or its signature does not match."""
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        name, stamp, media_type = str(meta["file_name"]), str(meta["created_at"]), str(meta["media_type"])
        user_id, activity = meta.get("user_id"), str(meta.get("activity", "export"))
        if user_id is not None and not isinstance(user_id, int):
            return None
        expected = _signature(token, user_id, stamp, name, media_type, activity)
        if not hmac.compare_digest(expected, str(meta.get("signature", ""))):
            return None
        created = datetime.fromisoformat(stamp)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    name = safe_file_name(name)
    return Ticket(token, name, media_type, created, _data_path(meta_path.parent, token, name), user_id, activity)


def _wrong_user(ticket: Ticket, user_id: int | None) -> bool:
    """Whether a user other than the one the ticket was issued to asks for it (None asks as nobody in particular)."""
    return user_id is not None and ticket.user_id is not None and ticket.user_id != user_id


def lookup(token: str, *, now: datetime | None = None, user_id: int | None = None) -> Ticket | None:
    """The live ticket for ``token`` without using it up (None: unknown, malformed, forged, another user's,
    used or expired)."""
    if not is_valid_token(token):
        return None
    ticket = _read(downloads_dir() / f"{token}{_META}", token)
    if ticket is None or ticket.expired(now) or not ticket.path.is_file() or _wrong_user(ticket, user_id):
        return None
    return ticket


def claim(token: str, *, now: datetime | None = None, user_id: int | None = None) -> Ticket | None:
    """Use the ticket up and return it for serving; None if unknown, malformed, forged, used or expired, or
    another user's (which leaves it for its owner).

    Claiming renames the metadata file, which is atomic: of two concurrent requests (on any
    workers) exactly one gets the ticket. The caller serves ``ticket.path``, then calls ``discard`` once the last
    byte is sent, or ``release`` if the transfer broke off before.
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
    if ticket is not None and _wrong_user(ticket, user_id):
        os.rename(claimed, folder / f"{token}{_META}")  # not theirs to spend
        return None
    if ticket is None or ticket.expired(now) or not ticket.path.is_file():
        claimed.unlink(missing_ok=True)
        if ticket is not None:
            ticket.path.unlink(missing_ok=True)
        return None
    return ticket


def release(ticket: Ticket) -> None:
    """Give back a claimed ticket whose file did not reach the browser (the transfer broke off): the browser's
    retry, or its resumption of the interrupted download, then gets the file instead of a 404."""
    folder = ticket.path.parent
    try:
        os.rename(folder / f"{ticket.token}{_CLAIMED}", folder / f"{ticket.token}{_META}")
    except FileNotFoundError:  # swept meanwhile: it had expired
        return


def discard(ticket: Ticket) -> None:
    """Remove a ticket's files (after it was served)."""
    folder = ticket.path.parent
    for path in (ticket.path, folder / f"{ticket.token}{_CLAIMED}", folder / f"{ticket.token}{_META}"):
        path.unlink(missing_ok=True)
