"""A real Prometheus and a real Alertmanager, and a webhook that listens: for the end-to-end
tests and ``make demo``.

Everything runs on free loopback ports in a scratch directory and is torn down (``SIGTERM``,
then ``SIGKILL``) even when the test failed::

    example = yaml.safe_load(ALERTMANAGER_EXAMPLE.read_text())
    with WebhookReceiver() as hook, \\
            run_alertmanager(tmp / "am", repoint_webhooks(example, hook.url)) as am, \\
            run_prometheus(tmp / "prom", [static_job("redis_exporter", targets)],
                           rule_files=[rules], alertmanagers=[am.address]) as prom:
        prom.query('up{job="redis_exporter"}')        # [(labels, value), ...]
        hook.alerts("RedisSentinelMasterODown")      # [(notification, alert), ...]

:func:`host_exporters` starts one exporter per host of a loopback topology, and
:func:`wait_settled` waits until Prometheus sees them all healthy and has evaluated the rules;
tests/e2e/test_oncall_e2e.py puts the same together on network-namespace hosts.

The config builders (:func:`prometheus_config`, :func:`static_job`, :func:`labelled_job`,
:func:`http_sd_job`, :func:`sd_through_exporter_job`, :func:`federate_job`, :func:`shorten_for`,
:func:`repoint_webhooks`) are pure: dicts in, dicts out.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import re
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from harness.exporter import ExporterProcess, run_exporter
from harness.process import (
    HOST,
    HarnessError,
    binary,
    free_port,
    http_get,
    spawn,
    terminate,
    wait_for,
    wait_ready,
)
from harness.topology import Node, Topology

JSON = dict[str, Any]
Sample = tuple[dict[str, str], float]

#: Scrape and rule evaluation interval of the test Prometheus.
INTERVAL = "1s"
#: The seeds' (and our rules' and dashboards') scrape job.
JOB = "redis_exporter"
#: The repository this harness lives in (it is not installed anywhere else).
REPO = Path(__file__).resolve().parents[1]
#: The shipped alert rules and Alertmanager example.
RULES = REPO / "alerts" / "redis-ha.rules.yml"
ALERTMANAGER_EXAMPLE = REPO / "alerts" / "alertmanager.example.yml"
#: What a global Prometheus federates from a per-deployment one to evaluate the rules and serve
#: the dashboards: the exporters' series and their ``up``, not the recordings or ALERTS the leaf
#: makes itself (the global makes its own, with the same labels; see docs/alerts.md).
FEDERATE_MATCH = f'{{job="{JOB}",__name__=~"redis_.*|up"}}'


class StackError(HarnessError):
    """A Prometheus or Alertmanager API call failed."""


# --------------------------------------------------------------------------------------
# Durations and rule files (pure)
# --------------------------------------------------------------------------------------

DURATION_RE = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
    "y": 31536000.0,
}


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration: ``"1m"`` -> 60.0, ``"1h30m"`` -> 5400.0, ``"0s"`` -> 0.

    Raises ``ValueError`` on anything else (``"1.5m"``, ``"-1s"``, ``""``).
    """
    parts = DURATION_RE.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(n) * UNIT_SECONDS[u] for n, u in parts)


def format_duration(seconds: float) -> str:
    """A Prometheus duration for ``seconds``, whole milliseconds: 2.0 -> ``"2s"``, 0.5 ->
    ``"500ms"``."""
    millis = round(seconds * 1000)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def shorten_for(
    rules: Mapping[str, Any],
    factor: float,
    minimum: float = 1.0,
    overrides: Mapping[str, str] | None = None,
) -> JSON:
    """A copy of a rule file (parsed YAML) with every non-zero ``for:`` divided by ``factor``
    (at least ``minimum`` seconds); ``for: 0s`` stays 0s. ``overrides`` maps an alert name to
    the ``for:`` it gets instead (every rule of that name). Input::

        {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "...", "for": "1m"}]}]}
    """
    out: JSON = copy.deepcopy(dict(rules))
    overrides = overrides or {}
    for group in out["groups"]:
        for rule in group["rules"]:
            name = rule.get("alert")
            if name in overrides:
                rule["for"] = overrides[name]
            elif "for" in rule:
                seconds = parse_duration(str(rule["for"]))
                if seconds > 0:
                    rule["for"] = format_duration(max(seconds / factor, minimum))
    return out


