"""Tests of the alerting rules in alerts/, their promtool tests and runbooks.

Runs the real tools (``promtool check rules``, ``promtool test rules``; the Makefile installs
them, a missing tool is a failure) and checks the structure in Python: every required alert
exists with a severity, summary, description and a runbook that exists; every metric an
expression reads is in the catalogue or is a recording rule of the file; every alert has a firing
and a quiet case in alerts/tests; docs/alerts.md agrees with the rules file. The rules file is
the output of ``alerts/generate.py``: the committed one is its output with the defaults, and
every deployment-label set it accepts keeps groups of different deployments apart. The
Alertmanager example is tested in test_alertmanager.py.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.stack import parse_duration
from redis_ha_exporter.catalogue import BY_NAME, Kind
from redis_ha_exporter.runbooks import load as load_runbooks
from support import load_rules_generator, require_tool, run_tool

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "alerts" / "redis-ha.rules.yml"
RULE_TESTS = sorted((ROOT / "alerts" / "tests").glob("*.yml"))
RUNBOOKS = ROOT / "docs" / "runbooks"
DOCS = ROOT / "docs" / "alerts.md"
#: The runbooks the exporter serves at /runbooks/ (file name -> text).
SERVED_RUNBOOKS = load_runbooks()
#: A runbook_url as Prometheus expands the default base: a runbook on an exporter's port.
EXPANDED_RUNBOOK_URL = re.compile(r"http://(?P<exporter>[^/]+:9121)/runbooks/(?P<alert>\w+)\.md")

# The rest of the host (group redis-ha.instance): one Redis server each, alerts/tests/instance.yml.
INSTANCE_ALERTS = (
    "RedisMemoryNearMaxmemory",
    "RedisOutOfMemory",
    "RedisTooManyConnections",
    "RedisRejectedConnections",
    "RedisRdbSaveFailed",
    "RedisAofWriteFailed",
    "RedisAofRewriteFailed",
    "RedisRepeatedFullResyncs",
)
REQUIRED_ALERTS = (
    "RedisDown",
    "RedisExporterDown",
    "RedisReplicationLinkDown",
    "RedisReplicationLagHigh",
    "RedisReplicaMissing",
    "RedisNoMaster",
    "RedisTooManyMasters",
    "RedisSentinelMasterSDown",
    "RedisSentinelMasterODown",
    "RedisSentinelFailover",
    "RedisSentinelFailoverStuck",
    "RedisSentinelQuorumAtRisk",
    "RedisSentinelTilt",
    "RedisSentinelMasterDisagreement",
    "RedisSentinelReplicaDown",
    "RedisSentinelEventStreamDown",
    "RedisReplicationLinkFlapping",
    "RedisNoPromotableReplica",
    "RedisSentinelRepeatedFailovers",
    "RedisSentinelsMissing",
    "RedisSentinelsAbsent",
    "RedisSentinelSettingsDiffer",
    "Watchdog",
    *INSTANCE_ALERTS,
)
#: Fires whenever the rules are evaluated: the dead man's switch.
ALWAYS_FIRING = {"Watchdog"}
#: The pages: symptoms of lost writes or split brain, and no failover possible. (A master that
#: refuses writes — out of memory, a failed save or AOF write — is lost writes too.)
CRITICAL = {
    "RedisNoMaster",
    "RedisTooManyMasters",
    "RedisSentinelMasterDisagreement",
    "RedisSentinelQuorumAtRisk",
    "RedisSentinelsAbsent",
    "RedisOutOfMemory",
    "RedisRdbSaveFailed",
    "RedisAofWriteFailed",
}
SEVERITIES = {"critical", "warning", "info", "none"}
# Must stay quiet once a failover has settled (checked at the last eval time of failover.yml):
# every alert but the Watchdog.
QUIET_AFTER_FAILOVER = set(REQUIRED_ALERTS) - ALWAYS_FIRING
# Catalogued metrics that only exist during or after an event: the healthy topology has none.
AFTER_EVENTS_ONLY = {
    "redis_sentinel_last_failover_timestamp_seconds",
    "redis_sentinel_failover_duration_seconds",
    "redis_sentinel_failover_started_timestamp_seconds",
}
# Metrics Prometheus itself provides.
PROMETHEUS_METRICS = {"up"}

PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "offset", "bool", "inf", "nan", "atan2",
    "sum", "min", "max", "avg", "count", "group", "stddev", "stdvar", "topk", "bottomk",
    "quantile", "count_values",
}  # fmt: skip
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

Rule = dict[str, Any]

gen = load_rules_generator()
#: Labels that identify a group, a target or a Redis address: an aggregation or a join over any
#: of them must also keep the deployment labels.
IDENTITY = {"master_name", "job", "instance", "addr", "address"}


# --- helpers --------------------------------------------------------------------------------


def load_yaml(path: Path) -> Any:
    """A fresh parse (with libyaml's C loader: the rule tests are thousands of lines)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


@functools.cache
def all_rules() -> list[Rule]:
    return [rule for group in load_yaml(RULES)["groups"] for rule in group["rules"]]


def alert_rules() -> list[Rule]:
    return [rule for rule in all_rules() if "alert" in rule]


def recorded_names() -> set[str]:
    return {rule["record"] for rule in all_rules() if "record" in rule}


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_LABEL_LIST = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.IGNORECASE
)
_IDENT = re.compile(r"(?<![\w:.$])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()")
_SELECTOR = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)\s*\{([^{}]*)\}")
_MATCHER_LABEL = re.compile(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)")


