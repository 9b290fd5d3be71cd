"""The deployment files keep /metrics internal and give every worker of a replica one metrics directory."""

from __future__ import annotations

import re

from tests.deploy.test_deploy_files import DEPLOY, compose, env_file, k8s


def test_nginx_answers_metrics_itself_and_never_proxies_it() -> None:
    text = (DEPLOY / "nginx.conf").read_text()
    block = re.search(r"location = /metrics \{(.*?)\}", text, re.DOTALL)
    assert block is not None, "an exact location for /metrics (it outranks the regex location of the app's paths)"
    assert "return 404;" in block.group(1) and "proxy_pass" not in block.group(1)
    app_paths = re.search(r"location ~ (\S+) \{", text)
    assert app_paths is not None and "metrics" not in app_paths.group(1)


def test_compose_gives_each_replica_a_fresh_metrics_directory() -> None:
    app = compose()["services"]["app"]
    directory = app["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert any(entry.split(":")[0] == directory for entry in app["tmpfs"]), "a tmpfs: empty at each container start"


def test_k8s_gives_each_pod_a_fresh_metrics_directory() -> None:
    directory = k8s("ConfigMap", "opex-config")["data"]["PROMETHEUS_MULTIPROC_DIR"]
    pod = k8s("Deployment", "opex-app")["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts[directory]]
    assert "OPEX_METRICS_TOKEN" in k8s("Secret", "opex-secrets")["stringData"]


def test_vm_workers_share_a_directory_under_their_runtime_directory() -> None:
    directory = env_file(DEPLOY / "opex.env.example")["PROMETHEUS_MULTIPROC_DIR"]
    unit = (DEPLOY / "opex-worker@.service").read_text()
    runtime = re.search(r"^RuntimeDirectory=(\S+)$", unit, re.MULTILINE)
    assert runtime is not None and directory.startswith(f"/run/{runtime.group(1)}/")
    assert "RuntimeDirectoryPreserve=yes" in unit
