"""Dashboard state: the view (FY, filters, as-of date) read from the URL, the KPI cards as text, the four
charts as small figures, and the live loop that refreshes them when the data version moves.

The URL is the one source of the view (`/?fy=FY27&tower=Infra&as_of=2026-09-30`): a picker change navigates
to the new address, whose on_load reads it back, so a reload or a shared link shows the same figures.
The figures come from the cached dashboard service (`services.dashboard.dashboard`), computed in a worker
thread so the event loop keeps serving other tabs; the synced state holds only the strings and the four
chart figures the page draws (towers × 12 cells at most), never a frame.
"""

from __future__ import annotations

import asyncio
import functools
from collections import OrderedDict
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import plotly.graph_objects as go
import reflex as rx

from opex_app import routes
from opex_app.auth.permissions import Permission, Principal
from opex_app.db import read_session
from opex_app.domain.analytics.dashboard import Kpis
from opex_app.domain.analytics.filters import FILTER_DIMENSIONS, FILTER_LABELS, Filters
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.money import NUMBER_FORMATS, NumberFormat, as_number_format, format_amount, format_short
from opex_app.domain.url_params import query_params
from opex_app.services import masters, reporting_basis
from opex_app.services.budget_query import BudgetFilter
from opex_app.services.dashboard import DashboardResult, dashboard
from opex_app.services.errors import ServiceError
from opex_app.services.fiscal_years import list_fiscal_years
from opex_app.state import charts, live
from opex_app.state.base import AppState
from opex_app.state.budget_grid import grid_url
from opex_app.state.guard import current_principal, guarded

DASHBOARD_ROUTE = routes.DASHBOARD.path
ANY = "__any__"  # the drop-downs' "All" choice (a select item cannot have an empty value)
GRID_DIMENSIONS = ("tower", "budget_head", "cost_centre", "vendor")  # what the budget grid can filter on
_ALL_LABELS = {
    "tower": "All towers",
    "budget_head": "All heads",
    "cost_centre": "All cost centres",
    "vendor": "All vendors",
    "entity": "All entities",
}
# The toolbar's filter pickers in order: (dimension, label, the "All" choice's text).
FILTER_PICKERS = [(dim, FILTER_LABELS[dim], _ALL_LABELS[dim]) for dim in FILTER_DIMENSIONS]


@dataclass(frozen=True)
class DashboardQuery:
    """The view the URL names. `fy` '' and `as_of` None mean the defaults (the current FY, today)."""

    fy: str = ""
    filters: Filters = field(default_factory=Filters)
    as_of: date | None = None

    @classmethod
    def from_params(cls, params: dict[str, str]) -> tuple[DashboardQuery, list[str]]:
        """The query, and what in the URL could not be read (said on the page, never silently dropped)."""
        problems = []
        fy = str(params.get("fy") or "").strip()
        if fy:
            try:
                fy = reporting_basis.fiscal_year_named(fy).name
            except ValueError as exc:
                problems.append(f"{exc}: showing the current fiscal year.")
                fy = ""
        as_of = None
        raw = str(params.get("as_of") or "").strip()
        if raw:
            try:
                as_of = date.fromisoformat(raw)
            except ValueError:
                problems.append(f"'{raw}' is not a date (YYYY-MM-DD): the figures are as of today.")
        return cls(fy=fy, filters=Filters.from_params(params), as_of=as_of), problems

    def params(self) -> dict[str, str]:
        out = {"fy": self.fy} if self.fy else {}
        out.update(self.filters.as_params())
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        return out

    def url(self) -> str:
        params = self.params()
        return f"{DASHBOARD_ROUTE}?{urlencode(params)}" if params else DASHBOARD_ROUTE


@dataclass(frozen=True)
class Choices:
    """What the pickers offer: stored FY names (latest first) and master names."""

    fy_names: list[str]
    masters: dict[str, list[str]]


def read_choices() -> Choices:
    with read_session() as session:
        return Choices(
            fy_names=[fy.name for fy in list_fiscal_years(session)],
            masters={dim: masters.names(session, dim) for dim in FILTER_DIMENSIONS},  # master kind == dimension
        )


def default_fy(fy_names: list[str], today: date) -> str:
    """The FY of today when it is stored, else the latest stored FY ('' when there is none)."""
    current = reporting_basis.fiscal_year_on(today).name
    return current if current in fy_names else (fy_names[0] if fy_names else "")


