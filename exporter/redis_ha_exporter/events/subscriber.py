"""One long-lived subscriber task per Sentinel: subscribe → parse → :class:`EventState`.

The task ``PSUBSCRIBE *`` on the Sentinel, reads with ``get_message(timeout=…)`` (never the
spinning default), and on any failure marks the stream down, waits a capped, jittered backoff
and starts again — forever, until stopped. After every (re)subscription it reads
``SENTINEL MASTERS`` and reconciles, so a failover that happened while it was disconnected is
still counted (and logged as reconciled). It subscribes *before* reading ``SENTINEL
MASTERS``, so an in-flight ``+switch-master`` is seen by one or the other and counted once.
After a ``+switch-master`` it reads ``SENTINEL MASTERS`` once more, for the master's new config
epoch: the baseline the next reconcile compares with.

Recovery is quick and cheap: connecting (and subscribing) is bounded by ``connect_timeout``
(1.5 s: a lost SYN is sent again after 1 s) and the backoff is capped at ``backoff_max`` (1 s),
so a Sentinel back on the network is subscribed to within about 1.5 s. A Sentinel that stays
away costs one connection attempt a second and one warning a minute (the first failure of a
series is logged at once, the rest at debug level).

A silent Sentinel (``SIGSTOP``, a cut network) is noticed by our own ``PING`` every
``ping_interval`` seconds: a bare ``PING``, since the ``PING <arg>`` of redis-py's health check
is rejected by Sentinels before 7.0 while subscribed. The scrape path only reads
``EventState.snapshot()``; nothing here can block a scrape.

A Sentinel whose ACL refuses what the stream needs costs only what needs it, and says so once
per Sentinel (a warning; the same refusal again is a debug line): ``PSUBSCRIBE *`` (the command
or the channels) refused leaves the stream down, retried with the same capped backoff;
``SENTINEL MASTERS`` refused, no reconciling after a reconnect; ``PING`` refused, no noticing a
silent Sentinel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis._parsers.hiredis import NOT_ENOUGH_DATA
from redis.exceptions import NoPermissionError, ResponseError

from redis_ha_exporter.events.state import EventSnapshot, EventState, MasterView
from redis_ha_exporter.fetch.client import TARGET_ERRORS, make_client
from redis_ha_exporter.logs import kv
from redis_ha_exporter.parse.events import (
    EventParseError,
    SentinelEvent,
    is_event_channel,
    parse_event,
)
from redis_ha_exporter.parse.sentinel import parse_sentinel_masters
from redis_ha_exporter.snapshot import Collection
from redis_ha_exporter.targets import Kind, Target

log = logging.getLogger(__name__)

#: Seconds between two warnings about a Sentinel that stays unreachable.
WARN_EVERY = 60.0


class StreamStalled(ConnectionError):
    """The Sentinel did not answer our PING in time."""


#: What the log says when the Sentinel refuses a command the stream sends: what is lost.
REFUSED = {
    "PSUBSCRIBE": "event stream refused: no events until the Sentinel allows PSUBSCRIBE *",
    "SENTINEL MASTERS": "cannot reconcile: SENTINEL MASTERS refused",
    "PING": "PING refused: a Sentinel that falls silent goes unnoticed",
}


def subscription_client(target: Target, timeout: float) -> aioredis.Redis:
    """A client for one subscription: connecting is bounded by ``timeout``, reads are not
    (``get_message(timeout=…)`` bounds each wait)."""
    return make_client(target, timeout, blocking_reads=True)


class EventSubscriber:
    """Keeps one Sentinel's event stream flowing into ``state``."""

    def __init__(
        self,
        target: Target,
        state: EventState,
        *,
        connect_timeout: float = 1.5,
        ping_interval: float = 5.0,
        backoff_initial: float = 0.2,
        backoff_max: float = 1.0,
        client_factory: Callable[[Target, float], aioredis.Redis] = subscription_client,
    ) -> None:
        self.target = target
        self.state = state
        self.connect_timeout = connect_timeout
        self.ping_interval = ping_interval
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._client_factory = client_factory
        self._task: asyncio.Task[None] | None = None
        self._subscribed = False
        self._refused: set[str] = set()  # the commands whose refusal was logged as a warning

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"events {self.target.addr}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self) -> None:
        """Subscribe, consume, and reconnect with capped jittered backoff, forever.

        A target fault (``TARGET_ERRORS``) is a warning when a subscription is lost or the
        first attempt fails, then once every :data:`WARN_EVERY` seconds while the attempts keep
        failing (each one is logged at debug level). Any other exception is a bug of
        ours: it is logged with its traceback and the stream reconnects all the same, so a bug
        met on one message cannot end the stream for good; it never resets the backoff, so a
        bug met in every session cannot spin either.
        """
        backoff = self.backoff_initial
        failures, warned_at = 0, -math.inf
        while True:
            self._subscribed = False
            try:
                await self._session()
            except Exception as exc:  # _session ends only by raising or being cancelled
                if self.state.stream_up:
                    self.state.mark_disconnected(time.time())
                if isinstance(exc, NoPermissionError) and not self._subscribed:
                    self._note_refused("PSUBSCRIBE", exc, retry_in=round(backoff, 2))
                elif isinstance(exc, TARGET_ERRORS):
                    if self._subscribed:  # a session that got going starts the backoff over
                        backoff, failures = self.backoff_initial, 0
                    failures += 1
                    now = time.monotonic()
                    loud = failures == 1 or now - warned_at >= WARN_EVERY
                    if loud:
                        warned_at = now
                    log.log(
                        logging.WARNING if loud else logging.DEBUG,
                        "event stream lost" if self._subscribed else "cannot subscribe",
                        extra=kv(
                            addr=self.target.addr,
                            reason=type(exc).__name__,
                            err=str(exc)[:200],
                            failures=failures,
                            retry_in=round(backoff, 2),
                        ),
                    )
                else:
                    log.exception(
                        "event stream failed on a bug of the exporter",
                        extra=kv(addr=self.target.addr, retry_in=round(backoff, 2)),
                    )
            await asyncio.sleep(backoff * random.uniform(0.5, 1.0))
            backoff = min(backoff * 2, self.backoff_max)

    async def _session(self) -> None:
        """One subscription, until it fails (it ends only by raising or being cancelled)."""
        client = self._client_factory(self.target, self.connect_timeout)
        pubsub = client.pubsub()
        try:
            async with asyncio.timeout(self.connect_timeout):
                await pubsub.psubscribe("*")
                await _confirmed(pubsub)
                masters = await self._read_masters(client)
            self.state.mark_connected(time.time())
            self._subscribed = True
            self._refused.discard("PSUBSCRIBE")
            if masters is not None:
                self._reconcile(masters)
            log.info("event stream subscribed", extra=kv(addr=self.target.addr))
            await self._consume(pubsub, client if masters is not None else None)
        finally:
            with contextlib.suppress(*TARGET_ERRORS):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            with contextlib.suppress(*TARGET_ERRORS):
                await client.aclose()

    def _note_refused(self, command: str, exc: Exception, **more: object) -> None:
        """Log that the Sentinel refused ``command``: a warning the first time, then debug."""
        level = logging.DEBUG if command in self._refused else logging.WARNING
        self._refused.add(command)
        log.log(
            level, REFUSED[command], extra=kv(addr=self.target.addr, err=str(exc)[:200], **more)
        )

    async def _read_masters(self, client: aioredis.Redis) -> dict[str, MasterView] | None:
        """``SENTINEL MASTERS`` as the event state reads it; None when refused (not a Sentinel
        after all, or an ACL without it)."""
        try:
            reply = await client.execute_command("SENTINEL", "MASTERS")  # type: ignore[no-untyped-call]
        except ResponseError as exc:
            self._note_refused("SENTINEL MASTERS", exc)
            return None
        return {
            m.name: MasterView(m.address, m.config_epoch, m.failover_in_progress)
            for m in parse_sentinel_masters(reply)
        }

    def _reconcile(self, masters: Mapping[str, MasterView]) -> None:
        for name in self.state.reconcile(masters, time.time()):
            log.warning(
                "failover reconciled: it happened while the event stream was down",
                extra=kv(
                    addr=self.target.addr, master_name=name, master_address=masters[name].address
                ),
            )

    async def _consume(self, pubsub: aioredis.client.PubSub, client: aioredis.Redis | None) -> None:
        """Read events until the connection fails; ``client`` (None when ``SENTINEL MASTERS``
        is refused) reads the new config epochs after a ``+switch-master``."""
        last_heard = time.monotonic()
        ping_sent: float | None = None
        pinging = True
        while True:
            try:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None and message.get("type") == "pmessage":
                    self.handle(str(message["channel"]), str(message["data"]))
                    self._handle_buffered(pubsub)
            except NoPermissionError as exc:  # the reply to our PING: the only command we send
                if ping_sent is None:
                    raise
                self._note_refused("PING", exc)
                pinging, ping_sent = False, None
                continue
            now = time.monotonic()
            if message is not None:
                last_heard, ping_sent = now, None
                if client is not None and self.state.needs_rebaseline:  # after the events read
                    async with asyncio.timeout(self.connect_timeout):
                        masters = await self._read_masters(client)
                    self.state.rebaseline(masters or {})
                continue
            if ping_sent is not None and now - ping_sent > self.ping_interval:
                raise StreamStalled(f"no reply to PING within {self.ping_interval:.0f}s")
            if pinging and ping_sent is None and now - last_heard > self.ping_interval:
                await pubsub.ping()
                ping_sent = now

    def _handle_buffered(self, pubsub: aioredis.client.PubSub) -> None:
        """Handle the events the connection has already read off the socket, straight from
        its reply reader: in a flood, ``get_message()`` per event (a timeout, a retry wrapper,
        a dict) cost more than the event itself. They are counted at once, at the time they
        are (``EventState.apply_all``). A reply that is not an event (``PONG``) was heard, an
        error reply is raised as ``get_message()`` raises it, after the events before it are
        counted; what does not fit in the buffer waits for the next ``get_message()``."""
        reader = _reply_reader(pubsub)
        if reader is None:
            return
        gets, more = reader.gets, NOT_ENOUGH_DATA
        events: list[SentinelEvent] = []
        add = events.append
        try:
            while (reply := gets()) is not more:
                match reply:  # a match is the cheapest test of a reply's shape
                    case ["pmessage", _, channel, payload]:
                        try:
                            add(parse_event(channel, payload))
                        except EventParseError:
                            self._rejected(channel)
                    case BaseException():
                        raise reply
        finally:
            self.state.apply_all(events, time.time())

    def handle(self, channel: str, payload: str) -> None:
        """One published message → event state (non-event channels are ignored)."""
        try:
            self.state.apply(parse_event(channel, payload), time.time())
        except EventParseError:
            self._rejected(channel)

    def _rejected(self, channel: str) -> None:
        """A message ``parse_event()`` refused: a parse error if its channel is an event's,
        else not an event at all (checked here, off the hot path)."""
        if is_event_channel(channel):
            self.state.record_parse_error()
            log.debug("unparsable event", extra=kv(addr=self.target.addr, channel=channel[:64]))


