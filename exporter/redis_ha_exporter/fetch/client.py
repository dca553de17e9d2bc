"""redis-py client construction for one target: pinned protocol, small retry, no surprises.

redis-py 8 defaults to RESP3, 5 s timeouts and 10 jittered retries, so a dead host could outlive
Prometheus' scrape timeout; every client here speaks RESP2 (Redis < 6 and old Sentinels have no
``HELLO``), retries once without backoff, and the caller bounds each target with
``asyncio.timeout()``. ``INFO`` replies come back as raw text: the parsers own the parsing.

A scrape sends a target the same few commands each time, and redis-py's pipeline machinery (a
retry wrapper, a callback look-up per reply, its bookkeeping) was a good part of a round trip's
CPU, and its connection pool's bookkeeping (a lock, events, metrics) more: a
:class:`ScrapeClient` keeps a connection for its scrapes, and its pipelines (:class:`RoundTrip`)
write the commands at once and read the replies straight off it, as they come (none of our
commands has a reply callback in redis-py). A connection found closed (a restarted server) is
opened again once, as redis-py's retry did.

No reply may be larger than :data:`MAX_REPLY_BYTES` (:class:`BoundedParser`): a broken or
hostile server sending a 10 MB ``INFO`` is a target that is down (:class:`ReplyTooLarge`), not a
scrape that reads, parses and exposes whatever it was sent.

A TLS target connects through :class:`TLSConnection`: the target's own ``SSLContext`` (CA file,
client certificate, minimum version, verification) and server name, which redis-py's ``ssl_*``
arguments cannot express (they have no server name). The scrape clients and the event
subscriber are both built here, so both speak TLS the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, cast

import redis.asyncio as aioredis
from redis._parsers import _AsyncHiredisParser
from redis._parsers.hiredis import NOT_ENOUGH_DATA
from redis.asyncio.connection import AbstractConnection, Connection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError, RedisError, ResponseError

from redis_ha_exporter.parse import ParseError
from redis_ha_exporter.targets import Target, server_name, tls_context

RAW_REPLY_COMMANDS = ("INFO",)

# Failures that mean "this target is down or broken": redis-py's errors (connection, protocol,
# auth, error replies), OS errors (refused, reset, TLS, and timeouts: asyncio.timeout() raises the
# builtin TimeoutError, an OSError), and replies our parsers reject. Anything else raised while
# collecting a target is a bug of ours and must not pass for a target that is down.
TARGET_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError, ParseError)


#: Bytes a subscription reads at a time (a scrape's connection keeps redis-py's default): the
#: events of one read are handled before the loop turns to anything else (another Sentinel's
#: events, a scrape), so in a flood a small read (some 200 events, a millisecond) keeps one
#: busy Sentinel from holding up the rest.
EVENT_READ_SIZE = 16384

#: The largest reply read from a target: a real ``INFO ALL`` is some 10 KiB, ``SENTINEL MASTERS``
#: of 500 masters some 400 KiB.
MAX_REPLY_BYTES = 4 * 1024 * 1024


class ReplyTooLarge(RedisError):
    """A reply went past :data:`MAX_REPLY_BYTES`: the target is not read (and the connection,
    left in the middle of that reply, is closed by redis-py)."""


class BoundedParser(_AsyncHiredisParser):
    """redis-py's hiredis parser, which stops reading a reply past :data:`MAX_REPLY_BYTES`.

    What one ``read_response()`` fed to the reader is counted; a pipeline's replies are read one
    by one, so each has the bound to itself. The socket is read in chunks (64 KiB), and the last
    one may hold the start of the next reply: a reply is refused once more than
    :data:`MAX_REPLY_BYTES` and one chunk were read for it.
    """

    __slots__ = ("_fed",)

    def __init__(self, socket_read_size: int) -> None:
        super().__init__(socket_read_size)
        self._fed = 0

    async def read_response(self, *args: Any, **kwargs: Any) -> Any:
        self._fed = 0
        return await super().read_response(*args, **kwargs)

    async def read_replies(self, count: int) -> list[Any]:
        """The next ``count`` replies, in order, straight from the reader (an error reply as its
        ``ResponseError``, not raised): what ``read_response()`` each would give, without its
        per-reply bookkeeping."""
        reader = cast(Any, self._reader)  # set by on_connect()
        replies: list[Any] = []
        self._fed = 0
        while len(replies) < count:
            reply = reader.gets()
            if reply is NOT_ENOUGH_DATA:
                await self.read_from_socket()
                continue
            if isinstance(reply, ConnectionError):
                raise reply
            replies.append(reply)
            self._fed = 0
        return replies

    async def read_from_socket(self) -> bool:
        stream, reader = self._stream, cast(Any, self._reader)  # set by on_connect()
        buffer = await stream.read(self._read_size) if stream is not None else b""
        if not buffer:
            raise ConnectionError("Connection closed by server.")
        self._fed += len(buffer)
        if self._fed > MAX_REPLY_BYTES + self._read_size:
            raise ReplyTooLarge(f"reply larger than {MAX_REPLY_BYTES} bytes")
        reader.feed(buffer)
        return True


class TLSConnection(Connection):
    """A TCP connection wrapped in TLS with the settings of ``tls_target``. The context is built
    at each connect, so a renewed certificate or key file is read by the next connection; a
    missing or broken file fails that connection (the target is down, with a log line)."""

    def __init__(self, *, tls_target: Target, **kwargs: Any) -> None:
        self.tls_target = tls_target
        super().__init__(**kwargs)

    def _connection_arguments(self) -> Mapping[str, Any]:
        return {
            **super()._connection_arguments(),
            "ssl": tls_context(self.tls_target),
            "server_hostname": server_name(self.tls_target),
        }


class RoundTrip:
    """``pipeline(transaction=False)`` of a :class:`ScrapeClient`: the queued commands in one
    write, their replies in order (an error reply as its ``ResponseError``)."""

    def __init__(self, client: ScrapeClient) -> None:
        self._client = client
        self._commands: list[tuple[str, ...]] = []

    async def __aenter__(self) -> RoundTrip:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._commands.clear()

    def execute_command(self, *args: str) -> None:
        self._commands.append(args)

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        """The replies; with ``raise_on_error`` the first error reply is raised instead (after
        all were read, so the connection stays in step)."""
        replies = await self._client.round_trip(self._commands)
        if raise_on_error:
            for reply in replies:
                if isinstance(reply, ResponseError):
                    raise reply
        return replies


class ScrapeClient(aioredis.Redis):
    """redis-py's client, whose pipelines are :class:`RoundTrip` (never transactions:
    Sentinel has no ``MULTI``), over a connection of their own, one round trip at a time (the
    pool's bookkeeping, lock and events cost more than a scrape's parsing of some replies)."""

    _connection: AbstractConnection | None = None
    _lock: asyncio.Lock | None = None
    _packed: tuple[tuple[tuple[str, ...], ...], list[bytes]] | None = None

    def pipeline(  # type: ignore[override]
        self, transaction: bool = True, shard_hint: object = None
    ) -> RoundTrip:
        if transaction:
            raise ValueError("scrape pipelines are not transactions")
        return RoundTrip(self)

    async def round_trip(self, commands: Sequence[tuple[str, ...]]) -> list[Any]:
        """Send ``commands`` at once, read their replies; a connection found closed (the
        server restarted since the last scrape) is opened again, once. The client's socket
        timeout bounds each attempt as a whole (a reply cut short is a ``TimeoutError``, not a
        hang), the scrape's ``asyncio.timeout()`` the target: the replies are read without a
        timeout each."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._connection is None:
                self._connection = self.connection_pool.make_connection()  # type: ignore[no-untyped-call]
            key = tuple(commands)
            if self._packed is None or self._packed[0] != key:  # the same on every scrape
                self._packed = (key, self._connection.pack_commands(commands))
            try:
                return await self._send(self._connection, self._packed[1], len(commands))
            except ConnectionError:
                return await self._send(self._connection, self._packed[1], len(commands))

    @staticmethod
    async def _send(connection: AbstractConnection, packed: list[bytes], count: int) -> list[Any]:
        try:
            if not connection.is_connected:
                await connection.connect()  # type: ignore[no-untyped-call]
            # The socket timeout bounds the round trip as a whole, not each reply (a timeout
            # object per reply was a good part of reading a Sentinel's); None: no bound.
            async with asyncio.timeout(connection.socket_timeout):
                await connection.send_packed_command(packed, check_health=False)
                return await cast(BoundedParser, connection._parser).read_replies(count)
        except BaseException:
            await connection.disconnect()
            raise

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.disconnect()
        await super().aclose(close_connection_pool)


