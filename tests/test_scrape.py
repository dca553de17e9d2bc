"""The scrape path in-process: fake servers behind ``client_factory`` (tests/fakes.py).

Single flight, the deadline, per-target failure and the short-lived ``/scrape`` client, with
recorded replies of real servers and metric values read back the way client_python's own tests
do (``registry.get_sample_value``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref

import pytest
from prometheus_client import CollectorRegistry
from redis.exceptions import AuthenticationError, ConnectionError, TimeoutError

from fakes import FIXTURES, FakeNetwork, FakeServer, redis_replies, sentinel_replies
from redis_ha_exporter.families import build_families, registry_of
from redis_ha_exporter.scrape import Scraper, deadline_from_header
from redis_ha_exporter.snapshot import Collection, TargetSnapshot
from redis_ha_exporter.targets import Kind, parse_target
from support import families_from

REDIS = "10.0.0.1:6379"
OTHER = "10.0.0.2:6379"
SENTINEL = "10.0.0.3:26379"


def registry(collection: Collection) -> CollectorRegistry:
    return registry_of(build_families(collection))


def up(collection: Collection, addr: str) -> float | None:
    return registry(collection).get_sample_value("redis_up", {"addr": addr})


def scraper(net: FakeNetwork, *redis: str, sentinels: tuple[str, ...] = ()) -> Scraper:
    targets = [parse_target(a, Kind.REDIS) for a in redis]
    targets += [parse_target(a, Kind.SENTINEL) for a in sentinels]
    return Scraper(targets, default_timeout=5.0, max_masters=10, client_factory=net)


@pytest.mark.parametrize(
    ("header", "default", "expected"),
    [
        (None, 10.0, 9.5),  # 10 s less 0.5 s margin
        ("10", 30.0, 9.5),  # the header wins over the default
        ("2", 10.0, 1.6),  # 20 % margin below 2.5 s
        ("0.2", 10.0, 0.16),
        ("0.01", 10.0, 0.05),  # never below 50 ms
        ("", 4.0, 3.5),
        ("soon", 4.0, 3.5),
        ("-1", 4.0, 3.5),
        ("0", 4.0, 3.5),
        ("nan", 4.0, 3.5),
        ("inf", 4.0, 3.5),  # an endless budget would let one hung target hold a scrape open
    ],
)
def test_deadline_from_header(header: str | None, default: float, expected: float) -> None:
    assert deadline_from_header(header, default) == pytest.approx(expected)


async def test_concurrent_collects_share_one_collection() -> None:
    net = FakeNetwork(
        {
            REDIS: FakeServer(redis_replies(), delay=0.05),
            SENTINEL: FakeServer(sentinel_replies("healthy"), delay=0.05),
        }
    )
    s = scraper(net, REDIS, sentinels=(SENTINEL,))
    first, second, third = await asyncio.gather(s.collect(2.0), s.collect(2.0), s.collect(2.0))
    assert first is second is third
    assert net.servers[REDIS].round_trips == 1  # INFO ALL, CONFIG, SLOWLOG, LATENCY: pipelined
    assert net.servers[SENTINEL].round_trips == 2  # overview, then the masters' details
    assert registry(first).get_sample_value("redis_exporter_scrapes_total") == 1

    later = await s.collect(2.0)  # the first collection is over: a new one starts
    assert later is not first
    assert net.servers[REDIS].round_trips == 2
    assert net.servers[SENTINEL].round_trips == 3  # the same masters: asked about at once
    assert registry(later).get_sample_value("redis_exporter_scrapes_total") == 2
    await s.close()


async def test_a_finished_collection_is_kept_by_its_scrapes_alone() -> None:
    # Freed when the scrapes are done with it (after their answers are sent), not when the next
    # collection starts, in the next scrape's time.
    s = scraper(FakeNetwork({REDIS: FakeServer(redis_replies())}), REDIS)
    collection = await s.collect(2.0)
    kept = weakref.ref(collection)
    del collection
    await asyncio.sleep(0)  # the step that resumed this task holds its wake-up until it yields
    assert kept() is None
    await s.close()


async def test_a_scrape_that_hangs_up_does_not_cancel_the_shared_collection() -> None:
    net = FakeNetwork({REDIS: FakeServer(redis_replies(), delay=0.05)})
    s = scraper(net, REDIS)
    leaving = asyncio.create_task(s.collect(2.0))
    await asyncio.sleep(0.01)  # the collection is under way
    staying = asyncio.create_task(s.collect(2.0))
    leaving.cancel()
    collection = await staying
    assert leaving.cancelled()
    assert up(collection, REDIS) == 1
    assert net.servers[REDIS].round_trips == 1
    await s.close()


async def test_a_hung_target_is_down_at_the_deadline_and_delays_no_other() -> None:
    net = FakeNetwork(
        {REDIS: FakeServer(redis_replies()), OTHER: FakeServer(redis_replies(), hang=True)}
    )
    s = scraper(net, REDIS, OTHER)
    async with asyncio.timeout(10):  # the test fails, not hangs, if the deadline is ignored
        collection = await s.collect(0.2)
    values = registry(collection)
    assert values.get_sample_value("redis_up", {"addr": REDIS}) == 1
    assert values.get_sample_value("redis_up", {"addr": OTHER}) == 0
    assert values.get_sample_value("redis_exporter_last_scrape_error", {"addr": OTHER}) == 1
    hung = values.get_sample_value("redis_exporter_last_scrape_duration_seconds", {"addr": OTHER})
    fast = values.get_sample_value("redis_exporter_last_scrape_duration_seconds", {"addr": REDIS})
    assert hung is not None
    assert fast is not None
    assert hung >= 0.2 > fast
    await s.close()


@pytest.mark.parametrize(
    "error",
    [
        ConnectionError("Connection refused"),
        TimeoutError("Timeout reading from socket"),
        AuthenticationError("invalid username-password pair"),
        OSError(113, "No route to host"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_a_failing_target_is_down_alone(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    net = FakeNetwork(
        {
            REDIS: FakeServer(redis_replies()),
            OTHER: FakeServer(redis_replies(), error=error),
            SENTINEL: FakeServer(sentinel_replies("healthy")),
        }
    )
    s = scraper(net, REDIS, OTHER, sentinels=(SENTINEL,))
    with caplog.at_level(logging.WARNING, logger="redis_ha_exporter.scrape"):
        collection = await s.collect(2.0)
    values = registry(collection)
    assert values.get_sample_value("redis_up", {"addr": OTHER}) == 0
    assert values.get_sample_value("redis_exporter_last_scrape_error", {"addr": OTHER}) == 1
    assert values.get_sample_value("redis_up", {"addr": REDIS}) == 1
    assert values.get_sample_value("redis_up", {"addr": SENTINEL}) == 1
    assert values.get_sample_value("redis_connected_slaves", {"addr": REDIS}) == 1
    assert values.get_sample_value("redis_connected_slaves", {"addr": OTHER}) is None
    (record,) = [r for r in caplog.records if r.getMessage() == "scrape failed"]
    fields = record.__dict__["kv"]
    assert (fields["addr"], fields["reason"]) == (OTHER, type(error).__name__)
    await s.close()


async def test_a_sentinel_from_recorded_replies() -> None:
    net = FakeNetwork({SENTINEL: FakeServer(sentinel_replies("healthy"))})
    s = scraper(net, sentinels=(SENTINEL,))
    values = registry(await s.collect(2.0))
    recorded = json.loads((FIXTURES / "sentinel" / "healthy.resp2.json").read_text())
    (master,) = [dict(zip(m[::2], m[1::2], strict=True)) for m in recorded["masters"]]
    where = {"addr": SENTINEL, "master_name": "m1"}
    at = {**where, "master_address": f"{master['ip']}:{master['port']}"}
    assert values.get_sample_value("redis_sentinel_masters", {"addr": SENTINEL}) == 1
    assert values.get_sample_value("redis_sentinel_master_status", at | {"master_status": "ok"})
    assert values.get_sample_value("redis_sentinel_master_slaves", at) == int(master["num-slaves"])
    assert values.get_sample_value("redis_sentinel_master_sentinels", at) == 3
    assert values.get_sample_value("redis_sentinel_master_ckquorum_ok", where) == 1
    assert net.servers[SENTINEL].commands[-3:] == [
        ("SENTINEL", "SLAVES", "m1"),
        ("SENTINEL", "SENTINELS", "m1"),
        ("SENTINEL", "CKQUORUM", "m1"),
    ]
    await s.close()


async def test_a_redis_target_that_says_it_is_a_sentinel_is_read_as_one() -> None:
    net = FakeNetwork({REDIS: FakeServer(sentinel_replies("healthy"))})
    s = scraper(net, REDIS)
    values = registry(await s.collect(2.0))
    assert values.get_sample_value("redis_sentinel_masters", {"addr": REDIS}) == 1
    assert net.servers[REDIS].commands[0] == ("INFO", "ALL")
    assert ("SENTINEL", "MASTERS") in net.servers[REDIS].commands
    await s.close()


async def test_masters_beyond_the_limit_are_not_asked_about_and_counted() -> None:
    net = FakeNetwork({SENTINEL: FakeServer(sentinel_replies("two_masters"))})
    s = Scraper([parse_target(SENTINEL, Kind.SENTINEL)], 5.0, max_masters=1, client_factory=net)
    await s.collect(2.0)
    values = registry(await s.collect(2.0))
    asked = {c[2] for c in net.servers[SENTINEL].commands if c[:2] == ("SENTINEL", "SLAVES")}
    assert asked == {"m1"}  # sorted by name, the first kept
    dropped = values.get_sample_value("redis_sentinel_masters_dropped_total", {"addr": SENTINEL})
    assert dropped == 2  # one per collection
    await s.close()


async def test_a_sentinel_is_read_in_one_round_trip_while_its_masters_stay_the_same() -> None:
    one, two = sentinel_replies("healthy"), sentinel_replies("two_masters")
    server = FakeServer(one)
    net = FakeNetwork({SENTINEL: server})
    s = Scraper([parse_target(SENTINEL, Kind.SENTINEL)], 5.0, max_masters=10, client_factory=net)

    def masters(collection: Collection) -> set[str]:
        """The masters the collection's families are about."""
        values = registry(collection)
        return {
            sample.labels["master_name"]
            for family in values.collect()
            for sample in family.samples
            if family.name.startswith("redis_sentinel_master") and "master_name" in sample.labels
        }

    assert masters(await s.collect(2.0)) == {"m1"}
    assert server.round_trips == 2  # the first time: which masters?
    assert masters(await s.collect(2.0)) == {"m1"}
    assert server.round_trips == 3
    server.replies = two  # a master added: asked about in a second round trip
    assert masters(await s.collect(2.0)) == {"m1", "m2"}
    assert server.round_trips == 5
    server.replies = {**two, **one}  # and removed again: what was asked about it is dropped
    assert masters(await s.collect(2.0)) == {"m1"}
    assert server.round_trips == 6
    await s.close()


