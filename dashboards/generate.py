"""Generate the Redis HA Grafana dashboards (dashboards as code, plain Python, stdlib only).

Usage::

    python dashboards/generate.py            # (re)write dashboards/*.json
    python dashboards/generate.py --check    # exit 1 if a committed JSON file is stale
    python dashboards/generate.py --out-dir DIR --group-labels cluster,region

``make dashboards GROUP_LABELS=... OUT_DIR=...`` runs the same.

Every query uses raw exporter metrics (names from ``redis_ha_exporter.catalogue``), the data
source variable ``${datasource}`` and the ``job`` / deployment / ``instance`` / ``master_name``
variables. A replication group is its ``master_name`` within one deployment, the deployment
being named by the group labels of ``alerts/generate.py`` (default ``cluster``; one variable
each): every query filters by them, aggregates keep them, legends name them (see
:class:`Scope`). Each Sentinel exports its own copy of every Sentinel fact, so per-master values
are aggregated with ``max by (cluster, master_name)``, never ``sum``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

JSON = dict[str, Any]

HERE = Path(__file__).resolve().parent
DATASOURCE: JSON = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39
GRID_WIDTH = 24

#: Sentences that end a panel description and mark when the panel may legitimately be empty.
FAILOVER_NOTE = "Empty until a failover has happened."
ALERT_NOTE = "Empty while no Redis alert fires."

# --------------------------------------------------------------------------------------
# PromQL helpers
# --------------------------------------------------------------------------------------

REDIS_ONLY = 'redis_mode!="sentinel"'
IS_MASTER = 'role="master"'
NOT_MASTER = 'role!="master"'
FIRING = ('alertname=~"Redis.*"', 'alertstate="firing"')
#: Sentinel metrics that carry the master address the Sentinel names.
NAMES_MASTER = {
    "redis_sentinel_master_status",
    "redis_sentinel_master_ok_sentinels",
    "redis_sentinel_master_sentinels",
}
#: Window of the failover annotation query (and its step): wide enough for a 15-60 s scrape.
ANNOTATION_WINDOW = "2m"
#: Labels that tell one target's series from another's (besides the deployment labels): the
#: Prometheus target (one host's exporter) and the process it read. Every host of the seeds reads
#: ``localhost:6379`` and ``localhost:26379``: ``addr`` alone merges the hosts.
TARGET = ("instance", "addr")


def load_rules_generator() -> ModuleType:
    """``alerts/generate.py``, which defines the group labels (default, syntax) for both."""
    spec = importlib.util.spec_from_file_location(
        "redis_ha_rules", HERE.parent / "alerts" / "generate.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = sys.modules.get(spec.name) or importlib.util.module_from_spec(spec)
    if spec.name not in sys.modules:
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


RULES = load_rules_generator()
DEFAULT_GROUP_LABELS: tuple[str, ...] = RULES.DEFAULT_GROUP_LABELS


def placeholders(labels: Sequence[str]) -> str:
    """``{{a}} {{b}}``: a legend naming ``labels``."""
    return " ".join(f"{{{{{label}}}}}" for label in labels)


@dataclass(frozen=True)
class Scope:
    """What the queries filter and group by: the deployment labels (a variable each), then job,
    instance and master name. ``Scope(("cluster",)).sel("redis_up")`` is
    ``redis_up{job=~"$job",cluster=~"$cluster",instance=~"$instance"}``."""

    deployment: tuple[str, ...] = DEFAULT_GROUP_LABELS

    def matchers(self, *, master: bool = False) -> tuple[str, ...]:
        """The variables' matchers, master name included for per-master metrics."""
        labels = ("job", *self.deployment, "instance", *(("master_name",) if master else ()))
        return tuple(f'{label}=~"${label}"' for label in labels)

    def sel(self, metric: str, *matchers: str, master: bool = False) -> str:
        """``metric{<the variables' matchers>[,matchers]}``."""
        return f"{metric}{{{','.join((*self.matchers(master=master), *matchers))}}}"

    def labels(self, *labels: str) -> str:
        """``cluster, a, b``: a ``by``/``on`` list that keeps the deployment apart."""
        return ", ".join((*self.deployment, *labels))

    def by_master(self, func: str, metric: str, *labels: str, agg: str = "max") -> str:
        """Aggregate a per-Sentinel metric over the Sentinels: ``max by (cluster,
        master_name, ...)``."""
        series = self.sel(metric, master=True)
        return f"{agg} by ({self.labels('master_name', *labels)}) ({func}{series})"

    def by_target(self, expr: str, *labels: str) -> str:
        """``max by (cluster, addr, labels...) (expr)``: one series per target."""
        return f"max by ({self.labels(*TARGET, *labels)}) ({expr})"

    def on_target(self) -> str:
        """``on (cluster, addr)``: match two per-target results."""
        return f"on ({self.labels(*TARGET)})"

    def role(self) -> str:
        """1 for each target's Redis that is a master, 0 for a replica (Sentinels left out)."""
        info = "redis_instance_info"
        return (
            f"{self.by_target(self.sel(info, IS_MASTER, REDIS_ONLY))} or "
            f"{self.by_target('0 * ' + self.sel(info, NOT_MASTER, REDIS_ONLY))}"
        )

    def per_sentinel(self, metric: str) -> str:
        """``metric`` per Sentinel (target) and master name, with the ``master_address`` that
        Sentinel names (taken from ``redis_sentinel_master_status`` for metrics without it)."""
        by = self.labels("master_name", *TARGET)
        series = self.sel(metric, master=True)
        if metric in NAMES_MASTER:
            return f"max by ({self.labels('master_name', *TARGET, 'master_address')}) ({series})"
        status = self.sel("redis_sentinel_master_status", master=True)
        return (
            f"max by ({by}) ({series}) * on ({by}) group_left (master_address) "
            f"group by ({self.labels('master_name', *TARGET, 'master_address')}) ({status})"
        )

    def per_sentinel_down(self) -> str:
        """Per Sentinel and master name: 0 ok, 1 s_down, 2 o_down (o_down implies s_down)."""
        by = self.labels("master_name", *TARGET)
        sdown = self.per_sentinel("redis_sentinel_master_sdown")
        odown = self.sel("redis_sentinel_master_odown", master=True)
        return f"{sdown} + on ({by}) group_left () max by ({by}) ({odown})"

    def replica_linked(self) -> str:
        """Per replica: 1 when a Sentinel that sees it up has it report its link up. A Sentinel
        that lost the replica keeps its last report, so its link alone would stay 1."""
        link = self.sel("redis_sentinel_replica_master_link_up", master=True)
        up = self.sel("redis_sentinel_replica_up", master=True)
        return f"max by ({self.labels('master_name', 'replica_address')}) ({link} * {up})"

    def master_legend(self, suffix: str = "") -> str:
        """``{{cluster}} {{master_name}} suffix``."""
        return " ".join(filter(None, (placeholders((*self.deployment, "master_name")), suffix)))

    def target_legend(self, suffix: str = "") -> str:
        """``{{cluster}} {{addr}} suffix``."""
        return " ".join(filter(None, (placeholders((*self.deployment, *TARGET)), suffix)))

    def new_or_increased(self, metric: str, window: str, *labels: str) -> str:
        """Events (failovers) counted in ``window``, also for a counter series born inside the
        window, by master name (and ``labels``).

        ``increase()`` and ``rate()`` cannot see the first value of a series that appears with
        its first event (an event counter per event type, a Sentinel's failover counter), so
        series absent ``window`` ago contribute their whole value.
        """
        series = self.sel(metric, master=True)
        return (
            f"max by ({self.labels('master_name', *labels)}) "
            f"((increase({series}[{window}]) and {series} offset {window}) or {series})"
        )

    def alerts_firing(self) -> str:
        """Our alerts firing in the selected deployments."""
        variables = tuple(f'{label}=~"${label}"' for label in self.deployment)
        return f"ALERTS{{{','.join((*FIRING, *variables))}}}"


