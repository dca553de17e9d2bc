"""The scrape path: every target concurrently, under one deadline, single flight.

fetch (I/O) → parse (pure) → :class:`~redis_ha_exporter.snapshot.TargetSnapshot`. A target that
fails, hangs, refuses auth or sends a reply the parsers reject (``TARGET_ERRORS``) yields
``up=False`` and a log line, and never delays the others. Any other exception is a bug of ours:
it fails the collection, so the scrape answers 500 and the log shows the traceback.

A Redis that refuses ``CONFIG``, ``SLOWLOG`` or ``LATENCY`` (renamed away, disabled, denied by an
ACL) is still up: only those commands' families are missing, and one line per target says so
when a command is first refused, not on every scrape (a warning when an ACL refused it, else at
debug level). A Sentinel whose ACL refuses a ``SENTINEL`` subcommand is up the same way, without
that subcommand's families. ``INFO`` refused is the one fatal refusal: without it there is no
role, no mode and nothing to export, so the target is ``redis_up 0``.

What one target reports is bounded twice over: no reply is read past
:data:`~redis_ha_exporter.fetch.client.MAX_REPLY_BYTES`, and no list in it (commands, error
kinds, databases, replicas, Sentinel peers) may hold more than
:data:`MAX_ENTRIES` entries. A target past either is down, with a log line saying which: a
broken or hostile server cannot make the exposition, or the time to build it, grow without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import redis.asyncio as aioredis
from redis.exceptions import NoPermissionError

from redis_ha_exporter.catalogue import CONFIG_FIELDS, INFO_FIELDS
from redis_ha_exporter.fetch.client import TARGET_ERRORS, make_client
from redis_ha_exporter.fetch.redis import RedisReplies, fetch_redis
from redis_ha_exporter.fetch.sentinel import (
    MasterReplies,
    SentinelOverview,
    fetch_masters,
    fetch_overview,
)
from redis_ha_exporter.logs import kv
from redis_ha_exporter.parse import ParseError
from redis_ha_exporter.parse.admin import (
    parse_config_numbers,
    parse_latency_latest,
    parse_slowlog_get,
    parse_slowlog_len,
)
from redis_ha_exporter.parse.info import (
    Replication,
    parse_info_fields,
    parse_info_sentinel,
    parse_replication,
    parse_server,
)
from redis_ha_exporter.parse.sentinel import (
    CkQuorum,
    SentinelMaster,
    parse_ckquorum,
    parse_sentinel_masters,
    parse_sentinel_sentinels,
    parse_sentinel_slaves,
)
from redis_ha_exporter.parse.stats import parse_instance_stats
from redis_ha_exporter.snapshot import (
    Collection,
    Instance,
    MonitoredMaster,
    SentinelState,
    TargetSnapshot,
)
from redis_ha_exporter.targets import Kind, Target

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: Work on a target's snapshot as soon as it is collected, given the running total of masters
#: its Sentinel dropped (the server writes the target's samples then, while slower targets
#: are still awaited); what it returns is kept in ``Collection.prepared``.
Prepare = Callable[[TargetSnapshot, int], object]

#: What ``CONFIG GET`` asks for: the number of databases (for the empty ones' zeros) and the
#: parameters exported as ``redis_config_*``.
CONFIG_PARAMETERS = ("databases", *CONFIG_FIELDS)
DEFAULT_CONFIG_COMMAND = "CONFIG"
#: Entries one list of a target's replies may hold: ten times what real servers report (Redis 7
#: knows some 400 commands and subcommands, keeps at most 128 error kinds and 16 databases by
#: default; a master has a few replicas).
MAX_ENTRIES = 4096


class TooManyEntries(ParseError):
    """A reply lists more than :data:`MAX_ENTRIES` of something."""


def check_entries(
    replication: Replication | None, instance: Instance | None, sentinel: SentinelState | None
) -> None:
    """Raise :class:`TooManyEntries` when a list of the target's parsed replies is too long."""
    counts: dict[str, int] = {}
    if replication is not None:
        counts["replicas"] = len(replication.replicas)
    if instance is not None:
        stats = instance.stats
        counts |= {
            "commands": len(stats.commands),
            "latency entries": len(stats.latencies),
            "error kinds": len(stats.errors),
            "databases": max(len(stats.keyspace), int((instance.config or {}).get("databases", 0))),
        }
    if sentinel is not None:  # the masters: --sentinel.max-masters
        for monitored in sentinel.masters:
            name = monitored.name
            counts[f"replicas of {name}"] = len(monitored.replicas or ())
            counts[f"Sentinels of {name}"] = len(monitored.peers or ())
    for what, count in counts.items():
        if count > MAX_ENTRIES:
            raise TooManyEntries(f"{count} {what[:80]}: more than {MAX_ENTRIES}")


