"""The activity log (services/activity.py): logins, failed logins and logouts recorded by services/sessions,
served files by the download route, kept when the login throttle prunes its attempts, filtered and paged."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from opex_app.api.routes import api
from opex_app.auth.permissions import PermissionDenied, Principal
from opex_app.models import ActivityEvent, LoginAttempt
from opex_app.models._types import utcnow
from opex_app.services import activity, downloads, login_throttle, sessions
from opex_app.services.activity import ActivityQuery, Kind
from opex_app.settings import get_settings
from tests.conftest import make_principal

PASSWORD = "correct horse battery"


pytestmark = pytest.mark.usefixtures("cheap_hashing")


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _events(session: Session, actor: str) -> list[ActivityEvent]:
    stmt = select(ActivityEvent).where(ActivityEvent.actor == actor).order_by(col(ActivityEvent.id))
    return list(session.exec(stmt))


def test_login_failed_login_and_logout_are_recorded_with_the_address(session: Session) -> None:
    user = make_principal(session, "viewer", f"act-{_tag()}@example.com")
    with pytest.raises(sessions.LoginRefused):
        sessions.login(session, email=user.actor.upper(), password="wrong guess", ip="203.0.113.7")
    ghost = f"ghost-{_tag()}@example.com"
    with pytest.raises(sessions.LoginRefused):
        sessions.login(session, email=ghost, password="anything at all", ip="203.0.113.8")
    token, _ = sessions.login(session, email=user.actor, password=PASSWORD, ip="198.51.100.20")
    sessions.logout(session, token, ip="198.51.100.21")

    seen = [(e.kind, e.user_id, e.ip, e.detail) for e in _events(session, user.actor)]
    assert seen == [
        ("login_failed", None, "203.0.113.7", ""),  # the e-mail tried, no account named: as for an unknown one
        ("login", user.user_id, "198.51.100.20", ""),
        ("logout", user.user_id, "198.51.100.21", ""),
    ]
    [tried] = _events(session, ghost)
    assert (tried.kind, tried.user_id, tried.ip) == ("login_failed", None, "203.0.113.8")


def test_a_logout_without_an_address_and_a_throttled_attempt(session: Session, monkeypatch) -> None:
    """No address: 'unknown', as the throttle stores it. A throttled attempt is refused before the password is
    looked at and recorded in neither table, so hammering fills neither."""
    user = make_principal(session, "viewer", f"act-{_tag()}@example.com")
    token, _ = sessions.login(session, email=user.actor, password=PASSWORD, ip="198.51.100.20")
    sessions.logout(session, token)
    assert [(e.kind, e.ip) for e in _events(session, user.actor)] == [("login", "198.51.100.20"), ("logout", "unknown")]
    monkeypatch.setattr(login_throttle, "wait_seconds", lambda *a, **k: 30)
    with pytest.raises(sessions.LoginRefused, match="Too many failed attempts"):
        sessions.login(session, email=user.actor, password="wrong guess", ip="203.0.113.7")
    assert len(_events(session, user.actor)) == 2


def test_pruning_the_throttles_attempts_keeps_the_activity_history(session: Session) -> None:
    user = make_principal(session, "viewer", f"act-{_tag()}@example.com")
    with pytest.raises(sessions.LoginRefused):
        sessions.login(session, email=user.actor, password="wrong guess", ip="203.0.113.7")
    long_after = utcnow() + timedelta(days=get_settings().login_trusted_days + 1)
    assert login_throttle.prune(session, now=long_after) >= 1
    attempts = session.exec(select(LoginAttempt).where(LoginAttempt.email_key == user.actor)).all()
    assert attempts == []
    assert [e.kind for e in _events(session, user.actor)] == ["login_failed"]


def test_the_activity_log_is_append_only(session: Session, admin: Principal) -> None:
    event = activity.record(session, kind=Kind.EXPORT, actor=admin.actor, ip="10.0.0.1", user_id=admin.user_id)
    session.flush()
    for statement in ("UPDATE activity_event SET ip = 'x' WHERE id = :id", "DELETE FROM activity_event WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(statement), {"id": event.id})
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("TRUNCATE activity_event"))


def test_search_filters_on_user_kind_and_dates_pages_newest_first(session: Session, admin: Principal) -> None:
    tag = _tag()
    now = utcnow()
    for day in range(5):  # one export a day for five days, by two users
        actor = f"{tag}-{'ann' if day % 2 else 'bob'}@example.com"
        activity.record(
            session, kind=Kind.EXPORT, actor=actor, ip="10.0.0.1", detail=f"f{day}.xlsx", at=now - timedelta(days=day)
        )
    activity.record(session, kind=Kind.LOGIN_FAILED, actor=f"{tag}-ann@example.com", ip="10.0.0.2", at=now)
    session.flush()

    found = activity.search(session, principal=admin, query=ActivityQuery(user=tag.upper()), page_size=4)
    assert (found.total, found.page, found.page_count) == (6, 1, 2)
    assert [r.detail for r in found.rows][:2] in (["", "f0.xlsx"], ["f0.xlsx", ""])  # today's two first
    assert activity.search(session, principal=admin, query=ActivityQuery(user=tag), page=9, page_size=4).page == 2

    exports = activity.search(session, principal=admin, query=ActivityQuery(user=f"{tag}-ann", kind="export"))
    assert [r.detail for r in exports.rows] == ["f1.xlsx", "f3.xlsx"]
    assert exports.rows[0].kind_label == "Export"
    span = ActivityQuery(user=tag, date_from=(now - timedelta(days=3)).date(), date_to=(now - timedelta(days=1)).date())
    assert sorted(r.detail for r in activity.search(session, principal=admin, query=span).rows) == [
        "f1.xlsx",
        "f2.xlsx",
        "f3.xlsx",
    ]


def test_only_who_may_view_audit_reads_the_log(session: Session, viewer: Principal) -> None:
    with pytest.raises(PermissionDenied):
        activity.search(session, principal=viewer, query=ActivityQuery())
    approver = make_principal(session, "approver")  # view audit without being an admin
    assert activity.search(session, principal=approver, query=ActivityQuery(user=_tag())).total == 0


def test_unreadable_filters_are_reported_and_ignored() -> None:
    query, problems = ActivityQuery.from_params({"kind": "hack", "date_from": "31/12/2026", "user": " Ann "})
    assert query == ActivityQuery(user="Ann")
    assert problems == [
        "'hack' is not a kind of event; the event filter is ignored",
        "'31/12/2026' is not a date (YYYY-MM-DD); the date from filter is ignored",
    ]
    assert ActivityQuery.from_params({"kind": "login_failed", "date_to": "2026-11-30"})[0].as_params() == {
        "kind": "login_failed",
        "date_to": "2026-11-30",
    }


def test_the_export_holds_the_filtered_events(session: Session, admin: Principal, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    tag = _tag()
    activity.record(session, kind=Kind.DOWNLOAD, actor=f"{tag}@example.com", ip="10.9.8.7", detail="budget.xlsx")
    session.flush()
    count, ticket = activity.export_download(session, principal=admin, query=ActivityQuery(user=tag))
    assert count == 1 and ticket.file_name == "activity-log.xlsx" and ticket.activity == "export"
    sheet = openpyxl.load_workbook(ticket.path)["Activity"]
    assert sheet["A1"].value == f"Activity log (user={tag}), 1 event"
    assert [c.value for c in sheet[3]] == ["When (UTC)", "Who", "Event", "IP address", "Detail"]
    assert [c.value for c in sheet[4]][1:] == [f"{tag}@example.com", "Download", "10.9.8.7", "budget.xlsx"]


@pytest.fixture()
def served(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A user committed for the download route (it writes in its own transaction), and a way to serve them a
    ticket; yields (user, serve(activity, headers) -> status)."""
    from opex_app.db import read_session, transaction

    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    with transaction() as session:
        user = make_principal(session, "viewer", f"served-{_tag()}@example.com")
    client = TestClient(api)

    def serve(kind: str, name: str, headers: dict[str, str] | None = None) -> list[ActivityEvent]:
        with downloads.issue(name, user_id=user.user_id, activity=kind) as ticket:
            ticket.path.write_bytes(b"PK data")
        assert client.head(ticket.url).status_code == 200
        assert client.get(ticket.url, headers=headers or {}).status_code == 200
        assert client.get(ticket.url).status_code == 404  # used up: served, and logged, once
        with read_session() as session:
            return _events(session, user.actor)

    return user, serve


def test_the_download_route_logs_each_served_file_once(served) -> None:
    user, serve = served
    serve("export", "budget-FY31.xlsx")
    events = serve("download", "my import.xlsx")
    assert [(e.kind, e.user_id, e.ip, e.detail) for e in events] == [
        ("export", user.user_id, "testclient", "budget-FY31.xlsx"),  # starlette's test client's peer address
        ("download", user.user_id, "testclient", "my import.xlsx"),
    ]


def test_the_route_trusts_x_forwarded_for_only_as_far_as_the_configured_proxies(served, monkeypatch) -> None:
    from reflex.config import get_config

    _, serve = served
    chain = {"X-Forwarded-For": "198.51.100.9, 10.0.0.5"}
    assert serve("export", "a.xlsx", chain)[-1].ip == "testclient"  # no trusted proxy: the header is ignored
    monkeypatch.setattr(get_config(), "trusted_proxy_hops", 1)
    assert serve("export", "b.xlsx", chain)[-1].ip == "10.0.0.5"  # the entry the one trusted proxy added
    monkeypatch.setattr(get_config(), "trusted_proxy_hops", 2)
    assert serve("export", "c.xlsx", chain)[-1].ip == "198.51.100.9"
