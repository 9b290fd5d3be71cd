"""The import page's column-mapping editor, as plain functions: no browser, no Reflex, no database."""

from __future__ import annotations

from datetime import datetime

from opex_app.domain.ingest.specs import get_spec
from opex_app.services.mapping_profiles import ProfileView
from opex_app.state.import_mapping import (
    IGNORE,
    MONTH,
    checked_draft,
    draft_mapping,
    duplicate_targets,
    editor_rows,
    mapping_note,
    mapping_text,
    profile_rows,
    set_field,
)

SPEC = get_spec("budget")
HEADERS = ["Cost ID", "Description", "Apr-44", "Owner"]  # no UID column; 'Description' is read by its name


def _fields(rows: list[dict[str, str]]) -> list[str]:
    return [row["field"] for row in rows]


def test_a_refused_file_shows_what_its_headers_say() -> None:
    rows = editor_rows(SPEC, HEADERS, {}, None)
    assert _fields(rows) == [IGNORE, "description", MONTH, IGNORE]
    assert [row["index"] for row in rows] == ["0", "1", "2", "3"]
    assert [row["month"] for row in rows] == ["", "", "1", ""]
    assert rows[1]["auto"] == "description"
    assert rows[0]["note"] == "ignored"
    assert rows[2]["note"] == ""  # a month column is not "ignored"


def test_rows_follow_the_mapping_then_what_was_read() -> None:
    # The mapping is matched on the header key (case and punctuation do not count).
    column_map = {"uid": "Cost ID", "description": "Description"}
    rows = editor_rows(SPEC, HEADERS, {"cost-id": "uid"}, column_map)
    assert _fields(rows) == ["uid", "description", MONTH, IGNORE]
    # With a result, a column it did not read shows as not mapped, even when its name says a field.
    rows = editor_rows(SPEC, HEADERS, {}, {"uid": "Cost ID"})
    assert _fields(rows) == ["uid", IGNORE, MONTH, IGNORE]
    assert rows[1]["note"] == "still read as Description, by its name"


def test_set_field_changes_one_row_and_its_notes_without_touching_the_input() -> None:
    rows = editor_rows(SPEC, HEADERS, {}, None)
    changed = set_field(rows, "1", IGNORE, SPEC)
    assert changed is not None
    assert _fields(changed) == [IGNORE, IGNORE, MONTH, IGNORE]
    assert changed[1]["note"] == "still read as Description, by its name"
    assert rows[1]["field"] == "description"  # the rows given are not changed

    # Another column set to the field its name says: the column is then ignored for good.
    taken = set_field(changed, "0", "description", SPEC)
    assert taken is not None
    assert taken[1]["note"] == "ignored"


def test_set_field_refuses_unknown_values_and_month_for_a_non_month_column() -> None:
    rows = editor_rows(SPEC, HEADERS, {}, None)
    assert set_field(rows, "0", "no_such_field", SPEC) is None
    unchanged = set_field(rows, "3", MONTH, SPEC)  # 'Owner' is no month
    assert unchanged is not None
    assert _fields(unchanged) == _fields(rows)
    assert set_field(rows, "2", IGNORE, SPEC) is not None


def test_draft_mapping_keeps_only_what_names_alone_would_not_say() -> None:
    rows = set_field(editor_rows(SPEC, HEADERS, {}, None), "0", "uid", SPEC)
    assert rows is not None
    assert draft_mapping(rows) == {"Cost ID": "uid"}  # 'Description' is read by its name: not in the draft

    # A field another column would be read as by its name is contested: it is kept in the draft.
    freed = set_field(rows, "1", IGNORE, SPEC)
    assert freed is not None
    contested = set_field(freed, "3", "description", SPEC)
    assert contested is not None
    assert draft_mapping(contested) == {"Cost ID": "uid", "Owner": "description"}


def test_two_columns_on_one_field_are_refused() -> None:
    rows = set_field(editor_rows(SPEC, HEADERS, {}, None), "3", "description", SPEC)
    assert rows is not None
    problem = duplicate_targets(rows, SPEC)
    assert problem == "'Description' and 'Owner' are both set to Description: set one of them to — ignore —."
    assert checked_draft(rows, SPEC) == (None, problem)
    fine = set_field(rows, "1", IGNORE, SPEC)
    assert fine is not None
    assert duplicate_targets(fine, SPEC) == ""


def test_checked_draft_resolves_or_says_why_not() -> None:
    rows = set_field(editor_rows(SPEC, HEADERS, {}, None), "0", "uid", SPEC)
    assert rows is not None
    assert checked_draft(rows, SPEC) == ({"Cost ID": "uid"}, "")
    bad = [dict(row) for row in rows]
    bad[3]["field"] = "owner"  # not a budget field (the drop-downs never offer it; a stale event might)
    draft, problem = checked_draft(bad, SPEC)
    assert draft is None
    assert "'owner' (mapped from 'Owner') is not a budget field" in problem


def test_mapping_note_only_for_ignored_columns() -> None:
    rows = editor_rows(SPEC, HEADERS, {}, None)
    assert mapping_note(rows[1], rows, SPEC) == ""
    assert mapping_note(rows[3], rows, SPEC) == "ignored"


def test_mapping_text_uses_labels_and_keeps_unknown_names() -> None:
    mapping = {"Cost ID": "uid", "Total": "total", "Owner": "owner"}
    assert mapping_text(mapping, SPEC) == "Cost ID → UID, Total → FY Total, Owner → owner"
    assert mapping_text(mapping, None) == "Cost ID → uid, Total → total, Owner → owner"
    assert mapping_text({}, SPEC) == ""


def test_profile_rows() -> None:
    profile = ProfileView(
        id=7,
        kind="budget",
        name="Cost ID tracker",
        mapping={"Cost ID": "uid"},
        updated_by="analyst@example.com",
        updated_at=datetime(2026, 5, 4, 9, 30),
    )
    assert profile_rows([profile], SPEC) == [
        {
            "id": "7",
            "name": "Cost ID tracker",
            "columns": "Cost ID → UID",
            "updated": "analyst@example.com, 04 May 2026 09:30",
        }
    ]