def alert_for(rules: Mapping[str, Any]) -> dict[str, set[str]]:
    """``{alert name: {for: values}}`` of a parsed rule file (a name may have several rules)."""
    found: dict[str, set[str]] = {}
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                found.setdefault(rule["alert"], set()).add(str(rule.get("for", "0s")))
    return found


# --------------------------------------------------------------------------------------
# Configuration builders (pure)
# --------------------------------------------------------------------------------------


def static_job(job: str, targets: Sequence[str], **extra: Any) -> JSON:
    """A scrape config with one static target group."""
    return {"job_name": job, "static_configs": [{"targets": list(targets)}], **extra}


def labelled_job(job: str, groups: Sequence[tuple[Mapping[str, str], Sequence[str]]]) -> JSON:
    """A scrape config with one static target group per ``(labels, targets)``: how a deployment
    label goes on every target of a deployment, e.g. ``[({"cluster": "dc1"}, [...]), ...]``."""
    return {
        "job_name": job,
        "static_configs": [
            {"targets": list(targets), "labels": dict(labels)} for labels, targets in groups
        ],
    }


def federate_job(job: str, prometheus: Sequence[str], match: str = FEDERATE_MATCH) -> JSON:
    """Federate the series ``match`` selects from the Prometheus servers at ``host:port``,
    keeping their labels (``honor_labels``: ``job``, ``instance`` and the leaves'
    ``external_labels`` stay what they were) but not their timestamps: Prometheus marks a
    series stale when it leaves a scrape only if it came without a timestamp (before 2.48's
    ``track_timestamps_staleness``), so with the leaves' timestamps an old master's series would
    linger for five minutes after a failover and page split brain."""
    return {
        "job_name": job,
        "honor_labels": True,
        "honor_timestamps": False,
        "metrics_path": "/federate",
        "params": {"match[]": [match]},
        "static_configs": [{"targets": list(prometheus)}],
    }


def http_sd_job(
    job: str, exporter: str, refresh: str = "2s", labels: Mapping[str, str] | None = None
) -> JSON:
    """Discover targets from ``http://EXPORTER/sd`` and scrape each one through
    ``http://EXPORTER/scrape?target=<address>`` (the multi-target pattern of
    ``redis_ha_exporter.discovery``); ``instance`` becomes the Redis or Sentinel address.
    ``labels`` (a deployment's ``{"cluster": "dc1"}``) go on every discovered target."""
    return {
        "job_name": job,
        "http_sd_configs": [{"url": f"http://{exporter}/sd", "refresh_interval": refresh}],
        "metrics_path": "/scrape",
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": exporter},
            {"source_labels": ["__meta_redis_master_name"], "target_label": "redis_group"},
            {"source_labels": ["__meta_redis_role"], "target_label": "redis_role"},
            *({"target_label": k, "replacement": v} for k, v in (labels or {}).items()),
        ],
    }


def sd_through_exporter_job(job: str, exporter: str, refresh: str = "2s") -> JSON:
    """Discover targets from ``http://EXPORTER/sd?targets=exporter``, which lists each address
    as a target of the exporter's ``/scrape`` with its profile: no relabeling at all."""
    url = f"http://{exporter}/sd?targets=exporter"
    return {"job_name": job, "http_sd_configs": [{"url": url, "refresh_interval": refresh}]}


def prometheus_config(
    scrape_configs: Sequence[Mapping[str, Any]],
    *,
    rule_files: Sequence[Path] = (),
    alertmanagers: Sequence[str] = (),
    interval: str = INTERVAL,
    external_labels: Mapping[str, str] | None = None,
) -> JSON:
    """A prometheus.yml: global intervals and ``external_labels``, rule files, Alertmanagers
    (``host:port``) and jobs."""
    config: JSON = {
        "global": {
            "scrape_interval": interval,
            "scrape_timeout": interval,
            "evaluation_interval": interval,
            **({"external_labels": dict(external_labels)} if external_labels else {}),
        },
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [dict(c) for c in scrape_configs],
    }
    if alertmanagers:
        config["alerting"] = {
            "alertmanagers": [{"static_configs": [{"targets": list(alertmanagers)}]}]
        }
    return config


