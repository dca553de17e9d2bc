"""The benchmarks measure our exporter as the Ansible role installs it on the seeds' Debian
hosts: a venv of the host's python3 (Debian's, built with the distribution's optimisations),
from the wheelhouse ``make bench`` builds first."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from harness.exporter import install_from_wheelhouse

PACKAGE = Path(__file__).resolve().parents[2] / "exporter" / "redis_ha_exporter"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ...]:
    """``run_exporter(..., program=installed)``: the installed exporter. Fails when the
    wheelhouse holds other code than the repository's (run ``make wheel``)."""
    venv = tmp_path_factory.mktemp("installed") / "venv"
    program = install_from_wheelhouse(venv)
    (site,) = venv.glob("lib/python3*/site-packages")
    sources = sorted(p.relative_to(PACKAGE) for p in PACKAGE.rglob("*.py"))
    _, differ, missing = filecmp.cmpfiles(PACKAGE, site / PACKAGE.name, sources, shallow=False)
    if differ or missing:
        pytest.fail(f"the wheelhouse is not this code ({(differ + missing)[:3]}): make wheel")
    return program
