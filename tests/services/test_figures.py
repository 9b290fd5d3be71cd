"""The figures model on real PostgreSQL, against hand-computed figures: partial invoicing, closing,
cancelling, a PO in USD at its rate, budget lines in USD at their budget rate and without one, service
months spread with the rounding rest in the last month, the PO date's month without service months, an
invoice above its PO line; and the pages (line detail, grid, overview) reading exactly these figures.

FY43 runs from Apr-42 (fiscal month 1) to Mar-43 (fiscal month 12).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session

from opex_app.auth.permissions import PermissionDenied, cli_principal
from opex_app.domain.budget_fields import MONTH_FIELDS
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import Actual, BudgetLine, FiscalYearRow, FxRate, PoLine, PoStatus, PurchaseOrder
from opex_app.services import figures
from opex_app.services.budget_lines import get_line_detail, list_lines
from opex_app.services.budget_query import BudgetFilter
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.masters import create_missing, name_index
from opex_app.services.overview import figures_by_tower

FY = FiscalYear(2043)
D = Decimal
Z = D("0.00")


@dataclass
class World:
    fy: FiscalYearRow
    lines: dict[str, int]
    tower: str


class Builder:
    def __init__(self, session: Session, fy: FiscalYearRow, tag: str = "FIG") -> None:
        assert fy.id is not None
        self.session, self.fy_id, self.tag = session, fy.id, tag
        self.invoices = 0
        self.pos = 0

    def line(
        self, uid: str, months: dict[int, str], *, currency: str | None = "INR", tower_id: int | None = None
    ) -> int:
        line = BudgetLine(
            fiscal_year_id=self.fy_id, uid=uid, created_by="seed", currency_code=currency, tower_id=tower_id
        )
        for month, amount in months.items():
            setattr(line, MONTH_FIELDS[month - 1], D(amount))
        self.session.add(line)
        self.session.flush()
        assert line.id is not None
        return line.id

    def po(
        self,
        line_id: int,
        amount: str,
        *,
        status: PoStatus = PoStatus.APPROVED,
        po_date: date | None = date(2042, 5, 10),
        currency: str = "INR",
        rate: str | None = None,
        service: tuple[date | None, date | None] = (None, None),
    ) -> int:
        """A PO with one line of `amount` (in the PO's currency) to `line_id`; returns the PO line id."""
        self.pos += 1
        fx = D(rate) if rate else (D(1) if currency == "INR" else None)
        po = PurchaseOrder(
            po_number=f"{self.tag}-PO-{self.pos}",
            fiscal_year_id=self.fy_id,
            currency_code=currency,
            status=status.value,
            po_date=po_date,
            total_amount=D(amount),
            fx_rate=fx,
            total_amount_base=(D(amount) * (fx or 0)).quantize(D("0.01")),
            created_by="seed",
        )
        self.session.add(po)
        self.session.flush()
        assert po.id is not None
        pl = PoLine(
            purchase_order_id=po.id,
            budget_line_id=line_id,
            amount=D(amount),
            amount_base=po.total_amount_base,
            service_start=service[0],
            service_end=service[1],
        )
        self.session.add(pl)
        self.session.flush()
        assert pl.id is not None
        return pl.id

    def actual(
        self,
        line_id: int | None,
        fiscal_month: int,
        amount: str,
        *,
        po_line_id: int | None = None,
        currency: str = "INR",
        rate: str = "1",
        invoice_date: date | None = None,
    ) -> None:
        """An invoice booked in `fiscal_month`, dated `invoice_date` (default: the 15th of that month)."""
        self.invoices += 1
        year, month = FY.calendar_month(fiscal_month)
        self.session.add(
            Actual(
                fiscal_year_id=self.fy_id,
                budget_line_id=line_id,
                po_line_id=po_line_id,
                invoice_number=f"{self.tag}-INV-{self.invoices}",
                invoice_date=invoice_date or date(year, month, 15),
                fiscal_month=fiscal_month,
                currency_code=currency,
                amount=D(amount),
                amount_base=(D(amount) * D(rate)).quantize(D("0.01")),
                fx_rate=D(rate),
                created_by="seed",
            )
        )
        self.session.flush()


def _rate(session: Session, code: str, rate: str, day: date) -> None:
    session.add(FxRate(currency_code=code, rate_to_base=D(rate), effective_from=day, created_by="seed"))
    session.flush()


@pytest.fixture()
def world(session: Session) -> World:
    fy = ensure_fiscal_year(session, FY)
    tower = "Figures Tower"
    create_missing(session, cli_principal(), "tower", [tower])
    tower_id = name_index(session, "tower")[tower.casefold()]
    b = Builder(session, fy)
    # USD: the rate in force on 1 Apr 2042 is the budget rate; the later one is not. DKK has no rate on 1 Apr 2042.
    _rate(session, "USD", "80.000000", date(2041, 4, 1))
    _rate(session, "USD", "82.500000", date(2042, 4, 1))
    _rate(session, "USD", "85.000000", date(2042, 10, 1))
    _rate(session, "DKK", "12.000000", date(2042, 6, 1))
    lines: dict[str, int] = {}

    # A: an INR line of 1,000 a month, with every kind of PO.
    a = lines["A"] = b.line("FIG-A", dict.fromkeys(range(1, 13), "1000.00"), tower_id=tower_id)
    partly = b.po(a, "600.00")  # PO date 10 May 2042: fiscal month 2
    b.actual(a, 3, "250.00", po_line_id=partly)  # partial invoicing: 350 stays open
    closed = b.po(a, "400.00", status=PoStatus.CLOSED)
    b.actual(a, 4, "100.00", po_line_id=closed)  # closing released the other 300
    b.po(a, "500.00", status=PoStatus.CANCELLED)
    b.po(a, "700.00", status=PoStatus.DRAFT)
    b.po(a, "800.00", status=PoStatus.SUBMITTED)
    b.po(a, "900.00", status=PoStatus.REJECTED)
    b.po(a, "100.00", service=(date(2042, 4, 15), date(2042, 6, 20)))  # Apr..Jun: 33.33 + 33.33 + 33.34
    over = b.po(a, "50.00")
    b.actual(a, 5, "80.00", po_line_id=over)  # above its PO line: 80 actual, nothing open
    b.actual(a, 12, "10.00")  # booked to the line without a PO
    b.actual(None, 12, "999.00")  # unlinked: no line's figure

    # B: an INR line with a USD PO at its own rate (80), invoiced in USD and in INR.
    bl = lines["B"] = b.line("FIG-B", {1: "100000.00"}, tower_id=tower_id)
    usd = b.po(bl, "1000.00", currency="USD", rate="80", po_date=date(2042, 7, 1))  # fiscal month 4
    b.actual(bl, 5, "300.00", po_line_id=usd, currency="USD", rate="82")  # 300 USD = 24,600 base
    b.actual(bl, 6, "8000.00", po_line_id=usd)  # 8,000 INR = 100 USD at the PO's rate
    # open 1000 - 300 - 100 = 600 USD x 80 = 48,000

    # C: a USD budget at the budget rate 82.5; a whole-FY service spread of 1,000.00 (83.33 x 11 + 83.37).
    c = lines["C"] = b.line("FIG-C", {1: "100.00", 2: "33.33"}, currency="USD")
    b.po(c, "1000.00", service=(date(2042, 4, 1), date(2043, 3, 31)))
    # a service period starting before the FY: clamped into its first month, so Apr..May take 0.05 and 0.06
    b.po(c, "0.11", service=(date(2042, 1, 1), date(2042, 5, 31)))

    # D: a DKK budget with no budget rate, still committed and actual in base.
    d = lines["D"] = b.line("FIG-D", {1: "100.00"}, currency="DKK")
    b.po(d, "70.00", po_date=date(2043, 2, 1))  # fiscal month 11
    b.actual(d, 1, "5.00")

    # E: no currency named: the base currency; no PO date and no service months: fiscal month 1.
    e = lines["E"] = b.line("FIG-E", {3: "10.00"}, currency=None)
    b.po(e, "4.00", po_date=None)
    return World(fy, lines, tower)


def _months(fig: list[figures.MonthFigures], name: str) -> list[Decimal]:
    """One figure of the twelve months (None where a budget rate is missing)."""
    return [getattr(m, name) for m in fig]


def _expect(values: dict[int, str]) -> list[Decimal]:
    return [D(values.get(m, "0.00")) for m in range(1, 13)]


def test_committed_and_actual_by_month(session: Session, world: World, viewer) -> None:
    got = figures.line_month_figures(session, viewer, line_ids=world.lines.values())
    assert set(got) == set(world.lines.values())
    assert all([m.fiscal_month for m in months] == list(range(1, 13)) for months in got.values())

    a = got[world.lines["A"]]
    assert _months(a, "budget") == _expect(dict.fromkeys(range(1, 13), "1000.00"))
    assert _months(a, "budget_base") == _months(a, "budget")
    assert _months(a, "committed") == _expect({1: "33.33", 2: "383.33", 3: "33.34"})  # 350 in May + the spread
    assert _months(a, "actual") == _expect({3: "250.00", 4: "100.00", 5: "80.00", 12: "10.00"})
    assert _months(a, "available") == _expect(
        {1: "966.67", 2: "616.67", 3: "716.66", 4: "900.00", 5: "920.00", 12: "990.00"}
        | {m: "1000.00" for m in (6, 7, 8, 9, 10, 11)}
    )

    b = got[world.lines["B"]]
    assert _months(b, "committed") == _expect({4: "48000.00"})
    assert _months(b, "actual") == _expect({5: "24600.00", 6: "8000.00"})

    c = got[world.lines["C"]]
    assert _months(c, "budget") == _expect({1: "100.00", 2: "33.33"})
    assert _months(c, "budget_base") == _expect({1: "8250.00", 2: "2749.73"})  # 33.33 x 82.5 = 2749.725
    assert _months(c, "committed") == _expect(
        {m: "83.33" for m in range(3, 12)} | {1: "83.38", 2: "83.39", 12: "83.37"}
    )

    d = got[world.lines["D"]]
    assert _months(d, "budget") == _expect({1: "100.00"})
    assert _months(d, "budget_base") == [None] * 12 and _months(d, "available") == [None] * 12
    assert _months(d, "committed") == _expect({11: "70.00"}) and _months(d, "actual") == _expect({1: "5.00"})

    e = got[world.lines["E"]]
    assert _months(e, "budget_base") == _expect({3: "10.00"}) and _months(e, "committed") == _expect({1: "4.00"})

    with pytest.raises(PermissionDenied):
        figures.line_month_figures(session, None, line_ids=[world.lines["A"]])  # type: ignore[arg-type]
    assert figures.line_month_figures(session, viewer, line_ids=[]) == {}


def test_totals_are_the_sums_of_the_months(session: Session, world: World, viewer) -> None:
    totals = figures.line_totals(session, line_ids=world.lines.values())
    a = totals[world.lines["A"]]
    assert (a.budget_base, a.committed, a.actual, a.available) == (
        D("12000.00"),
        D("450.00"),
        D("440.00"),
        D("11110.00"),
    )
    assert not a.budget_rate_missing and a.currency == "INR" and a.budget_rate == 1
    b = totals[world.lines["B"]]
    assert (b.committed, b.actual, b.available) == (D("48000.00"), D("32600.00"), D("19400.00"))
    c = totals[world.lines["C"]]
    assert c.currency == "USD" and c.budget_rate == D("82.5") and c.budget == D("133.33")
    assert (c.budget_base, c.committed, c.available) == (D("10999.73"), D("1000.11"), D("9999.62"))
    d = totals[world.lines["D"]]
    assert d.budget_rate_missing and d.budget_base is None and d.available is None and d.budget_rate is None
    assert (d.budget, d.committed, d.actual) == (D("100.00"), D("70.00"), D("5.00"))
    e = totals[world.lines["E"]]
    assert e.currency == "INR" and not e.budget_rate_missing

    months = figures.line_month_figures(session, viewer, line_ids=world.lines.values())
    for line_id, total in totals.items():
        m = months[line_id]
        assert total.committed == sum(_months(m, "committed"), Z)
        assert total.actual == sum(_months(m, "actual"), Z)
        assert total.budget == sum(_months(m, "budget"), Z)
        if not total.budget_rate_missing:
            assert total.budget_base == sum(_months(m, "budget_base"), Z)
            assert total.available == sum(_months(m, "available"), Z)


def test_a_foreign_po_without_any_rate_is_flagged_not_converted_at_one(session: Session, world: World) -> None:
    b = Builder(session, world.fy, "FIGF")
    line = b.line("FIG-F", {1: "10.00"})
    b.po(line, "5.00", currency="SEK", po_date=date(1990, 1, 1))  # no SEK rate then, none stored on the PO
    total = figures.line_totals(session, line_ids=[line])[line]
    assert total.po_rate_missing and total.committed == Z


def test_overview_groups_are_the_sums_of_the_lines(session: Session, world: World, viewer) -> None:
    assert world.fy.id is not None
    groups = {g.name: g for g in figures.figures_by(session, viewer, fiscal_year_id=world.fy.id, by="tower")}
    tower = groups[world.tower]
    totals = figures.line_totals(session, line_ids=[world.lines["A"], world.lines["B"]])
    assert tower.lines == 2 and tower.lines_without_budget_rate == 0
    assert tower.budget_base == sum((t.budget_base or Z for t in totals.values()), Z) == D("112000.00")
    assert tower.committed == D("48450.00") and tower.actual == D("33040.00")
    assert tower.available == D("112000.00") - D("48450.00") - D("33040.00")
    none = groups["(no tower)"]  # C, D, E: D has no budget rate, its budget is left out and counted
    assert none.lines == 3 and none.lines_without_budget_rate == 1
    assert none.budget_base == D("10999.73") + D("10.00")
    assert none.committed == D("1000.11") + D("70.00") + D("4.00") and none.actual == D("5.00")

    with pytest.raises(ValueError, match="cannot group"):
        figures.figures_by(session, viewer, fiscal_year_id=world.fy.id, by="uid; drop table x")

    # The overview page's service reads the same figures.
    page = {t.tower: t for t in figures_by_tower(session, viewer, FY.end_year)}
    for name, group in groups.items():
        shown = page[name]
        assert (shown.lines, shown.budget, shown.committed, shown.actual, shown.available) == (
            group.lines,
            group.budget_base,
            group.committed,
            group.actual,
            group.available,
        )
        assert shown.lines_without_budget_rate == group.lines_without_budget_rate


def test_line_detail_shows_the_models_figures(session: Session, world: World, viewer) -> None:
    for key in ("A", "C", "D"):
        line_id = world.lines[key]
        detail = get_line_detail(session, viewer, line_id)
        model = figures.line_month_figures(session, viewer, line_ids=[line_id])[line_id]
        total = figures.line_totals(session, line_ids=[line_id])[line_id]
        assert list(detail.months) == model
        assert detail.totals == total
    usd = get_line_detail(session, viewer, world.lines["C"])
    assert usd.currency == "USD" and usd.shows_base and usd.budget_rate == D("82.5")
    dkk = get_line_detail(session, viewer, world.lines["D"])
    assert dkk.totals.budget_rate_missing and dkk.shows_base
    inr = get_line_detail(session, viewer, world.lines["A"])
    assert not inr.shows_base


def test_grid_rows_show_the_models_totals(session: Session, world: World, viewer) -> None:
    page = list_lines(session, viewer, BudgetFilter(fy=FY.name, search="FIG-"), sort="uid", page_size=50)
    assert [r.uid for r in page.rows] == ["FIG-A", "FIG-B", "FIG-C", "FIG-D", "FIG-E"]
    totals = figures.line_totals(session, line_ids=[r.id for r in page.rows])
    for row in page.rows:
        assert row.figures == totals[row.id]