async def test_prepare_sees_each_target_as_it_is_collected_with_its_dropped_total() -> None:
    net = FakeNetwork(
        {
            REDIS: FakeServer(redis_replies(), delay=0.05),  # the slower one
            SENTINEL: FakeServer(sentinel_replies("two_masters")),
        }
    )
    s = Scraper(
        [parse_target(REDIS, Kind.REDIS), parse_target(SENTINEL, Kind.SENTINEL)],
        5.0,
        max_masters=1,
        client_factory=net,
    )
    seen: list[tuple[str, int]] = []

    def prepare(snap: TargetSnapshot, dropped: int) -> str:
        seen.append((snap.addr, dropped))
        return f"made of {snap.addr}"

    s.prepare = prepare
    await s.collect(2.0)
    collection = await s.collect(2.0)
    assert seen == [(SENTINEL, 1), (REDIS, 0), (SENTINEL, 2), (REDIS, 0)]  # as they came
    assert collection.prepared == (f"made of {REDIS}", f"made of {SENTINEL}")  # in order
    assert collection.masters_dropped_total == {SENTINEL: 2}
    await s.close()


async def test_a_scrape_endpoint_collection_of_a_configured_sentinel_counts_only_for_itself() -> (
    None
):
    """``/scrape`` of the same Sentinel as a configured one: its dropped masters are its own
    collection's (what ``prepare`` is given too, so every format writes the same number), and
    the configured target's running total does not count them."""
    net = FakeNetwork({SENTINEL: FakeServer(sentinel_replies("two_masters"))})
    s = Scraper([parse_target(SENTINEL, Kind.SENTINEL)], 5.0, max_masters=1, client_factory=net)
    seen: list[int] = []

    def prepare(snap: TargetSnapshot, dropped: int) -> int:
        seen.append(dropped)
        return dropped

    s.prepare = prepare
    assert (await s.collect(2.0)).masters_dropped_total == {SENTINEL: 1}
    adhoc = await s.collect_adhoc(parse_target(SENTINEL, Kind.SENTINEL), 2.0)
    assert adhoc.masters_dropped_total == {SENTINEL: 1}
    assert adhoc.prepared == (1,)
    assert (await s.collect(2.0)).masters_dropped_total == {SENTINEL: 2}
    assert seen == [1, 1, 2]
    await s.close()


