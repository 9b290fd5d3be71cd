"""The deployment started the way the images run it, without a Docker engine (make test-deploy):

- the static frontend built as deploy/Dockerfile's `build` stage builds it (`reflex export --frontend-only`, the
  public URL baked in) and copied to the web root, as the `web` stage does;
- two backends started as the `app` image's CMD (`reflex run --env prod --backend-only`), one worker each, on
  their own loopback ports (compose's two `app` replicas), sharing one data folder (compose's `appdata` volume),
  PostgreSQL and Redis;
- a real nginx with deploy/nginx.conf and its includes, laid out as the `web` image lays them out, with the
  loopback substitutions of `nginx_layout.loopback_conf` (ports, log paths, one test header) and the backends'
  addresses in `upstream.conf`.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.app_process import ROOT, app_env, free_port, serve_backend, start_reflex, stop, wait_http
from tests.deploy import nginx_layout

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
EXPORTED = ROOT / ".web" / "build" / "client"
# A state lock of a worker killed while holding it would keep the tab's events waiting for Reflex's default
# 10 s (reflex's `redis_lock_expiration`, milliseconds); production keeps the default. An event that holds the
# lock longer than this fails, so it stays well above the dashboard's load on a busy machine.
LOCK_EXPIRATION_MS = 3000


@dataclass
class Stack:
    url: str  # the site, through nginx (https, the throwaway certificate)
    backends: dict[str, subprocess.Popen]  # "127.0.0.1:PORT" (nginx's $upstream_addr) -> the backend process
    folder: Path  # logs, certificate, web root, nginx prefix

    def save_logs(self, artifacts: Path) -> None:
        save_logs(self.folder, artifacts)

    def kill(self, address: str) -> list[int]:
        """SIGKILL the backend at `address`, every process of it (the reflex command, granian and its worker):
        a replica dying, not stopping. Returns the process ids killed."""
        proc = self.backends[address]
        pids = [proc.pid, *(child.pid for child in psutil.Process(proc.pid).children(recursive=True))]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        return pids


def save_logs(folder: Path, artifacts: Path) -> None:
    """The backends', the export's and nginx's logs (access log with $upstream_addr, error log) to `artifacts`."""
    artifacts.mkdir(parents=True, exist_ok=True)
    for log in [*folder.glob("*.log"), *folder.glob("nginx/*.log")]:
        shutil.copy(log, artifacts / (f"nginx-{log.name}" if log.parent.name == "nginx" else log.name))


@contextmanager
def redis_server(configured: str | None) -> Iterator[str]:
    """The Redis at `configured` (TEST_REDIS_URL), or else a private redis-server on a free loopback port."""
    if configured:
        yield configured
        return
    port = free_port()
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        import redis

        client = redis.Redis(port=port, socket_connect_timeout=1)
        for _ in range(100):  # until it answers PING (its own signal), at most about 10 s
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {proc.returncode}") from None
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)


def site_port() -> int:
    """A free port for nginx below the kernel's ephemeral range: the site's port is baked into the frontend a minute
    or two before nginx binds it, and a port from that range could meanwhile go to an outgoing connection."""
    first_ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in random.sample(range(20000, min(first_ephemeral, 30000)), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and the ephemeral range")


def tls_context() -> ssl.SSLContext:
    """For the readiness checks: the certificate is a throwaway one made for this run."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def export_frontend(env: dict[str, str], web_root: Path, log: Path) -> None:
    """`reflex export --frontend-only --no-zip` (the Dockerfile's build stage) and copy the result to `web_root`."""
    proc = start_reflex(["export", "--frontend-only", "--no-zip"], env, log)
    try:
        code = proc.wait(timeout=420)
    except subprocess.TimeoutExpired:
        stop(proc)
        raise
    if code != 0 or not (EXPORTED / "index.html").exists():
        raise RuntimeError(f"reflex export failed ({code}):\n{log.read_text()[-4000:]}")
    shutil.copytree(EXPORTED, web_root)


@contextmanager
def nginx(conf: Path, url: str, log: Path) -> Iterator[subprocess.Popen]:
    prefix = conf.parent
    command = [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    command += ["-g", f"daemon off; pid {prefix / 'nginx.pid'};"]
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(f"{url}/ping", proc, log, timeout=60, context=tls_context())  # proxied to a backend
        wait_http(f"{url}/login", proc, log, timeout=60, context=tls_context())  # the static frontend
        yield proc
    finally:
        stop(proc)


@contextmanager
def deploy_stack(database_url: str, redis_url: str, artifacts: Path) -> Iterator[Stack]:
    """The whole deployment, until the block ends; the logs go to `artifacts` when it does not start."""
    # nginx's workers run as the config's `user www-data`: everything they read must be world-readable.
    folder = Path(tempfile.mkdtemp(prefix="opex-deploy-"))
    folder.chmod(0o755)
    http_port, https_port = site_port(), site_port()
    # 127.0.0.1, not localhost: for `localhost` over https, Reflex's client drops the port from the backend URL
    # (it assumes a load balancer on 443; reflex's state.js getBackendURL), and nginx listens on a free port here.
    url = f"https://127.0.0.1:{https_port}"
    data = folder / "data"  # compose's appdata volume: uploads land on one backend, the import runs on either
    settings = {
        "OPEX_ENV": "prod",
        "OPEX_SECRET_KEY": secrets.token_urlsafe(48),
        "OPEX_API_URL": url,
        "OPEX_DATA_DIR": str(data),
        "REFLEX_UPLOADED_FILES_DIR": str(data / "reflex-uploads"),
        "OPEX_IMPORT_ISOLATED": "true",
        "GRANIAN_WORKERS": "1",
        "REFLEX_REDIS_LOCK_EXPIRATION": str(LOCK_EXPIRATION_MS),
    }
    started, began = False, time.monotonic()
    try:
        export_frontend(app_env(database_url, redis_url, https_port, settings), folder / "web", folder / "export.log")
        exported = time.monotonic()
        with ExitStack() as running:
            backends: dict[str, subprocess.Popen] = {}
            for name in ("a", "b"):  # one after the other: both write .web/backend/ when they start
                port = free_port()
                backends[f"127.0.0.1:{port}"] = running.enter_context(
                    serve_backend(database_url, redis_url, folder / f"backend-{name}.log", port, settings)
                )
            backends_up = time.monotonic()
            certs = nginx_layout.self_signed_certificate(folder / "certs")
            conf = nginx_layout.lay_out(
                folder / "nginx",
                upstreams=list(backends),
                cert_dir=certs,
                main_conf=nginx_layout.loopback_conf(
                    http_port=http_port, https_port=https_port, log_dir=folder / "nginx"
                ),
                web_root=folder / "web",
            )
            running.enter_context(nginx(conf, url, folder / "nginx.log"))
            started = True
            print(
                f"\ndeploy stack up in {time.monotonic() - began:.1f} s: frontend export {exported - began:.1f} s, "
                f"two backends {backends_up - exported:.1f} s, nginx {time.monotonic() - backends_up:.1f} s"
            )
            yield Stack(url=url, backends=backends, folder=folder)
    except BaseException:
        if not started:
            save_logs(folder, artifacts)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
