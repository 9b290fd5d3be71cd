"""Budget grid state: one page of lines (strings), its totals row, and the filter, which lives in the URL.

Each row also shows the line's FY figures in base currency (budget, committed, actual, available) from
the figures model; the totals row totals the months as entered, not those.

The URL is the one source of the view: every filter, sort or page change navigates to the new
`/budgets?...` address (so it can be shared or bookmarked), and the page's on_load reads it back
and queries that one page.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import reflex as rx

from opex_app import routes
from opex_app.auth.permissions import Permission, Principal
from opex_app.db import read_session
from opex_app.domain.budget_fields import LABELS, MONTH_FIELDS
from opex_app.domain.money import format_indian
from opex_app.domain.url_params import page_number, query_params
from opex_app.services import masters, reporting_basis
from opex_app.services.budget_lines import PAGE_SIZE, SORT_KEYS, LinePage, list_lines
from opex_app.services.budget_query import BudgetFilter
from opex_app.services.errors import ServiceError
from opex_app.services.fiscal_years import list_fiscal_years
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded

GRID_ROUTE = routes.BUDGETS.path
DEFAULT_SORT = "uid"
FILTER_FIELDS = ("fy", "tower", "budget_head", "cost_centre", "vendor")
ANY = "__any__"  # the drop-downs' "All" choice (a select item cannot have an empty value)
FIGURE_FIELDS = ("fig_budget", "fig_committed", "fig_actual", "fig_available")  # row keys of the model's figures
NO_RATE = "no rate"
# What a row carries, for the page's columns: the text columns with their headings, then the twelve months in
# fiscal order (row keys m01..m12).
TEXT_COLUMNS = [
    (name, LABELS[name]) for name in ("uid", "description", "tower", "budget_head", "cost_centre", "vendor")
]
COLUMN_LABELS = dict(TEXT_COLUMNS)
MONTH_COLUMNS: tuple[str, ...] = MONTH_FIELDS


def _amount(value: Decimal) -> str:
    """Whole units with Indian grouping; a dash for nothing, so the figures that matter stand out."""
    shown = format_indian(value, 0)
    return "–" if shown in {"0", "-0"} else shown


def _figure(value: Decimal | None) -> str:
    return NO_RATE if value is None else _amount(value)


def grid_url(flt: BudgetFilter, *, sort: str = DEFAULT_SORT, descending: bool = False, page: int = 1) -> str:
    """The shareable address of a grid view."""
    params = flt.to_params()
    if sort != DEFAULT_SORT:
        params["sort"] = sort
    if descending:
        params["desc"] = "1"
    if page > 1:
        params["page"] = str(page)
    return f"{GRID_ROUTE}?{urlencode(params)}" if params else GRID_ROUTE


@dataclass(frozen=True)
class _GridRead:
    fy_names: list[str]
    master_names: tuple[list[str], list[str], list[str], list[str]]  # towers, heads, cost centres, vendors
    page: LinePage | None  # None: refused, `error` says why
    error: str = ""


def _read_grid(principal: Principal, flt: BudgetFilter, sort: str, descending: bool, page: int) -> _GridRead:
    """One page of the grid and its pickers' choices, in one read-only transaction (run in a thread)."""
    with read_session() as session:
        names = (
            masters.names(session, "tower"),
            masters.names(session, "budget_head"),
            masters.names(session, "cost_centre"),
            masters.names(session, "vendor"),
        )
        fy_names = [fy.name for fy in list_fiscal_years(session)]
        try:
            lines = list_lines(
                session, principal, flt, sort=sort, descending=descending, page=page, page_size=PAGE_SIZE
            )
        except ServiceError as exc:
            return _GridRead(fy_names, names, None, str(exc))
    return _GridRead(fy_names, names, lines)