def deadline_from_header(header: str | None, default: float) -> float:
    """Seconds to spend: Prometheus' ``X-Prometheus-Scrape-Timeout-Seconds`` less a margin
    (20 %, at most 0.5 s) for encoding, the network and a busy machine (an answer later than the
    timeout fails the whole scrape: seen 0.3 s past the deadline on a loaded two-core machine,
    where 30 ms is usual); ``default`` when absent or unusable
    (not a number, not positive, not finite: ``inf`` would let a hung target hold a scrape)."""
    try:
        budget = float(header) if header else default
    except ValueError:
        budget = default
    if not (budget > 0 and math.isfinite(budget)):
        budget = default
    return max(budget - min(0.5, budget * 0.2), 0.05)


def assemble_sentinel(
    overview: SentinelOverview,
    masters: Sequence[SentinelMaster] | None,
    details: Sequence[MasterReplies],
) -> SentinelState:
    """Parsed ``SENTINEL MASTERS`` (None: an ACL refused it, and the masters are the ``INFO
    sentinel`` lines) + the raw replies about the kept masters → SentinelState (pure; parse
    errors propagate). An error reply to ``SLAVES``/``SENTINELS``, and a ``NOPERM`` one to
    ``CKQUORUM`` (its other errors mean "no quorum"), leave out what the subcommand gives."""
    info = parse_info_sentinel(parse_info_fields(overview.info))
    by_name = {m.name: m for m in masters or ()}
    info_by_name = {m.name: m for m in info.monitored}
    refused: dict[str, BaseException] = {}
    if masters is None and isinstance(overview.masters, BaseException):
        refused["SENTINEL MASTERS"] = overview.masters
    monitored = []
    for replies in details:
        master = by_name.get(replies.name)
        source = master or info_by_name[replies.name]
        errors = _refusals(replies)
        for command, error in errors.items():
            refused.setdefault(command, error)
        monitored.append(
            MonitoredMaster(
                name=source.name,
                address=source.address,
                master=master,
                info=info_by_name.get(replies.name),
                replicas=_unless_error(replies.slaves, parse_sentinel_slaves),
                peers=_unless_error(replies.sentinels, parse_sentinel_sentinels),
                ckquorum=None if "SENTINEL CKQUORUM" in errors else _ckquorum(replies.ckquorum),
            )
        )
    known = len(info.monitored) if masters is None else len(masters)
    return SentinelState(
        info=info, masters=tuple(monitored), dropped=known - len(details), refused=refused
    )


def _unless_error(reply: object, parse: Callable[[object], _T]) -> _T | None:
    return None if isinstance(reply, BaseException) else parse(reply)


def _refusals(replies: MasterReplies) -> dict[str, BaseException]:
    """The error replies about one master that leave families out: any to ``SLAVES`` and
    ``SENTINELS``; to ``CKQUORUM`` only ``NOPERM`` (``NOQUORUM`` and the rest are its verdict)."""
    sent = {
        "SENTINEL SLAVES": replies.slaves,
        "SENTINEL SENTINELS": replies.sentinels,
        "SENTINEL CKQUORUM": replies.ckquorum,
    }
    return {
        command: reply
        for command, reply in sent.items()
        if isinstance(reply, NoPermissionError)
        or (isinstance(reply, BaseException) and command != "SENTINEL CKQUORUM")
    }


def _ckquorum(reply: object) -> CkQuorum:
    return parse_ckquorum(reply if isinstance(reply, BaseException) else str(reply))


def assemble_instance(fields: Mapping[str, str], replies: RedisReplies) -> Instance:
    """A Redis server's ``INFO ALL`` fields and admin replies → :class:`Instance` (pure;
    parse errors propagate, an error reply marks its command refused)."""
    admin = {
        "SLOWLOG LEN": replies.slowlog_len,
        "SLOWLOG GET": replies.slowlog_get,
        "LATENCY LATEST": replies.latency_latest,
    }
    refused = {name: r for name, r in admin.items() if isinstance(r, BaseException)}
    config_error = next((r for r in replies.config if isinstance(r, BaseException)), None)
    if config_error is not None:
        refused["CONFIG GET"] = config_error
    return Instance(
        stats=parse_instance_stats(fields, INFO_FIELDS),
        config=None
        if config_error is not None or not replies.config
        else parse_config_numbers(replies.config),
        slowlog_length=_unless_error(replies.slowlog_len, parse_slowlog_len),
        slowlog=_unless_error(replies.slowlog_get, parse_slowlog_get),
        latency=_unless_error(replies.latency_latest, parse_latency_latest),
        refused=refused,
    )


