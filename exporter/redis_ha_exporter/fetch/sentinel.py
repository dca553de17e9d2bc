"""Read a Sentinel's state: two pipelined round trips, raw replies, no parsing.

1. ``INFO server``, ``INFO sentinel``, ``SENTINEL MASTERS``;
2. for every monitored master kept: ``SENTINEL SLAVES``, ``SENTINEL SENTINELS``,
   ``SENTINEL CKQUORUM`` (errors kept in place, so one master's failure spoils nothing else).

An error reply to ``INFO`` is raised: without it there is nothing to read, and the Sentinel is
down for us. Every ``SENTINEL`` reply may be an error (an ACL that refuses the subcommand): it
stays in its place for the caller to judge.

Sentinel has no ``SELECT`` and no databases; commands are sent as ``SENTINEL <SUB>`` so redis-py
applies none of its reply callbacks and the parsers see RESP2 lists (or RESP3 maps) as sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis

from redis_ha_exporter.fetch.client import pipelined


@dataclass(frozen=True)
class SentinelOverview:
    """Replies of the first round trip."""

    server: str
    info: str
    masters: object  # or the exception the Sentinel answered


@dataclass(frozen=True)
class MasterReplies:
    """Replies about one monitored master; each may be the exception the Sentinel answered."""

    name: str
    slaves: object
    sentinels: object
    ckquorum: object


async def fetch_overview(client: aioredis.Redis) -> SentinelOverview:
    server, info, masters = await pipelined(
        client,
        ("INFO", "server"),
        ("INFO", "sentinel"),
        ("SENTINEL", "MASTERS"),
        raise_on_error=False,
    )
    for reply in (server, info):
        if isinstance(reply, BaseException):
            raise reply
    return SentinelOverview(server=str(server), info=str(info), masters=masters)


async def fetch_masters(client: aioredis.Redis, names: Sequence[str]) -> list[MasterReplies]:
    if not names:
        return []
    commands = [
        ("SENTINEL", sub, name) for name in names for sub in ("SLAVES", "SENTINELS", "CKQUORUM")
    ]
    replies = await pipelined(client, *commands, raise_on_error=False)
    return [MasterReplies(name, *replies[3 * i : 3 * i + 3]) for i, name in enumerate(names)]
