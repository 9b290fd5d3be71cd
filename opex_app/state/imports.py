"""Import page state: pick the kind, upload a file, preview it (dry run), map its columns when the file
needs it (by hand, or by a saved mapping profile offered for the file's headers), then commit.

The file work runs in background events, off the event loop (asyncio.to_thread) and outside the state
lock. Synced vars carry what the page shows (the first rows of each list); the longer lists live in
backend vars, and the full error report re-reads the file instead of keeping every error in the state.

Beside it: `import_runs` (the service runs the events call in a thread, and their results as page
rows), `import_mapping` (the mapping editor's rows, plain functions) and `import_profiles` (saving,
renaming and deleting mapping profiles: a substate).
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from opex_app.auth.permissions import Permission
from opex_app.db import read_session
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest.specs import SPECS, get_spec
from opex_app.services import mapping_profiles, reporting_basis, uploads
from opex_app.services.errors import ServiceError
from opex_app.services.fiscal_years import current_fiscal_year
from opex_app.services.imports import ImportOptions, ImportResult, WorkbookRefused, WorkbookUnreadable
from opex_app.services.mapping_profiles import ProfileView
from opex_app.state import import_runs as runs
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded
from opex_app.state.import_mapping import (
    checked_draft,
    duplicate_targets,
    editor_rows,
    mapping_text,
    profile_rows,
    set_field,
)
from opex_app.state.import_runs import ERROR_COLUMNS, ERRORS_SHOWN, Outcome

UPLOAD_ID = "import-upload"
DEFAULT_KIND = "budget"
FY_FROM_FILE = "From the file"  # the FY choice that takes the fiscal year of the file's dated months
BUSY_PHASES = ("validating", "committing")


def _fy_choices() -> list[str]:
    now = current_fiscal_year()
    return [FY_FROM_FILE, *(FiscalYear(now.end_year + d, now.start_month).name for d in (1, 0, -1))]


def _kind_choices() -> list[dict[str, str]]:
    return [{"kind": kind, "label": f"{spec.noun[:1].upper()}{spec.noun[1:]}s"} for kind, spec in SPECS.items()]


class ImportState(AppState):
    # What is imported, and how
    kind_choices: list[dict[str, str]] = _kind_choices()
    kind: str = DEFAULT_KIND
    fy_choices: list[str] = _fy_choices()
    fy_name: str = FY_FROM_FILE
    skip_invalid: bool = False
    # The file and where its import stands
    file_name: str = ""
    phase: str = "idle"  # idle | validating | mapping | previewed | rejected | committing | committed | failed
    upload_progress: int = 0  # percent of the file sent; the bar shows while it is between 0 and 100
    message: str = ""
    # The preview
    summary: dict[str, str] = {}
    warnings: list[dict[str, str]] = []
    warning_count: int = 0
    errors: list[dict[str, str]] = []
    error_count: int = 0
    error_sort: str = "row"
    changes: list[dict[str, str]] = []
    change_count: int = 0
    new_masters: list[dict[str, str]] = []
    missing: str = ""
    read_facts: list[dict[str, str]] = []  # [{label, value}]: which sheet, header row and columns were read
    # Column mapping
    mapping_open: bool = False
    mapping_rows: list[dict[str, str]] = []  # [{index, header, field, auto, month, note}], one per file header
    mapping_error: str = ""
    applied_mapping: str = ""  # the mapping in use, as text ('' = none)
    applied_profile: str = ""  # name of the mapping profile in use ('' = none)
    profile_note: str = ""
    # Mapping profiles of the kind (saving, renaming and deleting them: ImportProfilesState)
    profiles: list[dict[str, str]] = []  # [{id, name, columns, updated}]

    _upload_id: str = ""
    _mapping: dict[str, str] = {}  # the mapping the preview was read with (header -> field)
    _profile_mapping: dict[str, str] = {}  # the applied profile's mapping, to tell when it was edited
    _error_rows: list[dict[str, str]] = []  # the first import_runs.ERRORS_KEPT errors, for sorting

    # ------------------------------------------------------------------------------------ computed vars

    @rx.var
    def busy(self) -> bool:
        return self.phase in BUSY_PHASES

    @rx.var
    def message_tone(self) -> str:
        """Colour of the status message: green committed, red refused, amber errors to fix, blue otherwise."""
        if self.phase == "committed":
            return "green"
        if self.phase in ("failed", "mapping") or (self.phase == "rejected" and not self.error_count):
            return "red"
        return "amber" if self.error_count else "blue"

    @rx.var
    def has_preview(self) -> bool:
        return bool(self.summary) and self.phase in ("previewed", "rejected", "committed")

    @rx.var
    def can_commit(self) -> bool:
        return self.phase == "previewed"

    @rx.var
    def field_options(self) -> list[dict[str, str]]:
        """The kind's fields for the mapping drop-downs: [{value, label}]."""
        spec = SPECS.get(self.kind)
        return [{"value": f.name, "label": f.label} for f in spec.fields] if spec else []

    @rx.var
    def has_template(self) -> bool:
        return self.kind == "budget"

    @rx.var
    def template_fy(self) -> str:
        """The FY of the template download ('' = the current FY)."""
        return "" if self.fy_name == FY_FROM_FILE else self.fy_name

    # ------------------------------------------------------------------------------------ choosing

    @guarded(Permission.IMPORT)
    def prepare(self) -> None:
        """on_load: the FY choices around today (the app may run across a year end), the kinds, the profiles."""
        self.fy_choices = _fy_choices()
        if self.fy_name not in self.fy_choices:
            self.fy_name = FY_FROM_FILE
        self.kind_choices = _kind_choices()
        if self.kind not in SPECS:
            self.kind = DEFAULT_KIND
        self._load_profiles()

    @guarded(Permission.IMPORT)
    def pick_kind(self, kind: str) -> Any:
        if kind not in SPECS or kind == self.kind:
            return None
        self.kind = kind
        self._set_mapping({}, profile=None)
        self.mapping_open = False
        self._load_profiles()
        return ImportState.preview_upload if self._upload_id else None

    @guarded(Permission.IMPORT)
    def pick_fy(self, name: str) -> Any:
        if name not in self.fy_choices or name == self.fy_name:
            return None  # a select may report its own value again when it re-renders: no new preview
        self.fy_name = name
        return ImportState.preview if self._upload_id else None

    @guarded(Permission.IMPORT)
    def set_skip_invalid(self, value: bool) -> Any:
        if bool(value) == self.skip_invalid:
            return None
        self.skip_invalid = bool(value)
        return ImportState.preview if self._upload_id else None

    # ------------------------------------------------------------------------------------ uploading

    @guarded(Permission.IMPORT)
    def track_upload(self, progress: dict[str, Any]) -> None:
        """The browser's upload progress. These events travel apart from the upload itself and may be
        handled after it, so they only move the bar (the last one says 100: the bar hides), never the phase."""
        self.upload_progress = round(float(progress.get("progress", 0)) * 100)

    @guarded(Permission.IMPORT)
    async def handle_upload(self, files: list[rx.UploadFile]) -> Any:
        if not files:
            self.message = "Choose a file first."
            return None
        upload = files[0]
        data = await upload.read()
        name = upload.filename or upload.name or "import.xlsx"
        try:
            upload_id = uploads.save_upload(name, data)
        except ServiceError as exc:
            self.phase, self.message = "failed", str(exc)
            return None
        if self._upload_id:
            uploads.discard_upload(self._upload_id)
        self._upload_id, self.file_name = upload_id, name
        self._reset_result()
        self._set_mapping({}, profile=None)
        self.mapping_open = False
        self.phase, self.message = "validating", f"Checking {name}…"
        return ImportState.preview_upload

    # ------------------------------------------------------------------------------------ previewing

    @rx.event(background=True)
    @guarded(Permission.IMPORT)
    async def preview_upload(self) -> None:
        """Preview a new upload, applying the mapping profile that fits its headers, if one does."""
        await self._run_preview(offer_profile=True)

    @rx.event(background=True)
    @guarded(Permission.IMPORT)
    async def preview(self) -> None:
        """Preview the upload again with the mapping in use (after the FY, the switch or the mapping changed)."""
        await self._run_preview(offer_profile=False)

    async def _run_preview(self, *, offer_profile: bool) -> None:
        principal = current_principal()
        async with self:
            if not self._upload_id or self.phase == "committing":
                return
            kind, upload_id, file_name = self.kind, self._upload_id, self.file_name
            options = self._options(dry_run=True)
            self.phase, self.message = "validating", f"Checking {file_name}…"
        try:
            outcome = await asyncio.to_thread(
                runs.preview_file, principal, kind, upload_id, file_name, options, offer_profile=offer_profile
            )
        except (WorkbookUnreadable, ServiceError, ValueError) as exc:
            async with self:
                if self._upload_id == upload_id:
                    self._reset_result()
                    self.phase, self.message = "failed", str(exc)
            return
        async with self:
            if self._upload_id != upload_id or self.kind != kind:
                return  # another file or kind was chosen meanwhile: its own preview shows
            self._show_outcome(outcome, offer_profile=offer_profile)

    def _options(self, *, dry_run: bool) -> ImportOptions:
        fy = None
        if self.fy_name and self.fy_name != FY_FROM_FILE:
            fy = reporting_basis.fiscal_year_named(self.fy_name)
        return ImportOptions(
            fiscal_year=fy, dry_run=dry_run, skip_invalid=self.skip_invalid, mapping=dict(self._mapping)
        )

    def _show_outcome(self, outcome: Outcome, *, offer_profile: bool) -> None:
        if offer_profile:
            self._set_mapping(outcome.mapping, profile=outcome.profile)
            self.profile_note = outcome.note
        if outcome.result is None:
            self._reset_result()
            self.message = outcome.refusal
            self.phase = "mapping" if outcome.headers else "failed"
            self.mapping_rows = self._build_rows(outcome.headers, None)
            self.mapping_open = bool(outcome.headers)
            return
        self._show(outcome.result)
        self.mapping_rows = self._build_rows(outcome.headers, outcome.result)

    def _show(self, result: ImportResult) -> None:
        self.phase = {"committed": "committed", "dry-run": "previewed"}.get(result.status, "rejected")
        self.message = result.message
        self.summary = runs.summary_of(result)
        self.warning_count, self.warnings = len(result.warnings), runs.warning_rows(result)
        error_rows = runs.error_rows(result)
        self.error_count, self._error_rows = len(result.errors), error_rows
        self.errors = runs.sorted_errors(error_rows, self.error_sort)[:ERRORS_SHOWN]
        self.change_count, self.changes = len(result.changes), runs.change_rows(result)
        spec = get_spec(result.kind)
        self.new_masters = runs.new_master_rows(result, spec)
        self.missing = runs.missing_text(result, spec)
        self.read_facts = runs.read_facts(result, spec)

    def _reset_result(self) -> None:
        self.summary, self.warnings, self.errors, self.changes, self.new_masters = {}, [], [], [], []
        self.warning_count = self.error_count = self.change_count = 0
        self.missing, self.read_facts, self._error_rows = "", [], []

    @guarded(Permission.IMPORT)
    def sort_errors(self, column: str) -> None:
        if column in ERROR_COLUMNS:
            self.error_sort = column
            self.errors = runs.sorted_errors(self._error_rows, column)[:ERRORS_SHOWN]

    @rx.event(background=True)
    @guarded(Permission.IMPORT)
    async def download_errors(self) -> Any:
        """Every error of the file as an .xlsx error report (read again: the page keeps the first ones)."""
        principal = current_principal()
        async with self:
            if not self._upload_id or not self.error_count:
                return
            kind, upload_id, file_name = self.kind, self._upload_id, self.file_name
            options = self._options(dry_run=True)
        try:
            ticket = await asyncio.to_thread(runs.error_report, principal, kind, upload_id, file_name, options)
        except (WorkbookUnreadable, WorkbookRefused, ServiceError) as exc:
            yield rx.toast.error(str(exc), id="error-report")
            return
        if ticket is not None:
            yield rx.download(url=ticket.url, filename=ticket.file_name)

    # ------------------------------------------------------------------------------------ committing

    @rx.event(background=True)
    @guarded(Permission.IMPORT)
    async def commit(self) -> Any:
        principal = current_principal()
        async with self:
            if not self.can_commit or not self._upload_id:
                return
            kind, upload_id, file_name = self.kind, self._upload_id, self.file_name
            options = self._options(dry_run=False)
            self.phase, self.message = "committing", "Writing the import…"
        try:
            result = await asyncio.to_thread(runs.commit_file, principal, kind, upload_id, file_name, options)
        except (WorkbookUnreadable, WorkbookRefused, ServiceError) as exc:
            async with self:
                self._reset_result()
                self.phase, self.message = "failed", str(exc)
            return
        async with self:
            self._show(result)
            if result.status == "committed":
                self._upload_id = ""
        if result.status == "committed":
            uploads.discard_upload(upload_id)
            yield rx.toast.success(result.message, id="import-committed")

    @guarded(Permission.IMPORT)
    def start_over(self) -> Any:
        if self._upload_id:
            uploads.discard_upload(self._upload_id)
        self._upload_id, self.file_name, self.phase, self.message = "", "", "idle", ""
        self.upload_progress = 0
        self._reset_result()
        self._set_mapping({}, profile=None)
        self.mapping_rows, self.mapping_open, self.profile_note = [], False, ""
        return rx.clear_selected_files(UPLOAD_ID)

    # ------------------------------------------------------------------------------------ column mapping

    def _set_mapping(self, mapping: dict[str, str], *, profile: ProfileView | None) -> None:
        spec = SPECS.get(self.kind)
        self._mapping = dict(mapping)
        self.applied_mapping = mapping_text(self._mapping, spec)
        self.mapping_error = ""
        if profile is None:
            self.applied_profile, self._profile_mapping = "", {}
        else:
            self.applied_profile, self._profile_mapping = profile.name, dict(mapping)

    def _build_rows(self, headers: list[str], result: ImportResult | None) -> list[dict[str, str]]:
        """One editor row per file header, set to what the file is read as now (or, refused, would be)."""
        column_map = result.column_map if result is not None else None
        return editor_rows(get_spec(self.kind), headers, self._mapping, column_map)

    @guarded(Permission.IMPORT)
    def toggle_mapping(self) -> None:
        self.mapping_open = not self.mapping_open
        self.mapping_error = ""

    @guarded(Permission.IMPORT)
    def map_column(self, index: str, value: str) -> None:
        spec = get_spec(self.kind)
        rows = set_field(self.mapping_rows, index, value, spec)
        if rows is None:
            return
        self.mapping_rows = rows
        self.mapping_error = duplicate_targets(rows, spec)

    def _checked_draft(self) -> dict[str, str] | None:
        """The editor's mapping, checked; None (with the reason shown) when it cannot be used."""
        draft, problem = checked_draft(self.mapping_rows, get_spec(self.kind))
        if draft is None:
            self.mapping_error = problem
        return draft

    @guarded(Permission.IMPORT)
    def apply_mapping(self) -> Any:
        """Preview the file again, read with the mapping of the editor."""
        if not self._upload_id or self.busy:
            return None
        draft = self._checked_draft()
        if draft is None:
            return None
        profile_kept = bool(self.applied_profile) and draft == self._profile_mapping
        name = self.applied_profile
        self._set_mapping(draft, profile=None)
        if profile_kept:
            self.applied_profile, self._profile_mapping = name, dict(draft)
        return ImportState.preview

    @guarded(Permission.IMPORT)
    def clear_profile(self) -> Any:
        """Stop using the applied mapping profile: read the file as it is, without a mapping."""
        self._set_mapping({}, profile=None)
        self.profile_note = ""
        return ImportState.preview if self._upload_id else None

    # ------------------------------------------------------------------------------------ mapping profiles

    def _load_profiles(self) -> None:
        """The kind's saved profiles (ImportProfilesState calls it too, after a save, rename or delete)."""
        if self.kind not in mapping_profiles.IMPORT_KINDS:
            self.profiles = []
            return
        with read_session() as session:
            found = mapping_profiles.list_profiles(session, current_principal(), kind=self.kind)
        self.profiles = profile_rows(found, SPECS.get(self.kind))