class BudgetGridState(AppState):
    # The filter (names as shown; '' = any) and the view, as read from the URL.
    fy: str = ""
    tower: str = ""
    budget_head: str = ""
    cost_centre: str = ""
    vendor: str = ""
    search: str = ""
    sort_key: str = DEFAULT_SORT
    descending: bool = False
    page_number: int = 1
    # What the page shows now: one page of rows, as strings.
    page_count: int = 1
    total_count: int = 0
    month_labels: list[str] = [""] * 12
    rows: list[dict[str, str]] = []
    totals: dict[str, str] = {}
    base_currency: str = ""
    error: str = ""
    # The drop-downs' choices.
    fy_names: list[str] = []
    tower_names: list[str] = []
    head_names: list[str] = []
    cost_centre_names: list[str] = []
    vendor_names: list[str] = []

    if TYPE_CHECKING:  # defined below the class: Reflex turns every public function in the body into a handler

        def current_filter(self) -> BudgetFilter: ...

    def _url(self, **changes: Any) -> str:
        view: dict[str, Any] = {
            "flt": self.current_filter(),
            "sort": self.sort_key,
            "descending": self.descending,
            "page": self.page_number,
        }
        view.update(changes)
        return grid_url(view["flt"], sort=view["sort"], descending=view["descending"], page=view["page"])

    def _read_url(self) -> None:
        params = query_params(self.router.url.query_parameters)
        flt = BudgetFilter.from_params(params)
        for name in (*FILTER_FIELDS, "search"):
            setattr(self, name, getattr(flt, name))
        sort = params.get("sort", DEFAULT_SORT)
        self.sort_key = sort if sort in SORT_KEYS else DEFAULT_SORT
        self.descending = params.get("desc", "") in {"1", "true", "yes"}
        self.page_number = page_number(params.get("page", "1"))

    def _show(self, page: LinePage) -> None:
        self.fy = page.fiscal_year or self.fy
        self.page_number = page.page
        self.page_count = page.page_count
        self.total_count = page.total_count
        self.month_labels = page.month_labels or [""] * 12
        self.rows = [
            {
                "id": str(r.id),
                "uid": r.uid,
                "description": r.description,
                "tower": r.tower,
                "budget_head": r.budget_head,
                "cost_centre": r.cost_centre,
                "vendor": r.vendor,
                **{m: _amount(v) for m, v in zip(MONTH_FIELDS, r.months, strict=True)},
                "total": _amount(r.total),
                "fig_budget": _figure(r.figures.budget_base),
                "fig_committed": _figure(r.figures.committed),
                "fig_actual": _figure(r.figures.actual),
                "fig_available": _figure(r.figures.available),
            }
            for r in page.rows
        ]
        self.base_currency = reporting_basis.base_currency()
        self.totals = {
            **{m: _amount(v) for m, v in zip(MONTH_FIELDS, page.month_totals, strict=True)},
            "total": _amount(page.total),
        }

    @guarded(Permission.VIEW_DASHBOARDS)
    async def load(self) -> None:
        """on_load: read the view from the URL and query that one page, off the event loop (a page of 100,000 lines
        costs tens of ms of PostgreSQL; on the loop it would hold every other tab of this worker)."""
        self._read_url()
        self.error = ""
        read = await asyncio.to_thread(
            _read_grid, current_principal(), self.current_filter(), self.sort_key, self.descending, self.page_number
        )
        self.fy_names = read.fy_names
        self.tower_names, self.head_names, self.cost_centre_names, self.vendor_names = read.master_names
        if read.page is None:
            self.error = read.error
            self.rows, self.totals, self.total_count, self.page_count, self.page_number = [], {}, 0, 1, 1
            return
        if self.fy and not read.page.fiscal_year:
            self.error = f"There is no fiscal year {self.fy}."
        self._show(read.page)

    @guarded(Permission.VIEW_DASHBOARDS)
    def set_filter(self, name: str, value: str) -> Any:
        """A drop-down changed: go to the new view's address (its on_load queries it)."""
        if name not in FILTER_FIELDS:
            return None
        value = "" if value == ANY else value
        flt = replace(self.current_filter(), **{name: value})
        return rx.redirect(self._url(flt=flt, page=1))

    @guarded(Permission.VIEW_DASHBOARDS)
    def apply_search(self, form: dict[str, Any]) -> Any:
        text = str(form.get("search", "")).strip()
        flt = replace(self.current_filter(), search=text)
        return rx.redirect(self._url(flt=flt, page=1))

    @guarded(Permission.VIEW_DASHBOARDS)
    def clear_filters(self) -> Any:
        return rx.redirect(self._url(flt=BudgetFilter(fy=self.fy), page=1))

    @guarded(Permission.VIEW_DASHBOARDS)
    def sort_by(self, key: str) -> Any:
        """Sort by a column; a second click on the same column reverses the order."""
        if key not in SORT_KEYS:
            return None
        descending = not self.descending if key == self.sort_key else key == "total"
        return rx.redirect(self._url(sort=key, descending=descending, page=1))

    @guarded(Permission.VIEW_DASHBOARDS)
    def go_to_page(self, number: int) -> Any:
        number = min(max(1, int(number)), self.page_count)
        if number == self.page_number:
            return None
        return rx.redirect(self._url(page=number))


def _current_filter(self: BudgetGridState) -> BudgetFilter:
    """The filter of the view on screen (for the totals, an export of this view, ...)."""
    return BudgetFilter(
        fy=self.fy,
        tower=self.tower,
        budget_head=self.budget_head,
        cost_centre=self.cost_centre,
        vendor=self.vendor,
        search=self.search,
    )


# A plain method, not an event handler: assigned after Reflex has collected the class's handlers.
BudgetGridState.current_filter = _current_filter  # type: ignore[method-assign]
