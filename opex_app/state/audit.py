"""Audit log state: the filters live in the URL and one page of events is read per visit (UrlLogMixin); each
change is shown as labelled before/after lines."""

from __future__ import annotations

from typing import Any, ClassVar

from opex_app import routes
from opex_app.auth.permissions import Principal
from opex_app.domain.money import as_number_format
from opex_app.services.audit_log import AuditQuery, AuditRow, search
from opex_app.services.filtered_log import LogPage
from opex_app.state.base import AppState
from opex_app.state.url_log import LogSource, UrlLogMixin

ROUTE = routes.AUDIT.path
FILTERS = ("actor", "entity", "ref", "action", "date_from", "date_to")


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


def _search(session: Any, principal: Principal, query: AuditQuery, page: int, number_format: str) -> LogPage[AuditRow]:
    return search(session, principal=principal, query=query, page=page, number_format=as_number_format(number_format))


class AuditState(UrlLogMixin, AppState):
    source: ClassVar[LogSource] = LogSource(ROUTE, FILTERS, AuditQuery.from_params, _search, shown_row)
    actor: str = ""
    entity: str = ""
    ref: str = ""
    action: str = ""
    date_from: str = ""
    date_to: str = ""
