"""DownloadState: generate a workbook on the server, then let the browser fetch it once.

How a page uses it (the grid's export button exports the view the user filtered to)::

    G = BudgetGridState
    rx.button(
        "Export to Excel",
        # BudgetFilter.from_params keys; '' = any, unknown keys ignored. A dict var of the same shape works too.
        on_click=DownloadState.export_budget(
            {"fy": G.fy, "tower": G.tower, "budget_head": G.budget_head,
             "cost_centre": G.cost_centre, "vendor": G.vendor, "search": G.search}
        ),
        loading=DownloadState.busy,
    )
    rx.button("Download template", on_click=DownloadState.download_template(G.fy))  # '' = the current FY

Both handlers are background tasks: the file is built in a worker thread (about 3-4 s for 100,000
lines), and the browser then downloads it from ``GET /api/downloads/{token}``, a one-time link valid
for 10 minutes. The link is relative: in production (``reflex run --env prod``) the backend serves the
frontend and the api on one port, and behind nginx ``/api/`` is routed to the workers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from opex_app.auth.permissions import Permission, PermissionDenied, Principal
from opex_app.db import read_session
from opex_app.domain.money import as_number_format
from opex_app.services import audit_log, budget_export
from opex_app.services.budget_query import BudgetFilter
from opex_app.services.downloads import Ticket
from opex_app.services.errors import ServiceError
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

log = logging.getLogger(__name__)
FAILED = "The file could not be created. Please try again; if it keeps failing, tell your administrator."
STALE_BUSY_SECONDS = 600  # a busy flag this old was left by a worker that died mid-export


def _export(principal: Principal, params: dict[str, Any]) -> tuple[str, Ticket]:
    with read_session() as session:
        result, ticket = budget_export.export_download(session, principal, BudgetFilter.from_params(params))
    lines = f"{result.rows:,} budget line{'s' if result.rows != 1 else ''}"
    return f"Exported {lines} of {result.fiscal_year}.", ticket


def _template(principal: Principal, fy_name: str) -> tuple[str, Ticket]:
    with read_session() as session:
        ticket = budget_export.template_download(session, principal, fy_name)
    return f"Template {ticket.file_name} is ready.", ticket


def _audit(principal: Principal, params: dict[str, Any], number_format: str) -> tuple[str, Ticket]:
    query, _ = audit_log.AuditQuery.from_params(params)  # the page already reported an unreadable date
    with read_session() as session:
        events, ticket = audit_log.export_download(
            session, principal=principal, query=query, number_format=as_number_format(number_format)
        )
    return f"Exported {events:,} audit event{'s' if events != 1 else ''}.", ticket


class DownloadState(AppState):
    busy: bool = False  # a file is being generated for this browser tab
    error: str = ""  # why the last download failed ('' = it did not)
    _busy_since: float = 0.0

    async def _run(self, work: Any, *args: Any) -> AsyncIterator[Any]:
        async with self:
            if self.busy and time.time() - self._busy_since < STALE_BUSY_SECONDS:
                return  # one file at a time per tab: a second click while busy does nothing
            self.busy, self.error, self._busy_since = True, "", time.time()
        message, ticket, failure = "", None, ""
        try:
            message, ticket = await asyncio.to_thread(work, current_principal(), *args)
        except (ServiceError, PermissionDenied) as exc:
            failure = str(exc)
        except Exception:
            log.exception("download failed")
            failure = FAILED
        finally:
            async with self:
                self.busy, self.error = False, failure
        if ticket is None:
            yield rx.toast.error(failure, id="download")
            return
        yield rx.download(url=ticket.url, filename=ticket.file_name)
        yield rx.toast.success(message, id="download")

    @rx.event(background=True)
    @guarded(Permission.VIEW_DASHBOARDS)
    async def export_budget(self, filter_params: dict[str, str]) -> AsyncIterator[Any]:
        """Export the budget lines matching ``filter_params`` (BudgetFilter.to_params() keys) and download them."""
        async for event in self._run(_export, dict(filter_params or {})):
            yield event

    @rx.event(background=True)
    @guarded(Permission.VIEW_DASHBOARDS)
    async def download_template(self, fy_name: str) -> AsyncIterator[Any]:
        """Download the blank import template of ``fy_name`` (e.g. FY27; '' = the current FY)."""
        async for event in self._run(_template, str(fy_name or "")):
            yield event

    @rx.event(background=True)
    @guarded(Permission.VIEW_AUDIT)
    async def export_audit(self, filter_params: dict[str, str]) -> AsyncIterator[Any]:
        """Export the audit events matching ``filter_params`` (AuditQuery.as_params() keys) and download them."""
        async for event in self._run(_audit, dict(filter_params or {}), self.number_format):
            yield event
