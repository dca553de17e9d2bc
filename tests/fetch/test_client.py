"""The scrape client against a real redis-server: hiredis parses its replies, a round trip gives
the replies redis-py's own pipeline gives (an error reply in its place), a connection the server
closed is replaced once, and transactions are refused. Against a server on a real socket
(harness/resp.py): no reply is read past MAX_REPLY_BYTES, and a reply cut short or not RESP is
a target error, never a hang or a crash."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis
from redis._parsers import _AsyncHiredisParser
from redis.exceptions import ResponseError

from harness.resp import RespServer, Stall, bulk, simple
from harness.topology import Node, Topology
from redis_ha_exporter.fetch.client import (
    MAX_REPLY_BYTES,
    TARGET_ERRORS,
    ReplyTooLarge,
    make_client,
    pipelined,
)
from redis_ha_exporter.targets import Kind, parse_target

pytestmark = pytest.mark.e2e

#: What a scrape sends beside INFO (whose text changes between two reads), and a command the
#: server refuses.
COMMANDS = (
    ("CONFIG", "GET", "maxclients"),
    ("CONFIG", "GET", "no-such-parameter"),
    ("SLOWLOG", "LEN"),
    ("NOSUCHCOMMAND", "x"),
    ("LATENCY", "LATEST"),
    ("SENTINEL", "MASTERS"),
)


@pytest.fixture(scope="module")
def topo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    with Topology(tmp_path_factory.mktemp("client"), replicas=0, sentinels=0) as topology:
        yield topology


def client_for(node: Node) -> aioredis.Redis:
    return make_client(parse_target(node.uri, Kind.REDIS), 5.0)


async def test_replies_are_redis_py_s_and_hiredis_parses_them(topo: Topology) -> None:
    client = client_for(topo.redis[0])
    plain = aioredis.Redis(port=topo.redis[0].port, protocol=2, decode_responses=True)
    try:
        ours = await pipelined(client, *COMMANDS, raise_on_error=False)
        async with plain.pipeline(transaction=False) as pipe:
            for command in COMMANDS:
                pipe.execute_command(*command)
            theirs = await pipe.execute(raise_on_error=False)
        assert [type(r) for r in ours] == [type(r) for r in theirs]
        assert [str(r) for r in ours] == [str(r) for r in theirs]
        assert ours[0] == ["maxclients", "10000"]
        assert isinstance(ours[3], ResponseError)
        connection = client._connection  # type: ignore[attr-defined]
        assert isinstance(connection._parser, _AsyncHiredisParser)  # protocol 2 too
        info = await pipelined(client, ("INFO", "ALL"))
        assert isinstance(info[0], str)
        assert "# Keyspace" in info[0]  # raw text: no reply callback turned it into a dict
    finally:
        await client.aclose()
        await plain.aclose()


async def test_an_error_reply_is_raised_after_every_reply_was_read(topo: Topology) -> None:
    client = client_for(topo.redis[0])
    try:
        with pytest.raises(ResponseError, match="unknown command"):
            await pipelined(client, ("NOSUCHCOMMAND",), ("PING",))
        assert await pipelined(client, ("ECHO", "next")) == ["next"]  # still in step
    finally:
        await client.aclose()


async def test_a_connection_the_server_closed_is_replaced_once(topo: Topology) -> None:
    client = client_for(topo.redis[0])
    other = aioredis.Redis(port=topo.redis[0].port, protocol=2)
    try:
        assert await pipelined(client, ("PING",)) == ["PONG"]
        assert await other.client_kill_filter(_type="normal", skipme=True) == 1  # ours
        assert await pipelined(client, ("PING",)) == ["PONG"]
    finally:
        await client.aclose()
        await other.aclose()


async def test_scrape_pipelines_are_never_transactions() -> None:
    client = make_client(parse_target("127.0.0.1:1", Kind.REDIS), 1.0)
    with pytest.raises(ValueError, match="transactions"):
        client.pipeline()
    await client.aclose()


def info_of(size: int) -> bytes:
    """An ``INFO`` reply of ``size`` bytes of text."""
    line = b"x_field:1\r\n"
    return bulk(line * (size // len(line)) + b"y" * (size % len(line)))


def answering(info: bytes) -> RespServer:
    def answer(command: list[str]) -> bytes:
        return info if command[0].upper() == "INFO" else simple("PONG")

    return RespServer(answer)


#: A reply is read in chunks of this size; the last one may be the next reply's.
CHUNK = 65536


async def test_a_reply_past_the_bound_is_refused_and_the_connection_dropped() -> None:
    with answering(info_of(MAX_REPLY_BYTES + CHUNK + 1)) as server:
        client = make_client(parse_target(server.uri, Kind.REDIS), 5.0)
        try:
            with pytest.raises(ReplyTooLarge):
                await pipelined(client, ("INFO", "ALL"))
            assert await client.ping() is True  # on a new connection
            assert server.connections == 2
        finally:
            await client.aclose()
    assert issubclass(ReplyTooLarge, TARGET_ERRORS)


async def test_replies_within_the_bound_are_read_each_to_its_own_bound() -> None:
    size = MAX_REPLY_BYTES
    with answering(info_of(size)) as server:
        client = make_client(parse_target(server.uri, Kind.REDIS), 5.0)
        try:
            replies = await pipelined(client, ("INFO", "ALL"), ("INFO", "ALL"), ("PING",))
        finally:
            await client.aclose()
    assert [len(r) for r in replies[:2]] == [size, size]  # together past the bound


@pytest.mark.parametrize(
    "reply",
    [b"HTTP/1.1 400 Bad Request\r\n\r\n", b"$5\r\nab", b"*2\r\n:x\r\n", b"\x00\xff" * 10],
    ids=["HTTP", "cut short", "bad integer", "binary"],
)
async def test_a_reply_that_is_not_resp_is_a_target_error(reply: bytes) -> None:
    with RespServer(lambda _: reply if reply.endswith(b"\r\n") else Stall(reply)) as server:
        client = make_client(parse_target(server.uri, Kind.REDIS), 0.5)
        try:
            async with asyncio.timeout(5):
                with pytest.raises(TARGET_ERRORS):
                    await pipelined(client, ("INFO", "ALL"))
        finally:
            await client.aclose()