# --------------------------------------------------------------------------------------
# Panel builders (id and position are assigned by :func:`layout`)
# --------------------------------------------------------------------------------------


def target(expr: str, legend: str = "", *, table: bool = False) -> JSON:
    """One Prometheus query of a panel (a range query; instant in tables and stat panels);
    ``refId`` is set by the panel builder."""
    return {
        "datasource": DATASOURCE,
        "editorMode": "code",
        "expr": expr,
        "format": "table" if table else "time_series",
        "instant": table,
        "legendFormat": legend or "__auto",
        "range": not table,
    }


def thresholds(*steps: tuple[float, str], base: str = "green") -> JSON:
    """Absolute thresholds: ``base`` below the first step."""
    return {
        "mode": "absolute",
        "steps": [{"color": base, "value": None}]
        + [{"color": color, "value": value} for value, color in steps],
    }


def value_map(names: Mapping[int, tuple[str, str]]) -> list[JSON]:
    """Value mappings ``{value: (text, color)}``."""
    options = {
        str(value): {"color": color, "index": index, "text": text}
        for index, (value, (text, color)) in enumerate(sorted(names.items()))
    }
    return [{"options": options, "type": "value"}]


UP_DOWN = value_map({0: ("down", "red"), 1: ("up", "green")})
YES_NO_BAD = value_map({0: ("no", "green"), 1: ("yes", "red")})
OK_FAIL = value_map({0: ("FAIL", "red"), 1: ("OK", "green")})
ROLE = value_map({0: ("replica", "blue"), 1: ("master", "purple")})
DOWN_STATE = value_map({0: ("ok", "green"), 1: ("s_down", "orange"), 2: ("o_down", "red")})


def describe(text: str, *, failover_only: bool = False, alert_only: bool = False) -> str:
    """Panel description, ending with the note that says when the panel may be empty."""
    notes = [text]
    if failover_only:
        notes.append(FAILOVER_NOTE)
    if alert_only:
        notes.append(ALERT_NOTE)
    return " ".join(notes)


def panel(
    kind: str,
    title: str,
    description: str,
    targets: Sequence[JSON],
    *,
    size: tuple[int, int],
    unit: str = "short",
    mappings: Sequence[JSON] = (),
    steps: JSON | None = None,
    options: JSON | None = None,
    custom: JSON | None = None,
    transformations: Sequence[JSON] = (),
    color_mode: str = "thresholds",
    decimals: int | None = None,
) -> JSON:
    """A panel of ``kind`` with its targets lettered A, B, C, ..."""
    defaults: JSON = {
        "color": {"mode": color_mode},
        "mappings": list(mappings),
        "thresholds": steps or thresholds(),
        "unit": unit,
    }
    if decimals is not None:
        defaults["decimals"] = decimals
    if custom:
        defaults["custom"] = custom
    result: JSON = {
        "datasource": DATASOURCE,
        "description": description,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "gridPos": {"h": size[1], "w": size[0], "x": 0, "y": 0},
        "options": options or {},
        "targets": [{**t, "refId": chr(ord("A") + index)} for index, t in enumerate(targets)],
        "title": title,
        "type": kind,
    }
    if transformations:
        result["transformations"] = list(transformations)
    return result


def timeseries(
    title: str,
    description: str,
    targets: Sequence[JSON],
    *,
    size: tuple[int, int] = (12, 8),
    unit: str = "short",
    steps: JSON | None = None,
    stepped: bool = False,
) -> JSON:
    """A time series graph, legend as a table with last and max values."""
    return panel(
        "timeseries",
        title,
        description,
        targets,
        size=size,
        unit=unit,
        steps=steps,
        color_mode="palette-classic",
        custom={
            "drawStyle": "line",
            "fillOpacity": 10,
            "lineInterpolation": "stepAfter" if stepped else "linear",
            "lineWidth": 1,
            "showPoints": "never",
            "spanNulls": False,
        },
        options={
            "legend": {
                "calcs": ["lastNotNull", "max"],
                "displayMode": "table",
                "placement": "bottom",
                "showLegend": True,
            },
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    )


def stat(
    title: str,
    description: str,
    targets: Sequence[JSON],
    *,
    size: tuple[int, int] = (6, 4),
    unit: str = "short",
    mappings: Sequence[JSON] = (),
    steps: JSON | None = None,
    decimals: int | None = None,
) -> JSON:
    """A stat panel: one tile per series of its instant queries.

    Always instant: a range query's "last value" of a series that vanished (an old master's
    replica count, a dead process's flag) stays on the tile for the whole time range.
    """
    return panel(
        "stat",
        title,
        description,
        [{**t, "instant": True, "range": False} for t in targets],
        size=size,
        unit=unit,
        mappings=mappings,
        steps=steps,
        decimals=decimals,
        options={
            "colorMode": "background",
            "graphMode": "none",
            "justifyMode": "auto",
            "orientation": "auto",
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "textMode": "value_and_name",
        },
    )


def state_timeline(
    title: str,
    description: str,
    targets: Sequence[JSON],
    *,
    mappings: Sequence[JSON],
    size: tuple[int, int] = (12, 6),
) -> JSON:
    """A state timeline: one lane per series, coloured by value mapping."""
    return panel(
        "state-timeline",
        title,
        description,
        targets,
        size=size,
        mappings=mappings,
        custom={"fillOpacity": 80, "lineWidth": 0},
        options={
            "alignValue": "left",
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False},
            "mergeValues": True,
            "rowHeight": 0.9,
            "showValue": "auto",
            "tooltip": {"mode": "single", "sort": "none"},
        },
    )


