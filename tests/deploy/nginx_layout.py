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
