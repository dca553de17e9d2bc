"""The exposition: a collection's samples → the bytes of a scrape, exactly as prometheus_client's
encoders write them for the same families, for a fraction of their CPU.

prometheus_client keeps the say on content negotiation (``choose_encoder``): what it picks for
the ``Accept`` header is what is sent. When it picks the text format or OpenMetrics 1.0.0 with
names escaped as underscores or kept as UTF-8 (what Prometheus 2 and 3 ask for), the lines are
written here, straight from the samples the families code puts into an :class:`Exposition`;
for anything else (other escapings, other versions) the families are built
(:func:`~redis_ha_exporter.families.build_families`) and its encoder writes them. The tests
check the two agree byte for byte, on the golden expositions and on generated samples with
awkward label values and numbers::

    writer = ExpositionWriter()
    render, content_type = writer.negotiate(request.headers.get("Accept", ""))
    body = render(collection, events)   # bytes

Where the time went in prometheus_client (0.26, 355 samples of one Redis): a metric family
object per name, a ``Sample`` tuple per sample, a sorted label list and three ``str.replace``
calls per label value and, in OpenMetrics, a per-character check of every sample name, on every
sample of every scrape. Here each catalogued family's ``# HELP``/``# TYPE`` lines are written
once, at import; each label set's ``{…}`` once while it recurs (between two scrapes only the
values change, and samples with the same labels share one dict); so a sample costs a look-up
and its value's formatting (prometheus_client's ``floatToGoString``, or ``repr`` where that is
what it returns).

The work is spread over the scrape: each target's samples are written when it answers
(:meth:`ExpositionWriter.prepare`, run by the scraper), so a hundred targets are written while
the slowest is awaited; a Sentinel's event-stream samples are kept while its events do not
change; the parts are joined per family, in target order, once the last target is in.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

from prometheus_client.exposition import choose_encoder, generate_latest
from prometheus_client.openmetrics import exposition as openmetrics
from prometheus_client.utils import floatToGoString

from redis_ha_exporter.catalogue import BY_NAME
from redis_ha_exporter.events.state import EventSnapshot
from redis_ha_exporter.families import (
    LABEL_NAMES,
    PROTOTYPES,
    EventMasters,
    Samples,
    add_events,
    add_own,
    add_target,
    build_families,
    catalogue_order,
    event_masters,
    refuse,
    registry_of,
)
from redis_ha_exporter.snapshot import Collection, TargetSnapshot

Events = Mapping[str, EventSnapshot] | None
#: A label set's items, or (a label set's text, one more label, its value): what the cache of
#: label texts is keyed by.
LabelKey = tuple[tuple[str, str], ...] | tuple[str, str, str]
Render = Callable[[Collection, Events], bytes]
#: prometheus_client's float formatting (Go's), typed.
go_float: Callable[[float], str] = floatToGoString

#: Names whose escaping is the identity in both formats and under both escapings written here
#: (no ``:``, which OpenMetrics sample lines turn into ``_``; no reserved ``__`` label name,
#: which UTF-8 escaping quotes). Every catalogued name is one: checked below, at import.
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


def escape(value: str) -> str:
    """A label value (or OpenMetrics help text) escaped: backslash, newline, double quote."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _headers(name: str) -> tuple[bytes, bytes]:
    """The ``# HELP`` and ``# TYPE`` lines of a catalogued family, encoded: text format,
    OpenMetrics (as prometheus_client's encoders write them for its metric family)."""
    family = PROTOTYPES[name]
    labels = (*BY_NAME[name].labels, "le", "quantile")
    if METRIC_NAME.fullmatch(family.name) is None or family.unit:
        raise ValueError(f"{name}: not a name the exposition writes as it is")
    for label in labels:
        if LABEL_NAME.fullmatch(label) is None:
            raise ValueError(f"{name}: label {label!r} is not written as it is")
    suffix, text_type = _TEXT_TYPES.get(family.type, ("", family.type))
    exposed, help_text = family.name + suffix, family.documentation
    text = help_text.replace("\\", "\\\\").replace("\n", "\\n")
    return (
        f"# HELP {exposed} {text}\n# TYPE {exposed} {text_type}\n".encode(),
        f"# HELP {family.name} {escape(help_text)}\n# TYPE {family.name} {family.type}\n".encode(),
    )


