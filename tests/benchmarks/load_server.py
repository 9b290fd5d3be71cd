"""The app under load: `reflex run --env prod --backend-only` with N granian workers, pinned to some CPUs with
`taskset`, on the load database and Redis; and the CPU time its processes, and PostgreSQL's backends serving it,
have used (from /proc, through psutil).

With a `profile_dir`, each worker runs cProfile on its event loop and writes `worker-<pid>.prof` there on SIGUSR1
(`load_profile_hook/sitecustomize.py`, put on the app's PYTHONPATH only then); `print_profile` sums them.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg

from tests.benchmarks._common import ROOT, child_env
from tests.benchmarks.load_data import libpq_url

PROFILE_HOOK_DIR = Path(__file__).with_name("load_profile_hook")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def processes(self) -> list[psutil.Process]:
        """The supervisor and its workers."""
        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def workers(self) -> list[int]:
        return [p.pid for p in self.processes() if p.pid != self.process.pid]

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self.processes():
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def dump_profiles(self) -> None:
        for pid in self.workers():
            os.kill(pid, signal.SIGUSR1)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start(
    *, database_url: str, redis_url: str, workers: int, cpus: str, log: Path, profile_dir: Path | None = None
) -> Server:
    """Start the backend and wait until `/ping` answers (its workers have imported the app)."""
    port = free_port()
    env = child_env(
        DATABASE_URL=database_url,
        DATABASE_LISTEN_URL=database_url,
        REDIS_URL=redis_url,
        OPEX_ENV="prod",
        OPEX_SECRET_KEY=secrets.token_urlsafe(48),
        OPEX_PORT=str(port),
        OPEX_API_URL=f"http://localhost:{port}",
        GRANIAN_WORKERS=str(workers),
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_DIR=str(ROOT / ".reflex"),
    )
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
        env["OPEX_LOAD_PROFILE"] = str(profile_dir)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROFILE_HOOK_DIR), env.get("PYTHONPATH")]))
    command = ["taskset", "-c", cpus, str(ROOT / ".venv" / "bin" / "reflex"), "run", "--env", "prod"]
    command += ["--backend-only", "--backend-port", str(port), "--loglevel", "warning"]
    out = log.open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(process, port, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited {process.returncode}: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as answer:
                if answer.status == 200 and len(server.workers()) >= workers:
                    return server
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"the app did not answer /ping within 120 s: {log.read_text()[-3000:]}")


class PostgresCpu:
    """CPU seconds used by the PostgreSQL backends connected to one database (local server only; a backend that
    exits between two readings loses its share, parallel query workers are not counted)."""

    def __init__(self, url: str) -> None:
        self.url, self.name = libpq_url(url), url.rsplit("/", 1)[-1]

    def _pids(self) -> list[int]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (self.name,)
            ).fetchall()
        return [int(row[0]) for row in rows]

    def snapshot(self) -> dict[int, float]:
        out = {}
        for pid in self._pids():
            try:
                times = psutil.Process(pid).cpu_times()
                out[pid] = times.user + times.system
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        return out

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def redis_cpu_seconds() -> float | None:
    """CPU seconds of the local redis-server (shared with anything else using it), or None when not local."""
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] == "redis-server":
            try:
                times = proc.cpu_times()
                return float(times.user + times.system)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                return None
    return None


def print_profile(folder: Path, top: int = 30) -> None:
    """The functions that took the workers' event loops longest (all workers' profiles summed)."""
    import pstats

    files = sorted(str(p) for p in folder.glob("worker-*.prof"))
    if not files:
        print(f"  no profile written in {folder}")
        return
    stats = pstats.Stats(*files)
    print(f"  profile of the event loops of {len(files)} worker(s) ({folder}), by own time then cumulative:")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
