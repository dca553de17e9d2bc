"""Pure parsers for the figures of a whole ``INFO ALL``: the fields of every section, split once
by :func:`~redis_ha_exporter.parse.info.parse_info_fields`, in; typed records out.

What they read (Redis 7.0 prints all of these; Redis 3.2 has no ``rejected_calls``/
``failed_calls``, no ``errorstats`` and no ``latencystats``)::

    used_memory:1139088
    rdb_last_bgsave_status:ok
    db0:keys=26,expires=5,avg_ttl=3599541
    cmdstat_config|get:calls=1,usec=321,usec_per_call=321.00,rejected_calls=0,failed_calls=0
    errorstat_WRONGTYPE:count=1
    latency_percentiles_usec_get:p50=2.007,p99=3.007,p99.9=3.007

:func:`parse_instance_stats` reads only the scalar fields it is asked for (the exporter asks for
the ones it exports), and every ``dbN``, ``cmdstat_*``, ``errorstat_*`` and
``latency_percentiles_usec_*`` field. The rules of :mod:`redis_ha_exporter.parse` apply: a field
that is present and cannot be read raises :class:`~.info.InfoParseError`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from typing import NamedTuple

from redis_ha_exporter.parse import read_float, read_int
from redis_ha_exporter.parse.info import InfoParseError, parse_info_pairs

__all__ = [
    "CommandLatency",
    "CommandStat",
    "DbKeyspace",
    "ErrorStat",
    "InstanceStats",
    "parse_instance_stats",
    "read_info_number",
]

COMMAND_PREFIX = "cmdstat_"
ERROR_PREFIX = "errorstat_"
LATENCY_PREFIX = "latency_percentiles_usec_"
_DB_KEY = re.compile(r"db[0-9]+")
#: The prefixes of the fields read as lists.
_LISTED = (COMMAND_PREFIX, LATENCY_PREFIX, ERROR_PREFIX, "db")
# Status words Redis prints for yes/no fields (``rdb_last_bgsave_status:ok``), read as
# redis_exporter reads them.
_WORDS = {"ok": 1.0, "true": 1.0, "err": 0.0, "fail": 0.0, "false": 0.0}


# The records a scrape's samples are grouped by (redis_ha_exporter.families' add_group) are
# named tuples: hashed and compared in C on every scrape.


class DbKeyspace(NamedTuple):
    """One ``dbN:`` line of ``INFO keyspace``; ``avg_ttl_ms`` is None when not printed."""

    db: str
    keys: int
    expires: int
    avg_ttl_ms: int | None


class CommandStat(NamedTuple):
    """One ``cmdstat_<cmd>:`` line; ``rejected_calls``/``failed_calls`` are None before 6.2."""

    cmd: str
    calls: int
    usec: int
    rejected_calls: int | None
    failed_calls: int | None


@dataclass(frozen=True)
class ErrorStat:
    """One ``errorstat_<code>:count=N`` line (Redis >= 6.2)."""

    err: str
    count: int


class CommandLatency(NamedTuple):
    """One ``latency_percentiles_usec_<cmd>:`` line (Redis >= 7.0): ``(percentile, µs)``
    pairs in the order printed, the percentile as redis_exporter labels it (``p99.9`` →
    ``"99.9"``, ``p50`` → ``"50"``)."""

    cmd: str
    percentiles: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class InstanceStats:
    """The figures of a full ``INFO``: ``numbers`` holds the scalar fields asked for that the
    server printed, read as numbers (status words ``ok``/``err`` as 1/0)."""

    numbers: Mapping[str, float]
    keyspace: tuple[DbKeyspace, ...]
    commands: tuple[CommandStat, ...]
    errors: tuple[ErrorStat, ...]
    latencies: tuple[CommandLatency, ...]


def read_info_number(value: str, field: str) -> float:
    """``"1.09"`` → 1.09, ``"ok"`` → 1.0, ``"err"`` → 0.0: one scalar ``INFO`` value."""
    if value.isascii() and value.isdigit():  # most fields: a plain count, read at once
        return float(value)
    word = _WORDS.get(value)
    return word if word is not None else read_float(value, field, InfoParseError)


def _int(pairs: Mapping[str, str], key: str, field: str) -> int | None:
    value = pairs.get(key)
    return None if value is None else read_int(value, f"{field} {key}", InfoParseError)


def _required(pairs: Mapping[str, str], key: str, field: str) -> int:
    value = _int(pairs, key, field)
    if value is None:
        raise InfoParseError(f"{field} has no {key}=")
    return value


def _db(key: str, value: str) -> DbKeyspace:
    """``db0`` / ``keys=26,expires=5,avg_ttl=3599541`` (7.4 adds ``subexpiry=0``)."""
    pairs = parse_info_pairs(value)
    return DbKeyspace(
        db=key,
        keys=_required(pairs, "keys", key),
        expires=_required(pairs, "expires", key),
        avg_ttl_ms=_int(pairs, "avg_ttl", key),
    )


#: Lines seen again unchanged (commands not run since the last scrape) are not read again.
_line_cache = functools.lru_cache(maxsize=256)


@_line_cache
def _command(key: str, value: str) -> CommandStat:
    """``cmdstat_get`` / ``calls=4,usec=9,usec_per_call=2.25,rejected_calls=0,failed_calls=0``."""
    pairs = parse_info_pairs(value)
    return CommandStat(
        cmd=key[len(COMMAND_PREFIX) :],
        calls=_required(pairs, "calls", key),
        usec=_required(pairs, "usec", key),
        rejected_calls=_int(pairs, "rejected_calls", key),
        failed_calls=_int(pairs, "failed_calls", key),
    )


def _error(key: str, value: str) -> ErrorStat:
    """``errorstat_WRONGTYPE`` / ``count=1``."""
    return ErrorStat(
        err=key[len(ERROR_PREFIX) :], count=_required(parse_info_pairs(value), "count", key)
    )


@functools.lru_cache(maxsize=64)  # the same few names on every scrape
def _percentile(name: str, field: str) -> str:
    """``p99.9`` → ``"99.9"``, ``p50`` / ``p50.000`` → ``"50"``: the shortest form of the
    number, as Go formats the quantile label of redis_exporter's summary."""
    if not name.startswith("p"):
        raise InfoParseError(f"{field}: not a percentile: {name[:20]!r}")
    text = repr(read_float(name[1:], field, InfoParseError))
    return text.removesuffix(".0")


