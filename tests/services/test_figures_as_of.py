"""The figures model as of a date, on real PostgreSQL against hand-computed figures: an invoice after the
date (left out of actual and of its PO's invoiced amount), POs approved, closed and cancelled around it
(UTC calendar days), a PO imported as approved, month amounts edited after it, lines created after it; and
the FY frame (fast COPY read, filters in the database) agreeing with the row-by-row read.

FY43 runs from Apr-42 (fiscal month 1) to Mar-43 (fiscal month 12). D = 30 Sep 2042, the end of fiscal
month 6; "after D" starts at 1 Oct 2042 00:00 UTC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import text
from sqlmodel import Session

from opex_app.auth.permissions import PermissionDenied, cli_principal
from opex_app.domain.analytics import FIGURES_SCHEMA
from opex_app.domain.analytics.filters import Filters
from opex_app.models import PoStatus
from opex_app.services import figures
from opex_app.services.analytics import figures_frame
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.masters import create_missing, name_index
from tests.services.test_figures import FY, Builder

D = Decimal
AS_OF = date(2042, 9, 30)


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _set(session: Session, table: str, row_id: int, **values: Any) -> None:
    assigns = ", ".join(f"{name} = :{name}" for name in values)
    session.execute(text(f"UPDATE {table} SET {assigns} WHERE id = :id"), {"id": row_id, **values})


def _po(session: Session, b: Builder, line: int, amount: str, po_date: date | None, **stamps: Any) -> int:
    """A PO of one line (returned); `stamps` set its status and approved_at / closed_at / updated_at /
    created_at."""
    status = stamps.pop("status", PoStatus.APPROVED)
    po_line = b.po(line, amount, po_date=po_date, status=status)
    po_id = session.execute(text("SELECT purchase_order_id FROM po_line WHERE id = :id"), {"id": po_line}).scalar()
    _set(session, "purchase_order", po_id, **stamps)
    return po_line


def _edit(session: Session, line: int, at: datetime, changes: dict[str, list[str]], **event: str) -> None:
    """An audit event as the line editor and the budget import write them: {field: [before, after]}."""
    session.execute(
        text(
            "INSERT INTO audit_event (at, actor, action, entity, entity_id, changes)"
            " VALUES (:at, 'seed', :action, :entity, :entity_id, CAST(:changes AS jsonb))"
        ),
        {
            "at": at,
            "action": event.get("action", "update"),
            "entity": event.get("entity", "budget_line"),
            "entity_id": str(line),
            "changes": json.dumps(changes),
        },
    )


@dataclass
class AsOfWorld:
    line: int  # every rule on one line
    late: int  # created after D
    on_the_day: int  # created on D, late in the UTC day
    tower: str


@pytest.fixture()
def as_of_world(session: Session) -> AsOfWorld:
    fy = ensure_fiscal_year(session, FY)
    tower = "As-of Tower"
    create_missing(session, cli_principal(), "tower", [tower])
    b = Builder(session, fy, "ASOF")
    line = b.line("ASOF-L", {1: "1100.00"} | dict.fromkeys(range(2, 13), "1000.00"))
    _set(
        session,
        "budget_line",
        line,
        created_at=_at(2042, 4, 1),
        tower_id=name_index(session, "tower")[tower.casefold()],
    )

    # PO1: approved in May; invoiced 250 in Jun (by D) and 100 in Nov (after D): open 350 at D, 250 now.
    po1 = _po(session, b, line, "600.00", date(2042, 5, 10), approved_at=_at(2042, 5, 12))
    b.actual(line, 3, "250.00", po_line_id=po1, invoice_date=date(2042, 6, 15))
    b.actual(line, 8, "100.00", po_line_id=po1, invoice_date=date(2042, 11, 15))
    # PO2: approved on 5 Oct, after D: commits only now (Aug, fiscal month 5).
    _po(session, b, line, "300.00", date(2042, 8, 1), approved_at=_at(2042, 10, 5))
    # PO3: closed on 1 Nov, after D: still committing at D (May, month 2), nothing now.
    _po(
        session,
        b,
        line,
        "400.00",
        date(2042, 5, 1),
        status=PoStatus.CLOSED,
        approved_at=_at(2042, 6, 1),
        closed_at=_at(2042, 11, 1),
    )
    # PO4: closed at 23:00 UTC on D: not committing at D.
    _po(
        session,
        b,
        line,
        "200.00",
        date(2042, 5, 1),
        status=PoStatus.CLOSED,
        approved_at=_at(2042, 6, 1),
        closed_at=_at(2042, 9, 30, 23),
    )
    # PO5: approved in the last second of D (UTC): committing at D and now (Sep, month 6).
    _po(session, b, line, "150.00", date(2042, 9, 1), approved_at=_at(2042, 9, 30, 23, 59, 59))
    # PO6: approved, cancelled on 10 Oct (cancelling stamps updated_at only): committing at D (Jun, month 3).
    _po(
        session,
        b,
        line,
        "70.00",
        date(2042, 6, 1),
        status=PoStatus.CANCELLED,
        approved_at=_at(2042, 6, 1),
        updated_at=_at(2042, 10, 10),
    )
    # PO7: cancelled before any approval: never commits.
    _po(
        session,
        b,
        line,
        "90.00",
        date(2042, 5, 1),
        status=PoStatus.CANCELLED,
        created_at=_at(2042, 5, 1),
        updated_at=_at(2042, 10, 10),
    )
    # PO8: imported as approved (no approved_at), recorded in July: committing at D and now (Apr, month 1).
    _po(session, b, line, "80.00", date(2042, 4, 20), created_at=_at(2042, 7, 1))
    # PO9: approved in June, but dated 15 Oct, after D: commits only now (Oct, month 7).
    _po(session, b, line, "60.00", date(2042, 10, 15), approved_at=_at(2042, 6, 1))
    # Invoices on the line without a PO: on D (kept) and the day after (left out).
    b.actual(line, 6, "40.00", invoice_date=date(2042, 9, 30))
    b.actual(line, 7, "30.00", invoice_date=date(2042, 10, 1))

    # Month edits: Apr was 900 at D (two edits after it, the first one's before counts), May was 800; the
    # edits of Jun (before D) and Jul (on D, late) and an event of another kind or entity change nothing.
    _edit(session, line, _at(2042, 10, 5), {"m01": ["900.00", "1000.00"]})
    _edit(session, line, _at(2042, 11, 5), {"m01": ["1000.00", "1100.00"], "m02": ["800.00", "1000.00"]})
    _edit(session, line, _at(2042, 9, 20), {"m03": ["500.00", "1000.00"]})
    _edit(session, line, _at(2042, 9, 30, 23, 30), {"m04": ["700.00", "1000.00"]})
    _edit(session, line, _at(2042, 10, 6), {"m05": ["1.00", "1000.00"]}, action="import")
    _edit(session, line, _at(2042, 10, 6), {"m05": ["2.00", "1000.00"]}, entity="po_line")

    late = b.line("ASOF-LATE", {1: "5.00"})
    _set(session, "budget_line", late, created_at=_at(2042, 10, 1))
    on_the_day = b.line("ASOF-DAY", {1: "7.00"})
    _set(session, "budget_line", on_the_day, created_at=_at(2042, 9, 30, 22))
    session.flush()
    return AsOfWorld(line, late, on_the_day, tower)


def _months(values: dict[int, str]) -> list[Decimal]:
    return [D(values.get(m, "0.00")) for m in range(1, 13)]


def _figure(got: list[figures.MonthFigures], name: str) -> list[Decimal | None]:
    return [getattr(m, name) for m in got]


def test_as_of_a_date_every_rule(session: Session, as_of_world: AsOfWorld, viewer) -> None:
    w = as_of_world
    then = figures.line_month_figures(session, viewer, line_ids=[w.line, w.late, w.on_the_day], as_of=AS_OF)
    assert set(then) == {w.line, w.on_the_day}  # the line created after D is absent
    got = then[w.line]
    assert _figure(got, "budget") == _months({1: "900.00", 2: "800.00"} | {m: "1000.00" for m in range(3, 13)})
    assert _figure(got, "committed") == _months({1: "80.00", 2: "750.00", 3: "70.00", 6: "150.00"})
    assert _figure(got, "actual") == _months({3: "250.00", 6: "40.00"})

    total = figures.line_totals(session, line_ids=[w.line], as_of=AS_OF)[w.line]
    assert (total.budget_base, total.committed, total.actual, total.available) == (
        D("11700.00"),
        D("1050.00"),
        D("290.00"),
        D("10360.00"),
    )


def test_without_as_of_the_figures_stand_as_now(session: Session, as_of_world: AsOfWorld, viewer) -> None:
    w = as_of_world
    now = figures.line_month_figures(session, viewer, line_ids=[w.line, w.late, w.on_the_day])
    assert set(now) == {w.line, w.late, w.on_the_day}
    got = now[w.line]
    assert _figure(got, "budget") == _months({1: "1100.00"} | {m: "1000.00" for m in range(2, 13)})
    assert _figure(got, "committed") == _months({1: "80.00", 2: "250.00", 5: "300.00", 6: "150.00", 7: "60.00"})
    assert _figure(got, "actual") == _months({3: "250.00", 6: "40.00", 7: "30.00", 8: "100.00"})
    # as of a day after every date of the world, the same figures as without a cut-off
    later = figures.line_month_figures(session, viewer, line_ids=[w.line], as_of=date(2043, 12, 31))
    assert later[w.line] == got


def test_the_fy_frame_reads_the_same_figures_fast(session: Session, as_of_world: AsOfWorld, viewer) -> None:
    w = as_of_world
    fy_id = session.execute(text("SELECT id FROM fiscal_year WHERE end_year = :y"), {"y": FY.end_year}).scalar()
    for as_of in (None, AS_OF):
        frame = figures.fiscal_year_frame(session, fiscal_year_id=fy_id, as_of=as_of)
        rows = figures.fiscal_year_month_rows(session, fiscal_year_id=fy_id, as_of=as_of)
        assert frame.schema == FIGURES_SCHEMA
        assert_frame_equal(frame, pl.DataFrame(rows, schema=FIGURES_SCHEMA, orient="row"))
        months = figures.month_figures(session, line_ids=[w.line], as_of=as_of)[w.line]
        line = frame.filter(pl.col("budget_line_id") == w.line).sort("fiscal_month")
        assert line.get_column("committed").to_list() == _figure(months, "committed")
        assert line.get_column("actual").to_list() == _figure(months, "actual")
        assert line.get_column("budget_base").to_list() == _figure(months, "budget_base")
    assert w.late not in frame.get_column("budget_line_id").to_list()

    # a filter is applied in the database: only that tower's line, twelve months; an unknown name, nothing
    towered = figures_frame(session, viewer, fy=FY, as_of=AS_OF, filters=Filters(tower=w.tower))
    assert towered.get_column("budget_line_id").to_list() == [w.line] * 12
    assert towered.get_column("fiscal_month").to_list() == list(range(1, 13))
    assert towered.get_column("committed").sum() == D("1050.00")
    nothing = figures_frame(session, viewer, fy=FY, filters=Filters(tower="No such tower", vendor="x"))
    assert nothing.is_empty() and nothing.schema == FIGURES_SCHEMA
    with pytest.raises(PermissionDenied):
        figures_frame(session, None, fy=FY)  # type: ignore[arg-type]
