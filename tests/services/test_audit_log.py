"""The audit log on real PostgreSQL: filters (actor, entity, id or UID, action, dates), paging, changes in
words (labels, fiscal months, amounts in the reader's format), and the indexed "which import created it"."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from opex_app.auth.permissions import PermissionDenied, cli_principal
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import AuditEvent, ImportBatch
from opex_app.services import audit
from opex_app.services.audit_log import AuditQuery, cell_history, export_download, search
from opex_app.services.budget_lines import update_line
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.settings import get_settings
from tests.conftest import make_principal
from tests.services.lines import add_line

FY = FiscalYear(2057)  # Apr-56 .. Mar-57, a year no other test uses


@pytest.fixture()
def edited(session: Session, analyst):
    """Line AL-1 edited once by `analyst` (Aug-56 100 -> 123456.78, and its description); line AL-2 once."""
    fy = ensure_fiscal_year(session, FY)
    one = add_line(session, fy, "AL-1", {5: "100"}, description="Hosting")
    two = add_line(session, fy, "AL-2", {1: "5"})
    update_line(session, analyst, one.id, expected_version=1, changes={"m05": "123456.78", "description": "Cloud"})
    update_line(session, analyst, two.id, expected_version=1, changes={"m01": "7"})
    return one, two, analyst


def test_a_lines_uid_finds_its_changes_in_words(session: Session, edited, admin) -> None:
    one, _, analyst = edited
    page = search(session, principal=admin, query=AuditQuery(ref="AL-1"))
    assert page.total == 1 and page.page_count == 1
    (row,) = page.rows
    assert (row.actor, row.action, row.entity, row.entity_id) == (analyst.actor, "update", "budget_line", str(one.id))
    assert [(c.label, c.before, c.after) for c in row.changes] == [
        ("Description", "Hosting", "Cloud"),
        ("Aug-56", "100.00", "1,23,456.78"),
    ]
    western = search(session, principal=admin, query=AuditQuery(ref=str(one.id)), number_format="western")
    assert [c.after for c in western.rows[0].changes] == ["Cloud", "123,456.78"]


def test_filters_by_actor_entity_action_and_dates(session: Session, edited, admin) -> None:
    _, two, analyst = edited
    other = make_principal(session, "analyst")
    update_line(session, other, two.id, expected_version=2, changes={"m02": "1"})
    mine = search(session, principal=admin, query=AuditQuery(actor=analyst.actor.upper(), entity="budget_line"))
    assert mine.total == 2 and {r.actor for r in mine.rows} == {analyst.actor}
    theirs = search(session, principal=admin, query=AuditQuery(ref="AL-2", action="update"))
    assert [r.actor for r in theirs.rows] == [other.actor, analyst.actor]  # newest first
    assert search(session, principal=admin, query=AuditQuery(ref="AL-2", action="delete")).total == 0
    day = theirs.rows[0].at.date()
    assert search(session, principal=admin, query=AuditQuery(ref="AL-2", date_from=day, date_to=day)).total == 2
    before = AuditQuery(ref="AL-2", date_to=day - timedelta(days=1))
    assert search(session, principal=admin, query=before).total == 0


def test_pages_are_cut_in_the_database_and_past_the_end_is_the_last(session: Session, admin) -> None:
    actor = "pager@example.com"
    for i in range(7):
        session.add(AuditEvent(actor=actor, action="update", entity="tower", entity_id=str(i), changes={}))
    session.flush()
    query = AuditQuery(actor=actor)
    first = search(session, principal=admin, query=query, page=1, page_size=3)
    assert (first.total, first.page_count, [r.entity_id for r in first.rows]) == (7, 3, ["6", "5", "4"])
    last = search(session, principal=admin, query=query, page=99, page_size=3)
    assert (last.page, [r.entity_id for r in last.rows]) == (3, ["0"])


def test_a_month_of_an_unknown_year_is_month_n(session: Session, admin) -> None:
    session.add(
        AuditEvent(
            actor="x@example.com",
            action="update",
            entity="budget_line",
            entity_id="999999999",
            changes={"m05": ["1", "2"]},
        )
    )
    session.flush()
    (row,) = search(session, principal=admin, query=AuditQuery(ref="999999999")).rows
    assert [(c.label, c.before, c.after) for c in row.changes] == [("Month 5", "1.00", "2.00")]


def test_url_parameters_round_trip_and_an_unreadable_date_is_reported() -> None:
    query, problems = AuditQuery.from_params({"actor": " a@b ", "ref": "AL-1", "date_from": "2056-08-01"})
    assert problems == []
    assert AuditQuery.from_params(query.as_params())[0] == query
    assert query.as_params() == {"actor": "a@b", "ref": "AL-1", "date_from": "2056-08-01"}
    ignored, problems = AuditQuery.from_params({"date_to": "31/08/2056"})
    assert ignored.date_to is None and problems == [
        "'31/08/2056' is not a date (YYYY-MM-DD); the date to filter is ignored"
    ]


def test_only_view_audit_reads_the_log(session: Session, viewer) -> None:
    with pytest.raises(PermissionDenied):
        search(session, principal=viewer, query=AuditQuery())


def test_which_import_created_a_line_is_answered_by_the_gin_index(session: Session) -> None:
    fy = ensure_fiscal_year(session, FY)
    batch = ImportBatch(
        kind="budget",
        file_name="v1.xlsx",
        file_size=1,
        sha256="a" * 64,
        fiscal_year_id=fy.id,
        actor="t",
        status="committed",
    )
    session.add(batch)
    session.flush()
    session.add(
        AuditEvent(
            actor="t",
            action="import",
            entity="budget_line",
            import_batch_id=batch.id,
            changes={"created_uids": [None, ["AL-8", "AL-9"]]},
        )
    )
    session.flush()
    found = audit.import_that_created(session, cli_principal(), fiscal_year_id=fy.id or 0, uid="AL-9")
    assert found is not None and found[1:] == ("v1.xlsx", "a" * 64)
    assert audit.import_that_created(session, cli_principal(), fiscal_year_id=fy.id or 0, uid="AL-7") is None
    # A trail of realistic shape (many line updates, some imports of many lines each), so the planner's
    # choice is the one production makes.
    session.execute(
        text(
            "INSERT INTO audit_event (actor, action, entity, entity_id, changes) "
            "SELECT 't', 'update', 'budget_line', g::text, jsonb_build_object('m01', jsonb_build_array('1', '2')) "
            "FROM generate_series(1, 20000) g"
        )
    )
    others = [
        ImportBatch(
            kind="budget",
            file_name=f"b{i}.xlsx",
            file_size=1,
            sha256="b" * 64,
            fiscal_year_id=fy.id,
            actor="t",
            status="committed",
        )
        for i in range(300)
    ]
    session.add_all(others)
    session.flush()
    session.execute(
        text(
            "INSERT INTO audit_event (actor, action, entity, import_batch_id, changes) "
            "SELECT 't', 'import', 'budget_line', b, jsonb_build_object('created_uids', jsonb_build_array("
            "  NULL, (SELECT jsonb_agg('B' || b || '-' || u) FROM generate_series(1, 200) u))) "
            "FROM unnest(CAST(:batches AS int[])) b"
        ),
        {"batches": [b.id for b in others]},
    )
    session.execute(text("ANALYZE import_batch"))
    session.execute(text("ANALYZE audit_event"))
    plan = session.execute(
        text("EXPLAIN " + str(audit.CREATED_BY_IMPORT)), audit.created_by_import_params(fy.id or 0, "AL-9")
    ).scalars()
    assert "Bitmap Index Scan on ix_audit_event_import_changes" in "\n".join(plan)


def test_the_filtered_events_export_one_row_per_changed_field(
    session: Session, edited, admin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import load_workbook

    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    _, _, analyst = edited
    events, ticket = export_download(session, principal=admin, query=AuditQuery(ref="AL-1"), number_format="western")
    assert events == 1 and ticket.file_name == "audit-trail.xlsx" and ticket.user_id == admin.user_id
    sheet = load_workbook(ticket.path, read_only=True)["Audit"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Audit trail (ref=AL-1), 1 event"
    assert rows[2] == ["When (UTC)", "Who", "Action", "What", "Id", "Field", "Before", "After"]
    assert [r[1:] for r in rows[3:]] == [
        [analyst.actor, "update", "budget_line", rows[3][4], "Description", "Hosting", "Cloud"],
        [analyst.actor, "update", "budget_line", rows[3][4], "Aug-56", "100.00", "123,456.78"],
    ]
    with pytest.raises(PermissionDenied):
        export_download(session, principal=analyst, query=AuditQuery())


def test_a_months_history_lists_each_value_with_who_and_when(session: Session, edited, viewer) -> None:
    one, _, analyst = edited
    other = make_principal(session, "analyst")
    update_line(session, other, one.id, expected_version=2, changes={"m05": "99"})
    update_line(session, other, one.id, expected_version=3, changes={"m06": "1"})  # another month: not listed
    history = cell_history(session, principal=viewer, line_id=one.id, month=5)
    assert [(h.actor, h.action, h.before, h.after) for h in history] == [
        (other.actor, "update", "1,23,456.78", "99.00"),
        (analyst.actor, "update", "100.00", "1,23,456.78"),
    ]
    western = cell_history(session, principal=viewer, line_id=one.id, month=5, number_format="western")
    assert western[1].after == "123,456.78"
    assert cell_history(session, principal=viewer, line_id=one.id, month=1) == []
