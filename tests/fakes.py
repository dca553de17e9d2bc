"""Fake Redis and Sentinel servers behind the scraper's ``client_factory`` seam.

The in-process tests of the scrape path and the HTTP layer do not start processes: a
:class:`FakeNetwork` hands the :class:`~redis_ha_exporter.scrape.Scraper` one
:class:`FakeRedis` per client it asks for, and each answers pipelined commands from the replies
recorded from real servers (``tests/fixtures/info``, ``tests/fixtures/sentinel``), after a
``delay``, never (``hang``), or with an ``error``::

    net = FakeNetwork({"10.0.0.1:6379": FakeServer(redis_replies())})
    scraper = Scraper(targets, 5.0, 10, client_factory=net)
    ...
    net.servers["10.0.0.1:6379"].round_trips   # pipelines executed so far
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import cast

import redis.asyncio as aioredis
from redis.exceptions import NoPermissionError, ResponseError

from redis_ha_exporter.fetch.redis import RedisReplies
from redis_ha_exporter.parse.info import parse_info_fields, parse_replication, parse_server
from redis_ha_exporter.scrape import CONFIG_PARAMETERS, assemble_instance
from redis_ha_exporter.snapshot import TargetSnapshot
from redis_ha_exporter.targets import Kind, Target, parse_target

FIXTURES = Path(__file__).resolve().parent / "fixtures"

Command = tuple[str, ...]


def redis_replies(
    info: str = "redis7-master-all.txt",
    recorded: str = "redis7-replies.json",
    refused: str | None = None,
) -> dict[Command, object]:
    """A Redis server's replies: a recorded ``INFO ALL`` text, and the recorded replies to
    ``CONFIG GET``, ``SLOWLOG LEN``/``GET 1`` and ``LATENCY LATEST``
    (``tests/fixtures/info/record_info_all.py``). ``refused="renamed"``: ``CONFIG`` answers
    what Redis answers once ``rename-command CONFIG ""`` took it away; ``refused="noperm"``:
    ``CONFIG``, ``SLOWLOG`` and ``LATENCY`` answer what an ACL user without them gets (the
    ``NoPermissionError`` redis-py makes of ``NOPERM``)."""
    here = FIXTURES / "info"
    replies = json.loads((here / recorded).read_text())
    found: dict[Command, object] = {("INFO", "ALL"): (here / info).read_text()}
    for parameter, reply in replies["config"].items():
        found["CONFIG", "GET", parameter] = reply
    for command, reply in replies["admin"].items():
        found[tuple(command.split())] = reply
    if refused == "renamed":
        message = replies["renamed"]["error"].replace("NOSUCHCONFIG", "CONFIG")
        for command in found:
            if command[0] == "CONFIG":
                found[command] = ResponseError(message.replace("'maxmemory'", f"'{command[2]}'"))
    elif refused == "noperm":
        for command in found:
            if command[0] != "INFO":
                message = replies["noperm"]["CONFIG GET maxmemory"]["error"]
                sub = "|".join(command[:2]).lower()
                found[command] = NoPermissionError(message.replace("config|get", sub))
    return found


def fetched_redis(replies: Mapping[Command, object]) -> RedisReplies:
    """What :func:`~redis_ha_exporter.fetch.redis.fetch_redis` returns from a server that answers
    ``replies`` (``CONFIG`` under its own name)."""
    return RedisReplies(
        info=str(replies["INFO", "ALL"]),
        config=tuple(replies["CONFIG", "GET", p] for p in CONFIG_PARAMETERS),
        slowlog_len=replies["SLOWLOG", "LEN"],
        slowlog_get=replies["SLOWLOG", "GET", "1"],
        latency_latest=replies["LATENCY", "LATEST"],
    )


def redis_snapshot(
    addr: str,
    info: str = "redis7-master-all.txt",
    recorded: str = "redis7-replies.json",
    refused: str | None = None,
    collected_at: float = 1796021050.7,
) -> TargetSnapshot:
    """A Redis at ``addr`` as the scrape assembles it from recorded replies
    (:func:`redis_replies`), collected at Unix time ``collected_at``."""
    replies = fetched_redis(redis_replies(info, recorded, refused))
    fields = parse_info_fields(replies.info)
    return TargetSnapshot(
        parse_target(addr, Kind.REDIS),
        up=True,
        duration_seconds=0.003,
        server=parse_server(fields),
        replication=parse_replication(fields),
        instance=assemble_instance(fields, replies),
        collected_at=collected_at,
    )


def sentinel_replies(scenario: str = "healthy", denied: str | None = None) -> dict[Command, object]:
    """A Sentinel's replies in ``scenario`` (tests/fixtures/sentinel, RESP2 shapes); an error
    reply recorded as ``{"error": message}`` becomes the ``ResponseError`` redis-py returns.
    ``denied`` (``"INFO"``, ``"SENTINEL MASTERS"``, ``"SENTINEL CKQUORUM"``, …): every such
    command answers what an ACL user without it gets."""
    here = FIXTURES / "sentinel"
    recorded = json.loads((here / f"{scenario}.resp2.json").read_text())
    server = (FIXTURES / "info" / "redis7-sentinel-server.txt").read_text()
    info = (here / f"{scenario}.resp2.info.txt").read_text()
    replies: dict[Command, object] = {
        ("INFO", "server"): server,
        ("INFO", "sentinel"): info,
        ("INFO", "ALL"): f"{server}\r\n{info}",
        ("SENTINEL", "MASTERS"): recorded["masters"],
    }
    # What a Sentinel answers to the rest of what a Redis target is sent (Redis 7.0.15).
    for command in redis_replies():
        if command[0] != "INFO":
            words = " ".join(f"'{w.lower()}'" for w in command[1:])
            replies[command] = ResponseError(
                f"unknown command '{command[0].lower()}', with args beginning with: {words} "
            )
    for key, sub in (("slaves", "SLAVES"), ("sentinels", "SENTINELS"), ("ckquorum", "CKQUORUM")):
        for name, reply in recorded[key].items():
            error = isinstance(reply, dict) and "error" in reply
            replies[("SENTINEL", sub, name)] = ResponseError(reply["error"]) if error else reply
    if denied is not None:
        acl_name = denied.lower().replace(" ", "|")
        for command in replies:
            if " ".join(command).startswith(denied):
                message = f"this user has no permissions to run the '{acl_name}' command"
                replies[command] = NoPermissionError(message)
    return replies


@dataclass
class FakeServer:
    """One Redis or Sentinel as its clients see it; counts the round trips it answered."""

    replies: Mapping[Command, object]
    delay: float = 0.0
    hang: bool = False
    error: Exception | None = None
    round_trips: int = 0
    commands: list[Command] = field(default_factory=list)

    async def answer(self, commands: list[Command], raise_on_error: bool) -> list[object]:
        self.round_trips += 1
        self.commands.extend(commands)
        if self.hang:
            await asyncio.Event().wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        replies = [self.replies[c] for c in commands]
        if raise_on_error:
            for reply in replies:
                if isinstance(reply, Exception):
                    raise reply
        return replies


class FakePipeline:
    """``client.pipeline(transaction=False)``: queues commands, sends them in one round trip."""

    def __init__(self, server: FakeServer) -> None:
        self._server = server
        self._queued: list[Command] = []

    async def __aenter__(self) -> FakePipeline:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._queued.clear()

    def execute_command(self, *args: str) -> None:
        self._queued.append(tuple(args))

    async def execute(self, raise_on_error: bool = True) -> list[object]:
        return await self._server.answer(self._queued, raise_on_error)


class FakeRedis:
    """What the scrape path uses of ``redis.asyncio.Redis``: ``pipeline()`` and ``aclose()``."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.closed = False

    def pipeline(self, transaction: bool = True) -> FakePipeline:
        assert not transaction, "Sentinel has no MULTI: pipelines must not be transactions"
        assert not self.closed, "pipeline on a closed client"
        return FakePipeline(self.server)

    async def aclose(self) -> None:
        self.closed = True


@dataclass
class FakeNetwork:
    """A ``client_factory``: a new :class:`FakeRedis` per call, connected to the
    :class:`FakeServer` of the target's ``addr``; ``opened`` lists every client handed out."""

    servers: dict[str, FakeServer]
    opened: list[tuple[Target, float, FakeRedis]] = field(default_factory=list)

    def __call__(self, target: Target, timeout: float) -> aioredis.Redis:
        client = FakeRedis(self.servers[target.addr])
        self.opened.append((target, timeout, client))
        return cast(aioredis.Redis, client)

    def clients(self, addr: str) -> list[FakeRedis]:
        return [client for target, _, client in self.opened if target.addr == addr]