#: Each catalogued family's header lines, encoded: a help text may hold non-ASCII, and one such
#: character in a joined str would make the whole exposition a wide string to transcode.
HEADERS: dict[str, tuple[bytes, bytes]] = {name: _headers(name) for name in BY_NAME}


class Exposition(Samples):
    """A sink for one scrape's samples that writes each as its line at once.

    ``label_texts`` maps a label set (its items, in the order given) to its ``{…} ``; it is
    shared between scrapes (:class:`ExpositionWriter` bounds it).
    """

    def __init__(self, label_texts: dict[LabelKey, str]) -> None:
        self._label_texts = label_texts
        # id(labels) → (labels, text), for this scrape: the dict is kept, so its id is not
        # reused by another while the entry lives.
        self._seen: dict[int, tuple[Mapping[str, str], str]] = {}
        self._lines: defaultdict[str, list[str]] = defaultdict(list)

    def add_sample(self, name: str, labels: dict[str, str], value: float | None) -> None:
        if value is None:
            return
        if labels.keys() != LABEL_NAMES[name]:
            refuse(name, labels)
        seen = self._seen.get(id(labels))
        text = self._text(labels) if seen is None else seen[1]
        value = float(value)
        if -1e300 < value < 1e6:  # floatToGoString's own answer here: no exponent, Inf, NaN
            self._lines[name].append(f"{name}{text}{value!r}\n")
        else:
            self._lines[name].append(f"{name}{text}{go_float(value)}\n")

    def add_samples(
        self, labels: dict[str, str], samples: Iterable[tuple[str, float | None]]
    ) -> None:
        seen = self._seen.get(id(labels))
        text = self._text(labels) if seen is None else seen[1]
        keys, lines = labels.keys(), self._lines
        for name, value in samples:
            if value is None:
                continue
            if keys != LABEL_NAMES[name]:
                refuse(name, labels)
            value = float(value)
            if -1e300 < value < 1e6:
                lines[name].append(f"{name}{text}{value!r}\n")
            else:
                lines[name].append(f"{name}{text}{go_float(value)}\n")

    def _sample(self, family: str, name: str, labels: dict[str, str], value: float) -> None:
        seen = self._seen.get(id(labels))
        self._line(family, name, self._text(labels) if seen is None else seen[1], value)

    def _derived(
        self, family: str, name: str, labels: dict[str, str], label: str, text: str, value: float
    ) -> None:
        seen = self._seen.get(id(labels))
        base = self._text(labels) if seen is None else seen[1]
        key = (base, label, text)  # a key no label set's items can equal
        derived = self._label_texts.get(key)
        if derived is None:
            derived = self._label_texts[key] = self._text({**labels, label: text})
        self._line(family, name, derived, value)

    def _line(self, family: str, name: str, text: str, value: float) -> None:
        if -1e300 < value < 1e6:
            self._lines[family].append(f"{name}{text}{value!r}\n")
        else:
            self._lines[family].append(f"{name}{text}{go_float(value)}\n")

    def _text(self, labels: Mapping[str, str]) -> str:
        """``{label="value",…} `` (sorted by name, values escaped), or `` `` without labels."""
        items = tuple(labels.items())
        text = self._label_texts.get(items)
        if text is None:
            pairs = ",".join(f'{label}="{escape(value)}"' for label, value in sorted(items))
            text = self._label_texts[items] = f"{{{pairs}}} " if pairs else " "
        self._seen[id(labels)] = (labels, text)
        return text

    @property
    def samples(self) -> int:
        return sum(len(lines) for lines in self._lines.values())


def write(parts: Sequence[Exposition], *, openmetrics: bool) -> bytes:
    """The exposition of ``parts`` (the targets', then the rest): every family once, in
    catalogue order, with its header lines, then its lines from each part in turn."""
    which = 1 if openmetrics else 0
    tables = [part._lines for part in parts]
    out: list[bytes] = []
    for family in sorted(set().union(*tables), key=catalogue_order):
        out.append(HEADERS[family][which])
        for table in tables:
            lines = table.get(family)
            if lines:
                out.append("".join(lines).encode())
    if openmetrics:
        out.append(b"# EOF\n")
    return b"".join(out)


