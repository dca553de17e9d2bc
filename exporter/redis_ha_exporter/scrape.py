"""The scrape path: every target concurrently, under one deadline, single flight.

fetch (I/O) → parse (pure) → :class:`~redis_ha_exporter.snapshot.TargetSnapshot`. A target that
fails, hangs or refuses auth yields ``up=False`` and a log line, and never delays the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from redis_ha_exporter.fetch.client import make_client
from redis_ha_exporter.fetch.redis import fetch_redis
from redis_ha_exporter.logs import kv
from redis_ha_exporter.parse.info import (
    InfoParseError,
    parse_info_fields,
    parse_replication,
    parse_server,
)
from redis_ha_exporter.snapshot import Collection, TargetSnapshot
from redis_ha_exporter.targets import Target

log = logging.getLogger(__name__)

# Failures that mean "this target is down or broken", as opposed to a bug of ours.
TARGET_ERRORS = (RedisError, OSError, TimeoutError, InfoParseError, UnicodeError, ValueError)


def deadline_from_header(header: str | None, default: float) -> float:
    """Seconds to spend: Prometheus' ``X-Prometheus-Scrape-Timeout-Seconds`` less a margin
    (10 %, at most 0.5 s) for encoding and the network; ``default`` when absent or unusable."""
    try:
        budget = float(header) if header else default
    except ValueError:
        budget = default
    if not budget > 0 or budget != budget:
        budget = default
    return max(budget - min(0.5, budget * 0.1), 0.05)


async def collect_target(target: Target, client: aioredis.Redis, timeout: float) -> TargetSnapshot:
    """Fetch and parse one target within ``timeout`` seconds; never raises for target faults."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            replies = await fetch_redis(client)
        server = parse_server(parse_info_fields(replies.server))
        replication = None
        if server.redis_mode != "sentinel":
            replication = parse_replication(parse_info_fields(replies.replication))
    except TARGET_ERRORS as exc:
        reason = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
        log.warning(
            "scrape failed",
            extra=kv(addr=target.addr, kind=target.kind.value, reason=reason, err=str(exc)[:200]),
        )
        return TargetSnapshot(target, up=False, duration_seconds=time.monotonic() - started)
    return TargetSnapshot(
        target,
        up=True,
        duration_seconds=time.monotonic() - started,
        server=server,
        replication=replication,
    )


class Scraper:
    """Owns one client per configured target and runs single-flight collections."""

    def __init__(
        self,
        targets: Sequence[Target],
        default_timeout: float,
        client_factory: Callable[[Target, float], aioredis.Redis] = make_client,
    ) -> None:
        self.targets = tuple(targets)
        self._factory = client_factory
        self._clients = {t: client_factory(t, default_timeout) for t in self.targets}
        self._inflight: asyncio.Task[Collection] | None = None
        self._scrapes = 0

    async def collect(self, timeout: float) -> Collection:
        """Collect every target; a scrape arriving meanwhile shares the running collection."""
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.create_task(self._collect(timeout))
        return await asyncio.shield(self._inflight)

    async def _collect(self, timeout: float) -> Collection:
        self._scrapes += 1
        snaps = await asyncio.gather(
            *(collect_target(t, self._clients[t], timeout) for t in self.targets)
        )
        return Collection(targets=tuple(snaps), scrapes_total=self._scrapes)

    async def collect_adhoc(self, target: Target, timeout: float) -> TargetSnapshot:
        """Collect one target named by ``/scrape?target=`` with a short-lived client."""
        client = self._factory(target, timeout)
        try:
            return await collect_target(target, client, timeout)
        finally:
            await _close(client)

    async def close(self) -> None:
        if self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()
        await asyncio.gather(*(_close(c) for c in self._clients.values()))


async def _close(client: aioredis.Redis) -> None:
    with contextlib.suppress(*TARGET_ERRORS):
        await client.aclose()


Collector = Callable[[float], Awaitable[Collection]]
