"""redis-py client construction for one target: pinned protocol, small retry, no surprises.

redis-py 8 defaults to RESP3, 5 s timeouts and 10 jittered retries, so a dead host could outlive
Prometheus' scrape timeout; every client here speaks RESP2 (Redis < 6 and old Sentinels have no
``HELLO``), retries once without backoff, and the caller bounds each target with
``asyncio.timeout()``. ``INFO`` replies come back as raw text: the parsers own the parsing.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from redis_ha_exporter.parse import ParseError
from redis_ha_exporter.targets import Target

RAW_REPLY_COMMANDS = ("INFO",)

# Failures that mean "this target is down or broken": redis-py's errors (connection, protocol,
# auth, error replies), OS errors (refused, reset, TLS, and timeouts: asyncio.timeout() raises the
# builtin TimeoutError, an OSError), and replies our parsers reject. Anything else raised while
# collecting a target is a bug of ours and must not pass for a target that is down.
TARGET_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError, ParseError)


def make_client(target: Target, timeout: float, *, blocking_reads: bool = False) -> aioredis.Redis:
    """A client for ``target`` whose ``INFO`` returns text and whose sockets give up in time.

    ``blocking_reads`` leaves reads without a socket timeout (pub/sub, where
    ``get_message(timeout=…)`` bounds each wait); connecting is still bounded by ``timeout``.
    """
    client = aioredis.Redis(
        host=target.host or "localhost",
        port=target.port or 6379,
        unix_socket_path=target.path or None,
        ssl=target.scheme == "rediss",
        username=target.username,
        password=target.password,
        protocol=2,
        decode_responses=True,
        encoding_errors="replace",
        socket_timeout=None if blocking_reads else timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 1),
        health_check_interval=0,
        lib_name=None,
        lib_version=None,
        max_connections=4,
    )
    for command in RAW_REPLY_COMMANDS:
        client.response_callbacks.pop(command, None)
    return client


async def pipelined(
    client: aioredis.Redis, *commands: tuple[str, ...], raise_on_error: bool = True
) -> list[Any]:
    """Send ``commands`` in one round trip (no MULTI: Sentinel has no transactions) and return
    the raw replies in order; with ``raise_on_error=False`` an error reply stays in its place."""
    async with client.pipeline(transaction=False) as pipe:
        for command in commands:
            pipe.execute_command(*command)
        return list(await pipe.execute(raise_on_error=raise_on_error))
