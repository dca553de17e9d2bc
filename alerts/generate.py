"""Generate the Prometheus rules ``alerts/redis-ha.rules.yml`` (rules as code, stdlib only).

Usage::

    python alerts/generate.py                    # rewrite alerts/redis-ha.rules.yml
    python alerts/generate.py --check            # exit 1 if the committed file is stale
    python alerts/generate.py --group-labels cluster,region --out /etc/prometheus/rules/x.yml
    python alerts/generate.py --group-labels '' --runbook-url https://wiki.example/rb/ --out -

``make rules GROUP_LABELS=cluster,region RUNBOOK_URL=...`` runs the same.

A replication group is its ``master_name`` *within one deployment*: two deployments may both
call their group ``mymaster``. The deployment is named by the **group labels** the operator puts
on every target of that deployment (``labels:`` of a scrape config, or ``external_labels`` of a
per-deployment Prometheus that a global one federates); default ``cluster``. Every recording
rule and alert that aggregates keeps them: ``by (cluster, master_name)``, ``on (cluster,
address)``, ``on (cluster, job, instance, addr)``. A label absent from every series is empty,
and grouping by an empty label is grouping without it: the rules then behave exactly as they did
with ``by (master_name)``.

The definitions below write that with placeholders, expanded by :func:`expand`:

===================  ===============================================  ==========
placeholder          expands to (group labels ``cluster``)            (none)
===================  ===============================================  ==========
``{deploy}``         ``cluster, `` (put before the other labels)      empty
``{in_deployment}``  ``{{ with $labels.cluster }} in cluster ...``    empty
``{match}``          ``,cluster=%q`` (inside a ``printf`` selector)   empty
``{match_args}``     `` $labels.cluster`` (after the ``printf`` args) empty
===================  ===============================================  ==========

so ``max by ({deploy}master_name) (x)`` becomes ``max by (cluster, master_name) (x)``. Pieces of
annotations that several alerts share are placeholders too (:data:`SNIPPETS`:
``{master_addresses}``, ``{votes_needed}``, ``{in_group}``, and ``{exporter}``, which the
``--runbook-url`` base may use too). An unknown ``{name}`` is an error;
PromQL selectors (``{job="x"}``) and Go templates (``{{ . }}``) never look like one.

Every tunable value (thresholds, windows, ``for:``) is written once, here; the thresholds table
of docs/alerts.md lists them and tests/alerts/test_rules.py checks that the two agree.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RULES_FILE = HERE / "redis-ha.rules.yml"
#: Deployment labels the shipped file groups by.
DEFAULT_GROUP_LABELS: tuple[str, ...] = ("cluster",)
#: Base of every ``runbook_url`` (the alert name and ``.md`` are appended; placeholders such as
#: ``{exporter}`` expanded): the runbooks every exporter serves (exporter/.../runbooks.py).
DEFAULT_RUNBOOK_URL = "http://{exporter}/runbooks/"
#: The scrape job of the seeds, read by RedisExporterDown (and ``{exporter}``).
JOB = "redis_exporter"
#: Where ``{exporter}`` points when Prometheus has no target of the job at all: the default
#: ``--web.listen-address``, on the operator's own host.
FALLBACK_EXPORTER = "localhost:9121"
#: Labels the exporter, Prometheus or these rules already use: a deployment label of one of
#: these names would be overwritten or would merge what it should keep apart.
RESERVED_LABELS = frozenset(
    {
        "job", "instance", "addr", "address", "host", "role", "master_name", "master_address",
        "master_status", "replica_address", "master_host", "master_port", "slave_ip",
        "slave_port", "slave_state", "read_only", "event", "redis_version", "redis_mode",
        "tcp_port", "run_id", "version", "python_version", "le", "alertname", "alertstate",
        "severity", "lag", "setting", "cmd", "db", "err", "event_name", "master_replid",
        "maxmemory_policy", "os", "process_id", "redis_build_id",
    }
)  # fmt: skip
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
#: Width the folded descriptions are wrapped at (YAML joins the lines with one space).
WIDTH = 96

# --------------------------------------------------------------------------------------
# The definition
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """A recording rule."""

    record: str
    expr: str
    comment: str = ""


@dataclass(frozen=True)
class Alert:
    """An alerting rule; ``runbook_url`` is the base plus ``alert`` plus ``.md``."""

    alert: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str
    labels: Mapping[str, str] = field(default_factory=dict)
    comment: str = ""


@dataclass(frozen=True)
class Group:
    """A rule group; ``title`` heads it as a comment."""

    name: str
    title: str
    rules: tuple[Record | Alert, ...]


#: Annotation pieces used by several alerts, as placeholders of their own (``{master_addresses}``);
#: they may use the group-label placeholders.
SNIPPETS = {
    "master_addresses": (
        '{{ range $i, $s := printf "master_name:redis_sentinel_master_address:group'
        '{master_name=%q{match}}" $labels.master_name{match_args} | query '
        '| sortByLabel "address" }}'
        "{{ if $i }}, {{ end }}{{ $s.Labels.address }}{{ end }}"
    ),
    "votes_needed": (
        '{{ with printf "master_name:redis_sentinel_votes_needed:max{master_name=%q{match}}" '
        "$labels.master_name{match_args} | query }}{{ . | first | value }}{{ end }}"
    ),
    "in_group": "{{ with $labels.master_name }} (group {{ . }}){{ end }}",
    # The host:port of an exporter to fetch a runbook from, chosen when the alert is evaluated:
    # the first (by instance) that is up in the alert's deployment, else up anywhere, else any
    # exporter of the job (it serves the runbook once it is back), else FALLBACK_EXPORTER
    # (alerts/tests/runbooks.yml). Without group labels the first two queries are the same.
    # '{{ with printf "up{job=\"redis_exporter\",cluster=%q} == 1" $labels.cluster | query
    # | sortByLabel "instance" }}{{ . | first | label "instance" }}{{ else }}{{ with ...'
    "exporter": "".join(
        f'{{{{ with {query} | sortByLabel "instance" }}}}{{{{ . | first | label "instance" }}}}'
        "{{ else }}"
        for query in (
            f'printf "up{{job=\\"{JOB}\\"{{match}}}} == 1"{{match_args}} | query',
            f'query "up{{job=\\"{JOB}\\"}} == 1"',
            f'query "up{{job=\\"{JOB}\\"}}"',
        )
    )
    + FALLBACK_EXPORTER
    + "{{ end }}" * 3,
}
#: The three cases of a Redis server's address, for redis:instance_address:info.
LOOPBACK_ADDR = r"(localhost|127\\.[0-9.]+|::1|\\[::1\\]):[0-9]+|/.*"
LOOPBACK_TARGET = r"\\[?(localhost|127\\.[0-9.]+|::1)\\]?:[0-9]+"
#: The host of a ``host:port`` label value, IPv6 brackets removed (``[::1]:9121`` -> ``::1``).
HOST_OF = r"\\[?([^\\]]*?)\\]?:[0-9]+"


def on_host(expr: str, source: str = "instance") -> str:
    """``expr`` with a ``host`` label: the host of its ``source`` label (``instance``: the
    exporter's machine; ``replica_address``: the replica's; ``slave_ip`` is a host already).

    Alerts about one machine carry it so that Alertmanager can match them with ``equal:
    [cluster, host]`` to ``RedisExporterDown`` of that machine, whose other alerts it explains.
    """
    regex = "(.+)" if source == "slave_ip" else HOST_OF
    body = textwrap.indent(textwrap.dedent(expr).strip(), "  ")
    return f'label_replace(\n{body},\n  "host", "$1", "{source}", "{regex}"\n)\n'


TOPOLOGY = Group(
    "redis-ha.topology",
    "Topology: which Redis server belongs to which master_name.  Shared by alerts and dashboards.",
    (
        Record(
            "redis:instance_address:info",
            f"""
            max by ({{deploy}}job, instance, addr, address, role) (
              label_replace(
                redis_instance_info{{redis_mode!="sentinel", addr!~"{LOOPBACK_ADDR}"}},
                "address", "$1", "addr", "(.+)"
              )
              or
              label_join(
                label_replace(
                  redis_instance_info{{redis_mode!="sentinel", addr=~"{LOOPBACK_ADDR}", instance!~"{LOOPBACK_TARGET}"}},
                  "host", "$1", "instance", "{HOST_OF}"
                ),
                "address", ":", "host", "tcp_port"
              )
              or
              label_join(
                label_replace(
                  redis_instance_info{{redis_mode!="sentinel", addr=~"{LOOPBACK_ADDR}", instance=~"{LOOPBACK_TARGET}"}},
                  "host", "127.0.0.1", "", ""
                ),
                "address", ":", "host", "tcp_port"
              )
            )
            """,  # noqa: E501
            "One series per Redis server (Sentinels excluded) with `address`: the host:port "
            "Sentinel knows it by.  Three cases: routable addr; loopback/socket addr behind a "
            "routable target host; everything on loopback (the address is then "
            "127.0.0.1:tcp_port).",
        ),
        Record(
            "master_name:redis_sentinel_member_address:group",
            """
            group by ({deploy}master_name, address) (
              label_replace(redis_sentinel_master_status, "address", "$1", "master_address", "(.+)")
              or
              label_replace(redis_sentinel_replica_up, "address", "$1", "replica_address", "(.+)")
            )
            """,
            "Every address any Sentinel lists for a master_name, as master or as replica "
            "(value 1).",
        ),
        Record(
            "master_name:redis_sentinel_master_address:group",
            """
            group by ({deploy}master_name, address) (
              label_replace(redis_sentinel_master_status, "address", "$1", "master_address", "(.+)")
            )
            """,
            "The address(es) Sentinels name as master (more than one only while they disagree).",
        ),
        Record(
            "redis:instance_master_name:info",
            """
            redis:instance_address:info
              * on ({deploy}address) group_left (master_name)
            master_name:redis_sentinel_member_address:group
            """,
            "redis:instance_address:info with the master_name of the group the server belongs "
            "to (in its own deployment).",
        ),
        Record(
            "master_name:redis_role_master:count",
            """
            count by ({deploy}master_name) (redis:instance_master_name:info{role="master"})
            or
            count by ({deploy}master_name) (redis:instance_master_name:info) * 0
            """,
            'Redis servers of a group that report role "master" (0 when none does).',
        ),
        Record(
            "master_name:redis_master_connected_slaves:max",
            """
            max by ({deploy}master_name) (
              redis_connected_slaves
                * on ({deploy}job, instance, addr) group_left (master_name)
              (
                redis:instance_master_name:info
                  and on ({deploy}master_name, address)
                master_name:redis_sentinel_master_address:group
              )
            )
            """,
            "connected_slaves as reported by the server the Sentinels name as master.",
        ),
        Record(
            "master_name:redis_sentinel_ok_sentinels:min",
            "min by ({deploy}master_name) (redis_sentinel_master_ok_sentinels)",
            "Sentinel health of a group, shared by RedisSentinelQuorumAtRisk and the dashboard.",
        ),
        Record(
            "master_name:redis_sentinel_votes_needed:max",
            """
            max by ({deploy}master_name) (redis_sentinel_master_setting_ckquorum)
              >= on ({deploy}master_name)
            floor(max by ({deploy}master_name) (redis_sentinel_master_sentinels) / 2) + 1
            or on ({deploy}master_name)
            floor(max by ({deploy}master_name) (redis_sentinel_master_sentinels) / 2) + 1
            """,
            "Votes a failover needs: max(quorum, majority of the known Sentinels).",
        ),
    ),
)

AVAILABILITY = Group(
    "redis-ha.availability",
    "Availability: processes, exporters, the masters of a group, and the alerting pipeline.",
    (
        Alert(
            "RedisDown",
            on_host("redis_up == 0"),
            "1m",
            "warning",
            "Redis or Sentinel {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} is down",
            "The exporter on {{ $labels.instance }}{in_deployment} cannot read {{ $labels.addr }} "
            "(redis_up {{ $value }}): the process is down, hung, or refuses the exporter's "
            "credentials. Sentinel fails a master over by itself; a down replica or Sentinel "
            "lowers the redundancy left.",
        ),
        Alert(
            "RedisExporterDown",
            on_host(f'up{{job="{JOB}"}} == 0'),
            "2m",
            "warning",
            "Prometheus cannot scrape the Redis exporter {{ $labels.instance }}{in_deployment}",
            "Scrapes of {{ $labels.instance }}{in_deployment} (job {{ $labels.job }}) are failing: "
            "the exporter or its whole host is down. The Redis and Sentinel on that host are "
            "unobserved; the other hosts' Sentinels still report the group. Alertmanager holds "
            "back the other alerts of host {{ $labels.host }} while this one fires.",
        ),
        Alert(
            "RedisNoMaster",
            """
            max by ({deploy}master_name) (redis_sentinel_master_status) == 0
            or
            (max by ({deploy}master_name) (redis_sentinel_master_odown) == 1) * 0
            or
            (
              group by ({deploy}master_name) (
                redis:instance_master_name:info
                  and on ({deploy}master_name, address)
                master_name:redis_sentinel_master_address:group
              )
              unless on ({deploy}master_name)
              (
                redis:instance_master_name:info{role="master"}
                  and on ({deploy}master_name, address)
                master_name:redis_sentinel_master_address:group
              )
            ) * 0
            """,
            "1m",
            "critical",
            "Redis group {{ $labels.master_name }}{in_deployment} has no working master",
            "The group {{ $labels.master_name }}{in_deployment} has no master "
            "that takes writes: a quorum of Sentinels sees it objectively down, no Sentinel "
            "sees it ok, or none of the servers the Sentinels name as master "
            "({master_addresses}) reports role master. Writes fail and Sentinel has not fixed "
            "it.",
            comment="The page for lost writes. RedisSentinelMasterODown (for: 2m) is the same "
            "fact as a ticket, fires later and is inhibited by this alert.",
        ),
        Alert(
            "RedisTooManyMasters",
            "master_name:redis_role_master:count > 1",
            "1m",
            "critical",
            "Redis group {{ $labels.master_name }}{in_deployment} has {{ $value }} masters "
            "(split brain)",
            "{{ $value }} Redis servers that the Sentinels list for {{ $labels.master_name }}"
            "{in_deployment} report role master: "
            '{{ range $i, $s := printf "redis:instance_master_name:info{master_name=%q{match},'
            'role=\\"master\\"}" $labels.master_name{match_args} | query | sortByLabel "address" }}'
            "{{ if $i }}, {{ end }}{{ $s.Labels.address }}{{ end }}. "
            "Clients writing to the wrong one lose their writes.",
        ),
        Alert(
            "Watchdog",
            "vector(1)",
            "0s",
            "none",
            "The Redis HA alerting pipeline works (this alert always fires)",
            "Always firing ({{ $value }}) while Prometheus evaluates these rules and reaches "
            "Alertmanager. Route it to a dead man's switch that pages when it stops arriving.",
            comment="A dead man's switch: see docs/runbooks/Watchdog.md.",
        ),
    ),
)


def by_replica(agg: str, metric: str, labels: str) -> str:
    """``metric`` by target and ``labels``, with the master_name of the group the target's
    server belongs to when it is known (without one otherwise)."""
    return f"""
        {agg} by ({{deploy}}job, instance, addr, {labels}, master_name) (
          {metric}
            * on ({{deploy}}job, instance, addr) group_left (master_name)
          redis:instance_master_name:info
          or on ({{deploy}}job, instance, addr)
          {metric}
        )
        """


def target_value(metric: str, pipeline: str = "", unit: str = "", otherwise: str = "") -> str:
    """An annotation piece: ``metric`` of the alert's own target (``instance`` and ``addr``, in
    its deployment) through ``pipeline`` (`` | humanize1024``), followed by ``unit`` (``B``);
    ``otherwise`` (nothing unless given) when the target has no series."""
    shown = "{{ . | first | value" + pipeline + " }}" + unit
    if otherwise:
        shown += "{{ else }}" + otherwise
    return (
        '{{ with printf "' + metric + '{instance=%q,addr=%q{match}}" '
        "$labels.instance $labels.addr{match_args} | query }}" + shown + "{{ end }}"
    )


def per_replica(record: str, agg: str, metric: str, labels: str, comment: str = "") -> Record:
    """A recording of :func:`by_replica`."""
    return Record(record, by_replica(agg, metric, labels), comment)


#: RedisReplicationLagHigh (bytes): the lag, as a fraction of the master's repl-backlog-size, at
#: which a replica that reconnects may already need a full resync soon.
LAG_BACKLOG_FRACTION = "0.5"
#: RedisReplicationLinkFlapping: changes of master_link_status (two drops and two recoveries)
#: within the window.
FLAP_CHANGES = "4"
FLAP_WINDOW = "15m"

REPLICATION = Group(
    "redis-ha.replication",
    "Replication: links, lag, replicas the master has lost, replicas Sentinel could promote.",
    (
        per_replica(
            "redis:replication_lag_bytes:max",
            "max",
            "redis_connected_slave_lag_bytes",
            "slave_ip, slave_port",
            "Per replica (seen from its master), with master_name when the group is known.",
        ),
        per_replica(
            "redis:replication_lag_seconds:max",
            "max",
            "redis_connected_slave_lag_seconds",
            "slave_ip, slave_port",
        ),
        per_replica(
            "redis:master_link_up:min",
            "min",
            "redis_master_link_up",
            "master_host, master_port",
            "Per replica (seen from the replica), with master_name when the group is known.",
        ),
        Record(
            "master_name:redis_promotable_replicas:count",
            """
            count by ({deploy}master_name) (
              redis:instance_master_name:info{role="slave"}
              unless on ({deploy}job, instance, addr)
              redis_slave_priority == 0
              unless on ({deploy}job, instance, addr)
              (
                redis_master_link_down_since_seconds * 1000
                  * on ({deploy}job, instance, addr) group_left (master_name)
                redis:instance_master_name:info
                  > on ({deploy}master_name) group_left ()
                10 * max by ({deploy}master_name) (redis_sentinel_master_setting_down_after_milliseconds)
              )
              unless on ({deploy}master_name, address)
              (
                max by ({deploy}master_name, address) (
                  label_replace(redis_sentinel_replica_up, "address", "$1", "replica_address", "(.+)")
                ) == 0
              )
            )
            or
            count by ({deploy}master_name) (redis:instance_master_name:info{role="master"}) * 0
            """,  # noqa: E501
            "Replicas Sentinel could promote, by its own rules: every replica of the group "
            "that is running, unless it has replica-priority 0, its link to the master has "
            "been down for more than 10 x down-after-milliseconds, or no Sentinel sees it up. "
            "0 for a group whose master is observed and no replica qualifies.",
        ),
        Alert(
            "RedisReplicationLinkDown",
            on_host("redis:master_link_up:min == 0"),
            "2m",
            "warning",
            "Replica {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} lost its link "
            "to master {{ $labels.master_host }}:{{ $labels.master_port }}",
            "The replication link of {{ $labels.addr }} on {{ $labels.instance }}"
            "{in_deployment}{in_group} to {{ $labels.master_host }}:"
            "{{ $labels.master_port }} has been down for "
            + target_value(
                "redis_master_link_down_since_seconds", " | humanizeDuration", otherwise="a while"
            )
            + " (or a full resync is taking that long). Reads from this replica return stale data.",
        ),
        Alert(
            "RedisReplicationLinkFlapping",
            on_host(
                textwrap.dedent(
                    by_replica(
                        "max",
                        f"changes(redis_master_link_up[{FLAP_WINDOW}])",
                        "master_host, master_port",
                    )
                ).strip()
                + f" >= {FLAP_CHANGES}"
            ),
            "0s",
            "warning",
            "Replication link of {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} "
            "is flapping",
            "The link of replica {{ $labels.addr }} on {{ $labels.instance }}"
            "{in_deployment}{in_group} to {{ $labels.master_host }}:{{ $labels.master_port }} "
            f"changed state {{{{ $value }}}} times in {FLAP_WINDOW}. Every reconnect costs a "
            "partial or full resync, and a link that keeps dropping can make the replica "
            "ineligible for promotion.",
        ),
        Alert(
            "RedisReplicationLagHigh",
            on_host(
                f"""
                redis:replication_lag_bytes:max
                  / on ({{deploy}}job, instance, addr) group_left ()
                redis_replication_backlog_bytes
                > {LAG_BACKLOG_FRACTION}
                """,
                "slave_ip",
            ),
            "2m",
            "warning",
            "Replica {{ $labels.slave_ip }}:{{ $labels.slave_port }} is "
            "{{ $value | humanizePercentage }} of the replication backlog behind its master "
            "{{ $labels.addr }} on {{ $labels.instance }}{in_deployment}",
            "Master {{ $labels.addr }} on {{ $labels.instance }}{in_deployment}{in_group} is "
            "ahead of replica {{ $labels.slave_ip }}:{{ $labels.slave_port }} by "
            "{{ $value | humanizePercentage }} of its repl-backlog-size ("
            + target_value("redis_replication_backlog_bytes", " | humanize1024", "B")
            + "). Past 100% a replica that "
            "reconnects needs a full resync, and a failover to it loses what it has not "
            "received.",
            {"lag": "bytes"},
        ),
        Alert(
            "RedisReplicationLagHigh",
            on_host("redis:replication_lag_seconds:max > 10", "slave_ip"),
            "2m",
            "warning",
            "Replica {{ $labels.slave_ip }}:{{ $labels.slave_port }} has not acknowledged "
            "its master {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} for "
            "{{ $value }}s",
            "Replica {{ $labels.slave_ip }}:{{ $labels.slave_port }} of master "
            "{{ $labels.addr }} on {{ $labels.instance }}"
            "{in_deployment}{in_group} last acknowledged {{ $value }}s ago. Replicas "
            "acknowledge every second: it is stalled, overloaded, or its network is.",
            {"lag": "seconds"},
        ),
        Alert(
            "RedisReplicaMissing",
            """
            master_name:redis_master_connected_slaves:max
              < on ({deploy}master_name)
            max by ({deploy}master_name) (redis_sentinel_master_ok_slaves)
            """,
            "5m",
            "warning",
            "Master of {{ $labels.master_name }}{in_deployment} has {{ $value }} connected "
            "replica(s), fewer than the Sentinels see up",
            "The master of {{ $labels.master_name }}{in_deployment} reports {{ $value }} "
            "connected replica(s), but the Sentinels see "
            '{{ with printf "max(redis_sentinel_master_ok_slaves{master_name=%q{match}})" '
            "$labels.master_name{match_args} | query }}{{ . | first | value }}{{ end }} "
            "replicas up: a running replica does not replicate from the current master (wrong "
            "master, refused authentication, or stuck reconnecting).",
        ),
        Alert(
            "RedisNoPromotableReplica",
            "master_name:redis_promotable_replicas:count == 0",
            "5m",
            "warning",
            "No replica of {{ $labels.master_name }}{in_deployment} can be promoted",
            "None of the "
            '{{ with printf "count(redis:instance_master_name:info{master_name=%q{match},'
            'role=\\"slave\\"})" $labels.master_name{match_args} | query }}'
            "{{ . | first | value }}{{ else }}0{{ end }} running replica(s) of "
            "{{ $labels.master_name }}{in_deployment} qualifies for promotion: each has "
            "replica-priority 0, a link to the master down for more than 10 x "
            "down-after-milliseconds, or no Sentinel sees it up. If the master fails now, "
            "Sentinel cannot replace it.",
        ),
    ),
)

#: RedisSentinelRepeatedFailovers: this many failovers within the window.
REPEAT_FAILOVERS = "2"
REPEAT_WINDOW = "1h"
#: RedisSentinelsMissing: fewer Sentinels known than this cannot lose one and still fail over.
MIN_SENTINELS = "3"
#: RedisSentinelsAbsent: how long a group that no Sentinel reports any more keeps paging.
ABSENT_WINDOW = "1d"
#: RedisSentinelSettingsDiffer: the per-master settings (redis_sentinel_master_setting_*) that
#: every Sentinel of a group must share.
SENTINEL_SETTINGS = ("ckquorum", "down_after_milliseconds", "failover_timeout", "parallel_syncs")


def setting_differs(setting: str) -> str:
    """The highest value of one ``redis_sentinel_master_setting_*`` of a group when its
    Sentinels do not all have the same, labelled ``setting``."""
    metric = f"redis_sentinel_master_setting_{setting}"
    return textwrap.dedent(
        f"""\
        label_replace(
          max by ({{deploy}}master_name) ({metric})
            != on ({{deploy}}master_name)
          min by ({{deploy}}master_name) ({metric}),
          "setting", "{setting}", "", ""
        )"""
    )


SENTINEL = Group(
    "redis-ha.sentinel",
    "Sentinel: the master's state, failovers, quorum, and the Sentinels themselves.",
    (
        Alert(
            "RedisSentinelMasterSDown",
            "count by ({deploy}master_name) (redis_sentinel_master_sdown == 1) > 0",
            "2m",
            "warning",
            "{{ $value }} Sentinel(s) see master {{ $labels.master_name }}{in_deployment} "
            "subjectively down",
            "{{ $value }} Sentinel(s) have not had a valid reply from the master of "
            "{{ $labels.master_name }}{in_deployment} ({master_addresses}), without a "
            "quorum agreeing it is down.",
        ),
        Alert(
            "RedisSentinelMasterODown",
            "max by ({deploy}master_name) (redis_sentinel_master_odown) == 1",
            "2m",
            "warning",
            "Master {{ $labels.master_name }}{in_deployment} is objectively down",
            "A quorum of Sentinels has agreed that the master of {{ $labels.master_name }}"
            "{in_deployment} ({master_addresses}) is down, and no failover has replaced it "
            "yet: Sentinel cannot promote a replica. Writes fail; RedisNoMaster is the page for "
            "that, and this ticket the reason.",
            comment="The same fact as RedisNoMaster's odown branch, a minute later: NoMaster "
            "is already firing when this one starts, so the inhibition never races.",
        ),
        Alert(
            "RedisSentinelFailover",
            """
            max by ({deploy}master_name) (increase(redis_sentinel_failovers_total[10m])) > 0
            or
            max by ({deploy}master_name) (time() - redis_sentinel_last_failover_timestamp_seconds < bool 600) == 1
            """,  # noqa: E501
            "0s",
            "warning",
            "Sentinels failed {{ $labels.master_name }}{in_deployment} over to a new master",
            'Sentinels completed {{ printf "%.0f" $value }} failover(s) of '
            "{{ $labels.master_name }}{in_deployment} recently; the master is now "
            "{master_addresses}. Find out why the old master failed and check that it "
            "rejoined as a replica.",
        ),
        Alert(
            "RedisSentinelRepeatedFailovers",
            f"""
            max by ({{deploy}}master_name) (
              increase(redis_sentinel_failovers_total[{REPEAT_WINDOW}])
            )
              >= {REPEAT_FAILOVERS}
            """,
            "0s",
            "warning",
            "{{ $labels.master_name }}{in_deployment} failed over "
            '{{ printf "%.0f" $value }} times in the last hour',
            "Sentinels switched the master of {{ $labels.master_name }}{in_deployment} "
            '{{ printf "%.0f" $value }} times within '
            f"{REPEAT_WINDOW}; the master is now {{master_addresses}}. Something keeps "
            "failing (a host, its memory, a network path) or down-after-milliseconds is too "
            "short for this network: every failover drops connections and may lose "
            "acknowledged writes.",
        ),
        Alert(
            "RedisSentinelFailoverStuck",
            """
            max by ({deploy}master_name) (
              (time() - redis_sentinel_failover_started_timestamp_seconds)
              > on ({deploy}job, instance, addr, master_name) group_left ()
              max by ({deploy}job, instance, addr, master_name) (redis_sentinel_master_setting_failover_timeout) / 1000
            )
            """,  # noqa: E501
            "1m",
            "warning",
            "Failover of {{ $labels.master_name }}{in_deployment} is stuck for "
            "{{ $value | humanizeDuration }}",
            "A Sentinel has had a failover of {{ $labels.master_name }}{in_deployment} in "
            "progress for {{ $value | humanizeDuration }}, longer than its failover-timeout "
            '({{ with printf "max(redis_sentinel_master_setting_failover_timeout'
            '{master_name=%q{match}}) / 1000" $labels.master_name{match_args} | query }}'
            "{{ . | first | value | humanizeDuration }}{{ end }}). No replica has been "
            "promoted and configured.",
        ),
        Alert(
            "RedisSentinelQuorumAtRisk",
            "max by ({deploy}master_name) (redis_sentinel_master_ckquorum_ok) == 0",
            "1m",
            "critical",
            "No Sentinel of {{ $labels.master_name }}{in_deployment} can authorise a failover",
            "SENTINEL CKQUORUM {{ $labels.master_name }} fails on every Sentinel that reports "
            "it{in_deployment}: the best of them sees "
            '{{ with printf "max(redis_sentinel_master_ok_sentinels{master_name=%q{match}})" '
            "$labels.master_name{match_args} | query }}{{ . | first | value }}{{ end }} "
            "Sentinels ok and a failover needs {votes_needed}. If the master fails now, "
            "nothing replaces it.",
            comment="Critical only when no Sentinel can reach the quorum and the majority "
            "(max): one Sentinel cut off from the others still leaves two that can fail over.",
        ),
        Alert(
            "RedisSentinelQuorumAtRisk",
            """
            master_name:redis_sentinel_ok_sentinels:min
              and on ({deploy}master_name)
            (
              min by ({deploy}master_name) (redis_sentinel_master_ckquorum_ok) == 0
              or
              master_name:redis_sentinel_ok_sentinels:min
                < on ({deploy}master_name)
              master_name:redis_sentinel_votes_needed:max + 1
            )
            unless on ({deploy}master_name)
            max by ({deploy}master_name) (redis_sentinel_master_ckquorum_ok) == 0
            """,
            "5m",
            "warning",
            "Sentinels of {{ $labels.master_name }}{in_deployment} are one loss away from no "
            "failover",
            "The Sentinel of {{ $labels.master_name }}{in_deployment} with the worst view sees "
            "only {{ $value }} Sentinels ok, and CKQUORUM fails on "
            '{{ with printf "count(redis_sentinel_master_ckquorum_ok{master_name=%q{match}} == 0)" '
            "$labels.master_name{match_args} | query }}{{ . | first | value }}{{ else }}none"
            "{{ end }} of them; a failover needs {votes_needed} votes (max of quorum and "
            "majority). Another Sentinel or link lost and the master can no longer be replaced.",
        ),
        Alert(
            "RedisSentinelsMissing",
            f"""
            max by ({{deploy}}master_name) (redis_sentinel_master_ok_sentinels)
              < on ({{deploy}}master_name)
            max by ({{deploy}}master_name) (redis_sentinel_master_sentinels)
            or
            count by ({{deploy}}master_name) (
              group by ({{deploy}}job, instance, addr, master_name) (redis_sentinel_master_status)
            )
              < on ({{deploy}}master_name)
            max by ({{deploy}}master_name) (redis_sentinel_master_sentinels)
            or
            max by ({{deploy}}master_name) (redis_sentinel_master_sentinels) < {MIN_SENTINELS}
            """,
            "5m",
            "warning",
            "{{ $labels.master_name }}{in_deployment} has fewer Sentinels than it should",
            "The Sentinels of {{ $labels.master_name }}{in_deployment} know "
            '{{ with printf "max(redis_sentinel_master_sentinels{master_name=%q{match}})" '
            "$labels.master_name{match_args} | query }}{{ . | first | value }}{{ end }} "
            "Sentinels; the best of them sees "
            '{{ with printf "max(redis_sentinel_master_ok_sentinels{master_name=%q{match}})" '
            "$labels.master_name{match_args} | query }}{{ . | first | value }}{{ end }} ok; "
            "Prometheus hears from "
            '{{ with printf "count(group by (instance, addr) (redis_sentinel_master_status'
            '{master_name=%q{match}}))" $labels.master_name{match_args} | query }}'
            "{{ . | first | value }}{{ else }}none{{ end }}. A Sentinel is down, cut off or "
            f"not scraped, or fewer than {MIN_SENTINELS} were ever set up: losing one more may "
            "leave no majority to fail over.",
            comment="Sentinel counts itself and every Sentinel it has heard of (sentinels=), "
            "and forgets none until SENTINEL RESET: that is the configured count.",
        ),
        Alert(
            "RedisSentinelsAbsent",
            f"""
            group by ({{deploy}}master_name) (
              last_over_time(master_name:redis_sentinel_master_address:group[{ABSENT_WINDOW}])
            )
            unless on ({{deploy}}master_name)
            group by ({{deploy}}master_name) (redis_sentinel_master_status)
            """,
            "1m",
            "critical",
            "No Sentinel reports {{ $labels.master_name }}{in_deployment} any more",
            "Sentinels reported {{ $labels.master_name }}{in_deployment} within the last "
            f"{ABSENT_WINDOW}, and none does now: they are all "
            "down, unreachable from Prometheus, or no longer monitor it. Nothing will fail "
            "the master over, and clients that ask a Sentinel for the master find none.",
            comment="absent() per group: absent() itself cannot say which group vanished. "
            "Seen in the look-back window (not 'offset'), so a young Prometheus pages too; "
            "a group removed on purpose pages until the window has passed (silence it).",
        ),
        Alert(
            "RedisSentinelSettingsDiffer",
            "\nor\n".join(map(setting_differs, SENTINEL_SETTINGS)),
            "10m",
            "warning",
            "Sentinels of {{ $labels.master_name }}{in_deployment} disagree on "
            "{{ $labels.setting }}",
            "The Sentinels of {{ $labels.master_name }}{in_deployment} have different values "
            "of {{ $labels.setting }}: "
            '{{ range $i, $s := printf "redis_sentinel_master_setting_%s{master_name=%q{match}}" '
            '$labels.setting $labels.master_name{match_args} | query | sortByLabel "instance" }}'
            "{{ if $i }}, {{ end }}{{ $s.Labels.instance }} has {{ $s.Value }}{{ end }} "
            "(highest {{ $value }}). SENTINEL SET changes one Sentinel only: the others keep "
            "their old value, and which one applies depends on which Sentinel leads.",
        ),
        Alert(
            "RedisSentinelTilt",
            on_host(
                """
                max by ({deploy}job, instance, addr) (redis_sentinel_tilt) == 1
                or
                max by ({deploy}job, instance, addr) (increase(redis_sentinel_events_total{event="+tilt"}[10m])) > 0
                or
                max by ({deploy}job, instance, addr) (
                  redis_sentinel_events_total{event="+tilt"} > 0
                  unless redis_sentinel_events_total{event="+tilt"} offset 10m
                )
                """  # noqa: E501
            ),
            "0s",
            "warning",
            "Sentinel {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} entered "
            "TILT mode",
            "Sentinel {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} is in TILT "
            "mode or entered it recently. In TILT it only watches and will not act in a "
            "failover: its clock jumped or the process was blocked or starved of CPU.",
        ),
        Alert(
            "RedisSentinelMasterDisagreement",
            "count by ({deploy}master_name) (master_name:redis_sentinel_master_address:group) > 1",
            "1m",
            "critical",
            "Sentinels disagree on the master of {{ $labels.master_name }}{in_deployment}",
            "The Sentinels of {{ $labels.master_name }}{in_deployment} name {{ $value }} "
            "different masters: "
            '{{ range $i, $s := printf "redis_sentinel_master_status{master_name=%q{match}}" '
            '$labels.master_name{match_args} | query | sortByLabel "instance" }}'
            "{{ if $i }}, {{ end }}{{ $s.Labels.instance }} says "
            "{{ $s.Labels.master_address }}{{ end }}; clients asking different Sentinels write "
            "to different servers.",
        ),
        Alert(
            "RedisSentinelReplicaDown",
            on_host(
                "max by ({deploy}master_name, replica_address) (redis_sentinel_replica_up) == 0",
                "replica_address",
            ),
            "2m",
            "warning",
            "Replica {{ $labels.replica_address }} of {{ $labels.master_name }}{in_deployment} "
            "is down",
            "No Sentinel has seen replica {{ $labels.replica_address }} of "
            "{{ $labels.master_name }}{in_deployment} up (subjectively down or disconnected). "
            "It is no failover candidate and serves no reads.",
        ),
        Alert(
            "RedisSentinelEventStreamDown",
            on_host(
                """
                redis_sentinel_event_stream_up == 0
                unless on ({deploy}job, instance, addr)
                redis_up == 0
                """
            ),
            "2m",
            "warning",
            "Exporter on {{ $labels.instance }}{in_deployment} lost the event stream of "
            "Sentinel {{ $labels.addr }}",
            "The exporter on {{ $labels.instance }}{in_deployment} has not been subscribed to "
            "the events of Sentinel {{ $labels.addr }} although the Sentinel answers "
            "(reconnects so far: "
            '{{ with printf "redis_sentinel_event_stream_reconnects_total'
            '{instance=%q,addr=%q{match}}" $labels.instance $labels.addr{match_args} | query }}'
            "{{ . | first | value }}{{ end }}). Failovers and TILT between two scrapes go "
            "uncounted.",
        ),
    ),
)

#: Memory that counts against maxmemory: used_memory less the replica and AOF buffers Redis
#: does not count (``mem_not_counted_for_evict``, 0 where INFO lacks it, as Redis 3.2's does).
COUNTED_MEMORY = (
    "(redis_memory_used_bytes"
    " - (redis_mem_not_counted_for_eviction_bytes or redis_memory_used_bytes * 0))"
)
#: The alert's own target joined to its redis_instance_info (role, maxmemory_policy).
ON_TARGET = "on ({deploy}job, instance, addr)"
#: RedisMemoryNearMaxmemory: the fraction of maxmemory in use (COUNTED_MEMORY) that warns.
MEMORY_FRACTION = "0.9"
#: RedisRepeatedFullResyncs: full resyncs one Redis serves within an hour.
REPEATED_RESYNCS = "3"


def by_role(
    alert: str, failed: str, for_master: str, for_replica: str, what: str, master: str, replica: str
) -> tuple[Alert, Alert]:
    """A persistence failure ``failed`` (an expression that is 0 when it failed) as two rules:
    critical on a master, which then refuses writes (``master``: why, and what the operator
    loses), and a warning on a replica (``replica``), which serves no client writes."""
    where = "{{ $labels.addr }} on {{ $labels.instance }}{in_deployment}"
    return (
        Alert(
            alert,
            f'{failed} == 0\nand {ON_TARGET}\nredis_instance_info{{role="master"}}',
            for_master,
            "critical",
            f"Redis master {where} cannot {what}",
            f"Master {where}: {master}",
        ),
        Alert(
            alert,
            on_host(f'{failed} == 0\nunless {ON_TARGET}\nredis_instance_info{{role="master"}}'),
            for_replica,
            "warning",
            f"Redis replica {where} cannot {what}",
            f"Replica {where}: {replica}",
        ),
    )


INSTANCE = Group(
    "redis-ha.instance",
    "The rest of the host: memory, connections, persistence and resyncs of each Redis server.",
    (
        Alert(
            "RedisMemoryNearMaxmemory",
            on_host(
                f"""
                {COUNTED_MEMORY} / (redis_memory_max_bytes > 0) > {MEMORY_FRACTION}
                unless {ON_TARGET}
                redis_instance_info{{maxmemory_policy=~"allkeys-.*"}}
                """
            ),
            "5m",
            "warning",
            "Redis {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} uses "
            "{{ $value | humanizePercentage }} of its maxmemory",
            "Redis {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} holds "
            "{{ $value | humanizePercentage }} of its maxmemory ("
            + target_value("redis_memory_max_bytes", " | humanize1024")
            + "B) in memory counted against the limit, and its maxmemory-policy cannot make "
            "room by evicting any key: at the limit it refuses writes (noeviction, or a "
            "volatile-* policy once no key with a TTL is left).",
            comment="Where maxmemory is set (0 means no limit), and not for allkeys-* policies: "
            "a cache that evicts runs at its limit by design.",
        ),
        Alert(
            "RedisOutOfMemory",
            f"""
            {COUNTED_MEMORY} >= (redis_memory_max_bytes > 0)
            and {ON_TARGET}
            (
              redis_instance_info{{role="master", maxmemory_policy="noeviction"}}
              or
              (
                redis_instance_info{{role="master", maxmemory_policy=~"volatile-.*"}}
                unless {ON_TARGET}
                redis_db_keys_expiring > 0
              )
            )
            """,
            "1m",
            "critical",
            "Redis master {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} is at "
            "maxmemory and refuses writes",
            "Master {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} has "
            "{{ $value | humanize1024 }}B counted against its maxmemory of "
            + target_value("redis_memory_max_bytes", " | humanize1024")
            + "B and nothing it may evict: every write that needs memory fails with OOM.",
            comment="A master at its limit whose policy evicts nothing: noeviction, or "
            "volatile-* with no key that has a TTL.",
        ),
        Alert(
            "RedisTooManyConnections",
            on_host(
                "redis_connected_clients / (redis_config_maxclients or redis_max_clients) > 0.9"
            ),
            "5m",
            "warning",
            "Redis {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} uses "
            "{{ $value | humanizePercentage }} of maxclients",
            "Redis {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} has "
            + target_value("redis_connected_clients")
            + " clients connected, {{ $value | humanizePercentage }} of its maxclients: at the "
            "limit it refuses new connections (replicas, Sentinels and this exporter "
            "included).",
            comment="maxclients from CONFIG GET, else from INFO (Redis 7 lists it there).",
        ),
        Alert(
            "RedisRejectedConnections",
            on_host("increase(redis_rejected_connections_total[5m]) > 0"),
            "0s",
            "warning",
            "Redis {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} rejected "
            "connections",
            "Redis {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} rejected about "
            '{{ printf "%.0f" $value }} connection(s) in the last 5 minutes: maxclients was '
            "reached, or protected mode refused a client from another host.",
        ),
        *by_role(
            "RedisRdbSaveFailed",
            "redis_rdb_last_bgsave_status",
            "1m",
            "5m",
            "save its RDB snapshot",
            "its last background save (BGSAVE) failed, and with stop-writes-on-bgsave-error "
            "yes (the default) and save points set it refuses every write with MISCONF until "
            "a save succeeds. "
            + target_value("redis_rdb_changes_since_last_save")
            + " changes are not on disk.",
            "its last background save (BGSAVE) failed; "
            + target_value("redis_rdb_changes_since_last_save")
            + " changes are not on disk. From Redis 7.0 a replica that may not write to disk "
            "crashes on the next write from its master (unless repl-ignore-disk-write-error).",
        ),
        *by_role(
            "RedisAofWriteFailed",
            "redis_aof_last_write_status",
            "1m",
            "5m",
            "write its append-only file",
            "its last write to the append-only file failed (disk full, I/O error): it "
            "refuses every write with MISCONF until a write to the file succeeds.",
            "its last write to the append-only file failed (disk full, I/O error). From "
            "Redis 7.0 it crashes on the next write from its master (unless "
            "repl-ignore-disk-write-error).",
        ),
        Alert(
            "RedisAofRewriteFailed",
            on_host("redis_aof_last_bgrewrite_status == 0"),
            "5m",
            "warning",
            "Redis {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} failed to "
            "rewrite its append-only file",
            "The last rewrite (BGREWRITEAOF) of the append-only file of {{ $labels.addr }} on "
            "{{ $labels.instance }}{in_deployment} failed (status {{ $value }}). Writes go on, "
            "but the file grows without bound ("
            + target_value("redis_aof_current_size_bytes", " | humanize1024")
            + "B now) and a restart replays all of it.",
        ),
        Alert(
            "RedisRepeatedFullResyncs",
            on_host(f"increase(redis_replica_resyncs_full[1h]) >= {REPEATED_RESYNCS}"),
            "0s",
            "warning",
            "Redis {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} served "
            '{{ printf "%.0f" $value }} full resyncs in an hour',
            "Redis {{ $labels.addr }} on {{ $labels.instance }}{in_deployment} sent a full "
            'copy of its data to replicas about {{ printf "%.0f" $value }} times in the last '
            "hour (partial resyncs denied so far: "
            + target_value("redis_replica_partial_resync_denied")
            + "). Each one forks, writes an RDB and transfers it: a replica is looping "
            "(output buffer limit, timeout) or the backlog is too small to resume from.",
            comment="One full resync per replica is a restart or a failover on Redis < 4 (the "
            "seeds' two replicas: 2); three in an hour is a loop or a backlog too small. `>= 3`, "
            "not `> 2`: increase() extrapolates, and two resyncs can read 2.03.",
        ),
    ),
)

GROUPS: tuple[Group, ...] = (TOPOLOGY, AVAILABILITY, REPLICATION, SENTINEL, INSTANCE)

HEADER = """\
Prometheus rules for Redis replication and Redis Sentinel high availability.

