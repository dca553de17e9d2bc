"""Read a Sentinel's state: pipelined round trips, raw replies, no parsing.

1. ``INFO server``, ``INFO sentinel``, ``SENTINEL MASTERS``, and for every master the caller
   expects (those of the last collection): ``SENTINEL SLAVES``, ``SENTINEL SENTINELS``,
   ``SENTINEL CKQUORUM`` (errors kept in place, so one master's failure spoils nothing else);
2. only when ``SENTINEL MASTERS`` names a master that was not expected (the first collection,
   a master added): the same three for those.

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


OVERVIEW: tuple[tuple[str, ...], ...] = (
    ("INFO", "server"),
    ("INFO", "sentinel"),
    ("SENTINEL", "MASTERS"),
)


def _master_commands(names: Sequence[str]) -> list[tuple[str, ...]]:
    return [("SENTINEL", sub, n) for n in names for sub in ("SLAVES", "SENTINELS", "CKQUORUM")]


def _master_replies(names: Sequence[str], replies: Sequence[object]) -> list[MasterReplies]:
    return [MasterReplies(name, *replies[3 * i : 3 * i + 3]) for i, name in enumerate(names)]


async def fetch_overview(
    client: aioredis.Redis, expected: Sequence[str] = ()
) -> tuple[SentinelOverview, list[MasterReplies]]:
    """The overview, and in the same round trip the replies about the ``expected`` masters
    (an error reply to ``INFO`` is raised; one to ``SENTINEL`` stays in its place)."""
    replies = await pipelined(client, *OVERVIEW, *_master_commands(expected), raise_on_error=False)
    server, info, masters = replies[: len(OVERVIEW)]
    for reply in (server, info):
        if isinstance(reply, BaseException):
            raise reply
    overview = SentinelOverview(server=str(server), info=str(info), masters=masters)
    return overview, _master_replies(expected, replies[len(OVERVIEW) :])


async def fetch_masters(client: aioredis.Redis, names: Sequence[str]) -> list[MasterReplies]:
    if not names:
        return []
    replies = await pipelined(client, *_master_commands(names), raise_on_error=False)
    return _master_replies(names, replies)
