"""Lay out deploy/nginx.conf and its includes in a folder the way the web image does, for `nginx -t` here
and for a real nginx on loopback (make test-deploy): the includes sit beside the main file, the backends
and the certificate paths are the caller's, nothing under /etc is needed but nginx's own mime.types.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
CERT_DIR_IN_IMAGE = "/etc/ssl/opex/"
MIME_TYPES = Path("/etc/nginx/mime.types")
# The include name in the image (deploy/Dockerfile's web stage) -> the file in deploy/
INCLUDES = {
    "opex/static.conf": "nginx-static.conf",
    "opex/security-headers.conf": "nginx-security-headers.conf",
}


def upstream_conf(servers: list[str]) -> str:
    """deploy/nginx-upstream.conf's `upstream opex_app` block with other backend addresses."""
    original = (DEPLOY / "nginx-upstream.conf").read_text()
    template = re.search(r"^\s*server\s+\S+(.*);$", original, re.MULTILINE)
    if template is None:
        raise ValueError("deploy/nginx-upstream.conf has no `server` line")
    lines = "".join(f"    server {address}{template.group(1)};\n" for address in servers)
    return re.sub(r"(^\s*server\s+\S+.*;\n)+", lines, original, count=1, flags=re.MULTILINE)


def self_signed_certificate(folder: Path) -> Path:
    """A throwaway fullchain.pem/privkey.pem pair in `folder` (openssl), for the TLS server block."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"),
            *("-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem")),
        ],
        check=True,
        capture_output=True,
    )
    return folder


def lay_out(
    folder: Path, *, upstreams: list[str], cert_dir: Path, main_conf: str | None = None, web_root: Path | None = None
) -> Path:
    """Write nginx.conf (or `main_conf`) and its includes into `folder`; return the main file's path.

    Only the certificate folder, the backends and (optionally) the static root differ from the image."""
    (folder / "opex").mkdir(parents=True, exist_ok=True)
    shutil.copy(MIME_TYPES, folder / "mime.types")
    for include, source in INCLUDES.items():
        text = (DEPLOY / source).read_text()
        if web_root is not None:
            text = text.replace("root /srv/opex/web;", f"root {web_root};")
        (folder / include).write_text(text)
    (folder / "opex" / "upstream.conf").write_text(upstream_conf(upstreams))
    main = (DEPLOY / "nginx.conf").read_text() if main_conf is None else main_conf
    path = folder / "nginx.conf"
    path.write_text(main.replace(CERT_DIR_IN_IMAGE, f"{cert_dir}/"))
    return path


# The test's access log: which backend ($upstream_addr) answered each request, and how long it took.
UPSTREAM_LOG_FORMAT = (
    "log_format opex_upstream '$time_iso8601 $status $request_method $uri upstream=$upstream_addr "
    "upstream_status=$upstream_status request_time=$request_time';"
)
# A response header naming the backend that answered, seen by the browser on every proxied response, the event
# websocket's handshake (101) included. Server level, so the proxied location keeps inheriting it together with the
# security headers; the static locations set their own headers, so it never reaches them.
UPSTREAM_HEADER = "X-Opex-Upstream"


def _replace_once(text: str, old: str, new: str) -> str:
    """`old` must be in deploy/nginx.conf exactly once: a changed config fails here, loudly, not silently."""
    if text.count(old) != 1:
        raise ValueError(f"deploy/nginx.conf should hold {old!r} once, holds it {text.count(old)} times")
    return text.replace(old, new)


def loopback_conf(*, http_port: int, https_port: int, log_dir: Path) -> str:
    """deploy/nginx.conf for a real nginx on 127.0.0.1, with only these substitutions:

    - `listen 80` / `listen 443 ssl http2` -> 127.0.0.1:`http_port` / `https_port` (no root-only ports, loopback
      only); the `[::]` listens are dropped (IPv6 may be off on a CI runner);
    - the access and error logs go to `log_dir` (not /var/log/nginx), the access log in UPSTREAM_LOG_FORMAT;
    - the TLS server adds the UPSTREAM_HEADER response header, so the test can tell which backend served the tab.
    Everything else (proxied paths, websocket upgrade, timeouts, retries, TLS, headers, includes) is the file as
    shipped; `lay_out` then swaps the certificate folder, the backends and the static root."""
    text = (DEPLOY / "nginx.conf").read_text()
    text = _replace_once(text, "listen 80 default_server;", f"listen 127.0.0.1:{http_port} default_server;")
    text = _replace_once(
        text, "listen 443 ssl http2 default_server;", f"listen 127.0.0.1:{https_port} ssl http2 default_server;"
    )
    text = re.sub(r"^\s*listen \[::\]:\d+.*\n", "", text, flags=re.MULTILINE)
    text = _replace_once(
        text,
        "access_log /var/log/nginx/access.log;",
        f"{UPSTREAM_LOG_FORMAT}\n    access_log {log_dir}/access.log opex_upstream;",
    )
    text = _replace_once(text, "error_log /var/log/nginx/error.log warn;", f"error_log {log_dir}/error.log info;")
    tls_headers = "        include opex/security-headers.conf;\n"
    return _replace_once(
        text, tls_headers, f"{tls_headers}        add_header {UPSTREAM_HEADER} $upstream_addr always;\n"
    )