GENERATED by alerts/generate.py ({parameters}): do not edit.
Change the generator, then `make rules` (GROUP_LABELS=..., RUNBOOK_URL=... to choose);
tests/alerts/test_rules.py keeps this file equal to the generator's output.

Metric names come from exporter/redis_ha_exporter/catalogue.py (redis_exporter-compatible where
they overlap).  Every tunable value (thresholds, windows, `for:` durations, the scrape job name
`redis_exporter`) appears once in the generator (the failover and TILT windows twice inside one
expression) and is listed in the thresholds table of docs/alerts.md; a test checks that the two
agree.  Plain YAML: no anchors, no templating.

Replication groups: a group is its master_name within one deployment, the deployment being
named by the group labels ({labels}) on every target; see "Many deployments" in docs/alerts.md.
Every Sentinel reports its own copy of the same fact, so alerts about a monitored master
aggregate by the group labels and master_name (max/min/count, never sum) and page once per
incident.  A Redis server is put into the group whose Sentinels (in its deployment) list its
address as master or replica.  Its address is `addr` when that is a routable host:port,
otherwise (loopback or unix socket) the host of the Prometheus target plus INFO's tcp_port; see
"How a Redis server is matched to its master_name" in docs/alerts.md.

runbook_url base: {runbook_url}"""


# --------------------------------------------------------------------------------------
# Expansion
# --------------------------------------------------------------------------------------


def check_group_labels(labels: Sequence[str]) -> tuple[str, ...]:
    """The labels as a tuple; ``ValueError`` naming the first one that is no usable label name
    (not a Prometheus label name, reserved by Prometheus (``__``), used by the metrics or these
    rules, or given twice)."""
    for label in labels:
        if not LABEL_NAME.fullmatch(label) or label.startswith("__"):
            raise ValueError(f"{label!r} is not a Prometheus label name")
        if label in RESERVED_LABELS:
            raise ValueError(f"{label!r} is a label the metrics or rules already use")
    if len(set(labels)) != len(labels):
        raise ValueError(f"a group label is given twice: {','.join(labels)}")
    return tuple(labels)


def parse_group_labels(text: str) -> tuple[str, ...]:
    """``"cluster, region"`` -> ``("cluster", "region")``; ``""`` -> ``()``."""
    return check_group_labels([part.strip() for part in text.split(",") if part.strip()])


def placeholders(labels: Sequence[str]) -> dict[str, str]:
    """What each placeholder of the definitions expands to for these group labels: the four of
    the module docstring, and the :data:`SNIPPETS` (themselves expanded)."""
    base = {
        "deploy": "".join(f"{label}, " for label in labels),
        "in_deployment": "".join(
            f"{{{{ with $labels.{label} }}}} in {label} {{{{ . }}}}{{{{ end }}}}"
            for label in labels
        ),
        "match": "".join(f",{label}=%q" for label in labels),
        "match_args": "".join(f" $labels.{label}" for label in labels),
    }
    return base | {name: substitute(text, base) for name, text in SNIPPETS.items()}


def substitute(text: str, values: Mapping[str, str]) -> str:
    """``text`` with every ``{name}`` replaced by ``values[name]``; ``KeyError`` for an unknown
    name (``{groups}`` is a typo, not PromQL: no selector is a bare lower-case word)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"unknown placeholder {{{name}}} in {text!r}")
        return values[name]

    return PLACEHOLDER.sub(value, text)


