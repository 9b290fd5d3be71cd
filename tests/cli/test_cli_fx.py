"""`fx set | list | import` as an operator runs them: exit codes, one-line output, the import's JSON contract.

These commit to the test run's database: they use currencies and dates no other test writes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.domain.workbooks import csv_bytes


def test_set_prints_one_line_and_a_correction_says_what_it_corrects(run_cli) -> None:
    first = run_cli("fx", "set", "PHP", "1.45", "--from", "2043-04-01")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["PHP 1.45 from 2043-04-01 recorded"]
    again = run_cli("fx", "set", "php", "1.4625", "--from", "2043-04-01")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == ["PHP 1.4625 from 2043-04-01 recorded (corrects 1.45)"]

    listed = run_cli("fx", "list", "PHP", "--as-of", "2043-05-01")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == "rates in force on 2043-05-01 (units of base currency per unit)"
    current = next(line for line in lines if line.startswith("PHP "))
    assert current.split()[:3] == ["PHP", "1.4625", "2043-04-01"]
    history = lines[lines.index("history of PHP, newest first:") + 2 :]
    assert [line.split()[:2] for line in history] == [["2043-04-01", "1.4625"], ["2043-04-01", "1.45"]]
    assert history[0].split()[2].startswith("cli:") and history[1].endswith("corrected")


def test_list_without_a_currency_shows_only_the_rates_in_force(run_cli) -> None:
    assert run_cli("fx", "set", "IDR", "0.0052", "--from", "2043-04-01").returncode == 0
    listed = run_cli("fx", "list", "--as-of", "2043-04-02")
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[:3] == ["IDR", "0.0052", "2043-04-01"] for line in listed.stdout.splitlines())
    assert "history of" not in listed.stdout


def test_refusals_exit_1_and_usage_errors_exit_2(run_cli) -> None:
    base = run_cli("fx", "set", "INR", "1", "--from", "2043-04-01")
    assert base.returncode == 1 and base.stdout == ""
    assert base.stderr.strip() == "error: INR is the base currency: its rate is always 1"
    assert run_cli("fx", "set", "VND", "0", "--from", "2043-04-01").returncode == 1
    assert "unknown currency" in run_cli("fx", "set", "XXQ", "2", "--from", "2043-04-01").stderr
    assert "unknown currency" in run_cli("fx", "list", "XXQ").stderr
    bad_date = run_cli("fx", "set", "VND", "0.0034", "--from", "01-04-2043")
    assert bad_date.returncode == 2 and "2026-04-01" in bad_date.stderr
    assert run_cli("fx", "set", "VND", "0.0034").returncode == 2  # --from is required


def test_import_is_the_import_pipeline_with_its_flags_and_json(run_cli, tmp_path: Path) -> None:
    src = tmp_path / "rates.csv"
    src.write_bytes(
        csv_bytes(
            [
                ["CCY", "FX", "Valid From"],
                ["KES", "0.65", "2043-04-01"],
                ["NGN", "0.055", "01/04/2043"],
                ["INR", "1", "2043-04-01"],
            ]
        )
    )
    mapped = ["--map", "FX=rate"]
    dry = run_cli("fx", "import", str(src), *mapped, "--dry-run", "--json")
    assert dry.returncode == 1, dry.stderr  # the base currency row is an error: rejected
    payload = json.loads(dry.stdout)
    assert payload["status"] == "rejected" and payload["fiscal_year"] is None
    assert [(e["cell"], "base currency" in e["message"]) for e in payload["errors"]] == [("A4", True)]

    done = run_cli("fx", "import", str(src), *mapped, "--skip-invalid", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert (payload["status"], payload["lines_created"], payload["rows_rejected"]) == ("committed", 2, 1)

    again = run_cli("fx", "import", str(src), *mapped, "--skip-invalid")
    assert again.returncode == 0, again.stderr
    assert "lines: 0 new, 0 changed, 2 unchanged" in again.stdout
    same = run_cli("import", "fx", str(src), *mapped, "--skip-invalid", "--json")  # the same door
    assert json.loads(same.stdout)["lines_unchanged"] == 2

    missing = run_cli("fx", "import", str(tmp_path / "nope.csv"), "--json")
    assert missing.returncode == 2 and json.loads(missing.stdout)["status"] == "unreadable"
