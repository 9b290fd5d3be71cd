"""Import page state: pick the kind, upload a file, preview it (dry run), map its columns when the file
needs it (by hand, or by a saved mapping profile offered for the file's headers), then commit.

The file work runs in background events, off the event loop (asyncio.to_thread) and outside the state
lock. Synced vars carry what the page shows (the first rows of each list); the longer lists live in
backend vars, and the full error report re-reads the file instead of keeping every error in the state.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any

import reflex as rx

from opex_app.auth.permissions import Permission, Principal
from opex_app.db import read_session, transaction
from opex_app.domain.fiscal import FiscalYear, parse_fiscal_year
from opex_app.domain.ingest.headers import check_mapping
from opex_app.domain.ingest.months import parse_month_header
from opex_app.domain.ingest.specs import SPECS, ImportSpec, get_spec, header_key
from opex_app.services import mapping_profiles, uploads
from opex_app.services.errors import ServiceError
from opex_app.services.fiscal_years import current_fiscal_year
from opex_app.services.imports import (
    ImportOptions,
    ImportResult,
    WorkbookRefused,
    WorkbookUnreadable,
    error_report_download,
    run_import,
)
from opex_app.services.mapping_profiles import ProfileView
from opex_app.settings import get_settings
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

UPLOAD_ID = "import-upload"
DEFAULT_KIND = "budget"
FY_FROM_FILE = "From the file"  # the FY choice that takes the fiscal year of the file's dated months
IGNORE = "__ignore__"  # the mapping drop-downs' "not mapped" choice (a select item cannot have an empty value)
MONTH = "__month__"  # the drop-down choice of a month column left to be read as a month (not mapped either)
UNMAPPED = (IGNORE, MONTH)
ERROR_COLUMNS = ("ref", "row", "column", "value", "message")
ERRORS_SHOWN = 500  # error rows the table shows
ERRORS_KEPT = 1000  # error rows kept for sorting (the error report re-reads the file for all of them)
LIST_SHOWN = 200  # warnings, changed cells and missing keys shown
BUSY_PHASES = ("validating", "committing")


def _fy_choices() -> list[str]:
    now = current_fiscal_year()
    return [FY_FROM_FILE, *(FiscalYear(now.end_year + d, now.start_month).name for d in (1, 0, -1))]


def _kind_choices() -> list[dict[str, str]]:
    return [{"kind": kind, "label": f"{spec.noun.capitalize()}s"} for kind, spec in SPECS.items()]


# ---------------------------------------------------------------------------------------------- the work


@dataclass
class _Outcome:
    """One preview: the result, or why the file was refused as a whole, and the headers it has."""

    result: ImportResult | None = None
    refusal: str = ""
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)  # the mapping it was read with
    profile: ProfileView | None = None  # the mapping profile applied to it
    note: str = ""  # why a matching profile was not applied


def _dry_run(principal: Principal, kind: str, data: bytes, file_name: str, options: ImportOptions) -> _Outcome:
    mapping = dict(options.mapping)
    with read_session() as session:  # a dry run writes nothing
        try:
            result = run_import(session, principal, kind, data, file_name=file_name, options=options)
        except WorkbookRefused as exc:
            return _Outcome(refusal=str(exc), headers=list(exc.closest.headers), mapping=mapping)
    return _Outcome(result=result, headers=list(result.headers), mapping=mapping)


def _preview(
    principal: Principal, kind: str, upload_id: str, file_name: str, options: ImportOptions, *, offer_profile: bool
) -> _Outcome:
    """Preview the upload. With `offer_profile` it is first read without a mapping, to learn its headers;
    when a saved mapping profile fits them, the file is read again with the profile's mapping."""
    data = uploads.upload_path(upload_id).read_bytes()
    if not offer_profile:
        return _dry_run(principal, kind, data, file_name, options)
    first = _dry_run(principal, kind, data, file_name, replace(options, mapping={}))
    if not first.headers or kind not in mapping_profiles.IMPORT_KINDS:
        return first
    with read_session() as session:
        profile = mapping_profiles.profile_for_headers(session, principal, kind=kind, headers=first.headers)
    if profile is None:
        return first
    try:
        mapping = check_mapping(get_spec(kind), profile.mapping)
    except ValueError as exc:
        first.note = f"Mapping profile '{profile.name}' fits this file but was not applied: {exc}"
        return first
    if mapping == first.mapping:
        first.profile = profile
        return first
    second = _dry_run(principal, kind, data, file_name, replace(options, mapping=mapping))
    second.profile = profile
    return second


