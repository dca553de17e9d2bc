"""The wheel is the runtime and nothing else: built from the repository as a clone has it, it
holds the ``redis_ha_exporter`` package (its modules, subpackages, ``py.typed`` and the
runbooks it serves at ``/runbooks/``, copies of docs/runbooks/ reached through the package's
``runbooks`` symlink) and its dist-info — not the harness (topology launcher, demo), not the
tests. (tests/deploy/test_ansible_role.py runs an exporter installed from the wheel and reads
every runbook from it.)"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.exporter import install_from_wheelhouse, run_exporter
from harness.topology import Topology
from redis_ha_exporter import __version__
from support import build_wheel

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "exporter" / "redis_ha_exporter"
#: The runbooks as the package sees them: a symlink to docs/runbooks.
RUNBOOKS = PACKAGE / "runbooks"
#: What a fresh clone does not have: a build from it must not see what a local build left.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    """``pip wheel --no-deps`` of a copy of the repository, symlinks kept as a clone has them."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=NOT_IN_A_CLONE, symlinks=True)
    with zipfile.ZipFile(build_wheel(source, tmp_path / "dist")) as archive:
        yield archive


def runtime_files() -> list[str]:
    """The package's modules, ``py.typed`` and runbooks as they sit in the repository (the
    runbooks through the symlink), wheel-relative."""
    modules = [path for path in PACKAGE.rglob("*") if path.is_file()]
    return sorted(
        {
            path.relative_to(PACKAGE.parent).as_posix()
            for path in [*modules, *RUNBOOKS.glob("*.md")]
            if (path.suffix in (".py", ".md") or path.name == "py.typed")
            and "__pycache__" not in path.parts
        }
    )


def test_the_wheel_holds_the_runtime_package_and_its_metadata_only(
    wheel: zipfile.ZipFile,
) -> None:
    names = wheel.namelist()
    dist_info = f"redis_ha_exporter-{__version__}.dist-info/"
    assert sorted(n for n in names if not n.startswith(dist_info)) == runtime_files()
    assert f"{dist_info}entry_points.txt" in names
    assert "redis_ha_exporter/py.typed" in names
    assert "redis_ha_exporter/parse/info.py" in names  # subpackages too
    strays = [n for n in names if re.search(r"topology|demo|harness|tests?/|conftest", n)]
    assert strays == [], "test and demo code belongs in harness/ or tests/, not the package"


def test_the_wheel_holds_every_runbook_as_the_repository_has_it(wheel: zipfile.ZipFile) -> None:
    assert RUNBOOKS.is_symlink()
    assert RUNBOOKS.resolve() == REPO / "docs" / "runbooks"
    sources = sorted((REPO / "docs" / "runbooks").glob("*.md"))
    assert len(sources) > 20
    for source in sources:
        copy = wheel.read(f"redis_ha_exporter/runbooks/{source.name}")
        assert copy == source.read_bytes(), source.name


def test_the_wheelhouse_installs_offline_with_the_hosts_python(tmp_path: Path) -> None:
    # What the Ansible role does on the seeds' Debian hosts, whose python3 (3.11.2) needs
    # redis-py's async-timeout, which `make wheel` run by a newer Python would leave out.
    program = install_from_wheelhouse(tmp_path / "venv")
    with (
        Topology(tmp_path / "topo", replicas=0, sentinels=0) as topo,
        run_exporter(["--redis.addr", topo.redis[0].uri], tmp_path, program=program) as exporter,
    ):
        assert exporter.scrape().value("redis_up", addr=topo.redis[0].addr) == 1.0
