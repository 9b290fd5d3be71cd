"""Activity log state (/admin/activity): logins, failed logins, logouts, exports and downloads. As on the audit
log, the filters live in the URL and one page of events is read per visit (UrlLogMixin); the Excel export takes
the same filters and runs as a background download (DownloadState's mechanism)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

import reflex as rx

from opex_app import routes
from opex_app.auth.permissions import Permission, Principal
from opex_app.db import read_session
from opex_app.services import activity
from opex_app.services.activity import ActivityQuery, ActivityRow
from opex_app.services.downloads import Ticket
from opex_app.services.filtered_log import LogPage
from opex_app.state.downloads import DownloadState
from opex_app.state.guard import guarded
from opex_app.state.url_log import LogSource, UrlLogMixin

ROUTE = routes.ACTIVITY.path
FILTERS = ("user", "kind", "date_from", "date_to")
# the event filter's choices: (value, label); '' = every kind
KIND_CHOICES: list[tuple[str, str]] = [("", "Any event")] + [
    (k.value, label) for k, label in activity.KIND_LABELS.items()
]


def shown_row(row: ActivityRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "at": row.at.strftime("%d-%b-%Y %H:%M:%S"),
        "actor": row.actor,
        "kind": row.kind.value,
        "kind_label": row.kind_label,
        "ip": row.ip,
        "detail": row.detail,
    }


def _search(session: Any, principal: Principal, query: ActivityQuery, page: int, _format: str) -> LogPage[ActivityRow]:
    return activity.search(session, principal=principal, query=query, page=page)  # no amounts to format


def _export(principal: Principal, params: dict[str, Any]) -> tuple[str, Ticket]:
    query, _ = ActivityQuery.from_params(params)  # the page already reported what it could not read
    with read_session() as session:
        events, ticket = activity.export_download(session, principal=principal, query=query)
    return f"Exported {events:,} event{'s' if events != 1 else ''} of the activity log.", ticket


class ActivityState(UrlLogMixin, DownloadState):
    source: ClassVar[LogSource] = LogSource(
        ROUTE,
        FILTERS,
        ActivityQuery.from_params,
        _search,
        shown_row,
        chosen=("kind",),  # only the known kinds
    )
    user: str = ""
    kind: str = ""
    date_from: str = ""
    date_to: str = ""

    @rx.event(background=True)
    @guarded(Permission.VIEW_AUDIT)
    async def export(self, filter_params: dict[str, str]) -> AsyncIterator[Any]:
        """Export the events matching `filter_params` (ActivityQuery.as_params() keys) and download them."""
        async for event in self._run(_export, dict(filter_params or {})):
            yield event
