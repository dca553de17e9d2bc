"""systemd units: `systemd-analyze verify` is clean and `security` rates exposure <= 2.0.

`verify` checks that ExecStart's binary exists. Rather than rewrite the unit, each test builds
a throw-away root: the host's own unit files (/usr/lib/systemd/system, for the targets the
unit's default dependencies need), our units under /etc/systemd/system, and an executable stub
at the exact ExecStart path the unit names. `systemd-analyze --root=` then checks the unit file
byte for byte as shipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from support import describe, logical_lines, run_tool

SYSTEMD_DIR = Path(__file__).resolve().parents[2] / "systemd"
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


def settings(path: Path, section: str = "Service") -> dict[str, list[str]]:
    """Every value of every key of one section of a unit file."""
    found: dict[str, list[str]] = {}
    for sec, key, value in parse_unit(path.read_text()):
        if sec == section:
            found.setdefault(key, []).append(value)
    return found


def unit_name(path: Path) -> str:
    """The name to load a unit file by: templates get the seeds' second instance."""
    if path.name.endswith("@.service"):
        return path.name.replace("@.service", f"@{TEMPLATE_INSTANCE}.service")
    return path.name


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
    credentials = dict(c.split(":", 1) for c in service["LoadCredential"])
    assert "redis-password" in credentials
    assert "--redis.password-file=%d/redis-password" in command.split()
    # No secret on the command line or in the unit's environment.
    password_flags = [arg for arg in command.split() if "password" in arg.split("=")[0]]
    assert all(arg.split("=")[0].endswith("password-file") for arg in password_flags), command
    assert not any("PASSWORD=" in env for env in service.get("Environment", []))


def test_template_reads_per_instance_files() -> None:
    template = SYSTEMD_DIR / "redis-ha-exporter@.service"
    service = settings(template)
    (command,) = service["ExecStart"]
    assert "--config.file=/etc/redis-ha-exporter/%i.yml" in command.split()
    assert "--web.listen-address=${WEB_LISTEN_ADDRESS}" in command.split()
    assert service["EnvironmentFile"] == ["/etc/redis-ha-exporter/%i.env"]
    assert service["LoadCredential"] == ["redis-password:/etc/redis-ha-exporter/%i.redis-password"]


@pytest.mark.parametrize("unit", UNIT_FILES, ids=lambda p: p.name)
def test_unit_flags_are_known_to_the_exporter(unit: Path, exporter_help: str) -> None:
    (command,) = settings(unit)["ExecStart"]
    flags = [arg.split("=", 1)[0] for arg in command.split()[1:] if arg.startswith("--")]
    assert flags, command
    for flag in flags:
        assert flag in exporter_help, f"{unit.name} passes {flag}, unknown to the exporter"