def expand(text: str, labels: Sequence[str]) -> str:
    """``text`` with every ``{placeholder}`` expanded for these group labels (see the module
    docstring)."""
    return substitute(text, placeholders(labels))


def expression(text: str, labels: Sequence[str]) -> str:
    """A rule's ``expr``: dedented and expanded; a multi-line one ends with a newline (as YAML's
    ``|`` reads it back)."""
    body = textwrap.dedent(text).strip()
    return expand(body, labels) + ("\n" if "\n" in body else "")


Rule = dict[str, Any]


def rule_mapping(rule: Record | Alert, labels: Sequence[str], runbook_url: str) -> Rule:
    """The YAML mapping of one rule, keys in the order they are written."""
    if isinstance(rule, Record):
        return {"record": rule.record, "expr": expression(rule.expr, labels)}
    return {
        "alert": rule.alert,
        "expr": expression(rule.expr, labels),
        "for": rule.for_,
        "labels": {"severity": rule.severity, **rule.labels},
        "annotations": {
            "summary": expand(rule.summary, labels),
            "description": expand(rule.description, labels),
            "runbook_url": expand(f"{runbook_url}{rule.alert}.md", labels),
        },
    }


def rule_file(
    labels: Sequence[str] = DEFAULT_GROUP_LABELS, runbook_url: str = DEFAULT_RUNBOOK_URL
) -> dict[str, Any]:
    """The rule file as data: what ``yaml.safe_load`` of :func:`render`'s text gives."""
    return {
        "groups": [
            {"name": g.name, "rules": [rule_mapping(r, labels, runbook_url) for r in g.rules]}
            for g in GROUPS
        ]
    }


