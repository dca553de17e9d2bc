"""The queries inside the generated dashboards, for the structure and live tests.

:func:`panel_queries` lists every query of a dashboard (panel targets, annotations, query
variables) with its variables substituted; :func:`default_variables` gives every variable its
``All`` value; :func:`failover_only_titles` and :func:`alert_only_titles` name the panels the
generator marks as legitimately empty (their descriptions end with the generator's
``FAILOVER_NOTE`` / ``ALERT_NOTE``). For the live tests, :func:`emptiness` says why a query shows
nothing in a real Prometheus, :func:`eventually_nothing` retries a survey of them, and
:func:`use_like_an_application` gives a fresh topology what the "Redis instance" dashboard shows.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from harness.process import wait_for
from harness.stack import Prometheus, StackError
from harness.topology import Topology
from support import load_dashboard_generator

JSON = dict[str, Any]

gen = load_dashboard_generator()

#: The committed dashboards.
DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"


def committed_boards() -> dict[str, dict[str, Any]]:
    """The committed dashboards, parsed, by file name."""
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(DASHBOARDS.glob("*.json"))
    }


#: Values used by :func:`panel_queries` for Grafana's built-in interval variables.
BUILTIN_DEFAULTS: dict[str, str] = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "1h",
    "__range_s": "3600",
}


VARIABLE_RE = re.compile(
    r"\$\{(?P<braced>\w+)(?::[^}]*)?\}|\[\[(?P<old>\w+)(?::[^\]]*)?\]\]|\$(?P<plain>\w+)"
)
LABEL_VALUES_RE = re.compile(r"^\s*label_values\((?P<expr>.*),\s*(?P<label>\w+)\s*\)\s*$")


def referenced_variables(text: str) -> set[str]:
    """Names of the variables in ``text``: ``$x``, ``${x}``, ``${x:regex}``, ``[[x]]``."""
    return {next(g for g in m.groups() if g) for m in VARIABLE_RE.finditer(text)}


def substitute(text: str, variables: Mapping[str, str]) -> str:
    """Replace every variable reference in ``text``; built-in intervals have defaults.

    Raises ``KeyError`` naming a variable that has no value.
    """
    values = {**BUILTIN_DEFAULTS, **variables}

    def value(match: re.Match[str]) -> str:
        name = next(g for g in match.groups() if g)
        if name not in values:
            raise KeyError(f"no value for variable ${name} in {text!r}")
        return values[name]

    return VARIABLE_RE.sub(value, text)


def iter_panels(board: Mapping[str, Any]) -> Iterator[JSON]:
    """Every panel of a dashboard, rows and the panels of collapsed rows included."""
    for item in board.get("panels", []):
        yield item
        yield from item.get("panels", [])


def variable_selector(variable: Mapping[str, Any]) -> str:
    """The PromQL series selector behind ``label_values(selector, label)``."""
    query = variable["query"]
    text = query if isinstance(query, str) else query["query"]
    match = LABEL_VALUES_RE.match(text)
    if match is None:
        raise ValueError(f"variable {variable['name']}: not a label_values() query: {text!r}")
    return match["expr"]


def raw_queries(board: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(title, expr)`` for every panel target, annotation and query variable, unsubstituted.

    Annotations are titled ``annotation: NAME`` and variables ``variable: NAME``.
    """
    found: list[tuple[str, str]] = [
        (str(p["title"]), str(t["expr"]))
        for p in iter_panels(board)
        for t in p.get("targets", [])
        if "expr" in t
    ]
    found += [
        (f"annotation: {a['name']}", str(a["expr"]))
        for a in board.get("annotations", {}).get("list", [])
        if "expr" in a
    ]
    found += [
        (f"variable: {v['name']}", variable_selector(v))
        for v in board.get("templating", {}).get("list", [])
        if v.get("type") == "query"
    ]
    return found


