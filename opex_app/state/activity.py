"""Activity log state (/admin/activity): logins, failed logins, logouts, exports and downloads. As on the audit
log, the filters live in the URL (a view can be bookmarked or shared) and one page of events is read per visit;
the Excel export takes the same filters and runs as a background download (DownloadState's mechanism)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from opex_app import routes
from opex_app.auth.permissions import Permission, Principal
from opex_app.db import read_session
from opex_app.services import activity
from opex_app.services.activity import ActivityQuery, ActivityRow
from opex_app.services.downloads import Ticket
from opex_app.state.downloads import DownloadState
from opex_app.state.guard import current_principal, guarded

ROUTE = routes.ACTIVITY.path
FILTERS = ("user", "kind", "date_from", "date_to")
# the event filter's choices: (value, label); '' = every kind
KIND_CHOICES: list[tuple[str, str]] = [("", "Any event")] + [
    (k.value, label) for k, label in activity.KIND_LABELS.items()
]


def activity_url(query: ActivityQuery, page: int = 1) -> str:
    """The log's address for `query` at `page` (page 1 is left out)."""
    params = query.as_params() | ({"page": str(page)} if page > 1 else {})
    return f"{ROUTE}/?{urlencode(params)}" if params else f"{ROUTE}/"


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


def _export(principal: Principal, params: dict[str, Any]) -> tuple[str, Ticket]:
    query, _ = ActivityQuery.from_params(params)  # the page already reported what it could not read
    with read_session() as session:
        events, ticket = activity.export_download(session, principal=principal, query=query)
    return f"Exported {events:,} event{'s' if events != 1 else ''} of the activity log.", ticket


class ActivityState(DownloadState):
    rows: list[dict[str, str]] = []
    user: str = ""
    kind: str = ""
    date_from: str = ""
    date_to: str = ""
    page_number: int = 1
    page_count: int = 1
    total: int = 0
    warnings: list[str] = []  # URL parameters that could not be read (and were ignored)
    view_key: str = ""  # the address's filters: a new view re-creates the (uncontrolled) filter inputs

    def _query(self) -> ActivityQuery:
        return ActivityQuery.from_params({name: getattr(self, name) for name in FILTERS})[0]

    @guarded(Permission.VIEW_AUDIT)
    def load(self) -> None:
        """on_load: read the filters and page from the URL and query that one page."""
        params = dict(self.router.url.query_parameters)
        query, self.warnings = ActivityQuery.from_params(params)
        for name in FILTERS:  # the form shows what the address says, an unreadable date included
            setattr(self, name, str(params.get(name) or "").strip()[:100])
        self.kind = query.kind  # the select offers only the known kinds
        self.view_key = urlencode({name: getattr(self, name) for name in FILTERS if getattr(self, name)})
        page = str(params.get("page", "1"))
        with read_session() as session:
            found = activity.search(
                session, principal=current_principal(), query=query, page=int(page) if page.isdigit() else 1
            )
        self.rows = [shown_row(r) for r in found.rows]
        self.page_number, self.page_count, self.total = found.page, found.page_count, found.total

    @guarded(Permission.VIEW_AUDIT)
    def apply_filter(self, form: dict[str, Any]) -> Any:
        """The filter form was submitted: go to that view's address (its on_load queries it)."""
        params = {name: str(form.get(name) or "").strip()[:100] for name in FILTERS}  # load reports bad values
        return rx.redirect(f"{ROUTE}/?{urlencode({k: v for k, v in params.items() if v})}")

    @guarded(Permission.VIEW_AUDIT)
    def clear_filters(self) -> Any:
        return rx.redirect(activity_url(ActivityQuery()))

    @guarded(Permission.VIEW_AUDIT)
    def go_to_page(self, number: int) -> Any:
        number = min(max(1, int(number)), self.page_count)
        return None if number == self.page_number else rx.redirect(activity_url(self._query(), number))

    @rx.event(background=True)
    @guarded(Permission.VIEW_AUDIT)
    async def export(self, filter_params: dict[str, str]) -> AsyncIterator[Any]:
        """Export the events matching `filter_params` (ActivityQuery.as_params() keys) and download them."""
        async for event in self._run(_export, dict(filter_params or {})):
            yield event
