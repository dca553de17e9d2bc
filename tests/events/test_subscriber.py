"""The Sentinel event subscriber in-process: a fake pub/sub, a fake clock, no real waits.

:class:`FakeSentinel` is the subscriber's ``client_factory``; each connection plays the next
:class:`Session` of a script (refused, hung, silent, publishing, dropped). The subscriber's
``time`` is a :class:`Clock` that only the fake moves: an empty ``get_message(timeout=t)``
advances it by ``t``, and ``asyncio.sleep`` — only the reconnect backoff calls it — is replaced
by :class:`Backoff`, which records the delay and the stream's state, advances the clock and
ends ``run()`` after a given number of waits.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import hiredis
import pytest
import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry
from redis._parsers.hiredis import NOT_ENOUGH_DATA
from redis.exceptions import ConnectionError, NoPermissionError, ResponseError

from redis_ha_exporter.events import subscriber as subscriber_module
from redis_ha_exporter.events.state import EventState
from redis_ha_exporter.events.subscriber import REFUSED, WARN_EVERY, EventStreams, EventSubscriber
from redis_ha_exporter.families import build_families, registry_of
from redis_ha_exporter.snapshot import Collection
from redis_ha_exporter.targets import Kind, Target, parse_target
from test_discovery import sentinel_snapshot

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ADDR = "10.0.0.3:26379"
TARGET = parse_target(ADDR, Kind.SENTINEL)
PONG = {"type": "pong", "pattern": None, "channel": "", "data": ""}
REAL_SLEEP = asyncio.sleep

Message = dict[str, Any] | None  # None: a poll that returns nothing


class Stop(Exception):
    """Raised by :class:`Backoff` to end ``EventSubscriber.run()``."""


class Clock:
    """Stands in for the ``time`` module inside the subscriber."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_700_000_000.0 + self.now


def recorded_masters(scenario: str) -> object:
    """``SENTINEL MASTERS`` as a real Sentinel answered in ``scenario`` (RESP2)."""
    return json.loads((FIXTURES / "sentinel" / f"{scenario}.resp2.json").read_text())["masters"]