def repoint_webhooks(
    config: Mapping[str, Any],
    base_url: str,
    *,
    group_wait: str = "1s",
    group_interval: str = "1s",
    repeat_interval: str = "1h",
) -> JSON:
    """A copy of an Alertmanager config whose webhook URLs point at ``base_url`` (keeping each
    URL's path, so ``http://127.0.0.1:9095/pager`` becomes ``BASE_URL/pager``) and whose routes
    use the given timings. Routes, matchers, receivers and inhibitions are otherwise kept.

    A route that sets its own timing gets the test's timing, except ``repeat_interval``, which
    keeps the longer of both (the test wants no repeats).
    """
    out: JSON = copy.deepcopy(dict(config))
    for receiver in out.get("receivers", []):
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = base_url.rstrip("/") + (urllib.parse.urlsplit(hook["url"]).path or "/")
    repeat = parse_duration(repeat_interval)

    def retime(route: JSON, root: bool) -> None:
        if root or "group_wait" in route:
            route["group_wait"] = group_wait
        if root or "group_interval" in route:
            route["group_interval"] = group_interval
        if root or "repeat_interval" in route:
            own = parse_duration(str(route.get("repeat_interval", repeat_interval)))
            route["repeat_interval"] = format_duration(max(own, repeat))
        for child in route.get("routes", []):
            retime(child, False)

    retime(out["route"], True)
    return out


# --------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------


@dataclass
class Daemon:
    """A started Prometheus or Alertmanager on ``127.0.0.1:port``."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    workdir: Path

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        status, text = http_get(self.url + path + query, timeout=10)
        if status != 200:
            raise StackError(f"{self.name} GET {path}{query}: HTTP {status}: {text[:500]}")
        return json.loads(text)

    def wait_ready(self, timeout: float = 30.0) -> None:
        wait_ready(self.proc, self.url + "/-/ready", self.name, self.log_path, timeout=timeout)


class Prometheus(Daemon):
    """HTTP API helpers of a running Prometheus."""

    def api(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """``data`` of ``/api/v1/PATH``; raises :class:`StackError` unless status is success."""
        body = self.get_json("/api/v1/" + path, params)
        if body.get("status") != "success":
            raise StackError(f"/api/v1/{path} {params}: {body}")
        return body["data"]

    def query_data(self, expr: str, at: float | None = None) -> JSON:
        """``data`` of an instant query (``resultType`` and ``result``); raises on errors."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data: JSON = self.api("query", params)
        return data

    def query(self, expr: str, at: float | None = None) -> list[Sample]:
        """An instant query's samples as ``(labels, value)``; a scalar is one unlabelled
        sample."""
        data = self.query_data(expr, at)
        if data["resultType"] == "vector":
            return [(dict(r["metric"]), float(r["value"][1])) for r in data["result"]]
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        raise StackError(f"{expr}: unexpected result type {data['resultType']}")

    def targets(self) -> list[JSON]:
        """Active targets of ``/api/v1/targets``."""
        found: list[JSON] = self.api("targets", {"state": "active"})["activeTargets"]
        return found

    def rule_groups(self) -> list[JSON]:
        groups: list[JSON] = self.api("rules")["groups"]
        return groups

    def rules_evaluated_since(self, since: float) -> bool:
        """Whether every rule group has been evaluated after ``since`` (a Unix time)."""
        groups = self.rule_groups()
        return bool(groups) and all(rfc3339_time(g["lastEvaluation"]) > since for g in groups)

    def alerts(self) -> list[JSON]:
        """Pending and firing alerts (``/api/v1/alerts``)."""
        found: list[JSON] = self.api("alerts")["alerts"]
        return found


