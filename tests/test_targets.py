"""Target URIs: accepted forms, addr labels, and errors that never show a password."""

from __future__ import annotations

import pytest

from redis_ha_exporter.targets import Kind, TargetError, parse_target


@pytest.mark.parametrize(
    ("uri", "kind", "addr", "scheme"),
    [
        ("redis://localhost:6379", Kind.REDIS, "localhost:6379", "redis"),
        ("localhost:6389", Kind.REDIS, "localhost:6389", "redis"),
        ("redis://10.0.0.1", Kind.REDIS, "10.0.0.1:6379", "redis"),
        ("redis://10.0.0.1", Kind.SENTINEL, "10.0.0.1:26379", "redis"),
        ("rediss://[::1]:6380", Kind.REDIS, "::1:6380", "rediss"),
        ("[::1]:26379", Kind.SENTINEL, "::1:26379", "redis"),
        ("unix:///run/redis/redis.sock", Kind.REDIS, "/run/redis/redis.sock", "unix"),
    ],
)
def test_accepted_forms(uri: str, kind: Kind, addr: str, scheme: str) -> None:
    target = parse_target(uri, kind)
    assert (target.addr, target.scheme, target.kind) == (addr, scheme, kind)


def test_credentials_in_the_uri_are_kept_but_never_shown() -> None:
    target = parse_target("redis://monitor:s3cret@db:6379", Kind.REDIS)
    assert (target.username, target.password) == ("monitor", "s3cret")
    assert "s3cret" not in repr(target)
    filled = target.with_defaults({"username": "other", "password": "x"})
    assert (filled.username, filled.password) == ("monitor", "s3cret")


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "http://host:80",
        "redis://:s3cret@host:99999",
        "redis://:s3cret@",
        "unix://",
        "redis://host:26379/3",
    ],
)
def test_rejected_forms_never_echo_the_password(uri: str) -> None:
    with pytest.raises(TargetError) as info:
        parse_target(uri, Kind.SENTINEL)
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    ("uri", "fields", "uses_tls"),
    [
        ("rediss://db:6380", {}, True),
        ("redis://db:6379", {}, False),
        ("db:6379", {"tls": True}, True),
        ("db:6379", {"tls_ca_file": "/ca.pem"}, True),
        ("db:6379", {"tls_server_name": "db.internal"}, True),
        ("db:6379", {"tls_insecure_skip_verify": True}, True),
        ("db:6379", {"tls_insecure_skip_verify": False}, False),  # --no-…-skip-verify
        ("db:6379", {"tls": False, "tls_ca_file": "/ca.pem"}, False),
        ("rediss://db:6380", {"tls": False}, True),  # the URI beats the profile
        ("unix:///run/redis.sock", {"tls": True}, False),
    ],
)
def test_what_turns_tls_on(uri: str, fields: dict[str, object], uses_tls: bool) -> None:
    assert parse_target(uri, Kind.REDIS).with_defaults(fields).uses_tls is uses_tls
