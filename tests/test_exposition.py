"""The exposition writer writes, byte for byte, what prometheus_client's encoders write: for the
golden expositions, for generated families with awkward label values and numbers, in the text
format and OpenMetrics, under every ``Accept`` header prometheus_client negotiates; and its
text passes ``promtool check metrics``."""

from __future__ import annotations

import functools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
    UnknownMetricFamily,
)
from prometheus_client.exposition import choose_encoder, generate_latest
from prometheus_client.samples import Sample, Timestamp

from redis_ha_exporter.catalogue import CATALOGUE
from redis_ha_exporter.exposition import (
    LABEL_NAME,
    METRIC_NAME,
    ExpositionWriter,
    Unsupported,
    openmetrics_generate_latest,
)
from redis_ha_exporter.families import registry_of
from support import promtool_lint
from test_golden_exposition import replication_families, sentinel_families

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


def theirs(families: list[Metric], openmetrics: bool) -> bytes:
    registry = registry_of(families)
    return openmetrics_generate_latest(registry) if openmetrics else generate_latest(registry)


@pytest.mark.parametrize("openmetrics", [False, True], ids=["text", "openmetrics"])
@pytest.mark.parametrize(
    "families", [replication_families, sentinel_families], ids=["replication", "sentinel"]
)
def test_golden_families_are_written_as_prometheus_client_writes_them(
    families: functools.partial[list[Metric]], openmetrics: bool
) -> None:
    built = families()
    writer = ExpositionWriter()
    first = writer.write(built, openmetrics=openmetrics)
    assert first == theirs(built, openmetrics)
    assert writer.write(built, openmetrics=openmetrics) == first  # from the caches
    assert len(first) > 10_000


@pytest.mark.parametrize("accept", ACCEPTS)
def test_every_accept_header_gets_what_prometheus_client_negotiates(accept: str) -> None:
    built = replication_families()
    render, content_type = ExpositionWriter().negotiate(accept)
    encoder, expected_type = choose_encoder(accept)
    assert content_type == expected_type
    assert render(built) == encoder(registry_of(built))


@pytest.mark.parametrize("accept", WRITTEN)
def test_what_prometheus_asks_for_is_written_here(accept: str) -> None:
    writer = ExpositionWriter()
    render, _ = writer.negotiate(accept)
    assert isinstance(render, functools.partial)
    assert render.func == writer.render


def test_the_written_text_passes_promtool() -> None:
    writer = ExpositionWriter()
    for families in (replication_families(), sentinel_families()):
        text = writer.write(families, openmetrics=False).decode()
        assert "redis_up" in text
        assert promtool_lint(text) == []


def test_every_catalogued_name_is_within_the_writers_domain() -> None:
    """Names the writer would leave to prometheus_client (':' in a name, a reserved label
    name) would silently cost the whole exposition its speed: none is catalogued."""
    for spec in CATALOGUE:
        assert METRIC_NAME.fullmatch(spec.name), spec.name
        for label in (*spec.labels, "le", "quantile"):
            assert LABEL_NAME.fullmatch(label), (spec.name, label)


# --- generated families ------------------------------------------------------------------

# Label values as servers send them and worse: quotes, backslashes, newlines, any unicode.
label_values = st.one_of(
    st.sampled_from(['a"b', "a\\b", "a\nb", "\\n", '\\"', "", "é", "☃", "\U0001f600", "10.0.0.1"]),
    st.text(max_size=12),
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**63).map(float),
    st.sampled_from([0.0, -0.0, 1e6, 1234567.0, 12345678.9, 1e-7, 5e-324, 1e22, 0.1]),
)
label_names = st.lists(
    st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,6}", fullmatch=True), max_size=3, unique=True
)
family_names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
helps = st.text(max_size=30)