def _reply_reader(pubsub: aioredis.client.PubSub) -> Any:
    """The hiredis reader of the subscription's connection (``gets()``: the next whole reply it
    holds, redis-py's ``NOT_ENOUGH_DATA`` when it needs more bytes), or None (not connected,
    or not hiredis)."""
    parser = getattr(getattr(pubsub, "connection", None), "_parser", None)
    reader = getattr(parser, "_reader", None)
    return reader if callable(getattr(reader, "gets", None)) else None


async def _confirmed(pubsub: aioredis.client.PubSub) -> None:
    """Wait for the Sentinel's reply to ``PSUBSCRIBE``: the first message of the connection.
    A refusal (``NOPERM``: an ACL without ``psubscribe`` or the channels) is raised here, before
    the stream counts as up."""
    while await pubsub.get_message(timeout=1.0) is None:
        pass


class EventStreams:
    """The event state and subscriber of every configured Sentinel, and of every Redis target
    that turns out to be a Sentinel (:meth:`learn`)."""

    def __init__(
        self,
        targets: Sequence[Target],
        ring_size: int,
        max_masters: int,
        *,
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled
        self.ring_size = ring_size
        self.max_masters = max_masters
        self.states: dict[str, EventState] = {}
        self.subscribers: list[EventSubscriber] = []
        self._running = False
        self._stopped = False
        for target in targets if enabled else ():
            self._add(target)

    def _add(self, target: Target) -> EventSubscriber:
        state = self.states[target.addr] = EventState(self.ring_size, max_masters=self.max_masters)
        subscriber = EventSubscriber(target, state)
        self.subscribers.append(subscriber)
        return subscriber

    def start(self) -> None:
        self._running = True
        for subscriber in self.subscribers:
            subscriber.start()

    def learn(self, collection: Collection) -> None:
        """Subscribe to every Redis target the collection found to be a Sentinel (its ``INFO``
        says ``redis_mode:sentinel``), once: configured under ``--redis.addr``, it gets an
        event stream all the same, from the first collection that recognises it."""
        if not self.enabled or self._stopped:
            return
        for snap in collection.targets:
            if (
                snap.target.kind is Kind.REDIS
                and snap.sentinel is not None
                and snap.addr not in self.states
            ):
                log.info("a Redis target is a Sentinel: subscribing", extra=kv(addr=snap.addr))
                subscriber = self._add(snap.target)
                if self._running:
                    subscriber.start()

    async def stop(self) -> None:
        self._stopped = True
        await asyncio.gather(*(s.stop() for s in self.subscribers))

    def snapshots(self) -> dict[str, EventSnapshot]:
        return {addr: state.snapshot() for addr, state in self.states.items()}

    def recent(self, limit: int) -> list[dict[str, object]]:
        """The newest ``limit`` events of all Sentinels, newest first, with their ``sentinel``."""
        merged = [
            {"sentinel": addr, **event}
            for addr, state in self.states.items()
            for event in state.recent()
        ]
        merged.sort(key=lambda e: float(e["time"]), reverse=True)  # type: ignore[arg-type]
        return merged[:limit]