def _commit(principal: Principal, kind: str, upload_id: str, file_name: str, options: ImportOptions) -> ImportResult:
    path = uploads.upload_path(upload_id)
    with transaction() as session:
        return run_import(session, principal, kind, path, file_name=file_name, options=options)


def _error_report(principal: Principal, kind: str, upload_id: str, file_name: str, options: ImportOptions) -> Any:
    """Every error of the file (the page keeps only the first ones), as a one-time download."""
    outcome = _dry_run(principal, kind, uploads.upload_path(upload_id).read_bytes(), file_name, options)
    errors = [e.to_json() for e in outcome.result.errors] if outcome.result else []
    return error_report_download(principal, errors, file_name) if errors else None


# ---------------------------------------------------------------------------------------------- display


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _error_row(error: Any) -> dict[str, str]:
    return {
        "ref": error.ref,
        "row": _text(error.row),
        "column": error.column,
        "value": error.value,
        "message": error.message,
    }


def _mapping_note(row: dict[str, str], rows: list[dict[str, str]], spec: ImportSpec) -> str:
    """What becomes of a column set to "— ignore —": the engine may still read it by its name."""
    if row["field"] != IGNORE:
        return ""
    auto = row["auto"]
    if auto and not any(other["field"] == auto for other in rows if other["index"] != row["index"]):
        return f"still read as {spec.label(auto)}, by its name"
    return "ignored"


def _draft_mapping(rows: list[dict[str, str]]) -> dict[str, str]:
    """The mapping the editor's rows say: every column set to a field it would not be read as by its name
    alone (or that another column would be read as too)."""
    out: dict[str, str] = {}
    for row in rows:
        chosen = row["field"]
        if chosen in UNMAPPED:
            continue
        contested = any(other["index"] != row["index"] and other["auto"] == chosen for other in rows)
        if chosen != row["auto"] or contested:
            out[row["header"]] = chosen
    return out


def _duplicate_targets(rows: list[dict[str, str]], spec: ImportSpec) -> str:
    seen: dict[str, str] = {}
    for row in rows:
        chosen = row["field"]
        if chosen in UNMAPPED:
            continue
        if chosen in seen:
            return (
                f"'{seen[chosen]}' and '{row['header']}' are both set to {spec.label(chosen)}: "
                "set one of them to — ignore —."
            )
        seen[chosen] = row["header"]
    return ""


