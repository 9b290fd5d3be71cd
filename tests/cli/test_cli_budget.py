"""`import budget` and `export budget` as scripts use them: JSON contract, exit codes, round trip."""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path

from tests.domain.workbooks import write_workbook

JSON_FIELDS = [
    "status",
    "fiscal_year",
    "rows_total",
    "rows_accepted",
    "rows_rejected",
    "rows_skipped",
    "lines_created",
    "lines_updated",
    "lines_unchanged",
    "masters_created",
    "sheet",
    "header_row",
    "ignored_columns",
    "ignored_sheets",
    "errors",
    "warnings",
]
ERROR_FIELDS = {"sheet", "cell", "row", "column", "value", "message"}


def _workbook(
    tmp_path: Path, prefix: str, rows: list[list[object]], headers: list[str] | None = None, name: str = "in.xlsx"
) -> Path:
    months = headers or ["Apr-27", "May-27", "Jun-27"]  # FY28: no other test writes it
    data = [["Budget FY28"], [], ["UID", "Description", "Tower", *months, "Total"]]
    data += [[uid and f"{prefix}-{uid}", desc, "CLI Tower", *amounts] for uid, desc, *amounts in rows]
    return write_workbook(tmp_path / name, data, sheet="Plan")


def test_json_contract_and_round_trip(run_cli, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:6]
    src = _workbook(
        tmp_path,
        prefix,
        [
            ["1", "Licences", "1,000.00", "(200)", "-", 800],
            ["2", "=not a formula", 5, 5, 5, 15],
            [None, "Grand Total", 1005, -195, 5, 815],
        ],
    )
    dry = run_cli("import", "budget", str(src), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    payload = json.loads(dry.stdout)  # stdout holds exactly one JSON object
    assert list(payload) == JSON_FIELDS
    assert payload["status"] == "dry-run" and payload["fiscal_year"] == "FY28"
    assert payload["rows_total"] == 2 and payload["rows_accepted"] + payload["rows_rejected"] == payload["rows_total"]
    assert payload["rows_skipped"] == 1 and payload["sheet"] == "Plan" and payload["header_row"] == 3
    assert any("Grand Total" in w["message"] for w in payload["warnings"])
    assert all(set(w) == ERROR_FIELDS for w in payload["warnings"])

    done = run_cli("import", "budget", str(src), "--fy", "FY28", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["lines_created"] == 2

    out = tmp_path / "out.xlsx"
    exported = run_cli("export", "budget", str(out), "--fy", "FY28")
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as archive:
        assert "xl/worksheets/sheet1.xml" in archive.namelist()
    again = run_cli("import", "budget", str(out), "--json")
    result = json.loads(again.stdout)
    assert again.returncode == 0 and result["lines_updated"] == 0 and result["lines_created"] == 0
    assert result["lines_unchanged"] >= 2


def test_rejected_file_exits_1_with_cell_errors(run_cli, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:6]
    src = _workbook(tmp_path, prefix, [["1", "ok", 1, 1, 1, 3], ["2", "bad", "abc", 1, 1, 2]])
    result = run_cli("import", "budget", str(src), "--json")
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload["status"] == "rejected" and payload["lines_created"] == 0
    cells = {(e["sheet"], e["cell"]) for e in payload["errors"]}
    assert ("Plan", "D5") in cells  # 'abc' under Apr-27
    assert all(set(e) == ERROR_FIELDS for e in payload["errors"])
    human = run_cli("import", "budget", str(src))
    assert human.returncode == 1 and "Plan!D5" in human.stdout


def test_refusals_print_one_json_object_with_the_reason(run_cli, tmp_path: Path) -> None:
    src = _workbook(tmp_path, "x", [["1", "ok", 1, 1, 1, 3]])
    mismatch = run_cli("import", "budget", str(src), "--fy", "FY27", "--json")
    assert mismatch.returncode == 1
    payload = json.loads(mismatch.stdout)
    assert list(payload) == JSON_FIELDS and payload["status"] == "rejected"
    assert "FY27" in payload["errors"][0]["message"] and "FY28" in payload["errors"][0]["message"]
    human = run_cli("import", "budget", str(src), "--fy", "FY27")
    assert human.returncode == 1 and "FY28" in human.stderr and human.stdout == ""

    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"\x00\x01\x02 not a spreadsheet \xff" * 20)
    unreadable = run_cli("import", "budget", str(fake), "--json")
    assert unreadable.returncode == 2 and json.loads(unreadable.stdout)["status"] == "unreadable"
    assert "Traceback" not in unreadable.stderr
    plain = run_cli("import", "budget", str(fake))
    assert plain.returncode == 2 and plain.stderr.startswith("error:")
    missing = run_cli("import", "budget", str(tmp_path / "nope.xlsx"), "--json")
    assert missing.returncode == 2 and json.loads(missing.stdout)["status"] == "unreadable"
    no_years = write_workbook(tmp_path / "noyear.xlsx", [["UID", "Apr", "May"], ["N-1", 1, 2]])
    needs_fy = run_cli("import", "budget", str(no_years), "--dry-run")
    assert needs_fy.returncode == 1 and "--fy" in needs_fy.stderr


def test_dry_run_reports_the_status_the_import_would_get(run_cli, tmp_path: Path) -> None:
    bad = _workbook(tmp_path, "d", [["1", "bad", "abc", 1, 1, 2]])
    dry = run_cli("import", "budget", str(bad), "--dry-run", "--json")
    assert dry.returncode == 1 and json.loads(dry.stdout)["status"] == "rejected"
    empty = _workbook(tmp_path, "e", [], name="empty.xlsx")
    nothing = run_cli("import", "budget", str(empty), "--dry-run", "--json")
    payload = json.loads(nothing.stdout)
    assert nothing.returncode == 1 and payload["status"] == "rejected"
    assert "no data rows" in payload["errors"][0]["message"]


def test_map_sheet_and_no_table_suggestion(run_cli, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:6]
    rows = [["Notes"], ["Cost ID", "Description", "Apr-27", "May-27"], [f"{prefix}-1", "Hosting", 10, 20]]
    src = write_workbook(tmp_path / "costs.xlsx", rows, sheet="Costs", before={"Cover": [["Budget pack"]]})
    refused = run_cli("import", "budget", str(src), "--dry-run", "--json")
    message = json.loads(refused.stdout)["errors"][0]["message"]
    assert refused.returncode == 1 and "sheet 'Costs' row 2" in message and '--map "Cost ID=uid"' in message
    mapped = run_cli("import", "budget", str(src), "--dry-run", "--json", "--map", "Cost ID=UID", "--sheet", "costs")
    payload = json.loads(mapped.stdout)
    assert mapped.returncode == 0, payload
    assert payload["status"] == "dry-run" and payload["lines_created"] == 1 and payload["sheet"] == "Costs"
    assert any("10 of 12 months" in w["message"] or "2 of 12 months" in w["message"] for w in payload["warnings"])
    bad_field = run_cli("import", "budget", str(src), "--json", "--map", "Cost ID=colour")
    assert bad_field.returncode == 1 and "colour" in json.loads(bad_field.stdout)["errors"][0]["message"]


def test_template_has_the_canonical_headers(run_cli, tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "template.xlsx"
    result = run_cli("export", "template", str(out), "--fy", "FY28")
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "Budget" and "Instructions" in book.sheetnames
    headers = [cell.value for cell in book["Budget"][1]]
    assert headers[:3] == ["UID", "Parent UID", "Description"]
    assert headers[11] == "Apr-27" and headers[-2:] == ["FY Total", "Remarks"]