def make_client(target: Target, timeout: float, *, blocking_reads: bool = False) -> aioredis.Redis:
    """A client for ``target`` whose ``INFO`` returns text and whose sockets give up in time.

    ``blocking_reads`` leaves reads without a socket timeout (pub/sub, where
    ``get_message(timeout=…)`` bounds each wait); connecting is still bounded by ``timeout``.
    Such a client does not retry either: redis-py's pub/sub would reconnect and subscribe again
    behind the subscriber's back, and the events of the gap would be lost unreconciled.
    """
    client = ScrapeClient(
        host=target.host or "localhost",
        port=target.port or 6379,
        unix_socket_path=target.path or None,
        username=target.username,
        password=target.password,
        protocol=2,
        decode_responses=True,
        encoding_errors="replace",
        socket_timeout=None if blocking_reads else timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0 if blocking_reads else 1),
        health_check_interval=0,
        lib_name=None,
        lib_version=None,
        max_connections=4,
    )
    # redis-py builds the pool from its arguments; its public connection_class and
    # connection_kwargs take ours before the first connection is made.
    pool = client.connection_pool
    pool.connection_kwargs["parser_class"] = BoundedParser
    if blocking_reads:
        pool.connection_kwargs["socket_read_size"] = EVENT_READ_SIZE
    if target.uses_tls:
        pool.connection_class = TLSConnection
        pool.connection_kwargs["tls_target"] = target
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
