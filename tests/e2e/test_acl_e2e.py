"""The monitoring users of docs/security.md on real servers, read from that page so that it
cannot drift from what the exporter needs.

One topology for the module (a master, a replica, two Sentinels) whose ``redis.conf`` and
``sentinel.conf`` carry the page's ``user`` lines. An exporter run with the default user (it may
do anything) is the reference: the page's users must lose nothing beside it, on the Redis, on
the Sentinel and on the event stream. Then, for each grant of each line, the page's
``ACL SETUSER`` without that grant, set at run time: only what needs the grant is missing, one
warning per target says which, and the target stays ``redis_up 1`` unless the grant is ``INFO``.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.exporter import ExporterProcess, Samples, run_exporter
from harness.process import terminate, wait_for
from harness.topology import Node, Topology
from support import families_from

pytestmark = pytest.mark.e2e

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
PLACEHOLDER = "#HASH"
PASSWORD = "monitor-acl-secret"
HASHED = "#" + hashlib.sha256(PASSWORD.encode()).hexdigest()
REFUSED_LINE = "commands refused: their metrics are left out"
STREAM_REFUSED = "event stream refused"
PING_REFUSED = "PING refused"
Series = frozenset[tuple[str, frozenset[tuple[str, str]]]]


@dataclass(frozen=True)
class DocumentedUser:
    """One section's lines: ``ACL SETUSER …`` and the configuration file's ``user …``."""

    setuser: tuple[str, ...]
    conf: tuple[str, ...]

    @property
    def grants(self) -> tuple[str, ...]:
        return tuple(w for w in self.setuser if w[0] in "+&")

    def command(self, without: str | None = None) -> tuple[str, ...]:
        """The ``ACL SETUSER`` words with our password's hash, less the grant ``without``."""
        return tuple(HASHED if w == PLACEHOLDER else w for w in self.setuser if w != without)