def metric_names(expr: str) -> set[str]:
    """Metric names read by a PromQL expression.

    Whole identifiers (followed by ``{``, ``[``, ``)``, whitespace, an operator or the end) once
    string literals, label matchers and ``by/on/group_left (...)`` label lists are removed;
    functions (an identifier followed by ``(``) and keywords are not metric names.
    ``max by (a) (rate(x_total{b="c"}[5m])) > on (d) y`` reads ``x_total`` and ``y``.
    """
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _LABEL_LIST.sub(" ", text)
    names = {match.group(1) for match in _IDENT.finditer(text)}
    return {name for name in names if name.lower() not in PROMQL_WORDS}


def selector_labels(expr: str) -> list[tuple[str, set[str]]]:
    """``(metric, {label names in its matchers})`` for every ``metric{...}`` selector.

    ``x{a="1", b=~"2"}`` gives ``("x", {"a", "b"})``.
    """
    text = _STRING.sub('""', expr)
    return [
        (match.group(1), set(_MATCHER_LABEL.findall(match.group(2))))
        for match in _SELECTOR.finditer(text)
    ]


def catalogued(name: str) -> str | None:
    """The catalogue entry a series name belongs to (histogram series map to their family)."""
    if name in BY_NAME:
        return name
    for suffix in HISTOGRAM_SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and base in BY_NAME and BY_NAME[base].kind is Kind.HISTOGRAM:
            return base
    return None


@functools.cache
def rule_test_cases() -> list[tuple[Path, str, dict[str, Any]]]:
    """Every ``alert_rule_test`` entry of alerts/tests as (file, test group name, case)."""
    cases = []
    for path in RULE_TESTS:
        for group in load_yaml(path)["tests"]:
            for case in group.get("alert_rule_test", []):
                cases.append((path, group.get("name", ""), case))
    return cases


def docs_threshold_rows() -> list[tuple[tuple[str, str, str, str], list[str]]]:
    """Rows of the thresholds table in docs/alerts.md: ((alert, severity, lag, for),
    fragments); ``lag`` is the ``lag="…"`` its "Fires when" names, or ``""``."""
    section = DOCS.read_text(encoding="utf-8").split("## Thresholds", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] not in REQUIRED_ALERTS:
            continue
        alert, severity, when, threshold, for_ = cells
        lag = re.search(r'lag="(\w+)"', when)
        key = (alert, severity, lag.group(1) if lag else "", for_)
        rows.append((key, re.findall(r"`([^`]+)`", threshold)))
    return rows


def normalise(expr: str) -> str:
    return " ".join(expr.split())


# --- the real tools -------------------------------------------------------------------------