# --------------------------------------------------------------------------------------
# YAML text (comments kept; tests/alerts/test_rules.py reads it back with PyYAML)
# --------------------------------------------------------------------------------------

YAML_WORDS = re.compile(r"(?i)true|false|yes|no|on|off|y|n|null")
DURATION = re.compile(r"([0-9]+(ms|[smhdwy]))+")


def scalar(text: str) -> str:
    """A one-line scalar: plain when YAML reads it back as the same string (a name, a URL, an
    expression, a duration), else JSON-quoted (a JSON string is a YAML double-quoted scalar)."""
    plain = DURATION.fullmatch(text) is not None or (
        re.fullmatch(r"[A-Za-z_/][ -~]*", text) is not None
        and not YAML_WORDS.fullmatch(text)
        and ": " not in text
        and " #" not in text
        and not text.endswith((":", " "))
    )
    return text if plain else json.dumps(text)


def folded(text: str, indent: str) -> Iterator[str]:
    """``>-`` block lines of a one-line text with single spaces, wrapped at :data:`WIDTH` but
    never inside a ``{{ template action }}`` (YAML joins the lines with one space again)."""
    if "\n" in text or "\0" in text or "  " in text or text != text.strip():
        raise ValueError(f"a folded text has single spaces only: {text!r}")
    glued = re.sub(r"\{\{.*?\}\}", lambda m: m.group().replace(" ", "\0"), text)
    lines = textwrap.wrap(
        glued, WIDTH - len(indent), break_long_words=False, break_on_hyphens=False
    )
    yield ">-"
    yield from (indent + line.replace("\0", " ") for line in lines)