def _mapping_text(mapping: dict[str, str], spec: ImportSpec | None) -> str:
    def label(name: str) -> str:
        try:
            return spec.label(name) if spec else name
        except KeyError:
            return name

    return ", ".join(f"{header} → {label(name)}" for header, name in mapping.items())


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
    profile_name: str = ""
    # Mapping profiles of the kind
    profiles_open: bool = False
    profiles: list[dict[str, str]] = []  # [{id, name, columns, updated}]
    renaming_id: int = 0
    rename_text: str = ""
    deleting_id: int = 0
    deleting_name: str = ""

    _upload_id: str = ""
    _mapping: dict[str, str] = {}  # the mapping the preview was read with (header -> field)
    _profile_mapping: dict[str, str] = {}  # the applied profile's mapping, to tell when it was edited
    _error_rows: list[dict[str, str]] = []  # the first ERRORS_KEPT errors, for sorting

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
                _preview, principal, kind, upload_id, file_name, options, offer_profile=offer_profile
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
            fy = parse_fiscal_year(self.fy_name, get_settings().fy_start_month)
        return ImportOptions(
            fiscal_year=fy, dry_run=dry_run, skip_invalid=self.skip_invalid, mapping=dict(self._mapping)
        )

    def _show_outcome(self, outcome: _Outcome, *, offer_profile: bool) -> None:
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
        self.summary = {k: _text(v) for k, v in result.to_json().items() if not isinstance(v, list | dict)}
        self.warning_count = len(result.warnings)
        self.warnings = [{"ref": w.ref, "message": w.message} for w in result.warnings[:LIST_SHOWN]]
        self.error_count = len(result.errors)
        self._error_rows = [_error_row(e) for e in result.errors[:ERRORS_KEPT]]
        self.errors = self._sorted_errors()[:ERRORS_SHOWN]
        self.change_count = len(result.changes)
        self.changes = [
            {"key": c.key, "field": c.field, "before": c.before, "after": c.after} for c in result.changes[:LIST_SHOWN]
        ]
        spec = get_spec(result.kind)
        self.new_masters = [
            {"kind": spec.label(k) if k in spec.names else k.replace("_", " ").title(), "names": ", ".join(v)}
            for k, v in result.masters_new.items()
            if v
        ]
        self.missing = ""
        if result.missing_count:
            shown = ", ".join(result.missing_keys[:LIST_SHOWN])
            more = ", …" if result.missing_count > min(len(result.missing_keys), LIST_SHOWN) else ""
            self.missing = (
                f"{result.missing_count} {spec.noun}(s) of {result.fiscal_year} are not in this file; "
                f"they are kept as they are: {shown}{more}"
            )
        self.read_facts = self._facts(result, spec)

    def _facts(self, result: ImportResult, spec: ImportSpec) -> list[dict[str, str]]:
        read = set(result.column_map.values())
        ignored = set(result.ignored_columns)
        months = [h for h in result.headers if h not in read and h not in ignored] if spec.month_columns else []
        columns = [f"{spec.label(name)} ← '{header}'" for name, header in result.column_map.items()]
        if months:
            span = months[0] if len(months) == 1 else f"{months[0]} … {months[-1]}"
            columns.append(f"{len(months)} month column(s) ({span})")
        layouts = {"wide": "one row per line, months as columns", "long": "one row per line and month"}
        facts = [
            {"label": "Sheet", "value": result.sheet},
            {"label": "Header row", "value": _text(result.header_row)},
            {"label": "Layout", "value": layouts.get(result.layout, result.layout)},
            {"label": "Columns read", "value": "; ".join(columns)},
        ]
        if result.ignored_columns:
            facts.append({"label": "Columns ignored", "value": ", ".join(result.ignored_columns)})
        if result.ignored_sheets:
            facts.append({"label": "Sheets not read", "value": ", ".join(result.ignored_sheets)})
        return [f for f in facts if f["value"]]

    def _reset_result(self) -> None:
        self.summary, self.warnings, self.errors, self.changes, self.new_masters = {}, [], [], [], []
        self.warning_count = self.error_count = self.change_count = 0
        self.missing, self.read_facts, self._error_rows = "", [], []

    def _sorted_errors(self) -> list[dict[str, str]]:
        def row_number(e: dict[str, str]) -> int:
            return int(e["row"]) if e["row"].isdigit() else 0

        key = self.error_sort
        if key == "row":
            return sorted(self._error_rows, key=row_number)
        return sorted(self._error_rows, key=lambda e: (e.get(key, ""), row_number(e)))

    @guarded(Permission.IMPORT)
    def sort_errors(self, column: str) -> None:
        if column in ERROR_COLUMNS:
            self.error_sort = column
            self.errors = self._sorted_errors()[:ERRORS_SHOWN]

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
            ticket = await asyncio.to_thread(_error_report, principal, kind, upload_id, file_name, options)
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
            result = await asyncio.to_thread(_commit, principal, kind, upload_id, file_name, options)
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
        self.applied_mapping = _mapping_text(self._mapping, spec)
        self.mapping_error = ""
        if profile is None:
            self.applied_profile, self._profile_mapping = "", {}
        else:
            self.applied_profile, self._profile_mapping = profile.name, dict(mapping)

    def _build_rows(self, headers: list[str], result: ImportResult | None) -> list[dict[str, str]]:
        """One editor row per file header, set to what the file is read as now (or, refused, would be)."""
        spec = get_spec(self.kind)
        mapped = {header_key(h): name for h, name in self._mapping.items()}
        read = {header_key(h): name for name, h in result.column_map.items()} if result else {}
        rows: list[dict[str, str]] = []
        for index, header in enumerate(headers):
            key = header_key(header)
            auto = spec.match(header) or ""
            if key in mapped:
                chosen = mapped[key]
            elif result is not None:
                chosen = read.get(key, "")
            else:
                chosen = auto
            month = spec.month_columns and parse_month_header(header) is not None
            unmapped = MONTH if month else IGNORE
            rows.append(
                {
                    "index": str(index),
                    "header": header,
                    "field": chosen or unmapped,
                    "auto": auto,
                    "month": "1" if month else "",
                    "note": "",
                }
            )
        for row in rows:
            row["note"] = _mapping_note(row, rows, spec)
        return rows

    @guarded(Permission.IMPORT)
    def toggle_mapping(self) -> None:
        self.mapping_open = not self.mapping_open
        self.mapping_error = ""

    @guarded(Permission.IMPORT)
    def map_column(self, index: str, value: str) -> None:
        spec = get_spec(self.kind)
        if value not in UNMAPPED and value not in spec.names:
            return
        rows = [dict(row) for row in self.mapping_rows]
        for row in rows:
            if row["index"] == str(index) and (value != MONTH or row["month"]):
                row["field"] = value
        for row in rows:
            row["note"] = _mapping_note(row, rows, spec)
        self.mapping_rows = rows
        self.mapping_error = _duplicate_targets(rows, spec)

    def _checked_draft(self) -> dict[str, str] | None:
        """The editor's mapping, checked; None (with the reason shown) when it cannot be used."""
        spec = get_spec(self.kind)
        problem = _duplicate_targets(self.mapping_rows, spec)
        if problem:
            self.mapping_error = problem
            return None
        try:
            return check_mapping(spec, _draft_mapping(self.mapping_rows))
        except ValueError as exc:
            self.mapping_error = str(exc)
            return None

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

    @guarded(Permission.IMPORT)
    def set_profile_name(self, value: str) -> None:
        self.profile_name = value

    @guarded(Permission.IMPORT)
    def save_profile(self) -> Any:
        """Save the editor's mapping as a named profile of the kind, offered again for files like this one."""
        draft = self._checked_draft()
        if draft is None:
            return None
        try:
            with transaction() as session:
                saved = mapping_profiles.save_profile(
                    session, current_principal(), kind=self.kind, name=self.profile_name, mapping=draft
                )
        except ServiceError as exc:
            return rx.toast.error(str(exc), id="profile-save")
        if draft == self._mapping:
            self.applied_profile, self._profile_mapping = saved.name, dict(draft)
        self.profile_name = ""
        self._load_profiles()
        return rx.toast.success(f"Mapping profile '{saved.name}' saved", id="profile-save")

    # ------------------------------------------------------------------------------------ mapping profiles

    def _load_profiles(self) -> None:
        if self.kind not in mapping_profiles.IMPORT_KINDS:
            self.profiles = []
            return
        spec = SPECS.get(self.kind)
        with read_session() as session:
            found = mapping_profiles.list_profiles(session, current_principal(), kind=self.kind)
        self.profiles = [
            {
                "id": str(p.id),
                "name": p.name,
                "columns": _mapping_text(p.mapping, spec),
                "updated": f"{p.updated_by}, {p.updated_at:%d %b %Y %H:%M}",
            }
            for p in found
        ]

    @guarded(Permission.IMPORT)
    def toggle_profiles(self) -> None:
        self.profiles_open = not self.profiles_open
        if self.profiles_open:
            self._load_profiles()

    @guarded(Permission.IMPORT)
    def begin_rename(self, profile_id: str, name: str) -> None:
        self.renaming_id, self.rename_text = int(profile_id), name

    @guarded(Permission.IMPORT)
    def set_rename_text(self, value: str) -> None:
        self.rename_text = value

    @guarded(Permission.IMPORT)
    def cancel_rename(self) -> None:
        self.renaming_id, self.rename_text = 0, ""

    @guarded(Permission.IMPORT)
    def confirm_rename(self) -> Any:
        if not self.renaming_id:
            return None
        old = next((p["name"] for p in self.profiles if p["id"] == str(self.renaming_id)), "")
        try:
            with transaction() as session:
                renamed = mapping_profiles.rename_profile(
                    session, current_principal(), profile_id=self.renaming_id, new_name=self.rename_text
                )
        except ServiceError as exc:
            return rx.toast.error(str(exc), id="profile-rename")
        if old and self.applied_profile == old:
            self.applied_profile = renamed.name
        self.renaming_id, self.rename_text = 0, ""
        self._load_profiles()
        return rx.toast.success(f"Mapping profile renamed to '{renamed.name}'", id="profile-rename")

    @guarded(Permission.IMPORT)
    def ask_delete(self, profile_id: str, name: str) -> None:
        self.deleting_id, self.deleting_name = int(profile_id), name

    @guarded(Permission.IMPORT)
    def cancel_delete(self) -> None:
        self.deleting_id, self.deleting_name = 0, ""

    @guarded(Permission.IMPORT)
    def confirm_delete(self) -> Any:
        if not self.deleting_id:
            return None
        name = self.deleting_name
        try:
            with transaction() as session:
                mapping_profiles.delete_profile(session, current_principal(), profile_id=self.deleting_id)
        except ServiceError as exc:
            return rx.toast.error(str(exc), id="profile-delete")
        if self.applied_profile == name:  # the mapping stays in use; it is no longer a saved profile
            self.applied_profile, self._profile_mapping = "", {}
        self.deleting_id, self.deleting_name = 0, ""
        self._load_profiles()
        return rx.toast.success(f"Mapping profile '{name}' deleted", id="profile-delete")