def compute(principal: Principal, view: DashboardQuery) -> DashboardResult:
    """The dashboard service's figures of `view` (cached by data version; as of today when it names no
    date): blocking, so callers run it in a worker thread."""
    fiscal_year = reporting_basis.fiscal_year_named(view.fy)
    return dashboard(principal, fy=fiscal_year, filters=view.filters, as_of=view.as_of or date.today())


DRILL_CHARTS = {"towers": "tower", "vendors": "vendor", "heatmap": "tower"}  # chart -> what its points name


def clicked_member(chart: str, points: Any) -> dict[str, Any]:
    """What the first clicked point names, from its `customdata` (state.charts puts it there): a tower
    or a vendor name, or [tower, fiscal month] for a heatmap cell."""
    dim = DRILL_CHARTS.get(chart)
    first = points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else {}
    data = first.get("customdata")
    if dim is None or data in (None, ""):
        return {}
    if isinstance(data, list):
        return {dim: str(data[0]), "fiscal_month": int(data[1])} if len(data) == 2 else {}
    return {dim: str(data)}


def _unnamed(dim: str, value: str) -> bool:
    """The chart's label of lines without this dimension (domain.analytics member_key: '(no vendor)')."""
    return value == f"(no {dim.replace('_', ' ')})"


def drill_url(query: DashboardQuery, fy: FiscalYear, member: dict[str, Any]) -> tuple[str, list[str]]:
    """The budget grid filtered to the clicked member plus the dashboard's own filters, and what the grid
    cannot narrow to (the entity, a heatmap cell's month, lines without a tower or vendor), for a toast."""
    wanted = {**query.filters.as_params(), **{k: v for k, v in member.items() if k in FILTER_DIMENSIONS}}
    dropped = [f"{FILTER_LABELS[k].lower()} '{v}'" for k, v in wanted.items() if k not in GRID_DIMENSIONS]
    dropped += [f"lines without a {FILTER_LABELS[k].lower()}" for k, v in wanted.items() if _unnamed(k, v)]
    if member.get("fiscal_month"):
        dropped.append(f"the month {fy.month_label(member['fiscal_month'])}")
    kept = {k: v for k, v in wanted.items() if k in GRID_DIMENSIONS and not _unnamed(k, v)}
    return grid_url(BudgetFilter(fy=fy.name, **kept)), dropped


KPI_CARDS: tuple[tuple[str, str, str], ...] = (
    ("budget", "Budget", "FY budget"),
    ("committed", "Committed", "open approved POs"),
    ("actual", "Actual", "invoiced to date"),
    ("available", "Available", "budget − committed − actual"),
    ("utilisation_pct", "Utilisation", "actual ÷ budget"),
    ("outturn", "Forecast outturn", "actual + committed + expected rest"),
    ("outturn_variance", "Outturn variance", "budget − outturn (negative: over)"),
)


def kpi_cards(kpis: Kpis, *, number_format: NumberFormat, base_currency: str) -> list[dict[str, str]]:
    """The seven cards as text: short figure in the user's grouping, the exact amount and what it means."""
    cards = []
    for key, label, meaning in KPI_CARDS:
        value = getattr(kpis, key)
        if key == "utilisation_pct":
            shown, exact = ("–", "no budget") if value is None else (f"{value:.1f} %", meaning)
        else:
            shown = f"{base_currency} {format_short(value, number_format)}"
            exact = f"{format_amount(value, number_format, 0)} · {meaning}"
        cards.append({"key": key.removesuffix("_pct"), "label": label, "value": shown, "hint": exact})
    return cards


def dashboard_charts(
    result: DashboardResult, *, fy: FiscalYear, currency: str, number_format: NumberFormat
) -> tuple[go.Figure, ...]:
    """The four charts, built outside the state class by state.charts (clickable traces carry their target)."""
    f, fmt = result.figures, number_format
    return (
        charts.tower_bars(f.by_tower, currency=currency, number_format=fmt),
        charts.cumulative_lines(
            f.cumulative, fy=fy, as_of_month=result.as_of_month, currency=currency, number_format=fmt
        ),
        charts.vendor_bars(f.top_vendors, currency=currency, number_format=fmt),
        charts.utilisation_heatmap(f.tower_month, fy=fy, currency=currency, number_format=fmt),
    )


def user_format(number_format: str) -> NumberFormat:
    """The user's stored grouping, Indian when the stored value is not one we know."""
    return as_number_format(number_format) if number_format in NUMBER_FORMATS else "indian"


