"""Budget grid and line pages in Chromium: rows and totals, a filter that lands in the URL, editing a month,
and a conflicting edit from a second browser that is refused without losing what was typed."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, log_in_as

GRID_FY = 2035  # FY35: the grid's lines (left unchanged by these tests)
EDIT_FY = 2036  # FY36: lines the editing tests change


@dataclass(frozen=True)
class Seeded:
    tower_a: str
    tower_b: str
    grid_ids: dict[str, int]
    edit_ids: dict[str, int]


def _make_line(session, fy_id: int, uid: str, months: dict[int, str], tower_id: int | None) -> int:
    from opex_app.domain.budget_fields import MONTH_FIELDS
    from opex_app.models import BudgetLine

    line = BudgetLine(fiscal_year_id=fy_id, uid=uid, tower_id=tower_id, created_by="e2e", currency_code="INR")
    line.description = f"E2E line {uid}"
    for month, amount in months.items():
        setattr(line, MONTH_FIELDS[month - 1], Decimal(amount))
    session.add(line)
    session.flush()
    assert line.id is not None
    return line.id


@pytest.fixture(scope="module")
def seeded(running_app) -> Seeded:
    """Lines the app (a separate process on the same database) will show; committed before any page loads."""
    from opex_app.auth.permissions import cli_principal
    from opex_app.db import transaction
    from opex_app.domain.fiscal import FiscalYear
    from opex_app.domain.names import name_key
    from opex_app.services.fiscal_years import ensure_fiscal_year
    from opex_app.services.masters import create_missing, name_index

    tag = uuid.uuid4().hex[:6]
    tower_a, tower_b = f"E2E Tower A {tag}", f"E2E Tower B {tag}"
    with transaction() as session:
        grid_fy = ensure_fiscal_year(session, FiscalYear(GRID_FY))
        edit_fy = ensure_fiscal_year(session, FiscalYear(EDIT_FY))
        assert grid_fy.id is not None and edit_fy.id is not None
        create_missing(session, cli_principal(), "tower", [tower_a, tower_b])
        towers = name_index(session, "tower")
        a, b = towers[name_key(tower_a)], towers[name_key(tower_b)]
        grid_ids = {
            "G1": _make_line(session, grid_fy.id, f"G-{tag}-1", {1: "1000", 2: "1000"}, a),
            "G2": _make_line(session, grid_fy.id, f"G-{tag}-2", {1: "200000"}, a),
            "G3": _make_line(session, grid_fy.id, f"G-{tag}-3", {12: "5000000"}, b),
        }
        edit_ids = {
            "E1": _make_line(session, edit_fy.id, f"E-{tag}-1", {1: "500"}, a),
            "E2": _make_line(session, edit_fy.id, f"E-{tag}-2", {2: "700"}, b),
        }
    return Seeded(tower_a, tower_b, grid_ids, edit_ids)


def test_grid_shows_lines_months_and_totals(page, running_app, seeded: Seeded) -> None:
    log_in_as(page, running_app.url, running_app.analyst_email, "Analyst")
    page.goto(f"{running_app.url}/budgets?fy=FY35")
    rows = page.get_by_test_id("grid-row")
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("sort-m01")).to_contain_text("Apr-34")
    expect(page.get_by_test_id("sort-m12")).to_contain_text("Mar-35")
    expect(page.get_by_test_id("totals-total")).to_have_text("52,02,000")
    expect(page.get_by_test_id("totals-row")).to_contain_text("3 lines")
    expect(rows.first).to_contain_text("2,000")  # sorted by UID: G-..-1 first, Indian grouping

    page.get_by_test_id("sort-total").click()  # total: largest first
    expect(page).to_have_url(re.compile(r"sort=total"))
    expect(rows.first).to_contain_text("50,00,000")

    page.get_by_test_id("grid-uid").first.click()
    expect(page).to_have_url(re.compile(rf"/budgets/{seeded.grid_ids['G3']}/?$"))
    expect(page.get_by_test_id("line-uid")).to_contain_text("-3")


def test_filter_by_tower_updates_url_and_rows(page, running_app, seeded: Seeded) -> None:
    log_in_as(page, running_app.url, running_app.analyst_email, "Analyst")
    page.goto(f"{running_app.url}/budgets?fy=FY35")
    rows = page.get_by_test_id("grid-row")
    expect(rows).to_have_count(3)
    page.get_by_test_id("filter-tower").click()
    page.get_by_role("option", name=seeded.tower_a, exact=True).click()
    expect(page).to_have_url(re.compile(r"tower=" + re.escape(seeded.tower_a.replace(" ", "+"))))
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("totals-total")).to_have_text("2,02,000")
    expect(page.get_by_test_id("filter-tower")).to_contain_text(seeded.tower_a)

    # The address is the view: opening it afresh shows the same rows.
    shared = page.url
    page.goto(f"{running_app.url}/")
    page.goto(shared)
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("totals-total")).to_have_text("2,02,000")


def test_edit_a_month_and_save(page, running_app, seeded: Seeded) -> None:
    log_in_as(page, running_app.url, running_app.analyst_email, "Analyst")
    page.goto(f"{running_app.url}/budgets/{seeded.edit_ids['E1']}")
    expect(page.get_by_test_id("line-version")).to_have_text("v1")
    page.get_by_test_id("edit-line").click()
    month = page.get_by_test_id("edit-m01")
    expect(month).to_have_value("500.00")
    month.fill("1,23,456.78")
    page.get_by_test_id("edit-save").click()
    expect(page.get_by_test_id("edit-saved")).to_contain_text("version 2")
    april = page.get_by_test_id("line-months-row").filter(has_text="Apr-35")
    expect(april).to_contain_text("1,23,456.78")
    expect(page.get_by_test_id("line-months-row").filter(has_text="Total")).to_contain_text("1,23,456.78")
    expect(page.get_by_test_id("history-row").first).to_contain_text("Apr-35: 500.00 → 1,23,456.78")

    # A bad amount is refused with the month named, and the editor keeps what was typed.
    page.get_by_test_id("edit-line").click()
    page.get_by_test_id("edit-m03").fill("12abc")
    page.get_by_test_id("edit-save").click()
    expect(page.get_by_test_id("edit-error")).to_contain_text("Jun-35: '12abc' is not an amount")
    expect(page.get_by_test_id("edit-m03")).to_have_value("12abc")
    expect(page.get_by_test_id("line-version")).to_have_text("v2")


def test_conflicting_edit_is_refused_and_keeps_the_typed_value(page, chromium, running_app, seeded: Seeded) -> None:
    line_url = f"{running_app.url}/budgets/{seeded.edit_ids['E2']}"
    second_context = chromium.new_context(viewport={"width": 1366, "height": 768})
    second_context.set_default_timeout(20_000)
    second = second_context.new_page()
    try:
        for tab in (page, second):
            log_in_as(tab, running_app.url, running_app.analyst_email, "Analyst")
            tab.goto(line_url)
            expect(tab.get_by_test_id("line-version")).to_have_text("v1")
            tab.get_by_test_id("edit-line").click()
            expect(tab.get_by_test_id("edit-m02")).to_have_value("700.00")

        page.get_by_test_id("edit-m02").fill("111")
        page.get_by_test_id("edit-save").click()
        expect(page.get_by_test_id("edit-saved")).to_contain_text("version 2")

        second.get_by_test_id("edit-m02").fill("2,22,222")
        second.get_by_test_id("edit-remarks").fill("second user's remark")
        second.get_by_test_id("edit-save").click()
        conflict = second.get_by_test_id("edit-conflict")
        expect(conflict).to_contain_text(running_app.analyst_email)
        expect(conflict).to_contain_text("May-35: 700.00 → 111.00")
        # Nothing typed is lost; the saved values are on screen to compare with.
        expect(second.get_by_test_id("edit-m02")).to_have_value("2,22,222")
        expect(second.get_by_test_id("edit-remarks")).to_have_value("second user's remark")
        expect(second.get_by_test_id("saved-m02")).to_contain_text("111.00")
        may = second.get_by_test_id("line-months-row").filter(has_text="May-35")
        expect(may).to_contain_text("111.00")
        ARTIFACTS.mkdir(exist_ok=True)
        second.screenshot(path=str(ARTIFACTS / "test_conflicting_edit_second_browser.png"), full_page=True)

        # Re-applied on top of the other change, the second save goes through.
        second.get_by_test_id("edit-save").click()
        expect(second.get_by_test_id("edit-saved")).to_contain_text("version 3")
        expect(may).to_contain_text("2,22,222.00")
    finally:
        second_context.close()