def test_promtool_check_rules() -> None:
    result = run_tool([require_tool("promtool"), "check", "rules", str(RULES)], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_test_rules() -> None:
    assert RULE_TESTS, "no alerts/tests/*.yml"
    result = run_tool([require_tool("promtool"), "test", "rules", *map(str, RULE_TESTS)], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS), result.stdout


# --- the generator ---------------------------------------------------------------------------


def test_committed_rules_equal_generator_output() -> None:
    assert RULES.read_text(encoding="utf-8") == gen.render(), "stale: run make rules"


def run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    script = str(ROOT / "alerts" / "generate.py")
    return subprocess.run(
        [sys.executable, script, *args], capture_output=True, text=True, check=False
    )


def test_check_flag_fails_on_a_stale_file(tmp_path: Path) -> None:
    out = str(tmp_path / "rules.yml")
    assert run_generator("--out", out).returncode == 0
    assert run_generator("--check", "--out", out).returncode == 0
    changed = run_generator("--check", "--out", out, "--group-labels", "cluster,region")
    assert changed.returncode == 1
    assert changed.stderr.strip() == f"{out} is stale: run make rules"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("cluster,instance", "'instance' is a label the metrics or rules already use"),
        ("region,region", "a group label is given twice: region,region"),
        ("dc-name", "'dc-name' is not a Prometheus label name"),
        ("__meta_x", "'__meta_x' is not a Prometheus label name"),
    ],
)
def test_bad_group_labels_exit_2_with_one_line(tmp_path: Path, value: str, reason: str) -> None:
    result = run_generator("--group-labels", value, "--out", str(tmp_path / "rules.yml"))
    assert result.returncode == 2
    assert result.stderr == f"generate.py: --group-labels: {reason}\n"
    assert not (tmp_path / "rules.yml").exists()


