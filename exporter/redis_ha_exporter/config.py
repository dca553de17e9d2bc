"""Configuration: command-line flags, environment variables and the YAML file, strictly checked.

Precedence: a flag beats its environment variable, which beats the YAML file, which beats the
default. Targets are the union of ``--redis.addr``/``--sentinel.addr`` (or ``REDIS_ADDR``/
``SENTINEL_ADDR``, comma-separated) and the YAML ``redis:``/``sentinel:`` lists; the defaults
(``redis://localhost:6379`` and ``redis://localhost:26379``) apply only when neither names any.
An empty ``--sentinel.addr=`` turns the default Sentinel off (likewise for Redis).

Every problem raises :class:`ConfigError` with one line that names it; the CLI turns that into
exit status 2. No message ever contains a password.

YAML file (``--config.file``)::

    redis:
      - addr: redis://10.0.0.1:6379
        user: monitor
        password_file: /etc/redis-ha-exporter/redis.password
    sentinel:
      - addr: redis://10.0.0.1:26379
    scrape_timeout_seconds: 10
    scrape_endpoint: true
    max_sentinel_masters: 500
    events_ring_size: 256
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml

from redis_ha_exporter import __version__
from redis_ha_exporter.targets import Kind, Target, TargetError, parse_target
from redis_ha_exporter.webconfig import WebConfig, load_web_config

DEFAULT_REDIS = "redis://localhost:6379"
DEFAULT_SENTINEL = "redis://localhost:26379"


class ConfigError(ValueError):
    """A configuration problem, described in one line."""


@dataclass(frozen=True)
class Config:
    """Everything the exporter needs to run, validated."""

    targets: tuple[Target, ...]
    listen_host: str
    listen_port: int
    telemetry_path: str
    web: WebConfig | None
    scrape_timeout: float
    scrape_endpoint: bool
    max_sentinel_masters: int
    events_enabled: bool
    events_ring_size: int
    log_level: str
    log_format: str
    # Credentials applied to /scrape?target= URIs that carry none.
    redis_username: str | None = None
    redis_password: str | None = None
    sentinel_username: str | None = None
    sentinel_password: str | None = None


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line and exits with status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _env(name: str, environ: Mapping[str, str]) -> str | None:
    value = environ.get(name)
    return value if value not in (None, "") else None


def build_parser() -> argparse.ArgumentParser:
    """The command line; names follow redis_exporter and Prometheus conventions."""
    p = _Parser(
        prog="redis-ha-exporter",
        description="Prometheus exporter for Redis replication and Redis Sentinel.",
        allow_abbrev=False,
    )
    p.add_argument(
        "--redis.addr",
        dest="redis_addr",
        action="append",
        metavar="URI",
        help=f"Redis to scrape, repeatable [env REDIS_ADDR] (default {DEFAULT_REDIS})",
    )
    p.add_argument(
        "--sentinel.addr",
        dest="sentinel_addr",
        action="append",
        metavar="URI",
        help="Sentinel to scrape and subscribe to, repeatable [env SENTINEL_ADDR] "
        f"(default {DEFAULT_SENTINEL})",
    )
    p.add_argument("--redis.user", dest="redis_user", help="ACL user for Redis [env REDIS_USER]")
    p.add_argument(
        "--redis.password-file",
        dest="redis_password_file",
        metavar="PATH",
        help="file holding the Redis password [env REDIS_PASSWORD_FILE; or REDIS_PASSWORD]",
    )
    p.add_argument(
        "--sentinel.user", dest="sentinel_user", help="ACL user for Sentinel [env SENTINEL_USER]"
    )
    p.add_argument(
        "--sentinel.password-file",
        dest="sentinel_password_file",
        metavar="PATH",
        help="file holding the Sentinel password [env SENTINEL_PASSWORD_FILE; "
        "or SENTINEL_PASSWORD]",
    )
    p.add_argument(
        "--sentinel.max-masters",
        dest="max_sentinel_masters",
        type=int,
        metavar="N",
        help="export at most N monitored masters per Sentinel "
        "[env SENTINEL_MAX_MASTERS] (default 500)",
    )
    p.add_argument(
        "--sentinel.events",
        dest="events_enabled",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="subscribe to the Sentinel event stream (default on)",
    )
    p.add_argument(
        "--events.ring-size",
        dest="events_ring_size",
        type=int,
        metavar="N",
        help="events kept for /events per Sentinel (default 256)",
    )
    p.add_argument(
        "--web.listen-address",
        dest="listen_address",
        metavar="HOST:PORT",
        help="address to serve on [env WEB_LISTEN_ADDRESS] (default :9121)",
    )
    p.add_argument(
        "--web.telemetry-path",
        dest="telemetry_path",
        metavar="PATH",
        help="path for metrics [env WEB_TELEMETRY_PATH] (default /metrics)",
    )
    p.add_argument(
        "--web.config.file",
        dest="web_config_file",
        metavar="PATH",
        help="exporter-toolkit web config: TLS and basic auth [env WEB_CONFIG_FILE]",
    )
    p.add_argument(
        "--web.scrape-endpoint",
        dest="scrape_endpoint",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="serve /scrape?target=URI (default on)",
    )
    p.add_argument(
        "--scrape.timeout",
        dest="scrape_timeout",
        type=float,
        metavar="SECONDS",
        help="deadline when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds "
        "[env SCRAPE_TIMEOUT] (default 10)",
    )
    p.add_argument(
        "--config.file",
        dest="config_file",
        metavar="PATH",
        help="YAML file with targets and settings [env CONFIG_FILE]",
    )
    p.add_argument(
        "--log.level",
        dest="log_level",
        choices=["debug", "info", "warn", "warning", "error"],
        help="[env LOG_LEVEL] (default info)",
    )
    p.add_argument(
        "--log.format",
        dest="log_format",
        choices=["logfmt", "json"],
        help="[env LOG_FORMAT] (default logfmt)",
    )
    p.add_argument("--version", action="version", version=f"redis-ha-exporter {__version__}")
    return p


_FILE_KEYS = {
    "redis",
    "sentinel",
    "scrape_timeout_seconds",
    "scrape_endpoint",
    "max_sentinel_masters",
    "events_enabled",
    "events_ring_size",
}
_TARGET_KEYS = {"addr", "user", "password_file", "password"}


def _read_secret(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {_os_reason(exc)}") from None


def _os_reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__


def load_yaml(path: str) -> dict[str, Any]:
    """Read the YAML config file; an unreadable file, bad YAML or unknown key is an error."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {_os_reason(exc)}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"config file {path}{where}: not valid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: top level must be a mapping")
    unknown = sorted(str(k) for k in data if k not in _FILE_KEYS)
    if unknown:
        raise ConfigError(f"config file {path}: unknown key {unknown[0]!r}")
    return data


