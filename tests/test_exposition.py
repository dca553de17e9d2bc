"""The exposition writer writes, byte for byte, what prometheus_client's encoders write for the
same families: for the golden expositions, for generated samples with awkward label values and
numbers, in the text format and OpenMetrics, under every ``Accept`` header prometheus_client
negotiates; and its text passes ``promtool check metrics``."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder, generate_latest

from redis_ha_exporter.catalogue import CATALOGUE, Kind, MetricSpec
from redis_ha_exporter.events.state import EventSnapshot, EventState
from redis_ha_exporter.exposition import (
    LABEL_NAME,
    METRIC_NAME,
    Exposition,
    ExpositionWriter,
    openmetrics_generate_latest,
)
from redis_ha_exporter.families import FamilyBuilder, Samples, build_families, registry_of
from redis_ha_exporter.parse.events import parse_event
from redis_ha_exporter.snapshot import Collection
from support import promtool_lint
from test_golden_exposition import replication_collection, sentinel_collection

PROMETHEUS_2 = (  # Debian's 2.42
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
PROMETHEUS_3 = (
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
    "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;"
    "escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
)
#: Written here: what Prometheus sends, and the plain text format.
WRITTEN = ("", "text/plain", "*/*", PROMETHEUS_2, PROMETHEUS_3, "text/plain;version=1.0.0")
ACCEPTS = (
    *WRITTEN,
    "application/json",
    "application/openmetrics-text",
    "application/openmetrics-text;version=0.0.1",
    "application/openmetrics-text;version=1.0.0;escaping=underscores",
    "application/openmetrics-text;version=1.0.0;escaping=dots",
    "application/openmetrics-text;version=1.0.0;escaping=values",
    "application/openmetrics-text;version=2.0.0",
    "text/plain;version=1.0.0;escaping=allow-utf-8",
    "text/plain;version=1.0.0;escaping=dots",
    "text/plain;version=1.0.0;escaping=values",
)
Case = tuple[Collection, dict[str, EventSnapshot] | None]
GOLDEN: dict[str, Callable[[], Case]] = {
    "replication": lambda: (replication_collection(), None),
    "sentinel": sentinel_collection,
}


def theirs(families: list[Metric], openmetrics: bool) -> bytes:
    registry = registry_of(families)
    return openmetrics_generate_latest(registry) if openmetrics else generate_latest(registry)


@pytest.mark.parametrize("openmetrics", [False, True], ids=["text", "openmetrics"])
@pytest.mark.parametrize("case", GOLDEN)
def test_golden_collections_are_written_as_prometheus_client_writes_them(
    case: str, openmetrics: bool
) -> None:
    collection, events = GOLDEN[case]()
    writer = ExpositionWriter()
    first = writer.render(collection, events, openmetrics=openmetrics)
    assert first == theirs(build_families(collection, events), openmetrics)
    assert writer.render(collection, events, openmetrics=openmetrics) == first  # from caches
    assert len(first) > 10_000


@pytest.mark.parametrize("openmetrics", [False, True], ids=["text", "openmetrics"])
@pytest.mark.parametrize("case", GOLDEN)
def test_targets_written_as_they_were_collected_give_the_same_bytes(
    case: str, openmetrics: bool
) -> None:
    collection, events = GOLDEN[case]()
    writer = ExpositionWriter()
    dropped = collection.masters_dropped_total
    prepared = tuple(writer.prepare(snap, dropped.get(snap.addr, 0)) for snap in collection.targets)
    at_once = writer.render(collection, events, openmetrics=openmetrics)
    ahead = writer.render(replace(collection, prepared=prepared), events, openmetrics=openmetrics)
    assert ahead == at_once
    assert ahead == theirs(build_families(collection, events), openmetrics)


def test_event_samples_are_written_again_only_when_the_event_state_changed() -> None:
    collection, _ = sentinel_collection()
    addr = collection.targets[0].addr
    state = EventState(ring_size=10)
    state.mark_connected(1000.0)
    writer = ExpositionWriter()

    def scrape() -> tuple[bytes, bytes]:
        events = {addr: state.snapshot()}
        ours = writer.render(collection, events, openmetrics=False)
        return ours, theirs(build_families(collection, events), False)

    first, expected = scrape()
    assert first == expected
    kept = writer._event_parts[addr]
    assert scrape()[0] == first
    assert writer._event_parts[addr] is kept  # nothing changed: the same lines
    state.apply(parse_event("+sdown", "master m1 127.0.0.1 6379"), 1001.0)
    second, expected = scrape()
    assert second == expected
    assert second != first
    assert writer._event_parts[addr] is not kept


@pytest.mark.parametrize("accept", ACCEPTS)
def test_every_accept_header_gets_what_prometheus_client_negotiates(accept: str) -> None:
    collection, events = sentinel_collection()
    render, content_type = ExpositionWriter().negotiate(accept)
    encoder, expected_type = choose_encoder(accept)
    assert content_type == expected_type
    assert render(collection, events) == encoder(registry_of(build_families(collection, events)))


@pytest.mark.parametrize("accept", WRITTEN)
def test_what_prometheus_asks_for_is_written_here(accept: str) -> None:
    writer = ExpositionWriter()
    render, _ = writer.negotiate(accept)
    assert isinstance(render, functools.partial)
    assert render.func == writer.render


def test_the_written_text_passes_promtool() -> None:
    writer = ExpositionWriter()
    for case in GOLDEN.values():
        text = writer.render(*case(), openmetrics=False).decode()
        assert "redis_up" in text
        assert promtool_lint(text) == []


def test_every_catalogued_name_is_within_the_writers_domain() -> None:
    """Names written as they are in both formats (the module checks this at import too)."""
    for spec in CATALOGUE:
        assert METRIC_NAME.fullmatch(spec.name), spec.name
        for label in (*spec.labels, "le", "quantile"):
            assert LABEL_NAME.fullmatch(label), (spec.name, label)


@pytest.mark.parametrize("sink", [FamilyBuilder, lambda: Exposition({})], ids=["families", "lines"])
def test_both_sinks_refuse_uncatalogued_names_and_labels(sink: Callable[[], Samples]) -> None:
    with pytest.raises(KeyError):
        sink().add("redis_made_up", 1.0, addr="x")
    with pytest.raises(ValueError, match="labels"):
        sink().add("redis_up", 1.0, addr="x", extra="y")
    with pytest.raises(ValueError, match="labels"):
        sink().add_summary("redis_latency_percentiles_usec", [], 1, 1.0, addr="x")


# --- generated samples --------------------------------------------------------------------

# Label values as servers send them and worse: quotes, backslashes, newlines, any unicode.
label_values = st.one_of(
    st.sampled_from(['a"b', "a\\b", "a\nb", "\\n", '\\"', "", "é", "☃", "\U0001f600", "10.0.0.1"]),
    st.text(max_size=12),
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**63).map(float),
    st.sampled_from([0.0, -0.0, 1e6, 999999.9, 1234567.0, 12345678.9, 1e-7, 5e-324, 1e22, 0.1]),
)


@dataclass
class Call:
    """One call of the families code into a sink."""

    spec: MetricSpec
    labels: dict[str, str]
    value: float
    extra: tuple[object, ...] = ()
    together: bool = False  # through add_samples

    def apply(self, sink: Samples) -> None:
        if self.spec.kind is Kind.HISTOGRAM:
            buckets, total = self.extra
            sink.add_histogram(self.spec.name, buckets, total, **self.labels)  # type: ignore[arg-type]
        elif self.spec.kind is Kind.SUMMARY:
            quantiles, total = self.extra
            sink.add_summary(self.spec.name, quantiles, self.value, total, **self.labels)  # type: ignore[arg-type]
        elif self.together:
            sink.add_samples(self.labels, [(self.spec.name, self.value)])
        else:
            sink.add_sample(self.spec.name, self.labels, self.value)


@st.composite
def calls(draw: st.DrawFn) -> Call:
    spec = draw(st.sampled_from(CATALOGUE))
    labels = {label: draw(label_values) for label in spec.labels}
    if spec.kind is Kind.HISTOGRAM:
        bounds = sorted(set(draw(st.lists(st.floats(0.0, 1e9), max_size=3))))
        buckets = [(b, draw(numbers)) for b in (*bounds, math.inf)]
        return Call(spec, labels, 0.0, (buckets, draw(numbers)))
    if spec.kind is Kind.SUMMARY:
        quantile_labels = st.sampled_from(["50", "99", "99.9", "0.5"])
        quantiles = draw(st.lists(st.tuples(quantile_labels, numbers), max_size=3))
        return Call(spec, labels, draw(numbers), (quantiles, draw(numbers)))
    return Call(spec, labels, draw(numbers), together=draw(st.booleans()))


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(st.lists(calls(), max_size=12), st.booleans())
def test_generated_samples_are_written_as_prometheus_client_writes_them(
    drawn: list[Call], openmetrics: bool
) -> None:
    writer = ExpositionWriter()
    for _ in range(2):  # the second time from the caches
        families, lines = FamilyBuilder(), writer.exposition()
        for call in drawn:
            call.apply(families)
            call.apply(lines)
        expected = theirs(families.families(), openmetrics)
        assert writer.finish([lines], openmetrics=openmetrics) == expected


def test_the_float_formatting_is_go_s_as_prometheus_client_does_it() -> None:
    values = (math.inf, -math.inf, math.nan, -0.0, 1234567.0, 1e22, 5e-324, 123456.5, 999999.9)
    families, lines = FamilyBuilder(), Exposition({})
    for value in values:
        for sink in (families, lines):
            sink.add("redis_up", value, addr=repr(value))
    text = ExpositionWriter().finish([lines], openmetrics=False).decode()
    assert 'redis_up{addr="inf"} +Inf\n' in text
    assert 'redis_up{addr="nan"} NaN\n' in text
    assert 'redis_up{addr="-0.0"} -0.0\n' in text
    assert 'redis_up{addr="1234567.0"} 1.234567e+06\n' in text
    assert text.encode() == generate_latest(registry_of(families.families()))


def test_the_label_cache_stays_bounded_as_labels_come_and_go() -> None:
    writer = ExpositionWriter()
    writer.max_cached = 100
    for scrape in range(50):
        families, lines = FamilyBuilder(), writer.exposition()
        for i in range(20):
            for sink in (families, lines):
                sink.add("redis_up", 1.0, addr=f"{scrape}-{i}")
        text = writer.finish([lines], openmetrics=False)
        assert text == generate_latest(registry_of(families.families()))
        assert writer.cached_label_sets <= 120


def test_a_groups_lines_are_kept_while_its_arguments_are_equal() -> None:
    writer, written = ExpositionWriter(), []

    def group(out: Samples, addr: str, value: float) -> None:
        written.append(value)
        out.add("redis_up", value, addr=addr)

    def scrape(value: float) -> bytes:
        part = writer.exposition()
        part.add_group(group, "a", value)
        part.add("redis_up", 1.0, addr="b")
        assert part.samples == 2
        return writer.finish([part], openmetrics=False)

    first, again, changed = scrape(1.0), scrape(1.0), scrape(2.0)
    assert written == [1.0, 2.0]  # the second scrape wrote nothing again
    assert first == again
    assert b'redis_up{addr="a"} 2.0\n' in changed
    assert b'redis_up{addr="a"} 1.0\n' not in changed


def test_the_kept_groups_stay_bounded_as_commands_come_and_go() -> None:
    writer = ExpositionWriter()
    writer.min_groups = 50

    def group(out: Samples, cmd: str) -> None:
        out.add("redis_commands_total", 1.0, addr="a", cmd=cmd)

    for scrape in range(100):
        part = writer.exposition()
        for i in range(20):
            part.add_group(group, f"{scrape}-{i}")  # every scrape's commands new
        writer.finish([part], openmetrics=False)
        assert writer.cached_groups <= 50
