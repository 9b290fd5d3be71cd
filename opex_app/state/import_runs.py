"""The import page's runs of the import service, and their results in the page's terms. Plain functions,
no Reflex state.

The runs (`preview_file`, `commit_file`, `error_report`) are what ImportState's background events call
through `asyncio.to_thread`: each opens its own session, reads the upload from disk and returns plain
values. The rest turns an `ImportResult` into the short lists the page's synced vars carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from opex_app.auth.permissions import Principal
from opex_app.db import read_session, transaction
from opex_app.domain.ingest.headers import check_mapping
from opex_app.domain.ingest.specs import ImportSpec, get_spec
from opex_app.services import mapping_profiles, uploads
from opex_app.services.imports import (
    ImportOptions,
    ImportResult,
    WorkbookRefused,
    error_report_download,
    run_import,
)
from opex_app.services.mapping_profiles import ProfileView

ERROR_COLUMNS = ("ref", "row", "column", "value", "message")
ERRORS_SHOWN = 500  # error rows the table shows
ERRORS_KEPT = 1000  # error rows kept for sorting (the error report re-reads the file for all of them)
LIST_SHOWN = 200  # warnings, changed cells and missing keys shown

Row = dict[str, str]

# ---------------------------------------------------------------------------------------------- the runs


@dataclass
class Outcome:
    """One preview: the result, or why the file was refused as a whole, and the headers it has."""

    result: ImportResult | None = None
    refusal: str = ""
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)  # the mapping it was read with
    profile: ProfileView | None = None  # the mapping profile applied to it
    note: str = ""  # why a matching profile was not applied


def _dry_run(principal: Principal, kind: str, data: bytes, file_name: str, options: ImportOptions) -> Outcome:
    mapping = dict(options.mapping)
    with read_session() as session:  # a dry run writes nothing
        try:
            result = run_import(session, principal, kind, data, file_name=file_name, options=options)
        except WorkbookRefused as exc:
            return Outcome(refusal=str(exc), headers=list(exc.closest.headers), mapping=mapping)
    return Outcome(result=result, headers=list(result.headers), mapping=mapping)


def preview_file(
    principal: Principal, kind: str, upload_id: str, file_name: str, options: ImportOptions, *, offer_profile: bool
) -> Outcome:
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


def commit_file(
    principal: Principal, kind: str, upload_id: str, file_name: str, options: ImportOptions
) -> ImportResult:
    path = uploads.upload_path(upload_id)
    with transaction() as session:
        return run_import(session, principal, kind, path, file_name=file_name, options=options)


def error_report(principal: Principal, kind: str, upload_id: str, file_name: str, options: ImportOptions) -> Any:
    """Every error of the file (the page keeps only the first ones), as a one-time download."""
    outcome = _dry_run(principal, kind, uploads.upload_path(upload_id).read_bytes(), file_name, options)
    errors = [e.to_json() for e in outcome.result.errors] if outcome.result else []
    return error_report_download(principal, errors, file_name) if errors else None


# ---------------------------------------------------------------------------------------------- display


def text(value: object) -> str:
    return "" if value is None else str(value)


def _error_row(error: Any) -> Row:
    return {
        "ref": error.ref,
        "row": text(error.row),
        "column": error.column,
        "value": error.value,
        "message": error.message,
    }


def summary_of(result: ImportResult) -> Row:
    """The result's counts and names (its scalar fields), as text."""
    return {k: text(v) for k, v in result.to_json().items() if not isinstance(v, list | dict)}


def warning_rows(result: ImportResult) -> list[Row]:
    return [{"ref": w.ref, "message": w.message} for w in result.warnings[:LIST_SHOWN]]


def error_rows(result: ImportResult) -> list[Row]:
    """The first ERRORS_KEPT errors, kept for sorting."""
    return [_error_row(e) for e in result.errors[:ERRORS_KEPT]]


def sorted_errors(rows: Sequence[Row], key: str) -> list[Row]:
    """Error rows by worksheet row, or by another column and then row."""

    def row_number(e: Row) -> int:
        return int(e["row"]) if e["row"].isdigit() else 0

    if key == "row":
        return sorted(rows, key=row_number)
    return sorted(rows, key=lambda e: (e.get(key, ""), row_number(e)))


def change_rows(result: ImportResult) -> list[Row]:
    return [{"key": c.key, "field": c.field, "before": c.before, "after": c.after} for c in result.changes[:LIST_SHOWN]]


def new_master_rows(result: ImportResult, spec: ImportSpec) -> list[Row]:
    return [
        {"kind": spec.label(k) if k in spec.names else k.replace("_", " ").title(), "names": ", ".join(v)}
        for k, v in result.masters_new.items()
        if v
    ]


def missing_text(result: ImportResult, spec: ImportSpec) -> str:
    """The lines of the FY the file does not have (kept as they are), or ''."""
    if not result.missing_count:
        return ""
    shown = ", ".join(result.missing_keys[:LIST_SHOWN])
    more = ", …" if result.missing_count > min(len(result.missing_keys), LIST_SHOWN) else ""
    return (
        f"{result.missing_count} {spec.noun}(s) of {result.fiscal_year} are not in this file; "
        f"they are kept as they are: {shown}{more}"
    )


def read_facts(result: ImportResult, spec: ImportSpec) -> list[Row]:
    """What was read: [{label, value}] for the sheet, header row, layout and columns."""
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
        {"label": "Header row", "value": text(result.header_row)},
        {"label": "Layout", "value": layouts.get(result.layout, result.layout)},
        {"label": "Columns read", "value": "; ".join(columns)},
    ]
    if result.ignored_columns:
        facts.append({"label": "Columns ignored", "value": ", ".join(result.ignored_columns)})
    if result.ignored_sheets:
        facts.append({"label": "Sheets not read", "value": ", ".join(result.ignored_sheets)})
    return [f for f in facts if f["value"]]