def _file_targets(data: Mapping[str, Any], key: str, kind: Kind, path: str) -> list[Target]:
    entries = data.get(key) or []
    if not isinstance(entries, list):
        raise ConfigError(f"config file {path}: {key} must be a list")
    targets = []
    for i, entry in enumerate(entries):
        where = f"config file {path}: {key}[{i}]"
        if isinstance(entry, str):
            entry = {"addr": entry}
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a mapping with addr")
        unknown = sorted(str(k) for k in entry if k not in _TARGET_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}")
        if not isinstance(entry.get("addr"), str):
            raise ConfigError(f"{where}: addr is required and must be a string")
        try:
            target = parse_target(entry["addr"], kind)
        except TargetError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        password = entry.get("password")
        if "password_file" in entry:
            password = _read_secret(str(entry["password_file"]), "password file")
        user = entry.get("user")
        targets.append(
            target.with_credentials(
                None if user is None else str(user), None if password is None else str(password)
            )
        )
    return targets


def _split_addrs(values: Sequence[str] | None, env: str | None) -> list[str] | None:
    if values is not None:
        return [a for v in values for a in v.split(",")]
    if env is not None:
        return env.split(",")
    return None


def _typed(value: Any, kind: type, name: str) -> Any:
    if kind is bool and isinstance(value, str):
        lowered = value.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}: expected true or false, got {value!r}")
    if kind is not bool and isinstance(value, bool):
        raise ConfigError(f"{name}: expected a number, got {value!r}")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected {kind.__name__}, got {value!r}") from None


def _pick(
    flag: Any,
    env_name: str,
    environ: Mapping[str, str],
    data: Mapping[str, Any],
    key: str,
    default: Any,
    kind: type,
) -> Any:
    if flag is not None:
        return flag
    env = _env(env_name, environ)
    if env is not None:
        return _typed(env, kind, env_name)
    if key in data:
        return _typed(data[key], kind, key)
    return default


def _listen(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"--web.listen-address {address!r}: expected [host]:port")
    host = host.strip("[]")
    return (host or "0.0.0.0"), int(port)