def block(key: str, text: str, indent: str) -> Iterator[str]:
    """``key: value`` with a multi-line value as a ``|`` block."""
    if "\n" not in text:
        yield f"{indent}{key}: {scalar(text)}"
        return
    yield f"{indent}{key}: |"
    yield from (f"{indent}  {line}" if line else "" for line in text.rstrip("\n").split("\n"))


def comment(text: str, indent: str) -> Iterator[str]:
    for line in textwrap.wrap(text, WIDTH - len(indent) - 2) if text else ():
        yield f"{indent}# {line}"


def render_rule(rule: Record | Alert, mapping: Rule) -> Iterator[str]:
    pad = " " * 8
    yield from comment(rule.comment, " " * 6)
    kind = "record" if isinstance(rule, Record) else "alert"
    yield f"      - {kind}: {scalar(mapping[kind])}"
    yield from block("expr", mapping["expr"], pad)
    if isinstance(rule, Record):
        return
    yield f"{pad}for: {scalar(mapping['for'])}"
    yield f"{pad}labels:"
    yield from (f"{pad}  {k}: {scalar(v)}" for k, v in mapping["labels"].items())
    annotations = mapping["annotations"]
    yield f"{pad}annotations:"
    yield f"{pad}  summary: {json.dumps(annotations['summary'])}"
    description = folded(annotations["description"], pad + "    ")
    yield f"{pad}  description: {next(description)}"
    yield from description
    yield f"{pad}  runbook_url: {scalar(annotations['runbook_url'])}"