def table(
    title: str,
    description: str,
    columns: Sequence[tuple[str, str]],
    *,
    size: tuple[int, int] = (24, 8),
    mappings: Sequence[JSON] = (),
    hide: Sequence[str] = (),
) -> JSON:
    """A table joining instant queries ``(column title, expr)`` on their common labels.

    ``hide`` names fields as the queries return them (``Value #A`` for the first query).
    """
    targets = [target(expr, table=True) for _, expr in columns]
    rename = {f"Value #{chr(ord('A') + i)}": name for i, (name, _) in enumerate(columns)}
    return panel(
        "table",
        title,
        description,
        targets,
        size=size,
        mappings=mappings,
        options={"cellHeight": "sm", "footer": {"show": False}, "showHeader": True},
        transformations=[
            {"id": "merge", "options": {}},
            {
                "id": "organize",
                "options": {
                    "excludeByName": {"Time": True, **dict.fromkeys(hide, True)},
                    "indexByName": {},
                    "renameByName": rename,
                },
            },
        ],
    )


def row(title: str) -> JSON:
    """A (non-collapsed) row header."""
    return {
        "collapsed": False,
        "gridPos": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": 0},
        "panels": [],
        "title": title,
        "type": "row",
    }


def layout(panels: Sequence[JSON]) -> list[JSON]:
    """Number panels 1, 2, ... and place them left to right, wrapping at 24 columns.

    A row header always starts a new line.
    """
    placed: list[JSON] = []
    x = y = line_height = 0
    for number, item in enumerate(panels, start=1):
        width, height = item["gridPos"]["w"], item["gridPos"]["h"]
        if item["type"] == "row" or x + width > GRID_WIDTH:
            x, y, line_height = 0, y + line_height, 0
        placed.append({**item, "gridPos": {"h": height, "w": width, "x": x, "y": y}, "id": number})
        x += width
        line_height = max(line_height, height)
        if item["type"] == "row":
            x, y, line_height = 0, y + height, 0
    return placed


# --------------------------------------------------------------------------------------
# Dashboard frame: inputs, variables, annotations, links
# --------------------------------------------------------------------------------------


def query_variable(name: str, label: str, definition: str) -> JSON:
    """A multi-value query variable with an ``All`` option matching every value."""
    return {
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "datasource": DATASOURCE,
        "definition": definition,
        "hide": 0,
        "includeAll": True,
        "label": label,
        "multi": True,
        "name": name,
        "options": [],
        "query": definition,
        "refresh": 2,
        "regex": "",
        "skipUrlSync": False,
        "sort": 1,
        "type": "query",
    }


def templating(scope: Scope) -> JSON:
    """The data source variable and the job / deployment / instance / master_name variables;
    each deployment variable lists the values within the ones before it.

    ``current`` names the data source "Prometheus" with the import placeholder as value: an
    import replaces ``${DS_PROMETHEUS}`` by the chosen data source; a provisioned dashboard
    keeps the placeholder, and Grafana then selects the data source by its name, "Prometheus"
    (or falls back to the default Prometheus data source).
    """
    datasource = {
        "current": {"selected": False, "text": "Prometheus", "value": "${DS_PROMETHEUS}"},
        "hide": 0,
        "includeAll": False,
        "label": "Data source",
        "multi": False,
        "name": "datasource",
        "options": [],
        "query": "prometheus",
        "refresh": 1,
        "regex": "",
        "skipUrlSync": False,
        "type": "datasource",
    }
    variables = [datasource, query_variable("job", "Job", "label_values(redis_up, job)")]
    chosen = ['job=~"$job"']
    for label in (*scope.deployment, "instance"):
        selector = f"redis_up{{{','.join(chosen)}}}"
        variables.append(
            query_variable(label, label.capitalize(), f"label_values({selector}, {label})")
        )
        chosen.append(f'{label}=~"${label}"')
    masters = f"redis_sentinel_master_status{{{','.join(chosen)}}}"
    variables.append(
        query_variable("master_name", "Master", f"label_values({masters}, master_name)")
    )
    return {"list": variables}


def failover_annotation(scope: Scope) -> JSON:
    """Failovers (``redis_sentinel_failovers_total`` went up) drawn on every graph."""
    failovers = scope.new_or_increased("redis_sentinel_failovers_total", ANNOTATION_WINDOW)
    return {
        "datasource": DATASOURCE,
        "enable": True,
        "expr": f"{failovers} > 0",
        "hide": False,
        "iconColor": "red",
        "name": "Failovers",
        "step": "60s",
        "tagKeys": ",".join((*scope.deployment, "master_name")),
        "textFormat": f"Sentinel switched the master of {scope.master_legend()}",
        "titleFormat": f"Failover: {scope.master_legend()}",
        "useValueForTime": False,
    }


PANEL_PLUGINS = {
    "bargauge": "Bar gauge",
    "stat": "Stat",
    "state-timeline": "State timeline",
    "table": "Table",
    "timeseries": "Time series",
}


def dashboard(scope: Scope, uid: str, title: str, description: str, panels: Sequence[JSON]) -> JSON:
    """A complete import-ready dashboard around ``panels``."""
    placed = layout(panels)
    used = sorted({p["type"] for p in placed if p["type"] != "row"})
    return {
        "__inputs": [
            {
                "description": "Prometheus scraping the redis-ha-exporter",
                "label": "Prometheus",
                "name": "DS_PROMETHEUS",
                "pluginId": "prometheus",
                "pluginName": "Prometheus",
                "type": "datasource",
            }
        ],
        "__requires": [
            {"id": "grafana", "name": "Grafana", "type": "grafana", "version": "10.0.0"},
            {"id": "prometheus", "name": "Prometheus", "type": "datasource", "version": "1.0.0"},
            *({"id": t, "name": PANEL_PLUGINS[t], "type": "panel", "version": ""} for t in used),
        ],
        "annotations": {"list": [failover_annotation(scope)]},
        "description": description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [
            {
                "asDropdown": False,
                "icon": "external link",
                "includeVars": True,
                "keepTime": True,
                "tags": ["redis-ha"],
                "targetBlank": False,
                "title": "Redis HA",
                "type": "dashboards",
            }
        ],
        "panels": placed,
        "refresh": "30s",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["redis", "redis-ha", "sentinel"],
        "templating": templating(scope),
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }


# --------------------------------------------------------------------------------------
# The dashboards
# --------------------------------------------------------------------------------------


