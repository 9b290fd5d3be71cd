"""The dashboard state's pure parts: the view read from and written to the URL, what a chart click opens,
the KPI cards' text, and the live loop's bookkeeping. (The page itself: tests/e2e/test_dashboard.py.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from opex_app.domain.analytics.dashboard import Kpis
from opex_app.domain.analytics.filters import Filters
from opex_app.domain.fiscal import FiscalYear
from opex_app.state import live
from opex_app.state.dashboard import (
    DashboardQuery,
    as_of_text,
    clicked_member,
    default_fy,
    drill_url,
    kpi_cards,
    user_format,
)

FY27 = FiscalYear(2027)


def _query(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(url)
    return parts.path, parse_qs(parts.query)


def test_the_url_names_the_whole_view_and_reads_back_the_same() -> None:
    query = DashboardQuery(fy="FY27", filters=Filters(tower="Infra & Ops", vendor="Acme"), as_of=date(2026, 9, 30))
    path, params = _query(query.url())
    assert path == "/"
    assert params == {"fy": ["FY27"], "tower": ["Infra & Ops"], "vendor": ["Acme"], "as_of": ["2026-09-30"]}
    again, problems = DashboardQuery.from_params({k: v[0] for k, v in params.items()})
    assert (again, problems) == (query, [])


def test_defaults_leave_the_url_bare_and_names_are_normalised() -> None:
    assert DashboardQuery().url() == "/"
    query, problems = DashboardQuery.from_params({"fy": "fy 27", "tower": "  ", "unknown": "x"})
    assert query == DashboardQuery(fy="FY27")
    assert problems == []


def test_what_the_url_gets_wrong_is_said_not_dropped() -> None:
    query, problems = DashboardQuery.from_params({"fy": "twenty", "as_of": "31/09/2026", "tower": "Infra"})
    assert query == DashboardQuery(fy="", filters=Filters(tower="Infra"), as_of=None)
    assert len(problems) == 2
    assert "'twenty' is not a fiscal year name" in problems[0]
    assert "'31/09/2026' is not a date" in problems[1]


def test_default_fy_is_todays_when_stored_else_the_latest() -> None:
    assert default_fy(["FY28", "FY27", "FY26"], date(2026, 11, 30)) == "FY27"
    assert default_fy(["FY52", "FY47"], date(2026, 11, 30)) == "FY52"
    assert default_fy([], date(2026, 11, 30)) == ""


@pytest.mark.parametrize(
    ("chart", "points", "member"),
    [
        ("towers", [{"customdata": "Infra"}], {"tower": "Infra"}),
        ("vendors", [{"customdata": "Acme"}, {"customdata": "Other"}], {"vendor": "Acme"}),
        ("heatmap", [{"customdata": ["Infra", 4]}], {"tower": "Infra", "fiscal_month": 4}),
        ("cumulative", [{"customdata": "Infra"}], {}),  # not a drill-down chart
        ("towers", [{"customdata": None}], {}),
        ("towers", [], {}),
        ("towers", "junk", {}),
    ],
)
def test_a_click_names_the_member_its_chart_put_in_customdata(chart, points, member) -> None:
    assert clicked_member(chart, points) == member


def test_drill_down_keeps_the_dashboard_filters_and_adds_the_clicked_member() -> None:
    query = DashboardQuery(fy="FY27", filters=Filters(vendor="Acme", budget_head="Licences"))
    url, dropped = drill_url(query, FY27, {"tower": "Infra"})
    path, params = _query(url)
    assert path == "/budgets"
    assert params == {"fy": ["FY27"], "tower": ["Infra"], "budget_head": ["Licences"], "vendor": ["Acme"]}
    assert dropped == []


def test_drill_down_says_what_the_grid_cannot_narrow_to() -> None:
    query = DashboardQuery(fy="FY27", filters=Filters(entity="Acme India"))
    url, dropped = drill_url(query, FY27, {"tower": "(no tower)", "fiscal_month": 4})
    assert _query(url) == ("/budgets", {"fy": ["FY27"]})
    assert dropped == ["entity 'Acme India'", "lines without a tower", "the month Jul-26"]


def test_a_clicked_member_replaces_the_same_filter() -> None:
    url, _ = drill_url(DashboardQuery(fy="FY27", filters=Filters(tower="Apps")), FY27, {"tower": "Infra"})
    assert _query(url)[1]["tower"] == ["Infra"]


KPIS = Kpis(
    budget=Decimal("42000000.00"),
    committed=Decimal("1234567.89"),
    actual=Decimal("30000.00"),
    available=Decimal("40735432.11"),
    utilisation_pct=Decimal("0.07"),
    outturn=Decimal("43500000.00"),
    outturn_variance=Decimal("-1500000.00"),
)


def test_kpi_cards_in_indian_grouping_name_the_base_currency() -> None:
    cards = {c["key"]: c for c in kpi_cards(KPIS, number_format="indian", base_currency="INR")}
    assert list(cards) == ["budget", "committed", "actual", "available", "utilisation", "outturn", "outturn_variance"]
    assert cards["budget"]["value"] == "INR 4.20 Cr"
    assert cards["budget"]["hint"].startswith("4,20,00,000 · ")
    assert cards["committed"]["value"] == "INR 12.35 L"
    assert cards["actual"]["value"] == "INR 30,000"
    assert cards["utilisation"]["value"] == "0.1 %"
    assert cards["outturn_variance"]["value"] == "INR -15.00 L"
    assert cards["outturn_variance"]["hint"].startswith("-15,00,000 · ")


def test_kpi_cards_in_western_grouping_and_without_budget() -> None:
    kpis = Kpis(**{**KPIS.__dict__, "utilisation_pct": None})
    cards = {c["key"]: c for c in kpi_cards(kpis, number_format="western", base_currency="USD")}
    assert cards["budget"]["value"] == "USD 42.00M"
    assert cards["budget"]["hint"].startswith("42,000,000 · ")
    assert cards["actual"]["value"] == "USD 30.00K"
    assert cards["utilisation"]["value"] == "–"


def test_an_unknown_stored_format_reads_as_indian() -> None:
    assert user_format("western") == "western"
    assert user_format("klingon") == "indian"


@pytest.mark.parametrize(
    ("as_of", "month", "text"),
    [
        (date(2026, 11, 30), 8, "as of 30-Nov-2026: Apr-26 … Oct-26 closed"),
        (date(2026, 5, 2), 2, "as of 02-May-2026: Apr-26 closed"),
        (date(2026, 4, 1), 1, "as of 01-Apr-2026: no month of FY27 closed yet"),
        (date(2025, 1, 1), 0, "as of 01-Jan-2025: no month of FY27 closed yet"),
        (date(2027, 6, 1), 13, "as of 01-Jun-2027: all of FY27 closed"),
    ],
)
def test_as_of_text_says_which_months_are_closed(as_of: date, month: int, text: str) -> None:
    assert as_of_text(FY27, as_of, month) == text


def test_a_live_loop_gives_up_after_its_lifetime() -> None:
    assert not live.LiveLoop(live_id="a", seen=3).expired()
    assert live.LiveLoop(live_id="a", seen=3, max_lifetime=-1).expired()
    assert live.new_live_id() != live.new_live_id()


def test_a_tab_is_connected_only_while_this_worker_holds_its_socket() -> None:
    import opex_app.opex_app as app_module

    manager = app_module.app.event_namespace._token_manager  # type: ignore[union-attr]
    assert live.connected_here("no-such-token") is False
    manager.token_to_socket["tab-1"] = _Record(sid="s1", instance_id=manager.instance_id)
    try:
        assert live.connected_here("tab-1") is True
        manager.token_to_socket["tab-1"] = _Record(sid="s1", instance_id="another worker")
        assert live.connected_here("tab-1") is False
    finally:
        manager.token_to_socket.pop("tab-1", None)


def test_when_the_socket_bookkeeping_cannot_be_read_the_tab_counts_as_connected(monkeypatch) -> None:
    """The socket check must never end a loop by mistake; the lifetime cap still ends it."""
    import reflex.config

    monkeypatch.setattr(reflex.config.get_config(), "app_module_import", "no_such_module.app")
    assert live.connected_here("no-such-token") is True


@dataclass(frozen=True)
class _Record:
    sid: str
    instance_id: str


def test_tabs_asking_for_one_view_at_once_share_one_computation() -> None:
    """A write wakes every open dashboard together: one computation per view and worker, not one per tab."""
    import asyncio
    import threading

    calls: list[str] = []
    release = threading.Event()

    def compute(view: str) -> str:
        calls.append(view)
        release.wait(5)
        return f"figures of {view}"

    async def scenario() -> list[str]:
        tabs = [asyncio.ensure_future(live.single_flight(v, lambda v=v: compute(v))) for v in ("A", "A", "B", "A")]
        while len(live._inflight) < 2:  # loop ticks, not time: every tab has asked once both views run
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        release.set()
        return list(await asyncio.gather(*tabs))

    assert asyncio.run(scenario()) == ["figures of A", "figures of A", "figures of B", "figures of A"]
    assert sorted(calls) == ["A", "B"]
    assert live._inflight == {}