async def test_scrape_endpoint_uses_a_short_lived_client_and_closes_it() -> None:
    net = FakeNetwork({REDIS: FakeServer(redis_replies()), OTHER: FakeServer(redis_replies())})
    s = scraper(net, REDIS)
    (configured,) = net.clients(REDIS)
    collection = await s.collect_adhoc(parse_target(OTHER, Kind.REDIS), 1.5)
    assert up(collection, OTHER) == 1
    assert registry(collection).get_sample_value("redis_exporter_scrapes_total") == 0
    ((_, timeout, client),) = [o for o in net.opened if o[0].addr == OTHER]
    assert timeout == 1.5
    assert client.closed
    assert not configured.closed  # the configured target keeps its client
    await s.close()
    assert configured.closed


async def test_scrape_endpoint_closes_the_client_of_a_failing_target() -> None:
    net = FakeNetwork({OTHER: FakeServer(redis_replies(), hang=True)})
    s = scraper(net)
    collection = await s.collect_adhoc(parse_target(OTHER, Kind.REDIS), 0.1)
    assert up(collection, OTHER) == 0
    assert all(client.closed for client in net.clients(OTHER))
    assert len(net.clients(OTHER)) == 1


# --- CONFIG, SLOWLOG, LATENCY: refused, renamed, skipped ---------------------------------


