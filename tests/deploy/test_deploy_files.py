"""The deployment files agree with the app and with each other: the compose file and the Kubernetes
manifests set every setting the app reads (derived from opex_app/settings.py, not listed by hand), run the
images and commands the Dockerfile builds, and nginx accepts deploy/nginx.conf (`nginx -t`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from opex_app.settings import Settings
from tests.conftest import IN_CI
from tests.deploy import nginx_layout

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
MIGRATE = ["python", "-m", "opex_app.cli", "db", "upgrade"]
APP_PATHS = ["/_event/", "/_upload", "/api/health", "/api/downloads/abc", "/ping"]
STATIC_PATHS = ["/", "/assets/index-3f2a.js", "/budgets", "/pingpong", "/apiary"]


def app_env_vars() -> set[str]:
    """Every environment variable opex_app/settings.py reads."""
    names = {field.alias for field in Settings.model_fields.values()}
    assert None not in names, "every setting has an alias: the variable operators set"
    return names  # type: ignore[return-value]


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def k8s_docs() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    return docs


def k8s(kind: str, name: str) -> dict[str, Any]:
    found = [doc for doc in k8s_docs() if doc["kind"] == kind and doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


class Dockerfile:
    """The stages of deploy/Dockerfile: name -> its instructions (ARGs before the first FROM resolved)."""

    def __init__(self, text: str) -> None:
        joined = re.sub(r"\\\n\s*", " ", text)
        lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]
        self.args: dict[str, str] = {}
        self.stages: dict[str, list[tuple[str, str]]] = {}
        self.bases: dict[str, str] = {}
        current: list[tuple[str, str]] | None = None
        for line in lines:
            word, _, rest = line.partition(" ")
            if word == "ARG" and current is None and "=" in rest:
                key, value = rest.split("=", 1)
                self.args[key] = value
            elif word == "FROM":
                base, _, name = rest.partition(" AS ")
                current = self.stages.setdefault(name.strip(), [])
                self.bases[name.strip()] = re.sub(r"\$\{(\w+)\}", lambda m: self.args[m.group(1)], base.strip())
            elif current is not None:
                current.append((word, rest))

    def last(self, stage: str, instruction: str) -> str:
        values = [rest for word, rest in self.stages[stage] if word == instruction]
        assert values, f"stage {stage} has no {instruction}"
        return values[-1]

    def env(self, stage: str) -> dict[str, str]:
        pairs = " ".join(rest for word, rest in self.stages[stage] if word == "ENV")
        return dict(re.findall(r"(\w+)=(\S+)", pairs))


def dockerfile() -> Dockerfile:
    return Dockerfile((DEPLOY / "Dockerfile").read_text())


def test_settings_derive_the_variables() -> None:
    names = app_env_vars()
    assert {"DATABASE_URL", "REDIS_URL", "OPEX_SECRET_KEY", "OPEX_ENV", "OPEX_UPLOAD_MAX_BYTES"} <= names


def test_dockerfile_builds_a_non_root_backend_and_never_migrates_on_start() -> None:
    docker = dockerfile()
    assert {"build", "web", "backup", "app"} <= set(docker.stages)
    assert list(docker.stages)[-1] == "app", "the app is the default target"
    build_runs = " ".join(rest for word, rest in docker.stages["build"] if word == "RUN")
    assert "reflex export --frontend-only" in build_runs
    assert docker.last("app", "USER") == "opex"
    assert re.search(r"useradd .*--uid 10001 .*opex", " ".join(rest for _, rest in docker.stages["app"]))
    cmd = yaml.safe_load(docker.last("app", "CMD"))
    assert cmd[:2] == ["reflex", "run"] and "--backend-only" in cmd and cmd[cmd.index("--env") + 1] == "prod"
    assert not [word for word, _ in docker.stages["app"] if word == "ENTRYPOINT"]
    assert "upgrade" not in " ".join(cmd), "migrations are a one-off command, not part of the container start"
    assert docker.env("app")["OPEX_PORT"] == docker.last("app", "EXPOSE")
    assert docker.env("app")["OPEX_ENV"] == "prod"
    assert "chown opex:opex /app/.web" in " ".join(rest for word, rest in docker.stages["app"] if word == "RUN")


def test_rxconfig_lets_the_backend_start_alone() -> None:
    """`reflex run --backend-only` exits with "Cannot specify --frontend-port" when rxconfig sets one."""
    from rxconfig import config

    assert config.frontend_port is None


def test_compose_sets_every_variable_and_runs_the_dockerfile_images() -> None:
    spec = compose()
    services = spec["services"]
    assert {"web", "app", "migrate", "postgres", "redis", "backup"} <= set(services)
    assert services["app"]["deploy"]["replicas"] >= 2
    missing = {name: app_env_vars() - set(services[name]["environment"]) for name in ("app", "migrate")}
    assert missing == {"app": set(), "migrate": set()}
    docker = dockerfile()
    for name, service in services.items():
        if "build" not in service:
            continue
        build = service["build"]
        assert (ROOT / "deploy" / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
        assert build["target"] in docker.stages, name
        assert service["image"].split(":")[0] == f"opex-manager/{build['target']}", name
    assert services["app"]["build"]["target"] == "app" and "command" not in services["app"], "the image's CMD"
    assert services["migrate"]["build"]["target"] == "app" and services["migrate"]["command"] == MIGRATE
    assert services["migrate"]["restart"] == "no"
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    port = docker.last("app", "EXPOSE")
    assert services["app"]["environment"]["OPEX_PORT"] == port
    assert f"127.0.0.1:{port}/api/health" in " ".join(services["app"]["healthcheck"]["test"])
    assert "opex-backup" in " ".join(services["backup"]["command"])
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in services["postgres"]["volumes"])
    assert any(volume.endswith(":/var/lib/opex") for volume in services["app"]["volumes"]), "shared data dir"


def test_backup_image_dumps_with_the_servers_major_version() -> None:
    docker = dockerfile()
    server_major = re.match(r"postgres:(\d+)", compose()["services"]["postgres"]["image"])
    assert server_major is not None
    assert docker.bases["backup"].startswith(f"postgres:{server_major.group(1)}-")
    copied = " ".join(rest for word, rest in docker.stages["backup"] if word == "COPY")
    assert "deploy/backup.sh /usr/local/bin/opex-backup" in copied
    assert "deploy/restore.sh /usr/local/bin/opex-restore" in copied


def test_compose_secrets_come_from_an_uncommitted_env_file() -> None:
    text = (DEPLOY / "docker-compose.yml").read_text()
    referenced = set(re.findall(r"(?<!\$)\$\{(\w+)", text))
    example = env_file(DEPLOY / ".env.example")
    assert referenced - set(example) == set(), "every ${VAR} of the compose file is in .env.example"
    for secret in ("OPEX_SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"):
        assert "change-me" in example[secret]
        assert f"${{{secret}:?" in text, f"compose refuses to start without {secret}"
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/.env"], cwd=ROOT, check=False)
    assert ignored.returncode == 0, "deploy/.env must be git-ignored"


def test_vm_env_example_sets_every_variable() -> None:
    assert app_env_vars() - set(env_file(DEPLOY / "opex.env.example")) == set()
    unit = (DEPLOY / "opex-worker@.service").read_text()
    commands = [line for line in unit.splitlines() if line.startswith("Exec")]
    assert commands and not [line for line in commands if "upgrade" in line], (
        "migrations run once per release (README), not on every worker start"
    )


def k8s_pod_env(pod_spec: dict[str, Any]) -> set[str]:
    """Names a pod's first container gets: envFrom (resolved against the manifests) plus env."""
    container = pod_spec["containers"][0]
    names = {item["name"] for item in container.get("env", [])}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            names |= set(k8s("ConfigMap", source["configMapRef"]["name"])["data"])
        else:
            names |= set(k8s("Secret", source["secretRef"]["name"])["stringData"])
    return names


