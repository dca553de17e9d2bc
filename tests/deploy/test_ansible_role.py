"""The Ansible roles (ansible/), run for real against this machine through the example playbook.

One module-scoped deployment serves every test: ``ansible-playbook ansible/site.yml`` with
``connection: local`` into a scratch root (``redis_ha_exporter_root``: every path the roles
write lies below it), service management off (systemd is not PID 1 here), four times:

1. ``--check --diff`` on the fresh root: must pass, write nothing and print no secret;
2. for real: every file with its owner and mode, the venv from ``make wheel``'s wheelhouse;
3. again: nothing changes, no handler runs;
4. ``--check --diff`` with one instance's password and config changed: only that exporter
   would restart, and neither password shows in the diff.

The host has two exporters, as on seed 004's hosts: the plain unit (with basic auth) and the
template instance ``6389``. Each is then started the way systemd would start it from the
installed unit and its drop-in (credentials copied into ``%d``, which is also the working
directory) and scrapes a real Redis and Sentinel; a real Prometheus, with the configuration the
Prometheus role rewrote, scrapes both with our rules loaded.

The wheelhouse comes from ``make wheel`` (``make test`` builds it first; ``WHEELHOUSE`` names
another one).
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import secrets
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml

from deploy.test_systemd_units import (
    MAX_EXPOSURE,
    SYSTEMD_DIR,
    basic_auth,
    effective,
    exposure,
    files_read,
    make_root,
    settings,
    start_like_systemd,
    unreadable_files,
    verify,
)
from harness.exporter import SYSTEM_PYTHON, WHEELHOUSE, ExporterProcess, Samples
from harness.process import HOST, binary, free_ports, spawn, terminate, wait_for
from harness.stack import RULES, Prometheus
from harness.topology import Topology
from redis_ha_exporter import __version__
from support import assert_serves_runbook, describe, require_tool, run_tool

REPO = Path(__file__).resolve().parents[2]
ANSIBLE = REPO / "ansible"
PLAYBOOK = ANSIBLE / "site.yml"
GROUP = "app-cache"
PLAIN = "redis-ha-exporter.service"
TEMPLATE_INSTANCE = "redis-ha-exporter@6389.service"
PROMETHEUS_CONFIG = "etc/prometheus/prometheus.yml"
GENERATOR = REPO / "alerts" / "generate.py"
#: Every alert of the shipped rules.
ALERT_NAMES = {
    rule["alert"]
    for group in yaml.safe_load(RULES.read_text())["groups"]
    for rule in group["rules"]
    if "alert" in rule
}
#: The Prometheus the roles find: an existing configuration with a job of its own.
EXISTING_PROMETHEUS: dict[str, Any] = {
    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
    "rule_files": None,
    "scrape_configs": [{"job_name": "prometheus", "static_configs": [{"targets": ["x:9090"]}]}],
}


def secret(name: str) -> str:
    """A password no output could hold by chance."""
    return f"{name}-{secrets.token_hex(12)}"


REDIS_PASSWORD = secret("redis")
NEW_REDIS_PASSWORD = secret("redis-new")
SCRAPE_PASSWORD = secret("scrape")
SCRAPE_HASH = bcrypt.hashpw(SCRAPE_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
SECRETS = (REDIS_PASSWORD, NEW_REDIS_PASSWORD, SCRAPE_PASSWORD, SCRAPE_HASH)


@dataclass
class Deployment:
    root: Path
    topology: Topology
    variables: dict[str, Any]
    ports: dict[str, int]  # unit -> port
    written_by_check: list[str]
    check: subprocess.CompletedProcess[str]
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    change: subprocess.CompletedProcess[str]

    @property
    def runs(self) -> dict[str, subprocess.CompletedProcess[str]]:
        return {
            "check": self.check,
            "first": self.first,
            "second": self.second,
            "change": self.change,
        }


def instances(topology: Topology, ports: Sequence[int], password: str) -> list[dict[str, Any]]:
    """Both exporters on this machine's topology: one Redis (with ``password``) and one
    Sentinel each; the plain one behind basic auth."""
    (redis,), (sentinel,) = topology.redis, topology.sentinels
    config = {
        "redis": [{"addr": redis.uri, "password_file": "redis-password"}],
        "sentinel": [{"addr": sentinel.uri}],
    }
    return [
        {
            "name": "",
            "listen_address": f"{HOST}:{ports[0]}",
            "config": config,
            "secrets": {"redis-password": password},
            "web_config": {"basic_auth_users": {"prometheus": SCRAPE_HASH}},
        },
        {
            "name": "6389",
            "listen_address": f"{HOST}:{ports[1]}",
            "config": {**config, "events_ring_size": 64},
            "secrets": {"redis-password": password},
            "flags": ["--log.format=json"],
            "after": ["redis-cluster.service"],
        },
    ]


def playbook_variables(
    root: Path, wheelhouse: Path, exporters: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "redis_ha_exporter_root": str(root),
        # The host's own python3, as on the seeds' Debian hosts (this machine's PATH may name
        # another python3 first: the venv's would hide what Debian's needs from the wheelhouse).
        "redis_ha_exporter_python": SYSTEM_PYTHON,
        "redis_ha_exporter_manage_service": False,
        "redis_ha_exporter_wheelhouse": str(wheelhouse),
        "redis_ha_exporter_instances": exporters,
        "redis_ha_prometheus_root": str(root),
        "redis_ha_prometheus_manage_service": False,
        "redis_ha_prometheus_job": {
            "basic_auth": {"username": "prometheus", "password_file": "redis-ha/scrape-password"}
        },
        "redis_ha_prometheus_secrets": {"scrape-password": SCRAPE_PASSWORD},
    }


def play(
    workdir: Path, variables: Mapping[str, Any], *options: str, playbook: Path = PLAYBOOK
) -> subprocess.CompletedProcess[str]:
    """``ansible-playbook PLAYBOOK`` on this machine as both a Redis and a Prometheus host."""
    workdir.mkdir(parents=True, exist_ok=True)
    inventory = workdir / "inventory.yml"
    host = {
        "ansible_connection": "local",
        "ansible_host": HOST,
        "ansible_become": False,  # we are root already, and there may be no sudo
        "ansible_python_interpreter": sys.executable,
    }
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "hosts": {"localhost": host},
                    "children": {
                        "redis": {"hosts": {"localhost": {}}},
                        "prometheus": {"hosts": {"localhost": {}}},
                    },
                }
            }
        )
    )
    extra = workdir / f"vars-{len(list(workdir.glob('vars-*')))}.yml"
    extra.write_text(yaml.safe_dump(dict(variables)))
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"),
        "ANSIBLE_HOME": str(workdir / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(workdir / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
    }
    command = [require_tool("ansible-playbook"), "-i", str(inventory), "-e", f"@{extra}"]
    return subprocess.run(
        [*command, *options, str(playbook)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def recap(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    """The counts of the PLAY RECAP line: ``{"ok": 30, "changed": 0, "failed": 0, ...}``."""
    match = re.search(r"^localhost\s+:\s+(.*)$", result.stdout, re.MULTILINE)
    assert match, describe(result)
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}


def handler_items(result: subprocess.CompletedProcess[str], handler: str) -> list[str]:
    """The loop items a handler ran (or skipped: services are not managed here) over."""
    section = result.stdout.partition(f"RUNNING HANDLER [{handler}]")[2].partition("\n\n")[0]
    return re.findall(r"\(item=([^)]*)\)", section)


@pytest.fixture(scope="module")
def wheelhouse() -> Path:
    found = WHEELHOUSE
    if not (found / "SHA256SUMS").is_file() or not list(found.glob("redis_ha_exporter-*.whl")):
        pytest.fail(f"no wheelhouse in {found}: build it with `make wheel`")
    wheels = [w.name for w in found.glob("redis_ha_exporter-*.whl")]
    assert wheels == [f"redis_ha_exporter-{__version__}-py3-none-any.whl"], (
        f"{found} holds {wheels}, not this version ({__version__}): run `make wheel`"
    )
    return found


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Iterator[Deployment]:
    work = tmp_path_factory.mktemp("ansible")
    root = work / "root"
    (root / PROMETHEUS_CONFIG).parent.mkdir(parents=True)
    (root / PROMETHEUS_CONFIG).write_text(yaml.safe_dump(EXISTING_PROMETHEUS))
    with Topology(
        work / "topology",
        groups=(GROUP,),
        replicas=0,
        sentinels=1,
        quorum=1,
        password=REDIS_PASSWORD,
    ) as topology:
        ports = free_ports(2)
        variables = playbook_variables(root, wheelhouse, instances(topology, ports, REDIS_PASSWORD))
        check = play(work / "check", variables, "--check", "--diff")
        written_by_check = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
        first = play(work / "first", variables)
        second = play(work / "second", variables)
        changed = instances(topology, ports, REDIS_PASSWORD)
        changed[1]["secrets"]["redis-password"] = NEW_REDIS_PASSWORD
        changed[1]["config"]["events_ring_size"] = 128
        change = play(
            work / "change",
            {**variables, "redis_ha_exporter_instances": changed},
            "--check",
            "--diff",
            "--tags=redis_ha_exporter",
        )
        yield Deployment(
            root,
            topology,
            variables,
            dict(zip((PLAIN, TEMPLATE_INSTANCE), ports, strict=True)),
            written_by_check,
            check,
            first,
            second,
            change,
        )


# --- the runs ------------------------------------------------------------------------------------


def test_every_run_succeeds_and_prints_no_secret(deployment: Deployment) -> None:
    for name, result in deployment.runs.items():
        assert result.returncode == 0, f"{name}:\n{describe(result)}"
        output = result.stdout + result.stderr
        for value in SECRETS:
            assert value not in output, f"the {name} run printed a secret"


def test_check_mode_on_a_fresh_root_reports_changes_and_writes_nothing(
    deployment: Deployment,
) -> None:
    assert recap(deployment.check)["changed"] > 0, describe(deployment.check)
    assert deployment.written_by_check == ["etc", "etc/prometheus", PROMETHEUS_CONFIG]
    # The diff is shown where it holds no secret: the new scrape job.
    assert "+- job_name: redis_exporter" in deployment.check.stdout, describe(deployment.check)


def test_a_second_run_changes_nothing(deployment: Deployment) -> None:
    counts = recap(deployment.second)
    assert counts["changed"] == 0, describe(deployment.second)
    assert counts["failed"] == 0, describe(deployment.second)
    assert "RUNNING HANDLER" not in deployment.second.stdout, describe(deployment.second)


def test_the_first_run_restarts_both_exporters(deployment: Deployment) -> None:
    restarted = handler_items(
        deployment.first, "redis_ha_exporter : Restart the exporters whose files changed"
    )
    assert sorted(restarted) == [PLAIN, TEMPLATE_INSTANCE], describe(deployment.first)


def test_a_change_to_one_instance_restarts_that_exporter_alone(deployment: Deployment) -> None:
    result = deployment.change
    restarted = handler_items(
        result, "redis_ha_exporter : Restart the exporters whose files changed"
    )
    assert restarted == [TEMPLATE_INSTANCE], describe(result)
    assert "+events_ring_size: 128" in result.stdout, describe(result)


# --- the files -----------------------------------------------------------------------------------

#: Everything the roles write below /etc, with owner, group and mode.
EXPECTED_ETC = {
    "etc/redis-ha-exporter": ("root", "root", 0o700),
    "etc/redis-ha-exporter/redis-ha-exporter.yml": ("root", "root", 0o600),
    "etc/redis-ha-exporter/redis-password": ("root", "root", 0o600),
    "etc/redis-ha-exporter/web-config.yml": ("root", "root", 0o600),
    "etc/redis-ha-exporter/6389.yml": ("root", "root", 0o600),
    "etc/redis-ha-exporter/6389.redis-password": ("root", "root", 0o600),
    "etc/redis-ha-exporter/6389.env": ("root", "root", 0o600),
    "etc/systemd": ("root", "root", 0o755),
    "etc/systemd/system": ("root", "root", 0o755),
    f"etc/systemd/system/{PLAIN}": ("root", "root", 0o644),
    "etc/systemd/system/redis-ha-exporter@.service": ("root", "root", 0o644),
    f"etc/systemd/system/{PLAIN}.d": ("root", "root", 0o755),
    f"etc/systemd/system/{PLAIN}.d/ansible.conf": ("root", "root", 0o644),
    f"etc/systemd/system/{TEMPLATE_INSTANCE}.d": ("root", "root", 0o755),
    f"etc/systemd/system/{TEMPLATE_INSTANCE}.d/ansible.conf": ("root", "root", 0o644),
    "etc/prometheus": ("root", "root", 0o755),
    PROMETHEUS_CONFIG: ("root", "root", 0o644),  # kept as it was
    "etc/prometheus/redis-ha": ("root", "prometheus", 0o750),
    "etc/prometheus/redis-ha/redis-ha.rules.yml": ("root", "prometheus", 0o640),
    "etc/prometheus/redis-ha/scrape-password": ("root", "prometheus", 0o640),
}


def owner_group_mode(path: Path) -> tuple[str, str, int]:
    info = path.lstat()
    return (
        pwd.getpwuid(info.st_uid).pw_name,
        grp.getgrgid(info.st_gid).gr_name,
        stat.S_IMODE(info.st_mode),
    )


def test_every_file_under_etc_has_its_owner_and_mode(deployment: Deployment) -> None:
    root = deployment.root
    found = {str(p.relative_to(root)): owner_group_mode(p) for p in (root / "etc").rglob("*")}
    assert found == EXPECTED_ETC


def test_the_venv_holds_the_exporter_from_the_wheelhouse(
    deployment: Deployment, wheelhouse: Path
) -> None:
    home = deployment.root / "opt/redis-ha-exporter"
    assert owner_group_mode(home) == ("root", "root", 0o755)
    copied = home / "wheelhouse"
    assert owner_group_mode(copied) == ("root", "root", 0o755)
    assert sorted(p.name for p in copied.iterdir()) == sorted(p.name for p in wheelhouse.iterdir())
    for wheel in copied.iterdir():
        assert owner_group_mode(wheel) == ("root", "root", 0o644), wheel
    marker = home / "wheelhouse.SHA256SUMS"
    assert marker.read_bytes() == (wheelhouse / "SHA256SUMS").read_bytes()
    assert owner_group_mode(marker) == ("root", "root", 0o644)
    writable = [
        str(p)
        for p in (home / "venv").rglob("*")
        if not p.is_symlink() and p.lstat().st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ]
    assert writable == []
    result = run_tool([str(home / "venv/bin/redis-ha-exporter"), "--version"])
    assert result.returncode == 0, describe(result)
    assert __version__ in result.stdout + result.stderr, describe(result)


def test_the_files_hold_what_the_variables_say(deployment: Deployment) -> None:
    config_dir = deployment.root / "etc/redis-ha-exporter"
    plain, named = deployment.variables["redis_ha_exporter_instances"]
    assert yaml.safe_load((config_dir / "redis-ha-exporter.yml").read_text()) == plain["config"]
    assert yaml.safe_load((config_dir / "web-config.yml").read_text()) == plain["web_config"]
    assert (config_dir / "redis-password").read_text() == REDIS_PASSWORD
    assert yaml.safe_load((config_dir / "6389.yml").read_text()) == named["config"]
    assert (config_dir / "6389.redis-password").read_text() == REDIS_PASSWORD
    assert (
        config_dir / "6389.env"
    ).read_text() == f"WEB_LISTEN_ADDRESS={named['listen_address']}\n"


def test_the_units_are_the_shipped_ones(deployment: Deployment) -> None:
    unit_dir = deployment.root / "etc/systemd/system"
    for name in (PLAIN, "redis-ha-exporter@.service"):
        assert (unit_dir / name).read_bytes() == (SYSTEMD_DIR / name).read_bytes(), name


def test_the_drop_ins_leave_the_hardening_alone(deployment: Deployment) -> None:
    """Only what the exporter reads and where it listens: no key of the shipped hardening."""
    allowed = {("Unit", "After"), ("Service", "LoadCredential"), ("Service", "ExecStart")}
    for unit in (PLAIN, TEMPLATE_INSTANCE):
        dropin = deployment.root / f"etc/systemd/system/{unit}.d/ansible.conf"
        keys = {
            (section, key)
            for section in ("Unit", "Service", "Install")
            for key in settings(dropin, section)
        }
        assert keys <= allowed, f"{unit}: {keys - allowed}"


@pytest.mark.parametrize("unit", [PLAIN, TEMPLATE_INSTANCE])
def test_the_installed_units_name_only_credentials(unit: str, deployment: Deployment) -> None:
    """With its drop-in, every file the exporter is told to read is a copy in ``%d``."""
    unit_dir = deployment.root / "etc/systemd/system"
    shipped = settings(unit_dir / ("redis-ha-exporter@.service" if "@" in unit else unit))
    service = effective(shipped, [settings(unit_dir / f"{unit}.d/ansible.conf")])
    assert unreadable_files(service) == []
    assert [name for name, _ in files_read(service)] == [
        "--config.file",
        *(["--web.config.file"] if unit == PLAIN else []),
    ]


@pytest.fixture(scope="module")
def analysis_root(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root for ``systemd-analyze``: the host's units, the installed units and drop-ins."""
    unit_dir = deployment.root / "etc/systemd/system"
    root = make_root(tmp_path_factory.mktemp("analyze"), sorted(unit_dir.glob("*.service")))
    for dropins in unit_dir.glob("*.service.d"):
        shutil.copytree(dropins, root / "etc/systemd/system" / dropins.name)
    return root