@st.composite
def families(draw: st.DrawFn) -> Metric:
    kind = draw(st.sampled_from(["gauge", "counter", "unknown", "summary", "histogram"]))
    name, help_text, labels = draw(family_names), draw(helps), draw(label_names)
    labels = [label for label in labels if label not in ("le", "quantile")]
    rows = draw(st.lists(st.tuples(*(label_values for _ in labels)), max_size=4))
    if kind == "summary":
        summary = SummaryMetricFamily(name, help_text, labels=labels)
        for row in rows:
            for quantile in draw(st.lists(st.sampled_from(["0.5", "0.99", "99.9"]), max_size=2)):
                at = {**dict(zip(labels, row, strict=True)), "quantile": quantile}
                summary.add_sample(name, at, draw(numbers))
            summary.add_metric(row, draw(st.integers(0, 2**62)), draw(numbers))
        return summary
    if kind == "histogram":
        histogram = HistogramMetricFamily(name, help_text, labels=labels)
        for row in rows:
            bounds = sorted(set(draw(st.lists(st.floats(0.001, 1e9), max_size=3))))
            buckets = [(str(b), draw(numbers)) for b in bounds] + [("+Inf", draw(numbers))]
            histogram.add_metric(row, buckets, draw(numbers))
        return histogram
    family: GaugeMetricFamily | CounterMetricFamily | UnknownMetricFamily
    if kind == "gauge":
        family = GaugeMetricFamily(name, help_text, labels=labels)
    elif kind == "counter":
        family = CounterMetricFamily(name + "_total", help_text, labels=labels)
    else:
        family = UnknownMetricFamily(name, help_text, labels=labels)
    for row in rows:
        family.add_metric(row, draw(numbers))
    return family


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(st.lists(families(), max_size=5), st.booleans())
def test_generated_families_are_written_as_prometheus_client_writes_them(
    built: list[Metric], openmetrics: bool
) -> None:
    writer = ExpositionWriter()
    assert writer.write(built, openmetrics=openmetrics) == theirs(built, openmetrics)
    assert writer.write(built, openmetrics=openmetrics) == theirs(built, openmetrics)


def test_the_float_formatting_is_go_s_as_prometheus_client_does_it() -> None:
    family = GaugeMetricFamily("g", "h", labels=["v"])
    for value in (math.inf, -math.inf, math.nan, -0.0, 1234567.0, 1e22, 5e-324, 123456.5):
        family.add_metric([repr(value)], value)
    text = ExpositionWriter().write([family], openmetrics=False).decode()
    assert 'g{v="inf"} +Inf\n' in text
    assert 'g{v="nan"} NaN\n' in text
    assert 'g{v="-0.0"} -0.0\n' in text
    assert 'g{v="1234567.0"} 1.234567e+06\n' in text
    assert text.encode() == generate_latest(registry_of([family]))


def odd(family: Metric) -> list[Metric]:
    return [GaugeMetricFamily("plain", "first", value=1), family]


@pytest.mark.parametrize(
    "family",
    [
        GaugeMetricFamily("with_unit_bytes", "a unit", value=1, unit="bytes"),
        GaugeMetricFamily("name:with_colon", "a colon", value=1),
        UnknownMetricFamily("reserved", "a reserved label", value=None, labels=["__x"]),
    ],
    ids=["unit", "colon", "reserved-label"],
)
@pytest.mark.parametrize("openmetrics", [False, True], ids=["text", "openmetrics"])
def test_what_the_writer_does_not_write_is_left_to_prometheus_client(
    family: Metric, openmetrics: bool
) -> None:
    if family.name == "reserved":
        family.add_metric(["v"], 2)  # type: ignore[attr-defined]
    built = odd(family)
    with pytest.raises(Unsupported):
        ExpositionWriter().write(built, openmetrics=openmetrics)
    assert ExpositionWriter().render(built, openmetrics=openmetrics) == theirs(built, openmetrics)


@pytest.mark.parametrize("openmetrics", [False, True], ids=["text", "openmetrics"])
def test_timestamps_created_samples_and_missing_values_are_left_to_prometheus_client(
    openmetrics: bool,
) -> None:
    stamped = GaugeMetricFamily("stamped", "a timestamp", labels=["a"])
    stamped.add_metric(["x"], 1.0, timestamp=Timestamp(12, 500))
    created = CounterMetricFamily("made", "a created sample", labels=["a"], created=1.5)
    created.add_metric(["x"], 3.0, created=100.0)
    for family in (stamped, created):
        built = odd(family)
        assert ExpositionWriter().render(built, openmetrics=openmetrics) == theirs(
            built, openmetrics
        )
    if openmetrics:
        empty = UnknownMetricFamily("empty", "no value")
        empty.samples.append(Sample("empty", {}, None))  # type: ignore[arg-type]
        assert ExpositionWriter().render(odd(empty), openmetrics=True) == theirs(odd(empty), True)


def test_the_sample_cache_stays_bounded_as_labels_come_and_go() -> None:
    writer = ExpositionWriter()
    writer.max_cached = 100
    for scrape in range(50):
        family = GaugeMetricFamily("g", "h", labels=["cmd"])
        for i in range(20):
            family.add_metric([f"cmd{scrape}-{i}"], i)
        text = writer.write([family], openmetrics=False)
        assert text == generate_latest(registry_of([family]))
        assert len(writer._labels) <= 120
