"""Import page state: upload, preview (dry run), then commit. The work runs in background events,
off the event loop (asyncio.to_thread), never inside the state lock."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from opex_app.auth.permissions import Permission, Principal
from opex_app.db import transaction
from opex_app.domain.fiscal import FiscalYear, parse_fiscal_year
from opex_app.services import uploads
from opex_app.services.budget_import import (
    ImportOptions,
    ImportResult,
    WorkbookRefused,
    WorkbookUnreadable,
    error_report_download,
    import_budget,
)
from opex_app.services.errors import ServiceError
from opex_app.services.fiscal_years import current_fiscal_year
from opex_app.settings import get_settings
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

UPLOAD_ID = "budget-upload"
ERROR_COLUMNS = ("ref", "row", "column", "value", "message")
ERRORS_SHOWN = 500


def _fy_choices() -> list[str]:
    now = current_fiscal_year()
    return [FiscalYear(now.end_year + d, now.start_month).name for d in (1, 0, -1)]


def _run_import(principal: Principal, upload_id: str, file_name: str, options: ImportOptions) -> ImportResult:
    path = uploads.upload_path(upload_id)
    with transaction() as session:
        return import_budget(session, principal, path, file_name=file_name, options=options)


class ImportBudgetState(AppState):
    fy_choices: list[str] = _fy_choices()
    fy_name: str = current_fiscal_year().name
    skip_invalid: bool = False
    file_name: str = ""
    phase: str = "idle"  # idle | uploading | validating | previewed | committing | committed | rejected | failed
    upload_progress: int = 0
    message: str = ""
    summary: dict[str, str] = {}
    errors: list[dict[str, str]] = []
    error_count: int = 0
    error_sort: str = "row"
    changes: list[dict[str, str]] = []
    new_masters: list[dict[str, str]] = []
    missing: str = ""
    unknown_columns: str = ""
    _upload_id: str = ""
    _error_rows: list[dict[str, str]] = []  # every error of the last preview (the table shows the first 500)

    @rx.var
    def busy(self) -> bool:
        return self.phase in ("uploading", "validating", "committing")

    @rx.var
    def message_tone(self) -> str:
        """Colour of the status message: green committed, red refused, amber errors to fix, blue otherwise."""
        if self.phase == "committed":
            return "green"
        if self.phase in ("rejected", "failed"):
            return "red"
        return "amber" if self.error_count else "blue"

    @rx.var
    def can_commit(self) -> bool:
        if self.phase != "previewed":
            return False
        has_errors = self.error_count > 0
        return (not has_errors) or (self.skip_invalid and self.summary.get("rows_accepted", "0") != "0")

    @guarded(Permission.IMPORT)
    def prepare(self) -> None:
        """on_load: the FY choices around today (the app may run across a year end)."""
        self.fy_choices = _fy_choices()
        if self.fy_name not in self.fy_choices:
            self.fy_name = self.fy_choices[1]

    @guarded(Permission.IMPORT)
    def pick_fy(self, name: str) -> None:
        self.fy_name = name

    @guarded(Permission.IMPORT)
    def set_skip_invalid(self, value: bool) -> None:
        self.skip_invalid = value

    @guarded(Permission.IMPORT)
    def upload_progressed(self, progress: dict[str, Any]) -> None:
        self.phase = "uploading"
        self.upload_progress = round(float(progress.get("progress", 0)) * 100)

    @guarded(Permission.IMPORT)
    async def handle_upload(self, files: list[rx.UploadFile]) -> Any:
        if not files:
            self.message = "Choose a workbook first."
            return None
        upload = files[0]
        data = await upload.read()
        name = upload.filename or upload.name or "workbook.xlsx"
        try:
            upload_id = uploads.save_upload(name, data)
        except ServiceError as exc:
            self.phase, self.message = "failed", str(exc)
            return None
        if self._upload_id:
            uploads.discard_upload(self._upload_id)
        self._upload_id, self.file_name = upload_id, name
        self._reset_result()
        self.phase, self.message = "validating", f"Checking {name}…"
        return ImportBudgetState.preview

    def _reset_result(self) -> None:
        self.summary, self.errors, self.changes, self.new_masters = {}, [], [], []
        self.error_count, self.missing, self.unknown_columns = 0, "", ""

    def _options(self, *, dry_run: bool) -> ImportOptions:
        fy = parse_fiscal_year(self.fy_name, get_settings().fy_start_month) if self.fy_name else None
        return ImportOptions(fiscal_year=fy, dry_run=dry_run, skip_invalid=self.skip_invalid)

    @rx.event(background=True)
    @guarded(Permission.IMPORT)
    async def preview(self) -> Any:
        async for event in self._run(dry_run=True):
            yield event

    @rx.event(background=True)
    @guarded(Permission.IMPORT)
    async def commit(self) -> Any:
        async with self:
            if not self.can_commit:
                return
            self.phase, self.message = "committing", "Writing the lines…"
        async for event in self._run(dry_run=False):
            yield event

    async def _run(self, *, dry_run: bool) -> Any:
        principal = current_principal()
        async with self:
            upload_id, file_name, options = self._upload_id, self.file_name, self._options(dry_run=dry_run)
        if not upload_id:
            return
        try:
            result = await asyncio.to_thread(_run_import, principal, upload_id, file_name, options)
        except (WorkbookUnreadable, WorkbookRefused, ServiceError) as exc:
            async with self:
                self._reset_result()
                self.phase, self.message = "failed", str(exc)
            return
        async with self:
            self._show(result)
        if not dry_run and result.status == "committed":
            uploads.discard_upload(upload_id)
            yield rx.toast.success(result.message)

    def _show(self, result: ImportResult) -> None:
        self.phase = {"dry-run": "previewed"}.get(result.status, result.status)
        if self.phase == "committed":
            self._upload_id = ""
        self.message = result.message
        self.summary = {k: str(v) for k, v in result.to_json().items() if k != "errors"}
        self.summary["masters_created"] = str(result.masters_created)
        self.error_count = len(result.errors)
        self._error_rows = [
            {
                "cell": f"{e.sheet}!{e.cell}",
                "row": str(e.row),
                "column": e.column,
                "value": e.value,
                "message": e.message,
            }
            for e in result.errors
        ]
        self.errors = self._sorted_errors()[:ERRORS_SHOWN]
        self.changes = [
            {"uid": c.uid, "field": c.field, "before": c.before, "after": c.after}
            for c in result.changes[:ERRORS_SHOWN]
        ]
        self.new_masters = [
            {"kind": k.replace("_", " ").title(), "names": ", ".join(v)} for k, v in result.masters_new.items()
        ]
        self.missing = (
            f"{result.missing_count} line(s) of {result.fiscal_year} are not in this file; they are kept."
            if result.missing_count
            else ""
        )
        self.unknown_columns = ", ".join(result.unknown_columns)

    def _sorted_errors(self) -> list[dict[str, str]]:
        key = self.error_sort
        if key == "row":
            return sorted(self._error_rows, key=lambda e: int(e["row"]))
        return sorted(self._error_rows, key=lambda e: (e.get(key, ""), int(e["row"])))

    @guarded(Permission.IMPORT)
    def sort_errors(self, column: str) -> None:
        if column in ERROR_COLUMNS:
            self.error_sort = column
            self.errors = self._sorted_errors()[:ERRORS_SHOWN]

    @rx.event(background=True)
    @guarded(Permission.IMPORT)
    async def download_errors(self) -> Any:
        """The full error list as an .xlsx error report."""
        principal = current_principal()
        async with self:
            rows = [{**row, "row": int(row["row"])} for row in self._error_rows]
            source = self.file_name
        if not rows:
            return
        ticket = await asyncio.to_thread(error_report_download, principal, rows, source)
        yield rx.download(url=ticket.url, filename=ticket.file_name)

    @guarded(Permission.IMPORT)
    def start_over(self) -> Any:
        if self._upload_id:
            uploads.discard_upload(self._upload_id)
        self._upload_id, self.file_name, self.phase, self.message = "", "", "idle", ""
        self._reset_result()
        return rx.clear_selected_files(UPLOAD_ID)
