from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture()
def run_cli(database_url: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `python -m opex_app.cli ...` as an operator would, against the test database."""

    def run(*args: str, stdin: str | None = None, database: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": database or database_url}
        return subprocess.run(
            [sys.executable, "-m", "opex_app.cli", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )

    return run