def overview(s: Scope) -> JSON:
    """Redis HA overview: the three on-call questions, per deployment and group.

    Where is the master? Is a failover, an sdown or an odown happening now, and which Sentinel
    sees what? Is replication healthy (links, lag against the backlog, syncs)? Then what fires
    and which processes answer.
    """
    group = ("master_address",)
    spare = (
        f"{s.by_master('', 'redis_sentinel_master_ok_sentinels')}"
        f" - {s.by_master('', 'redis_sentinel_master_setting_ckquorum')}"
    )
    sdown = s.sel("redis_sentinel_master_sdown", master=True)
    odown = s.sel("redis_sentinel_master_odown", master=True)
    link = s.sel("redis_master_link_up")
    panels = [
        row("Where is the master"),
        table(
            "Replication groups and current master",
            "One line per master name and the address the Sentinels report as its master. "
            "Two lines for one master name mean the Sentinels disagree (failover in progress "
            "or split brain). Counts are the best view of any Sentinel (max).",
            [
                ("Master ok", s.by_master("", "redis_sentinel_master_status", *group)),
                ("Sentinels ok", s.by_master("", "redis_sentinel_master_ok_sentinels", *group)),
                ("Quorum", s.by_master("", "redis_sentinel_master_setting_ckquorum", *group)),
                ("Sentinels known", s.by_master("", "redis_sentinel_master_sentinels", *group)),
                ("Replicas ok", s.by_master("", "redis_sentinel_master_ok_slaves", *group)),
                ("Replicas known", s.by_master("", "redis_sentinel_master_slaves", *group)),
                ("Config epoch", s.by_master("", "redis_sentinel_master_config_epoch", *group)),
                (
                    "Sentinels agreeing",
                    s.by_master("", "redis_sentinel_master_status", *group, agg="count"),
                ),
            ],
            size=(24, 6),
        ),
        state_timeline(
            "Role per host",
            "Each host's Redis as master or replica: a failover is one lane turning master and "
            "another replica; a gap is a Redis that did not answer.",
            [target(s.role(), s.target_legend())],
            mappings=ROLE,
            size=(24, 6),
        ),
        row("Happening now: failovers, sdown, odown"),
        stat(
            "Failover in progress",
            "Whether a Sentinel is running a failover of the master right now.",
            [
                target(
                    s.by_master("", "redis_sentinel_master_failover_in_progress"), s.master_legend()
                )
            ],
            mappings=YES_NO_BAD,
            steps=thresholds((1, "red")),
        ),
        stat(
            "Sentinels seeing the master down",
            "Sentinels that see the master subjectively down (s_down) right now; as many as "
            "the quorum make it objectively down.",
            [
                target(
                    f"count by ({s.labels('master_name')}) ({sdown} == 1)"
                    f" or max by ({s.labels('master_name')}) ({sdown}) * 0",
                    s.master_legend(),
                )
            ],
            steps=thresholds((1, "orange")),
            decimals=0,
        ),
        stat(
            "Objectively down",
            "Whether a quorum of Sentinels agrees the master is down (o_down) right now.",
            [target(s.by_master("", "redis_sentinel_master_odown"), s.master_legend())],
            mappings=YES_NO_BAD,
            steps=thresholds((1, "red")),
        ),
        stat(
            "Failovers in range",
            describe(
                "Failovers of each master in the selected time range (+switch-master, counted "
                "once however many Sentinels saw it).",
                failover_only=True,
            ),
            [
                target(
                    s.new_or_increased("redis_sentinel_failovers_total", "$__range"),
                    s.master_legend(),
                )
            ],
            steps=thresholds((1, "orange")),
            decimals=0,
        ),
        table(
            "What each Sentinel sees",
            "One line per Sentinel (its host) and master name: the master it names, whether "
            "it sees that master ok, down (0 ok, 1 s_down, 2 o_down), a failover in "
            "progress, how many Sentinels it sees ok, and whether CKQUORUM passes there.",
            [
                ("Master ok", s.per_sentinel("redis_sentinel_master_status")),
                ("Down", s.per_sentinel_down()),
                ("Failover", s.per_sentinel("redis_sentinel_master_failover_in_progress")),
                ("Sentinels ok", s.per_sentinel("redis_sentinel_master_ok_sentinels")),
                ("CKQUORUM", s.per_sentinel("redis_sentinel_master_ckquorum_ok")),
            ],
            size=(24, 6),
        ),
        state_timeline(
            "Master down per Sentinel",
            "For each Sentinel (its host) and master name: ok, s_down (this Sentinel gets no "
            "valid reply) or o_down (a quorum agrees).",
            [
                target(
                    f"max by ({s.labels('master_name', *TARGET)}) ({sdown})"
                    f" + on ({s.labels('master_name', *TARGET)}) "
                    f"max by ({s.labels('master_name', *TARGET)}) ({odown})",
                    s.master_legend(placeholders(TARGET)),
                )
            ],
            mappings=DOWN_STATE,
            size=(24, 6),
        ),
        row("Is replication healthy"),
        stat(
            "Replica links down",
            "Replicas whose link to their master is down (0 is good).",
            [
                target(
                    f"count({s.by_target(link)} == 0) or vector(0)",
                    "links down",
                )
            ],
            steps=thresholds((1, "red")),
        ),
        stat(
            "Full syncs in progress",
            "Replicas receiving a full resynchronisation (an RDB of the whole dataset) from "
            "their master right now.",
            [
                target(
                    f"count({s.by_target(s.sel('redis_master_sync_in_progress'))} == 1)"
                    " or vector(0)",
                    "full syncs",
                )
            ],
            steps=thresholds((1, "orange")),
        ),
        stat(
            "Full resyncs in range",
            "Full resynchronisations each Redis served its replicas in the selected range (a "
            "fork and the whole data set sent): one per replica after a restart or a "
            "failover; more is a replica looping or a backlog too small to resume from "
            "(RedisRepeatedFullResyncs).",
            [
                target(
                    s.by_target(f"increase({s.sel('redis_replica_resyncs_full')}[$__range])"),
                    s.target_legend(),
                )
            ],
            steps=thresholds((1, "orange"), (int(RULES.REPEATED_RESYNCS), "red")),
            decimals=0,
        ),
        stat(
            "Worst lag / backlog",
            "For every master, its most lagging replica's bytes behind as a fraction of the "
            "master's repl-backlog-size: past 100 % a replica that reconnects needs a full "
            f"resync (RedisReplicationLagHigh from {float(RULES.LAG_BACKLOG_FRACTION) * 100:g} %).",
            [
                target(
                    f"{s.by_target(s.sel('redis_connected_slave_lag_bytes'))} / {s.on_target()} "
                    + s.by_target(s.sel("redis_replication_backlog_bytes")),
                    s.target_legend(),
                )
            ],
            unit="percentunit",
            steps=thresholds((float(RULES.LAG_BACKLOG_FRACTION), "orange"), (1, "red")),
        ),
        stat(
            "Worst replica lag (seconds)",
            "For every master, the longest time since one of its replicas acknowledged.",
            [target(s.by_target(s.sel("redis_connected_slave_lag_seconds")), s.target_legend())],
            unit="s",
            steps=thresholds((5, "orange"), (30, "red")),
        ),
        stat(
            "Replicas connected (Redis view)",
            "Replicas connected to each Redis that is a master right now.",
            [
                target(
                    f"{s.by_target(s.sel('redis_connected_slaves'))} and {s.on_target()} "
                    + s.by_target(s.sel("redis_instance_info", IS_MASTER, REDIS_ONLY)),
                    s.target_legend(),
                )
            ],
            steps=thresholds((1, "green"), base="red"),
        ),
        state_timeline(
            "Replica links",
            "Each replica's link to its master, by host.",
            [target(s.by_target(link), s.target_legend())],
            mappings=UP_DOWN,
        ),
        stat(
            "Sentinels ok vs quorum",
            "Sentinels that see the master ok minus the configured quorum. Below 0 no "
            "failover can be authorised; 0 means one more Sentinel lost blocks failover.",
            [target(spare, s.master_legend())],
            steps=thresholds((0, "orange"), (1, "green"), base="red"),
        ),
        stat(
            "Replicas up (Sentinel view)",
            "Replicas each master has that the Sentinels see up (not s_down, o_down or "
            "disconnected), deduplicated over Sentinels.",
            [
                target(
                    f"sum by ({s.labels('master_name')}) ("
                    + s.by_master("", "redis_sentinel_replica_up", "replica_address")
                    + ")",
                    s.master_legend(),
                )
            ],
            steps=thresholds((1, "green"), base="red"),
        ),
        stat(
            "Replicas linked (Sentinel view)",
            "Replicas whose link to their master is up, as reported to the Sentinels that see "
            "them up, deduplicated over Sentinels.",
            [
                target(
                    f"sum by ({s.labels('master_name')}) ({s.replica_linked()})", s.master_legend()
                )
            ],
            steps=thresholds((1, "green"), base="red"),
        ),
        row("Health"),
        stat(
            "Alerts firing",
            "Redis alerts firing right now (any alert whose name starts with Redis).",
            [target(f"count({s.alerts_firing()}) or vector(0)", "firing")],
            steps=thresholds((1, "red")),
        ),
        table(
            "Firing alerts",
            describe("The Redis alerts firing right now.", alert_only=True),
            [
                (
                    "Firing",
                    f"max by ({s.labels('alertname', 'severity', 'master_name', *TARGET)}) "
                    f"({s.alerts_firing()})",
                )
            ],
            size=(18, 6),
        ),
        state_timeline(
            "Targets up",
            "Whether the exporter on each host could read its Redis and its Sentinel at its "
            "last scrape.",
            [target(s.by_target(s.sel("redis_up")), s.target_legend())],
            mappings=UP_DOWN,
        ),
        state_timeline(
            "Sentinel event streams",
            "Whether the exporter is subscribed to each Sentinel's event stream (events "
            "published while it is down are lost; counts are reconciled afterwards).",
            [target(s.by_target(s.sel("redis_sentinel_event_stream_up")), s.target_legend())],
            mappings=UP_DOWN,
        ),
    ]
    return dashboard(
        s,
        "redis-ha-overview",
        "Redis HA overview",
        "Where each group's master is, what the Sentinels see and do right now, whether "
        "replication is healthy, and what fires.",
        panels,
    )


