"""Structure tests of the Grafana dashboards in dashboards/ and of their generator.

The generator is a script (dashboards/generate.py), loaded here from its path.  The PromQL of
every panel is parsed by a real Prometheus parser (``promtool check rules``), the tricky
failover-counting expressions are evaluated by ``promtool test rules``, and the JSON is
round-tripped through Grafana's own generated models (grafana-foundation-sdk) when installed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards.meanings import COMMON, MEANINGS, World, checks_of, queries_by_panel, targets_up
from dashboards.queries import (
    alert_only_titles,
    committed_boards,
    default_variables,
    failover_only_titles,
    iter_panels,
    panel_queries,
    raw_queries,
    referenced_variables,
    substitute,
    variable_selector,
)
from redis_ha_exporter.catalogue import BY_NAME, Kind
from support import load_dashboard_generator, require_tool, run_tool

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "dashboards"
NAMES = (
    "redis-ha-overview.json",
    "redis-replication.json",
    "redis-sentinel.json",
    "redis-instance.json",
)
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
BUILTIN_VARIABLES = {"__rate_interval", "__interval", "__range", "__range_s", "__all"}
ALERTS_LABELS = {"alertname", "alertstate", "severity"}


gen = load_dashboard_generator()
#: Labels Prometheus or the operator's scrape configuration puts on every series.
PROMETHEUS_LABELS = {"job", "instance", *gen.DEFAULT_GROUP_LABELS}


@pytest.fixture(scope="module")
def boards() -> dict[str, dict[str, Any]]:
    """The committed dashboards, parsed: the ones the generator makes, and no other."""
    committed = committed_boards()
    assert sorted(committed) == sorted(NAMES)
    return committed


def all_variables(board: dict[str, Any]) -> dict[str, str]:
    """Every query variable at its All value, job as Prometheus names our job."""
    variables: dict[str, str] = default_variables(board)
    return variables | {"job": "redis_exporter"}


def substituted(boards: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str, str]]:
    """``(file, title, expr)`` for every query of every dashboard, variables substituted."""
    for name, board in boards.items():
        for title, expr in panel_queries(board, all_variables(board)):
            yield name, title, expr


# --------------------------------------------------------------------------------------
# A small PromQL scanner: metric names, their matcher labels, grouping labels
# --------------------------------------------------------------------------------------

TOKEN = re.compile(
    r"""(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
      |(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[a-zA-Z]*)
      |(?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
      |(?P<punct>[(){}\[\],])
      |(?P<op>==|!=|=~|!~|>=|<=|[-+*/%^<>=])
      |(?P<ws>\s+)""",
    re.VERBOSE,
)
KEYWORDS = {"bool", "offset", "and", "or", "unless", "inf", "nan", "by", "without", "on"}
KEYWORDS |= {"ignoring", "group_left", "group_right", "atan2"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values"}
KEYWORDS |= AGGREGATIONS | {"bottomk", "topk", "quantile", "limitk", "limit_ratio"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}


def tokens(expr: str) -> list[tuple[str, str]]:
    """``(kind, text)`` tokens of a PromQL expression, whitespace dropped.

    ``max by (addr) (rate(x{a="b"}[1m]))`` gives ident max, ident by, punct (, ident addr, ...
    """
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(expr):
        match = TOKEN.match(expr, position)
        if match is None:
            raise ValueError(f"cannot scan {expr[position:]!r}")
        kind = match.lastgroup
        assert kind is not None
        if kind != "ws":
            found.append((kind, match.group()))
        position = match.end()
    return found


def scan(expr: str) -> tuple[list[tuple[str, set[str]]], set[str]]:
    """Metric names with the labels of their matchers, and every grouping label.

    ``sum by (a) (m{x="1"}) / on (b) n`` gives ``([("m", {"x"}), ("n", set())], {"a", "b"})``.
    """
    toks = tokens(expr)
    metrics: list[tuple[str, set[str]]] = []
    grouping: set[str] = set()
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        following = toks[i + 1][1] if i + 1 < len(toks) else ""
        if kind == "punct" and text == "[":
            i = toks.index(("punct", "]"), i) + 1
            continue
        if kind == "ident" and text in GROUPING and following == "(":
            end = toks.index(("punct", ")"), i)
            grouping |= {t for k, t in toks[i + 2 : end] if k == "ident"}
            i = end + 1
            continue
        if kind == "ident" and text not in KEYWORDS and following != "(":
            labels: set[str] = set()
            i += 1
            if following == "{":
                end = toks.index(("punct", "}"), i)
                labels = {t for k, t in toks[i + 1 : end] if k == "ident"}
                i = end + 1
            metrics.append((text, labels))
            continue
        if kind == "punct" and text == "{":  # a bare selector: {__name__=...}
            raise ValueError(f"selector without a metric name in {expr!r}")
        i += 1
    return metrics, grouping


def catalogue_labels(metric: str) -> set[str] | None:
    """Labels a catalogued metric (or histogram series) carries, None if not catalogued."""
    if metric in BY_NAME:
        return set(BY_NAME[metric].labels)
    for suffix in ("_bucket", "_sum", "_count"):
        base = metric.removesuffix(suffix)
        if base != metric and base in BY_NAME and BY_NAME[base].kind is Kind.HISTOGRAM:
            return set(BY_NAME[base].labels) | ({"le"} if suffix == "_bucket" else set())
    return None


def test_scanner_finds_metrics_labels_and_grouping() -> None:
    metrics, grouping = scan(
        'max by (a, le) (rate(m_bucket{x="1",y=~"[a-z]+"}[5m] offset 1h)) / on (b) n > bool 0.5'
    )
    assert metrics == [("m_bucket", {"x", "y"}), ("n", set())]
    assert grouping == {"a", "le", "b"}


def test_catalogue_check_rejects_unknown_metric() -> None:
    assert catalogue_labels("redis_up") == {"addr"}
    assert catalogue_labels("redis_sentinel_failover_duration_seconds_bucket") is not None
    assert catalogue_labels("redis_up_bucket") is None  # redis_up is not a histogram
    assert catalogue_labels("redis_sentinel_master_setting_quorum") is None


# --------------------------------------------------------------------------------------
# The committed files and the generator
# --------------------------------------------------------------------------------------


def test_committed_json_equals_generator_output() -> None:
    built = gen.build_all()
    assert sorted(built) == sorted(NAMES)
    for name, board in built.items():
        committed = (DASHBOARDS / name).read_text(encoding="utf-8")
        assert committed == gen.render(board), f"{name} is stale: run dashboards/generate.py"


def test_check_flag_fails_on_stale_file(tmp_path: Path) -> None:
    script = str(DASHBOARDS / "generate.py")

    def run(*args: str) -> int:
        return subprocess.run([sys.executable, script, *args], check=False).returncode

    assert run("--out-dir", str(tmp_path)) == 0
    assert run("--check", "--out-dir", str(tmp_path)) == 0
    stale = tmp_path / NAMES[1]
    stale.write_text(stale.read_text(encoding="utf-8").replace("Replica lag", "Lag"), "utf-8")
    assert run("--check", "--out-dir", str(tmp_path)) == 1


def test_files_are_valid_json_with_import_inputs(boards: dict[str, dict[str, Any]]) -> None:
    assert len({b["uid"] for b in boards.values()}) == len(NAMES)
    for name, board in boards.items():
        assert board["id"] is None, name
        inputs = {i["name"]: i for i in board["__inputs"]}
        assert inputs["DS_PROMETHEUS"]["pluginId"] == "prometheus", name
        assert inputs["DS_PROMETHEUS"]["type"] == "datasource", name
        required = {r["id"] for r in board["__requires"]}
        used = {p["type"] for p in iter_panels(board)} - {"row"}
        assert used <= required, name


def test_variables(boards: dict[str, dict[str, Any]]) -> None:
    for name, board in boards.items():
        variables = {v["name"]: v for v in board["templating"]["list"]}
        assert set(variables) >= {"datasource", "job", "instance", "master_name"}, name
        assert set(gen.DEFAULT_GROUP_LABELS) <= set(variables), name
        source = variables["datasource"]
        assert source["type"] == "datasource", name
        assert source["query"] == "prometheus", name
        # Import replaces the placeholder; provisioning selects the data source by its name.
        assert source["current"]["value"] == "${DS_PROMETHEUS}", name
        provisioned = yaml.safe_load(
            (DASHBOARDS / "provisioning/datasources/prometheus.yml").read_text(encoding="utf-8")
        )["datasources"]
        assert source["current"]["text"] in {d["name"] for d in provisioned}, name
        for var in ("job", *gen.DEFAULT_GROUP_LABELS, "instance", "master_name"):
            assert variables[var]["type"] == "query", (name, var)
            assert variables[var]["query"].startswith("label_values("), (name, var)
            assert variables[var]["datasource"] == DATASOURCE, (name, var)
            assert variable_selector(variables[var]), (name, var)


def test_panel_ids_unique_and_layout_in_grid(boards: dict[str, dict[str, Any]]) -> None:
    for name, board in boards.items():
        panels = list(iter_panels(board))
        ids = [p["id"] for p in panels]
        assert all(isinstance(i, int) for i in ids), name
        assert len(ids) == len(set(ids)), name
        cells: set[tuple[int, int]] = set()
        for p in panels:
            pos = p["gridPos"]
            assert pos["x"] >= 0, (name, p["title"])
            assert pos["x"] + pos["w"] <= 24, (name, p["title"])
            mine = {
                (x, y)
                for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])
            }
            assert not cells & mine, f"{name}: {p['title']} overlaps another panel"
            cells |= mine


def test_every_target_uses_the_datasource_variable(boards: dict[str, dict[str, Any]]) -> None:
    for name, board in boards.items():
        panels = [p for p in iter_panels(board) if p["type"] != "row"]
        assert panels, name
        for p in panels:
            assert p["datasource"] == DATASOURCE, (name, p["title"])
            assert p["targets"], (name, p["title"])
            for t in p["targets"]:
                assert t["datasource"] == DATASOURCE, (name, p["title"], t["refId"])
            ref_ids = [t["refId"] for t in p["targets"]]
            assert len(ref_ids) == len(set(ref_ids)), (name, p["title"])
        for annotation in board["annotations"]["list"]:
            assert annotation["datasource"] == DATASOURCE, (name, annotation["name"])


def test_no_hard_coded_hosts(boards: dict[str, dict[str, Any]]) -> None:
    host = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|localhost|\w:\d{2,5}\b|redis://")
    for name, board in boards.items():
        assert not host.findall(json.dumps(board)), name


def test_every_referenced_variable_is_defined(boards: dict[str, dict[str, Any]]) -> None:
    for name, board in boards.items():
        defined = {v["name"] for v in board["templating"]["list"]} | BUILTIN_VARIABLES
        texts = [expr for _, expr in raw_queries(board)]
        texts += [json.dumps(p["datasource"]) for p in iter_panels(board) if "datasource" in p]
        referenced = set().union(*(referenced_variables(t) for t in texts))
        assert "job" in referenced, name
        assert referenced <= defined, (name, referenced - defined)


def test_substitution_forms_and_missing_variable() -> None:
    text = 'x{a=~"$a",b=~"${b}",c=~"${c:regex}",d=~"[[d]]"}[$__rate_interval]'
    values = {"a": "1", "b": "2", "c": "3", "d": "4"}
    assert substitute(text, values) == 'x{a=~"1",b=~"2",c=~"3",d=~"4"}[1m]'
    assert referenced_variables(text) == {"a", "b", "c", "d", "__rate_interval"}
    with pytest.raises(KeyError, match="d"):
        substitute(text, {"a": "1", "b": "2", "c": "3"})


def test_panel_queries_cover_every_target_annotation_and_variable(
    boards: dict[str, dict[str, Any]],
) -> None:
    for name, board in boards.items():
        queries = panel_queries(board, all_variables(board))
        targets = sum(len(p.get("targets", [])) for p in iter_panels(board))
        annotations = len(board["annotations"]["list"])
        variables = sum(1 for v in board["templating"]["list"] if v["type"] == "query")
        assert len(queries) == targets + annotations + variables, name
        for title, expr in queries:
            assert "$" not in expr, (name, title)
            assert "[[" not in expr, (name, title)
        titles = {t for t, _ in queries}
        assert failover_only_titles(board) <= titles, name
        assert alert_only_titles(board) <= titles, name


def test_every_metric_is_in_the_catalogue(boards: dict[str, dict[str, Any]]) -> None:
    for name, title, expr in substituted(boards):
        metrics, grouping = scan(expr)
        assert metrics, (name, title, expr)
        known: set[str] = set(PROMETHEUS_LABELS)
        for metric, matchers in metrics:
            if metric == "ALERTS":
                assert matchers <= ALERTS_LABELS | PROMETHEUS_LABELS, (name, title, matchers)
                known |= ALERTS_LABELS | {"master_name", "addr"}
                continue
            labels = catalogue_labels(metric)
            assert labels is not None, f"{name}: {title}: {metric} is not in the catalogue"
            assert matchers <= labels | PROMETHEUS_LABELS, (name, title, metric, matchers)
            known |= labels
        assert grouping <= known, (name, title, grouping - known)


def test_sentinel_copies_are_never_summed(boards: dict[str, dict[str, Any]]) -> None:
    """``sum`` only adds up distinct replicas after a ``max`` removed the Sentinel copies."""
    for name, title, expr in substituted(boards):
        for match in re.finditer(r"\bsum\b", expr):
            rest = expr[match.end() :]
            assert re.match(r"\s*by \([^)]*\) \(max by ", rest), (name, title, expr)


def test_failover_panels_are_marked(boards: dict[str, dict[str, Any]]) -> None:
    event_metrics = re.compile(
        r"redis_sentinel_(events_total|failovers_total|last_failover_timestamp_seconds|"
        r"failover_duration_seconds)"
    )
    for name, board in boards.items():
        marked = failover_only_titles(board)
        for title, expr in raw_queries(board):
            if event_metrics.search(expr):
                assert title in marked, (name, title)
    assert "annotation: Failovers" in marked
    sentinel = boards["redis-sentinel.json"]
    assert failover_only_titles(sentinel) > {"annotation: Failovers"}


# --------------------------------------------------------------------------------------
# Deployments: every query filters by, keeps and names the deployment labels
# --------------------------------------------------------------------------------------

#: Labels that tell a group or a target apart: a ``by``/``on`` over them keeps the deployment.
IDENTITY = {"master_name", "addr", "instance"}


def grouping_lists(expr: str) -> list[set[str]]:
    """Label sets of every ``by (...)`` / ``on (...)`` of an expression."""
    toks = tokens(expr)
    found = []
    for i, (kind, text) in enumerate(toks):
        if kind == "ident" and text in {"by", "on"} and toks[i + 1][1] == "(":
            end = toks.index(("punct", ")"), i)
            found.append({t for k, t in toks[i + 2 : end] if k == "ident"})
    return found


@pytest.mark.parametrize("labels", [("cluster",), ("region", "cluster")])
def test_every_query_filters_keeps_and_names_the_deployment(labels: tuple[str, ...]) -> None:
    boards = gen.build_all(gen.Scope(labels))
    for name, board in boards.items():
        variables = [v["name"] for v in board["templating"]["list"]]
        assert variables == ["datasource", "job", *labels, "instance", "master_name"], name
        every = default_variables(board)
        for (title, expr), (_, substituted) in zip(
            raw_queries(board), panel_queries(board, every), strict=True
        ):
            wanted = set(labels)
            if title.startswith("variable: "):
                # a variable lists the values within the deployment variables before it
                before = variables[: variables.index(title.removeprefix("variable: "))]
                wanted &= set(before)
            metrics, _ = scan(substituted)
            for metric, matchers in metrics:
                assert wanted <= matchers, (name, title, metric)
                for label in wanted:
                    assert f'{label}=~"${label}"' in expr, (name, title, label)
            for found in grouping_lists(substituted):
                if found & IDENTITY:
                    assert set(labels) <= found, (name, title, found)
        for panel in iter_panels(board):
            for t in panel.get("targets", []):
                legend = t["legendFormat"]
                if "{{master_name}}" in legend or "{{addr}}" in legend:
                    named = gen.placeholders(labels)
                    assert legend.startswith(named + " "), (name, panel["title"], legend)
        annotation = board["annotations"]["list"][0]
        assert annotation["tagKeys"] == ",".join((*labels, "master_name")), name


def test_every_target_grouping_keeps_the_host(boards: dict[str, dict[str, Any]]) -> None:
    """On the seeds' hosts every exporter reads ``localhost:6379`` and ``localhost:26379``: a
    ``by``/``on`` over ``addr`` without ``instance`` merges three hosts into one series."""
    checked = 0
    for name, title, expr in substituted(boards):
        for found in grouping_lists(expr):
            if "addr" in found:
                assert "instance" in found, (name, title, found)
                checked += 1
    assert checked > 30


def test_stat_panels_use_instant_queries(boards: dict[str, dict[str, Any]]) -> None:
    """A range query's last value outlives its series (an old master's replica count)."""
    stats = [p for board in boards.values() for p in iter_panels(board) if p["type"] == "stat"]
    assert len(stats) > 10
    for panel in stats:
        assert panel["options"]["graphMode"] == "none", panel["title"]
        for t in panel["targets"]:
            assert (t["instant"], t["range"]) == (True, False), panel["title"]


def test_every_query_has_a_meaning(boards: dict[str, dict[str, Any]]) -> None:
    """The end-to-end test compares every query with what its phase means
    (tests/dashboards/meanings.py): a new panel needs a meaning before it ships."""
    for name, board in boards.items():
        counts = Counter(
            title for title, _, _ in queries_by_panel(name, board, all_variables(board))
        )
        for title, count in counts.items():
            assert len(checks_of(name, title)) == count, (name, title)
    panels = {(n, t) for n, b in boards.items() for t, _ in raw_queries(b) if t not in COMMON}
    assert set(MEANINGS) == panels


def test_a_meaning_tells_hosts_apart() -> None:
    """ "Targets up" merged by addr (two series for six targets) or missing a dead Redis is
    wrong; six series with the dead one at 0 is right."""
    world = World(("10.0.0.2", "10.0.0.3", "10.0.0.4"), master=0, dead=frozenset({2}))
    right = [
        ({"instance": f"10.0.0.{h}:9121", "addr": addr}, 0.0 if (h, port) == (4, 6379) else 1.0)
        for h in (2, 3, 4)
        for addr, port in (("localhost:6379", 6379), ("localhost:26379", 26379))
    ]
    check = targets_up()
    assert check(world, right) is None
    merged = [({"addr": "localhost:6379"}, 1.0), ({"addr": "localhost:26379"}, 1.0)]
    assert check(world, merged) is not None
    all_up = [(labels, 1.0) for labels, _ in right]
    assert "values" in str(check(world, all_up))


def test_no_group_labels_leave_no_trace() -> None:
    text = json.dumps(gen.build_all(gen.Scope(())))
    assert "cluster" not in text
    assert "max by (master_name) (" in text
    assert '"legendFormat": "{{master_name}}"' in text


def test_overview_has_one_line_per_deployment_and_master(
    boards: dict[str, dict[str, Any]],
) -> None:
    board = boards["redis-ha-overview.json"]
    (groups,) = [p for p in iter_panels(board) if p["title"].startswith("Replication groups and")]
    for t in groups["targets"]:
        lists = grouping_lists(t["expr"])
        assert lists[0] == {*gen.DEFAULT_GROUP_LABELS, "master_name", "master_address"}


def run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    script = str(DASHBOARDS / "generate.py")
    return subprocess.run(
        [sys.executable, script, *args], capture_output=True, text=True, check=False
    )


def test_group_labels_option(tmp_path: Path) -> None:
    assert run_generator("--out-dir", str(tmp_path)).returncode == 0
    assert run_generator("--check", "--out-dir", str(tmp_path)).returncode == 0
    other = run_generator("--check", "--out-dir", str(tmp_path), "--group-labels", "region")
    assert other.returncode == 1
    bad = run_generator("--out-dir", str(tmp_path / "x"), "--group-labels", "addr")
    assert bad.returncode == 2
    assert bad.stderr == (
        "generate.py: --group-labels: 'addr' is a label the metrics or rules already use\n"
    )
    assert not (tmp_path / "x").exists()


# --------------------------------------------------------------------------------------
# A real PromQL parser and evaluator: promtool
# --------------------------------------------------------------------------------------


def check_rules(tmp_path: Path, exprs: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``promtool check rules`` on one recording rule per expression."""
    rules = [{"record": f"dashboard:query_{i}:check", "expr": e} for i, e in enumerate(exprs)]
    path = tmp_path / "queries.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}), "utf-8")
    return run_tool([require_tool("promtool"), "check", "rules", str(path)])


def test_promtool_parses_every_query(boards: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    exprs = [expr for _, _, expr in substituted(boards)]
    assert len(exprs) > 50
    result = check_rules(tmp_path, exprs)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in result.stdout


def test_promtool_check_rejects_a_broken_query(tmp_path: Path) -> None:
    result = check_rules(tmp_path, ["max by (addr (redis_up)"])
    assert result.returncode != 0


def test_failover_counting_with_promtool(tmp_path: Path) -> None:
    """The failover annotation and count see a counter born with the failover too.

    In deployment dc1, Sentinel a exposes its counter at 0 from the start; Sentinel b's series
    appears with the failover at minute 10: one failover in all, counted once. Deployment dc2
    has a group of the same name whose failover (minute 20) is counted apart.
    """
    variables = {"job": ".*", "cluster": ".*", "instance": ".*", "master_name": ".*"}
    variables["__range"] = "1h"
    annotation = substitute(gen.failover_annotation(gen.Scope())["expr"], variables)
    in_range = substitute(
        gen.Scope().new_or_increased("redis_sentinel_failovers_total", "$__range"), variables
    )
    series = (
        'redis_sentinel_failovers_total{{job="redis_exporter",instance="{0}:9121",'
        'addr="{0}",cluster="{1}",master_name="m"}}'
    )
    tests = {
        "rule_files": [],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": series.format("a", "dc1"), "values": "0x9 1x50"},
                    {"series": series.format("b", "dc1"), "values": "_x9 1x50"},
                    {"series": series.format("a", "dc2"), "values": "0x19 1x40"},
                ],
                "promql_expr_test": [
                    {"expr": annotation, "eval_time": "11m",
                     "exp_samples": [{"labels": '{cluster="dc1",master_name="m"}', "value": 1}]},
                    {"expr": annotation, "eval_time": "21m",
                     "exp_samples": [{"labels": '{cluster="dc2",master_name="m"}', "value": 1}]},
                    {"expr": annotation, "eval_time": "40m", "exp_samples": []},
                    {"expr": in_range, "eval_time": "40m",
                     "exp_samples": [{"labels": '{cluster="dc1",master_name="m"}', "value": 1},
                                     {"labels": '{cluster="dc2",master_name="m"}', "value": 1}]},
                ],
            }
        ],
    }  # fmt: skip
    path = tmp_path / "failover.test.yml"
    path.write_text(yaml.safe_dump(tests), encoding="utf-8")
    result = run_tool([require_tool("promtool"), "test", "rules", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------------------
# Grafana's own schema: the generated models of grafana-foundation-sdk
# --------------------------------------------------------------------------------------

#: Fields Grafana reads but the dashboard schema does not model (import metadata, the
#: Prometheus annotation options, the text form of a variable query).
UNMODELLED = {
    "__inputs",
    "__requires",
    "id",  # null: Grafana assigns one on import
    "annotations.list[].step",
    "annotations.list[].tagKeys",
    "annotations.list[].textFormat",
    "annotations.list[].titleFormat",
    "annotations.list[].useValueForTime",
    "templating.list[].definition",
}


def lost_fields(original: Any, reparsed: Any, path: str = "") -> list[str]:
    """Paths (list indices as ``[]``) in ``original`` that ``reparsed`` lacks or changed."""
    if isinstance(original, dict):
        if not isinstance(reparsed, dict):
            return [path or "."]
        lost: list[str] = []
        for key, value in original.items():
            here = f"{path}.{key}" if path else key
            lost += [here] if key not in reparsed else lost_fields(value, reparsed[key], here)
        return lost
    if isinstance(original, list):
        if not isinstance(reparsed, list) or len(original) != len(reparsed):
            return [path]
        return [
            p
            for a, b in zip(original, reparsed, strict=True)
            for p in lost_fields(a, b, path + "[]")
        ]
    return [] if original == reparsed else [path]


def test_dashboards_survive_grafana_schema_models(boards: dict[str, dict[str, Any]]) -> None:
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.cog.plugins import register_default_plugins
    from grafana_foundation_sdk.models.dashboard import Dashboard

    register_default_plugins()
    for name, board in boards.items():
        reparsed = json.loads(json.dumps(Dashboard.from_json(board), cls=JSONEncoder))
        lost = set(lost_fields(board, reparsed))
        assert lost == UNMODELLED, (name, lost ^ UNMODELLED)
    typo = json.loads(json.dumps(boards[NAMES[0]]))
    typo["panels"][1]["options"]["showHeaderr"] = True
    reparsed = json.loads(json.dumps(Dashboard.from_json(typo), cls=JSONEncoder))
    assert "panels[].options.showHeaderr" in lost_fields(typo, reparsed)


# --------------------------------------------------------------------------------------
# Provisioning
# --------------------------------------------------------------------------------------


def test_provisioning_files() -> None:
    sources = yaml.safe_load(
        (DASHBOARDS / "provisioning/datasources/prometheus.yml").read_text(encoding="utf-8")
    )
    (prometheus,) = sources["datasources"]
    assert prometheus["type"] == "prometheus"
    assert prometheus["url"] == "http://prometheus:9090"
    assert prometheus["uid"]
    assert prometheus["isDefault"] is True
    providers = yaml.safe_load(
        (DASHBOARDS / "provisioning/dashboards/provider.yml").read_text(encoding="utf-8")
    )
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
