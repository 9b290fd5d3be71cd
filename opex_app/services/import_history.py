"""Import history: every import batch (who, when, kind, file, size, sha256, counts, status, duration), and
its original file and error report downloadable again. Readers of the audit trail may see it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.export import write_error_report
from opex_app.models import ImportBatch
from opex_app.services import downloads, import_files
from opex_app.services.errors import NotFound

PAGE_SIZE = 50


@dataclass(frozen=True)
class BatchPage:
    rows: list[ImportBatch]
    kept: set[int]  # ids of the batches whose original file is still kept
    total: int
    page: int
    page_count: int


def list_batches(session: Session, *, principal: Principal, page: int = 1, page_size: int = PAGE_SIZE) -> BatchPage:
    """One page of import batches, newest first; `page` past the end gives the last page."""
    require(principal, Permission.VIEW_AUDIT)
    total = session.exec(select(func.count()).select_from(ImportBatch)).one()
    page_count = max(1, -(-total // page_size))
    page = min(max(1, page), page_count)
    stmt = select(ImportBatch).order_by(col(ImportBatch.id).desc()).offset((page - 1) * page_size).limit(page_size)
    rows = list(session.exec(stmt))
    kept = {b.id for b in rows if b.id is not None and import_files.is_kept(b.id, b.file_name, b.file_size)}
    return BatchPage(rows, kept, total, page, page_count)


def _batch(session: Session, batch_id: int) -> ImportBatch:
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(f"Import {batch_id} does not exist.")
    return batch


def original_download(session: Session, *, principal: Principal, batch_id: int) -> downloads.Ticket:
    """The file as it was uploaded, in a one-time download ticket for this user."""
    require(principal, Permission.VIEW_AUDIT)
    batch = _batch(session, batch_id)
    kept = import_files.original_of(batch_id, batch.file_name, batch.sha256)
    if kept is None:
        raise NotFound(f"The file of import {batch_id} ({batch.file_name}) is not kept, or not as it was imported.")
    media = "application/octet-stream"  # served as an attachment, never inline
    with downloads.issue(batch.file_name, media_type=media, user_id=principal.user_id, activity="download") as ticket:
        shutil.copyfile(kept, ticket.path)
    return ticket


def error_report_download(session: Session, *, principal: Principal, batch_id: int) -> downloads.Ticket:
    """The batch's stored errors (at most ERRORS_KEPT) as the import page's error report workbook."""
    require(principal, Permission.VIEW_AUDIT)
    batch = _batch(session, batch_id)
    if not batch.errors:
        raise NotFound(f"Import {batch_id} ({batch.file_name}) recorded no errors.")
    stem = Path(batch.file_name).stem or "import"
    with downloads.issue(f"{stem}-errors.xlsx", user_id=principal.user_id, activity="download") as ticket:
        write_error_report(ticket.path, batch.errors, title=f"Errors found in {batch.file_name} (import {batch_id})")
    return ticket