async def fetch_sentinel_state(
    client: aioredis.Redis, max_masters: int, expected: Sequence[str] = ()
) -> tuple[str, SentinelState]:
    """One round trip when the Sentinel monitors the ``expected`` masters (those kept last
    time: they seldom change), a second for masters not expected. Returns (INFO server,
    state).

    ``SENTINEL MASTERS`` refused by an ACL: the masters are named by ``INFO sentinel``; any other
    error reply to it (not a Sentinel after all) is raised."""
    overview, fetched = await fetch_overview(client, expected)
    masters: list[SentinelMaster] | None = None
    if isinstance(overview.masters, NoPermissionError):
        names = sorted(
            m.name for m in parse_info_sentinel(parse_info_fields(overview.info)).monitored
        )
    elif isinstance(overview.masters, BaseException):
        raise overview.masters
    else:
        masters = sorted(parse_sentinel_masters(overview.masters), key=lambda m: m.name)
        names = [m.name for m in masters]
    kept = names[:max_masters]
    by_name = {replies.name: replies for replies in fetched}
    missing = [name for name in kept if name not in by_name]
    for replies in await fetch_masters(client, missing):
        by_name[replies.name] = replies
    details = [by_name[name] for name in kept]
    return overview.server, assemble_sentinel(overview, masters, details)


async def collect_target(
    target: Target,
    client: aioredis.Redis,
    timeout: float,
    max_masters: int,
    config_command: str | None = DEFAULT_CONFIG_COMMAND,
    expected_masters: Sequence[str] = (),
) -> TargetSnapshot:
    """Fetch and parse one target within ``timeout`` seconds; never raises for target faults.

    A Redis whose ``INFO`` says ``redis_mode:sentinel`` is read as a Sentinel, so
    ``/scrape?target=`` and a Sentinel configured under ``--redis.addr`` both work.
    ``config_command`` is the name ``CONFIG`` goes by on the Redis servers (None: send none);
    ``expected_masters`` the masters a Sentinel is expected to monitor (asked about in the
    first round trip).
    """
    started, collected_at = time.monotonic(), time.time()
    replication = sentinel = instance = None
    try:
        async with asyncio.timeout(timeout):
            if target.kind is Kind.SENTINEL:
                server_text, sentinel = await fetch_sentinel_state(
                    client, max_masters, expected_masters
                )
                server = parse_server(parse_info_fields(server_text))
            else:
                replies = await fetch_redis(client, config_command, CONFIG_PARAMETERS)
                fields = parse_info_fields(replies.info)
                server = parse_server(fields)
                if server.redis_mode == "sentinel":
                    _, sentinel = await fetch_sentinel_state(client, max_masters, expected_masters)
                else:
                    replication = parse_replication(fields)
                    instance = assemble_instance(fields, replies)
            check_entries(replication, instance, sentinel)
    except TARGET_ERRORS as exc:
        reason = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
        log.warning(
            "scrape failed",
            extra=kv(addr=target.addr, kind=target.kind.value, reason=reason, err=str(exc)[:200]),
        )
        return TargetSnapshot(
            target, up=False, duration_seconds=time.monotonic() - started, collected_at=collected_at
        )
    except Exception as exc:  # a bug of ours, not a target that is down: HTTP 500, traceback
        exc.add_note(f"while collecting {target.kind.value} target {target.addr}")
        raise
    return TargetSnapshot(
        target,
        up=True,
        duration_seconds=time.monotonic() - started,
        server=server,
        replication=replication,
        sentinel=sentinel,
        instance=instance,
        collected_at=collected_at,
    )


