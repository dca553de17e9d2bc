"""Generated documentation must not go stale: docs/metrics.md from the catalogue, the README's
flag table and the migration guide's redis_exporter flags from the settings tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from redis_ha_exporter.catalogue import CATALOGUE
from redis_ha_exporter.reference import (
    render,
    render_redis_exporter_flags,
    render_settings,
    splice,
)
from redis_ha_exporter.settings import FOREIGN_FLAGS, SETTINGS

GENERATED_BLOCKS_IN = ["README.md", "docs/migrating-from-redis_exporter.md"]

DOC = Path(__file__).parent.parent / "docs" / "metrics.md"


def test_committed_reference_matches_the_catalogue() -> None:
    assert DOC.read_text() == render(), "run `make docs` and commit docs/metrics.md"


def test_every_metric_is_documented_once() -> None:
    text = render()
    for spec in CATALOGUE:
        assert text.count(f"| `{spec.name}`") == 1, spec.name


SPLICED = [Path(__file__).parent.parent / name for name in GENERATED_BLOCKS_IN]


@pytest.mark.parametrize("path", SPLICED, ids=[p.name for p in SPLICED])
def test_generated_blocks_match_the_settings_tables(path: Path) -> None:
    text = path.read_text()
    assert "<!-- begin " in text
    assert splice(text) == text, f"run `make docs` and commit {path.name}"


def test_splice_replaces_only_the_block() -> None:
    text = "intro\n<!-- begin settings: generated -->\nstale\n<!-- end settings -->\noutro\n"
    spliced = splice(text)
    assert spliced.startswith("intro\n<!-- begin settings: generated -->\n| flag |")
    assert spliced.endswith("<!-- end settings -->\noutro\n")
    assert "stale" not in spliced
    with pytest.raises(ValueError, match="no <!-- end settings -->"):
        splice("<!-- begin settings: x -->\nstale\n")


def test_every_setting_and_redis_exporter_flag_is_documented_once() -> None:
    settings, flags = render_settings(), render_redis_exporter_flags()
    for setting in SETTINGS:
        assert settings.count(f"| {setting.meaning} |") == 1, setting.name
        assert settings.count(f"| `{setting.env}` |") == 1, setting.name
    for name in [a.flag for s in SETTINGS for a in s.aliases] + [f.flag for f in FOREIGN_FLAGS]:
        assert flags.count(f"| `-{name}` |") == 1, name
