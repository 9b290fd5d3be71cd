"""The figures /metrics computes when it is read: live sessions (one count, cached) and the DB pool."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from opex_app import db
from opex_app.models import UserSession
from opex_app.models._types import utcnow
from opex_app.services import sessions
from opex_app.services.live_sessions import count_live
from opex_app.services.metrics import render
from opex_app.services.scrape_figures import LiveSessions, sample_pool
from tests.observability.scraped import sample


def test_live_sessions_are_the_unrevoked_recently_seen_ones(session: Session, analyst) -> None:
    before = count_live(session)
    token, _ = sessions.login(session, email=analyst.actor, password="correct horse battery")
    assert count_live(session) == before + 1
    stale = UserSession(token_hash="f" * 64, user_id=analyst.user_id, last_seen_at=utcnow() - timedelta(days=30))
    session.add(stale)
    session.flush()
    assert count_live(session) == before + 1, "an idle session is not live"
    sessions.logout(session, token)
    session.flush()
    assert count_live(session) == before


def test_the_count_is_cached_between_scrapes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    collector = LiveSessions(ttl=60)
    monkeypatch.setattr(collector, "_count", lambda: calls.append(1) or 7)
    first, second = render(collector).decode(), render(collector).decode()
    assert sample(first, "opex_active_sessions") == sample(second, "opex_active_sessions") == 7
    assert len(calls) == 1
    collector.ttl = 0
    render(collector)
    assert len(calls) == 2


def test_a_scrape_counts_sessions_in_the_database_and_reports_the_pool(database_url: str) -> None:
    with db.get_engine().connect():  # one connection checked out while the scrape runs
        sample_pool()  # what the endpoint does before rendering
        text = render(LiveSessions()).decode()
    assert sample(text, "opex_active_sessions") is not None
    checked_out = sample(text, "opex_db_pool_connections", engine="primary", state="checked_out")
    size, capacity = (sample(text, "opex_db_pool_connections", engine="primary", state=s) for s in ("size", "capacity"))
    assert checked_out is not None and checked_out >= 1
    assert size is not None and capacity is not None and capacity >= size > 0


def test_an_unreadable_database_leaves_the_sessions_out(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("connection refused")

    monkeypatch.setattr(db, "read_session", broken)
    assert sample(render(LiveSessions()).decode(), "opex_active_sessions") is None
