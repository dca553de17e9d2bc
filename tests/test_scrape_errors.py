"""A target's fault is ``redis_up 0``; a bug of ours is a 500 and a traceback, never ``redis_up 0``.

In-process: the real HTTP app (aiohttp's test client) over a Scraper whose client factory hands
out fake clients, and an event subscriber whose sessions end in scripted exceptions.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from redis.exceptions import ConnectionError as RedisConnectionError

import fakes
from redis_ha_exporter.config import load_config
from redis_ha_exporter.events.state import EventState
from redis_ha_exporter.events.subscriber import EventSubscriber
from redis_ha_exporter.logs import LogfmtFormatter, setup_logging
from redis_ha_exporter.scrape import Scraper
from redis_ha_exporter.server import build_app
from redis_ha_exporter.targets import Kind, Target, parse_target

FIXTURES = Path(__file__).parent / "fixtures"
REDIS = parse_target("redis://127.0.0.1:16379", Kind.REDIS)
SENTINEL = parse_target("redis://127.0.0.1:26399", Kind.SENTINEL)

Command = tuple[str, ...]
Execute = Callable[[list[Command]], Awaitable[Any]]


class FakePipeline:
    def __init__(self, execute: Execute) -> None:
        self._execute = execute
        self._commands: list[Command] = []

    async def __aenter__(self) -> FakePipeline:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def execute_command(self, *command: str) -> None:
        self._commands.append(command)

    async def execute(self, raise_on_error: bool = True) -> Any:
        return await self._execute(self._commands)


class FakeClient:
    """What the scrape path uses of redis.asyncio.Redis: pipelines, and closing."""

    def __init__(self, execute: Execute) -> None:
        self._execute = execute

    def pipeline(self, transaction: bool = True) -> FakePipeline:
        return FakePipeline(self._execute)

    async def aclose(self) -> None:
        return None


def redis_replies() -> dict[Command, object]:
    return fakes.redis_replies("redis7-master-all.txt")


def sentinel_replies() -> dict[Command, object]:
    recorded = json.loads((FIXTURES / "sentinel" / "healthy.resp2.json").read_text())
    replies: dict[Command, object] = {
        ("INFO", "server"): "redis_version:7.0.15\r\nredis_mode:sentinel\r\n",
        ("INFO", "sentinel"): (FIXTURES / "sentinel" / "healthy.resp2.info.txt").read_text(),
        ("SENTINEL", "MASTERS"): recorded["masters"],
    }
    for name in recorded["slaves"]:
        replies["SENTINEL", "SLAVES", name] = recorded["slaves"][name]
        replies["SENTINEL", "SENTINELS", name] = recorded["sentinels"][name]
        replies["SENTINEL", "CKQUORUM", name] = recorded["ckquorum"][name]
    return replies


def replying(replies: Mapping[Command, object], *, short_by: int = 0) -> Execute:
    """Answers every command from ``replies``; ``short_by``: that many replies fewer than sent."""

    async def execute(commands: list[Command]) -> list[object]:
        return [replies[c] for c in commands][: len(commands) - short_by]

    return execute


def raising(exc: BaseException) -> Execute:
    async def execute(commands: list[Command]) -> list[object]:
        raise exc

    return execute


def hanging() -> Execute:
    async def execute(commands: list[Command]) -> list[object]:
        await asyncio.sleep(30)
        return []

    return execute


def returning(value: object) -> Execute:
    async def execute(commands: list[Command]) -> object:
        return value

    return execute


async def scrape(target: Target, execute: Execute, timeout: str = "5") -> tuple[int, str]:
    """GET /metrics from the real app over a Scraper of ``target`` answered by ``execute``."""

    def factory(_: Target, __: float) -> aioredis.Redis:
        return cast(aioredis.Redis, FakeClient(execute))

    config = load_config(["--redis.addr", "redis://127.0.0.1:16379", "--sentinel.addr="], {})
    scraper = Scraper([target], default_timeout=5.0, max_masters=10, client_factory=factory)
    async with TestClient(TestServer(build_app(config, scraper))) as client:
        response = await client.get(
            config.telemetry_path, headers={"X-Prometheus-Scrape-Timeout-Seconds": timeout}
        )
        return response.status, await response.text()


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of a text exposition, like ``registry.get_sample_value``."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    return None


def records(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(message)]


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The key/values a call site passed with ``extra=kv(...)``."""
    return cast(dict[str, Any], getattr(record, "kv", {}))


