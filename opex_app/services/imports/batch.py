"""The import batch: one row per committed or rejected import, with its file's name, size and sha256."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from sqlmodel import Session

from opex_app.auth.permissions import Principal
from opex_app.models import ImportBatch
from opex_app.models._types import utcnow
from opex_app.services import import_files
from opex_app.services.imports.result import ImportResult

ERRORS_KEPT = 1000  # errors stored on a batch


def record_batch(
    session: Session,
    principal: Principal,
    data: bytes,
    file_name: str,
    fiscal_year_id: int | None,
    result: ImportResult,
    started: float,
) -> int:
    batch = ImportBatch(
        kind=result.kind,
        file_name=Path(file_name).name[:255],
        file_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        fiscal_year_id=fiscal_year_id,
        actor=principal.actor,
        status=result.status,
        rows_total=result.rows_total,
        rows_accepted=result.rows_accepted,
        rows_rejected=result.rows_rejected,
        masters_created=result.masters_created,
        errors=[e.to_json() for e in result.errors[:ERRORS_KEPT]] or None,
        message=result.message or None,
    )
    session.add(batch)
    session.flush()
    assert batch.id is not None
    import_files.keep_original(batch.id, file_name, data)  # the import history offers it again
    finish_batch(session, batch.id, result, started)
    return batch.id


def finish_batch(session: Session, batch_id: int, result: ImportResult, started: float) -> None:
    batch = session.get(ImportBatch, batch_id)
    assert batch is not None
    batch.lines_created, batch.lines_updated, batch.lines_unchanged = (
        result.lines_created,
        result.lines_updated,
        result.lines_unchanged,
    )
    batch.duration_ms = int((time.perf_counter() - started) * 1000)
    batch.finished_at = utcnow()
    session.add(batch)
