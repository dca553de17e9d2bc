"""systemd units: `systemd-analyze verify` is clean and `security` rates exposure <= 2.0; the
exporter can read every file they (and the drop-ins of docs/deploy-systemd.md) name, and runs.

`verify` checks that ExecStart's binary exists. Rather than rewrite the unit, each test builds
a throw-away root: the host's own unit files (/usr/lib/systemd/system, for the targets the
unit's default dependencies need), our units under /etc/systemd/system, and an executable stub
at the exact ExecStart path the unit names. `systemd-analyze --root=` then checks the unit file
byte for byte as shipped.

The units run the exporter as a transient user (``DynamicUser=yes``) that cannot read the
root-only files under /etc/redis-ha-exporter: every file it reads must be a credential, a copy
systemd makes in ``%d``. systemd is not PID 1 here, so :func:`start_like_systemd` does what it
would: copies the credentials into a directory standing in for ``%d``, and starts the unit's
``ExecStart=`` with ``%d`` expanded in that directory's working directory; a path the unit names
outside ``%d`` is then not found, as it would not be readable on a real host.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml

from harness.certs import make_certificates
from harness.exporter import ExporterProcess, Samples
from harness.process import HOST, HarnessError, free_ports, spawn, terminate
from harness.topology import Topology
from support import describe, logical_lines, run_tool

REPO = Path(__file__).resolve().parents[2]
SYSTEMD_DIR = REPO / "systemd"
DEPLOY_DOC = REPO / "docs" / "deploy-systemd.md"
MAX_EXPOSURE = 2.0
VENV_BINARY = "/opt/redis-ha-exporter/venv/bin/redis-ha-exporter"
UNIT_FILES = sorted(SYSTEMD_DIR.glob("*.service"))
# A template is checked through one instance: the seeds' second pair (Redis 6389, Sentinel 26389).
TEMPLATE_INSTANCE = "6389"

REQUIRED_SETTINGS = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "CapabilityBoundingSet": "",
    "SystemCallFilter": "@system-service",
    "Restart": "on-failure",
    "DynamicUser": "yes",
}


def parse_unit(text: str) -> list[tuple[str, str, str]]:
    """Parse a unit file into (section, key, value) triples, in file order.

    Input such as::

        [Service]
        # comment
        ExecStart=/bin/x \\
            --flag=1

    gives ``[("Service", "ExecStart", "/bin/x --flag=1")]``: comments dropped, backslash
    continuations joined with one space.
    """
    entries: list[tuple[str, str, str]] = []
    section = ""
    for line in logical_lines(text, comment="#;"):
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif "=" in line:
            key, _, value = line.partition("=")
            entries.append((section, key.strip(), value.strip()))
    return entries


def section_settings(text: str, section: str = "Service") -> dict[str, list[str]]:
    """Every value of every key of one section of a unit file's text."""
    found: dict[str, list[str]] = {}
    for sec, key, value in parse_unit(text):
        if sec == section:
            found.setdefault(key, []).append(value)
    return found


def settings(path: Path, section: str = "Service") -> dict[str, list[str]]:
    """Every value of every key of one section of a unit file."""
    return section_settings(path.read_text(), section)


def unit_name(path: Path) -> str:
    """The name to load a unit file by: templates get the seeds' second instance."""
    if path.name.endswith("@.service"):
        return path.name.replace("@.service", f"@{TEMPLATE_INSTANCE}.service")
    return path.name


def effective(
    service: dict[str, list[str]], dropins: Sequence[dict[str, list[str]]]
) -> dict[str, list[str]]:
    """The settings of a unit's section with its drop-ins' applied in order: a drop-in's empty
    assignment (``ExecStart=``) clears the list, later values add to it."""
    merged = dict(service)
    for dropin in dropins:
        for key, values in dropin.items():
            if "" in values:
                cleared = len(values) - 1 - values[::-1].index("")
                merged[key] = values[cleared + 1 :]
            else:
                merged[key] = merged.get(key, []) + values
    return merged


