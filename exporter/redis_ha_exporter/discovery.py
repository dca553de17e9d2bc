"""``/sd``: Prometheus ``http_sd_configs`` target groups for every master, replica and Sentinel
the configured Sentinels know (pure: built from an already-gathered collection).

Each address is listed once, with ``__meta_redis_master_name`` (the replication group; for a
Sentinel watching several, their names joined by ``,``) and ``__meta_redis_role`` (``master``,
``replica`` or ``sentinel``). They are meta labels on purpose: the metrics already carry
``master_name`` and (``redis_instance_info``) ``role``, so target labels of those names would
clash. Each group also carries ``__param_profile``: ``redis`` for the Redis servers, ``sentinel``
for the Sentinels, so that Prometheus asks ``/scrape`` for each with the credentials and TLS
settings of that profile (the ``--redis.*`` and ``--sentinel.*`` flags, or ``profiles:`` in the
config file) without a relabeling rule for it.

``/sd?targets=exporter`` lists each address as a target of this exporter instead
(``__address__`` is the host the request was sent to, ``__metrics_path__`` is ``/scrape``,
``__param_target`` and ``instance`` the address), so a scrape job needs no relabeling at all::

    scrape_configs:
      - job_name: redis_ha
        http_sd_configs: [{url: "http://exporter:9121/sd?targets=exporter"}]

Plain ``/sd`` lists the addresses themselves, for a job that relabels them::

    scrape_configs:
      - job_name: redis_ha
        http_sd_configs: [{url: "http://exporter:9121/sd"}]
        metrics_path: /scrape
        relabel_configs:
          - {source_labels: [__address__], target_label: __param_target}
          - {source_labels: [__param_target], target_label: instance}
          - {target_label: __address__, replacement: "exporter:9121"}
          - {source_labels: [__meta_redis_master_name], target_label: redis_group}
          - {source_labels: [__meta_redis_role], target_label: redis_role}
"""

from __future__ import annotations

from collections import Counter, defaultdict

from redis_ha_exporter.snapshot import Collection, TargetSnapshot
from redis_ha_exporter.targets import Kind

MASTER_NAME = "__meta_redis_master_name"
ROLE = "__meta_redis_role"
PROFILE = "__param_profile"
TargetGroup = dict[str, object]


def target_groups(collection: Collection) -> list[TargetGroup]:
    """One group per (master names, role); a Redis address's role and group are what most
    Sentinels say (they disagree only in the middle of a failover)."""
    votes: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    sentinels: dict[str, set[str]] = defaultdict(set)
    for snap in collection.targets:
        state = snap.sentinel
        if state is None:
            continue
        for monitored in state.masters:
            name = monitored.name
            votes[monitored.address][(name, "master")] += 1
            for replica in monitored.replicas or ():
                votes[replica.address][(name, "replica")] += 1
            for peer in monitored.peers or ():
                sentinels[peer.address].add(name)
            sentinels[snap.addr].add(name)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for address, counter in votes.items():
        best = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[0][0]
        groups[best].append(address)
    for address, names in sentinels.items():
        groups[(",".join(sorted(names)), "sentinel")].append(address)
    return [
        {
            "targets": sorted(addresses),
            "labels": {MASTER_NAME: name, ROLE: role, PROFILE: _profile(role)},
        }
        for (name, role), addresses in sorted(groups.items())
    ]


def _profile(role: str) -> str:
    return (Kind.SENTINEL if role == "sentinel" else Kind.REDIS).value


def through_exporter(
    groups: list[TargetGroup], exporter: str, scheme: str = "http"
) -> list[TargetGroup]:
    """``groups`` as targets of the exporter at ``exporter`` (``host:port``): one group per
    address, scraped at ``/scrape?target=<address>&profile=<profile>``. Input: the output of
    :func:`target_groups`."""
    out: list[TargetGroup] = []
    for group in groups:
        labels = group["labels"]
        assert isinstance(labels, dict)
        for address in group["targets"]:  # type: ignore[attr-defined]
            out.append(
                {
                    "targets": [exporter],
                    "labels": {
                        **labels,
                        "__scheme__": scheme,
                        "__metrics_path__": "/scrape",
                        "__param_target": address,
                        "instance": address,
                    },
                }
            )
    return out


def reported_addresses(snap: TargetSnapshot) -> set[str]:
    """Every address a Sentinel's snapshot names: masters, replicas, other Sentinels."""
    found: set[str] = set()
    for monitored in snap.sentinel.masters if snap.sentinel is not None else ():
        found.add(monitored.address)
        found.update(r.address for r in monitored.replicas or ())
        found.update(p.address for p in monitored.peers or ())
    return found
