"""Pure parsers for the replies of the admin commands the exporter sends beside ``INFO ALL``.

The fetch layer sends them with redis-py's response callbacks out of the way (``CONFIG``,
``SLOWLOG`` and ``LATENCY`` as separate words), so these functions see the raw RESP2 shapes
(RESP3 maps are accepted too)::

    CONFIG GET maxmemory   ["maxmemory", "67108864"]        (an empty list: no such parameter)
    SLOWLOG LEN            1
    SLOWLOG GET 1          [[0, 1796021043, 24489, ["DEBUG", "SLEEP", "0.02"], "127.0.0.1:39552",
                             ""]]
    LATENCY LATEST         [["command", 1796021043, 24, 24]]

Each command may be renamed away, disabled or refused by an ACL: the error reply never reaches
these parsers (the scrape leaves that command's families out). The rules of
:mod:`redis_ha_exporter.parse` apply: any other shape, or a number that is not one, raises
:class:`AdminParseError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from redis_ha_exporter.parse import ParseError, read_float, read_int

__all__ = [
    "AdminParseError",
    "LatencySpike",
    "SlowlogEntry",
    "parse_config_numbers",
    "parse_latency_latest",
    "parse_slowlog_get",
    "parse_slowlog_len",
]


class AdminParseError(ParseError):
    """A ``CONFIG``, ``SLOWLOG`` or ``LATENCY`` reply without the shape Redis gives it."""


@dataclass(frozen=True)
class SlowlogEntry:
    """One entry of ``SLOWLOG GET``: its id and the command's duration in microseconds."""

    id: int
    duration_us: int


@dataclass(frozen=True)
class LatencySpike:
    """One event of ``LATENCY LATEST``: when it last spiked (Unix time), how long that spike
    and the longest one lasted (milliseconds)."""

    event: str
    last_timestamp: int
    latest_ms: int
    max_ms: int


def _text(value: object) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _integer(value: object, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str | bytes):
        return read_int(_text(value), what, AdminParseError)
    raise AdminParseError(f"{what}: not an integer: {type(value).__name__}")


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list | tuple):
        raise AdminParseError(f"{what}: not a list: {type(value).__name__}")
    return list(value)


def parse_config_numbers(replies: Iterable[object]) -> dict[str, float]:
    """``CONFIG GET`` replies → ``{parameter: value}``, every value a number.

    Each reply is a flat ``[name, value, …]`` list (RESP2; one pair per parameter asked for, none
    for a parameter the server does not have, as Redis 3.2 answers for ``io-threads``) or a
    ``{name: value}`` map (RESP3).
    """
    numbers: dict[str, float] = {}
    for reply in replies:
        if isinstance(reply, dict):
            pairs = [(_text(k), v) for k, v in reply.items()]
        else:
            items = _list(reply, "CONFIG GET")
            if len(items) % 2:
                raise AdminParseError("CONFIG GET: odd number of items")
            pairs = [(_text(k), v) for k, v in zip(items[::2], items[1::2], strict=True)]
        for name, value in pairs:
            numbers[name] = read_float(_text(value), f"CONFIG {name}", AdminParseError)
    return numbers


def parse_slowlog_len(reply: object) -> int:
    """``SLOWLOG LEN`` → the number of entries in the slow log."""
    return _integer(reply, "SLOWLOG LEN")


def parse_slowlog_get(reply: object) -> tuple[SlowlogEntry, ...]:
    """``SLOWLOG GET n`` → its entries, newest first. An entry is ``[id, unix time, µs,
    [args…]]``, followed since Redis 4.0 by the client's address and name."""
    entries = []
    for item in _list(reply, "SLOWLOG GET"):
        entry = _list(item, "SLOWLOG GET entry")
        if len(entry) < 3:
            raise AdminParseError(f"SLOWLOG GET entry: {len(entry)} items")
        entries.append(
            SlowlogEntry(
                id=_integer(entry[0], "SLOWLOG GET id"),
                duration_us=_integer(entry[2], "SLOWLOG GET duration"),
            )
        )
    return tuple(entries)


def parse_latency_latest(reply: object) -> tuple[LatencySpike, ...]:
    """``LATENCY LATEST`` → one :class:`LatencySpike` per event (``[event, unix time, latest
    ms, max ms]``; an empty list while no event crossed ``latency-monitor-threshold``)."""
    spikes = []
    for item in _list(reply, "LATENCY LATEST"):
        event = _list(item, "LATENCY LATEST entry")
        if len(event) < 4:
            raise AdminParseError(f"LATENCY LATEST entry: {len(event)} items")
        name = _text(event[0])
        spikes.append(
            LatencySpike(
                event=name,
                last_timestamp=_integer(event[1], f"LATENCY LATEST {name} time"),
                latest_ms=_integer(event[2], f"LATENCY LATEST {name} latest"),
                max_ms=_integer(event[3], f"LATENCY LATEST {name} max"),
            )
        )
    return tuple(spikes)