def replication(s: Scope) -> JSON:
    """Replication: per instance role, link, offsets, lag and backlog."""
    redis_info = s.sel("redis_instance_info", REDIS_ONLY)
    panels = [
        row("Roles and links"),
        table(
            "Instances",
            "Every Redis with its role, version, connected replicas, link to its master "
            "(replicas only), replica priority and uptime.",
            [
                ("Info", s.by_target(redis_info, "role", "redis_version")),
                ("Replicas", s.by_target(s.sel("redis_connected_slaves"))),
                ("Link up", s.by_target(s.sel("redis_master_link_up"))),
                ("Priority", s.by_target(s.sel("redis_slave_priority"))),
                (
                    "Uptime (s)",
                    f"{s.by_target(s.sel('redis_uptime_in_seconds'))} and {s.on_target()} "
                    + redis_info,
                ),
            ],
            size=(24, 7),
            hide=("Value #A",),
        ),
        state_timeline(
            "Role over time",
            "Which Redis was master when: a failover shows as a lane turning from replica "
            "to master and another the other way.",
            [target(s.role(), s.target_legend())],
            mappings=ROLE,
        ),
        state_timeline(
            "Master link status",
            "For each replica, whether its replication link to its master is up.",
            [target(s.by_target(s.sel("redis_master_link_up")), s.target_legend())],
            mappings=UP_DOWN,
        ),
        timeseries(
            "Link down for",
            "Seconds the replica's link to its master has been down (0 while up).",
            [target(s.by_target(s.sel("redis_master_link_down_since_seconds")), s.target_legend())],
            unit="s",
        ),
        timeseries(
            "Last I/O from master",
            "Seconds since each replica last heard from its master (-1 while the link is down).",
            [target(s.by_target(s.sel("redis_master_last_io_seconds_ago")), s.target_legend())],
            unit="s",
        ),
        row("Offsets and lag"),
        timeseries(
            "Replication offsets",
            "Replication offset of every instance; replicas track their master's line.",
            [target(s.by_target(s.sel("redis_master_repl_offset")), s.target_legend())],
            unit="bytes",
        ),
        timeseries(
            "Replication write rate",
            "Bytes per second written to the replication stream by each instance.",
            [
                target(
                    s.by_target(f"rate({s.sel('redis_master_repl_offset')}[$__rate_interval])"),
                    s.target_legend(),
                )
            ],
            unit="Bps",
        ),
        timeseries(
            "Replica lag (bytes)",
            "Bytes each replica is behind its master, seen from the master.",
            [
                target(
                    s.by_target(s.sel("redis_connected_slave_lag_bytes"), "slave_ip", "slave_port"),
                    s.target_legend("-> {{slave_ip}}:{{slave_port}}"),
                )
            ],
            unit="bytes",
        ),
        timeseries(
            "Replica lag (seconds)",
            "Seconds since each replica last acknowledged its master, seen from the master.",
            [
                target(
                    s.by_target(
                        s.sel("redis_connected_slave_lag_seconds"), "slave_ip", "slave_port"
                    ),
                    s.target_legend("-> {{slave_ip}}:{{slave_port}}"),
                )
            ],
            unit="s",
        ),
        row("Backlog and resyncs"),
        timeseries(
            "Replication backlog",
            "Configured backlog size and the bytes of history it holds: a replica further "
            "behind than the history needs a full resync.",
            [
                target(
                    s.by_target(s.sel("redis_replication_backlog_bytes")), s.target_legend("size")
                ),
                target(
                    s.by_target(s.sel("redis_repl_backlog_history_bytes")),
                    s.target_legend("history"),
                ),
            ],
            unit="bytes",
        ),
        timeseries(
            "Worst lag / backlog history",
            "Largest replica lag of each master as a fraction of its backlog history; above "
            "1 a reconnecting replica cannot partially resync.",
            [
                target(
                    f"{s.by_target(s.sel('redis_connected_slave_lag_bytes'))} / {s.on_target()} "
                    + s.by_target(s.sel("redis_repl_backlog_history_bytes") + " > 0"),
                    s.target_legend(),
                )
            ],
            unit="percentunit",
            steps=thresholds((0.5, "orange"), (1, "red")),
        ),
        state_timeline(
            "Backlog active",
            "Whether each instance keeps a replication backlog (needed for partial resync).",
            [target(s.by_target(s.sel("redis_repl_backlog_is_active")), s.target_legend())],
            mappings=value_map({0: ("inactive", "orange"), 1: ("active", "green")}),
        ),
        state_timeline(
            "Full sync in progress",
            "Replicas receiving a full resync (RDB transfer) from their master.",
            [target(s.by_target(s.sel("redis_master_sync_in_progress")), s.target_legend())],
            mappings=YES_NO_BAD,
        ),
        stat(
            "Replication ID switches in range",
            "Times each instance's second replication offset changed in the range: it "
            "changes when the instance is promoted or follows a new master (resyncs: the "
            "next panel).",
            [
                target(
                    s.by_target(f"changes({s.sel('redis_second_repl_offset')}[$__range])"),
                    s.target_legend(),
                )
            ],
            size=(12, 6),
            steps=thresholds((1, "orange")),
            decimals=0,
        ),
        timeseries(
            "Resyncs",
            "Resynchronisations each Redis served its replicas, per interval: full (a fork and "
            "the whole data set sent), partial accepted (resumed from the backlog) and partial "
            "denied (the backlog no longer held the replica's offset: a full one follows).",
            [
                target(
                    s.by_target(f"increase({s.sel(metric)}[$__rate_interval])"),
                    s.target_legend(kind),
                )
                for metric, kind in (
                    ("redis_replica_resyncs_full", "full"),
                    ("redis_replica_partial_resync_accepted", "partial accepted"),
                    ("redis_replica_partial_resync_denied", "partial denied"),
                )
            ],
            size=(12, 6),
        ),
    ]
    return dashboard(
        s,
        "redis-ha-replication",
        "Redis HA replication",
        "Per Redis instance: role, replication link, offsets, lag, backlog and resyncs.",
        panels,
    )


