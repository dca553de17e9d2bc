"""CONFIG renamed away, and an ACL user without CONFIG, SLOWLOG and LATENCY: the exporter keeps
the Redis up and every other family, leaves out only those commands' families, and says so in
one debug line per target, however many scrapes follow.

One real redis-server whose redis.conf renames ``CONFIG`` to ``MYCONFIG`` (``rename-command``):
asked under its old name, ``CONFIG`` is an unknown command; ``--redis.config-command MYCONFIG``
(redis_exporter's ``-config-command``) finds it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.exporter import ExporterProcess, Samples, run_exporter
from harness.topology import Node, Topology

pytestmark = pytest.mark.e2e

PASSWORD = "monitor-secret"
REFUSED_LINE = "commands refused"
CONFIG_FAMILIES = {
    "redis_config_maxclients",
    "redis_config_maxmemory",
    "redis_config_io_threads",
    "redis_config_repl_backlog_size",
}
ADMIN_FAMILIES = CONFIG_FAMILIES | {
    "redis_slowlog_length",
    "redis_slowlog_last_id",
    "redis_last_slow_execution_duration_seconds",
    "redis_latency_spike_last",
    "redis_latency_spike_duration_seconds",
}


@pytest.fixture(scope="module")
def redis_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    tmp = tmp_path_factory.mktemp("refused")
    with Topology(
        tmp / "topo", replicas=0, sentinels=0, redis_args=["rename-command CONFIG MYCONFIG"]
    ) as topo:
        (node,) = topo.redis
        with node.client() as client:
            # One slow command and one latency spike, so their families have something to say.
            client.execute_command("MYCONFIG", "SET", "slowlog-log-slower-than", "5000")
            client.execute_command("MYCONFIG", "SET", "latency-monitor-threshold", "5")
            client.execute_command("DEBUG", "SLEEP", "0.01")
            client.execute_command(
                "ACL", "SETUSER", "monitor", "on", f">{PASSWORD}", "~*", "&*", "+@all", "-@admin"
            )
        yield node


def families(exporter: ExporterProcess, node: Node, scrapes: int = 3) -> set[str]:
    """Names with a series about ``node`` in the last of ``scrapes`` scrapes, each with the
    Redis up."""
    for _ in range(scrapes):
        samples = exporter.scrape()
        assert samples.value("redis_up", addr=node.addr) == 1
    return names_of(samples, node)


def names_of(samples: Samples, node: Node) -> set[str]:
    return {name for name, labels, _ in samples.rows if labels.get("addr") == node.addr}


def refused_lines(exporter: ExporterProcess) -> list[str]:
    return [line for line in exporter.log().splitlines() if REFUSED_LINE in line]


@pytest.fixture(scope="module")
def complete(redis_node: Node, tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every family of this Redis, read with CONFIG under its new name."""
    tmp = tmp_path_factory.mktemp("complete")
    args = ["--redis.addr", redis_node.uri, "--sentinel.addr=", "--log.level", "debug"]
    with run_exporter([*args, "--redis.config-command", "MYCONFIG"], tmp) as exporter:
        names = families(exporter, redis_node)
        assert refused_lines(exporter) == []
    assert names >= ADMIN_FAMILIES
    return names


def test_config_renamed_away_leaves_out_only_the_config_families(
    redis_node: Node, complete: set[str], tmp_path: Path
) -> None:
    args = ["-redis.addr", redis_node.uri, "--sentinel.addr=", "-debug"]
    with run_exporter(args, tmp_path) as exporter:
        names = families(exporter, redis_node, scrapes=4)
        (line,) = refused_lines(exporter)
    assert complete - names == CONFIG_FAMILIES
    assert "level=debug" in line
    assert 'commands="CONFIG GET"' in line
    assert "unknown command" in line


def test_an_acl_user_without_admin_commands_loses_only_their_families(
    redis_node: Node, complete: set[str], tmp_path: Path
) -> None:
    args = [
        "--redis.addr",
        redis_node.uri,
        "--redis.user",
        "monitor",
        "--redis.config-command",
        "MYCONFIG",
        "--sentinel.addr=",
        "--log.level",
        "debug",
    ]
    with run_exporter(args, tmp_path, env={"REDIS_PASSWORD": PASSWORD}) as exporter:
        names = families(exporter, redis_node, scrapes=4)
        (line,) = refused_lines(exporter)
        log = exporter.log()
    assert complete - names == ADMIN_FAMILIES
    for command in ("CONFIG GET", "LATENCY LATEST", "SLOWLOG GET", "SLOWLOG LEN"):
        assert command in line
    assert "no permissions" in line
    assert PASSWORD not in log


def test_config_command_dash_sends_no_config(
    redis_node: Node, complete: set[str], tmp_path: Path
) -> None:
    args = ["--redis.addr", redis_node.uri, "--sentinel.addr=", "--log.level", "debug"]
    with redis_node.client() as client:
        before = client.info("commandstats").get("cmdstat_myconfig|get", {}).get("calls", 0)
    with run_exporter(args, tmp_path, env={"REDIS_EXPORTER_CONFIG_COMMAND": "-"}) as exporter:
        names = families(exporter, redis_node)
        assert refused_lines(exporter) == []
    with redis_node.client() as client:
        after = client.info("commandstats").get("cmdstat_myconfig|get", {}).get("calls", 0)
    assert after == before
    assert complete - names == CONFIG_FAMILIES