def as_of_text(fy: FiscalYear, as_of: date, as_of_month: int) -> str:
    """What 'as of' means for this FY, e.g. 'as of 30-Nov-2026: Apr-26 … Oct-26 closed'."""
    day = as_of.strftime("%d-%b-%Y")
    if as_of_month <= 1:
        return f"as of {day}: no month of {fy.name} closed yet"
    closed = f"{fy.month_label(1)} … {fy.month_label(as_of_month - 1)}" if as_of_month > 2 else fy.month_label(1)
    return f"as of {day}: {closed} closed" if as_of_month <= 12 else f"as of {day}: all of {fy.name} closed"


@dataclass(frozen=True)
class _Display:
    """What a dashboard shows of one result in one number format: the cards, the four plotly payloads, the caption."""

    kpis: list[dict[str, str]]
    charts: tuple[dict[str, Any], ...]
    as_of_label: str


_DISPLAYS: OrderedDict[tuple[Any, ...], _Display] = OrderedDict()
_DISPLAYS_KEPT = 64  # views x number formats a worker keeps built; the oldest goes first


def _display(result: DashboardResult, number_format: str, base: str) -> _Display:
    """The cards and charts of `result`, built once per view, data version and number format in this worker.

    Building the four plotly figures costs about 77 ms of CPU on the event loop (the load benchmark's profile), and
    every tab watching the same view at the same version would build the same payloads. The payloads are plain
    dicts that no handler mutates in place, so tabs can share them."""
    key = (result.fy, result.filters, result.version, result.as_of, result.as_of_month, number_format, base)
    shown = _DISPLAYS.get(key)
    if shown is not None:
        _DISPLAYS.move_to_end(key)
        return shown
    style = user_format(number_format)
    figures = dashboard_charts(result, fy=result.fy, currency=base, number_format=style)
    shown = _Display(
        kpis=kpi_cards(result.figures.kpis, number_format=style, base_currency=base),
        charts=tuple(map(charts.figure_data, figures)),
        as_of_label=as_of_text(result.fy, result.as_of, result.as_of_month),
    )
    _DISPLAYS[key] = shown
    while len(_DISPLAYS) > _DISPLAYS_KEPT:
        _DISPLAYS.popitem(last=False)
    return shown