@pytest.mark.parametrize("unit", [PLAIN, TEMPLATE_INSTANCE])
def test_the_installed_units_verify_clean(
    unit: str, analysis_root: Path, systemd_analyze: str
) -> None:
    result = verify(systemd_analyze, analysis_root, unit)
    assert result.returncode == 0, describe(result)
    assert (result.stdout + result.stderr).strip() == "", describe(result)


@pytest.mark.parametrize("unit", [PLAIN, TEMPLATE_INSTANCE])
def test_the_installed_units_are_as_hardened_as_the_shipped_ones(
    unit: str, analysis_root: Path, systemd_analyze: str, tmp_path: Path
) -> None:
    installed, result = exposure(systemd_analyze, analysis_root, unit)
    shipped_file = SYSTEMD_DIR / ("redis-ha-exporter@.service" if "@" in unit else PLAIN)
    shipped, _ = exposure(systemd_analyze, make_root(tmp_path, [shipped_file]), unit)
    assert installed == shipped <= MAX_EXPOSURE, describe(result)


# --- running what was installed ------------------------------------------------------------------


@pytest.fixture(scope="module")
def running(
    deployment: Deployment, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ExporterProcess]]:
    """Both installed exporters, started as their units say."""
    workdir = tmp_path_factory.mktemp("units")
    with contextlib.ExitStack() as stack:
        yield {
            unit: stack.enter_context(start_like_systemd(deployment.root, unit, workdir))
            for unit in (PLAIN, TEMPLATE_INSTANCE)
        }


