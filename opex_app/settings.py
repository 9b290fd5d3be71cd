"""Every knob of OPEX Manager, read once from the environment (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-only-insecure-secret-change-me"
# Secrets published in this repository (the default and deploy/opex.env.example's placeholder): never in prod.
PUBLISHED_SECRET_KEYS = frozenset({DEFAULT_SECRET_KEY, "change-me-to-a-long-random-string"})
MIN_SECRET_KEY_LENGTH = 32
Env = Literal["dev", "test", "prod"]
LogFormat = Literal["json", "text"]


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
    database_replica_url: str | None = Field(
        default=None,
        alias="DATABASE_REPLICA_URL",
        description="a streaming replica for the dashboard, report and read API figures; unset (or unreachable): "
        "they are read from the primary. A replica behind the data version this worker has seen is not used",
    )
    db_pool_size: int = Field(
        default=5, alias="OPEX_DB_POOL_SIZE", ge=1, description="connections each worker keeps open per database"
    )
    db_max_overflow: int = Field(
        default=10, alias="OPEX_DB_MAX_OVERFLOW", ge=0, description="connections a worker may open beyond the pool"
    )
    db_pool_timeout: float = Field(
        default=10.0,
        alias="OPEX_DB_POOL_TIMEOUT",
        gt=0,
        description="seconds a request waits for a free pooled connection before it fails",
    )
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    secret_key: str = Field(
        default=DEFAULT_SECRET_KEY,
        alias="OPEX_SECRET_KEY",
        description="signs the download tickets (HMAC-SHA256); in prod at least 32 characters, not the default",
    )
    env: Env = Field(default="dev", alias="OPEX_ENV", description="dev | test | prod")
    fy_start_month: int = Field(default=4, alias="OPEX_FY_START_MONTH", ge=1, le=12)
    base_currency: str = Field(default="INR", alias="OPEX_BASE_CURRENCY", min_length=3, max_length=3)
    day_first_dates: bool = Field(default=True, alias="OPEX_DAY_FIRST_DATES")
    upload_max_bytes: int = Field(default=50 * 1024 * 1024, alias="OPEX_UPLOAD_MAX_BYTES", gt=0)
    upload_max_uncompressed_bytes: int = Field(
        default=500 * 1024 * 1024, alias="OPEX_UPLOAD_MAX_UNCOMPRESSED_BYTES", gt=0
    )
    session_idle_hours: float = Field(default=8.0, alias="OPEX_SESSION_IDLE_HOURS", gt=0)
    login_max_failures: int = Field(
        default=5,
        alias="OPEX_LOGIN_MAX_FAILURES",
        gt=0,
        description="failures on one account from one address within the window before delays start",
    )
    login_ip_max_failures: int = Field(
        default=20,
        alias="OPEX_LOGIN_IP_MAX_FAILURES",
        gt=0,
        description="failures from one address (any accounts) within the window before delays start",
    )
    login_account_max_failures: int = Field(
        default=50,
        alias="OPEX_LOGIN_ACCOUNT_MAX_FAILURES",
        gt=0,
        description="failures on one account from all addresses before delays start for addresses it never "
        "logged in from",
    )
    login_max_delay_seconds: int = Field(
        default=300,
        alias="OPEX_LOGIN_MAX_DELAY_SECONDS",
        gt=0,
        description="the longest wait the login throttle imposes (the delay doubles per failure up to it)",
    )
    login_window_minutes: int = Field(default=15, alias="OPEX_LOGIN_WINDOW_MINUTES", gt=0)
    login_trusted_days: int = Field(
        default=30,
        alias="OPEX_LOGIN_TRUSTED_DAYS",
        gt=0,
        description="how long a successful login keeps its address exempt from the account-wide throttle",
    )
    import_max_memory_bytes: int = Field(
        default=2 * 1024 * 1024 * 1024,
        alias="OPEX_IMPORT_MAX_MEMORY_BYTES",
        gt=64 * 1024 * 1024,
        description="memory (RLIMIT_DATA) the subprocess that reads an import file may use",
    )
    import_max_seconds: float = Field(
        default=180.0,
        alias="OPEX_IMPORT_MAX_SECONDS",
        gt=0,
        description="wall-clock time the subprocess that reads an import file may take",
    )
    import_isolated: bool = Field(
        default=True,
        alias="OPEX_IMPORT_ISOLATED",
        description="read import files in a bounded subprocess (off: in the calling process, unbounded)",
    )
    data_dir: Path = Field(default=PROJECT_ROOT / "data", alias="OPEX_DATA_DIR")
    app_port: int = Field(default=3000, alias="OPEX_PORT")
    api_url: str | None = Field(
        default=None, alias="OPEX_API_URL", description="public URL of the backend; default http://localhost:PORT"
    )

    log_format: LogFormat | None = Field(
        default=None,
        alias="OPEX_LOG_FORMAT",
        description="json (one object per line) or text; unset: json when OPEX_ENV=prod, else text",
    )
    metrics_token: str | None = Field(
        default=None,
        alias="OPEX_METRICS_TOKEN",
        min_length=16,
        description="when set, GET /metrics needs 'Authorization: Bearer <token>' from any address; unset: only "
        "loopback and private-network peers that did not come through a proxy may scrape",
    )
    metrics_dir: Path | None = Field(
        default=None,
        alias="PROMETHEUS_MULTIPROC_DIR",
        description="directory where every worker process writes its metrics, so that one scrape covers them "
        "all (prometheus-client's own variable); unset: each process counts on its own",
    )

    @field_validator("log_format", "metrics_token", "metrics_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`OPEX_METRICS_TOKEN=` (as compose passes an optional variable left out of .env) means not set."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("base_currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _production_secret(self) -> Settings:
        """Refuse to load production settings with the development secret or a short one: the key signs
        the download tickets, so a known or guessable key would let anyone forge one."""
        if self.env != "prod":
            return self
        if self.secret_key in PUBLISHED_SECRET_KEYS:
            raise ValueError(
                "OPEX_SECRET_KEY must be set to a strong secret when OPEX_ENV=prod (it is a published placeholder)"
            )
        if len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"OPEX_SECRET_KEY must have at least {MIN_SECRET_KEY_LENGTH} characters when OPEX_ENV=prod "
                f"(it has {len(self.secret_key)}); generate one with: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'"
            )
        return self

    @property
    def structured_logs(self) -> bool:
        """JSON log lines: asked for, or production by default (people read text in development)."""
        return self.log_format == "json" if self.log_format else self.is_production

    @property
    def is_production(self) -> bool:
        return self.env == "prod"

    @property
    def embedded_pg_dir(self) -> Path:
        return self.data_dir / "pg"


class SettingsError(RuntimeError):
    """The environment holds a setting the app refuses to start with; the message names each one."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, loaded once. A value out of its closed set (OPEX_ENV=staging) or a weak production secret
    stops the start with one line per problem, naming the variable, instead of pydantic's full report."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return "invalid settings: " + "; ".join(lines)
