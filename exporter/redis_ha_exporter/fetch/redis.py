"""Read ``INFO server`` and ``INFO replication`` from a Redis server: one round trip, no parsing."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from redis_ha_exporter.fetch.client import pipelined


@dataclass(frozen=True)
class RedisReplies:
    """Raw ``INFO`` texts as the server sent them."""

    server: str
    replication: str


async def fetch_redis(client: aioredis.Redis) -> RedisReplies:
    """``INFO server`` and ``INFO replication`` (each is one section on every version)."""
    server, replication = await pipelined(client, ("INFO", "server"), ("INFO", "replication"))
    return RedisReplies(server=str(server), replication=str(replication))
