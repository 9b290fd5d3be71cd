"""The dashboard use case on real PostgreSQL: its figures at the current data version, the cache serving a
repeated request, an actual committed between two calls reaching the KPIs (the version moved), the filters,
the permission check before the cache, and the read API's JSON shape.

Data is committed on a scratch database (the service reads in its own snapshot). FY27 = Apr-26 .. Mar-27;
as of 15 May 2026 the as-of month is 2.

    line  tower  budget Apr  budget May  actual
    D-1   Infra  1,000.00    500.00      200.00 (10 Apr)
    D-2   Apps   100.00                  -
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import Session

from opex_app.auth.permissions import PermissionDenied, Principal
from opex_app.db import transaction
from opex_app.domain.analytics import FY as FY_PERIOD
from opex_app.domain.analytics import Filters
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import Actual, Tower
from opex_app.services import cache
from opex_app.services.dashboard import DASHBOARD_NAMESPACE, VARIANCE_NAMESPACE, dashboard, to_json, variance
from opex_app.services.fiscal_years import ensure_fiscal_year
from tests.conftest import make_principal
from tests.services.lines import add_line
from tests.services.live_db import app_on

FY = FiscalYear(2027)
AS_OF = date(2026, 5, 15)
CREATED = datetime(2026, 3, 20, tzinfo=UTC)  # the lines exist at the as-of date
D = Decimal


@dataclass(frozen=True)
class Seed:
    viewer: Principal
    fy_id: int
    line_id: int


@pytest.fixture()
def seeded(scratch_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Seed]:
    for _ in app_on(scratch_database_url, monkeypatch):
        with transaction() as session:
            fy = ensure_fiscal_year(session, FY)
            session.add_all([Tower(name="Infra", name_key="infra"), Tower(name="Apps", name_key="apps")])
            session.flush()
            line = add_line(session, fy, "D-1", {1: "1000.00", 2: "500.00"}, tower="Infra", created_at=CREATED)
            add_line(session, fy, "D-2", {1: "100.00"}, tower="Apps", created_at=CREATED)
            _invoice(session, fy.id, line.id, "INV-1", "200.00", date(2026, 4, 10))
            viewer = make_principal(session, "viewer")
            assert fy.id is not None and line.id is not None
        yield Seed(viewer, fy.id, line.id)


def _invoice(session: Session, fy_id: int | None, line_id: int | None, number: str, amount: str, day: date) -> None:
    assert fy_id is not None
    session.add(
        Actual(
            fiscal_year_id=fy_id,
            budget_line_id=line_id,
            invoice_number=number,
            invoice_date=day,
            fiscal_month=day.month - 3,
            currency_code="INR",
            amount=D(amount),
            amount_base=D(amount),
            created_by="test",
        )
    )


def test_an_actual_committed_between_two_calls_changes_the_kpis(seeded: Seed) -> None:
    viewer = seeded.viewer
    first = dashboard(viewer, fy=FY, filters=Filters(), as_of=AS_OF)
    assert (first.figures.kpis.budget, first.figures.kpis.actual) == (D("1600.00"), D("200.00"))
    assert first.figures.kpis.available == D("1400.00")
    assert first.as_of_month == 2

    again = dashboard(viewer, fy=FY, filters=Filters(), as_of=AS_OF)
    assert again.version == first.version
    assert cache.stats()[DASHBOARD_NAMESPACE]["hits"] == 1

    with transaction() as session:
        _invoice(session, seeded.fy_id, seeded.line_id, "INV-2", "300.00", date(2026, 5, 2))
    after = dashboard(viewer, fy=FY, filters=Filters(), as_of=AS_OF)
    assert after.version == first.version + 1
    assert (after.figures.kpis.actual, after.figures.kpis.available) == (D("500.00"), D("1100.00"))
    assert cache.stats()[DASHBOARD_NAMESPACE]["misses"] == 2


def test_filters_are_part_of_the_figures_and_of_the_key(seeded: Seed) -> None:
    viewer = seeded.viewer
    infra = dashboard(viewer, fy=FY, filters=Filters(tower="Infra"), as_of=AS_OF)
    everything = dashboard(viewer, fy=FY, filters=Filters(), as_of=AS_OF)
    assert infra.figures.kpis.budget == D("1500.00")
    assert everything.figures.kpis.budget == D("1600.00")
    assert cache.stats()[DASHBOARD_NAMESPACE]["misses"] == 2


def test_a_user_without_the_permission_is_refused_before_the_cache(
    seeded: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer = seeded.viewer
    dashboard(viewer, fy=FY, filters=Filters(), as_of=AS_OF)  # cached now
    blind = replace(viewer, roles=frozenset())  # a signed-in user whose roles grant nothing
    with pytest.raises(PermissionDenied):
        dashboard(blind, fy=FY, filters=Filters(), as_of=AS_OF)
    assert cache.stats()[DASHBOARD_NAMESPACE]["hits"] == 0


def test_the_api_json_carries_exact_decimal_strings(seeded: Seed) -> None:
    body = to_json(dashboard(seeded.viewer, fy=FY, filters=Filters(tower="Infra"), as_of=AS_OF))
    assert set(body) == {
        "fy", "as_of", "as_of_month", "version", "currency", "filters",
        "kpis", "by_tower", "by_month", "top_vendors", "heatmap",
    }  # fmt: skip
    assert (body["fy"], body["as_of"], body["filters"]) == ("FY27", "2026-05-15", {"tower": "Infra"})
    assert body["kpis"]["budget"] == "1500.00"
    assert body["kpis"]["utilisation_pct"] == "13.33"  # 200 / 1500
    assert body["by_tower"] == [
        {"tower": "Infra", "budget": "1500.00", "committed": "0.00", "actual": "200.00", "available": "1300.00"}
    ]
    assert body["by_month"][1] == {
        "fiscal_month": 2,
        "month": "May-26",
        "budget_cum": "1500.00",
        "actual_cum": "200.00",
        "committed_cum": "0.00",
        "spent_cum": "200.00",
    }
    assert len(body["by_month"]) == 12 and len(body["heatmap"]) == 12


def test_the_variance_report_is_shared_through_the_cache(seeded: Seed) -> None:
    first = variance(seeded.viewer, fy=FY, levels=["tower"], period=FY_PERIOD, as_of=AS_OF)
    second = variance(seeded.viewer, fy=FY, levels=["tower"], period=FY_PERIOD, as_of=AS_OF)
    report = first.reports["tower"]
    assert report.select("row", "member", "budget").rows() == [
        ("member", "Apps", D("100.00")),
        ("member", "Infra", D("1500.00")),
        ("total", None, D("1600.00")),
    ]
    assert second.version == first.version
    counts = cache.stats()[VARIANCE_NAMESPACE]
    assert (counts["hits"], counts["misses"]) == (1, 1)
