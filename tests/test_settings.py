"""Settings refuse nonsense at load: a closed OPEX_ENV, and no weak secret in production."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opex_app.settings import DEFAULT_SECRET_KEY, SettingsError, get_settings

STRONG = "k" * 32


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("OPEX_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.parametrize("env", ["dev", "test", "prod"])
def test_the_three_environments_load(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv("OPEX_ENV", env)
    monkeypatch.setenv("OPEX_SECRET_KEY", STRONG)
    assert get_settings().env == env


@pytest.mark.parametrize("env", ["staging", "production", "PROD", ""])
def test_an_unknown_environment_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv("OPEX_ENV", env)
    with pytest.raises(SettingsError, match=r"OPEX_ENV: Input should be 'dev', 'test' or 'prod'"):
        get_settings()


@pytest.mark.parametrize(
    ("key", "why"),
    [
        (None, "published placeholder"),
        (DEFAULT_SECRET_KEY, "published placeholder"),
        ("change-me-to-a-long-random-string", "published placeholder"),
        ("k" * 31, "at least 32 characters"),
    ],
)
def test_production_refuses_a_default_or_short_secret(
    monkeypatch: pytest.MonkeyPatch, key: str | None, why: str
) -> None:
    monkeypatch.setenv("OPEX_ENV", "prod")
    if key is not None:
        monkeypatch.setenv("OPEX_SECRET_KEY", key)
    with pytest.raises(SettingsError, match=why):
        get_settings()


def test_dev_accepts_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPEX_ENV", "dev")
    assert get_settings().secret_key == DEFAULT_SECRET_KEY


def test_prod_accepts_a_long_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPEX_ENV", "prod")
    monkeypatch.setenv("OPEX_SECRET_KEY", STRONG)
    assert get_settings().is_production
