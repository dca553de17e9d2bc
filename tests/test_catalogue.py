"""The catalogue follows Prometheus naming and the brief's contract."""

from __future__ import annotations

import re

from redis_ha_exporter.catalogue import BY_NAME, CATALOGUE, CONFIG_FIELDS, INFO_FIELDS, Kind, Reply

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def test_names_are_unique_and_valid() -> None:
    names = [spec.name for spec in CATALOGUE]
    assert len(names) == len(set(names))
    assert all(NAME.fullmatch(name) for name in names)


def test_help_texts_are_ascii() -> None:
    # The exposition is one string, encoded once: one wide character in a help text would make
    # every scrape's string wide (redis_ha_exporter.exposition.HEADERS).
    assert [spec.name for spec in CATALOGUE if not spec.help.isascii()] == []


# redis_exporter's names and types, kept as they are: counters without the suffix, gauges with
# it (its v1.88.0 metricMapCounters / metricMapGauges).
COMPAT_SUFFIX_EXCEPTIONS = {
    "redis_memory_used_vm_total",
    "redis_rdb_saves_total",
    "redis_migrate_cached_sockets_total",
    "redis_unexpected_error_replies",
    "redis_total_error_replies",
    "redis_dump_payload_sanitizations",
    "redis_total_reads_processed",
    "redis_total_writes_processed",
    "redis_io_threaded_reads_processed",
    "redis_io_threaded_writes_processed",
}


def test_counters_and_only_counters_end_in_total() -> None:
    breaking = {
        spec.name
        for spec in CATALOGUE
        if spec.kind in (Kind.GAUGE, Kind.COUNTER)
        and spec.name.endswith("_total") != (spec.kind is Kind.COUNTER)
    }
    assert breaking == COMPAT_SUFFIX_EXCEPTIONS
    assert all(BY_NAME[name].compat for name in breaking)
    for spec in CATALOGUE:
        if spec.kind in (Kind.HISTOGRAM, Kind.SUMMARY):
            assert not spec.name.endswith("_total"), spec.name


def test_per_process_series_carry_addr() -> None:
    own = {"redis_exporter_build_info", "redis_exporter_scrapes_total"}
    for spec in CATALOGUE:
        assert ("addr" in spec.labels) == (spec.name not in own), spec.name


def test_no_free_text_labels() -> None:
    free_text = {"message", "error", "err", "reason", "msg"}
    for spec in CATALOGUE:
        if spec.name == "redis_errors_total":  # redis_exporter's: an error code (ERR, NOPERM)
            assert spec.compat
            assert spec.labels == ("addr", "err")
            continue
        assert not free_text & set(spec.labels), spec.name


def test_table_driven_families_read_one_number_each() -> None:
    fields = [spec.field for spec in CATALOGUE if spec.field is not None]
    assert len({(f.reply, f.name) for f in fields}) == len(fields)  # one family per field
    for spec in CATALOGUE:
        if spec.field is not None:
            assert spec.labels == ("addr",), spec.name
            assert spec.group == "instance", spec.name
            assert spec.field.name in spec.source, spec.name
    assert set(INFO_FIELDS) == {f.name for f in fields if f.reply is Reply.INFO}
    assert set(CONFIG_FIELDS) == {f.name for f in fields if f.reply is Reply.CONFIG}