def refusals(caplog: pytest.LogCaptureFixture) -> list[dict[str, str]]:
    return [
        r.__dict__["kv"]
        for r in caplog.records
        if r.getMessage() == "commands refused: their metrics are left out"
    ]


async def test_refused_commands_are_logged_once_per_target_not_per_scrape(
    caplog: pytest.LogCaptureFixture,
) -> None:
    net = FakeNetwork(
        {
            REDIS: FakeServer(redis_replies(refused="noperm")),
            OTHER: FakeServer(redis_replies(refused="renamed")),
        }
    )
    s = scraper(net, REDIS, OTHER)
    with caplog.at_level(logging.DEBUG, logger="redis_ha_exporter.scrape"):
        for _ in range(3):
            collection = await s.collect(2.0)
            assert up(collection, REDIS) == up(collection, OTHER) == 1
    logged = refusals(caplog)
    assert [(f["addr"], f["commands"]) for f in logged] == [
        (REDIS, "CONFIG GET,LATENCY LATEST,SLOWLOG GET,SLOWLOG LEN"),
        (OTHER, "CONFIG GET"),
    ]
    assert "no permissions" in logged[0]["err"]
    # An ACL that refuses a command is a grant missing: a warning. A command renamed away or
    # disabled is the operator's choice: a debug line.
    levels = [r.levelno for r in caplog.records if r.__dict__.get("kv")]
    assert levels == [logging.WARNING, logging.DEBUG]
    values = registry(collection)
    assert values.get_sample_value("redis_memory_used_bytes", {"addr": REDIS}) is not None
    assert values.get_sample_value("redis_config_maxmemory", {"addr": REDIS}) is None
    assert values.get_sample_value("redis_slowlog_length", {"addr": OTHER}) == 1
    await s.close()


async def test_a_command_refused_again_after_being_allowed_is_logged_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = FakeServer(redis_replies())
    s = scraper(FakeNetwork({REDIS: server}), REDIS)
    with caplog.at_level(logging.DEBUG, logger="redis_ha_exporter.scrape"):
        for replies in ("renamed", None, None, "renamed", "renamed", "noperm"):
            server.replies = redis_replies(refused=replies)
            await s.collect(2.0)
    assert [f["commands"] for f in refusals(caplog)] == [
        "CONFIG GET",
        "CONFIG GET",
        "LATENCY LATEST,SLOWLOG GET,SLOWLOG LEN",
    ]
    await s.close()


