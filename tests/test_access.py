"""Who /scrape may reach and with which credentials: address patterns, the policy, and what the
Sentinels reported (pure; the HTTP side is in test_server.py)."""

from __future__ import annotations

import pytest

from redis_ha_exporter.access import (
    Profile,
    Refused,
    ScrapePolicy,
    SentinelReports,
    parse_pattern,
    parse_patterns,
)
from redis_ha_exporter.snapshot import Collection, TargetSnapshot
from redis_ha_exporter.targets import Kind, Target, parse_target
from test_discovery import sentinel_snapshot


def target(uri: str) -> Target:
    return parse_target(uri, Kind.REDIS)


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ("10.0.0.0/24", ["10.0.0.1:6379", "10.0.0.255:26379"], ["10.0.1.1:6379"]),
        ("10.0.0.5:6379", ["10.0.0.5:6379"], ["10.0.0.5:6380", "10.0.0.6:6379"]),
        ("10.0.0.0/24:26379", ["10.0.0.9:26379"], ["10.0.0.9:6379"]),
        ("[::1]:6379", ["[::1]:6379"], ["[::1]:6380", "127.0.0.1:6379"]),
        ("fd00::/8", ["[fd00::5]:6379"], ["[fe80::1]:6379"]),
        (
            "redis-1.internal",
            ["redis-1.internal:6379", "REDIS-1.internal.:1"],
            ["redis-2.internal"],
        ),
        (
            "*.cache.internal:6379",
            ["a.cache.internal:6379", "a.b.cache.internal:6379"],
            ["cache.internal:6379", "evil-cache.internal:6379", "a.cache.internal:6380"],
        ),
        # An IP pattern never matches a name that starts like the IP, and the reverse.
        ("10.0.0.1", ["10.0.0.1:6379"], ["10.0.0.1.evil.example:6379"]),
        ("*.example", ["a.example:1"], ["10.0.0.1:1"]),
        ("any", ["10.0.0.1:6379", "anything.example:1", "unix:///run/redis.sock"], []),
    ],
)
def test_address_patterns(pattern: str, matching: list[str], not_matching: list[str]) -> None:
    parsed = parse_pattern(pattern)
    for uri in matching:
        assert parsed.matches(target(uri)), uri
    for uri in not_matching:
        assert not parsed.matches(target(uri)), uri


@pytest.mark.parametrize(
    "text",
    ["10.0.0.*", "10.0.0", "redis://10.0.0.1:6379", "host:99999", "host:port", "[::1", "a b", "*"],
)
def test_bad_address_patterns(text: str) -> None:
    with pytest.raises(ValueError, match="address pattern"):
        parse_pattern(text)


def test_patterns_from_a_list_or_a_comma_separated_string() -> None:
    assert parse_patterns("10.0.0.0/8, *.internal ,") == parse_patterns(
        ["10.0.0.0/8", "*.internal"]
    )
    assert parse_patterns("") == ()


CONFIGURED = target("redis://:configured-secret@10.0.0.1:6379")
REPORTED = "10.0.0.2:6379"
PROFILES = {
    "redis": Profile("redis", {"password": "redis-secret"}),
    "fleet": Profile(
        "fleet", {"password": "fleet-secret", "tls": True}, parse_patterns("10.1.0.0/16")
    ),
}


def policy(*allow: str) -> ScrapePolicy:
    return ScrapePolicy((CONFIGURED,), PROFILES, parse_patterns(list(allow)))


def test_a_configured_address_is_reached_as_configured_whatever_the_request_says() -> None:
    for profile in (None, "redis", "fleet"):
        resolved = policy().resolve(target("rediss://u:mine@10.0.0.1:6379"), profile, set())
        assert resolved is CONFIGURED


def test_a_reported_address_gets_the_profile_it_asks_for_and_nothing_else() -> None:
    assert policy().resolve(target(REPORTED), "redis", {REPORTED}).password == "redis-secret"
    plain = policy().resolve(target(REPORTED), None, {REPORTED})
    assert (plain.password, plain.username, plain.uses_tls) == (None, None, False)
    fleet = policy().resolve(target(REPORTED), "fleet", {REPORTED})
    assert (fleet.password, fleet.uses_tls) == ("fleet-secret", True)
    # The requester's own credentials in the URI beat the profile's.
    own = policy().resolve(target(f"redis://:theirs@{REPORTED}"), "redis", {REPORTED})
    assert own.password == "theirs"


def test_a_profile_reaches_its_own_addresses() -> None:
    resolved = policy().resolve(target("10.1.2.3:6379"), "fleet", set())
    assert resolved.password == "fleet-secret"


@pytest.mark.parametrize(
    ("allow", "uri", "profile", "status", "reason"),
    [
        ((), "10.9.9.9:6379", None, 403, "not configured, not reported"),
        ((), "10.9.9.9:6379", "redis", 403, "not configured, not reported"),
        ((), "10.1.2.3:6379", "redis", 403, "not configured, not reported"),
        (("any",), "10.9.9.9:6379", "redis", 403, "profile 'redis' does not cover 10.9.9.9:6379"),
        (("10.9.0.0/16",), "10.9.9.9:6379", "fleet", 403, "profile 'fleet' does not cover"),
        ((), REPORTED, "nope", 400, "unknown profile 'nope'"),
    ],
)
def test_refusals(
    allow: tuple[str, ...], uri: str, profile: str | None, status: int, reason: str
) -> None:
    with pytest.raises(Refused) as refused:
        policy(*allow).resolve(target(uri), profile, {REPORTED})
    assert refused.value.status == status
    assert reason in refused.value.reason
    assert "secret" not in refused.value.reason


def test_an_allowed_address_gets_no_credential_of_ours() -> None:
    for allow in ("any", "10.9.0.0/16"):
        resolved = policy(allow).resolve(target("10.9.9.9:6379"), None, set())
        assert (resolved.password, resolved.username) == (None, None)


def test_describe_says_which_mode_is_on() -> None:
    assert policy().describe() == (
        "configured targets and the addresses the configured Sentinels report, and 10.1.0.0/16"
    )
    assert policy("any").describe().startswith("any address; credentials only to configured")


def test_reports_keep_a_down_sentinel_and_forget_what_an_answering_one_drops() -> None:
    reports = SentinelReports()
    assert reports.stale(5.0, now=0.0)
    two = sentinel_snapshot("two_masters", "127.0.0.1:26379")
    reports.learn(Collection((two,), 1), now=100.0)
    assert "127.0.0.1:49569" in reports  # a master
    assert "127.0.0.1:38701" in reports  # a replica
    assert "127.0.0.1:48231" in reports  # another Sentinel
    assert "127.0.0.1:59473" in reports  # of the second master
    assert "127.0.0.1:1" not in reports
    assert not reports.stale(5.0, now=104.0)
    assert reports.stale(5.0, now=106.0)
    down = TargetSnapshot(two.target, up=False, duration_seconds=0.0)
    reports.learn(Collection((down,), 2), now=110.0)
    assert "127.0.0.1:59473" in reports  # kept while its Sentinel is down
    healthy = sentinel_snapshot("healthy", "127.0.0.1:26379")  # the second master removed
    reports.learn(Collection((healthy,), 3), now=120.0)
    assert "127.0.0.1:59473" not in reports
    assert "127.0.0.1:38701" in reports