@pytest.mark.parametrize("unit", [PLAIN, TEMPLATE_INSTANCE])
def test_the_installed_exporter_scrapes_redis_and_sentinel(
    unit: str, deployment: Deployment, running: dict[str, ExporterProcess]
) -> None:
    exporter = running[unit]
    assert exporter.port == deployment.ports[unit]
    headers = basic_auth("prometheus", SCRAPE_PASSWORD) if unit == PLAIN else {}
    status, text = exporter.get("/metrics", headers)
    assert status == 200, text
    samples = Samples.parse(text)
    (redis,), (sentinel,) = deployment.topology.redis, deployment.topology.sentinels
    assert samples.value("redis_up", addr=redis.addr) == 1
    assert samples.value("redis_up", addr=sentinel.addr) == 1
    assert samples.value("redis_sentinel_master_status", master_name=GROUP) == 1


@pytest.mark.parametrize("unit", [PLAIN, TEMPLATE_INSTANCE])
def test_the_installed_exporter_serves_every_runbook(
    unit: str, running: dict[str, ExporterProcess]
) -> None:
    """Installed from the wheel, the exporter serves the runbook of every alert (where the
    default runbook_url points), behind its basic auth like /metrics."""
    exporter = running[unit]
    headers = basic_auth("prometheus", SCRAPE_PASSWORD) if unit == PLAIN else {}
    for name in sorted(ALERT_NAMES):
        url = f"http://{HOST}:{exporter.port}/runbooks/{name}.md"
        assert_serves_runbook(url, name, headers)
    if unit == PLAIN:
        assert exporter.get(f"/runbooks/{min(ALERT_NAMES)}.md")[0] == 401


