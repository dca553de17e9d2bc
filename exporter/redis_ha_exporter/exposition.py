"""The exposition: metric families → the bytes of a scrape, exactly as prometheus_client's
encoders write them, for a fraction of their CPU.

prometheus_client keeps the say on content negotiation (``choose_encoder``): what it picks for
the ``Accept`` header is what is sent. When it picks the text format or OpenMetrics 1.0.0 with
names escaped as underscores or kept as UTF-8 (the formats Prometheus 2 and 3 ask for), the
bytes are written here; anything else (other escapings, other versions) is left to its encoder.
For families within :func:`ExpositionWriter.render`'s domain the bytes are the same as
prometheus_client's, which the tests check on every golden exposition and on generated families
with awkward label values and numbers::

    writer = ExpositionWriter()
    render, content_type = writer.negotiate(request.headers.get("Accept", ""))
    body = render(families)   # bytes

Where the time went in prometheus_client (0.26, 355 samples of one Redis): a sorted label
list, three ``str.replace`` calls per label value and, in OpenMetrics, a per-character
validity check of every sample name, on every sample of every scrape. Here each family's
``# HELP``/``# TYPE`` lines, each sample name's check and each label set's ``{…}`` are worked
out once and kept while they recur (between two scrapes only the values change), so a sample
costs a dictionary look-up and its value's formatting (prometheus_client's ``floatToGoString``,
or ``repr`` where that is what it returns).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence

from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder, generate_latest
from prometheus_client.openmetrics import exposition as openmetrics
from prometheus_client.utils import floatToGoString

from redis_ha_exporter.families import registry_of

Render = Callable[[Sequence[Metric]], bytes]
#: prometheus_client's float formatting (Go's), typed.
go_float: Callable[[float], str] = floatToGoString

#: Names whose escaping is the identity in both formats and under both escapings handled here
#: (no ``:``, which OpenMetrics sample lines turn into ``_``; no reserved ``__`` label name,
#: which UTF-8 escaping quotes). Every catalogued name is one (``tests/test_catalogue.py``).
METRIC_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
LABEL_NAME = re.compile(r"(?!__)[a-zA-Z_][a-zA-Z0-9_]*")
#: The escapings whose output, for names within the domain, is the names as they are.
_PLAIN_ESCAPINGS = (openmetrics.UNDERSCORES, openmetrics.ALLOWUTF8)
#: Text-format type names of the OpenMetrics types, and the suffix the family name gets.
_TEXT_TYPES = {
    "counter": ("_total", "counter"),
    "info": ("_info", "gauge"),
    "stateset": ("", "gauge"),
    "gaugehistogram": ("", "histogram"),
    "unknown": ("", "untyped"),
}
#: Samples the text format moves into a gauge family of their own (left to prometheus_client).
_MOVED_SUFFIXES = ("_created", "_gsum", "_gcount")


class Unsupported(Exception):
    """Families outside what :class:`ExpositionWriter` writes: prometheus_client encodes them."""


def _escape_value(value: str) -> str:
    """A label value (or OpenMetrics help text) escaped: backslash, newline, double quote."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class ExpositionWriter:
    """Writes the text format 0.0.4 and OpenMetrics 1.0.0; keeps what recurs between scrapes.

    One per server (the caches are not shared between threads). The cache of label sets holds
    what the last scrapes used and is emptied when it grows past :attr:`max_cached` entries or
    four times a scrape's samples, whichever is more (targets and commands come and go).
    """

    max_cached = 20_000

    def __init__(self) -> None:
        self._labels: dict[tuple[tuple[str, str], ...], str] = {}
        self._names: set[str] = set()
        self._headers: dict[tuple[bool, str, str, str, str], tuple[str, frozenset[str]]] = {}

    def negotiate(self, accept: str) -> tuple[Render, str]:
        """The renderer and content type for an ``Accept`` header, as prometheus_client
        negotiates them (``choose_encoder``)."""
        encoder, content_type = choose_encoder(accept)
        if encoder is generate_latest:
            return functools.partial(self.render, openmetrics=False), content_type
        if isinstance(encoder, functools.partial) and encoder.args == ():
            keywords = encoder.keywords
            escaping, version = keywords.get("escaping"), keywords.get("version")
            if escaping in _PLAIN_ESCAPINGS and encoder.func is generate_latest and not version:
                return functools.partial(self.render, openmetrics=False), content_type
            if (
                encoder.func is openmetrics.generate_latest
                and escaping in _PLAIN_ESCAPINGS
                and version == "1.0.0"
            ):
                return functools.partial(self.render, openmetrics=True), content_type

        def delegated(families: Sequence[Metric]) -> bytes:
            return bytes(encoder(registry_of(families)))

        return delegated, content_type

    def render(self, families: Sequence[Metric], *, openmetrics: bool) -> bytes:
        """``families`` in the text format (or OpenMetrics), byte for byte what
        prometheus_client writes. Families with a unit, samples with a timestamp, exemplar or
        native histogram or no value, and names outside :data:`METRIC_NAME` / :data:`LABEL_NAME` are
        handed to prometheus_client's encoder whole."""
        try:
            return self.write(families, openmetrics=openmetrics)
        except Unsupported:
            registry = registry_of(families)
            if openmetrics:
                return bytes(openmetrics_generate_latest(registry))
            return generate_latest(registry)

    def write(self, families: Sequence[Metric], *, openmetrics: bool) -> bytes:
        """What :meth:`render` writes itself; :class:`Unsupported` for anything else."""
        names, labels_text = self._names, self._labels_text
        # id(labels) → its text, for this call only: the samples keep their dicts alive, and
        # samples with the same labels often share one (FamilyBuilder.add_sample).
        seen: dict[int, str] = {}
        out: list[str] = []
        append = out.append
        count = 0
        for metric in families:
            header, moved = self._header(metric, openmetrics)
            append(header)
            count += len(metric.samples)
            for name, labels, value, timestamp, exemplar, native in metric.samples:
                if value is None or not (timestamp is None and exemplar is None and native is None):
                    raise Unsupported("no value, or a timestamp, exemplar or native histogram")
                if name not in names:
                    self._check_name(name)
                if name in moved:
                    raise Unsupported(f"{name}: a sample the text format moves")
                text = seen.get(id(labels))
                if text is None:
                    text = seen[id(labels)] = labels_text(labels)
                if value.__class__ is float and -1e300 < value < 1e6:
                    # floatToGoString's own answer in this range (no exponent, no Inf/NaN).
                    append(f"{name}{text}{value!r}\n")
                else:
                    append(f"{name}{text}{go_float(value)}\n")
        if openmetrics:
            append("# EOF\n")
        if len(self._labels) > max(self.max_cached, 4 * count):
            self._labels.clear()
        return "".join(out).encode()

    def _check_name(self, name: str) -> None:
        if METRIC_NAME.fullmatch(name) is None:
            raise Unsupported(f"sample name {name!r}")
        if len(self._names) > self.max_cached:
            self._names.clear()
        self._names.add(name)

    def _labels_text(self, labels: Mapping[str, str]) -> str:
        """``{label="value",…} `` (sorted by name, values escaped), or `` `` without labels."""
        items = tuple(labels.items())
        text = self._labels.get(items)
        if text is None:
            pairs = []
            for label, value in sorted(items):
                if LABEL_NAME.fullmatch(label) is None:
                    raise Unsupported(f"label name {label!r}")
                pairs.append(f'{label}="{_escape_value(value)}"')
            text = self._labels[items] = f"{{{','.join(pairs)}}} " if pairs else " "
        return text

    def _header(self, metric: Metric, om: bool) -> tuple[str, frozenset[str]]:
        """The ``# HELP`` and ``# TYPE`` lines of a family, and the sample names the text format
        moves out of it."""
        key = (om, metric.name, metric.type, metric.documentation, metric.unit)
        found = self._headers.get(key)
        if found is not None:
            return found
        name, typ, help_text = metric.name, metric.type, metric.documentation
        if metric.unit or METRIC_NAME.fullmatch(name) is None:
            raise Unsupported(f"family {name!r} (unit {metric.unit!r})")
        if om:
            header = f"# HELP {name} {_escape_value(help_text)}\n# TYPE {name} {typ}\n"
            moved: frozenset[str] = frozenset()
        else:
            suffix, text_type = _TEXT_TYPES.get(typ, ("", typ))
            exposed = name + suffix
            escaped = help_text.replace("\\", "\\\\").replace("\n", "\\n")
            header = f"# HELP {exposed} {escaped}\n# TYPE {exposed} {text_type}\n"
            moved = frozenset(name + s for s in _MOVED_SUFFIXES)
        if len(self._headers) > self.max_cached:
            self._headers.clear()
        self._headers[key] = (header, moved)
        return header, moved


def openmetrics_generate_latest(registry: object) -> bytes:
    """prometheus_client's OpenMetrics 1.0.0 encoder (untyped there)."""
    return bytes(openmetrics.generate_latest(registry))  # type: ignore[no-untyped-call]
