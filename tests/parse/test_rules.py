"""The rules every parser shares (redis_ha_exporter.parse): one error base, one way to read a
number, one address format."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redis_ha_exporter.parse import ParseError, format_address, read_float, read_int
from redis_ha_exporter.parse.events import parse_event
from redis_ha_exporter.parse.info import InfoParseError, parse_info_fields, parse_info_sentinel
from redis_ha_exporter.parse.sentinel import parse_sentinel_master


class OwnError(ParseError):
    pass


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("-1", -1), ("193884", 193884)])
def test_read_int_reads_what_redis_prints(text: str, value: int) -> None:
    assert read_int(text, "field", OwnError) == value


@pytest.mark.parametrize(
    "text", ["", "-", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "1_000", "\uff11", "9" * 5000]
)
def test_read_int_raises_the_callers_error_naming_the_field(text: str) -> None:
    with pytest.raises(OwnError, match=r"^quorum: "):
        read_int(text, "quorum", OwnError)


@given(st.text())
def test_read_int_raises_nothing_else(text: str) -> None:
    try:
        value = read_int(text, "field", OwnError)
    except OwnError:
        return
    assert text.isascii()
    assert text.strip() == text
    assert value == int(text)


#: What Redis prints with %lld, %.2f, %.17g, and C's nan/inf: read_float takes this, no more.
PRINTED = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|-?(nan|inf)", re.IGNORECASE)


@given(
    st.one_of(st.text(), st.from_regex(r"-?[0-9]{0,3}\.?[0-9]{0,3}(e[-+]?[0-9])?", fullmatch=True))
)
def test_read_float_takes_exactly_what_redis_prints(text: str) -> None:
    try:
        value = read_float(text, "field", OwnError)
    except OwnError:
        assert PRINTED.fullmatch(text) is None
        return
    assert PRINTED.fullmatch(text) is not None
    assert value == float(text) or (math.isnan(value) and math.isnan(float(text)))


def test_format_address_is_unbracketed_host_colon_port() -> None:
    assert format_address("10.0.0.1", 6379) == "10.0.0.1:6379"
    assert format_address("::1", "6379") == "::1:6379"


def test_the_same_address_reads_alike_from_info_sentinel_replies_and_events() -> None:
    info = parse_info_sentinel(
        parse_info_fields(
            "sentinel_masters:1\nsentinel_tilt:0\nsentinel_running_scripts:0\n"
            "sentinel_scripts_queue_length:0\n"
            "master0:name=m,status=ok,address=fe80::1:6379,slaves=0,sentinels=1\n"
        )
    )
    master = parse_sentinel_master(
        {
            "name": "m",
            "ip": "fe80::1",
            "port": "6379",
            "flags": "master",
            "config-epoch": "0",
            "num-slaves": "0",
            "num-other-sentinels": "0",
            "quorum": "2",
            "down-after-milliseconds": "5000",
            "failover-timeout": "60000",
            "parallel-syncs": "1",
        }
    )
    event = parse_event("+sdown", "master m fe80::1 6379")
    assert info.monitored[0].address == master.address == event.master_address == "fe80::1:6379"


def test_every_parser_error_is_a_parse_error() -> None:
    with pytest.raises(ParseError) as info_error:
        parse_info_fields("not INFO")
    with pytest.raises(ParseError) as sentinel_error:
        parse_sentinel_master(["name"])
    with pytest.raises(ParseError) as event_error:
        parse_event("+odown", "master m 10.0.0.1 6379")
    assert isinstance(info_error.value, InfoParseError)
    names = {type(e.value).__name__ for e in (info_error, sentinel_error, event_error)}
    assert names == {"InfoParseError", "SentinelParseError", "EventParseError"}
