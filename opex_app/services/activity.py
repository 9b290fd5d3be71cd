"""The activity log: logins, failed logins, logouts, exports and downloads, each with its time, who (or the
e-mail tried), the client's address and a detail (the file served). Read on /admin/activity (view audit).

Recorded in the transaction of what it logs: a login and its event commit together, a failed login's event
commits with the failed attempt (services/sessions.py), and a served file's event is written by the one
route that serves every export and download (api/routes.py, `record_served`). An attempt refused by the
login throttle before its password is looked at is not recorded, here as in `login_attempt`, so hammering
fills neither table. Unlike `login_attempt`, which the throttle prunes, these rows are kept (append-only).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.export.activity_workbook import write_activity_workbook
from opex_app.models import ActivityEvent, AppUser
from opex_app.models._types import utcnow
from opex_app.services import downloads, filtered_log
from opex_app.services.filtered_log import EXPORT_MAX_ROWS, PAGE_SIZE, LogPage, UrlQuery
from opex_app.services.login_throttle import client_ip

NO_USER = "(no user)"  # the actor of a served file that no user asked for (a ticket issued by the system)


class Kind(enum.StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    EXPORT = "export"
    DOWNLOAD = "download"


KIND_LABELS: dict[Kind, str] = {
    Kind.LOGIN: "Login",
    Kind.LOGIN_FAILED: "Failed login",
    Kind.LOGOUT: "Logout",
    Kind.EXPORT: "Export",
    Kind.DOWNLOAD: "Download",
}


def record(
    session: Session,
    *,
    kind: Kind,
    actor: str,
    ip: str | None,
    user_id: int | None = None,
    detail: str = "",
    at: datetime | None = None,
) -> ActivityEvent:
    """Add one event to the caller's transaction (the caller commits it with what it logs)."""
    event = ActivityEvent(
        at=at or utcnow(),
        kind=Kind(kind).value,
        user_id=user_id,
        actor=actor.strip()[:254] or NO_USER,
        ip=client_ip(ip),
        detail=detail[:300],
    )
    session.add(event)
    return event


def record_served(session: Session, *, ticket: downloads.Ticket, ip: str | None) -> ActivityEvent:
    """Log that a one-time download ticket's file was served to `ip`: an export or a download, by the user the
    ticket was issued to, with the file's name as its detail."""
    user = session.get(AppUser, ticket.user_id) if ticket.user_id is not None else None
    kind = Kind.DOWNLOAD if ticket.activity == Kind.DOWNLOAD.value else Kind.EXPORT
    actor = user.email if user is not None else NO_USER
    return record(session, kind=kind, actor=actor, ip=ip, user_id=ticket.user_id, detail=ticket.file_name)


@dataclass(frozen=True)
class ActivityQuery(UrlQuery):
    """What the log is filtered on: `user` is part of an e-mail, `kind` one of Kind ('' = every kind)."""

    user: str = ""
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> tuple[ActivityQuery, list[str]]:
        """The query the URL names, and a sentence for each parameter that could not be read (then ignored)."""
        problems: list[str] = []
        kind = str(params.get("kind") or "").strip()
        if kind and kind not in set(Kind):
            problems.append(f"'{kind[:30]}' is not a kind of event; the event filter is ignored")
            kind = ""
        date_from, date_to, date_problems = filtered_log.read_dates(params)
        return cls(str(params.get("user") or "").strip()[:100], kind, date_from, date_to), problems + date_problems


@dataclass(frozen=True)
class ActivityRow:
    id: int
    at: datetime
    kind: Kind
    actor: str
    ip: str
    detail: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def _filtered(query: ActivityQuery) -> Any:
    stmt = select(ActivityEvent)
    if query.user:
        stmt = stmt.where(func.lower(ActivityEvent.actor).contains(query.user.lower(), autoescape=True))
    if query.kind:
        stmt = stmt.where(ActivityEvent.kind == query.kind)
    return filtered_log.within_dates(stmt, ActivityEvent.at, query.date_from, query.date_to)


def _rows(events: Iterable[ActivityEvent]) -> list[ActivityRow]:
    return [ActivityRow(e.id or 0, e.at, Kind(e.kind), e.actor, e.ip, e.detail) for e in events]


_NEWEST_FIRST = (col(ActivityEvent.at).desc(), col(ActivityEvent.id).desc())


def search(
    session: Session, *, principal: Principal, query: ActivityQuery, page: int = 1, page_size: int = PAGE_SIZE
) -> LogPage[ActivityRow]:
    """One page of the events matching `query`, newest first; `page` past the end gives the last page."""
    require(principal, Permission.VIEW_AUDIT)
    stmt = _filtered(query)
    return filtered_log.one_page(session, stmt, newest_first=_NEWEST_FIRST, page=page, page_size=page_size, shown=_rows)


def export_download(session: Session, *, principal: Principal, query: ActivityQuery) -> tuple[int, downloads.Ticket]:
    """The events matching `query` (newest first, at most EXPORT_MAX_ROWS) as a workbook in a one-time download
    ticket for this user; (events, ticket)."""
    require(principal, Permission.VIEW_AUDIT)
    stmt = _filtered(query).order_by(*_NEWEST_FIRST)
    rows = _rows(session.exec(stmt.limit(EXPORT_MAX_ROWS)))
    events = ((r.at, r.actor, r.kind_label, r.ip, r.detail) for r in rows)
    with downloads.issue("activity-log.xlsx", user_id=principal.user_id) as ticket:
        write_activity_workbook(ticket.path, events, title=filtered_log.export_title("Activity log", query, len(rows)))
    return len(rows), ticket