class DashboardState(AppState):
    # The view, as read from the URL ('' = any / default).
    fy: str = ""
    tower: str = ""
    budget_head: str = ""
    cost_centre: str = ""
    vendor: str = ""
    entity: str = ""
    as_of: str = ""  # the URL's as-of date, ISO ('' = today, so a bookmark without one follows the calendar)
    as_of_date: str = ""  # the date the figures are computed at, shown in the date input
    # What the page shows.
    loaded: bool = False
    error: str = ""
    notices: list[str] = []  # URL parts that could not be read, said plainly
    base_currency: str = ""
    as_of_label: str = ""  # e.g. 'as of 30-Nov-2026: Apr-26 … Oct-26 closed'
    kpis: list[dict[str, str]] = []  # {key, label, value, hint}
    # The four charts as figure_data dicts (plain JSON: small deltas, cheap to store in Redis).
    tower_chart: dict[str, Any] = {}
    cumulative_chart: dict[str, Any] = {}
    vendor_chart: dict[str, Any] = {}
    heatmap_chart: dict[str, Any] = {}
    data_version: int = 0
    updated_at: str = ""
    # The pickers' choices.
    fy_names: list[str] = []
    choices: dict[str, list[str]] = {}

    _live_id: str = ""

    if TYPE_CHECKING:  # defined below the class: Reflex turns every public function in the body into a handler

        def current_query(self) -> DashboardQuery: ...

    def _show(self, result: DashboardResult, number_format: str) -> None:
        base = reporting_basis.base_currency()
        shown = _display(result, number_format, base)
        self.kpis = shown.kpis
        self.tower_chart, self.cumulative_chart, self.vendor_chart, self.heatmap_chart = shown.charts
        self.as_of_label = shown.as_of_label
        self.base_currency = base
        self.data_version = result.version
        self.updated_at = live.clock()
        self.loaded = True

    @guarded(Permission.VIEW_DASHBOARDS)
    async def load(self) -> Any:
        """on_load: read the view from the URL, compute it off the event loop, then follow the data version."""
        query, self.notices = DashboardQuery.from_params(query_params(self.router.url.query_parameters))
        principal = current_principal()
        self._live_id = live.new_live_id()  # any older loop of this tab stops at its next look
        choices = await asyncio.to_thread(read_choices)
        self.fy_names, self.choices = choices.fy_names, choices.masters
        self.fy = query.fy or default_fy(choices.fy_names, date.today())
        for dim in FILTER_DIMENSIONS:
            setattr(self, dim, getattr(query.filters, dim) or "")
        self.as_of = query.as_of.isoformat() if query.as_of else ""
        self.as_of_date = (query.as_of or date.today()).isoformat()
        self.error = ""
        if self.fy not in choices.fy_names:
            self.error = (
                f"There is no fiscal year {self.fy}."
                if self.fy
                else "There is no fiscal year yet: import a budget to see the dashboard."
            )
            self.loaded = True
            return None
        view = replace(query, fy=self.fy)
        try:
            result = await live.single_flight(view.url(), functools.partial(compute, principal, view))
        except ServiceError as exc:
            self.error, self.loaded = str(exc), True
            return None
        self._show(result, principal.number_format)
        follow: Any = DashboardState.follow_changes
        return follow(self._live_id, view.params(), result.version)

    @rx.event(background=True)
    @guarded(Permission.VIEW_DASHBOARDS)
    async def follow_changes(self, live_id: str, params: dict[str, str], seen: int) -> None:
        """The tab's live loop: wait on this worker's data version watcher (no database); when the version
        moved, recompute the view `params` through the cached service and show it. Takes the state only to
        show new figures; stops as soon as the tab is gone, elsewhere or showing another view."""
        principal = current_principal()
        view, _ = DashboardQuery.from_params(params)
        token = self.router.session.client_token
        loop = live.LiveLoop(live_id=live_id, seen=seen)
        while not loop.expired():
            version = await loop.next_version()
            if version <= loop.seen:
                if not live.connected_here(token):
                    return
                continue
            result = await live.single_flight(view.url(), functools.partial(compute, principal, view))
            async with self:
                if self._live_id != live_id:
                    return
                self._show(result, principal.number_format)
            loop.seen = result.version  # a shared result read before the latest write: the next wait returns at once

    def _go(self, query: DashboardQuery) -> Any:
        return rx.redirect(query.url())

    @guarded(Permission.VIEW_DASHBOARDS)
    def pick_fy(self, name: str) -> Any:
        return self._go(replace(self.current_query(), fy=name))

    @guarded(Permission.VIEW_DASHBOARDS)
    def set_filter(self, name: str, value: str) -> Any:
        """A drop-down changed: go to the new view's address (its on_load computes it)."""
        if name not in FILTER_DIMENSIONS:
            return None
        query = self.current_query()
        filters = replace(query.filters, **{name: None if value in ("", ANY) else value})
        return self._go(replace(query, filters=filters))

    @guarded(Permission.VIEW_DASHBOARDS)
    def set_as_of(self, value: str) -> Any:
        """The as-of date changed (a full date: the input sends nothing for a half-typed one)."""
        try:
            as_of = date.fromisoformat(str(value).strip())
        except ValueError:
            return None
        return self._go(replace(self.current_query(), as_of=as_of))

    @guarded(Permission.VIEW_DASHBOARDS)
    def clear_filters(self) -> Any:
        return self._go(DashboardQuery(fy=self.fy, as_of=self.current_query().as_of))

    @guarded(Permission.VIEW_DASHBOARDS)
    def drill(self, chart: str, points: list[Any]) -> Any:
        """A bar or a heatmap cell was clicked: open the budget grid filtered to it (and to this view)."""
        member = clicked_member(chart, points)
        if not member or not self.fy:
            return None
        fy = reporting_basis.fiscal_year_named(self.fy)
        url, dropped = drill_url(self.current_query(), fy, member)
        if not dropped:
            return rx.redirect(url)
        note = "The budget grid cannot narrow to " + ", ".join(dropped) + ": it shows the lines without that."
        return [rx.toast.info(note, id="drill-note"), rx.redirect(url)]


def _current_query(self: DashboardState) -> DashboardQuery:
    """The view on screen: the FY picked, the filters and the URL's as-of date (None: today)."""
    filters = Filters(**{dim: (getattr(self, dim) or None) for dim in (f.name for f in fields(Filters))})
    return DashboardQuery(fy=self.fy, filters=filters, as_of=date.fromisoformat(self.as_of) if self.as_of else None)


# A plain method, not an event handler: assigned after Reflex has collected the class's handlers.
DashboardState.current_query = _current_query  # type: ignore[method-assign]
