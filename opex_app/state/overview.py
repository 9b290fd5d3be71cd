"""Overview page state: FY figures by tower (from the figures model, in base currency) and the chart built from them."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from opex_app.auth.permissions import Permission
from opex_app.db import read_session
from opex_app.domain.money import format_short
from opex_app.services.fiscal_years import list_fiscal_years
from opex_app.services.overview import figures_by_tower
from opex_app.settings import get_settings
from opex_app.state.base import AppState
from opex_app.state.guard import current_principal, guarded


class OverviewState(AppState):
    fy_names: list[str] = []
    fy_name: str = ""
    kpis: list[dict[str, str]] = []
    rows: list[dict[str, str]] = []
    rate_warning: str = ""  # lines whose budget could not be converted (no budget rate)
    figure: go.Figure = go.Figure()

    @guarded(Permission.VIEW_DASHBOARDS)
    def load(self) -> None:
        principal = current_principal()
        with read_session() as session:
            years = list_fiscal_years(session)
            self.fy_names = [fy.name for fy in years]
            if self.fy_name not in self.fy_names:
                self.fy_name = self.fy_names[0] if self.fy_names else ""
            end_year = next((fy.end_year for fy in years if fy.name == self.fy_name), None)
            figures = figures_by_tower(session, principal, end_year) if end_year else []
        totals = {
            "Budget": sum((f.budget for f in figures), start=0),
            "Committed": sum((f.committed for f in figures), start=0),
            "Actual": sum((f.actual for f in figures), start=0),
            "Available": sum((f.available for f in figures), start=0),
        }
        missing = sum(f.lines_without_budget_rate for f in figures)
        base = get_settings().base_currency
        self.rate_warning = (
            f"{missing} budget line{'s' if missing != 1 else ''} of {self.fy_name} "
            f"{'are' if missing != 1 else 'is'} in a currency with no budget rate: "
            f"{'their' if missing != 1 else 'its'} budget is left out of Budget and Available ({base})."
            if missing
            else ""
        )
        self.kpis = [{"label": k, "value": format_short(v)} for k, v in totals.items()]
        self.rows = [
            {
                "tower": f.tower,
                "lines": str(f.lines),
                "budget": format_short(f.budget),
                "committed": format_short(f.committed),
                "actual": format_short(f.actual),
                "available": format_short(f.available),
            }
            for f in figures
        ]
        towers = [f.tower for f in figures]
        fig = go.Figure()
        for name, values in (
            ("Budget", [f.budget for f in figures]),
            ("Committed", [f.committed for f in figures]),
            ("Actual", [f.actual for f in figures]),
        ):
            fig.add_bar(name=name, x=towers, y=[float(v) for v in values])
        fig.update_layout(
            barmode="group",
            margin={"l": 40, "r": 10, "t": 30, "b": 10},
            height=360,
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
            xaxis={"automargin": True},
            yaxis={"title": base},
        )
        self.figure = fig

    @guarded(Permission.VIEW_DASHBOARDS)
    def pick_fy(self, name: str) -> Any:
        self.fy_name = name
        return OverviewState.load
