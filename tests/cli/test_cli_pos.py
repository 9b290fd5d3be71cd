"""`import pos` and `export pos` as scripts use them: the JSON contract, exit codes, the round trip.

These commit to the test run's database: they use FY64 (Apr 2063 - Mar 2064), which no other test writes,
INR only (no FX rate is recorded), and names with a fresh tag."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import openpyxl

from tests.cli.test_cli_budget import ERROR_FIELDS, JSON_FIELDS
from tests.domain.workbooks import write_workbook

POS_JSON_FIELDS = [*JSON_FIELDS, "fiscal_years", "pos_created", "pos_updated", "pos_unchanged"]  # its own after
HEADER = ["PO Number", "PO Date", "Vendor", "Entity", "Currency", "PO Value", "UID", "Allocated Amount", "Status"]


def _budget(run_cli, tmp_path: Path, tag: str) -> list[str]:
    """Two budget lines of FY64, imported through the CLI; returns their UIDs."""
    uids = [f"CP-{tag}-1", f"CP-{tag}-2"]
    rows = [["UID", "Description", "Apr-63", "May-63"], *[[uid, "PO CLI line", 100, 100] for uid in uids]]
    done = run_cli("import", "budget", str(write_workbook(tmp_path / "budget.xlsx", rows)), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return uids


def _pos(tmp_path: Path, rows: list[list[object]], name: str = "pos.xlsx") -> Path:
    return write_workbook(tmp_path / name, [HEADER, *rows], sheet="POs")


def test_import_pos_json_contract_and_exit_codes(run_cli, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    u1, u2 = _budget(run_cli, tmp_path, tag)
    vendor = f"CLI PO Vendor {tag}"
    good = [
        [f"CPO-{tag}-1", "2063-05-04", vendor, "", "INR", 300, u1, 100, "Approved"],
        [f"CPO-{tag}-1", "2063-05-04", vendor, "", "INR", 300, u2, 200, "Approved"],
        [f"CPO-{tag}-2", "04/05/2063", vendor, "", "", "", u1, 50, ""],
    ]
    bad = [*good, [f"CPO-{tag}-3", "2063-05-04", vendor, "", "INR", 999, u1, 50, "Draft"]]
    src = _pos(tmp_path, bad)

    dry = run_cli("import", "pos", str(src), "--dry-run", "--json")
    assert dry.returncode == 1, dry.stderr  # an error and no --skip-invalid: rejected
    payload = json.loads(dry.stdout)  # stdout holds exactly one JSON object
    assert list(payload) == POS_JSON_FIELDS
    assert (payload["status"], payload["fiscal_year"], payload["fiscal_years"]) == ("rejected", "FY64", ["FY64"])
    assert (payload["rows_total"], payload["rows_accepted"], payload["rows_rejected"]) == (4, 3, 1)
    (error,) = payload["errors"]
    assert set(error) == ERROR_FIELDS and error["cell"] == "F5" and error["sheet"] == "POs"
    assert "add up to 50.00 but its PO Value is 999.00" in error["message"]

    done = run_cli("import", "pos", str(src), "--skip-invalid", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["status"] == "committed" and payload["masters_created"] == 1
    assert (payload["lines_created"], payload["pos_created"], payload["rows_rejected"]) == (3, 2, 1)

    again = run_cli("import", "pos", str(_pos(tmp_path, good, "good.xlsx")), "--json")
    assert again.returncode == 0, again.stderr
    payload = json.loads(again.stdout)
    assert (payload["status"], payload["lines_unchanged"], payload["lines_created"], payload["lines_updated"]) == (
        "committed",
        3,
        0,
        0,
    )

    human = run_cli("import", "pos", str(_pos(tmp_path, good, "good.xlsx")))
    assert human.returncode == 0 and "lines: 0 new, 0 changed, 3 unchanged" in human.stdout

    strict = [[f"CPO-{tag}-4", "2063-05-04", f"Unknown {tag}", "", "INR", 10, u1, 10, ""]]
    refused = run_cli("import", "pos", str(_pos(tmp_path, strict, "strict.xlsx")), "--strict-masters", "--json")
    assert refused.returncode == 1
    payload = json.loads(refused.stdout)
    assert payload["status"] == "rejected" and payload["errors"][0]["cell"] == "C2"

    missing = run_cli("import", "pos", str(tmp_path / "nope.xlsx"), "--json")
    assert missing.returncode == 2 and json.loads(missing.stdout)["status"] == "unreadable"
    no_table = write_workbook(tmp_path / "other.xlsx", [["Something", "Else"], [1, 2]])
    refused_file = run_cli("import", "pos", str(no_table), "--json")
    assert refused_file.returncode == 1 and json.loads(refused_file.stdout)["status"] == "rejected"


def test_export_pos_writes_the_import_columns_and_reimports_with_no_change(run_cli, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    u1, u2 = _budget(run_cli, tmp_path, tag)
    rows = [
        [f"CPX-{tag}-1", "2063-06-01", "=EVIL()", "@Entity", "INR", 30, u1, 10, "Submitted"],
        [f"CPX-{tag}-1", "2063-06-01", "=EVIL()", "@Entity", "INR", 30, u2, 20, "Submitted"],
    ]
    assert run_cli("import", "pos", str(_pos(tmp_path, rows)), "--json").returncode == 0

    out = tmp_path / "out.xlsx"
    exported = run_cli("export", "pos", str(out), "--fy", "FY64")
    assert exported.returncode == 0, exported.stderr
    assert "PO line(s) of FY64 to" in exported.stderr
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert ws.title == "POs"
    assert [c.value for c in ws[1]] == [
        "PO Number",
        "PO Date",
        "Vendor",
        "Entity",
        "Currency",
        "PO Value",
        "PR Number",
        "PR Date",
        "PR Amount",
        "UID",
        "Allocated Amount",
        "Status",
    ]
    mine = [[c.value for c in row] for row in ws.iter_rows(min_row=2) if row[0].value == f"CPX-{tag}-1"]
    assert [(r[2], r[3], r[9], r[10], r[11]) for r in mine] == [
        ("=EVIL()", "@Entity", u1, 10, "Submitted"),
        ("=EVIL()", "@Entity", u2, 20, "Submitted"),
    ]
    again = run_cli("import", "pos", str(out), "--json")
    payload = json.loads(again.stdout)
    assert again.returncode == 0 and payload["errors"] == []
    assert (payload["lines_created"], payload["lines_updated"]) == (0, 0) and payload["lines_unchanged"] >= 2

    every = run_cli("export", "pos", str(tmp_path / "all.xlsx"))
    assert every.returncode == 0 and "of every FY" in every.stderr

    unknown_fy = run_cli("export", "pos", str(tmp_path / "x.xlsx"), "--fy", "FY12")
    assert unknown_fy.returncode == 1 and unknown_fy.stderr.strip() == "error: there is no fiscal year FY12"
    bad_fy = run_cli("export", "pos", str(tmp_path / "x.xlsx"), "--fy", "next year")
    assert bad_fy.returncode == 2
