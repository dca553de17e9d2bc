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
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TypeVarTuple

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
_Args = TypeVarTuple("_Args")
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


def _headers(name: str) -> tuple[str, str]:
    """The ``# HELP`` and ``# TYPE`` lines of a catalogued family: text format, OpenMetrics (as
    prometheus_client's encoders write them for its metric family)."""
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
        f"# HELP {exposed} {text}\n# TYPE {exposed} {text_type}\n",
        f"# HELP {family.name} {escape(help_text)}\n# TYPE {family.name} {family.type}\n",
    )


#: Each catalogued family's header lines. All ASCII (the catalogue's tests see to it), like
#: most label values: the exposition is joined into one string and encoded once, which is a
#: compact (one byte a character) string while no character needs more.
HEADERS: dict[str, tuple[str, str]] = {name: _headers(name) for name in BY_NAME}


#: Each label-name set of a catalogued family, numbered: a label set's number is found once,
#: with its text, so a sample's label names are checked by comparing two ints.
_SCHEMAS: dict[frozenset[str], int] = {}
for _names in LABEL_NAMES.values():
    _SCHEMAS.setdefault(_names, len(_SCHEMAS))
#: Each catalogued name's label-name set's number.
SCHEMA: dict[str, int] = {name: _SCHEMAS[names] for name, names in LABEL_NAMES.items()}
#: What a group of samples (:meth:`Samples.add_group`) wrote: how many samples, and per family
#: its lines, joined.
Written = tuple[int, tuple[tuple[str, str], ...]]


class Exposition(Samples):
    """A sink for one scrape's samples that writes each as its line at once.

    ``label_texts`` maps a label set (its items, in the order given) to its ``{…} ``, and
    ``groups`` a group of samples (:meth:`add_group`'s function and arguments) to what it
    wrote; both are shared between scrapes (:class:`ExpositionWriter` bounds them).
    """

    def __init__(
        self, label_texts: dict[LabelKey, str], groups: dict[Hashable, Written] | None = None
    ) -> None:
        self._label_texts = label_texts
        self._groups: dict[Hashable, Written] = {} if groups is None else groups
        # id(labels) → (labels, text, number of its label names), for this scrape: the dict is
        # kept, so its id is not reused by another while the entry lives.
        self._seen: dict[int, tuple[Mapping[str, str], str, int]] = {}
        self._lines: defaultdict[str, list[str]] = defaultdict(list)
        self.samples = 0  # written, kept groups' included
        self.groups = 0  # add_group calls

    def add_sample(self, name: str, labels: dict[str, str], value: float | None) -> None:
        if value is None:
            return
        _, text, schema = self._label_set(labels)
        if SCHEMA[name] != schema:
            refuse(name, labels)
        self._line(name, name, text, float(value))

    def add_samples(
        self, labels: dict[str, str], samples: Iterable[tuple[str, float | None]]
    ) -> None:
        _, text, schema = self._label_set(labels)
        lines, added = self._lines, 0
        for name, value in samples:
            if value is None:
                continue
            if SCHEMA[name] != schema:
                refuse(name, labels)
            value = float(value)
            added += 1
            if -1e300 < value < 1e6:  # floatToGoString's own answer here: no exponent, Inf, NaN
                lines[name].append(f"{name}{text}{value!r}\n")
            else:
                lines[name].append(f"{name}{text}{go_float(value)}\n")
        self.samples += added

    def add_group(self, write: Callable[[Samples, *_Args], None], *args: *_Args) -> None:
        self.groups += 1
        key = (write, args)
        written = self._groups.get(key)
        if written is None:
            outer, before = self._lines, self.samples
            self._lines = defaultdict(list)
            try:
                write(self, *args)
                lines = tuple((family, "".join(text)) for family, text in self._lines.items())
                written = self._groups[key] = (self.samples - before, lines)
            finally:
                self._lines, self.samples = outer, before
        self.samples += written[0]
        for family, text in written[1]:
            self._lines[family].append(text)

    def _sample(self, family: str, name: str, labels: dict[str, str], value: float) -> None:
        self._line(family, name, self._label_set(labels)[1], value)

    def _derived(
        self, family: str, name: str, labels: dict[str, str], label: str, text: str, value: float
    ) -> None:
        base = self._label_set(labels)[1]
        key = (base, label, text)  # a key no label set's items can equal
        derived = self._label_texts.get(key)
        if derived is None:
            derived = self._label_texts[key] = self._text({**labels, label: text})
        self._line(family, name, derived, value)

    def _line(self, family: str, name: str, text: str, value: float) -> None:
        self.samples += 1
        if -1e300 < value < 1e6:
            self._lines[family].append(f"{name}{text}{value!r}\n")
        else:
            self._lines[family].append(f"{name}{text}{go_float(value)}\n")

    def _label_set(self, labels: Mapping[str, str]) -> tuple[Mapping[str, str], str, int]:
        """What this scrape remembers of ``labels`` (found once per dict): itself, its text,
        the number of its label names."""
        seen = self._seen.get(id(labels))
        if seen is None:
            text, schema = self._text(labels), _SCHEMAS.get(frozenset(labels), -1)
            seen = self._seen[id(labels)] = (labels, text, schema)
        return seen

    def _text(self, labels: Mapping[str, str]) -> str:
        """``{label="value",…} `` (sorted by name, values escaped), or `` `` without labels."""
        items = tuple(labels.items())
        text = self._label_texts.get(items)
        if text is None:
            pairs = ",".join(f'{label}="{escape(value)}"' for label, value in sorted(items))
            text = self._label_texts[items] = f"{{{pairs}}} " if pairs else " "
        return text


