"""docker/compose.yml: valid against the Compose Specification, complete (the seeds' three
hosts plus Prometheus, Alertmanager and Grafana), every mount and secret present in the
repository, and every configuration inside the stack accepted by its own tool.

No Docker engine here. Configuration checks rebuild, in a temporary directory, the file layout
a container sees (each bind mount's source copied to its target path), so relative references
inside a configuration (Prometheus' rule_files) resolve exactly as they do in the container.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from support import describe, run_tool

REPO = Path(__file__).resolve().parents[2]
DOCKER_DIR = REPO / "docker"
COMPOSE = DOCKER_DIR / "compose.yml"
SCHEMA_CHECK = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
HOSTS = ["redis-1", "redis-2", "redis-3"]
MASTER_NAME = "app-cache"
FIRST_MASTER = "redis-1"


def load_compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = load_compose()["services"]
    return found


def bind_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of a service's bind mounts; named volumes are left out.

    Short syntax ``./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro`` gives
    ``("./prometheus/prometheus.yml", "/etc/prometheus/prometheus.yml")``; long syntax
    ``{type: bind, source: ..., target: ...}`` gives the same pair.
    """
    mounts: list[tuple[str, str]] = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                mounts.append((str(volume["source"]), str(volume["target"])))
            continue
        source, target = str(volume).split(":")[:2]
        if source.startswith((".", "/", "~")):
            mounts.append((source, target))
    return mounts


def named_volumes(service: dict[str, Any]) -> list[str]:
    names = []
    for volume in service.get("volumes", []):
        source = volume.get("source", "") if isinstance(volume, dict) else volume.split(":")[0]
        if source and not str(source).startswith((".", "/", "~")):
            names.append(str(source))
    return names


def flag(command: list[str], name: str) -> str:
    """The value of ``--name=value`` in a container command."""
    values = [arg.split("=", 1)[1] for arg in command if arg.startswith(f"--{name}=")]
    assert len(values) == 1, f"--{name} in {command}"
    return values[0]


def container_root(tmp_path: Path, service: dict[str, Any]) -> Path:
    """A directory laid out like the service's container file system, as far as its binds go."""
    root = tmp_path / "container"
    for source, target in bind_mounts(service):
        host = (DOCKER_DIR / source).resolve()
        assert host.exists(), f"bind mount source {source} is missing"
        inside = root / target.lstrip("/")
        if host.is_dir():
            shutil.copytree(host, inside, dirs_exist_ok=True)
        else:
            inside.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(host, inside)
    return root


def read_conf(path: Path) -> list[list[str]]:
    """Directive lines of a redis.conf/sentinel.conf, split into words, comments dropped."""
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append(line.split())
    return lines


# ---- the Compose Specification ----


def test_compose_file_matches_the_compose_specification() -> None:
    result = run_tool([*SCHEMA_CHECK, str(COMPOSE)])
    assert "No module named check_jsonschema" not in result.stderr, (
        "check-jsonschema is not installed; install it with: .venv/bin/pip install check-jsonschema"
    )
    assert result.returncode == 0, describe(result)


def test_schema_check_rejects_an_unknown_service_key(tmp_path: Path) -> None:
    """The schema check can fail: the same file with a misspelt key does not validate."""
    broken = tmp_path / "compose.yml"
    broken.write_text(
        COMPOSE.read_text().replace("    restart: unless-stopped", "    restrat: no", 1)
    )
    result = run_tool([*SCHEMA_CHECK, str(broken)])
    assert result.returncode != 0, describe(result)
    assert "restrat" in result.stdout + result.stderr, describe(result)


# ---- services, networks, mounts ----


def test_the_stack_has_the_seeds_hosts_and_the_monitoring() -> None:
    names = set(services())
    for host in HOSTS:
        assert {host, f"{host}-server", f"{host}-sentinel", f"{host}-exporter"} <= names
    assert {"prometheus", "alertmanager", "grafana"} <= names


@pytest.mark.parametrize("host", HOSTS)
def test_each_host_shares_one_network_namespace(host: str) -> None:
    found = services()
    assert "network_mode" not in found[host]
    assert found[host]["networks"] == ["redis-ha"]
    for role in ("server", "sentinel", "exporter"):
        member = found[f"{host}-{role}"]
        assert member["network_mode"] == f"service:{host}"
        assert host in member["depends_on"]
        assert "networks" not in member, "network_mode and networks exclude each other"
        assert "ports" not in member, "a shared namespace publishes its ports on the host"


