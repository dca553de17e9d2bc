"""``/sd``: Prometheus ``http_sd_configs`` target groups for every master, replica and Sentinel
the configured Sentinels know (pure: built from an already-gathered collection).

Prometheus does the discovery and scrapes each target through ``/scrape?target=``::

    scrape_configs:
      - job_name: redis_ha
        http_sd_configs: [{url: "http://exporter:9121/sd"}]
        metrics_path: /scrape
        relabel_configs:
          - {source_labels: [__address__], target_label: __param_target}
          - {source_labels: [__param_target], target_label: instance}
          - {target_label: __address__, replacement: "exporter:9121"}
"""

from __future__ import annotations

from collections import Counter, defaultdict

from redis_ha_exporter.snapshot import Collection

Role = tuple[str, str]  # (master_name, role)


def target_groups(collection: Collection) -> list[dict[str, object]]:
    """One group per (master_name, role); an address's role is what most Sentinels say."""
    votes: dict[str, Counter[Role]] = defaultdict(Counter)
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
                votes[peer.address][(name, "sentinel")] += 1
            votes[snap.addr][(name, "sentinel")] += 1
    groups: dict[Role, list[str]] = defaultdict(list)
    for address, counter in votes.items():
        roles = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        if roles[0][0][1] == "sentinel":
            for role, _ in roles:  # a Sentinel may watch several masters: list it under each
                groups[role].append(address)
        else:
            groups[roles[0][0]].append(address)
    return [
        {"targets": sorted(addresses), "labels": {"master_name": name, "role": role}}
        for (name, role), addresses in sorted(groups.items())
    ]