def test_k8s_manifests_load_and_name_what_they_need() -> None:
    docs = k8s_docs()
    kinds = {doc["kind"] for doc in docs}
    assert {
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "Job",
        "CronJob",
        "ConfigMap",
        "Secret",
    } <= kinds
    for doc in docs:
        assert doc["apiVersion"] and doc["metadata"]["name"]
        assert doc["kind"] == "Namespace" or doc["metadata"]["namespace"] == "opex", doc["metadata"]["name"]
    secret = k8s("Secret", "opex-secrets")
    assert all("CHANGE-ME" in value for value in secret["stringData"].values()), "a template, no real secret"


def test_k8s_app_deployment() -> None:
    deployment = k8s("Deployment", "opex-app")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert app_env_vars() - k8s_pod_env(pod) == set()
    assert "command" not in container and "args" not in container, "the image's CMD: the backend only"
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/health"
    assert container["resources"] == {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"cpu": "2", "memory": "4Gi"},
    }
    docker = dockerfile()
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
    port = docker.last("app", "EXPOSE")
    assert [p["containerPort"] for p in container["ports"]] == [int(port)]
    assert k8s("ConfigMap", "opex-config")["data"]["OPEX_PORT"] == port
    assert container["volumeMounts"][0]["mountPath"] == k8s("ConfigMap", "opex-config")["data"]["OPEX_DATA_DIR"]
    service = k8s("Service", "opex-app")
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    hpa = k8s("HorizontalPodAutoscaler", "opex-app")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "opex-app" and hpa["spec"]["minReplicas"] >= 2