def test_every_service_is_on_a_declared_network() -> None:
    compose = load_compose()
    declared = set(compose["networks"])
    for name, service in compose["services"].items():
        mode = service.get("network_mode")
        if mode is None:
            assert set(service["networks"]) <= declared, name
        else:
            assert mode.removeprefix("service:") in compose["services"], name


def test_every_bind_mount_source_is_in_the_repository() -> None:
    checked = 0
    for name, service in services().items():
        for source, target in bind_mounts(service):
            path = (DOCKER_DIR / source).resolve()
            assert path.exists(), f"{name}: {source} (mounted at {target}) does not exist"
            assert path.is_relative_to(REPO), f"{name}: {source} is outside the repository"
            checked += 1
    assert checked >= 10


def test_named_volumes_and_secrets_are_declared() -> None:
    compose = load_compose()
    for name, service in compose["services"].items():
        for volume in named_volumes(service):
            assert volume in compose["volumes"], f"{name}: volume {volume} not declared"
        for secret in service.get("secrets", []):
            assert secret in compose["secrets"], f"{name}: secret {secret} not declared"
    for secret in compose["secrets"].values():
        assert (DOCKER_DIR / secret["file"]).is_file()


def test_exporter_image_builds_from_the_repository() -> None:
    for host in HOSTS:
        build = services()[f"{host}-exporter"]["build"]
        context = (DOCKER_DIR / build["context"]).resolve()
        assert context == REPO
        assert (context / build["dockerfile"]).resolve() == DOCKER_DIR / "Dockerfile"


# ---- the replication topology ----


def test_one_master_two_replicas() -> None:
    found = services()
    replicaof = {
        host: found[f"{host}-server"]["environment"].get("REPLICAOF", "") for host in HOSTS
    }
    assert replicaof == {"redis-1": "", "redis-2": FIRST_MASTER, "redis-3": FIRST_MASTER}


@pytest.mark.parametrize("host", HOSTS)
def test_processes_announce_their_own_host(host: str) -> None:
    found = services()
    assert found[f"{host}-server"]["environment"]["ROLE"] == "redis"
    assert found[f"{host}-sentinel"]["environment"]["ROLE"] == "sentinel"
    for role in ("server", "sentinel"):
        assert found[f"{host}-{role}"]["environment"]["ANNOUNCE_HOST"] == host


def test_sentinels_monitor_app_cache_with_quorum_two() -> None:
    conf = read_conf(DOCKER_DIR / "redis" / "sentinel.conf")
    assert ["sentinel", "monitor", MASTER_NAME, FIRST_MASTER, "6379", "2"] in conf
    # Hostnames must resolve before `sentinel monitor` names one.
    resolve = conf.index(["sentinel", "resolve-hostnames", "yes"])
    assert resolve < conf.index(["sentinel", "monitor", MASTER_NAME, FIRST_MASTER, "6379", "2"])
    assert ["sentinel", "announce-hostnames", "yes"] in conf
    assert ["port", "26379"] in conf


def test_entrypoint_script_is_valid_shell() -> None:
    sh = shutil.which("sh")
    assert sh, "no POSIX shell"
    result = run_tool([sh, "-n", str(DOCKER_DIR / "redis" / "entrypoint.sh")])
    assert result.returncode == 0, describe(result)


@pytest.mark.parametrize("host", HOSTS)
def test_exporter_watches_its_own_host(host: str, exporter_help: str) -> None:
    exporter = services()[f"{host}-exporter"]
    command = exporter["command"]
    for arg in command:
        assert arg.split("=", 1)[0] in exporter_help, f"{arg} unknown to the exporter"
    config_path = flag(command, "config.file")
    mounts = {target: source for source, target in bind_mounts(exporter)}
    config = yaml.safe_load((DOCKER_DIR / mounts[config_path]).read_text())
    assert [t["addr"] for t in config["redis"]] == [f"redis://{host}:6379"]
    assert [t["addr"] for t in config["sentinel"]] == [f"redis://{host}:26379"]
    # The password is the redis profile's: the Redis servers /sd lists (asked for with
    # profile=redis) get it as well as the configured one.
    secrets = {f"/run/secrets/{name}" for name in exporter["secrets"]}
    assert config["profiles"]["redis"]["password_file"] in secrets
    assert [t for t in config["redis"] if "password_file" in t] == []


