"""Read a Redis server: one pipelined round trip, raw replies, no parsing.

``INFO ALL`` (every section, replication among them), then what redis_exporter reads beside it:
``CONFIG GET`` of each parameter (Redis < 7 takes one per command, so one command each),
``SLOWLOG LEN``, ``SLOWLOG GET 1`` and ``LATENCY LATEST``. Each of those may be renamed away,
disabled or refused by an ACL: its error reply stays in its place for the caller to judge. An
error reply to ``INFO`` is raised: without it there is nothing to read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis

from redis_ha_exporter.fetch.client import pipelined

ADMIN_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("SLOWLOG", "LEN"),
    ("SLOWLOG", "GET", "1"),
    ("LATENCY", "LATEST"),
)


@dataclass(frozen=True)
class RedisReplies:
    """Raw replies: ``INFO ALL`` text, and the rest as redis-py returned them (an error reply is
    the ``ResponseError`` it raised). ``config`` holds one reply per parameter asked for."""

    info: str
    config: tuple[object, ...]
    slowlog_len: object
    slowlog_get: object
    latency_latest: object


async def fetch_redis(
    client: aioredis.Redis, config_command: str | None, parameters: Sequence[str]
) -> RedisReplies:
    """Everything in one round trip; ``config_command`` is ``CONFIG`` or what it was renamed
    to, None to send no ``CONFIG GET``."""
    config = [(config_command, "GET", p) for p in parameters] if config_command else []
    replies = await pipelined(
        client, ("INFO", "ALL"), *config, *ADMIN_COMMANDS, raise_on_error=False
    )
    info = replies[0]
    if isinstance(info, BaseException):
        raise info
    slowlog_len, slowlog_get, latency_latest = replies[1 + len(config) :]
    return RedisReplies(
        info=str(info),
        config=tuple(replies[1 : 1 + len(config)]),
        slowlog_len=slowlog_len,
        slowlog_get=slowlog_get,
        latency_latest=latency_latest,
    )