def sentinel(s: Scope) -> JSON:
    """Sentinel: master status, down flags, quorum, epochs, events and failovers."""
    duration = "redis_sentinel_failover_duration_seconds"
    panels = [
        row("Masters"),
        stat(
            "Master status",
            "OK when at least one Sentinel reports the master ok.",
            [target(s.by_master("", "redis_sentinel_master_status"), s.master_legend())],
            mappings=OK_FAIL,
            steps=thresholds((1, "green"), base="red"),
        ),
        stat(
            "CKQUORUM",
            "Whether SENTINEL CKQUORUM says the quorum and the majority needed to authorise "
            "a failover are reachable.",
            [target(s.by_master("", "redis_sentinel_master_ckquorum_ok"), s.master_legend())],
            mappings=OK_FAIL,
            steps=thresholds((1, "green"), base="red"),
        ),
        stat(
            "Config epoch",
            "Configuration epoch of each master: it goes up by one with every failover.",
            [target(s.by_master("", "redis_sentinel_master_config_epoch"), s.master_legend())],
            steps=thresholds(base="blue"),
        ),
        stat(
            "Failover in progress",
            "Whether a Sentinel is running a failover of the master right now.",
            [
                target(
                    s.by_master("", "redis_sentinel_master_failover_in_progress"), s.master_legend()
                )
            ],
            mappings=YES_NO_BAD,
            steps=thresholds((1, "red")),
        ),
        table(
            "Master address per Sentinel",
            "The master each Sentinel reports for every master name, with its status. More "
            "than one address for one name means the Sentinels disagree.",
            [
                (
                    "Status",
                    s.by_master(
                        "",
                        "redis_sentinel_master_status",
                        "master_address",
                        "master_status",
                        *TARGET,
                    ),
                ),
            ],
            size=(24, 7),
            mappings=OK_FAIL,
        ),
        state_timeline(
            "Subjectively down (sdown)",
            "Master name marked s_down by at least one Sentinel.",
            [target(s.by_master("", "redis_sentinel_master_sdown"), s.master_legend())],
            mappings=YES_NO_BAD,
            size=(8, 6),
        ),
        state_timeline(
            "Objectively down (odown)",
            "Master name marked o_down: a quorum of Sentinels agree it is down.",
            [target(s.by_master("", "redis_sentinel_master_odown"), s.master_legend())],
            mappings=YES_NO_BAD,
            size=(8, 6),
        ),
        state_timeline(
            "Failover running",
            "When a failover of each master was in progress.",
            [
                target(
                    s.by_master("", "redis_sentinel_master_failover_in_progress"), s.master_legend()
                )
            ],
            mappings=YES_NO_BAD,
            size=(8, 6),
        ),
        timeseries(
            "Sentinels ok vs quorum",
            "Sentinels that see each master ok, against the configured quorum.",
            [
                target(
                    s.by_master("", "redis_sentinel_master_ok_sentinels"), s.master_legend("ok")
                ),
                target(
                    s.by_master("", "redis_sentinel_master_setting_ckquorum"),
                    s.master_legend("quorum"),
                ),
            ],
            stepped=True,
        ),
        timeseries(
            "Replicas ok vs known",
            "Replicas of each master the Sentinels see ok, against all they know.",
            [
                target(s.by_master("", "redis_sentinel_master_ok_slaves"), s.master_legend("ok")),
                target(s.by_master("", "redis_sentinel_master_slaves"), s.master_legend("known")),
            ],
            stepped=True,
        ),
        table(
            "Replicas as the Sentinels see them",
            "Every replica of each master: up, link to the master (as last reported to a "
            "Sentinel that sees the replica up), offset last reported.",
            [
                ("Up", s.by_master("", "redis_sentinel_replica_up", "replica_address")),
                ("Link up", s.replica_linked()),
                (
                    "Offset",
                    s.by_master("", "redis_sentinel_replica_offset_bytes", "replica_address"),
                ),
            ],
            size=(24, 7),
        ),
        row("Events and failovers"),
        timeseries(
            "Events by type",
            describe(
                "Sentinel events by master and event (+sdown, +odown, +switch-master, ...) in "
                "each interval, the busiest Sentinel's count; the first event of a type counts "
                "too (a rate would miss it: its counter is born with it).",
                failover_only=True,
            ),
            [
                target(
                    s.new_or_increased("redis_sentinel_events_total", "$__rate_interval", "event"),
                    s.master_legend("{{event}}"),
                )
            ],
        ),
        stat(
            "Failovers in range",
            describe("Failovers of each master in the selected time range.", failover_only=True),
            [
                target(
                    s.new_or_increased("redis_sentinel_failovers_total", "$__range"),
                    s.master_legend(),
                )
            ],
            steps=thresholds((1, "orange")),
            decimals=0,
        ),
        stat(
            "Last failover",
            describe("When each master last failed over.", failover_only=True),
            [
                target(
                    f"max by ({s.labels('master_name')}) "
                    f"({s.sel('redis_sentinel_last_failover_timestamp_seconds', master=True)})"
                    " * 1000",
                    s.master_legend(),
                )
            ],
            unit="dateTimeFromNow",
            steps=thresholds(base="blue"),
        ),
        stat(
            "Failover duration in range (p90)",
            describe(
                "90th percentile of failover durations (+try-failover to "
                "+switch-master) in the selected range.",
                failover_only=True,
            ),
            [
                target(
                    f"max by ({s.labels('master_name')}) (histogram_quantile(0.9, "
                    f"increase({s.sel(duration + '_bucket', master=True)}[$__range])))",
                    s.master_legend(),
                )
            ],
            unit="s",
            steps=thresholds((10, "orange"), (60, "red")),
        ),
        stat(
            "Failover duration (mean, since exporter start)",
            describe(
                "Mean failover duration each Sentinel measured since the exporter started.",
                failover_only=True,
            ),
            [
                target(
                    f"max by ({s.labels('master_name')}) "
                    f"({s.sel(duration + '_sum', master=True)} / "
                    f"{s.sel(duration + '_count', master=True)} > 0)",
                    s.master_legend(),
                )
            ],
            unit="s",
            steps=thresholds((10, "orange"), (60, "red")),
        ),
        timeseries(
            "Failover durations (quantiles since exporter start)",
            describe(
                "Median and 90th percentile of all failovers each master had since "
                "the exporter started.",
                failover_only=True,
            ),
            [
                target(
                    f"max by ({s.labels('master_name')}) (histogram_quantile(0.5, "
                    f"{s.sel(duration + '_bucket', master=True)}))",
                    s.master_legend("p50"),
                ),
                target(
                    f"max by ({s.labels('master_name')}) (histogram_quantile(0.9, "
                    f"{s.sel(duration + '_bucket', master=True)}))",
                    s.master_legend("p90"),
                ),
            ],
            unit="s",
        ),
        row("Sentinel processes"),
        state_timeline(
            "TILT mode",
            "Sentinels in TILT mode (they stop acting, e.g. after a clock jump or stall).",
            [target(s.by_target(s.sel("redis_sentinel_tilt")), s.target_legend())],
            mappings=YES_NO_BAD,
            size=(8, 6),
        ),
        state_timeline(
            "Event stream",
            "Whether the exporter is subscribed to each Sentinel's event stream.",
            [target(s.by_target(s.sel("redis_sentinel_event_stream_up")), s.target_legend())],
            mappings=UP_DOWN,
            size=(8, 6),
        ),
        stat(
            "Event stream reconnects in range",
            "Times the event stream subscription was re-established; events published "
            "while disconnected are lost.",
            [
                target(
                    s.by_target(
                        f"increase({s.sel('redis_sentinel_event_stream_reconnects_total')}"
                        "[$__range])"
                    ),
                    s.target_legend(),
                )
            ],
            size=(8, 6),
            steps=thresholds((1, "orange")),
            decimals=0,
        ),
    ]
    return dashboard(
        s,
        "redis-ha-sentinel",
        "Redis HA Sentinel",
        "Per master as the Sentinels see it: status, down flags, quorum, epochs, the event "
        "stream and failovers.",
        panels,
    )