def credentials(service: dict[str, list[str]]) -> dict[str, str]:
    """``LoadCredential=NAME:PATH`` settings as ``{NAME: PATH}``."""
    return dict(entry.split(":", 1) for entry in service.get("LoadCredential", []) if entry)


FILE_FLAG = re.compile(r"--?[\w.-]+[.-]file")


def files_read(service: dict[str, list[str]]) -> list[tuple[str, str]]:
    """``(setting, path)`` of every file the exporter is told to read: the flags of
    ``ExecStart=`` whose name ends in ``.file`` or ``-file`` (``--config.file=P``,
    ``--redis.tls-ca-file P``) and the ``Environment=`` variables ending in ``_FILE``."""
    found = []
    for command in service.get("ExecStart", []):
        args = shlex.split(command)[1:]
        for arg, following in zip(args, [*args[1:], ""], strict=True):
            name, equals, value = arg.partition("=")
            if FILE_FLAG.fullmatch(name):
                found.append((name, value if equals else following))
    for line in service.get("Environment", []):
        for assignment in shlex.split(line):
            name, _, value = assignment.partition("=")
            if name.endswith("_FILE"):
                found.append((name, value))
    return found


def unreadable_files(service: dict[str, list[str]]) -> list[str]:
    """The files the exporter is told to read that it could not: on the host they are root-only,
    so each must be ``%d/NAME`` with NAME a credential of the unit."""
    loaded = credentials(service)
    return [
        f"{name}={path}"
        for name, path in files_read(service)
        if not (path.startswith("%d/") and path.removeprefix("%d/") in loaded)
    ]


def exec_start_binary(path: Path) -> str:
    """The program of the unit's ExecStart= (without systemd's prefix characters)."""
    (command,) = settings(path)["ExecStart"]
    return command.lstrip("-@:+!").split()[0]


def make_root(tmp_path: Path, units: list[Path]) -> Path:
    """A root for `systemd-analyze --root=` holding `units` and their ExecStart binaries."""
    host_units = Path("/usr/lib/systemd/system")
    if not (host_units / "sysinit.target").is_file():
        pytest.fail("systemd's unit files are missing; install them with: apt-get install systemd")
    root = tmp_path / "root"
    shutil.copytree(host_units, root / "usr/lib/systemd/system", symlinks=True)
    unit_dir = root / "etc/systemd/system"
    unit_dir.mkdir(parents=True)
    for unit in units:
        shutil.copy(unit, unit_dir / unit.name)
        stub = root / exec_start_binary(unit).lstrip("/")
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
    return root


def verify(tool: str, root: Path, name: str) -> subprocess.CompletedProcess[str]:
    return run_tool([tool, "verify", "--man=no", f"--root={root}", name])