def panel_queries(
    dashboard: Mapping[str, Any], variables: Mapping[str, str]
) -> list[tuple[str, str]]:
    """``(panel title, PromQL)`` for every target, annotation and variable of ``dashboard``.

    ``$x``, ``${x}``, ``${x:fmt}`` and ``[[x]]`` are replaced from ``variables``;
    ``$__rate_interval``, ``$__interval``, ``$__range`` and ``$__range_s`` default to
    :data:`BUILTIN_DEFAULTS` unless ``variables`` sets them (keys without ``$``).
    Start from :func:`default_variables` to get the ``All`` value of every variable.
    """
    return [(title, substitute(expr, variables)) for title, expr in raw_queries(dashboard)]


def default_variables(dashboard: Mapping[str, Any]) -> dict[str, str]:
    """Every query variable set to its ``All`` value (a regex matching everything)."""
    return {
        str(v["name"]): str(v.get("allValue") or ".*")
        for v in dashboard.get("templating", {}).get("list", [])
        if v.get("type") == "query"
    }


def _titles_with(board: Mapping[str, Any], note: str) -> set[str]:
    return {
        str(p["title"]) for p in iter_panels(board) if str(p.get("description", "")).endswith(note)
    }


def failover_only_titles(dashboard: Mapping[str, Any]) -> set[str]:
    """Panels that may be empty until a failover happened (evaluate them after one).

    The failover annotation (``annotation: Failovers``) is also failover-only.
    """
    annotations = {
        f"annotation: {a['name']}" for a in dashboard.get("annotations", {}).get("list", [])
    }
    return _titles_with(dashboard, gen.FAILOVER_NOTE) | annotations


def alert_only_titles(dashboard: Mapping[str, Any]) -> set[str]:
    """Panels that are empty while no Redis alert fires."""
    return _titles_with(dashboard, gen.ALERT_NOTE)


# --------------------------------------------------------------------------------------
# Live: the queries in a real Prometheus
# --------------------------------------------------------------------------------------


def emptiness(prometheus: Prometheus, expr: str) -> str | None:
    """Why ``expr`` shows nothing (an error, no series, only NaN), or None when it has data."""
    try:
        data = prometheus.query_data(expr)
    except StackError as exc:
        return f"error: {exc}"
    result = data["result"]
    if data["resultType"] == "scalar":
        result = [{"value": result}]
    if not result:
        return "empty"
    if all(math.isnan(float(r["value"][1])) for r in result):
        return "only NaN"
    return None


def report(findings: Mapping[str, str]) -> str:
    """``{where: why}`` as a failure message."""
    return "panels without data:\n" + "\n".join(
        f"{why}: {where}" for where, why in findings.items()
    )


def eventually_nothing(find: Callable[[], dict[str, str]], timeout: float) -> dict[str, str]:
    """Call ``find`` (a survey: ``{where: what is wrong}``) until it finds nothing (rates need
    two samples in their window) or ``timeout``; returns its last findings."""
    last: dict[str, str] = {}

    def nothing() -> bool:
        nonlocal last
        last = find()
        return not last

    with contextlib.suppress(AssertionError):
        wait_for(nothing, timeout=timeout, interval=1.0)
    return last


#: Keys :func:`use_like_an_application` writes to each group's master; every other one has a TTL.
APPLICATION_KEYS = 20
#: The maxmemory it sets on every Redis server: far above what the tests store.
APPLICATION_MAXMEMORY = "256mb"


def use_like_an_application(topology: Topology) -> None:
    """What a fresh test topology lacks and production has, for the "Redis instance" panels:
    a ``maxmemory`` on every Redis server, keys (half of them with a TTL of an hour) written to
    each group's master and replicated, and on every server a lookup that hits and one that
    misses. Call it once Prometheus scrapes the topology: the hit ratio counts the lookups made
    inside its range."""
    for node in topology.redis:
        with node.client() as client:
            client.config_set("maxmemory", APPLICATION_MAXMEMORY)
    for group in topology.groups:
        with topology.master_of_group(group).client() as client:
            for i in range(APPLICATION_KEYS):
                client.set(f"app:{i}", "v", ex=3600 if i % 2 else None)

    def replicated() -> bool:
        for node in topology.redis:
            with node.client() as client:
                if client.dbsize() != APPLICATION_KEYS:
                    return False
        return True

    wait_for(replicated, timeout=30)
    for node in topology.redis:
        with node.client() as client:
            client.get("app:0")
            client.get("app:no-such-key")
