"""The clients of the scrape path and the subscriber against a server on a real socket
(harness/resp.py): no reply is read past MAX_REPLY_BYTES, and a reply cut short or not RESP is a
target error, never a hang or a crash."""

from __future__ import annotations

import asyncio

import pytest

from harness.resp import RespServer, Stall, bulk, simple
from redis_ha_exporter.fetch.client import (
    MAX_REPLY_BYTES,
    TARGET_ERRORS,
    ReplyTooLarge,
    make_client,
    pipelined,
)
from redis_ha_exporter.targets import Kind, parse_target


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
