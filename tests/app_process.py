"""The app as production runs it (`reflex run --env prod`, Redis state, two workers), started on a free port
for the browser tests and the render benchmark; and the backend alone (`--backend-only`, as the deploy image
runs it) for the deployment proof (tests/deploy/stack.py): one way to start and stop it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(
    url: str, proc: subprocess.Popen, log: Path, timeout: float = 420, context: ssl.SSLContext | None = None
) -> None:
    """Until `url` answers 200 (the app's own signal that it is up), or the app exits, or `timeout`.
    `context`: the TLS context for an https URL (nginx with a throwaway certificate)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5, context=context) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the app did not answer {url} within {timeout}s:\n{log.read_text()[-4000:]}")


def stop(proc: subprocess.Popen) -> None:
    """Its whole process group: reflex starts the workers as children."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def app_env(database_url: str, redis_url: str, port: int, extra_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an app process: this one's, the database, Redis and port, and Reflex kept offline."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "OPEX_PORT": str(port),
        "GRANIAN_WORKERS": os.environ.get("GRANIAN_WORKERS", "2"),
        # the same offline settings the Makefile exports (see ../shared/REFLEX_OFFLINE.md)
        "REFLEX_BUN_PATH": os.environ.get("REFLEX_BUN_PATH", str(ROOT / ".tools/node_modules/bun/bin/bun.exe")),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        **(extra_env or {}),
    }


def start_reflex(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen:
    """`reflex ARGS` from the repository root, in its own process group (so `stop` ends its workers too)."""
    reflex = shutil.which("reflex", path=str(ROOT / ".venv" / "bin")) or "reflex"
    with log.open("w") as out:
        return subprocess.Popen(
            [reflex, *args], cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


@contextmanager
def serve_app(
    database_url: str, redis_url: str, log: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """(base URL, process id) of the app serving `database_url`, until the block ends."""
    port = free_port()
    env = app_env(database_url, redis_url, port, extra_env)
    proc = start_reflex(["run", "--env", "prod"], env, log)
    try:
        base = f"http://localhost:{port}"
        wait_http(f"{base}/api/health", proc, log)
        wait_http(f"{base}/login", proc, log)
        yield base, proc.pid
    finally:
        stop(proc)


@contextmanager
def serve_backend(
    database_url: str, redis_url: str, log: Path, port: int, extra_env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """The backend alone on 127.0.0.1:`port`, the deploy image's command (`reflex run --env prod --backend-only`;
    the frontend is served elsewhere), until the block ends. Yields the process (its group holds the workers)."""
    env = app_env(database_url, redis_url, port, extra_env)
    proc = start_reflex(["run", "--env", "prod", "--backend-only", "--backend-host", "127.0.0.1"], env, log)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/health", proc, log)
        yield proc
    finally:
        stop(proc)
