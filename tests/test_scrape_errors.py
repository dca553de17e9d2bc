"""A target's fault is a warning; a bug of ours is an error with its traceback, and never
passes for a target that is down.

In-process: an event subscriber whose sessions end in scripted exceptions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, cast

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from redis_ha_exporter.events.state import EventState
from redis_ha_exporter.events.subscriber import EventSubscriber
from redis_ha_exporter.logs import LogfmtFormatter
from redis_ha_exporter.targets import Kind, parse_target

SENTINEL = parse_target("redis://127.0.0.1:26399", Kind.SENTINEL)


def records(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(message)]


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The key/values a call site passed with ``extra=kv(...)``."""
    return cast(dict[str, Any], getattr(record, "kv", {}))


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
