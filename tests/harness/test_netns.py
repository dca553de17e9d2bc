"""The seeds' three hosts as network namespaces: Redis, Sentinel and our exporter on each host's
own addresses, reached from the root namespace; faults that drop packets; nothing left behind."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.netns import Hosts, ip, ours

pytestmark = pytest.mark.e2e


def owned_by(tag: str) -> list[str]:
    namespaces, links = ours()
    return [n for n in (*namespaces, *links) if n.startswith(tag)]


def test_runs_side_by_side_get_their_own_names_and_subnets_and_remove_them() -> None:
    with Hosts(1) as first, Hosts(2) as second:
        assert first.bridge != second.bridge
        assert not first.subnet.overlaps(second.subnet)
        assert sorted(owned_by(second.bridge)) == sorted(
            [second.bridge, *[h.name for h in second] * 2]  # each name: namespace and veth
        )
        assert first[0].ip in first[0].run(["ip", "-4", "-o", "addr", "show", "eth0"]).stdout
        sleeper = first[0].spawn(["sleep", "60"], Path("/dev/null"))
    assert owned_by(first.bridge) == owned_by(second.bridge) == []
    assert sleeper.poll() is not None


def test_a_new_run_sweeps_what_a_dead_run_left() -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()
    tag = f"rhx{finished.pid}z"  # a run whose reaper died with it
    ip("netns", "add", f"{tag}0")
    ip("link", "add", tag, "type", "bridge")
    assert sorted(owned_by(tag)) == [tag, f"{tag}0"]
    with Hosts(1):
        assert owned_by(tag) == []
