"""Audit log state: the filters live in the URL (a filtered view can be bookmarked or shared), one page of
events is read per visit, and each change is shown as labelled before/after lines."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import reflex as rx

from opex_app import routes
from opex_app.auth.permissions import Permission
from opex_app.db import read_session
from opex_app.domain.money import as_number_format
from opex_app.domain.url_params import page_number, query_params
from opex_app.services.audit_log import AuditQuery, AuditRow, search
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

ROUTE = routes.AUDIT.path
FILTERS = ("actor", "entity", "ref", "action", "date_from", "date_to")


def audit_url(query: AuditQuery, page: int = 1) -> str:
    """The log's address for `query` at `page` (page 1 is left out)."""
    params = query.as_params() | ({"page": str(page)} if page > 1 else {})
    return f"{ROUTE}/?{urlencode(params)}" if params else f"{ROUTE}/"


def shown_row(row: AuditRow) -> dict[str, str]:
    """One event as the table shows it: its changes as aligned lines of field, before and after."""
    return {
        "id": str(row.id),
        "at": row.at.strftime("%d-%b-%Y %H:%M:%S"),
        "actor": row.actor,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "fields": "\n".join(c.label for c in row.changes),
        "before": "\n".join(c.before for c in row.changes),
        "after": "\n".join(c.after for c in row.changes),
    }


class AuditState(AppState):
    rows: list[dict[str, str]] = []
    actor: str = ""
    entity: str = ""
    ref: str = ""
    action: str = ""
    date_from: str = ""
    date_to: str = ""
    page_number: int = 1
    page_count: int = 1
    total: int = 0
    warnings: list[str] = []  # URL parameters that could not be read (and were ignored)
    view_key: str = ""  # the address's filters: a new view re-creates the (uncontrolled) filter inputs

    def _query(self) -> AuditQuery:
        return AuditQuery.from_params({name: getattr(self, name) for name in FILTERS})[0]

    @guarded(Permission.VIEW_AUDIT)
    def load(self) -> None:
        """on_load: read the filters and page from the URL and query that one page."""
        params = query_params(self.router.url.query_parameters)
        query, self.warnings = AuditQuery.from_params(params)
        for name in FILTERS:  # the form shows what the address says, an unreadable date included
            setattr(self, name, str(params.get(name) or "").strip()[:100])
        self.view_key = urlencode({name: getattr(self, name) for name in FILTERS if getattr(self, name)})
        page = str(params.get("page", "1"))
        with read_session() as session:
            found = search(
                session,
                principal=current_principal(),
                query=query,
                page=page_number(page),
                number_format=as_number_format(self.number_format),
            )
        self.rows = [shown_row(r) for r in found.rows]
        self.page_number, self.page_count, self.total = found.page, found.page_count, found.total

    @guarded(Permission.VIEW_AUDIT)
    def apply_filter(self, form: dict[str, Any]) -> Any:
        """The filter form was submitted: go to that view's address (its on_load queries it)."""
        params = {name: str(form.get(name) or "").strip()[:100] for name in FILTERS}  # load reports bad dates
        return rx.redirect(f"{ROUTE}/?{urlencode({k: v for k, v in params.items() if v})}")

    @guarded(Permission.VIEW_AUDIT)
    def clear_filters(self) -> Any:
        return rx.redirect(audit_url(AuditQuery()))

    @guarded(Permission.VIEW_AUDIT)
    def go_to_page(self, number: int) -> Any:
        number = min(max(1, int(number)), self.page_count)
        return None if number == self.page_number else rx.redirect(audit_url(self._query(), number))
