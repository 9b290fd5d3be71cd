"""PO list state: one page of POs (strings), the filter and the sort, which live in the URL.

As on the budget grid, the URL is the one source of the view: every filter, sort or page change navigates
to the new `/pos?...` address, and the page's on_load reads it back and asks the database for that page.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from opex_app import routes
from opex_app.auth.permissions import Permission
from opex_app.db import read_session
from opex_app.domain.po_workflow import PoStatus
from opex_app.domain.url_params import page_number, query_params
from opex_app.services import masters, reporting_basis
from opex_app.services import purchase_orders as pos
from opex_app.services.errors import ServiceError
from opex_app.services.fiscal_years import list_fiscal_years
from opex_app.state.approvals import money
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

LIST_ROUTE = routes.POS.path
DEFAULT_SORT = "-po_date"
FILTER_FIELDS = ("status", "vendor", "tower", "fy")
ANY = "__any__"  # the drop-downs' "All" choice (a select item cannot have an empty value)
STATUS_NAMES = [s.value for s in PoStatus]


def list_url(flt: pos.PoFilter, *, sort: str = DEFAULT_SORT, page: int = 1) -> str:
    """The shareable address of a PO list view."""
    params = flt.to_params()
    if sort != DEFAULT_SORT:
        params["sort"] = sort
    if page > 1:
        params["page"] = str(page)
    return f"{LIST_ROUTE}?{urlencode(params)}" if params else LIST_ROUTE


def _list_row(r: pos.PoRow) -> dict[str, str]:
    return {
        "id": str(r.id),
        "po_number": r.po_number,
        "po_date": r.po_date.strftime("%d-%b-%Y") if r.po_date else "",
        "fy": r.fiscal_year,
        "vendor": r.vendor,
        "entity": r.entity,
        "currency": r.currency,
        "value": money(r.value),
        "value_base": money(r.value_base),
        "status": r.status,
        "created_by": r.created_by,
    }


class PoListState(AppState):
    # The view, as read from the URL ('' = any).
    status: str = ""
    vendor: str = ""
    tower: str = ""
    fy: str = ""
    text: str = ""
    sort: str = DEFAULT_SORT
    page_number: int = 1
    # What the page shows now.
    page_count: int = 1
    total_count: int = 0
    rows: list[dict[str, str]] = []
    base_currency: str = ""
    error: str = ""
    # The drop-downs' choices.
    vendor_names: list[str] = []
    tower_names: list[str] = []
    fy_names: list[str] = []

    @rx.var
    def can_create(self) -> bool:
        return Permission.CREATE_PO.value in self.permissions

    @rx.var
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @rx.var
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @rx.var
    def filtered(self) -> bool:
        return bool(self.status or self.vendor or self.tower or self.fy or self.text)

    def _filter(self) -> pos.PoFilter:
        return pos.PoFilter(status=self.status, vendor=self.vendor, tower=self.tower, fy=self.fy, text=self.text)

    def _read_url(self) -> None:
        params = query_params(self.router.url.query_parameters)
        flt = pos.PoFilter.from_params(params)
        self.status, self.vendor, self.tower, self.fy, self.text = flt.status, flt.vendor, flt.tower, flt.fy, flt.text
        sort = str(params.get("sort", DEFAULT_SORT))
        self.sort = sort if sort.lstrip("-") in pos.SORT_KEYS else DEFAULT_SORT
        self.page_number = page_number(params.get("page", "1"))

    @guarded(Permission.VIEW_DASHBOARDS)
    def load(self) -> None:
        """on_load: read the view from the URL and query that one page."""
        self._read_url()
        self.error = ""
        self.base_currency = reporting_basis.base_currency()
        with read_session() as session:
            self.vendor_names = masters.names(session, "vendor")
            self.tower_names = masters.names(session, "tower")
            self.fy_names = [fy.name for fy in list_fiscal_years(session)]  # newest first
            try:
                page = pos.list_pos(session, current_principal(), self._filter(), page=self.page_number, sort=self.sort)
            except ServiceError as exc:
                self.error = str(exc)
                self.rows, self.total_count, self.page_count, self.page_number = [], 0, 1, 1
                return
        self.rows = [_list_row(r) for r in page.rows]
        self.page_number, self.page_count, self.total_count = page.page, page.page_count, page.total_count

    @guarded(Permission.VIEW_DASHBOARDS)
    def set_filter(self, name: str, value: str) -> Any:
        """A drop-down changed: go to the new view's address (its on_load queries it)."""
        if name not in FILTER_FIELDS:
            return None
        flt = replace(self._filter(), **{name: "" if value == ANY else value})
        return rx.redirect(list_url(flt, sort=self.sort))

    @guarded(Permission.VIEW_DASHBOARDS)
    def apply_search(self, form: dict[str, Any]) -> Any:
        flt = replace(self._filter(), text=str(form.get("text", "")).strip())
        return rx.redirect(list_url(flt, sort=self.sort))

    @guarded(Permission.VIEW_DASHBOARDS)
    def clear_filters(self) -> Any:
        return rx.redirect(list_url(pos.PoFilter(), sort=self.sort))

    @guarded(Permission.VIEW_DASHBOARDS)
    def sort_by(self, key: str) -> Any:
        """Sort by a column; a second click on the same column reverses the order. Dates and amounts start
        with the largest, text with A."""
        if key not in pos.SORT_KEYS:
            return None
        if key == self.sort.lstrip("-"):
            sort = key if self.sort.startswith("-") else f"-{key}"
        else:
            sort = f"-{key}" if key in {"po_date", "value", "value_base", "created_at", "submitted_at"} else key
        return rx.redirect(list_url(self._filter(), sort=sort))

    @guarded(Permission.VIEW_DASHBOARDS)
    def go_to_page(self, number: int) -> Any:
        number = min(max(1, int(number)), self.page_count)
        if number == self.page_number:
            return None
        return rx.redirect(list_url(self._filter(), sort=self.sort, page=number))
