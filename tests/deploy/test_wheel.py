"""The wheel is the runtime and nothing else: built from the repository as a clone has it, it
holds the ``redis_ha_exporter`` package (its modules, subpackages and ``py.typed``) and its
dist-info — not the harness (topology launcher, demo), not the tests."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

from redis_ha_exporter import __version__
from support import build_wheel

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "exporter" / "redis_ha_exporter"
#: What a fresh clone does not have: a build from it must not see what a local build left.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


def wheel_files(tmp_path: Path) -> list[str]:
    """``pip wheel --no-deps`` of a copy of the repository; the names inside the wheel."""
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=NOT_IN_A_CLONE)
    with zipfile.ZipFile(build_wheel(source, tmp_path / "dist")) as archive:
        return archive.namelist()


def runtime_files() -> list[str]:
    """The package's modules and ``py.typed`` as they sit in the repository, wheel-relative."""
    return sorted(
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file()
        and (path.suffix == ".py" or path.name == "py.typed")
        and "__pycache__" not in path.parts
    )


def test_the_wheel_holds_the_runtime_package_and_its_metadata_only(tmp_path: Path) -> None:
    names = wheel_files(tmp_path)
    dist_info = f"redis_ha_exporter-{__version__}.dist-info/"
    assert sorted(n for n in names if not n.startswith(dist_info)) == runtime_files()
    assert f"{dist_info}entry_points.txt" in names
    assert "redis_ha_exporter/py.typed" in names
    assert "redis_ha_exporter/parse/info.py" in names  # subpackages too
    strays = [n for n in names if re.search(r"topology|demo|harness|tests?/|conftest", n)]
    assert strays == [], "test and demo code belongs in harness/ or tests/, not the package"