def exposure(tool: str, root: Path, name: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Overall exposure from `systemd-analyze security --offline=true` (0.0 best, 10.0 worst)."""
    result = run_tool([tool, "security", "--offline=true", "--no-pager", f"--root={root}", name])
    match = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", result.stdout)
    assert match, describe(result)
    return float(match.group(1)), result


def test_the_units_are_shipped() -> None:
    names = {p.name for p in UNIT_FILES}
    assert {"redis-ha-exporter.service", "redis-ha-exporter@.service"} <= names


@pytest.mark.parametrize("unit", UNIT_FILES, ids=lambda p: p.name)
def test_verify_is_clean(unit: Path, tmp_path: Path, systemd_analyze: str) -> None:
    result = verify(systemd_analyze, make_root(tmp_path, [unit]), unit_name(unit))
    assert result.returncode == 0, describe(result)
    assert result.stdout.strip() == "", describe(result)
    assert result.stderr.strip() == "", describe(result)


@pytest.mark.parametrize("unit", UNIT_FILES, ids=lambda p: p.name)
def test_security_exposure_is_ok(unit: Path, tmp_path: Path, systemd_analyze: str) -> None:
    level, result = exposure(systemd_analyze, make_root(tmp_path, [unit]), unit_name(unit))
    assert level <= MAX_EXPOSURE, describe(result)


def test_verify_reports_a_misspelt_setting(tmp_path: Path, systemd_analyze: str) -> None:
    """The clean-verify check sees warnings, not only the exit status."""
    unit = tmp_path / "src" / "redis-ha-exporter.service"
    unit.parent.mkdir()
    text = (SYSTEMD_DIR / unit.name).read_text()
    unit.write_text(text.replace("ProtectHome=yes", "ProtectHomme=yes"))
    result = verify(systemd_analyze, make_root(tmp_path, [unit]), unit.name)
    assert "ProtectHomme" in result.stdout + result.stderr, describe(result)


def test_security_rates_an_unhardened_unit_above_the_threshold(
    tmp_path: Path, systemd_analyze: str
) -> None:
    """The threshold check can fail: the same unit without its hardening scores worse."""
    kept = {"ExecStart", "LoadCredential", "Restart", "Type", "Description", "WantedBy"}
    source = SYSTEMD_DIR / "redis-ha-exporter.service"
    lines = [f"[{sec}]\n{key}={value}" for sec, key, value in parse_unit(source.read_text())]
    stripped = "\n".join(line for line in lines if line.split("\n")[1].split("=")[0] in kept)
    unit = tmp_path / "src" / source.name
    unit.parent.mkdir()
    unit.write_text(stripped + "\n")
    level, result = exposure(systemd_analyze, make_root(tmp_path, [unit]), unit.name)
    assert level > MAX_EXPOSURE, describe(result)


@pytest.mark.parametrize("unit", UNIT_FILES, ids=lambda p: p.name)
def test_required_hardening_is_set(unit: Path) -> None:
    service = settings(unit)
    for key, value in REQUIRED_SETTINGS.items():
        assert value in service.get(key, []), f"{unit.name}: {key}={value} expected"
    families = set(service["RestrictAddressFamilies"][-1].split())
    assert families == {"AF_INET", "AF_INET6", "AF_UNIX"}


@pytest.mark.parametrize("unit", UNIT_FILES, ids=lambda p: p.name)
def test_password_comes_from_a_credential(unit: Path) -> None:
    service = settings(unit)
    (command,) = service["ExecStart"]
    assert exec_start_binary(unit) == VENV_BINARY
    assert "redis-password" in credentials(service)
    assert "--redis.password-file=%d/redis-password" in command.split()
    # No secret on the command line or in the unit's environment.
    password_flags = [arg for arg in command.split() if "password" in arg.split("=")[0]]
    assert all(arg.split("=")[0].endswith("password-file") for arg in password_flags), command
    assert not any("PASSWORD=" in env for env in service.get("Environment", []))


def test_template_reads_per_instance_files() -> None:
    template = SYSTEMD_DIR / "redis-ha-exporter@.service"
    service = settings(template)
    (command,) = service["ExecStart"]
    assert "--config.file=%d/redis-ha-exporter.yml" in command.split()
    assert "--web.listen-address=${WEB_LISTEN_ADDRESS}" in command.split()
    # systemd reads the environment file itself, as root: it needs no credential.
    assert service["EnvironmentFile"] == ["/etc/redis-ha-exporter/%i.env"]
    assert credentials(service) == {
        "redis-ha-exporter.yml": "/etc/redis-ha-exporter/%i.yml",
        "redis-password": "/etc/redis-ha-exporter/%i.redis-password",
    }


@pytest.mark.parametrize("unit", UNIT_FILES, ids=lambda p: p.name)
def test_unit_flags_are_known_to_the_exporter(unit: Path, exporter_help: str) -> None:
    (command,) = settings(unit)["ExecStart"]
    flags = [arg.split("=", 1)[0] for arg in command.split()[1:] if arg.startswith("--")]
    assert flags, command
    for flag in flags:
        assert flag in exporter_help, f"{unit.name} passes {flag}, unknown to the exporter"


# --- every file the exporter reads is a credential -----------------------------------------------


@pytest.mark.parametrize("unit", UNIT_FILES, ids=lambda p: p.name)
def test_every_file_the_exporter_reads_is_a_credential(unit: Path) -> None:
    """The transient user reads no root-only file: each file it is named is a copy in ``%d``,
    the working directory, where relative names in the YAML file find more credentials."""
    service = settings(unit)
    assert [name for name, _ in files_read(service)] == ["--config.file", "--redis.password-file"]
    assert unreadable_files(service) == []
    assert service["WorkingDirectory"] == ["%d"]
    assert all(path.startswith("/etc/redis-ha-exporter/") for path in credentials(service).values())


def test_a_file_outside_the_credentials_is_reported() -> None:
    """The check can fail: the units as first shipped named the YAML file in /etc, which the
    transient user cannot read, and a flag given as two arguments is seen too."""
    unit = (
        "[Service]\nLoadCredential=redis-password:/etc/redis-ha-exporter/redis-password\n"
        "ExecStart=/bin/x --config.file=/etc/redis-ha-exporter/redis-ha-exporter.yml \\\n"
        "    --redis.password-file=%d/redis-password --sentinel.password-file %d/other\n"
        "Environment=WEB_CONFIG_FILE=/etc/redis-ha-exporter/web.yml\n"
    )
    assert unreadable_files(section_settings(unit)) == [
        "--config.file=/etc/redis-ha-exporter/redis-ha-exporter.yml",
        "--sentinel.password-file=%d/other",
        "WEB_CONFIG_FILE=/etc/redis-ha-exporter/web.yml",
    ]


def code_blocks(text: str, language: str) -> list[str]:
    """The fenced code blocks of one language in a Markdown text, without their fences."""
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def file_values(data: Any) -> Iterator[str]:
    """Every value of a key ending in ``_file`` in parsed YAML, at any depth."""
    if isinstance(data, dict):
        for key, value in data.items():
            if str(key).endswith("_file"):
                yield str(value)
            else:
                yield from file_values(value)
    elif isinstance(data, list):
        for item in data:
            yield from file_values(item)


def test_the_documented_drop_ins_keep_every_file_a_credential() -> None:
    """Each ``[Service]`` drop-in of docs/deploy-systemd.md, applied to the unit, still names
    only credentials."""
    blocks = [b for b in code_blocks(DEPLOY_DOC.read_text(), "ini") if "[Service]" in b]
    assert len(blocks) >= 4, "the docs lost their drop-in examples"
    unit = settings(SYSTEMD_DIR / "redis-ha-exporter.service")
    for block in blocks:
        assert unreadable_files(effective(unit, [section_settings(block)])) == [], block


def test_the_documented_yaml_names_files_by_their_credential() -> None:
    """A file named in the documented YAML (``password_file``, ``tls_*_file``, a web config's
    ``cert_file``) is the bare name of a credential the units or the documented drop-ins load:
    the working directory is ``%d``."""
    text = DEPLOY_DOC.read_text()
    dropins = [section_settings(block) for block in code_blocks(text, "ini")]
    loaded = {
        name for service in [*map(settings, UNIT_FILES), *dropins] for name in credentials(service)
    }
    documents = [yaml.safe_load(block) for block in code_blocks(text, "yaml")]
    named = [value for doc in documents if isinstance(doc, dict) for value in file_values(doc)]
    assert len(named) >= 4, "the docs lost their YAML examples"
    assert sorted(set(named) - loaded) == []


# --- the exporter started as the units start it --------------------------------------------------


@contextlib.contextmanager
def start_like_systemd(
    root: Path, unit: str, workdir: Path, listen_address: str | None = None
) -> Iterator[ExporterProcess]:
    """Start ``unit`` from ``root`` the way systemd would: its credentials (``LoadCredential=``)
    copied into a fresh ``%d``, mode 0400; the working directory (``/`` unless set), environment
    and ``ExecStart=`` of the unit and its drop-ins (``UNIT.d/*.conf``) with ``%d``, ``%i`` and
    ``${VAR}`` expanded, the program from ``root``. Only the program and the credentials come
    from ``root``: any other absolute path names this machine's file, as a path outside ``%d``
    names a file the transient user cannot read on a real host. ``listen_address`` replaces the
    value of ``--web.listen-address`` (the plain unit's fixed ``:9121``)."""
    instance = unit.partition("@")[2].removesuffix(".service")
    unit_dir = root / "etc/systemd/system"
    unit_file = unit_dir / ("redis-ha-exporter@.service" if instance else unit)
    dropins = [settings(p) for p in sorted((unit_dir / f"{unit}.d").glob("*.conf"))]
    service = effective(settings(unit_file), dropins)
    credentials_dir = workdir / "credentials" / unit
    credentials_dir.mkdir(parents=True)

    def expand(value: str) -> str:
        return value.replace("%d", str(credentials_dir)).replace("%i", instance)

    for name, source in credentials(service).items():
        shutil.copy(root / expand(source).lstrip("/"), credentials_dir / name)
        (credentials_dir / name).chmod(0o400)
    assignments = [a for line in service.get("Environment", []) for a in shlex.split(line)]
    for path in service.get("EnvironmentFile", []):
        assignments += (root / expand(path).lstrip("/")).read_text().splitlines()
    env = {"CREDENTIALS_DIRECTORY": str(credentials_dir)}
    for assignment in assignments:
        key, _, value = expand(assignment).partition("=")
        env[key] = value
    (command,) = service["ExecStart"]
    argv = [
        re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], arg)
        for arg in shlex.split(expand(command))
    ]
    argv[0] = str(root / argv[0].lstrip("/"))
    listen = next(i for i, a in enumerate(argv) if a.startswith("--web.listen-address="))
    if listen_address is not None:
        argv[listen] = f"--web.listen-address={listen_address}"
    port = int(argv[listen].rsplit(":", 1)[1])
    cwd = Path(expand(service.get("WorkingDirectory", ["/"])[-1]))
    log = workdir / f"{unit}.log"
    proc = spawn(argv, log, cwd=cwd, env={**os.environ, **env})
    try:
        exporter = ExporterProcess(proc, port, log)
        exporter.wait_healthy()
        yield exporter
    finally:
        terminate([proc])


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


GROUP = "app-cache"
REDIS_PASSWORD = f"redis-{secrets.token_hex(12)}"
SENTINEL_PASSWORD = f"sentinel-{secrets.token_hex(12)}"
SCRAPE_PASSWORD = f"scrape-{secrets.token_hex(12)}"
#: What docs/deploy-systemd.md has the operator add with ``systemctl edit``: a Sentinel password,
#: TLS files and a web config, each a credential, named in the YAML file by its name alone.
DROPIN = """\
[Service]
LoadCredential=sentinel-password:/etc/redis-ha-exporter/sentinel-password
LoadCredential=ca.pem:/etc/redis-ha-exporter/ca.pem
LoadCredential=client.crt:/etc/redis-ha-exporter/client.crt
LoadCredential=client.key:/etc/redis-ha-exporter/client.key
LoadCredential=web-config.yml:/etc/redis-ha-exporter/web-config.yml
Environment=WEB_CONFIG_FILE=%d/web-config.yml
"""
TLS_FILES = {"tls_ca_file": "ca.pem", "tls_cert_file": "client.crt", "tls_key_file": "client.key"}


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """One Redis and one Sentinel, each with a password of its own, on TLS only (with client
    certificates): every kind of file the exporter may read."""
    work = tmp_path_factory.mktemp("units-topology")
    with Topology(
        work,
        groups=(GROUP,),
        replicas=0,
        sentinels=1,
        quorum=1,
        password=REDIS_PASSWORD,
        sentinel_password=SENTINEL_PASSWORD,
        tls=make_certificates(work / "tls"),
    ) as topology:
        yield topology


def install(root: Path, unit: Path, topology: Topology, port: int) -> None:
    """Lay out ``unit`` in ``root`` as docs/deploy-systemd.md does (root-only files under
    /etc/redis-ha-exporter, the unit, :data:`DROPIN`) for ``topology``, serving on ``port``;
    the program is this test run's exporter."""
    assert topology.tls is not None
    (redis,), (sentinel,) = topology.redis, topology.sentinels
    prefix = f"{TEMPLATE_INSTANCE}." if "@" in unit.name else ""
    config = {
        "redis": [{"addr": redis.uri}],
        "sentinel": [{"addr": sentinel.uri}],
        "profiles": {
            "redis": TLS_FILES,
            "sentinel": {"password_file": "sentinel-password", **TLS_FILES},
        },
    }
    scrape_hash = bcrypt.hashpw(SCRAPE_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    files = {
        f"{prefix}yml" if prefix else "redis-ha-exporter.yml": yaml.safe_dump(config),
        f"{prefix}redis-password": f"{REDIS_PASSWORD}\n",
        "sentinel-password": f"{SENTINEL_PASSWORD}\n",
        "ca.pem": topology.tls.ca.read_text(),
        "client.crt": topology.tls.client_cert.read_text(),
        "client.key": topology.tls.client_key.read_text(),
        "web-config.yml": yaml.safe_dump({"basic_auth_users": {"prometheus": scrape_hash}}),
    }
    if prefix:
        files[f"{prefix}env"] = f"WEB_LISTEN_ADDRESS={HOST}:{port}\n"
    config_dir = root / "etc/redis-ha-exporter"
    config_dir.mkdir(parents=True, mode=0o700)
    for name, content in files.items():
        (config_dir / name).write_text(content)
        (config_dir / name).chmod(0o600)
    unit_dir = root / "etc/systemd/system"
    (unit_dir / f"{unit_name(unit)}.d").mkdir(parents=True)
    shutil.copy(unit, unit_dir / unit.name)
    (unit_dir / f"{unit_name(unit)}.d" / "override.conf").write_text(DROPIN)
    program = Path(sys.executable).parent / "redis-ha-exporter"
    assert program.is_file(), f"{program} is missing: run `make venv`"
    (root / VENV_BINARY.lstrip("/")).parent.mkdir(parents=True)
    (root / VENV_BINARY.lstrip("/")).symlink_to(program)


@pytest.mark.parametrize("unit", UNIT_FILES, ids=lambda p: p.name)
def test_the_exporter_started_as_the_unit_says_reads_everything(
    unit: Path, topology: Topology, tmp_path: Path
) -> None:
    port = free_ports(1)[0]
    install(tmp_path / "root", unit, topology, port)
    listen = None if "@" in unit.name else f"{HOST}:{port}"  # the plain unit's is :9121
    with start_like_systemd(tmp_path / "root", unit_name(unit), tmp_path, listen) as exporter:
        assert exporter.port == port
        status, _ = exporter.get("/metrics")
        assert status == 401, "the web config did not reach the exporter"
        status, text = exporter.get("/metrics", basic_auth("prometheus", SCRAPE_PASSWORD))
        assert status == 200, text
        samples = Samples.parse(text)
        (redis,), (sentinel,) = topology.redis, topology.sentinels
        assert samples.value("redis_up", addr=redis.addr) == 1, exporter.log()
        assert samples.value("redis_up", addr=sentinel.addr) == 1, exporter.log()
        assert samples.value("redis_sentinel_master_status", master_name=GROUP) == 1


def test_a_unit_naming_a_root_only_file_does_not_start(topology: Topology, tmp_path: Path) -> None:
    """The run can fail: the plain unit as first shipped, with the YAML file named in /etc
    rather than as a credential, does not start (exit status 2, "cannot read")."""
    shipped = SYSTEMD_DIR / "redis-ha-exporter.service"
    old = tmp_path / "src" / shipped.name
    old.parent.mkdir()
    old.write_text(
        shipped.read_text().replace(
            "--config.file=%d/redis-ha-exporter.yml",
            "--config.file=/etc/redis-ha-exporter/redis-ha-exporter.yml",
        )
    )
    assert old.read_text() != shipped.read_text()
    port = free_ports(1)[0]
    install(tmp_path / "root", old, topology, port)
    root, listen = tmp_path / "root", f"{HOST}:{port}"
    with (
        pytest.raises(HarnessError, match="exited"),
        start_like_systemd(root, old.name, tmp_path, listen),
    ):
        pass
    assert "cannot read" in (tmp_path / f"{old.name}.log").read_text()