def test_the_web_config_reached_the_plain_exporter(running: dict[str, ExporterProcess]) -> None:
    status, _ = running[PLAIN].get("/metrics")
    assert status == 401
    status, _ = running[PLAIN].get("/metrics", basic_auth("prometheus", "wrong"))
    assert status == 401


# --- the Prometheus side -------------------------------------------------------------------------


def test_prometheus_keeps_its_own_job_and_gets_ours(deployment: Deployment) -> None:
    config = yaml.safe_load((deployment.root / PROMETHEUS_CONFIG).read_text())
    assert config["global"] == EXISTING_PROMETHEUS["global"]
    assert config["rule_files"] == ["redis-ha/redis-ha.rules.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["prometheus"] == EXISTING_PROMETHEUS["scrape_configs"][0]
    assert jobs["redis_exporter"] == {
        "job_name": "redis_exporter",
        "static_configs": [{"targets": [f"{HOST}:{port}" for port in deployment.ports.values()]}],
        "basic_auth": {"username": "prometheus", "password_file": "redis-ha/scrape-password"},
    }
    installed = deployment.root / "etc/prometheus/redis-ha"
    # Generated for the defaults (http, group label cluster): the shipped file, byte for byte.
    assert (installed / "redis-ha.rules.yml").read_bytes() == RULES.read_bytes()
    assert (installed / "scrape-password").read_text() == SCRAPE_PASSWORD


def test_prometheus_scrapes_the_installed_exporters_with_the_rules(
    deployment: Deployment,
    running: dict[str, ExporterProcess],
    tmp_path: Path,
) -> None:
    """Debian's prometheus with the configuration the role rewrote, as it stands."""
    port = free_ports(1)[0]
    config = deployment.root / PROMETHEUS_CONFIG
    command = [
        binary("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address={HOST}:{port}",
        "--log.level=warn",
    ]
    prometheus = Prometheus(
        "prometheus", spawn(command, tmp_path / "prometheus.log"), port, tmp_path
    )
    try:
        prometheus.wait_ready()
        groups = {g["name"] for g in yaml.safe_load(RULES.read_text())["groups"]}
        assert {g["name"] for g in prometheus.rule_groups()} == groups
        expected = {f"{HOST}:{p}": 1.0 for p in deployment.ports.values()}

        def all_up() -> bool:
            found = prometheus.query('up{job="redis_exporter"}')
            assert {labels["instance"]: value for labels, value in found} == expected
            return True

        wait_for(all_up, timeout=30)
    finally:
        terminate([prometheus.proc])


def prometheus_only(tmp_path: Path) -> Path:
    """A playbook of the Prometheus role alone."""
    playbook = tmp_path / "prometheus.yml"
    play = {"name": "Prometheus side", "hosts": "prometheus", "gather_facts": False}
    playbook.write_text(yaml.safe_dump([{**play, "roles": [{"role": "redis_ha_prometheus"}]}]))
    return playbook


def test_the_rules_are_generated_for_the_runbook_url_and_group_labels(
    deployment: Deployment, tmp_path: Path
) -> None:
    """The Prometheus role alone on a fresh root, with an HTTPS job and two deployment labels:
    the rules are generated for them (runbook_url on https://{exporter}), pass promtool, and a
    second run changes nothing; a chosen runbook base then replaces the default."""
    root = tmp_path / "root"
    (root / PROMETHEUS_CONFIG).parent.mkdir(parents=True)
    (root / PROMETHEUS_CONFIG).write_text(yaml.safe_dump(EXISTING_PROMETHEUS))
    variables = {
        **deployment.variables,
        "redis_ha_prometheus_root": str(root),
        "redis_ha_prometheus_job": {"scheme": "https"},
        "redis_ha_prometheus_group_labels": ["region", "cluster"],
    }
    installed = root / "etc/prometheus/redis-ha/redis-ha.rules.yml"
    playbook = prometheus_only(tmp_path)

    def run(name: str, base: str) -> int:
        """A run; the number of tasks it changed, once the installed rules are checked."""
        result = play(tmp_path / name, variables, playbook=playbook)
        assert result.returncode == 0, describe(result)
        labels = ["--group-labels", "region,cluster", "--out", "-"]
        generated = run_tool([sys.executable, str(GENERATOR), *labels, "--runbook-url", base])
        assert installed.read_text() == generated.stdout
        checked = run_tool([require_tool("promtool"), "check", "rules", str(installed)])
        assert checked.returncode == 0, describe(checked)
        return recap(result)["changed"]

    assert run("first", "https://{exporter}/runbooks/") > 0
    assert run("second", "https://{exporter}/runbooks/") == 0
    variables["redis_ha_prometheus_runbook_url"] = "https://wiki.example/redis/runbooks/"
    assert run("chosen", "https://wiki.example/redis/runbooks/") == 1  # the rules alone
    urls = {
        rule["annotations"]["runbook_url"]
        for group in yaml.safe_load(installed.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert urls == {f"https://wiki.example/redis/runbooks/{name}.md" for name in ALERT_NAMES}


def test_promtool_stops_a_broken_rule_file_before_it_is_installed(
    deployment: Deployment, tmp_path: Path
) -> None:
    """The Prometheus role alone, with a rule file promtool rejects: the play fails at that
    file, and the installed rules and configuration stay as they were."""
    broken = tmp_path / "broken.rules.yml"
    broken.write_text(
        "groups:\n  - name: broken\n    rules:\n      - alert: X\n        expr: up ==\n"
    )
    root = tmp_path / "root"
    shutil.copytree(deployment.root / "etc/prometheus", root / "etc/prometheus")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    playbook = prometheus_only(tmp_path)
    variables = {
        **deployment.variables,
        "redis_ha_prometheus_root": str(root),
        "redis_ha_prometheus_rules": [str(broken)],
    }
    result = play(tmp_path / "run", variables, playbook=playbook)
    assert result.returncode != 0, describe(result)
    assert "failed to validate" in result.stdout, describe(result)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