def instance(s: Scope) -> JSON:
    """Redis instance: what redis_exporter's users watch of every server (memory, clients,
    commands, keys, persistence, slow log), one series per server."""

    def value(metric: str, *labels: str) -> str:
        return s.by_target(s.sel(metric), *labels)

    def per_second(metric: str, *labels: str) -> str:
        return s.by_target(f"rate({s.sel(metric)}[$__rate_interval])", *labels)

    def in_range(metric: str) -> str:
        return s.by_target(f"increase({s.sel(metric)}[$__range])")

    def rates(
        title: str, description: str, unit: str, *series: tuple[str, str], width: int = 8
    ) -> JSON:
        """A graph of counters per second, ``(metric, legend suffix)`` each."""
        targets = [target(per_second(metric), s.target_legend(kind)) for metric, kind in series]
        return timeseries(title, description, targets, size=(width, 8), unit=unit)

    def fraction(title: str, description: str, expr: str, width: int, steps: JSON) -> JSON:
        """A tile per server of ``expr``, a fraction shown in per cent."""
        targets = [target(expr, s.target_legend())]
        return stat(title, description, targets, size=(width, 8), unit="percentunit", steps=steps)

    hits, misses = "redis_keyspace_hits_total", "redis_keyspace_misses_total"
    maxclients = f"{s.sel('redis_config_maxclients')} or {s.sel('redis_max_clients')}"
    panels = [
        row("Memory and clients"),
        timeseries(
            "Memory used vs maxmemory",
            "Memory Redis allocated (used), what the process holds (RSS), and the maxmemory "
            "limit where one is set (no line where maxmemory is 0).",
            [
                target(value("redis_memory_used_bytes"), s.target_legend("used")),
                target(value("redis_memory_used_rss_bytes"), s.target_legend("rss")),
                target(value("redis_memory_max_bytes") + " > 0", s.target_legend("maxmemory")),
            ],
            unit="bytes",
        ),
        fraction(
            "Memory used / maxmemory",
            "used_memory as a fraction of maxmemory, where one is set. At 1 a noeviction or "
            "volatile-* server refuses writes (RedisMemoryNearMaxmemory, RedisOutOfMemory).",
            f"{value('redis_memory_used_bytes')} / ({value('redis_memory_max_bytes')} > 0)",
            12,
            thresholds((float(RULES.MEMORY_FRACTION), "orange"), (1, "red")),
        ),
        timeseries(
            "Clients vs maxclients",
            "Connected clients (replicas, Sentinels and the exporter included), clients "
            "blocked in BLPOP/XREAD/WAIT..., and maxclients (CONFIG GET, else INFO).",
            [
                target(value("redis_connected_clients"), s.target_legend("connected")),
                target(value("redis_blocked_clients"), s.target_legend("blocked")),
                target(s.by_target(maxclients), s.target_legend("maxclients")),
            ],
        ),
        rates(
            "Connections received and rejected",
            "New connections per second, and those rejected (maxclients reached, or protected "
            "mode refusing a client from another host: RedisRejectedConnections).",
            "cps",
            ("redis_connections_received_total", "received"),
            ("redis_rejected_connections_total", "rejected"),
            width=12,
        ),
        row("Commands and network"),
        timeseries(
            "Commands per second by command",
            "Calls per second of every command (INFO commandstats).",
            [target(per_second("redis_commands_total", "cmd"), s.target_legend("{{cmd}}"))],
            size=(24, 8),
            unit="ops",
        ),
        rates(
            "Keyspace hits and misses",
            "Key lookups per second that found their key (hits) and that did not (misses).",
            "ops",
            (hits, "hits"),
            (misses, "misses"),
        ),
        fraction(
            "Hit ratio in range",
            "Hits over all key lookups in the selected range (no tile for a server that had "
            "no lookup, as replicas often have none).",
            f"{in_range(hits)} / ({in_range(hits)} + {in_range(misses)} > 0)",
            8,
            thresholds((0.8, "green"), base="orange"),
        ),
        rates(
            "Network in and out",
            "Bytes per second Redis read from and wrote to its clients and replicas.",
            "Bps",
            ("redis_net_input_bytes_total", "in"),
            ("redis_net_output_bytes_total", "out"),
        ),
        row("Keys"),
        timeseries(
            "Keys per database",
            "Keys in every database that holds any (INFO keyspace).",
            [target(value("redis_db_keys", "db") + " > 0", s.target_legend("{{db}}"))],
            size=(8, 8),
        ),
        timeseries(
            "Keys with a TTL per database",
            "Keys that will expire, in every database that has any: what a volatile-* "
            "maxmemory-policy may evict.",
            [target(value("redis_db_keys_expiring", "db") + " > 0", s.target_legend("{{db}}"))],
            size=(8, 8),
        ),
        rates(
            "Expired and evicted keys",
            "Keys removed per second because their TTL passed (expired) and to stay under "
            "maxmemory (evicted).",
            "ops",
            ("redis_expired_keys_total", "expired"),
            ("redis_evicted_keys_total", "evicted"),
        ),
        row("Persistence"),
        state_timeline(
            "Last RDB save and AOF writes",
            "Whether the last background save, the last write to the append-only file and its "
            "last rewrite succeeded (RedisRdbSaveFailed, RedisAofWriteFailed, "
            "RedisAofRewriteFailed); the AOF lanes stay OK where AOF is off.",
            [
                target(value("redis_rdb_last_bgsave_status"), s.target_legend("rdb save")),
                target(value("redis_aof_last_write_status"), s.target_legend("aof write")),
                target(value("redis_aof_last_bgrewrite_status"), s.target_legend("aof rewrite")),
            ],
            mappings=OK_FAIL,
            size=(12, 8),
        ),
        timeseries(
            "Changes since last save",
            "Writes not yet in an RDB snapshot: what a restart would lose without AOF.",
            [target(value("redis_rdb_changes_since_last_save"), s.target_legend())],
            size=(6, 8),
        ),
        stat(
            "Last successful save",
            "When each server last saved an RDB snapshot (or started, if it never did).",
            [
                target(
                    value("redis_rdb_last_save_timestamp_seconds") + " * 1000",
                    s.target_legend(),
                )
            ],
            size=(6, 8),
            unit="dateTimeFromNow",
            steps=thresholds(base="blue"),
        ),
        row("Slow log"),
        timeseries(
            "Slow log length",
            "Entries in the slow log (commands slower than slowlog-log-slower-than, up to "
            "slowlog-max-len).",
            [target(value("redis_slowlog_length"), s.target_legend())],
        ),
        stat(
            "Last slow execution",
            "How long the newest slow log entry took (0 while the slow log is empty).",
            [
                target(
                    value("redis_last_slow_execution_duration_seconds"),
                    s.target_legend(),
                )
            ],
            size=(12, 8),
            unit="s",
            steps=thresholds((0.1, "orange"), (1, "red")),
        ),
    ]
    return dashboard(
        s,
        "redis-ha-instance",
        "Redis instance",
        "Every Redis server as redis_exporter's users watch it: memory, clients, commands, "
        "keys, persistence and slow log.",
        panels,
    )


