"""Import history state: one page of import batches, and their original file or error report on request."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app.auth.permissions import Permission
from opex_app.db import read_session
from opex_app.domain.money import format_amount
from opex_app.domain.url_params import page_number
from opex_app.services import import_history
from opex_app.services.downloads import Ticket
from opex_app.services.errors import ServiceError
from opex_app.state.base import AppState
from opex_app.state.dashboard import user_format
from opex_app.state.guard import current_principal, guarded


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, round(size / 1024))} KB"


def _row(b: Any, kept: bool, number_format: str) -> dict[str, str]:
    """One batch (import_history.BatchPage row) as the table shows it."""
    fmt = user_format(number_format)
    count = lambda n: format_amount(n, fmt, decimals=0)  # noqa: E731
    return {
        "id": str(b.id),
        "at": b.started_at.strftime("%d-%b-%Y %H:%M"),
        "actor": b.actor,
        "kind": b.kind,
        "file_name": b.file_name,
        "size": _size(b.file_size),
        "sha256": b.sha256[:12] + "…",
        "sha256_full": b.sha256,
        "rows": f"{count(b.rows_total)} read · {count(b.rows_accepted)} ok · {count(b.rows_rejected)} rejected",
        "lines": f"{count(b.lines_created)} new · {count(b.lines_updated)} changed · {count(b.lines_unchanged)} same",
        "status": b.status,
        "duration": f"{(b.duration_ms or 0) / 1000:.1f} s",
        "kept": "yes" if kept else "",
        "has_errors": "yes" if b.errors else "",
    }


class ImportHistoryState(AppState):
    rows: list[dict[str, str]] = []
    page_number: int = 1
    page_count: int = 1
    total: int = 0
    error: str = ""

    def _read(self) -> None:
        with read_session() as session:
            found = import_history.list_batches(session, principal=current_principal(), page=self.page_number)
        self.rows = [_row(b, b.id in found.kept, self.number_format) for b in found.rows]
        self.page_number, self.page_count, self.total = found.page, found.page_count, found.total

    @guarded(Permission.VIEW_AUDIT)
    def load(self) -> None:
        self.page_number = page_number(self.router.url.query_parameters.get("page", "1"))
        self.error = ""
        self._read()

    @guarded(Permission.VIEW_AUDIT)
    def go_to_page(self, number: int) -> None:
        self.page_number = max(1, min(int(number), self.page_count))
        self._read()

    def _download(self, make: Any, batch_id: str) -> Any:
        if not str(batch_id).isdigit():
            return None
        try:
            with read_session() as session:
                ticket: Ticket = make(session, principal=current_principal(), batch_id=int(batch_id))
        except ServiceError as exc:
            self.error = str(exc)
            return None
        self.error = ""
        return rx.download(url=ticket.url, filename=ticket.file_name)

    @guarded(Permission.VIEW_AUDIT)
    def download_original(self, batch_id: str) -> Any:
        return self._download(import_history.original_download, batch_id)

    @guarded(Permission.VIEW_AUDIT)
    def download_errors(self, batch_id: str) -> Any:
        return self._download(import_history.error_report_download, batch_id)
