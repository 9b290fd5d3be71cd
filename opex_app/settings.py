"""Every knob of OPEX Manager, read once from the environment (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-only-insecure-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str | None = Field(
        default=None,
        alias="DATABASE_URL",
        description="postgresql+psycopg://user:pass@host/db; unset: the embedded PostgreSQL under data/pg",
    )
    database_listen_url: str | None = Field(
        default=None,
        alias="DATABASE_LISTEN_URL",
        description="where each worker LISTENs for data version changes; default DATABASE_URL. Must reach the "
        "primary directly, bypassing PgBouncer: LISTEN does not work through transaction pooling, and a replica "
        "never sees NOTIFY",
    )
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    secret_key: str = Field(default=DEFAULT_SECRET_KEY, alias="OPEX_SECRET_KEY")
    env: str = Field(default="dev", alias="OPEX_ENV", description="dev | test | prod")
    fy_start_month: int = Field(default=4, alias="OPEX_FY_START_MONTH", ge=1, le=12)
    base_currency: str = Field(default="INR", alias="OPEX_BASE_CURRENCY", min_length=3, max_length=3)
    day_first_dates: bool = Field(default=True, alias="OPEX_DAY_FIRST_DATES")
    upload_max_bytes: int = Field(default=50 * 1024 * 1024, alias="OPEX_UPLOAD_MAX_BYTES", gt=0)
    upload_max_uncompressed_bytes: int = Field(
        default=500 * 1024 * 1024, alias="OPEX_UPLOAD_MAX_UNCOMPRESSED_BYTES", gt=0
    )
    session_idle_hours: float = Field(default=8.0, alias="OPEX_SESSION_IDLE_HOURS", gt=0)
    login_max_failures: int = Field(default=5, alias="OPEX_LOGIN_MAX_FAILURES", gt=0)
    login_window_minutes: int = Field(default=15, alias="OPEX_LOGIN_WINDOW_MINUTES", gt=0)
    data_dir: Path = Field(default=PROJECT_ROOT / "data", alias="OPEX_DATA_DIR")
    app_port: int = Field(default=3000, alias="OPEX_PORT")
    api_url: str | None = Field(
        default=None, alias="OPEX_API_URL", description="public URL of the backend; default http://localhost:PORT"
    )

    @field_validator("base_currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @property
    def is_production(self) -> bool:
        return self.env == "prod"

    @property
    def embedded_pg_dir(self) -> Path:
        return self.data_dir / "pg"

    def check_production_ready(self) -> None:
        """Refuse to run in production with the development secret."""
        if self.is_production and self.secret_key == DEFAULT_SECRET_KEY:
            raise RuntimeError("OPEX_SECRET_KEY must be set to a strong secret when OPEX_ENV=prod")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
