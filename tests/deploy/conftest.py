"""Fixtures for the deployment tests (systemd units, Docker image, compose stack).

Each external tool is a fixture holding its path (``support.require_tool``: .venv/bin first,
where pip puts `hadolint`, then the Debian paths). A missing tool fails the test with the command
that installs it: a skipped check would pass silently.
"""

from __future__ import annotations

import pytest

from support import require_tool, run_cli


@pytest.fixture(scope="session")
def systemd_analyze() -> str:
    return require_tool("systemd-analyze")


@pytest.fixture(scope="session")
def hadolint() -> str:
    return require_tool("hadolint")


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_tool("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    return require_tool("amtool")


@pytest.fixture(scope="session")
def exporter_help() -> str:
    """`redis-ha-exporter --help`: our units and compose file must use flags it knows."""
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    return result.stdout
