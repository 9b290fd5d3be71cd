"""The column-mapping editor of the import page, as plain functions over its rows: no Reflex, no database.

An editor row is one header of the file: {index, header, field, auto, month, note}. `field` is what the
column is set to (a field name, IGNORE or MONTH), `auto` the field its name alone would be read as ('' =
none), `month` is '1' when the header reads as a month of a kind with month columns. ImportState keeps
the rows in a synced var and calls these functions; they are unit-tested on their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from opex_app.domain.ingest.headers import check_mapping
from opex_app.domain.ingest.months import parse_month_header
from opex_app.domain.ingest.specs import ImportSpec, header_key

if TYPE_CHECKING:
    from opex_app.services.mapping_profiles import ProfileView

IGNORE = "__ignore__"  # the mapping drop-downs' "not mapped" choice (a select item cannot have an empty value)
MONTH = "__month__"  # the drop-down choice of a month column left to be read as a month (not mapped either)
UNMAPPED = (IGNORE, MONTH)

Row = dict[str, str]


def mapping_note(row: Row, rows: Sequence[Row], spec: ImportSpec) -> str:
    """What becomes of a column set to "— ignore —": the engine may still read it by its name."""
    if row["field"] != IGNORE:
        return ""
    auto = row["auto"]
    if auto and not any(other["field"] == auto for other in rows if other["index"] != row["index"]):
        return f"still read as {spec.label(auto)}, by its name"
    return "ignored"


def draft_mapping(rows: Sequence[Row]) -> dict[str, str]:
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


def duplicate_targets(rows: Sequence[Row], spec: ImportSpec) -> str:
    """Why the rows cannot be used when two columns are set to one field ('' when none are)."""
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


def mapping_text(mapping: dict[str, str], spec: ImportSpec | None) -> str:
    """A mapping as the page shows it: 'Cost ID → UID, ...' (a field the kind has not keeps its name)."""

    def label(name: str) -> str:
        try:
            return spec.label(name) if spec else name
        except KeyError:
            return name

    return ", ".join(f"{header} → {label(name)}" for header, name in mapping.items())


def _with_notes(rows: list[Row], spec: ImportSpec) -> list[Row]:
    for row in rows:
        row["note"] = mapping_note(row, rows, spec)
    return rows


def editor_rows(
    spec: ImportSpec, headers: Sequence[str], mapping: dict[str, str], column_map: dict[str, str] | None
) -> list[Row]:
    """One editor row per file header, set to what the file is read as now (or, refused, would be).

    `mapping` is the mapping the file was read with (header -> field); `column_map` the result's
    field -> header read, None when the file was refused (its columns then show what their names say)."""
    mapped = {header_key(h): name for h, name in mapping.items()}
    read = {header_key(h): name for name, h in column_map.items()} if column_map is not None else {}
    rows: list[Row] = []
    for index, header in enumerate(headers):
        key = header_key(header)
        auto = spec.match(header) or ""
        if key in mapped:
            chosen = mapped[key]
        elif column_map is not None:
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
    return _with_notes(rows, spec)


def set_field(rows: Sequence[Row], index: str, value: str, spec: ImportSpec) -> list[Row] | None:
    """The rows with column `index` set to `value` (MONTH only for a month column), notes updated;
    None when `value` is no choice of the kind."""
    if value not in UNMAPPED and value not in spec.names:
        return None
    changed = [dict(row) for row in rows]
    for row in changed:
        if row["index"] == str(index) and (value != MONTH or row["month"]):
            row["field"] = value
    return _with_notes(changed, spec)


def checked_draft(rows: Sequence[Row], spec: ImportSpec) -> tuple[dict[str, str] | None, str]:
    """The editor's mapping, checked against the kind: (mapping, '') or (None, why it cannot be used)."""
    problem = duplicate_targets(rows, spec)
    if problem:
        return None, problem
    try:
        return check_mapping(spec, draft_mapping(rows)), ""
    except ValueError as exc:
        return None, str(exc)


def profile_rows(profiles: Iterable[ProfileView], spec: ImportSpec | None) -> list[Row]:
    """The saved mapping profiles of a kind as the profiles list shows them: [{id, name, columns, updated}]."""
    return [
        {
            "id": str(p.id),
            "name": p.name,
            "columns": mapping_text(p.mapping, spec),
            "updated": f"{p.updated_by}, {p.updated_at:%d %b %Y %H:%M}",
        }
        for p in profiles
    ]
