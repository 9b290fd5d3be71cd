"""Fixtures shared by the service tests."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher


@pytest.fixture()
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its smallest cost (the default costs ~0.6 s a hash on a busy CI machine): for tests that log in
    or change passwords many times, where what is tested is what happens, not how hard the hash is."""
    from opex_app.auth import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", cheap)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", cheap.hash("a dummy password"))