class Scraper:
    """Owns one client per configured target and runs single-flight collections; ``prepare``
    (if set) runs on each target's snapshot as soon as it is collected."""

    prepare: Prepare | None = None

    def __init__(
        self,
        targets: Sequence[Target],
        default_timeout: float,
        max_masters: int,
        client_factory: Callable[[Target, float], aioredis.Redis] = make_client,
        config_command: str | None = DEFAULT_CONFIG_COMMAND,
    ) -> None:
        self.targets = tuple(targets)
        self._config_command = config_command
        self._refused: dict[str, frozenset[str]] = {}
        self._factory = client_factory
        self._clients = {t: client_factory(t, default_timeout) for t in self.targets}
        self._inflight: asyncio.Task[Collection] | None = None
        self._adhoc: set[asyncio.Task[Collection]] = set()
        self._scrapes = 0
        self._max_masters = max_masters
        self._dropped: dict[str, int] = {}
        #: The masters each Sentinel monitored at its last collection.
        self._masters: dict[str, tuple[str, ...]] = {}

    async def collect(self, timeout: float) -> Collection:
        """Collect every target; a scrape arriving meanwhile shares the running collection."""
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.create_task(self._collect(timeout))
            self._inflight.add_done_callback(self._forget)
        return await asyncio.shield(self._inflight)

    def _forget(self, task: asyncio.Task[Collection]) -> None:
        """A finished collection is kept by its scrapes alone: its thousands of objects are freed
        once they are done with it (their answers sent), not when the next collection starts, in
        the next scrape's time."""
        if self._inflight is task:
            self._inflight = None

    async def _collect(self, timeout: float) -> Collection:
        self._scrapes += 1
        done = await asyncio.gather(
            *(
                self._collect_one(t, self._clients[t], timeout, configured=True)
                for t in self.targets
            )
        )
        snaps = tuple(snap for snap, _ in done)
        prepared = tuple(made for _, made in done) if self.prepare is not None else ()
        return Collection(snaps, self._scrapes, dict(self._dropped), prepared)

    async def collect_adhoc(self, target: Target, timeout: float) -> Collection:
        """Collect one target named by ``/scrape?target=`` with a short-lived client."""
        task = asyncio.create_task(self._collect_adhoc(target, timeout))
        self._adhoc.add(task)
        task.add_done_callback(self._adhoc.discard)
        return await task

    async def _collect_adhoc(self, target: Target, timeout: float) -> Collection:
        client = self._factory(target, timeout)
        try:
            snap, made = await self._collect_one(target, client, timeout, configured=False)
        finally:
            await _close(client)
        dropped = {snap.addr: snap.sentinel.dropped} if snap.sentinel is not None else {}
        return Collection((snap,), 0, dropped, () if self.prepare is None else (made,))

    async def _collect_one(
        self, target: Target, client: aioredis.Redis, timeout: float, *, configured: bool
    ) -> tuple[TargetSnapshot, object]:
        """The target's snapshot, and what ``prepare`` made of it (None without one). Only a
        ``configured`` target's collection (not a ``/scrape`` one, even of the same target)
        adds to the dropped masters' running total and says which masters to expect next."""
        expected = self._masters.get(target.addr, ()) if configured else ()
        snap = await collect_target(
            target, client, timeout, self._max_masters, self._config_command, expected
        )
        if snap.instance is not None:
            self._note_refusals(snap.addr, snap.instance.refused)
        elif snap.sentinel is not None:
            self._note_refusals(snap.addr, snap.sentinel.refused)
        dropped = 0
        if snap.sentinel is not None:
            dropped = snap.sentinel.dropped
            if configured:
                self._masters[snap.addr] = tuple(m.name for m in snap.sentinel.masters)
                dropped = self._dropped[snap.addr] = self._dropped.get(snap.addr, 0) + dropped
        return snap, None if self.prepare is None else self.prepare(snap, dropped)

    def _note_refusals(self, addr: str, refused: Mapping[str, BaseException]) -> None:
        """One line when a command is refused that was not refused last time: a warning when an
        ACL refused it (``NOPERM``: the user lacks a grant), else (renamed away, disabled) at
        debug level."""
        before = self._refused.get(addr, frozenset())
        now = frozenset(refused)
        self._refused[addr] = now
        new = sorted(now - before)
        if new:
            denied = [c for c in new if isinstance(refused[c], NoPermissionError)]
            log.log(
                logging.WARNING if denied else logging.DEBUG,
                "commands refused: their metrics are left out",
                extra=kv(
                    addr=addr, commands=",".join(new), err=str(refused[(denied or new)[0]])[:200]
                ),
            )

    async def cancel(self) -> None:
        """Cancel the collections in progress (their scrapes end with them)."""
        running = [t for t in (self._inflight, *self._adhoc) if t is not None and not t.done()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def close(self) -> None:
        await self.cancel()
        await asyncio.gather(*(_close(c) for c in self._clients.values()))


async def _close(client: aioredis.Redis) -> None:
    with contextlib.suppress(*TARGET_ERRORS):
        await client.aclose()
