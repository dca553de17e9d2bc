"""The catalogue follows Prometheus naming and the brief's contract."""

from __future__ import annotations

import re

from redis_ha_exporter.catalogue import CATALOGUE, Kind

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def test_names_are_unique_and_valid() -> None:
    names = [spec.name for spec in CATALOGUE]
    assert len(names) == len(set(names))
    assert all(NAME.fullmatch(name) for name in names)


def test_counters_and_only_counters_end_in_total() -> None:
    for spec in CATALOGUE:
        assert spec.name.endswith("_total") == (spec.kind is Kind.COUNTER), spec.name


def test_per_process_series_carry_addr() -> None:
    own = {"redis_exporter_build_info", "redis_exporter_scrapes_total"}
    for spec in CATALOGUE:
        assert ("addr" in spec.labels) == (spec.name not in own), spec.name


def test_no_free_text_labels() -> None:
    free_text = {"message", "error", "err", "reason", "msg"}
    for spec in CATALOGUE:
        assert not free_text & set(spec.labels), spec.name
