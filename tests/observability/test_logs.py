"""Log lines: JSON with the fields a shipper indexes in production, text for people in development, the choice
overridable; the import pipeline logs one line per import."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlmodel import Session

from opex_app.services import log_lines
from opex_app.services.imports import ImportOptions, WorkbookRefused, run_import
from opex_app.services.request_ids import new_request_id
from opex_app.settings import Settings, get_settings
from tests.observability.metrics_worker import FY

STRONG = "x" * 40


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv("OPEX_LOG_FORMAT", raising=False)
    monkeypatch.setenv("OPEX_SECRET_KEY", STRONG)
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture()
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    yield stream
    log_lines.configure_logging()  # back to stderr for the rest of the session


@pytest.mark.parametrize(
    ("opex_env", "log_format", "structured"),
    [("dev", None, False), ("test", None, False), ("prod", None, True), ("dev", "json", True), ("prod", "text", False)],
)
def test_json_in_production_text_elsewhere_unless_set(
    env: pytest.MonkeyPatch, opex_env: str, log_format: str | None, structured: bool
) -> None:
    env.setenv("OPEX_ENV", opex_env)
    if log_format:
        env.setenv("OPEX_LOG_FORMAT", log_format)
    assert Settings().structured_logs is structured


def test_an_unknown_log_format_is_refused(env: pytest.MonkeyPatch) -> None:
    env.setenv("OPEX_LOG_FORMAT", "xml")
    with pytest.raises(Exception, match="OPEX_LOG_FORMAT"):
        get_settings()


def test_development_logs_are_text(env: pytest.MonkeyPatch, captured: io.StringIO) -> None:
    env.setenv("OPEX_ENV", "dev")
    log_lines.configure_logging(stream=captured)
    request_id = new_request_id()
    logging.getLogger("opex_app.http").info("GET /x 200", extra=log_lines.log_fields(route="/x", duration_ms=1.5))
    line = captured.getvalue().strip()
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
    assert "INFO" in line and "GET /x 200" in line and f"request_id={request_id}" in line and "duration_ms=1.5" in line


def test_production_logs_are_json_and_configuring_twice_adds_no_handler(
    env: pytest.MonkeyPatch, captured: io.StringIO
) -> None:
    env.setenv("OPEX_ENV", "prod")
    log_lines.configure_logging(stream=io.StringIO())
    log_lines.configure_logging(stream=captured)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("opex_app.services.cache").exception("figures failed")
    lines = captured.getvalue().splitlines()
    assert len(lines) == 1, "one handler, one line (the traceback inside the JSON)"
    entry = json.loads(lines[0])
    assert entry["level"] == "ERROR" and entry["message"] == "figures failed"
    assert "ValueError: boom" in entry["exception"]
    assert entry["logger"] == "opex_app.services.cache" and entry["timestamp"]


def test_an_import_logs_one_line_with_its_user_and_outcome(session: Session, analyst, captured: io.StringIO) -> None:
    log_lines.configure_logging(stream=captured, structured=True)
    with pytest.raises(WorkbookRefused):  # read as CSV: no budget table in it
        run_import(session, analyst, "budget", b"not a workbook", file_name="junk.xlsx",
                   options=ImportOptions(fiscal_year=FY, dry_run=True))  # fmt: skip
    entries = [json.loads(line) for line in captured.getvalue().splitlines()]
    imports = [entry for entry in entries if entry.get("kind") == "import"]
    assert len(imports) == 1
    entry = imports[0]
    assert (entry["import_kind"], entry["outcome"], entry["rows"]) == ("budget", "rejected", 0)
    assert entry["user_id"] == analyst.user_id and entry["file_name"] == "junk.xlsx"
    assert entry["duration_ms"] >= 0 and len(entry["request_id"]) == 32
