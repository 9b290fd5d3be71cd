"""Production hashes passwords with argon2id at RFC 9106's parameters; only OPEX_ENV=test hashes cheaply."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from argon2 import extract_parameters, profiles

from opex_app.auth import passwords

ROOT = Path(__file__).resolve().parents[2]
STRONG_PREFIX = "$argon2id$v=19$m=65536,t=3,p=4$"


def _hash_in(env: dict[str, str]) -> str:
    """A hash made by the module as a fresh process with `env` loads it (as the app's workers do)."""
    code = "from opex_app.auth.passwords import hash_password; print(hash_password('correct horse battery'))"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OPEX_")} | env
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def test_production_hashes_with_the_strong_parameters() -> None:
    made = _hash_in({"OPEX_ENV": "prod", "OPEX_SECRET_KEY": "p" * 48})
    assert made.startswith(STRONG_PREFIX)
    assert extract_parameters(made) == profiles.RFC_9106_LOW_MEMORY


def test_only_the_test_environment_hashes_cheaply() -> None:
    for env in ("prod", "dev", "anything-but-test"):
        assert passwords.hasher_for(env).time_cost == 3 and passwords.hasher_for(env).memory_cost == 65536
    assert passwords.hasher_for("test").memory_cost < 1024
    assert _hash_in({"OPEX_ENV": "test"}).startswith("$argon2id$")
    assert not _hash_in({"OPEX_ENV": "test"}).startswith(STRONG_PREFIX)


def test_this_test_run_hashes_strongly_too() -> None:
    """The service tests run without OPEX_ENV (dev): what they check is the production hash."""
    assert passwords.hash_password("correct horse battery").startswith(STRONG_PREFIX)


def test_a_cheap_hash_still_verifies_anywhere() -> None:
    """A hash names its own parameters: one made in a test verifies with the strong hasher, and the reverse."""
    cheap = passwords.hasher_for("test").hash("correct horse battery")
    assert passwords.verify_password(cheap, "correct horse battery")
    assert not passwords.verify_password(cheap, "wrong horse battery")