def load_config(argv: Sequence[str], environ: Mapping[str, str]) -> Config:
    """Build the :class:`Config` from ``argv`` (without the program name) and ``environ``."""
    args = build_parser().parse_args(list(argv))
    config_file = args.config_file or _env("CONFIG_FILE", environ)
    data = load_yaml(config_file) if config_file else {}

    def secret(kind: str) -> str | None:
        upper = kind.upper()
        path = getattr(args, f"{kind}_password_file") or _env(f"{upper}_PASSWORD_FILE", environ)
        if path:
            return _read_secret(path, f"{kind} password file")
        return _env(f"{upper}_PASSWORD", environ)

    redis_user = args.redis_user or _env("REDIS_USER", environ)
    sentinel_user = args.sentinel_user or _env("SENTINEL_USER", environ)
    redis_password, sentinel_password = secret("redis"), secret("sentinel")

    file_redis = _file_targets(data, "redis", Kind.REDIS, str(config_file))
    file_sentinel = _file_targets(data, "sentinel", Kind.SENTINEL, str(config_file))
    flag_redis = _split_addrs(args.redis_addr, _env("REDIS_ADDR", environ))
    flag_sentinel = _split_addrs(args.sentinel_addr, _env("SENTINEL_ADDR", environ))
    nothing_named = not (file_redis or file_sentinel or flag_redis or flag_sentinel)
    if nothing_named:
        flag_redis, flag_sentinel = [DEFAULT_REDIS], [DEFAULT_SENTINEL]

    targets: list[Target] = []
    for addrs, kind, user, password in (
        (flag_redis, Kind.REDIS, redis_user, redis_password),
        (flag_sentinel, Kind.SENTINEL, sentinel_user, sentinel_password),
    ):
        for addr in addrs or []:
            if not addr.strip():
                continue
            try:
                targets.append(parse_target(addr, kind).with_credentials(user, password))
            except TargetError as exc:
                raise ConfigError(str(exc)) from None
    targets.extend(t.with_credentials(redis_user, redis_password) for t in file_redis)
    targets.extend(t.with_credentials(sentinel_user, sentinel_password) for t in file_sentinel)
    seen: set[tuple[str, Kind]] = set()
    for target in targets:
        if (target.addr, target.kind) in seen:
            raise ConfigError(f"target {target.addr} ({target.kind.value}) is configured twice")
        seen.add((target.addr, target.kind))

    listen = args.listen_address or _env("WEB_LISTEN_ADDRESS", environ) or ":9121"
    host, port = _listen(listen)
    path = args.telemetry_path or _env("WEB_TELEMETRY_PATH", environ) or "/metrics"
    if not path.startswith("/"):
        raise ConfigError(f"--web.telemetry-path {path!r}: must start with /")
    web_file = args.web_config_file or _env("WEB_CONFIG_FILE", environ)
    web = load_web_config(web_file, ConfigError) if web_file else None

    timeout = _pick(
        args.scrape_timeout, "SCRAPE_TIMEOUT", environ, data, "scrape_timeout_seconds", 10.0, float
    )
    if not 0 < timeout <= 600:
        raise ConfigError(f"scrape timeout {timeout}: must be between 0 and 600 seconds")
    max_masters = _pick(
        args.max_sentinel_masters,
        "SENTINEL_MAX_MASTERS",
        environ,
        data,
        "max_sentinel_masters",
        500,
        int,
    )
    ring = _pick(
        args.events_ring_size, "EVENTS_RING_SIZE", environ, data, "events_ring_size", 256, int
    )
    if max_masters < 1 or ring < 1:
        raise ConfigError("--sentinel.max-masters and --events.ring-size must be at least 1")
    level = (args.log_level or _env("LOG_LEVEL", environ) or "info").lower()
    if level not in ("debug", "info", "warn", "warning", "error"):
        raise ConfigError(f"log level {level!r}: expected debug, info, warn or error")
    fmt = (args.log_format or _env("LOG_FORMAT", environ) or "logfmt").lower()
    if fmt not in ("logfmt", "json"):
        raise ConfigError(f"log format {fmt!r}: expected logfmt or json")
    return Config(
        targets=tuple(targets),
        listen_host=host,
        listen_port=port,
        telemetry_path=path,
        web=web,
        scrape_timeout=timeout,
        scrape_endpoint=_pick(
            args.scrape_endpoint,
            "WEB_SCRAPE_ENDPOINT",
            environ,
            data,
            "scrape_endpoint",
            True,
            bool,
        ),
        max_sentinel_masters=max_masters,
        events_enabled=_pick(
            args.events_enabled, "SENTINEL_EVENTS", environ, data, "events_enabled", True, bool
        ),
        events_ring_size=ring,
        log_level=level,
        log_format=fmt,
        redis_username=redis_user,
        redis_password=redis_password,
        sentinel_username=sentinel_user,
        sentinel_password=sentinel_password,
    )
