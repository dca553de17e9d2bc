"""Read ``INFO server`` and ``INFO replication`` from a Redis server: one round trip, no parsing."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis


@dataclass(frozen=True)
class RedisReplies:
    """Raw ``INFO`` texts as the server sent them."""

    server: str
    replication: str


async def fetch_redis(client: aioredis.Redis) -> RedisReplies:
    """Pipeline ``INFO server`` and ``INFO replication`` (each is one section on every version)."""
    async with client.pipeline(transaction=False) as pipe:
        pipe.execute_command("INFO", "server")
        pipe.execute_command("INFO", "replication")
        server, replication = await pipe.execute()
    return RedisReplies(server=str(server), replication=str(replication))