def recorded_events(name: str, source: str = "s0") -> list[Message]:
    """What one Sentinel published in a recorded scenario (tests/fixtures/events), as the
    pmessage dicts redis-py's ``get_message`` returns."""
    out: list[Message] = []
    for line in (FIXTURES / "events" / f"{name}.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        _, src, channel, payload = line.split("\t", 3)
        if src == source:
            out.append({"type": "pmessage", "pattern": "*", "channel": channel, "data": payload})
    return out


@dataclass
class Session:
    """What one connection to the fake Sentinel does.

    ``messages`` are returned by successive ``get_message`` calls (``None``: an empty poll);
    after them the connection drops (``end="drop"``) or stays silent (``end="silence"``).
    ``deny`` names a command the Sentinel's ACL refuses (``"psubscribe"``, ``"ping"``).
    """

    refuse: bool = False
    hang: bool = False
    masters: object = field(default_factory=lambda: recorded_masters("healthy"))
    later_masters: Sequence[object] = ()  # replies to the next reads of SENTINEL MASTERS
    messages: Sequence[Message] = ()
    end: str = "drop"
    answer_ping: bool = True
    deny: str | None = None

    def reply(self, command: str, reply: Message) -> Message | NoPermissionError:
        """``reply``, or the ``NOPERM`` redis-py raises when the ACL refuses ``command``."""
        if command == self.deny:
            return NoPermissionError(f"this user has no permissions to run the '{command}' command")
        return reply


class FakePubSub:
    def __init__(self, session: Session, sentinel: FakeSentinel) -> None:
        self.session = session
        self.sentinel = sentinel
        self.script = list(session.messages)
        self.pending: list[Message | NoPermissionError] = []
        self.confirmation: Message | NoPermissionError = None  # the reply to PSUBSCRIBE
        self.pings: list[float] = []
        self.polls: list[float] = []  # the timeout of every get_message
        self.patterns: tuple[str, ...] = ()
        self.closed = False

    async def psubscribe(self, *patterns: str) -> None:
        await REAL_SLEEP(0)
        if self.session.hang:
            await asyncio.Event().wait()
        if self.session.refuse:
            raise ConnectionError(f"Error 111 connecting to {ADDR}. Connection refused.")
        self.patterns = patterns
        confirmed = {"type": "psubscribe", "pattern": None, "channel": patterns[0], "data": 1}
        self.confirmation = self.session.reply("psubscribe", confirmed)

    async def get_message(self, timeout: float | None = 0.0) -> Message:
        assert timeout, "get_message without a timeout spins"
        assert self.patterns, "reading before subscribing"
        await REAL_SLEEP(0)
        if self.confirmation is not None:  # read first, as a real connection reads it
            confirmation, self.confirmation = self.confirmation, None
            return _raised(confirmation)
        if not self.polls:
            self.sentinel.seen_connected.append(self.sentinel.view())
            self.sentinel.reading.set()
        self.polls.append(timeout)
        if self.pending:
            return _raised(self.pending.pop(0))
        if self.script:
            message = self.script.pop(0)
            if message is None:
                self.sentinel.clock.now += timeout
            return message
        if self.session.end == "drop":
            raise ConnectionError("Connection reset by peer")
        self.sentinel.clock.now += timeout
        return None

    async def ping(self) -> None:
        self.pings.append(self.sentinel.clock.now)
        if self.session.answer_ping:
            self.pending.append(self.session.reply("ping", PONG))

    async def aclose(self) -> None:
        self.closed = True


def _raised(reply: Message | NoPermissionError) -> Message:
    """What ``get_message`` does with a reply: an error reply is raised."""
    if isinstance(reply, NoPermissionError):
        raise reply
    return reply


class FakeSentinelClient:
    def __init__(self, session: Session, sentinel: FakeSentinel) -> None:
        self.session = session
        self.pubsub_ = FakePubSub(session, sentinel)
        self.commands: list[tuple[str, ...]] = []
        self.closed = False

    def pubsub(self) -> FakePubSub:
        return self.pubsub_

    async def execute_command(self, *args: str) -> object:
        self.commands.append(args)
        assert args == ("SENTINEL", "MASTERS")
        replies = [self.session.masters, *self.session.later_masters]
        masters = replies[min(len(self.commands), len(replies)) - 1]
        if isinstance(masters, Exception):
            raise masters
        return masters

    async def aclose(self) -> None:
        self.closed = True


class FakeSentinel:
    """The subscriber's ``client_factory``: the i-th connection plays ``sessions[i]``."""

    def __init__(self, sessions: Iterable[Session], clock: Clock, state: EventState) -> None:
        self.sessions = list(sessions)
        self.clock = clock
        self.state = state
        self.clients: list[FakeSentinelClient] = []
        self.seen_connected: list[tuple[bool, int]] = []  # (stream up, reconnects) per session
        self.reading = asyncio.Event()  # set when a session first reads

    def __call__(self, target: Target, timeout: float) -> aioredis.Redis:
        assert target == TARGET
        assert len(self.clients) < len(self.sessions), "more connections than scripted"
        client = FakeSentinelClient(self.sessions[len(self.clients)], self)
        self.clients.append(client)
        return cast(aioredis.Redis, client)

    def view(self) -> tuple[bool, int]:
        snap = self.state.snapshot()
        return snap.stream_up, snap.reconnects


class Backoff:
    """``asyncio.sleep`` while the test runs: records each wait and the stream's state then."""

    def __init__(self, sentinel: FakeSentinel, waits: int) -> None:
        self.sentinel = sentinel
        self.waits = waits
        self.delays: list[float] = []
        self.at: list[float] = []  # clock when each wait began
        self.seen: list[tuple[bool, int]] = []

    async def __call__(self, delay: float, result: object = None) -> object:
        self.delays.append(delay)
        self.at.append(self.sentinel.clock.now)
        self.seen.append(self.sentinel.view())
        self.sentinel.clock.now += delay
        if len(self.delays) >= self.waits:
            raise Stop
        await REAL_SLEEP(0)
        return result


@dataclass
class Run:
    state: EventState
    sentinel: FakeSentinel
    backoff: Backoff

    def registry(self, scraped: bool = True) -> CollectorRegistry:
        """The event families as /metrics shows them: with the Sentinel's scrape (it monitors
        m1), or without (its scrape failed: everything the stream counted is shown)."""
        collection = Collection((sentinel_snapshot("healthy", ADDR),) if scraped else (), 1)
        return registry_of(build_families(collection, {ADDR: self.state.snapshot()}))

    def value(self, name: str, *, scraped: bool = True, **labels: str) -> float | None:
        return self.registry(scraped).get_sample_value(name, {"addr": ADDR, **labels})


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(subscriber_module, "time", fake)
    return fake


#: ``await run(sessions, waits, **EventSubscriber settings)``: play the script until the
#: subscriber has waited ``waits`` times.
Play = Callable[..., Awaitable[Run]]


@pytest.fixture
def run(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Play:
    async def play(sessions: Iterable[Session], waits: int, **settings: float) -> Run:
        state = EventState(ring_size=32)
        sentinel = FakeSentinel(sessions, clock, state)
        backoff = Backoff(sentinel, waits)
        monkeypatch.setattr(asyncio, "sleep", backoff)
        subscriber = EventSubscriber(TARGET, state, client_factory=sentinel, **settings)
        try:
            with pytest.raises(Stop):
                async with asyncio.timeout(10):
                    await subscriber.run()
        finally:
            monkeypatch.setattr(asyncio, "sleep", REAL_SLEEP)
        return Run(state, sentinel, backoff)

    return play


def ratios(delays: Sequence[float], initial: float, cap: float) -> list[float]:
    """Each delay over the backoff it jitters: ``initial`` doubling per failure up to ``cap``."""
    return [d / min(initial * 2**i, cap) for i, d in enumerate(delays)]


def lost(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The reason of every "event stream lost" or "cannot subscribe" line logged, in order."""
    return [
        r.__dict__["kv"]["reason"]
        for r in caplog.records
        if r.msg in ("event stream lost", "cannot subscribe")
    ]


async def test_backoff_doubles_to_its_cap_with_jitter(run: Play) -> None:
    result = await run([Session(refuse=True)] * 200, waits=200, backoff_max=3.0)
    delays = result.backoff.delays
    assert max(delays) <= 3.0
    spread = ratios(delays, 0.2, 3.0)
    assert all(0.5 <= r <= 1.0 for r in spread), spread
    assert min(spread) < 0.55  # the jitter uses its whole range ...
    assert max(spread) > 0.95
    assert len(set(delays[10:])) > 150  # ... and differs from wait to wait
    assert result.sentinel.seen_connected == []
    assert result.value("redis_sentinel_event_stream_up") == 0
    assert result.value("redis_sentinel_event_stream_reconnects_total") == 0


async def test_a_healthy_session_resets_the_backoff(run: Play) -> None:
    sessions = [
        Session(refuse=True),
        Session(refuse=True),
        Session(messages=[None]),  # subscribed, then dropped
        Session(refuse=True),
        Session(refuse=True),
    ]
    result = await run(sessions, waits=5)
    nominal = [0.2, 0.4, 0.2, 0.4, 0.8]
    assert all(0.5 * n <= d <= n for d, n in zip(result.backoff.delays, nominal, strict=True)), (
        result.backoff.delays
    )


async def test_silence_sends_a_ping_and_no_answer_is_a_stall(
    run: Play, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="redis_ha_exporter.events.subscriber"):
        result = await run([Session(end="silence", answer_ping=False)], waits=1)
    (client,) = result.sentinel.clients
    poll = max(client.pubsub_.polls)
    (ping,) = client.pubsub_.pings  # a bare PING, once
    assert 5.0 < ping <= 5.0 + poll  # after more than ping_interval of silence
    (stalled,) = result.backoff.at
    assert 5.0 < stalled - ping <= 5.0 + poll  # no answer within ping_interval
    assert lost(caplog) == ["StreamStalled"]
    assert result.backoff.seen == [(False, 0)]
    assert client.closed
    assert client.pubsub_.closed


async def test_an_answered_ping_keeps_the_stream(
    run: Play, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="redis_ha_exporter.events.subscriber"):
        result = await run([Session(messages=[None] * 40, answer_ping=True)], waits=1)
    pings = result.sentinel.clients[0].pubsub_.pings
    assert len(pings) >= 5
    assert all(later - earlier > 5.0 for earlier, later in itertools.pairwise(pings))
    assert lost(caplog) == ["ConnectionError"]  # the scripted drop, not a stall


async def test_reconnects_mark_the_stream_down_then_up_and_are_counted(run: Play) -> None:
    sessions = [Session(), Session(refuse=True), Session(), Session()]
    result = await run(sessions, waits=4)
    assert result.sentinel.seen_connected == [(True, 0), (True, 1), (True, 2)]
    assert result.backoff.seen == [(False, 0), (False, 0), (False, 1), (False, 2)]
    assert result.value("redis_sentinel_event_stream_up") == 0
    assert result.value("redis_sentinel_event_stream_reconnects_total") == 2
    for client in result.sentinel.clients:
        assert client.closed
        assert client.pubsub_.closed


@pytest.mark.parametrize(
    ("before", "after", "missed"),
    [("healthy", "healthy", 0), ("healthy", "after_failover", 1)],
)
async def test_a_failover_missed_while_disconnected_is_reconciled(
    run: Play, caplog: pytest.LogCaptureFixture, before: str, after: str, missed: int
) -> None:
    sessions = [
        Session(masters=recorded_masters(before)),
        Session(masters=recorded_masters(after)),
    ]
    with caplog.at_level(logging.WARNING, logger="redis_ha_exporter.events.subscriber"):
        result = await run(sessions, waits=2)
    for client in result.sentinel.clients:
        assert client.commands == [("SENTINEL", "MASTERS")]
    assert result.value("redis_sentinel_failovers_total", master_name="m1") == missed
    reconciled = [r for r in caplog.records if r.msg.startswith("failover reconciled")]
    assert len(reconciled) == missed


async def test_published_events_are_counted(run: Play) -> None:
    published = recorded_events("failover_command")
    hello = {"type": "pmessage", "pattern": "*", "channel": "__sentinel__:hello", "data": "x"}
    result = await run([Session(messages=[*published, hello])], waits=1)
    channels = [str(m["channel"]) for m in published if m is not None]
    assert result.value("redis_sentinel_events_total", master_name="", event="+new-epoch") == (
        channels.count("+new-epoch")
    )
    switches = result.value(
        "redis_sentinel_events_total",
        scraped=False,
        master_name="mymaster",
        event="+switch-master",
    )
    assert switches == channels.count("+switch-master") == 1
    failovers = result.value(
        "redis_sentinel_failovers_total", scraped=False, master_name="mymaster"
    )
    assert failovers == 1
    assert result.value("redis_sentinel_event_parse_errors_total") == 0
    # the Sentinel monitors m1 only: what it said of mymaster is not shown
    assert result.value("redis_sentinel_failovers_total", master_name="mymaster") is None
    # +switch-master: SENTINEL MASTERS is read again, for the new config epoch
    assert result.sentinel.clients[0].commands == [("SENTINEL", "MASTERS")] * 2


async def test_a_sentinel_that_never_subscribes_is_retried(
    run: Play, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="redis_ha_exporter.events.subscriber"):
        result = await run([Session(hang=True)], waits=1, connect_timeout=0.05)
    assert lost(caplog) == ["TimeoutError"]
    assert result.sentinel.seen_connected == []
    assert result.sentinel.clients[0].closed


async def test_refused_sentinel_masters_still_subscribes(
    run: Play, caplog: pytest.LogCaptureFixture
) -> None:
    published = recorded_events("failover_command")
    refused = ResponseError("unknown command 'SENTINEL'")
    with caplog.at_level(logging.WARNING, logger="redis_ha_exporter.events.subscriber"):
        result = await run([Session(masters=refused, messages=published)], waits=1)
    assert any(r.msg.startswith("cannot reconcile") for r in caplog.records)
    assert result.sentinel.seen_connected == [(True, 0)]
    failovers = result.value(
        "redis_sentinel_failovers_total", scraped=False, master_name="mymaster"
    )
    assert failovers == 1
    assert result.sentinel.clients[0].commands == [("SENTINEL", "MASTERS")]  # asked once only


def master_at(address: str, epoch: int) -> object:
    """``SENTINEL MASTERS`` of a Sentinel monitoring m1 at ``address`` with config ``epoch``."""
    (entry,) = cast(list[list[str]], recorded_masters("healthy"))
    fields = dict(zip(entry[::2], entry[1::2], strict=True))
    host, port = address.rsplit(":", 1)
    fields.update(ip=host, port=port, **{"config-epoch": str(epoch)})
    return [[item for pair in fields.items() for item in pair]]


def switch_message(old: str, new: str) -> Message:
    payload = f"m1 {old.replace(':', ' ')} {new.replace(':', ' ')}"
    return {"type": "pmessage", "pattern": "*", "channel": "+switch-master", "data": payload}


A, B = "10.0.0.1:6379", "10.0.0.2:6379"


async def test_two_failovers_back_to_the_same_address_while_away_are_counted(run: Play) -> None:
    sessions = [Session(masters=master_at(A, 1)), Session(masters=master_at(A, 3))]
    result = await run(sessions, waits=2)
    assert result.value("redis_sentinel_failovers_total", master_name="m1") == 1
    (entry,) = [e for e in result.state.recent() if e["event"] == "+switch-master"]
    assert (entry["reconciled"], entry["old_address"], entry["new_address"]) == (True, A, A)


async def test_the_epoch_after_a_live_failover_is_read_for_the_next_gap(run: Play) -> None:
    sessions = [
        # A -> B seen live; SENTINEL MASTERS read again says B at epoch 2
        Session(
            masters=master_at(A, 1),
            later_masters=[master_at(B, 2)],
            messages=[switch_message(A, B)],
        ),
        Session(masters=master_at(B, 4)),  # B -> A -> B while away: same address, epoch 4
    ]
    result = await run(sessions, waits=2)
    assert result.value("redis_sentinel_failovers_total", master_name="m1") == 2
    assert (
        result.value("redis_sentinel_events_total", master_name="m1", event="+switch-master") == 1
    )
    assert [len(c.commands) for c in result.sentinel.clients] == [2, 1]


async def test_a_sentinel_that_stays_away_is_warned_about_once_a_minute(
    run: Play, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="redis_ha_exporter.events.subscriber"):
        result = await run([Session(), *[Session(refuse=True)] * 300], waits=301)
    waited = sum(result.backoff.delays)
    failures = [r for r in caplog.records if r.msg in ("event stream lost", "cannot subscribe")]
    assert len(failures) == 301  # every attempt is logged ...
    loud = [r for r in failures if r.levelno == logging.WARNING]
    assert [r.msg for r in loud[:2]] == ["event stream lost", "cannot subscribe"]
    # ... and a warning once a minute
    assert waited // WARN_EVERY <= len(loud) - 1 <= math.ceil(waited / WARN_EVERY)
    assert max(result.backoff.delays) <= 1.0  # and retried at least once a second


async def test_stop_ends_the_subscription_and_closes_it(clock: Clock) -> None:
    state = EventState(ring_size=4)
    sentinel = FakeSentinel([Session(end="silence")], clock, state)
    subscriber = EventSubscriber(TARGET, state, client_factory=sentinel)
    subscriber.start()
    async with asyncio.timeout(5):
        await sentinel.reading.wait()
    assert state.stream_up
    await subscriber.stop()
    (client,) = sentinel.clients
    assert client.closed
    assert client.pubsub_.closed
    assert client.pubsub_.patterns == ("*",)


async def test_a_redis_target_found_to_be_a_sentinel_gets_an_event_stream() -> None:
    addr = "127.0.0.1:1"  # nothing listens: the subscriber keeps retrying until stopped
    as_redis = dataclasses.replace(
        sentinel_snapshot("healthy", addr), target=parse_target(addr, Kind.REDIS)
    )
    configured = sentinel_snapshot("healthy", ADDR)
    streams = EventStreams([], ring_size=8, max_masters=10)
    streams.start()
    try:
        streams.learn(Collection((as_redis, configured), 1))
        streams.learn(Collection((as_redis,), 2))  # once
        assert list(streams.states) == [addr]  # a configured Sentinel target is not learnt
        (subscriber,) = streams.subscribers
        assert subscriber.target.kind is Kind.REDIS
        await REAL_SLEEP(0)
        assert subscriber._task is not None
        assert not subscriber._task.done()
    finally:
        await streams.stop()
    assert subscriber._task is None
    streams.learn(
        Collection(
            (dataclasses.replace(as_redis, target=parse_target("127.0.0.1:2", Kind.REDIS)),), 3
        )
    )
    assert list(streams.states) == [addr]  # stopped: learns nothing more
    off = EventStreams([], ring_size=8, max_masters=10, enabled=False)
    off.learn(Collection((as_redis,), 1))
    assert off.states == {}


# --- an ACL that refuses what the stream sends --------------------------------------------


def refusals(caplog: pytest.LogCaptureFixture, command: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.msg == REFUSED[command]]


async def test_psubscribe_refused_leaves_the_stream_down_says_so_once_and_backs_off(
    run: Play, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="redis_ha_exporter.events.subscriber"):
        result = await run([Session(deny="psubscribe")] * 8, waits=8, backoff_max=1.0)
    first, *again = refusals(caplog, "PSUBSCRIBE")
    assert first.levelno == logging.WARNING
    assert "no permissions to run the 'psubscribe' command" in first.__dict__["kv"]["err"]
    assert [r.levelno for r in again] == [logging.DEBUG] * 7
    assert lost(caplog) == []
    assert all(0.5 <= r <= 1.0 for r in ratios(result.backoff.delays, 0.2, 1.0))  # capped
    assert result.backoff.seen == [(False, 0)] * 8
    assert result.sentinel.seen_connected == []  # never read past the refusal
    assert all(c.commands == [] for c in result.sentinel.clients)
    assert result.value("redis_sentinel_event_stream_up") == 0


async def test_psubscribe_refused_again_after_a_subscription_is_a_warning_again(
    run: Play, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = [Session(deny="psubscribe"), Session(), Session(deny="psubscribe")]
    with caplog.at_level(logging.DEBUG, logger="redis_ha_exporter.events.subscriber"):
        await run(sessions, waits=3)
    levels = [r.levelno for r in refusals(caplog, "PSUBSCRIBE")]
    assert levels == [logging.WARNING, logging.WARNING]


async def test_a_refused_ping_keeps_the_stream_without_noticing_silence(
    run: Play, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="redis_ha_exporter.events.subscriber"):
        result = await run([Session(messages=[None] * 30, deny="ping")] * 2, waits=2)
    for client in result.sentinel.clients:
        assert len(client.pubsub_.pings) == 1  # refused, and not sent again that session
    assert [r.levelno for r in refusals(caplog, "PING")] == [logging.WARNING, logging.DEBUG]
    assert lost(caplog) == ["ConnectionError"] * 2  # the scripted drops, never a stall
    assert result.sentinel.seen_connected == [(True, 0), (True, 1)]


async def test_sentinel_masters_refused_by_an_acl_is_said_once(
    run: Play, caplog: pytest.LogCaptureFixture
) -> None:
    denied = NoPermissionError("this user has no permissions to run the 'sentinel|masters' command")
    with caplog.at_level(logging.DEBUG, logger="redis_ha_exporter.events.subscriber"):
        result = await run([Session(masters=denied)] * 3, waits=3)
    assert [r.levelno for r in refusals(caplog, "SENTINEL MASTERS")] == [
        logging.WARNING,
        logging.DEBUG,
        logging.DEBUG,
    ]
    assert result.sentinel.seen_connected == [(True, 0), (True, 1), (True, 2)]


def resp(*parts: str) -> bytes:
    """``parts`` as one RESP array of bulk strings, as a server sends a message."""
    encoded = [p.encode() for p in parts]
    return b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in encoded)


def test_buffered_events_are_counted_at_once_up_to_an_error_reply_which_is_raised() -> None:
    """In a flood the subscriber handles what the connection's reader already holds, straight
    from it: events counted in one batch at one time, a malformed event a parse error, other
    channels and replies skipped, an error reply raised after the events before it counted,
    and what follows it left for the next read."""
    state = EventState()
    subscriber = EventSubscriber(TARGET, state)
    reader = hiredis.Reader(notEnoughData=NOT_ENOUGH_DATA, encoding="utf-8", errors="strict")
    pubsub = cast(
        Any, SimpleNamespace(connection=SimpleNamespace(_parser=SimpleNamespace(_reader=reader)))
    )
    sdown = "master m1 10.0.0.1 6379"
    reader.feed(
        resp("pmessage", "*", "+sdown", sdown)
        + resp("pmessage", "*", "+new-epoch", "not a number")
        + resp("pmessage", "*", "__keyspace@0__:k", "set")
        + b"+PONG\r\n"
        + resp("pmessage", "*", "-sdown", sdown)
        + b"-ERR boom\r\n"
        + resp("pmessage", "*", "+sdown", sdown)
    )
    with pytest.raises(hiredis.ReplyError, match="boom"):
        subscriber._handle_buffered(pubsub)
    snap = state.snapshot()
    assert snap.events == {("m1", "+sdown"): 1, ("m1", "-sdown"): 1}
    assert snap.parse_errors == 1
    assert len({entry["time"] for entry in state.recent()}) == 1
    subscriber._handle_buffered(pubsub)
    assert state.snapshot().events == {("m1", "+sdown"): 2, ("m1", "-sdown"): 1}