def documented(heading: str) -> DocumentedUser:
    text = DOC.read_text()
    section = text.split(f"\n### {heading}\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    lines = section.splitlines()
    (setuser,) = [line.split() for line in lines if line.startswith("ACL SETUSER ")]
    (conf,) = [line.split() for line in lines if line.startswith("user ")]
    for words in (setuser, conf):
        assert words.count(PLACEHOLDER) == 1, f"{heading}: one {PLACEHOLDER} in {words}"
    return DocumentedUser(tuple(setuser), tuple(conf))


REDIS_USER = documented("On the Redis servers")
SENTINEL_USER = documented("On the Sentinels")


@dataclass(frozen=True)
class Case:
    """The documented users under one name, one of them (``kind``) without ``grant``; with
    neither, exactly the documented users."""

    name: str
    kind: str | None = None  # "redis" or "sentinel"
    grant: str | None = None
    extra: tuple[str, ...] = ()  # more flags for the exporter

    @property
    def command(self) -> str:
        """``+sentinel|ckquorum`` → ``SENTINEL CKQUORUM``: the command the grant allows."""
        return (self.grant or "").lstrip("+").replace("|", " ").upper()

    def setuser(self, kind: str) -> tuple[str, ...]:
        user = REDIS_USER if kind == "redis" else SENTINEL_USER
        words = user.command(self.grant if kind == self.kind else None)
        return (*words[:2], self.name, *words[3:])


DOCUMENTED = Case("monitor-documented")
CASES = [
    *(Case(f"monitor-{i}", "redis", grant) for i, grant in enumerate(REDIS_USER.grants)),
    *(Case(f"monitor-{10 + i}", "sentinel", grant) for i, grant in enumerate(SENTINEL_USER.grants)),
    # The page's choice where CONFIG GET would give requirepass away: no CONFIG GET at all.
    Case("monitor-20", "redis", "+config|get", ("--redis.config-command", "-")),
]
EVENT_STREAM_GRANTS = {"+psubscribe", "&*", "+ping"}


@dataclass(frozen=True)
class Cluster:
    topo: Topology
    reference: ExporterProcess
    exporters: dict[str, ExporterProcess]  # by Case.name

    @property
    def redis(self) -> Node:
        return self.topo.redis[0]

    @property
    def sentinel(self) -> Node:
        return self.topo.sentinels[0]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The topology, the reference exporter, and one exporter per case, all started at once
    (each as its own ACL user), so that their start-up and waits overlap."""
    tmp = tmp_path_factory.mktemp("acl")
    conf = [
        " ".join(HASHED if w == PLACEHOLDER else w for w in user.conf)
        for user in (REDIS_USER, SENTINEL_USER)
    ]
    with contextlib.ExitStack() as stack:
        topo = stack.enter_context(
            Topology(
                tmp / "topo",
                replicas=1,
                sentinels=2,
                redis_args=[conf[0]],
                sentinel_args=[conf[1]],
            )
        )
        redis, sentinel = topo.redis[0], topo.sentinels[0]
        with redis.client() as client:
            # One slow command and one latency spike, so that their families are there to lose;
            # then no more of either, so that the label sets stay put.
            client.config_set("slowlog-log-slower-than", 5000)
            client.config_set("latency-monitor-threshold", 5)
            client.execute_command("DEBUG", "SLEEP", "0.01")
            client.config_set("slowlog-log-slower-than", 10_000_000)
            client.config_set("latency-monitor-threshold", 0)
        for case in (DOCUMENTED, *CASES):
            for node, kind in ((redis, "redis"), (sentinel, "sentinel")):
                with node.client() as client:
                    assert client.execute_command(*case.setuser(kind)) == "OK"
        password_file = tmp / "monitor.password"
        password_file.write_text(PASSWORD + "\n")
        password_file.chmod(0o600)
        targets = ["--redis.addr", redis.uri, "--sentinel.addr", sentinel.uri]
        reference = stack.enter_context(run_exporter(targets, tmp, wait=False))
        exporters = {}
        for case in (DOCUMENTED, *CASES):
            args = [
                *targets,
                *("--redis.user", case.name, "--redis.password-file", str(password_file)),
                *("--sentinel.user", case.name, "--sentinel.password-file", str(password_file)),
                *("--log.level", "debug", *case.extra),
            ]
            exporters[case.name] = stack.enter_context(run_exporter(args, tmp, wait=False))
        everyone = [reference, *exporters.values()]
        stack.callback(terminate, [e.proc for e in everyone])  # all at once, not one by one
        for exporter in everyone:
            exporter.wait_healthy()
        yield Cluster(topo, reference, exporters)


def series(samples: Samples, addr: str) -> Series:
    """The (name, labels) of every sample about ``addr``. Which commands ran (``cmd``), which
    errors were answered (``err``) and which events were seen (``event``) are the servers' and
    the exporter's history, not what the user may read: those samples count by name only."""
    found = set()
    for name, labels, _ in samples.rows:
        if labels.get("addr") != addr or "event" in labels:
            continue
        history = "cmd" in labels or "err" in labels
        found.add((name, frozenset() if history else frozenset(labels.items())))
    return frozenset(found)


def names(found: Series) -> set[str]:
    return {name for name, _ in found}


def log_lines(exporter: ExporterProcess, message: str) -> list[str]:
    return [line for line in exporter.log().splitlines() if message in line]


def last_commands(node: Node, user: str) -> set[str]:
    """The last command of each connection ``user`` has open to ``node`` (``CLIENT LIST``)."""
    with node.client() as admin:
        return {c["cmd"] for c in admin.client_list() if c["user"] == user}


def compare(
    cluster: Cluster, exporter: ExporterProcess, scrapes: int = 3
) -> tuple[Samples, dict[str, tuple[Series, Series]]]:
    """Scrape ``exporter`` ``scrapes`` times, then the reference at once: the last scrape and,
    per target, (the reference's series, the monitoring user's series)."""
    for _ in range(scrapes):
        samples = exporter.scrape()
    reference = cluster.reference.scrape()
    return samples, {
        node.addr: (series(reference, node.addr), series(samples, node.addr))
        for node in (cluster.redis, cluster.sentinel)
    }


def test_the_configuration_lines_make_the_acl_setuser_users(cluster: Cluster) -> None:
    for node, user in ((cluster.redis, REDIS_USER), (cluster.sentinel, SENTINEL_USER)):
        assert user.conf[1:3] == ("monitor", "on")
        assert set(user.conf[3:]) == set(user.setuser[5:]), "the same rules, in either form"
        with node.client() as client:
            from_file = client.execute_command("ACL", "GETUSER", "monitor")
            words = user.command()
            client.execute_command(*words[:2], "monitor-check", *words[3:])
            from_line = client.execute_command("ACL", "GETUSER", "monitor-check")
            client.execute_command("ACL", "DELUSER", "monitor-check")
        file_rules, line_rules = (
            dict(zip(r[::2], r[1::2], strict=True)) for r in (from_file, from_line)
        )
        for rule in ("passwords", "commands", "keys", "channels"):
            assert file_rules[rule] == line_rules[rule], (node.kind, rule)
        assert "on" in file_rules["flags"]
        assert "on" in line_rules["flags"]
        assert file_rules["keys"] == "", "no key at all"


def test_the_documented_users_lose_nothing(cluster: Cluster) -> None:
    exporter = cluster.exporters[DOCUMENTED.name]
    stream_up = {"name": "redis_sentinel_event_stream_up", "addr": cluster.sentinel.addr}
    wait_for(lambda: exporter.scrape().value(**stream_up) == 1, 15)
    samples, compared = compare(cluster, exporter)
    for addr, (reference, monitored) in compared.items():
        assert samples.value("redis_up", addr=addr) == 1
        assert monitored == reference, addr
    # The event stream counts what the Sentinel publishes: SENTINEL SET publishes +set.
    with cluster.sentinel.client() as admin:
        down_after = cluster.topo.down_after_ms
        admin.execute_command("SENTINEL", "SET", "mymaster", "down-after-milliseconds", down_after)
    event = {"addr": cluster.sentinel.addr, "master_name": "mymaster", "event": "+set"}
    wait_for(lambda: bool(exporter.scrape().find("redis_sentinel_events_total", **event)), 15)
    # Its PING after 5 s of silence (the last command of its subscribed connection) too: and
    # neither server refused this user anything, by its own account.
    wait_for(lambda: "ping" in last_commands(cluster.sentinel, DOCUMENTED.name), 20)
    for node in (cluster.redis, cluster.sentinel):
        with node.client() as admin:
            refused = admin.execute_command("ACL", "LOG")
        assert [e for e in refused if DOCUMENTED.name in e] == [], node.kind
    log = exporter.log()
    for message in (REFUSED_LINE, STREAM_REFUSED, PING_REFUSED, "cannot reconcile", "level=warn"):
        assert message not in log
    assert PASSWORD not in log


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c.kind}-without-{c.grant}{''.join(c.extra)}" for c in CASES]
)
def test_without_one_grant_only_what_needs_it_is_missing(cluster: Cluster, case: Case) -> None:
    exporter = cluster.exporters[case.name]
    node = cluster.redis if case.kind == "redis" else cluster.sentinel
    stream_up = {"name": "redis_sentinel_event_stream_up", "addr": cluster.sentinel.addr}
    if case.grant in {"+psubscribe", "&*"}:
        # Refused, then retried: the first attempt a warning, the next ones debug lines.
        wait_for(lambda: len(log_lines(exporter, STREAM_REFUSED)) >= 2, 15)
    elif case.grant == "+ping":
        # PING goes out after 5 s without a message: the Sentinel must stay quiet meanwhile.
        wait_for(lambda: bool(log_lines(exporter, PING_REFUSED)), 20)
    else:
        wait_for(lambda: exporter.scrape().value(**stream_up) == 1, 15)
    samples, compared = compare(cluster, exporter)
    log = exporter.log()
    assert PASSWORD not in log
    other = cluster.sentinel if node is cluster.redis else cluster.redis
    assert compared[other.addr][1] == compared[other.addr][0], "the other target loses nothing"
    assert samples.value("redis_up", addr=other.addr) == 1
    reference, monitored = compared[node.addr]
    if case.grant == "+info":
        # Fatal: nothing to say about a target whose role is unknown. The stream needs no INFO.
        assert samples.value("redis_up", addr=node.addr) == 0
        assert "NoPermissionError" in log
        assert samples.value(**stream_up) == 1
        return
    assert samples.value("redis_up", addr=node.addr) == 1
    assert monitored <= reference
    missing = names(reference - monitored)
    refusals = [line for line in log_lines(exporter, REFUSED_LINE) if f"addr={node.addr}" in line]
    if case.grant in EVENT_STREAM_GRANTS:
        assert missing == set()
        assert refusals == []
        message = PING_REFUSED if case.grant == "+ping" else STREAM_REFUSED
        first, *again = log_lines(exporter, message)
        assert "level=warn" in first
        assert all("level=debug" in line for line in again)
        assert "no permissions" in first
        assert samples.value(**stream_up) == (1 if case.grant == "+ping" else 0)
        return
    assert missing == families_from(case.command), "exactly the families the grant gives"
    if case.extra:  # no CONFIG GET sent: nothing refused, nothing to say
        assert refusals == []
        return
    (line,) = refusals  # one line per target, however many scrapes
    assert "level=warn" in line
    assert f'commands="{case.command}"' in line
    assert f"'{(case.grant or '').lstrip('+')}'" in line  # the server's NOPERM names it
