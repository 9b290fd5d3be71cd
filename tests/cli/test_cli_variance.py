"""`export variance` as scripts use it (issue 8 contract): exit codes, sheets in the order asked, one
hand-computed figure, an analyst's comment in the Comment column. Commits to the test run's database in FY66
(Apr 2065 - Mar 2066), which no other test writes, INR only, towers with a fresh tag."""

from __future__ import annotations

import uuid
from pathlib import Path

import openpyxl

from opex_app.db import transaction
from opex_app.domain.analytics import Period
from opex_app.domain.fiscal import FiscalYear
from opex_app.services.variance_comments import set_comment
from tests.conftest import make_principal
from tests.domain.workbooks import write_workbook


def test_export_variance_sheets_and_a_hand_computed_figure(run_cli, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    tower_a, tower_b = f"VT-{tag}-A", f"VT-{tag}-B"
    rows = [
        ["UID", "Description", "Tower", "Apr-65", "May-65", "Jun-65"],
        [f"CV-{tag}-1", "variance CLI line", tower_a, 100, 200, 300],
        [f"CV-{tag}-2", "variance CLI line", tower_b, 50, 0, 0],
    ]
    done = run_cli("import", "budget", str(write_workbook(tmp_path / "budget.xlsx", rows)), "--json")
    assert done.returncode == 0, done.stdout + done.stderr

    # an analyst's Q1 comment on tower A (committed: the CLI is another process)
    with transaction() as session:
        analyst = make_principal(session, "analyst")
        note = set_comment(
            session,
            analyst,
            fy=FiscalYear(2066),
            level="tower",
            member=tower_a,
            period=Period("quarter", 1),
            text="Nothing spent yet: the contract starts in July.",
        )
        assert note is not None

    out = tmp_path / "variance.xlsx"
    args = ("export", "variance", str(out), "--fy", "FY66", "--level", "tower,line", "--period", "q1")
    exported = run_cli(*args, "--as-of", "2065-05-15")
    assert exported.returncode == 0, exported.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Tower", "Line"]
    ws = wb["Tower"]
    assert ws.cell(row=1, column=1).value == "Tower"
    by_tower = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    # tower A, Q1: budget 100 + 200 + 300 = 600, nothing spent: variance 600 = 100 %.
    # As of 15 May 2065 (fiscal month 2), April is closed with no actual: run-rate 0, so each remaining month
    # is expected at its budget: 200 + 300 = 500 outturn, outturn variance 600 (FY budget) - 500 = 100.
    assert by_tower[tower_a][1:9] == (600, 0, 0, 600, 600, 100, 500, 100)
    assert by_tower[tower_b][1] == 50
    assert list(by_tower)[-1] == "Total"
    # the comment, with who and when; none on tower B, none on the Line sheet (comments are per level)
    when = note.at.strftime("%d-%b-%Y")
    assert by_tower[tower_a][9] == f"Nothing spent yet: the contract starts in July. ({analyst.actor}, {when})"
    assert by_tower[tower_b][9] is None
    assert all(r[9] is None for r in wb["Line"].iter_rows(min_row=2, values_only=True))

    # the as-of date moves the outturn: after the FY every month is closed, outturn = spend = 0
    late = run_cli("export", "variance", str(out), "--fy", "FY66", "--as-of", "2066-06-01")
    assert late.returncode == 0, late.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Tower"]  # the default level
    by_tower = {r[0]: r for r in wb["Tower"].iter_rows(min_row=2, values_only=True)}
    assert by_tower[tower_a][7:9] == (0, 600)
    assert by_tower[tower_a][9] is None  # the Q1 comment does not explain the FY figures


def test_export_variance_refuses_bad_arguments(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "variance.xlsx"
    bad_level = run_cli("export", "variance", str(out), "--fy", "FY66", "--level", "tower,planet")
    assert bad_level.returncode == 2 and "unknown level 'planet'" in bad_level.stderr
    bad_period = run_cli("export", "variance", str(out), "--fy", "FY66", "--period", "Apr-27")
    assert bad_period.returncode == 2 and "not a period of FY66" in bad_period.stderr
    no_fy = run_cli("export", "variance", str(out), "--fy", "FY67")
    assert no_fy.returncode == 1 and "no fiscal year FY67" in no_fy.stderr
    assert not out.exists()