def k8s_pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The pod spec of a Deployment, Job or CronJob; None for other kinds."""
    spec = doc.get("spec", {})
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"] if "template" in spec else None


def test_k8s_images_are_the_dockerfile_targets() -> None:
    docker = dockerfile()
    version = re.search(r"OPEX_VERSION:-([\w.]+)", (DEPLOY / "docker-compose.yml").read_text())
    assert version is not None
    targets = set()
    for doc in k8s_docs():
        for container in (k8s_pod_spec(doc) or {}).get("containers", []):
            image = re.fullmatch(r"[\w.-]+/opex-manager/(\w+):([\w.]+)", container["image"])
            assert image is not None, container["image"]
            assert image.group(1) in docker.stages and image.group(2) == version.group(1)
            targets.add(image.group(1))
    assert targets == {"app", "web", "backup"}


def test_k8s_jobs_migrate_and_back_up() -> None:
    job = k8s("Job", "opex-migrate")["spec"]["template"]["spec"]
    assert job["containers"][0]["command"] == MIGRATE
    assert job["containers"][0]["image"].endswith("/opex-manager/app:0.1.0")
    assert app_env_vars() - k8s_pod_env(job) == set()
    cron = k8s("CronJob", "opex-backup")["spec"]
    assert cron["schedule"] == "0 * * * *" and cron["concurrencyPolicy"] == "Forbid"
    backup = cron["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert backup["command"] == ["opex-backup"]
    assert {"DATABASE_URL", "OPEX_BACKUP_DIR", "OPEX_BACKUP_KEEP_DAYS"} <= {item["name"] for item in backup["env"]}


def test_migrate_command_is_the_clis() -> None:
    from opex_app.cli import build_parser

    args = build_parser().parse_args(MIGRATE[3:])
    assert args.func.__name__ == "_cmd_db_upgrade"


def test_k8s_ingress_routes_the_app_paths_and_keeps_websockets_open() -> None:
    ingress = k8s("Ingress", "opex")
    annotations = ingress["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    assert size_bytes(annotations["nginx.ingress.kubernetes.io/proxy-body-size"]) > upload_limit()
    routes = {p["path"]: p["backend"]["service"]["name"] for p in ingress["spec"]["rules"][0]["http"]["paths"]}
    assert routes == {
        "/_event": "opex-app",
        "/_upload": "opex-app",
        "/api": "opex-app",
        "/ping": "opex-app",
        "/": "opex-web",
    }


def size_bytes(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", text.lower()).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def upload_limit() -> int:
    """The largest upload the app is configured to take, in any of the deployments."""
    configured = [
        int(compose()["services"]["app"]["environment"]["OPEX_UPLOAD_MAX_BYTES"]),
        int(k8s("ConfigMap", "opex-config")["data"]["OPEX_UPLOAD_MAX_BYTES"]),
        Settings.model_fields["upload_max_bytes"].default,
    ]
    return max(configured)


def test_nginx_conf_proxies_the_app_paths_and_takes_the_upload_limit() -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    body = re.search(r"client_max_body_size\s+(\w+);", conf)
    assert body is not None and size_bytes(body.group(1)) > upload_limit()
    pattern = re.search(r"location ~ (\S+) \{\s*proxy_pass http://opex_app;", conf)
    assert pattern is not None
    proxied = re.compile(pattern.group(1))
    assert [path for path in APP_PATHS if not proxied.search(path)] == []
    assert [path for path in STATIC_PATHS if proxied.search(path)] == []
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    directives = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    assert re.search(r"listen 443 ssl http2", directives) and "http2 on;" not in directives
    assert "ssl_certificate     /etc/ssl/opex/fullchain.pem;" in conf
    assert "ssl_certificate_key /etc/ssl/opex/privkey.pem;" in conf
    upstream = (DEPLOY / "nginx-upstream.conf").read_text()
    assert f"server app:{dockerfile().last('app', 'EXPOSE')} " in upstream


def test_static_frontend_caching_and_headers() -> None:
    static = (DEPLOY / "nginx-static.conf").read_text()
    assets = re.search(r"location /assets/ \{(.*?)\}", static, re.DOTALL)
    assert assets is not None and "max-age=31536000, immutable" in assets.group(1)
    for location in re.findall(r"location [^{]+\{(.*?)\}", static, re.DOTALL):
        assert "include opex/security-headers.conf;" in location, "add_header in a location drops inherited ones"
    headers = (DEPLOY / "nginx-security-headers.conf").read_text()
    for header in ("Strict-Transport-Security", "X-Content-Type-Options", "Content-Security-Policy"):
        assert header in headers
    conf = (DEPLOY / "nginx.conf").read_text()
    assert "gzip on;" in conf and "application/javascript" in conf and "text/css" in conf


def nginx_test(config: Path) -> subprocess.CompletedProcess[str]:
    assert NGINX is not None
    return subprocess.run(
        [NGINX, "-t", "-q", "-c", str(config), "-e", str(config.parent / "error.log")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.fixture()
def nginx_folder(tmp_path: Path) -> Path:
    if NGINX is None:
        if IN_CI:
            pytest.fail("nginx is not installed; .ci/run installs it (apt-get install nginx)")
        pytest.skip("nginx is not installed (CI installs it)")
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed for the throwaway certificate")
    return tmp_path


def test_nginx_accepts_the_config(nginx_folder: Path) -> None:
    certs = nginx_layout.self_signed_certificate(nginx_folder / "certs")
    config = nginx_layout.lay_out(nginx_folder / "conf", upstreams=["127.0.0.1:8001", "127.0.0.1:8002"], cert_dir=certs)
    assert "/etc/ssl/opex" not in config.read_text()
    result = nginx_test(config)
    assert result.returncode == 0, result.stderr


def test_nginx_refuses_a_broken_config(nginx_folder: Path) -> None:
    """The check above can fail: the same layout with a missing certificate is refused."""
    config = nginx_layout.lay_out(nginx_folder / "conf", upstreams=["127.0.0.1:8001"], cert_dir=nginx_folder / "none")
    result = nginx_test(config)
    assert result.returncode != 0 and "fullchain.pem" in result.stderr


def test_nginx_accepts_the_k8s_static_config(nginx_folder: Path) -> None:
    main = k8s("ConfigMap", "opex-web-nginx")["data"]["nginx.conf"]
    config = nginx_layout.lay_out(
        nginx_folder / "conf", upstreams=["127.0.0.1:8001"], cert_dir=nginx_folder, main_conf=main
    )
    result = nginx_test(config)
    assert result.returncode == 0, result.stderr


def test_ci_installs_nginx() -> None:
    assert re.search(r"apt-get install .*\bnginx\b", (ROOT / ".ci" / "run").read_text())
