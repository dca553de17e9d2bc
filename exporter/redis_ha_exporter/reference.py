"""Generate ``docs/metrics.md`` from the catalogue: ``python -m redis_ha_exporter.reference``."""

from __future__ import annotations

import sys

from redis_ha_exporter.catalogue import CATALOGUE

GROUP_TITLES = {
    "redis": "Redis (INFO server, INFO replication)",
    "sentinel": "Sentinel state (INFO sentinel, SENTINEL MASTERS / SLAVES / SENTINELS / CKQUORUM)",
    "events": "Sentinel event stream (PSUBSCRIBE *)",
    "exporter": "The exporter itself",
}


def render() -> str:
    """The whole reference as Markdown."""
    out = [
        "# Metric reference",
        "",
        "Generated from `exporter/redis_ha_exporter/catalogue.py` by",
        "`python -m redis_ha_exporter.reference` (`make docs`); a test fails when it is stale.",
        "",
        "*compat* marks names kept from oliver006/redis_exporter with its labels and meaning",
        "(plus `addr`). Every series about one Redis or Sentinel process carries `addr`, the",
        "target as configured. Each Sentinel publishes its own copy of every event: aggregate",
        "per-Sentinel series with `max by (master_name)`, never `sum`.",
    ]
    for group, title in GROUP_TITLES.items():
        out += [
            "",
            f"## {title}",
            "",
            "| metric | type | labels | source | help |",
            "| --- | --- | --- | --- | --- |",
        ]
        for spec in CATALOGUE:
            if spec.group != group:
                continue
            name = f"`{spec.name}`" + (" *compat*" if spec.compat else "")
            labels = ", ".join(f"`{label}`" for label in spec.labels) or "—"
            out.append(f"| {name} | {spec.kind.value} | {labels} | {spec.source} | {spec.help} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