@_line_cache
def _latency(key: str, value: str) -> CommandLatency:
    """``latency_percentiles_usec_get`` / ``p50=2.007,p99=3.007,p99.9=3.007``."""
    return CommandLatency(
        cmd=key[len(LATENCY_PREFIX) :],
        percentiles=tuple(
            (_percentile(name, key), read_float(number, key, InfoParseError))
            for name, number in parse_info_pairs(value).items()
        ),
    )


def parse_instance_stats(fields: Mapping[str, str], wanted: Iterable[str]) -> InstanceStats:
    """Type the figures of a full ``INFO`` (the ``fields`` of every section).

    ``numbers`` holds each field of ``wanted`` that is present; ``keyspace``, ``commands``,
    ``errors`` and ``latencies`` every ``dbN``, ``cmdstat_*``, ``errorstat_*`` and
    ``latency_percentiles_usec_*`` field; all in the order printed. A line of those kinds without
    its counts (``keys=``, ``expires=``, ``calls=``, ``usec=``, ``count=``) raises.
    """
    if not isinstance(wanted, Mapping | Set):
        wanted = frozenset(wanted)
    numbers = {}
    keyspace, commands, errors, latencies = [], [], [], []
    for key, value in fields.items():
        if key in wanted:
            numbers[key] = read_info_number(value, key)
        elif not key.startswith(_LISTED):  # a field not exported
            continue
        elif key.startswith(COMMAND_PREFIX):
            commands.append(_command(key, value))
        elif key.startswith(LATENCY_PREFIX):
            latencies.append(_latency(key, value))
        elif key.startswith(ERROR_PREFIX):
            errors.append(_error(key, value))
        elif key.startswith("db") and _DB_KEY.fullmatch(key):
            keyspace.append(_db(key, value))
    return InstanceStats(
        numbers=numbers,
        keyspace=tuple(keyspace),
        commands=tuple(commands),
        errors=tuple(errors),
        latencies=tuple(latencies),
    )
