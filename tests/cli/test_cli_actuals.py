"""`import actuals` and `export actuals` as scripts use them: the JSON contract (with duplicates_skipped and
fiscal_years), exit codes, re-import, strict masters, mapping, and the export's round trip."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import openpyxl

from tests.cli.test_cli_budget import ERROR_FIELDS, JSON_FIELDS
from tests.domain.workbooks import write_workbook

ACTUALS_JSON_FIELDS = [*JSON_FIELDS, "duplicates_skipped", "fiscal_years"]
HEADER = ["Invoice No", "Invoice Date", "Vendor", "Amount", "UID", "Remarks"]


def _ledger(tmp_path: Path, tag: str, rows: list[list[object]], name: str = "ledger.xlsx") -> Path:
    """Invoices of FY62 and FY63 (Apr 2061 - Mar 2063): no other test writes them."""
    return write_workbook(tmp_path / name, [HEADER, *[[f"{tag}-{r[0]}", *r[1:]] for r in rows]], sheet="GL")


def test_json_contract_reimport_and_export(run_cli, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    vendor = f"CLI Vendor {tag}"
    rows = [
        [1, date(2062, 3, 31), vendor, 100, None, "=1+1"],
        [2, "01/04/2062", vendor, "1,250.75", f"{tag}-nowhere", None],
        [3, "2062-04-02", None, 5, None, None],
        [3, "02-Apr-2062", None, 5, None, None],  # the same invoice again: already there
    ]
    src = _ledger(tmp_path, tag, rows)
    dry = run_cli("import", "actuals", str(src), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    payload = json.loads(dry.stdout)
    assert list(payload) == ACTUALS_JSON_FIELDS
    assert payload["status"] == "dry-run" and payload["sheet"] == "GL" and payload["header_row"] == 1
    assert (payload["rows_total"], payload["rows_accepted"], payload["lines_created"]) == (4, 4, 3)
    assert payload["duplicates_skipped"] == 1 and payload["masters_created"] == 1
    assert payload["fiscal_year"] is None and payload["fiscal_years"] == ["FY62", "FY63"]
    (warning,) = payload["warnings"]
    assert set(warning) == ERROR_FIELDS and warning["cell"] == "E3" and "Unlinked" in warning["message"]

    done = run_cli("import", "actuals", str(src), "--json")
    assert done.returncode == 0, done.stderr
    committed = json.loads(done.stdout)
    assert committed["status"] == "committed" and committed["lines_created"] == 3

    again = run_cli("import", "actuals", str(src), "--json")
    repeat = json.loads(again.stdout)
    assert again.returncode == 0 and repeat["status"] == "committed"
    assert (repeat["lines_created"], repeat["lines_updated"], repeat["lines_unchanged"]) == (0, 0, 4)
    assert repeat["duplicates_skipped"] == 4 and repeat["rows_accepted"] == 4 and repeat["masters_created"] == 0

    human = run_cli("import", "actuals", str(src))
    assert human.returncode == 0 and "No changes" in human.stdout

    out = tmp_path / "fy63.xlsx"
    exported = run_cli("export", "actuals", str(out), "--fy", "FY63")
    assert exported.returncode == 0, exported.stderr
    assert "actual(s) of FY63" in exported.stderr
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert sheet.title == "Actuals"
    assert [c.value for c in sheet[1]] == [
        "Invoice No",
        "Invoice Date",
        "Vendor",
        "UID",
        "PO Number",
        "Currency",
        "Amount",
        "Rate",
        "Base Amount",
        "FY",
        "Month",
        "Remarks",
    ]
    mine = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True) if str(r[0]).startswith(tag)}
    assert sorted(mine) == [f"{tag}-2", f"{tag}-3"]  # -1 is in FY62
    assert mine[f"{tag}-2"][3] == f"{tag}-nowhere" and mine[f"{tag}-2"][9:11] == ("FY63", "Apr-62")
    back = run_cli("import", "actuals", str(out), "--json")
    result = json.loads(back.stdout)
    assert back.returncode == 0 and result["lines_created"] == 0 and result["errors"] == []
    assert result["duplicates_skipped"] == result["rows_accepted"] and result["fiscal_years"] == ["FY63"]
    assert result["fiscal_year"] == "FY63" and result["ignored_columns"] == []

    everything = tmp_path / "all.xlsx"
    assert run_cli("export", "actuals", str(everything)).returncode == 0
    rows_all = [r[0] for r in openpyxl.load_workbook(everything)["Actuals"].iter_rows(min_row=2, values_only=True)]
    assert {f"{tag}-1", f"{tag}-2", f"{tag}-3"} <= set(rows_all)
    bad_fy = run_cli("export", "actuals", str(everything), "--fy", "next year")
    assert bad_fy.returncode == 2 and bad_fy.stderr.startswith("error:")


def test_a_changed_amount_is_rejected_and_strict_masters_refuse_new_vendors(run_cli, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    first = _ledger(tmp_path, tag, [[1, date(2062, 5, 1), None, 100, None, None]], name="a.xlsx")
    assert run_cli("import", "actuals", str(first), "--json").returncode == 0
    changed = _ledger(
        tmp_path,
        tag,
        [[1, date(2062, 5, 1), None, 101, None, None], [2, date(2062, 5, 2), f"Strict {tag}", 1, None, None]],
        name="b.xlsx",
    )
    refused = run_cli("import", "actuals", str(changed), "--json", "--strict-masters")
    payload = json.loads(refused.stdout)
    assert refused.returncode == 1 and payload["status"] == "rejected" and payload["lines_created"] == 0
    assert [e["cell"] for e in payload["errors"]] == ["A2", "C3"]
    assert "already stored with INR 100.00" in payload["errors"][0]["message"]
    assert "strict masters" in payload["errors"][1]["message"]
    skipped = run_cli("import", "actuals", str(changed), "--json", "--skip-invalid")
    partial = json.loads(skipped.stdout)
    assert skipped.returncode == 0 and partial["lines_created"] == 1 and partial["rows_rejected"] == 1


def test_map_names_the_fields(run_cli, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    rows = [["Bill Ref", "Posted", "Value (net)"], [f"{tag}-1", date(2062, 6, 1), 10]]
    src = write_workbook(tmp_path / "erp.xlsx", rows)
    refused = run_cli("import", "actuals", str(src), "--dry-run", "--json")
    assert refused.returncode == 1 and "Invoice No" in json.loads(refused.stdout)["errors"][0]["message"]
    mapped = run_cli(
        "import",
        "actuals",
        str(src),
        "--dry-run",
        "--json",
        "--map",
        "Bill Ref=invoice_number",
        "--map",
        "Posted=Invoice Date",
        "--map",
        "Value (net)=amount",
    )
    payload = json.loads(mapped.stdout)
    assert mapped.returncode == 0, payload
    assert payload["lines_created"] == 1 and payload["fiscal_years"] == ["FY63"]
