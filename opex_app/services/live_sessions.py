"""How many login sessions are live now (not revoked, seen within the idle limit): a gauge for /metrics.

The same rule as `sessions.resolve`, counted in SQL. The count is over `user_session`, which holds one row per
login; the gauge caches it for a few seconds so a scrape costs one query at most that often.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, func, select

from opex_app.models import UserSession
from opex_app.models._types import utcnow
from opex_app.settings import get_settings


def count_live(session: Session) -> int:
    idle_since = utcnow() - timedelta(hours=get_settings().session_idle_hours)
    query = select(func.count()).where(
        col(UserSession.revoked_at).is_(None), col(UserSession.last_seen_at) >= idle_since
    )
    return int(session.exec(query).one())
