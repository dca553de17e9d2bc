"""State built from one Sentinel's event stream: counters, failover tracker, recent events.

Pure: no I/O, no asyncio, no clock (``now`` is always passed in, as Unix seconds, e.g.
``time.time()``), no locks (one instance is written and read from the same event loop).
One ``EventState`` per Sentinel target.

Writers (the subscriber task): ``apply()`` for each parsed event (``apply_all()`` for the
events of one read), ``record_parse_error()`` for each message ``parse_event()`` rejected,
``mark_connected()`` / ``mark_disconnected()`` around each subscription, ``reconcile()`` with
``SENTINEL MASTERS`` after each (re)connection, and ``rebaseline()`` with ``SENTINEL MASTERS``
whenever ``needs_rebaseline`` says so.
Readers (the scrape path, ``/events``): ``snapshot()`` and ``recent()``.

Failover accounting, per master:

* A failover starts at ``+try-failover`` (restarting any earlier start) or at the first
  ``+failover-state-*`` when no start is known (only the leader Sentinel publishes these).
  That is when Sentinel sets the master's ``failover_in_progress`` flag, which
  ``+failover-end``, ``+switch-master``, ``-failover-abort-*``, ``+reset-master`` and
  ``-monitor`` clear again: ``failovers_in_progress`` holds the start of every failover in
  progress, for ``redis_sentinel_failover_started_timestamp_seconds``.
* Its duration is observed at the first of ``+failover-end`` / ``+switch-master`` (the leader
  publishes ``+failover-end`` just before its ``+switch-master``), when a start is known from
  the stream itself.
* It is counted once per ``+switch-master`` (every Sentinel publishes one), which also sets the
  last failover time and the master's known address; the master's new config epoch is not in
  the event, so ``needs_rebaseline`` asks the subscriber to read ``SENTINEL MASTERS`` again
  and ``rebaseline()`` records it (counting nothing: the stream is up, it sees every failover).
* ``-failover-abort-*`` clears the start without counting.  ``+failover-end-for-timeout`` does
  not: in sentinel.c it is always followed by ``+failover-end`` and ``+switch-master`` (the
  failover completes even though some replicas were not reconfigured in time).
* ``mark_disconnected()`` clears every start (events of the gap are lost; a start carried over
  the gap would give a wrong duration).
* ``reconcile()`` counts a failover the stream missed: the master's config epoch grew since
  the last one known (Sentinel sets it on every completed failover, and only then), whether
  its address changed (A -> B) or not (A -> B -> A: two failovers, counted as one — at least
  one, never more than happened).  Such a failover is counted in ``failovers`` (not in
  ``events``: no event was received), gets ``last_failover`` = the reconcile time, and appears
  in ``recent()`` as a ``+switch-master`` entry with ``reconciled: True`` and an empty payload.
  If the ``+switch-master`` of that very failover still arrives afterwards on the same
  connection (it was in flight while ``SENTINEL MASTERS`` was read), it is not counted a second
  time.  A master flagged ``failover_in_progress`` without a known start gets the reconcile
  time as its start: the failover is at least that old, never younger.

Bounded memory: ``events`` keys are (master_name, label) with label in ``KNOWN_EVENTS`` or
``other`` and master_name among the masters seen in known events or in ``reconcile()``
(at most ``max_masters`` of them, further ones are counted under master_name "") plus "" for
events without a master: at most (max_masters + 1) x (len(KNOWN_EVENTS) + 1) keys.  Unknown
events name a master only if it is already known, so garbage cannot add keys.  A master the
Sentinel stops monitoring (``-monitor``, or absent from ``SENTINEL MASTERS`` at a reconcile) is
forgotten with all its counters and frees its place, so masters renamed, removed and added over
the exporter's life never fill the ``max_masters`` places.  The failover maps hold at most one
entry per known master; the ring holds ``ring_size`` events.
``apply()`` is O(1) apart from a histogram bisect on failover ends, and a scan of the counters
when a master is forgotten.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from ..parse.events import KNOWN_EVENTS, OTHER, SentinelEvent, parse_event

__all__ = [
    "DEFAULT_FAILOVER_BUCKETS",
    "DurationHistogram",
    "EventSnapshot",
    "EventState",
    "MasterView",
]

DEFAULT_FAILOVER_BUCKETS: tuple[float, ...] = (
    1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0,
)  # fmt: skip
"""Upper bounds (seconds) of the failover duration histogram; ``+Inf`` is implied."""


@dataclass(frozen=True, slots=True)
class DurationHistogram:
    """Failover durations of one master, ready for a Prometheus histogram.

    ``buckets`` are cumulative ``(upper_bound, count)`` pairs ending with ``(math.inf, count)``
    (``HistogramMetricFamily(buckets=[(str(le) / "+Inf", n), ...], sum_value=sum)``).
    """

    buckets: tuple[tuple[float, int], ...]
    sum: float
    count: int


@dataclass(frozen=True, slots=True)
class EventSnapshot:
    """A consistent, immutable copy of everything the metrics need.

    ``events`` maps (master_name, event label) to a count; ``failovers``/``last_failover``/
    ``durations`` are keyed by master name; ``failovers_in_progress`` maps master name to the
    start time of the failover in progress (the reconcile time when it began before the stream
    was (re)connected).
    """

    events: Mapping[tuple[str, str], int]
    parse_errors: int
    failovers: Mapping[str, int]
    reconciled_failovers: Mapping[str, int]
    last_failover: Mapping[str, float]
    durations: Mapping[str, DurationHistogram]
    failovers_in_progress: Mapping[str, float]
    stream_up: bool
    reconnects: int


class _Histogram:
    __slots__ = ("bounds", "count", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # per bucket, not cumulative; last is +Inf
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value
        self.count += 1

    def freeze(self) -> DurationHistogram:
        running = 0
        cumulative: list[tuple[float, int]] = []
        for bound, n in zip((*self.bounds, math.inf), self.counts, strict=True):
            running += n
            cumulative.append((bound, running))
        return DurationHistogram(tuple(cumulative), self.total, self.count)


#: (time, channel, payload, None) as the event arrived, parsed again by ``recent()`` (that
#: costs the reader, not each event of a flood), or (time, channel, "", its fields) for a
#: failover ``reconcile()`` found. Plain tuples of strings and numbers, which the garbage
#: collector stops tracking, where a ring of named tuples (a tuple subclass stays tracked)
#: made every full collection walk the whole ring (some 50 ms for 100 000 events).
_RingEntry = tuple[float, str, str, tuple[Any, ...] | None]


#: The events that move the failover tracker (the second half of ``apply()``); in a flood of
#: others (``+sdown``, ``+new-epoch``), one set look-up passes them by.
_TRACKED = frozenset(
    name
    for name in KNOWN_EVENTS
    if name in ("+try-failover", "+failover-end", "+switch-master", "+reset-master", "-monitor")
    or name.startswith(("+failover-state-", "-failover-abort-"))
)


class MasterView(NamedTuple):
    """What ``SENTINEL MASTERS`` says of one master, as ``reconcile()`` reads it."""

    address: str  # format_address(ip, port)
    config_epoch: int
    failover_in_progress: bool = False


class EventState:
    """Counters, failover tracker and recent-events ring of one Sentinel's event stream."""

    def __init__(
        self,
        ring_size: int = 100,
        *,
        buckets: Sequence[float] = DEFAULT_FAILOVER_BUCKETS,
        max_masters: int = 1024,
    ) -> None:
        if ring_size < 1:
            raise ValueError("ring_size must be at least 1")
        if max_masters < 1:
            raise ValueError("max_masters must be at least 1")
        bounds = tuple(float(b) for b in buckets)
        if (
            not bounds
            or any(not math.isfinite(b) for b in bounds)
            or any(a >= b for a, b in itertools.pairwise(bounds))
        ):
            raise ValueError("buckets must be finite and strictly increasing")
        self._bounds = bounds
        self._max_masters = max_masters
        self._masters: set[str] = set()
        self._events: dict[tuple[str, str], int] = {}
        self._parse_errors = 0
        self._failovers: dict[str, int] = {}
        self._reconciled: dict[str, int] = {}
        self._last_failover: dict[str, float] = {}
        self._durations: dict[str, _Histogram] = {}
        self._started: dict[str, float] = {}
        self._timed: set[str] = set()  # masters whose start came from the stream: durations
        self._known: dict[str, tuple[str, int | None]] = {}  # master -> (address, config epoch)
        self._pending: dict[str, tuple[str, str]] = {}  # master -> reconciled (old, new) address
        self._stale_epochs: set[str] = set()  # switched live: config epoch not known yet
        self._ring: deque[_RingEntry] = deque(maxlen=ring_size)
        self._stream_up = False
        self._ever_connected = False
        self._reconnects = 0
        self._version = 0
        self._snapshot: EventSnapshot | None = None
        self._snapshot_version = -1

    # --- writers ------------------------------------------------------------------------

    def apply(self, event: SentinelEvent, now: float) -> None:
        """Count one event of ``parse_event()`` and update the failover tracker and the ring."""
        self.apply_all((event,), now)

    def apply_all(self, events: Iterable[SentinelEvent], now: float) -> None:
        """Count ``events`` of ``parse_event()`` in order, all at ``now``, and update the failover
        tracker and the ring: one change, so a scrape sees all of them or none (the subscriber
        counts what one read brought at once).

        A known event makes its master tracked (up to ``max_masters``); an unknown one is
        counted under its master only if that master is tracked already.
        """
        counts, ring, masters = self._events, self._ring, self._masters
        for event in events:
            name, known, master = event.event, event.known, event.master_name
            if master and master not in masters:
                master = self._admit(master) if known else ""
            key = (master, name if known else OTHER)
            counts[key] = counts.get(key, 0) + 1
            ring.append((now, name, event.payload, None))
            if known and master and name in _TRACKED:
                self._track(name, master, event, now)
        self._version += 1

    def _track(self, name: str, master: str, event: SentinelEvent, now: float) -> None:
        """The failover tracker's part of a known event ``name`` (of ``_TRACKED``) on ``master``."""
        if name == "+try-failover":
            self._start(master, now)
        elif name.startswith("+failover-state-"):
            if master not in self._started:
                self._start(master, now)
        elif name == "+failover-end":
            self._finish(master, now)
        elif name == "+switch-master":
            self._switch(master, event, now)
        elif name.startswith("-failover-abort-") or name == "+reset-master":
            self._stop(master)
        elif name == "-monitor":
            self._forget(master)

    def record_parse_error(self) -> None:
        """Count one message that ``parse_event()`` rejected."""
        self._parse_errors += 1
        self._version += 1

    def mark_connected(self, now: float) -> None:
        """The subscription is (re-)established; every connection after the first counts.

        Called while already up (the loss went unnoticed), it also does what
        ``mark_disconnected()`` does.
        """
        if self._stream_up:
            self.mark_disconnected(now)
        if self._ever_connected:
            self._reconnects += 1
        self._ever_connected = True
        self._stream_up = True
        self._version += 1

    def mark_disconnected(self, now: float) -> None:
        """The subscription is lost: stream down, failover starts and in-flight marks dropped."""
        self._stream_up = False
        self._started.clear()
        self._timed.clear()
        self._pending.clear()
        self._version += 1

    def reconcile(self, masters: Mapping[str, MasterView], now: float) -> list[str]:
        """Compare ``SENTINEL MASTERS`` with what the stream told us; count missed failovers.

        ``masters`` maps every monitored master name to its :class:`MasterView`.  A master whose
        config epoch grew since the last one known (previous reconcile or rebaseline) is counted
        as one failover; its name is returned.  A master seen for the first time only sets the
        baseline.  Masters no longer listed are forgotten, counters and all.
        """
        reconciled: list[str] = []
        for name, (address, epoch, in_progress) in masters.items():
            master = self._admit(name)
            if master != name:
                continue  # beyond max_masters: not tracked
            previous = self._known.get(name)
            if previous is not None:
                old_address, old_epoch = previous
                if old_epoch is not None and epoch > old_epoch:
                    self._count_failover(name, now)
                    self._reconciled[name] = self._reconciled.get(name, 0) + 1
                    self._pending[name] = (old_address, address)
                    synthetic = SentinelEvent(
                        "+switch-master",
                        "",
                        True,
                        master_name=name,
                        master_address=address,
                        old_address=old_address,
                        new_address=address,
                    )
                    self._ring.append((now, "+switch-master", "", tuple(synthetic)))
                    reconciled.append(name)
            self._known[name] = (address, epoch)
            self._stale_epochs.discard(name)
            if not in_progress:
                self._stop(name)
            elif name not in self._started:
                self._started[name] = now  # begun before we listened: at least this old
        for name in [n for n in self._masters if n not in masters]:
            self._forget(name)
        self._version += 1
        return reconciled

    @property
    def needs_rebaseline(self) -> bool:
        """Whether a ``+switch-master`` left a master's config epoch unknown."""
        return bool(self._stale_epochs)

    def rebaseline(self, masters: Mapping[str, MasterView]) -> None:
        """Record the config epochs of ``SENTINEL MASTERS`` read after a live
        ``+switch-master``, so that a failover in a later gap is recognised by its epoch
        (A -> B live, then B -> A -> B unseen).  Counts nothing: while the stream is up every
        failover comes as an event, possibly after this reply, and is counted then."""
        for name in self._stale_epochs:
            view = masters.get(name)
            if view is not None:
                self._known[name] = (view.address, view.config_epoch)
        self._stale_epochs.clear()

    # --- readers ------------------------------------------------------------------------

    def snapshot(self) -> EventSnapshot:
        """An immutable copy of the counters; cached until the next change."""
        if self._snapshot is not None and self._snapshot_version == self._version:
            return self._snapshot
        snap = EventSnapshot(
            events=MappingProxyType(dict(self._events)),
            parse_errors=self._parse_errors,
            failovers=MappingProxyType(dict(self._failovers)),
            reconciled_failovers=MappingProxyType(dict(self._reconciled)),
            last_failover=MappingProxyType(dict(self._last_failover)),
            durations=MappingProxyType({m: h.freeze() for m, h in self._durations.items()}),
            failovers_in_progress=MappingProxyType(dict(self._started)),
            stream_up=self._stream_up,
            reconnects=self._reconnects,
        )
        self._snapshot, self._snapshot_version = snap, self._version
        return snap

    def recent(self) -> list[dict[str, object]]:
        """The ring, newest first, as JSON-ready dicts (fresh copies)."""
        recent: list[dict[str, object]] = []
        for when, channel, payload, reconciled in reversed(self._ring):
            if reconciled is None:
                ev = parse_event(channel, payload)
            else:
                ev = SentinelEvent._make(reconciled)
            recent.append(
                {
                    "time": when,
                    "event": ev.event,
                    "known": ev.known,
                    "master_name": ev.master_name,
                    "master_address": ev.master_address,
                    "instance_type": ev.instance_type,
                    "instance_name": ev.instance_name,
                    "instance_address": ev.instance_address,
                    "old_address": ev.old_address,
                    "new_address": ev.new_address,
                    "payload": ev.payload,
                    "reconciled": reconciled is not None,
                }
            )
        return recent

    @property
    def stream_up(self) -> bool:
        return self._stream_up

    # --- internals ----------------------------------------------------------------------

    def _admit(self, master: str) -> str:
        """``master`` if it is or can become a tracked master, else "" (over max_masters)."""
        if master in self._masters:
            return master
        if len(self._masters) >= self._max_masters:
            return ""
        self._masters.add(master)
        return master

    def _start(self, master: str, now: float) -> None:
        self._started[master] = now
        self._timed.add(master)

    def _stop(self, master: str) -> None:
        self._started.pop(master, None)
        self._timed.discard(master)

    def _finish(self, master: str, now: float) -> None:
        timed = master in self._timed
        started = self._started.get(master)
        self._stop(master)
        if started is None or not timed:
            return
        histogram = self._durations.get(master)
        if histogram is None:
            histogram = self._durations[master] = _Histogram(self._bounds)
        histogram.observe(max(0.0, now - started))

    def _count_failover(self, master: str, now: float) -> None:
        self._failovers[master] = self._failovers.get(master, 0) + 1
        self._last_failover[master] = now

    def _switch(self, master: str, event: SentinelEvent, now: float) -> None:
        self._finish(master, now)
        pending = self._pending.pop(master, None)
        if pending != (event.old_address, event.new_address):
            self._count_failover(master, now)
        self._known[master] = (event.new_address, None)
        self._stale_epochs.add(master)

    def _forget(self, master: str) -> None:
        """Drop everything about a master the Sentinel no longer monitors; frees its place."""
        self._masters.discard(master)
        for key in [k for k in self._events if k[0] == master]:
            del self._events[key]
        for table in (
            self._failovers,
            self._reconciled,
            self._last_failover,
            self._durations,
            self._known,
            self._pending,
        ):
            table.pop(master, None)
        self._stop(master)
        self._stale_epochs.discard(master)