class Alertmanager(Daemon):
    """HTTP API helpers of a running Alertmanager."""

    def alerts(self) -> list[JSON]:
        """Alerts Alertmanager holds (``/api/v2/alerts``), active, silenced and inhibited;
        ``status.inhibitedBy`` names the fingerprints of the alerts that inhibit one."""
        found: list[JSON] = self.get_json("/api/v2/alerts")
        return found

    def post_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """Send alerts as Prometheus does (``POST /api/v2/alerts``): ``[{"labels": {...},
        "annotations": {...}}, ...]``, firing from now until ``resolve_timeout``."""
        body = json.dumps([dict(alert) for alert in alerts]).encode()
        request = urllib.request.Request(
            self.url + "/api/v2/alerts", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 200:
                raise StackError(f"{self.name} POST /api/v2/alerts: HTTP {response.status}")


def rfc3339_time(text: str) -> float:
    """Unix time of an RFC 3339 timestamp as Prometheus and Alertmanager write them:
    ``2024-05-01T12:00:01.123456789Z`` or ``2024-05-01T14:00:01+02:00`` (nanoseconds are cut
    to microseconds)."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    if match is None:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    stamp, fraction, zone = match.groups()
    zone = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(
        f"{stamp}.{(fraction or '0')[:6].ljust(6, '0')}{zone}"
    ).timestamp()


@contextlib.contextmanager
def _daemon(
    cls: type[Daemon], name: str, command: Sequence[str], port: int, workdir: Path
) -> Iterator[Daemon]:
    daemon = cls(name, spawn(command, workdir / f"{name}.log", cwd=workdir), port, workdir)
    try:
        daemon.wait_ready()
        yield daemon
    finally:
        terminate([daemon.proc])


@contextlib.contextmanager
def run_prometheus(
    workdir: Path,
    scrape_configs: Sequence[Mapping[str, Any]],
    *,
    rule_files: Sequence[Path] = (),
    alertmanagers: Sequence[str] = (),
    interval: str = INTERVAL,
    port: int | None = None,
    external_labels: Mapping[str, str] | None = None,
) -> Iterator[Prometheus]:
    """Debian's ``prometheus`` with a generated config and its TSDB in ``workdir``, on ``port``
    (default: a free one)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = prometheus_config(
        scrape_configs,
        rule_files=rule_files,
        alertmanagers=alertmanagers,
        interval=interval,
        external_labels=external_labels,
    )
    config_path = workdir / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    port = free_port() if port is None else port
    command = [
        binary("prometheus"),
        f"--config.file={config_path}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address={HOST}:{port}",
        "--log.level=warn",
    ]
    with _daemon(Prometheus, "prometheus", command, port, workdir) as daemon:
        assert isinstance(daemon, Prometheus)
        yield daemon


@contextlib.contextmanager
def run_alertmanager(
    workdir: Path, config: Mapping[str, Any], *, port: int | None = None
) -> Iterator[Alertmanager]:
    """Debian's ``prometheus-alertmanager`` with ``config``, clustering off, state in
    ``workdir``, on ``port`` (default: a free one)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "alertmanager.yml"
    config_path.write_text(yaml.safe_dump(dict(config), sort_keys=False))
    port = free_port() if port is None else port
    command = [
        binary("prometheus-alertmanager"),
        f"--config.file={config_path}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address={HOST}:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    with _daemon(Alertmanager, "alertmanager", command, port, workdir) as daemon:
        assert isinstance(daemon, Alertmanager)
        yield daemon


# --------------------------------------------------------------------------------------
# Webhook receiver
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    """One webhook POST from Alertmanager: the URL path it went to and its JSON body."""

    path: str
    payload: JSON
    received: float  # time.time() on arrival

    @property
    def status(self) -> str:
        return str(self.payload.get("status", ""))

    @property
    def alerts(self) -> list[JSON]:
        found: list[JSON] = self.payload.get("alerts", [])
        return found


class WebhookReceiver:
    """An HTTP server in a thread on a free loopback port that records every POST.

    A context manager; ``url`` is its base URL (any path is accepted and recorded)::

        with WebhookReceiver() as hook:
            hook.url                                  # "http://127.0.0.1:40111"
            hook.alerts("RedisSentinelMasterODown", status="firing")
    """

    def __init__(self, host: str = HOST) -> None:
        self._lock = threading.Lock()
        self._received: list[Notification] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"unparsable": body.decode(errors="replace")}
                receiver._record(Notification(self.path, payload, time.time()))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _record(self, notification: Notification) -> None:
        with self._lock:
            self._received.append(notification)

    def notifications(self) -> list[Notification]:
        """Everything received so far, oldest first."""
        with self._lock:
            return list(self._received)

    def alerts(
        self, alertname: str | None = None, status: str | None = None
    ) -> list[tuple[Notification, JSON]]:
        """``(notification, alert)`` for every alert in every notification so far, filtered by
        the alert's name and its own ``status`` (``firing`` / ``resolved``)."""
        return [
            (n, alert)
            for n in self.notifications()
            for alert in n.alerts
            if (alertname is None or alert["labels"].get("alertname") == alertname)
            and (status is None or alert.get("status") == status)
        ]


def describe_notifications(notifications: Sequence[Notification]) -> str:
    """One line per notification: ``/pager firing: RedisX=firing, ...``, for failure messages."""
    return "\n".join(
        f"{n.path} {n.status}: "
        + ", ".join(f"{a['labels'].get('alertname')}={a['status']}" for a in n.alerts)
        for n in notifications
    )


def example_alertmanager(webhook_url: str) -> JSON:
    """``alerts/alertmanager.example.yml`` delivering to ``webhook_url`` (paths kept), routes,
    grouping and inhibitions as shipped; ``group_wait`` 0 s and ``group_interval`` 1 s, so that
    an alert that lasts a few seconds (an odown on loopback) is sent before it resolves."""
    example = yaml.safe_load(ALERTMANAGER_EXAMPLE.read_text())
    return repoint_webhooks(
        example, webhook_url, group_wait="0s", group_interval="1s", repeat_interval="1h"
    )


# --------------------------------------------------------------------------------------
# The seeds' hosts, monitored: topology, one exporter per host, Prometheus
# --------------------------------------------------------------------------------------


def write_short_rules(
    workdir: Path, factor: float, overrides: Mapping[str, str] | None = None
) -> Path:
    """The shipped ``alerts/redis-ha.rules.yml`` with every ``for:`` shortened (see
    :func:`shorten_for`, minimum 1 s), written to ``workdir``."""
    rules = yaml.safe_load(RULES.read_text())
    path = workdir / "redis-ha.short.rules.yml"
    path.write_text(yaml.safe_dump(shorten_for(rules, factor, 1.0, overrides), sort_keys=False))
    return path


def host_exporter_args(topo: Topology, i: int) -> list[str]:
    """Host ``i`` as in the seeds: its Redis and its Sentinel."""
    return ["--redis.addr", topo.redis[i].uri, "--sentinel.addr", topo.sentinels[i].uri]


def wait_settled(prometheus: Prometheus, hosts: int, timeout: float = 60.0) -> None:
    """Prometheus scrapes every exporter, every Redis and Sentinel is up, every event stream is
    subscribed, and every rule group has been evaluated since."""

    def all_one(expr: str, count: int) -> bool:
        samples = prometheus.query(expr)
        assert len(samples) == count, f"{expr}: {samples}"
        return all(value == 1 for _, value in samples)

    wait_for(lambda: all_one(f'up{{job="{JOB}"}}', hosts), timeout=timeout)
    wait_for(lambda: all_one("redis_up", 2 * hosts), timeout=timeout)
    wait_for(lambda: all_one("redis_sentinel_event_stream_up", hosts), timeout=timeout)
    settled = time.time()
    wait_for(lambda: prometheus.rules_evaluated_since(settled + 1), timeout=timeout)


def event_stream_up(exporter: ExporterProcess, sentinel: Node) -> bool:
    return exporter.scrape().value("redis_sentinel_event_stream_up", addr=sentinel.addr) == 1


def host_exporters(
    stack: contextlib.ExitStack, topo: Topology, workdir: Path
) -> list[ExporterProcess]:
    """One exporter per host of ``topo`` (:func:`host_exporter_args`), started together, each
    healthy and subscribed to its Sentinel's events when this returns; ``stack`` stops them."""
    exporters = [
        stack.enter_context(run_exporter(host_exporter_args(topo, i), workdir, wait=False))
        for i in range(len(topo.sentinels))
    ]
    for exporter, sentinel in zip(exporters, topo.sentinels, strict=True):
        exporter.wait_healthy()
        wait_for(functools.partial(event_stream_up, exporter, sentinel), timeout=20)
    return exporters


def targets_of(exporters: Sequence[ExporterProcess]) -> list[str]:
    """The exporters as Prometheus targets, ``127.0.0.1:PORT``."""
    return [f"{HOST}:{e.port}" for e in exporters]


def wait_failover_calm(prometheus: Prometheus, sentinels: int, timeout: float = 30) -> None:
    """Wait until ``RedisSentinelFailoverStuck``'s look-back has seen every Sentinel's
    ``failover_in_progress`` at 0 (at most one 15 s subquery step on a fresh Prometheus):
    before that, a failover whose start it cannot see counts as in progress for an hour."""
    calm = "max_over_time(timestamp(redis_sentinel_master_failover_in_progress == 0)[1h:15s])"
    wait_for(lambda: len(prometheus.query(calm)) == sentinels, timeout=timeout)