def write(parts: Sequence[Exposition], *, openmetrics: bool) -> bytes:
    """The exposition of ``parts`` (the targets', then the rest): every family once, in
    catalogue order, with its header lines, then its lines from each part in turn."""
    which = 1 if openmetrics else 0
    merged: defaultdict[str, list[list[str]]] = defaultdict(list)
    for part in parts:
        for family, lines in part._lines.items():
            merged[family].append(lines)
    out: list[str] = []
    for family in sorted(merged, key=catalogue_order):
        out.append(HEADERS[family][which])
        for lines in merged[family]:
            out += lines
    if openmetrics:
        out.append("# EOF\n")
    return "".join(out).encode()


class ExpositionWriter:
    """Writes collections in the format negotiated; keeps the label sets' text, and what the
    groups of samples wrote, between scrapes.

    One per server (not shared between threads). The label-set cache is emptied when it grows
    past :attr:`max_cached` entries or four times a scrape's samples, whichever is more
    (targets, commands and masters come and go). The groups kept are the last written, at most
    twice as many as the largest scrape so far used (at least :attr:`min_groups`): a command run
    since the last scrape is a new group, and its old one is dropped in time.
    """

    max_cached = 20_000
    min_groups = 256

    def __init__(self) -> None:
        self._label_texts: dict[LabelKey, str] = {}
        self._groups: dict[Hashable, Written] = {}
        self._most_groups = 0  # the most groups one scrape used so far
        self._event_parts: dict[str, tuple[EventSnapshot, EventMasters, Exposition]] = {}

    @property
    def cached_label_sets(self) -> int:
        return len(self._label_texts)

    @property
    def cached_groups(self) -> int:
        return len(self._groups)

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
        return Exposition(self._label_texts, self._groups)

    def finish(self, parts: Sequence[Exposition], *, openmetrics: bool) -> bytes:
        """The bytes of ``parts``; the caches trimmed."""
        samples = sum(part.samples for part in parts)
        if len(self._label_texts) > max(self.max_cached, 4 * samples):
            self._label_texts.clear()
        groups = self._groups
        self._most_groups = max(self._most_groups, sum(part.groups for part in parts))
        limit = max(self.min_groups, 2 * self._most_groups)
        if len(groups) > limit:  # the oldest written go first
            for key in list(itertools.islice(groups, len(groups) - limit)):
                del groups[key]
        return write(parts, openmetrics=openmetrics)


def openmetrics_generate_latest(registry: object) -> bytes:
    """prometheus_client's OpenMetrics 1.0.0 encoder (untyped there)."""
    return bytes(openmetrics.generate_latest(registry))  # type: ignore[no-untyped-call]