DASHBOARDS = {
    "redis-ha-overview.json": overview,
    "redis-replication.json": replication,
    "redis-sentinel.json": sentinel,
    "redis-instance.json": instance,
}


def build_all(scope: Scope | None = None) -> dict[str, JSON]:
    """Every dashboard for ``scope`` (default: the default group labels), keyed by file name."""
    return {name: build(scope or Scope()) for name, build in DASHBOARDS.items()}


def render(board: Mapping[str, Any]) -> str:
    """The committed text form of a dashboard."""
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def stale_files(out_dir: Path, scope: Scope | None = None) -> list[str]:
    """Names of the dashboard files in ``out_dir`` that differ from the generator's output."""
    return [
        name
        for name, board in build_all(scope).items()
        if not (out_dir / name).is_file()
        or (out_dir / name).read_text(encoding="utf-8") != render(board)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Write the dashboards, or with ``--check`` report stale ones and return 1.

    A bad ``--group-labels`` value is one line on stderr and exit status 2.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    parser.add_argument("--out-dir", type=Path, default=HERE, help="default: %(default)s")
    parser.add_argument(
        "--group-labels",
        default=",".join(DEFAULT_GROUP_LABELS),
        metavar="L1,L2",
        help="deployment labels, comma-separated; '' for none (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    out_dir: Path = args.out_dir
    try:
        scope = Scope(RULES.parse_group_labels(args.group_labels))
    except ValueError as exc:
        print(f"generate.py: --group-labels: {exc}", file=sys.stderr)
        return 2
    if args.check:
        stale = stale_files(out_dir, scope)
        for name in stale:
            print(f"{out_dir / name} is stale: run make dashboards", file=sys.stderr)
        return 1 if stale else 0
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, board in build_all(scope).items():
        (out_dir / name).write_text(render(board), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