class ExpositionWriter:
    """Writes collections in the format negotiated; keeps the label sets' text between scrapes.

    One per server (not shared between threads). The label-set cache is emptied when it grows
    past :attr:`max_cached` entries or four times a scrape's samples, whichever is more
    (targets, commands and masters come and go).
    """

    max_cached = 20_000

    def __init__(self) -> None:
        self._label_texts: dict[LabelKey, str] = {}
        self._event_parts: dict[str, tuple[EventSnapshot, EventMasters, Exposition]] = {}

    @property
    def cached_label_sets(self) -> int:
        return len(self._label_texts)

    def negotiate(self, accept: str) -> tuple[Render, str]:
        """The renderer and content type for an ``Accept`` header, as prometheus_client
        negotiates them (``choose_encoder``)."""
        encoder, content_type = choose_encoder(accept)
        if encoder is generate_latest:
            return functools.partial(self.render, openmetrics=False), content_type
        if isinstance(encoder, functools.partial) and not encoder.args:
            escaping = encoder.keywords.get("escaping")
            version = encoder.keywords.get("version")
            if escaping in _PLAIN_ESCAPINGS:
                if encoder.func is generate_latest and version is None:
                    return functools.partial(self.render, openmetrics=False), content_type
                if encoder.func is openmetrics.generate_latest and version == "1.0.0":
                    return functools.partial(self.render, openmetrics=True), content_type

        def delegated(collection: Collection, events: Events = None) -> bytes:
            return bytes(encoder(registry_of(build_families(collection, events))))

        return delegated, content_type

    def prepare(self, snap: TargetSnapshot, dropped_total: int) -> Exposition:
        """One target's samples, written as soon as it is collected (the scraper's
        ``prepare``): meanwhile the slower targets are still awaited."""
        part = self.exposition()
        add_target(part, snap, dropped_total)
        return part

    def render(self, collection: Collection, events: Events = None, *, openmetrics: bool) -> bytes:
        """The text format (or OpenMetrics 1.0.0) of a collection and its event streams; the
        targets' samples as ``prepare`` wrote them, when it did."""
        parts = [p for p in collection.prepared if isinstance(p, Exposition)]
        if len(parts) != len(collection.targets):
            parts = [self.exposition()]
            for snap in collection.targets:
                add_target(parts[0], snap, collection.masters_dropped_total.get(snap.addr, 0))
        masters = event_masters(collection)
        for addr, snapshot in (events or {}).items():
            parts.append(self._events(addr, snapshot, masters.get(addr, (None, ()))))
        own = self.exposition()
        add_own(own, collection)
        return self.finish([*parts, own], openmetrics=openmetrics)

    def _events(self, addr: str, snapshot: EventSnapshot, masters: EventMasters) -> Exposition:
        """A Sentinel's event-stream samples: written again only when its event state (whose
        snapshot is the same object until it changes) or what its Sentinel says of its masters
        (which it monitors, which fail over) changed since the last scrape. With many masters
        they are the larger part of a scrape (a histogram each)."""
        kept = self._event_parts.get(addr)
        if kept is not None and kept[0] is snapshot and kept[1] == masters:
            return kept[2]
        part = self.exposition()
        add_events(part, addr, snapshot, masters)
        self._event_parts[addr] = (snapshot, masters, part)
        return part

    def exposition(self) -> Exposition:
        """A sink for samples."""
        return Exposition(self._label_texts)

    def finish(self, parts: Sequence[Exposition], *, openmetrics: bool) -> bytes:
        """The bytes of ``parts``; the label-set cache trimmed."""
        samples = sum(part.samples for part in parts)
        if len(self._label_texts) > max(self.max_cached, 4 * samples):
            self._label_texts.clear()
        return write(parts, openmetrics=openmetrics)


def openmetrics_generate_latest(registry: object) -> bytes:
    """prometheus_client's OpenMetrics 1.0.0 encoder (untyped there)."""
    return bytes(openmetrics.generate_latest(registry))  # type: ignore[no-untyped-call]
