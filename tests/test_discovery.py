"""/sd target groups from Sentinel snapshots built from recorded replies."""

from __future__ import annotations

import json
from pathlib import Path

from redis.exceptions import ResponseError

from redis_ha_exporter.discovery import MASTER_NAME, ROLE, target_groups
from redis_ha_exporter.fetch.sentinel import MasterReplies, SentinelOverview
from redis_ha_exporter.parse.sentinel import parse_sentinel_masters
from redis_ha_exporter.scrape import assemble_sentinel
from redis_ha_exporter.snapshot import Collection, TargetSnapshot
from redis_ha_exporter.targets import Kind, parse_target

FIXTURES = Path(__file__).parent / "fixtures" / "sentinel"


def as_fetched(reply: object) -> object:
    """A recorded reply as the fetch layer hands it over: an error reply (recorded as
    ``{"error": text}``) is the exception redis-py made of it."""
    if isinstance(reply, dict) and set(reply) == {"error"}:
        return ResponseError(reply["error"])
    return reply


def sentinel_snapshot(scenario: str, addr: str) -> TargetSnapshot:
    replies = json.loads((FIXTURES / f"{scenario}.resp2.json").read_text())
    info = (FIXTURES / f"{scenario}.resp2.info.txt").read_text()
    details = [
        MasterReplies(
            name,
            replies["slaves"][name],
            replies["sentinels"][name],
            as_fetched(replies["ckquorum"][name]),
        )
        for name in sorted(replies["slaves"])
    ]
    masters = parse_sentinel_masters(replies["masters"])
    state = assemble_sentinel(SentinelOverview("", info, replies["masters"]), masters, details)
    return TargetSnapshot(parse_target(addr, Kind.SENTINEL), True, 0.0, sentinel=state)


def labels(group: dict[str, object]) -> tuple[str, str]:
    meta = group["labels"]
    assert isinstance(meta, dict)
    return meta[MASTER_NAME], meta[ROLE]


def test_groups_by_master_and_role() -> None:
    snap = sentinel_snapshot("two_masters", "127.0.0.1:26379")
    groups = target_groups(Collection((snap,), 1))
    roles = {labels(g) for g in groups}
    assert roles == {
        ("m1", "master"),
        ("m1", "replica"),
        ("m2", "master"),
        ("m2", "replica"),
        ("m1,m2", "sentinel"),
    }
    for group in groups:
        assert group["targets"], group
        assert all(":" in t for t in group["targets"])  # type: ignore[attr-defined]
    (sentinel_group,) = [g for g in groups if labels(g)[1] == "sentinel"]
    assert "127.0.0.1:26379" in sentinel_group["targets"]  # type: ignore[operator]


def test_every_address_is_listed_once() -> None:
    for scenario in ("healthy", "two_masters", "after_failover"):
        snap = sentinel_snapshot(scenario, "127.0.0.1:26379")
        groups = target_groups(Collection((snap, snap), 1))
        listed = [t for g in groups for t in g["targets"]]  # type: ignore[attr-defined]
        assert len(listed) == len(set(listed)), scenario
    healthy = target_groups(Collection((sentinel_snapshot("healthy", "127.0.0.1:26379"),), 1))
    assert sum(len(g["targets"]) for g in healthy) == 6  # type: ignore[misc,arg-type]
