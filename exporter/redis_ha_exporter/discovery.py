"""``/sd``: Prometheus ``http_sd_configs`` target groups for every master, replica and Sentinel
the configured Sentinels know (pure: built from an already-gathered collection).

Each address is listed once, with ``__meta_redis_master_name`` (the replication group; for a
Sentinel watching several, their names joined by ``,``) and ``__meta_redis_role`` (``master``,
``replica`` or ``sentinel``). They are meta labels on purpose: the metrics already carry
``master_name`` and (``redis_instance_info``) ``role``, so target labels of those names would
clash. Prometheus does the discovery and scrapes each target through ``/scrape?target=``::

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

from redis_ha_exporter.snapshot import Collection

MASTER_NAME = "__meta_redis_master_name"
ROLE = "__meta_redis_role"


def target_groups(collection: Collection) -> list[dict[str, object]]:
    """One group per (master names, role); a Redis address's role and group are what most
    Sentinels say (they disagree only in the middle of a failover)."""
    votes: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    sentinels: dict[str, set[str]] = defaultdict(set)
    for snap in collection.targets:
        state = snap.sentinel
        if state is None:
            continue
        for monitored in state.masters:
            name = monitored.master.name
            votes[monitored.master.address][(name, "master")] += 1
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
        {"targets": sorted(addresses), "labels": {MASTER_NAME: name, ROLE: role}}
        for (name, role), addresses in sorted(groups.items())
    ]