def render(
    labels: Sequence[str] = DEFAULT_GROUP_LABELS, runbook_url: str = DEFAULT_RUNBOOK_URL
) -> str:
    """The text of the rule file for these group labels and runbook base."""
    labels = check_group_labels(labels)
    data = rule_file(labels, runbook_url)
    parameters = f"--group-labels '{','.join(labels)}' --runbook-url '{runbook_url}'"
    header = HEADER.format(
        parameters=parameters,
        labels=", ".join(labels) or "none",
        runbook_url=runbook_url,
    )
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines.append("groups:")
    rule_line = "  # " + "-" * 93
    for group, group_data in zip(GROUPS, data["groups"], strict=True):
        lines += [rule_line, f"  # {group.title}", rule_line]
        lines += [f"  - name: {group.name}", "    rules:"]
        for index, (rule, mapping) in enumerate(zip(group.rules, group_data["rules"], strict=True)):
            if index and isinstance(rule, Alert):
                lines.append("")
            lines += render_rule(rule, mapping)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Write the rule file, or with ``--check`` report a stale one and return 1.

    A bad ``--group-labels`` value is one line on stderr and exit status 2.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--group-labels",
        default=",".join(DEFAULT_GROUP_LABELS),
        metavar="L1,L2",
        help="deployment labels, comma-separated; '' for none (default: %(default)s)",
    )
    parser.add_argument(
        "--runbook-url",
        default=DEFAULT_RUNBOOK_URL,
        help="runbook base URL, <Alert>.md appended; {exporter} stands for a live exporter's "
        "host:port, chosen by Prometheus (default: %(default)s)",
    )
    parser.add_argument("--out", default=str(RULES_FILE), help="file, or - for stdout")
    parser.add_argument("--check", action="store_true", help="exit 1 if --out is stale")
    args = parser.parse_args(argv)
    try:
        labels = parse_group_labels(args.group_labels)
    except ValueError as exc:
        print(f"generate.py: --group-labels: {exc}", file=sys.stderr)
        return 2
    try:
        text = render(labels, args.runbook_url)
    except KeyError as exc:
        print(f"generate.py: --runbook-url: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    if args.check:
        if not out.is_file() or out.read_text(encoding="utf-8") != text:
            print(f"{out} is stale: run make rules", file=sys.stderr)
            return 1
        return 0
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