# --- the target's faults: redis_up 0 ------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "replies"),
    [(REDIS, redis_replies), (SENTINEL, sentinel_replies)],
    ids=["redis", "sentinel"],
)
async def test_a_healthy_fake_target_is_up(
    target: Target, replies: Callable[[], dict[Command, object]]
) -> None:
    # The fakes answer what a real server would, so the faults below are the only difference.
    status, text = await scrape(target, replying(replies()))
    assert status == 200
    assert sample(text, "redis_up", addr=target.addr) == 1
    assert sample(text, "redis_exporter_last_scrape_error", addr=target.addr) == 0


def broken(replies: Callable[[], dict[Command, object]], command: str, reply: object) -> Execute:
    """The healthy replies, but ``reply`` for ``command``."""
    return replying({**replies(), tuple(command.split()): reply})


def too_many_replicas() -> Execute:
    """INFO listing 5000 replicas (beyond MAX_ENTRIES)."""
    replies = redis_replies()
    lines = "".join(
        f"slave{i}:ip=10.0.{i // 250}.{i % 250},port=6379,state=online,offset=1,lag=0\r\n"
        for i in range(5000)
    )
    return broken(redis_replies, "INFO ALL", str(replies["INFO", "ALL"]) + lines)


def too_many_sentinel_replicas() -> Execute:
    """SENTINEL SLAVES of m1 listing 5000 replicas."""
    replies = sentinel_replies()
    (entry,) = cast(list[object], replies["SENTINEL", "SLAVES", "m1"])[:1]
    return broken(sentinel_replies, "SENTINEL SLAVES m1", [entry] * 5000)


FAULTS = [
    pytest.param(REDIS, too_many_replicas, "TooManyEntries", id="5000 replicas"),
    pytest.param(
        REDIS,
        lambda: broken(redis_replies, "CONFIG GET databases", ["databases", "100000"]),
        "TooManyEntries",
        id="100000 databases",
    ),
    pytest.param(
        SENTINEL, too_many_sentinel_replicas, "TooManyEntries", id="5000 Sentinel replicas"
    ),
    pytest.param(
        REDIS, lambda: raising(RedisConnectionError("refused")), "ConnectionError", id="refused"
    ),
    pytest.param(
        REDIS,
        lambda: raising(ConnectionResetError(104, "reset")),
        "ConnectionResetError",
        id="reset",
    ),
    pytest.param(REDIS, hanging, "timeout", id="timeout"),
    pytest.param(
        REDIS,
        lambda: broken(redis_replies, "INFO ALL", "role:master\r\nno colon\r\n"),
        "InfoParseError",
        id="bad INFO line",
    ),
    pytest.param(
        REDIS,
        lambda: broken(redis_replies, "INFO ALL", "role:master\r\nconnected_slaves:x"),
        "InfoParseError",
        id="bad INFO number",
    ),
    pytest.param(
        SENTINEL,
        lambda: broken(sentinel_replies, "SENTINEL MASTERS", "OK"),
        "SentinelParseError",
        id="bad SENTINEL MASTERS",
    ),
    pytest.param(
        SENTINEL,
        lambda: broken(sentinel_replies, "INFO sentinel", "sentinel_masters:1\r\n"),
        "InfoParseError",
        id="bad INFO sentinel",
    ),
]