# ---- configuration inside the stack, each checked by its own tool ----


def prometheus_config(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    service = services()["prometheus"]
    root = container_root(tmp_path, service)
    path = root / flag(service["command"], "config.file").lstrip("/")
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    return path, config


def test_promtool_accepts_the_prometheus_config(tmp_path: Path, promtool: str) -> None:
    path, config = prometheus_config(tmp_path)
    result = run_tool([promtool, "check", "config", str(path)])
    assert result.returncode == 0, describe(result)
    # promtool also checked every rule file, resolved inside the mounted layout, and found rules.
    assert f"SUCCESS: {len(config['rule_files'])} rule files found" in result.stdout
    counts = [int(n) for n in re.findall(r"SUCCESS: (\d+) rules found", result.stdout)]
    assert len(counts) == len(config["rule_files"])
    assert all(n > 0 for n in counts), describe(result)


def test_promtool_needs_the_mounted_rules(tmp_path: Path, promtool: str) -> None:
    """The config check can fail: without the rules mount the rule file does not resolve."""
    path, config = prometheus_config(tmp_path)
    for rule_file in config["rule_files"]:
        (path.parent / rule_file).unlink()
    result = run_tool([promtool, "check", "config", str(path)])
    assert result.returncode != 0, describe(result)


def test_prometheus_scrapes_the_three_exporters(tmp_path: Path) -> None:
    _, config = prometheus_config(tmp_path)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = [t for sc in jobs["redis_exporter"]["static_configs"] for t in sc["targets"]]
    assert sorted(targets) == [f"{host}:9121" for host in HOSTS]
    # One deployment: every target carries the same deployment label, as the rules expect.
    assert [sc["labels"] for sc in jobs["redis_exporter"]["static_configs"]] == [
        {"cluster": "compose"}
    ]
    expose = {str(p).rsplit(":", 1)[-1] for h in HOSTS for p in services()[h].get("ports", [])}
    assert expose == {"9121"}, "each host publishes its exporter's 9121"


def test_prometheus_sends_alerts_to_the_alertmanager_service(tmp_path: Path) -> None:
    _, config = prometheus_config(tmp_path)
    (manager,) = config["alerting"]["alertmanagers"]
    targets = [t for sc in manager["static_configs"] for t in sc["targets"]]
    assert targets == ["alertmanager:9093"]
    assert "alertmanager" in services()


def test_amtool_accepts_the_alertmanager_config(tmp_path: Path, amtool: str) -> None:
    service = services()["alertmanager"]
    root = container_root(tmp_path, service)
    path = root / flag(service["command"], "config.file").lstrip("/")
    result = run_tool([amtool, "check-config", str(path)])
    assert result.returncode == 0, describe(result)
    assert "SUCCESS" in result.stdout, describe(result)


def test_grafana_provisioning_points_at_the_stack(tmp_path: Path) -> None:
    service = services()["grafana"]
    root = container_root(tmp_path, service)
    provisioning = root / "etc/grafana/provisioning"
    datasources = [
        source
        for path in sorted((provisioning / "datasources").glob("*.y*ml"))
        for source in yaml.safe_load(path.read_text())["datasources"]
    ]
    assert datasources, "no provisioned data source"
    for source in datasources:
        url = urlsplit(source["url"])
        assert url.hostname in services(), f"{source['url']} is not a service of the stack"
        assert url.port == 9090
    providers = [
        provider
        for path in sorted((provisioning / "dashboards").glob("*.y*ml"))
        for provider in yaml.safe_load(path.read_text())["providers"]
    ]
    assert providers, "no dashboard provider"
    targets = {target for _, target in bind_mounts(service)}
    for provider in providers:
        folder = provider["options"]["path"]
        assert folder in targets, f"dashboard folder {folder} is not mounted"
        dashboards = list((root / PurePosixPath(folder).relative_to("/")).glob("*.json"))
        assert dashboards, f"no dashboard JSON in {folder}"