def sample_names(collection: Collection, addr: str) -> set[str]:
    return {
        s.name
        for m in registry(collection).collect()
        for s in m.samples
        if s.labels.get("addr") == addr
    }


def masters(collection: Collection) -> list[tuple[str, str]]:
    return [
        (m.name, m.address) for t in collection.targets if t.sentinel for m in t.sentinel.masters
    ]


@pytest.mark.parametrize(
    "command", ["SENTINEL MASTERS", "SENTINEL SLAVES", "SENTINEL SENTINELS", "SENTINEL CKQUORUM"]
)
async def test_a_sentinel_subcommand_denied_by_an_acl_leaves_out_only_its_families(
    command: str, caplog: pytest.LogCaptureFixture
) -> None:
    whole = scraper(FakeNetwork({SENTINEL: FakeServer(sentinel_replies())}), sentinels=(SENTINEL,))
    full = await whole.collect(2.0)
    complete = sample_names(full, SENTINEL)
    denied = FakeServer(sentinel_replies(denied=command))
    s = scraper(FakeNetwork({SENTINEL: denied}), sentinels=(SENTINEL,))
    with caplog.at_level(logging.DEBUG, logger="redis_ha_exporter.scrape"):
        for _ in range(3):
            collection = await s.collect(2.0)
            assert up(collection, SENTINEL) == 1
    assert families_from(command)  # the catalogue names what the subcommand gives
    assert complete - sample_names(collection, SENTINEL) == families_from(command)
    assert sample_names(collection, SENTINEL) <= complete
    (logged,) = refusals(caplog)
    assert logged["commands"] == command
    assert f"'{command.lower().replace(' ', '|')}'" in logged["err"]
    (record,) = [r for r in caplog.records if r.__dict__.get("kv") is logged]
    assert record.levelno == logging.WARNING
    # What /sd and /scrape learn from the Sentinel: its masters, whatever it refused.
    assert masters(collection) == masters(full)
    await whole.close()
    await s.close()


async def test_info_denied_by_an_acl_is_a_sentinel_that_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = scraper(
        FakeNetwork({SENTINEL: FakeServer(sentinel_replies(denied="INFO"))}), sentinels=(SENTINEL,)
    )
    with caplog.at_level(logging.WARNING, logger="redis_ha_exporter.scrape"):
        collection = await s.collect(2.0)
    assert up(collection, SENTINEL) == 0
    (record,) = [r for r in caplog.records if r.getMessage() == "scrape failed"]
    assert record.__dict__["kv"]["reason"] == "NoPermissionError"
    await s.close()


async def test_config_goes_by_its_new_name_or_is_not_sent() -> None:
    renamed = {
        (("MYCONFIG", *c[1:]) if c[0] == "CONFIG" else c): r for c, r in redis_replies().items()
    }
    net = FakeNetwork({REDIS: FakeServer(renamed), OTHER: FakeServer(redis_replies())})
    targets = [parse_target(REDIS, Kind.REDIS)]
    s = Scraper(targets, 5.0, 10, client_factory=net, config_command="MYCONFIG")
    values = registry(await s.collect(2.0))
    assert values.get_sample_value("redis_config_maxmemory", {"addr": REDIS}) == 64 * 2**20
    assert ("MYCONFIG", "GET", "maxmemory") in net.servers[REDIS].commands
    skipping = Scraper(
        [parse_target(OTHER, Kind.REDIS)], 5.0, 10, client_factory=net, config_command=None
    )
    values = registry(await skipping.collect(2.0))
    assert not [c for c in net.servers[OTHER].commands if c[0] == "CONFIG"]
    assert values.get_sample_value("redis_config_maxmemory", {"addr": OTHER}) is None
    assert values.get_sample_value("redis_db_keys", {"addr": OTHER, "db": "db15"}) == 0
    assert values.get_sample_value("redis_slowlog_length", {"addr": OTHER}) == 1
    await s.close()
    await skipping.close()
