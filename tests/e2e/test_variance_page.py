"""The variance report in Chromium: an analyst opens a seeded FY at line level, sees the flagged line, explains
it, sees the comment with who wrote it, and downloads the workbook, which carries the comment.

FY86 (Apr-85 .. Mar-86), written only here; as of 1 Jun 2086 every month is closed. Budget, no spend:
  BIG   5,00,000: variance 5,00,000 = 100 %, over both default thresholds (10 %, 1,00,000) -> flagged
  SMALL   20,000: 100 % but not over 1,00,000                                            -> not flagged
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

WAIT = 20_000  # ms: each step waits on what the server sends back, never on time
FY_END = 2086


@dataclass(frozen=True)
class Seeded:
    big: str
    small: str


def _forget_cached_reports() -> None:
    """Drop the figures cache of earlier runs from this run's Redis database.

    The cache key names the data version but not the database, and every run's fresh database counts its
    versions from the same start: without this, a report cached by an earlier run at the same version (other
    lines, other tags) would be served."""
    import os

    import redis

    from opex_app.services.cache import KEY_PREFIX

    client = redis.Redis.from_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3"))
    for key in client.scan_iter(f"{KEY_PREFIX}*"):
        client.delete(key)


@pytest.fixture(scope="module")
def seeded(running_app) -> Seeded:
    from opex_app.auth.permissions import cli_principal
    from opex_app.db import transaction
    from opex_app.domain.fiscal import FiscalYear
    from opex_app.services.fiscal_years import ensure_fiscal_year
    from opex_app.services.masters import create_missing
    from tests.services.lines import add_line

    tag = uuid.uuid4().hex[:6]
    tower = f"E2E Variance {tag}"
    big, small = f"VR-{tag}-BIG", f"VR-{tag}-SMALL"
    _forget_cached_reports()
    with transaction() as session:
        create_missing(session, cli_principal(), "tower", [tower])
        fy = ensure_fiscal_year(session, FiscalYear(FY_END))
        add_line(session, fy, big, {1: "500000"}, tower=tower)
        add_line(session, fy, small, {2: "20000"}, tower=tower)
    return Seeded(big, small)


def test_analyst_comments_a_flagged_line_and_downloads_it(page, login, running_app, seeded, tmp_path: Path) -> None:
    login(running_app.analyst_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Analyst", timeout=WAIT)
    page.goto(f"{running_app.url}/variance?fy=FY86&level=line&period=fy&as_of=2086-06-01")

    rows = page.get_by_test_id("variance-row")
    big = rows.filter(has_text=seeded.big)
    small = rows.filter(has_text=seeded.small)
    expect(big).to_have_attribute("data-flagged", "1", timeout=WAIT)
    expect(small).to_have_attribute("data-flagged", "")
    expect(big).to_contain_text("5,00,000")
    expect(small.get_by_test_id("variance-comment-input")).to_have_count(0)  # not flagged: nothing asked
    expect(page.get_by_test_id("variance-totals")).to_contain_text("5,20,000")
    expect(page.get_by_test_id("variance-summary")).to_contain_text("2 members · 1 flagged")

    text = "Renewal deferred to FY87 after the vendor review."
    big.get_by_test_id("variance-comment-input").fill(text)
    big.get_by_test_id("variance-comment-save").click()
    expect(big.get_by_test_id("variance-comment-by")).to_contain_text(running_app.analyst_email, timeout=WAIT)
    expect(big.get_by_test_id("variance-comment-input")).to_have_value(text)

    # a fresh visit shows it too: it was stored, not only kept in the page
    page.reload()
    expect(big.get_by_test_id("variance-comment-input")).to_have_value(text, timeout=WAIT)

    with page.expect_download(timeout=WAIT) as caught:
        page.get_by_test_id("variance-download").click()
    download = caught.value
    assert download.suggested_filename == "variance-FY86-fy-line-2086-06-01.xlsx"
    assert download.failure() is None
    saved = tmp_path / "variance.xlsx"
    download.save_as(saved)
    workbook = openpyxl.load_workbook(saved)
    assert workbook.sheetnames == ["Line"]
    sheet = {row[0]: row for row in workbook["Line"].iter_rows(min_row=2, values_only=True)}
    assert sheet[seeded.big][1] == 500000
    assert sheet[seeded.big][9].startswith(f"{text} ({running_app.analyst_email}, ")
    assert sheet[seeded.small][9] is None
    assert list(sheet)[-1] == "Total"
