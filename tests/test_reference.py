"""docs/metrics.md is generated from the catalogue and must not go stale."""

from __future__ import annotations

from pathlib import Path

from redis_ha_exporter.catalogue import CATALOGUE
from redis_ha_exporter.reference import render

DOC = Path(__file__).parent.parent / "docs" / "metrics.md"


def test_committed_reference_matches_the_catalogue() -> None:
    assert DOC.read_text() == render(), "run `make docs` and commit docs/metrics.md"


def test_every_metric_is_documented_once() -> None:
    text = render()
    for spec in CATALOGUE:
        assert text.count(f"| `{spec.name}`") == 1, spec.name
