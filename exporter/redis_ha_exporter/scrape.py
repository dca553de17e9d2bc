"""The scrape path: every target concurrently, under one deadline, single flight.

fetch (I/O) → parse (pure) → :class:`~redis_ha_exporter.snapshot.TargetSnapshot`. A target that
fails, hangs, refuses auth or sends a reply the parsers reject (``TARGET_ERRORS``) yields
``up=False`` and a log line, and never delays the others. Any other exception is a bug of ours:
it fails the collection, so the scrape answers 500 and the log shows the traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import redis.asyncio as aioredis

from redis_ha_exporter.fetch.client import TARGET_ERRORS, make_client
from redis_ha_exporter.fetch.redis import fetch_redis
from redis_ha_exporter.fetch.sentinel import (
    MasterReplies,
    SentinelOverview,
    fetch_masters,
    fetch_overview,
)
from redis_ha_exporter.logs import kv
from redis_ha_exporter.parse.info import (
    parse_info_fields,
    parse_info_sentinel,
    parse_replication,
    parse_server,
)
from redis_ha_exporter.parse.sentinel import (
    SentinelMaster,
    parse_ckquorum,
    parse_sentinel_masters,
    parse_sentinel_sentinels,
    parse_sentinel_slaves,
)
from redis_ha_exporter.snapshot import (
    Collection,
    MonitoredMaster,
    SentinelState,
    TargetSnapshot,
)
from redis_ha_exporter.targets import Kind, Target

log = logging.getLogger(__name__)
_T = TypeVar("_T")


def deadline_from_header(header: str | None, default: float) -> float:
    """Seconds to spend: Prometheus' ``X-Prometheus-Scrape-Timeout-Seconds`` less a margin
    (10 %, at most 0.5 s) for encoding and the network; ``default`` when absent or unusable
    (not a number, not positive, not finite: ``inf`` would let a hung target hold a scrape)."""
    try:
        budget = float(header) if header else default
    except ValueError:
        budget = default
    if not (budget > 0 and math.isfinite(budget)):
        budget = default
    return max(budget - min(0.5, budget * 0.1), 0.05)


def assemble_sentinel(
    overview: SentinelOverview,
    masters: Sequence[SentinelMaster],
    details: Sequence[MasterReplies],
) -> SentinelState:
    """Parsed ``SENTINEL MASTERS`` + the raw replies about the kept masters → SentinelState
    (pure; parse errors propagate)."""
    info = parse_info_sentinel(parse_info_fields(overview.info))
    by_name = {m.name: m for m in masters}
    info_by_name = {m.name: m for m in info.monitored}
    monitored = tuple(
        MonitoredMaster(
            master=by_name[replies.name],
            info=info_by_name.get(replies.name),
            replicas=_unless_error(replies.slaves, parse_sentinel_slaves),
            peers=_unless_error(replies.sentinels, parse_sentinel_sentinels),
            ckquorum=parse_ckquorum(
                replies.ckquorum
                if isinstance(replies.ckquorum, BaseException)
                else str(replies.ckquorum)
            ),
        )
        for replies in details
    )
    return SentinelState(info=info, masters=monitored, dropped=len(masters) - len(details))


def _unless_error(reply: object, parse: Callable[[object], _T]) -> _T | None:
    return None if isinstance(reply, BaseException) else parse(reply)


async def fetch_sentinel_state(
    client: aioredis.Redis, max_masters: int
) -> tuple[str, SentinelState]:
    """Two round trips: overview, then the kept masters' details. Returns (INFO server, state)."""
    overview = await fetch_overview(client)
    masters = sorted(parse_sentinel_masters(overview.masters), key=lambda m: m.name)
    details = await fetch_masters(client, [m.name for m in masters[:max_masters]])
    return overview.server, assemble_sentinel(overview, masters, details)


async def collect_target(
    target: Target, client: aioredis.Redis, timeout: float, max_masters: int
) -> TargetSnapshot:
    """Fetch and parse one target within ``timeout`` seconds; never raises for target faults.

    A Redis whose ``INFO server`` says ``redis_mode:sentinel`` is read as a Sentinel, so
    ``/scrape?target=`` and a Sentinel configured under ``--redis.addr`` both work.
    """
    started = time.monotonic()
    replication = sentinel = None
    try:
        async with asyncio.timeout(timeout):
            if target.kind is Kind.SENTINEL:
                server_text, sentinel = await fetch_sentinel_state(client, max_masters)
                server = parse_server(parse_info_fields(server_text))
            else:
                replies = await fetch_redis(client)
                server = parse_server(parse_info_fields(replies.server))
                if server.redis_mode == "sentinel":
                    _, sentinel = await fetch_sentinel_state(client, max_masters)
                else:
                    replication = parse_replication(parse_info_fields(replies.replication))
    except TARGET_ERRORS as exc:
        reason = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
        log.warning(
            "scrape failed",
            extra=kv(addr=target.addr, kind=target.kind.value, reason=reason, err=str(exc)[:200]),
        )
        return TargetSnapshot(target, up=False, duration_seconds=time.monotonic() - started)
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
    )


class Scraper:
    """Owns one client per configured target and runs single-flight collections."""

    def __init__(
        self,
        targets: Sequence[Target],
        default_timeout: float,
        max_masters: int,
        client_factory: Callable[[Target, float], aioredis.Redis] = make_client,
    ) -> None:
        self.targets = tuple(targets)
        self._factory = client_factory
        self._clients = {t: client_factory(t, default_timeout) for t in self.targets}
        self._inflight: asyncio.Task[Collection] | None = None
        self._scrapes = 0
        self._max_masters = max_masters
        self._dropped: dict[str, int] = {}

    async def collect(self, timeout: float) -> Collection:
        """Collect every target; a scrape arriving meanwhile shares the running collection."""
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.create_task(self._collect(timeout))
        return await asyncio.shield(self._inflight)

    async def _collect(self, timeout: float) -> Collection:
        self._scrapes += 1
        snaps = await asyncio.gather(
            *(collect_target(t, self._clients[t], timeout, self._max_masters) for t in self.targets)
        )
        for snap in snaps:
            if snap.sentinel is not None:
                self._dropped[snap.addr] = self._dropped.get(snap.addr, 0) + snap.sentinel.dropped
        return Collection(tuple(snaps), self._scrapes, dict(self._dropped))

    async def collect_adhoc(self, target: Target, timeout: float) -> Collection:
        """Collect one target named by ``/scrape?target=`` with a short-lived client."""
        client = self._factory(target, timeout)
        try:
            snap = await collect_target(target, client, timeout, self._max_masters)
        finally:
            await _close(client)
        dropped = {snap.addr: snap.sentinel.dropped} if snap.sentinel is not None else {}
        return Collection((snap,), 0, dropped)

    async def close(self) -> None:
        if self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()
        await asyncio.gather(*(_close(c) for c in self._clients.values()))


async def _close(client: aioredis.Redis) -> None:
    with contextlib.suppress(*TARGET_ERRORS):
        await client.aclose()