def test_runbook_url_takes_placeholders_and_an_unknown_one_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "rules.yml"
    result = run_generator("--runbook-url", "https://{exporter}/rb/", "--out", str(out))
    assert result.returncode == 0, result.stderr
    (url, *_) = (r["annotations"]["runbook_url"] for r in load_yaml(out)["groups"][1]["rules"])
    assert url.startswith("https://{{ with printf ")
    assert url.endswith("{{ end }}/rb/RedisDown.md")
    bad = run_generator("--runbook-url", "https://wiki/{alert}/", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2
    assert bad.stderr.startswith("generate.py: --runbook-url: unknown placeholder {alert}")
    assert bad.stderr.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_reserved_labels_cover_every_catalogued_label() -> None:
    catalogued_labels = {label for spec in BY_NAME.values() for label in spec.labels}
    assert catalogued_labels | {"job", "instance"} <= gen.RESERVED_LABELS


@pytest.mark.parametrize("labels", [(), ("cluster",), ("region", "cluster")])
def test_text_reads_back_as_the_rule_data(labels: tuple[str, ...]) -> None:
    """The hand-rolled YAML writer (it keeps the comments) says what the data says."""
    assert yaml.safe_load(gen.render(labels)) == gen.rule_file(labels)


def test_unknown_placeholder_is_an_error() -> None:
    with pytest.raises(KeyError, match="groups"):
        gen.expand("max by ({groups}) (x)", ("cluster",))
    assert gen.expand('x{a="b"} and {{ . }}', ("cluster",)) == 'x{a="b"} and {{ . }}'


def label_lists(expr: str) -> list[set[str]]:
    """The label sets of every ``by (...)``, ``on (...)`` of an expression."""
    return [
        {label.strip() for label in match.group(1).split(",") if label.strip()}
        for match in re.finditer(r"\b(?:by|on)\s*\(([^()]*)\)", _STRING.sub('""', expr))
    ]


@pytest.mark.parametrize("labels", [("cluster",), ("region", "cluster")])
def test_every_grouping_keeps_the_deployment_labels(labels: tuple[str, ...]) -> None:
    data = gen.rule_file(labels)  # the default runbook base reads up by deployment too
    checked = 0
    for group in data["groups"]:
        for rule in group["rules"]:
            for found in label_lists(rule["expr"]):
                if found & IDENTITY:
                    assert set(labels) <= found, (rule.get("alert") or rule["record"], found)
                    checked += 1
            for text in rule.get("annotations", {}).values():
                for call in re.findall(r'printf "([^"\\]*(?:\\.[^"\\]*)*)"([^|}]*)\|', text):
                    selector, args = call
                    for label in labels:
                        assert f"{label}=%q" in selector, (rule["alert"], selector)
                        assert f"$labels.{label}" in args.split(), (rule["alert"], args)
                    verbs = len(re.findall("%[qs]", selector))
                    assert verbs == len(args.split()), (rule["alert"], call)
                if "$labels.master_name" in text or "$labels.instance" in text:
                    for label in labels:
                        assert f"with $labels.{label} }}}}" in text, (rule["alert"], text)
    assert checked > 40


def test_every_target_grouping_keeps_the_host() -> None:
    """Every host's exporter of the seeds reads ``localhost:6379``: a grouping or join over
    ``addr`` must keep ``instance`` (and ``job``), or three hosts become one series."""
    checked = 0
    for rule in all_rules():
        for found in label_lists(rule["expr"]):
            if "addr" in found:
                assert {"job", "instance"} <= found, (rule.get("alert") or rule["record"], found)
                checked += 1
    assert checked > 15


def test_no_group_labels_is_plain_master_name_grouping() -> None:
    text = gen.render(())
    assert "cluster" not in text
    assert "by (master_name)" in text
    assert "on (job, instance, addr)" in text


def test_promtool_accepts_rules_for_other_labels_and_runbooks(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    result = run_generator(
        "--group-labels", "region,cluster", "--runbook-url", "https://wiki.example/rb/",
        "--out", str(path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    checked = run_tool([require_tool("promtool"), "check", "rules", str(path)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    urls = {r["annotations"]["runbook_url"] for r in load_yaml(path)["groups"][1]["rules"]}
    assert urls == {f"https://wiki.example/rb/{name}.md" for name in ("RedisDown",
        "RedisExporterDown", "RedisNoMaster", "RedisTooManyMasters", "Watchdog")}  # fmt: skip
    assert "by (region, cluster, master_name)" in path.read_text(encoding="utf-8")


def test_deployment_cases_name_their_deployment() -> None:
    """In alerts/tests/deployments.yml every expected alert carries its deployment label."""
    path = ROOT / "alerts" / "tests" / "deployments.yml"
    cases = [case for p, _, case in rule_test_cases() if p == path]
    fired = [alert for case in cases for alert in case["exp_alerts"]]
    assert fired
    for alert in fired:
        assert alert["exp_labels"].get("cluster") in {"dc1", "dc2"}, alert
        assert f"in cluster {alert['exp_labels']['cluster']}" in alert["exp_annotations"]["summary"]
    # Both deployments page for something, and a healthy evaluation is quiet for every alert.
    assert {alert["exp_labels"]["cluster"] for alert in fired} == {"dc1", "dc2"}
    quiet = {case["alertname"] for case in cases if case["eval_time"] == "9m"}
    # The rest of the host is per server: alerts/tests/instance.yml has its two deployments.
    assert quiet == set(REQUIRED_ALERTS) - set(INSTANCE_ALERTS) - ALWAYS_FIRING
    assert all(not case["exp_alerts"] for case in cases if case["eval_time"] == "9m")


# --- the rules file -------------------------------------------------------------------------


def test_extractor_finds_metrics_not_functions_labels_or_strings() -> None:
    expr = (
        'max by (master_name) (increase(redis_a_total{event="+tilt", x=~"b(c)"}[10m])) > 0 '
        'or on (job) group_left (master_name) label_replace(foo:bar:baz, "d", "$1", "e", "(.+)")'
        " unless x_bucket offset 5m and bool_thing < bool 3"
    )
    assert metric_names(expr) == {"redis_a_total", "foo:bar:baz", "x_bucket", "bool_thing"}
    assert selector_labels(expr) == [("redis_a_total", {"event", "x"})]


def test_rules_file_is_plain_yaml_that_can_be_rewritten(tmp_path: Path) -> None:
    """The end-to-end test shortens every ``for:`` with PyYAML: that must still be valid."""
    tokens = yaml.scan(RULES.read_text(encoding="utf-8"))
    assert not [t for t in tokens if isinstance(t, yaml.AnchorToken | yaml.AliasToken)]
    data = load_yaml(RULES)
    changed = 0
    for group in data["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = "1s"
                changed += 1
    assert changed == len(alert_rules())
    rewritten = tmp_path / "rules.yml"
    rewritten.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = run_tool([require_tool("promtool"), "check", "rules", str(rewritten)], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", REQUIRED_ALERTS)
def test_required_alert_exists(name: str) -> None:
    assert name in {rule["alert"] for rule in alert_rules()}


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: f"{r['alert']}-{r['labels']}")
def test_alert_labels_and_annotations(rule: Rule) -> None:
    assert rule["labels"]["severity"] in SEVERITIES
    annotations = rule["annotations"]
    assert set(annotations) >= {"summary", "description", "runbook_url"}
    assert annotations["summary"].strip()
    # the description shows the values that matter: a label or the value, not only prose
    assert re.search(r"\{\{.*(\$value|\$labels\.).*\}\}", annotations["description"], re.S)
    # http://<a live exporter, chosen by Prometheus>/runbooks/<alert>.md, which it serves
    url = annotations["runbook_url"]
    assert url.startswith('http://{{ with printf "up{job=\\"redis_exporter\\",cluster=%q} == 1"')
    assert url.endswith(f"{{{{ end }}}}/runbooks/{rule['alert']}.md")
    assert f"{rule['alert']}.md" in SERVED_RUNBOOKS
    parse_duration(rule.get("for", "0s"))


def test_alert_names_are_only_the_required_ones() -> None:
    assert {rule["alert"] for rule in alert_rules()} == set(REQUIRED_ALERTS)


def test_only_lost_writes_split_brain_and_no_failover_page() -> None:
    """Critical (the pager) only for symptoms of lost writes or split brain, or when nothing
    could fail the master over; everything else is a ticket."""
    paging = {rule["alert"] for rule in alert_rules() if rule["labels"]["severity"] == "critical"}
    assert paging == CRITICAL
    quorum = {r["labels"]["severity"]: r["expr"] for r in alert_rules()
              if r["alert"] == "RedisSentinelQuorumAtRisk"}  # fmt: skip
    # Critical only when no Sentinel at all can reach the quorum: one cut off is a ticket.
    assert normalise(quorum["critical"]).startswith(
        "max by (cluster, master_name) (redis_sentinel_master_ckquorum_ok) == 0"
    )
    (watchdog,) = [r for r in alert_rules() if r["alert"] == "Watchdog"]
    assert (watchdog["expr"], watchdog["labels"]) == ("vector(1)", {"severity": "none"})


def test_rules_with_one_name_differ_in_labels() -> None:
    """Two rules of one alert (bytes/seconds, critical/warning) must not yield equal label sets."""
    seen = Counter((rule["alert"], tuple(sorted(rule["labels"].items()))) for rule in alert_rules())
    assert [key for key, n in seen.items() if n > 1] == []


def test_recording_rule_names_follow_convention() -> None:
    for name in recorded_names():
        assert re.fullmatch(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", name), name
        assert catalogued(name) is None


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.get("alert") or r["record"])
def test_expressions_read_only_catalogued_metrics(rule: Rule) -> None:
    names = metric_names(rule["expr"])
    assert names or rule.get("alert") in ALWAYS_FIRING, rule["expr"]
    unknown = {
        n
        for n in names
        if catalogued(n) is None and n not in recorded_names() and n not in PROMETHEUS_METRICS
    }
    assert unknown == set()


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.get("alert") or r["record"])
def test_selectors_use_catalogued_labels(rule: Rule) -> None:
    for metric, labels in selector_labels(rule["expr"]):
        base = catalogued(metric)
        if base is None:
            continue
        allowed = set(BY_NAME[base].labels) | {"job", "instance"}
        if BY_NAME[base].kind is Kind.HISTOGRAM:
            allowed.add("le")
        assert labels <= allowed, (metric, labels - allowed)


def test_recording_rules_are_defined_before_use() -> None:
    """Inside a group, a rule may only use recordings made earlier (same evaluation)."""
    defined: set[str] = set()
    for group in load_yaml(RULES)["groups"]:
        for rule in group["rules"]:
            used = metric_names(rule["expr"]) & recorded_names()
            assert used <= defined, (rule.get("alert") or rule["record"], used - defined)
            if "record" in rule:
                defined.add(rule["record"])


def test_aggregation_never_sums() -> None:
    """Every Sentinel reports the same fact: alerts aggregate with max/min/count, never sum."""
    for rule in all_rules():
        assert not re.search(r"\bsum\b", rule["expr"]), rule.get("alert") or rule["record"]


# --- promtool test coverage -----------------------------------------------------------------


@pytest.mark.parametrize("name", REQUIRED_ALERTS)
def test_every_alert_has_a_firing_and_a_quiet_case(name: str) -> None:
    cases = [case for _, _, case in rule_test_cases() if case["alertname"] == name]
    firing = [case for case in cases if case.get("exp_alerts")]
    quiet = [case for case in cases if not case.get("exp_alerts")]
    assert firing, f"{name}: no case where it fires"
    assert quiet or name in ALWAYS_FIRING, f"{name}: no case where it must not fire"
    severities = {rule["labels"]["severity"] for rule in alert_rules() if rule["alert"] == name}
    for case in firing:
        for alert in case["exp_alerts"]:
            assert alert["exp_labels"]["severity"] in severities
            assert set(alert["exp_annotations"]) == {"summary", "description", "runbook_url"}
            url = EXPANDED_RUNBOOK_URL.fullmatch(alert["exp_annotations"]["runbook_url"])
            assert url, alert["exp_annotations"]["runbook_url"]
            assert url["alert"] == name


def test_every_severity_variant_is_proven_firing() -> None:
    fired = {
        (case["alertname"], alert["exp_labels"]["severity"], alert["exp_labels"].get("lag"))
        for _, _, case in rule_test_cases()
        for alert in case.get("exp_alerts") or []
    }
    for rule in alert_rules():
        key = (rule["alert"], rule["labels"]["severity"], rule["labels"].get("lag"))
        assert key in fired, key


def test_healthy_topology_is_complete_and_quiet() -> None:
    healthy = load_yaml(ROOT / "alerts" / "tests" / "healthy.yml")
    series = [s["series"] for group in healthy["tests"] for s in group["input_series"]]
    names = {re.match(r"[\w:]+", s).group(0) for s in series}  # type: ignore[union-attr]
    # The rest of the host (the "instance" group) enters this fixture with the rules that read it.
    read = {n for rule in all_rules() for n in metric_names(rule["expr"])}
    ha = {n for n, spec in BY_NAME.items() if spec.group != "instance" or n in read}
    missing = {n for n in ha if n not in names} - AFTER_EVENTS_ONLY
    assert missing == set()
    instances = {m for s in series for m in re.findall(r'instance="([^"]+)"', s)}
    assert len(instances) == 3
    masters = [s for s in series if s.startswith("redis_instance_info") and 'role="master"' in s]
    assert len(masters) == 1
    quiet = {
        case["alertname"]
        for group in healthy["tests"]
        for case in group["alert_rule_test"]
        if not case["exp_alerts"]
    }
    assert quiet == set(REQUIRED_ALERTS) - ALWAYS_FIRING


def test_completed_failover_settles_quietly() -> None:
    path = ROOT / "alerts" / "tests" / "failover.yml"
    # Quiet means something only where the alert's input is there: the failover feeds every
    # metric a rule reads (the instance alerts' too), through the kill and the restart.
    series = [s["series"] for group in load_yaml(path)["tests"] for s in group["input_series"]]
    fed = {re.match(r"[\w:]+", s).group(0) for s in series}  # type: ignore[union-attr]
    read = {n for rule in all_rules() for n in metric_names(rule["expr"])}
    assert read - fed - recorded_names() - PROMETHEUS_METRICS == set()
    cases = [case for p, _, case in rule_test_cases() if p == path]
    last = max(parse_duration(case["eval_time"]) for case in cases)
    settled = {
        case["alertname"]
        for case in cases
        if parse_duration(case["eval_time"]) == last and not case["exp_alerts"]
    }
    assert settled >= QUIET_AFTER_FAILOVER
    assert [c for c in cases if c["alertname"] == "RedisSentinelFailover" and c["exp_alerts"]]


# --- runbooks and docs ----------------------------------------------------------------------


def test_runbooks_match_alerts() -> None:
    assert {p.stem for p in RUNBOOKS.glob("*.md")} == set(REQUIRED_ALERTS)


@pytest.mark.parametrize("name", REQUIRED_ALERTS)
def test_runbook_sections(name: str) -> None:
    text = (RUNBOOKS / f"{name}.md").read_text(encoding="utf-8")
    assert text.startswith(f"# {name}\n")
    for heading in ("## What it means", "## How to confirm", "## What to do"):
        assert heading in text, heading
    confirm = text.split("## How to confirm", 1)[1].split("## What to do", 1)[0]
    assert "redis-cli" in confirm or "curl" in confirm
    assert " -a " not in text, "no passwords on the command line"
    todo, dont = text.split("## What to do", 1)[1].split("## What not to do\n", 1)
    assert dont.strip(), "what not to do"
    # Decision points: what to do depends on what the confirmation showed.
    assert re.search(r"\*\*[^*]+\*\*|\bIf\b", todo), "decision points"
    severities = {r["labels"]["severity"] for r in alert_rules() if r["alert"] == name}
    (line,) = [line for line in text.splitlines() if line.startswith("**Severity:**")]
    assert {w for w in SEVERITIES if re.search(rf"\b{w}\b", line)} == severities, line


@pytest.mark.parametrize("name", REQUIRED_ALERTS)
def test_runbook_resets_are_one_sentinel_at_a_time(name: str) -> None:
    """``SENTINEL RESET`` makes a Sentinel forget its peers and replicas until it hears from
    them again: every runbook step that resets says to do it 30 seconds apart."""
    text = (RUNBOOKS / f"{name}.md").read_text(encoding="utf-8")
    todo = text.split("## What to do", 1)[1].split("## What not to do", 1)[0]
    if re.search(r"sentinel (reset|remove|monitor)", todo, re.IGNORECASE):
        assert "30 seconds apart" in " ".join(todo.split()), name


def test_no_master_runbook_cannot_cause_split_brain() -> None:
    """After a manual promotion, RESET keeps the old master's address: when it returns, clients
    are sent to its stale data. The runbook re-creates the group on the new master instead."""
    text = (RUNBOOKS / "RedisNoMaster.md").read_text(encoding="utf-8")
    todo, dont = text.split("## What to do", 1)[1].split("## What not to do", 1)
    assert not re.search(r"sentinel reset", todo, re.IGNORECASE)
    remove = todo.index("sentinel remove app-cache")
    assert remove < todo.index("sentinel monitor app-cache <new> 6379 2")
    assert todo.index("replicaof no one") < remove
    assert "SENTINEL RESET" in dont


@pytest.mark.parametrize("name", ["RedisNoMaster", "RedisSentinelMasterODown", "RedisDown"])
def test_a_master_without_persistence_is_not_restarted(name: str) -> None:
    """A master restarted without persistence comes back empty and still the master: its
    replicas copy the empty data set. The runbooks that restart a down master say so."""
    text = (RUNBOOKS / f"{name}.md").read_text(encoding="utf-8")
    todo, dont = text.split("## What to do", 1)[1].split("## What not to do", 1)
    restart = todo.index("systemctl restart redis-server")
    assert "persistence" in todo[max(0, restart - 400) : restart + 600], name
    assert re.search(r"without persistence", " ".join(dont.split())), name


def test_docs_thresholds_table_matches_rules() -> None:
    rows = docs_threshold_rows()
    documented = Counter(key for key, _ in rows)
    rules = {
        (r["alert"], r["labels"]["severity"], r["labels"].get("lag", ""), r.get("for", "0s")): r
        for r in alert_rules()
    }
    assert len(rules) == len(alert_rules()), "alert, severity, lag and for: identify a rule"
    assert documented == Counter(rules.keys())
    for key, fragments in rows:
        expr = normalise(rules[key]["expr"])
        for fragment in fragments:
            assert fragment in expr, (key, fragment)


def test_docs_list_every_recording_rule() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name in recorded_names():
        assert f"`{name}`" in text, name
