"""The load benchmark's database: bench_figures' generated FY27 (budget lines, POs, actuals) plus viewer accounts
for the simulated users, kept between runs.

Generating and COPYing 100,000 lines and 1,000,000 actuals takes a minute or two, so the database (default
`opex_bench_load`) is kept and reused while its comment names the same sizes; `--drop` removes it after a run.
Each run still applies pending migrations, so a cached database follows the schema.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from sqlalchemy.engine import make_url

from tests.benchmarks._common import CACHE, SERVER, use_database
from tests.benchmarks.bench_figures import load_generated

PASSWORD = "Load-bench-viewer-2026!"  # the accounts exist only in the benchmark's own database


@dataclass(frozen=True)
class Sizes:
    lines: int
    pos: int
    actuals: int

    def comment(self) -> str:
        return f"opex load bench: lines={self.lines} pos={self.pos} actuals={self.actuals}"


def account_email(number: int) -> str:
    return f"load-user-{number:04d}@bench.invalid"


def _admin_url() -> str:
    return make_url(SERVER).set(drivername="postgresql").render_as_string(hide_password=False)


def database_url(name: str) -> str:
    """The app's (SQLAlchemy) URL of database `name` on the benchmark server."""
    return make_url(SERVER).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _comment(conn: psycopg.Connection, name: str) -> str | None:
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)
    ).fetchone()
    return None if row is None else (row[0] or "")


def ensure_database(name: str, sizes: Sizes) -> tuple[str, str]:
    """The URL of database `name` holding `sizes`, and how it was had ('reused' or 'generated in N s')."""
    from opex_app.migrate import upgrade

    url = database_url(name)
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        comment = _comment(conn, name)
        if comment == sizes.comment():
            upgrade(url)
            return url, "reused"
        if comment is not None:  # other sizes, or a generation that did not finish
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    upgrade(url)
    use_database(url)
    seconds = load_generated(sizes.lines, sizes.pos, sizes.actuals)
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{sizes.comment()}'")  # marks the generation complete
    return url, f"generated in {seconds:.0f} s"


def drop_database(name: str) -> None:
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _ensure_accounts(url: str, count: int) -> None:
    """Viewer accounts 1..`count`, all with PASSWORD (the missing ones are created: argon2 hashes each, once)."""
    from opex_app.auth.permissions import RoleName, cli_principal
    from opex_app.db import transaction
    from opex_app.services.users import create_user

    with psycopg.connect(libpq_url(url)) as conn:
        have = {row[0] for row in conn.execute("SELECT email FROM app_user WHERE email LIKE 'load-user-%'")}
    with transaction() as session:
        for number in range(1, count + 1):
            if account_email(number) not in have:
                create_user(
                    session, cli_principal(), email=account_email(number), role=RoleName.VIEWER, password=PASSWORD
                )


def sign_in(url: str, count: int) -> list[str]:
    """A live session token per simulated user, each on its own viewer account, minted by `sessions.login` (as the
    login form and POST /api/session do) before the measured window, so password hashing is not counted.

    Tokens are kept in the benchmark folder and reused while `sessions.resolve` still accepts them (sessions last
    hours): argon2 makes a login cost 0.1-0.5 s, minutes for 200 users on a busy machine."""
    import json

    from opex_app.db import transaction
    from opex_app.services import sessions

    use_database(url)
    _ensure_accounts(url, count)
    CACHE.mkdir(parents=True, exist_ok=True)
    kept = CACHE / f"load-sessions-{url.rsplit('/', 1)[-1]}.json"
    tokens: list[str] = json.loads(kept.read_text()) if kept.exists() else []
    with transaction() as session:
        live = [
            token
            for i, token in enumerate(tokens[:count])
            if (who := sessions.resolve(session, token)) is not None and who.actor == account_email(i + 1)
        ]
    for i in range(len(live), count):
        with transaction() as session:
            token, _ = sessions.login(session, email=account_email(i + 1), password=PASSWORD, ip="127.0.0.1")
        live.append(token)
    if (keep := live + tokens[count:]) != tokens:  # the tokens past `count` are for larger runs, checked then
        kept.write_text(json.dumps(keep))
        kept.chmod(0o600)
    return live