@pytest.mark.parametrize(("target", "execute", "reason"), FAULTS)
async def test_a_target_fault_is_redis_up_zero_and_a_warning(
    target: Target,
    execute: Callable[[], Execute],
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    status, text = await scrape(target, execute(), timeout="0.3")
    assert status == 200
    assert sample(text, "redis_up", addr=target.addr) == 0
    assert sample(text, "redis_exporter_last_scrape_error", addr=target.addr) == 1
    (warning,) = records(caplog, "scrape failed")
    assert warning.levelno == logging.WARNING
    assert fields(warning)["reason"] == reason
    assert warning.exc_info is None


# --- a bug of ours: 500 and a traceback -------------------------------------------------------

BUGS = [
    # redis-py answers a pipeline with one reply per command; code that gets fewer breaks
    # (ValueError: not enough values to unpack), which once passed for a target that is down.
    pytest.param(
        REDIS, lambda: replying(redis_replies(), short_by=1), ValueError, id="one reply short"
    ),
    pytest.param(
        SENTINEL,
        lambda: replying(sentinel_replies(), short_by=1),
        ValueError,
        id="one reply short (sentinel)",
    ),
    pytest.param(REDIS, lambda: returning(None), TypeError, id="no reply list"),
    pytest.param(REDIS, lambda: raising(KeyError("slot")), KeyError, id="KeyError in the client"),
]


@pytest.mark.parametrize(("target", "execute", "error"), BUGS)
async def test_a_bug_of_ours_is_a_500_with_a_logged_traceback(
    target: Target,
    execute: Callable[[], Execute],
    error: type[Exception],
    caplog: pytest.LogCaptureFixture,
) -> None:
    status, text = await scrape(target, execute())
    assert status == 500
    assert "Traceback" not in text  # the error page shows nothing of our insides
    assert records(caplog, "scrape failed") == []  # not reported as a target that is down
    (logged,) = [r for r in caplog.records if r.exc_info is not None]
    assert logged.levelno == logging.ERROR
    assert logged.exc_info is not None
    exc = logged.exc_info[1]
    assert isinstance(exc, error)
    assert f"while collecting {target.kind.value} target {target.addr}" in exc.__notes__
    line = LogfmtFormatter().format(logged)
    assert "\n" not in line  # one record, one line, traceback included
    assert "traceback=" in line
    assert "Traceback (most recent call last)" in line
    assert error.__name__ in line


@pytest.fixture
def restore_logging() -> Iterator[None]:
    names = ("redis_ha_exporter", "aiohttp.server")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level) for n in names}
    propagate = {n: logging.getLogger(n).propagate for n in names}
    yield
    for name, (handlers, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate[name]


@pytest.mark.usefixtures("restore_logging")
async def test_the_500_traceback_reaches_the_exporters_log_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging("info", "json")
    status, _ = await scrape(REDIS, returning(None))
    assert status == 500
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    (error,) = [line for line in lines if line["level"] == "error"]
    assert error["logger"] == "aiohttp.server"
    assert "TypeError" in error["traceback"]
    assert "while collecting redis target 127.0.0.1:16379" in error["traceback"]


# --- the event subscriber: a bug is logged with its traceback and the stream reconnects -------


class ScriptedSubscriber(EventSubscriber):
    """Each session subscribes (or not) and then ends with the next scripted exception."""

    def __init__(self, script: list[tuple[BaseException, bool]]) -> None:
        super().__init__(SENTINEL, EventState(10), backoff_initial=0.01, backoff_max=0.04)
        self.script = script
        self.sessions = 0
        self.finished = asyncio.Event()

    async def _session(self) -> None:
        self.sessions += 1
        if not self.script:
            self.finished.set()
            await asyncio.Event().wait()  # a healthy stream, until stopped
        exc, subscribed = self.script.pop(0)
        if subscribed:
            self.state.mark_connected(time.time())
            self._subscribed = True
        raise exc


async def test_a_bug_in_the_event_stream_is_logged_and_the_stream_reconnects(
    caplog: pytest.LogCaptureFixture,
) -> None:
    subscriber = ScriptedSubscriber(
        [
            (KeyError("bug in a subscribed session"), True),
            (KeyError("the same bug again"), True),
            (RedisConnectionError("Connection reset by peer"), True),
            (TypeError("bug before subscribing"), False),
            (TypeError("bug before subscribing"), False),
            (TypeError("bug before subscribing"), False),
        ]
    )
    subscriber.start()
    try:
        await asyncio.wait_for(subscriber.finished.wait(), timeout=10)
    finally:
        await subscriber.stop()
    assert subscriber.sessions == 7  # it kept reconnecting after every bug
    bugs = records(caplog, "event stream failed on a bug")
    raised = [type(r.exc_info[1]).__name__ for r in bugs if r.exc_info]
    assert raised == ["KeyError", "KeyError", "TypeError", "TypeError", "TypeError"]
    assert all(r.levelno == logging.ERROR for r in bugs)
    line = LogfmtFormatter().format(bugs[0])
    assert "\n" not in line  # one record, one line, traceback included
    assert "Traceback (most recent call last)" in line
    assert "KeyError: 'bug in a subscribed session'" in line
    (lost,) = records(caplog, "event stream lost")
    assert fields(lost)["reason"] == "ConnectionError"
    # A bug never resets the backoff (no spinning on a bug met in every session); a target
    # fault after a session got going does; the backoff stops at its cap.
    retries = [fields(r)["retry_in"] for r in caplog.records if "retry_in" in fields(r)]
    assert retries == [0.01, 0.02, 0.01, 0.02, 0.04, 0.04]
    snapshot = subscriber.state.snapshot()
    assert not snapshot.stream_up
    assert snapshot.reconnects == 2  # three subscriptions: the first is not a reconnect
