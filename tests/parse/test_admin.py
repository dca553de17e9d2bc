"""Table tests on the recorded replies of ``CONFIG GET``, ``SLOWLOG`` and ``LATENCY LATEST``
(Redis 7.0, recorded live; the seeds' Redis 3.2 shapes, built by hand) and property tests: no
reply makes a parser raise anything but AdminParseError."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redis_ha_exporter.parse.admin import (
    AdminParseError,
    LatencySpike,
    SlowlogEntry,
    parse_config_numbers,
    parse_latency_latest,
    parse_slowlog_get,
    parse_slowlog_len,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "info"


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_redis7_replies() -> None:
    replies = recorded("redis7-replies.json")
    config = parse_config_numbers(replies["config"].values())
    assert config == {
        "databases": 16,
        "maxmemory": 64 * 2**20,  # the recorder's maxmemory 64mb
        "maxclients": 10000,
        "io-threads": 1,
        "repl-backlog-size": 2**20,
    }
    admin = replies["admin"]
    assert parse_slowlog_len(admin["SLOWLOG LEN"]) == 1
    (newest,) = parse_slowlog_get(admin["SLOWLOG GET 1"])
    assert newest.id == 0
    assert newest.duration_us >= 20_000  # DEBUG SLEEP 0.02
    (spike,) = parse_latency_latest(admin["LATENCY LATEST"])
    assert spike.event == "command"
    assert spike.latest_ms >= 20
    assert spike.max_ms >= spike.latest_ms


def test_redis32_replies() -> None:
    replies = recorded("redis32-replies.json")
    config = parse_config_numbers(replies["config"].values())
    assert "io-threads" not in config  # 3.2 answers an empty list for a parameter it lacks
    assert config["maxmemory"] == 2**30
    admin = replies["admin"]
    # A 3.2 entry has four items (no client address or name).
    assert parse_slowlog_get(admin["SLOWLOG GET 1"]) == (SlowlogEntry(1131, 12873),)
    assert parse_latency_latest(admin["LATENCY LATEST"]) == ()


@pytest.mark.parametrize(
    ("replies", "expected"),
    [
        ([["maxmemory", "0"], []], {"maxmemory": 0}),
        ([{"maxclients": "10"}], {"maxclients": 10}),  # RESP3
        ([[b"maxclients", b"10"]], {"maxclients": 10}),
        ([], {}),
    ],
)
def test_config_shapes(replies: list[object], expected: dict[str, float]) -> None:
    assert parse_config_numbers(replies) == expected


@pytest.mark.parametrize(
    ("parse", "reply"),
    [
        (parse_config_numbers, [["maxmemory"]]),
        (parse_config_numbers, [["maxmemory", "64mb"]]),
        (parse_config_numbers, ["maxmemory 0"]),
        (parse_slowlog_len, "many"),
        (parse_slowlog_len, None),
        (parse_slowlog_len, True),
        (parse_slowlog_get, [[1, 2]]),
        (parse_slowlog_get, [["x", 2, 3, []]]),
        (parse_slowlog_get, "OK"),
        (parse_latency_latest, [["command", 1, 2]]),
        (parse_latency_latest, [["command", 1, "x", 3]]),
        (parse_latency_latest, {"command": 1}),
    ],
)
def test_malformed(parse: Callable[[Any], object], reply: object) -> None:
    with pytest.raises(AdminParseError):
        parse(reply)


def test_latency_latest_shapes() -> None:
    assert parse_latency_latest([[b"fork", b"1700000000", 3, 9]]) == (
        LatencySpike("fork", 1700000000, 3, 9),
    )


SCALARS = st.one_of(
    st.text(max_size=12), st.binary(max_size=12), st.integers(), st.none(), st.booleans()
)
NESTED = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.dictionaries(st.one_of(st.text(max_size=8), st.binary(max_size=8)), children),
    ),
    max_leaves=25,
)


@given(NESTED)
def test_no_reply_crashes_a_parser(reply: object) -> None:
    checks: list[tuple[Callable[[Any], object], Callable[[Any], bool]]] = [
        (parse_slowlog_len, lambda n: isinstance(n, int)),
        (parse_slowlog_get, lambda t: all(isinstance(e, SlowlogEntry) for e in t)),
        (parse_latency_latest, lambda t: all(isinstance(e.event, str) for e in t)),
        (
            lambda r: parse_config_numbers([r]),
            lambda c: all(isinstance(v, float) for v in c.values()),
        ),
    ]
    for parse, well_typed in checks:
        try:
            result = parse(reply)
        except AdminParseError:
            continue
        assert well_typed(result), result
