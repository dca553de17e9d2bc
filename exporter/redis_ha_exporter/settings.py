"""Every setting, declared once: flag, environment variable, YAML key, type, default and help.

:mod:`redis_ha_exporter.config` derives the command line, the environment lookup and the YAML
lookup from these tables. Adding a setting is one line:

- :data:`SETTINGS` — one :class:`Setting` per flag or environment variable. Precedence is flag,
  then environment variable, then YAML key, then default.
  ``addresses_of`` marks the target lists; ``default_for=(kind, field)`` a value every target
  of that kind takes for one :class:`~redis_ha_exporter.targets.Target` field unless its URI or
  its YAML entry sets it (credentials today; TLS files tomorrow).
- :data:`TARGET_KEYS` — one :class:`TargetKey` per key of a ``redis:``/``sentinel:`` entry of
  the YAML file, each setting one ``Target`` field.

When two entries fill the same field, the one listed first wins (a password file beats a
password). A converter takes the text of a flag or variable, or the value YAML decoded, and
raises :class:`ValueError` with a problem that does not repeat the value; the loader names
where the value came from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from redis_ha_exporter.targets import Kind

Convert = Callable[[object], object]


class ConfigError(ValueError):
    """A configuration problem, described in one line that never holds a password."""


# --- converters ------------------------------------------------------------------------------
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def text(value: object) -> str:
    """Any scalar as a string: ``monitor``, YAML ``1`` -> ``"1"``."""
    if isinstance(value, dict | list):
        raise ValueError("expected a single value")
    return str(value)


def boolean(value: object) -> bool:
    """``true``/``false``, ``yes``/``no``, ``on``/``off``, ``1``/``0``, or a YAML boolean."""
    if isinstance(value, bool):
        return value
    lowered = text(value).lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected true or false")


def positive_int(value: object) -> int:
    """A whole number of at least 1: ``500``, YAML ``20``."""
    if isinstance(value, bool | float):
        raise ValueError("expected a whole number")
    try:
        number = int(text(value))
    except ValueError:
        raise ValueError("expected a whole number") from None
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def timeout_seconds(value: object) -> float:
    """Seconds, more than 0 and at most 600: ``10``, ``2.5``."""
    if isinstance(value, bool):
        raise ValueError("expected a number of seconds")
    try:
        seconds = float(text(value))
    except ValueError:
        raise ValueError("expected a number of seconds") from None
    if not (math.isfinite(seconds) and 0 < seconds <= 600):
        raise ValueError("must be between 0 and 600 seconds")
    return seconds


def listen_address(value: object) -> tuple[str, int]:
    """``[host]:port`` -> ``(host, port)``: ``:9121`` -> ``("0.0.0.0", 9121)``, ``[::1]:9121``."""
    host, sep, port = text(value).rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("expected [host]:port")
    return (host.strip("[]") or "0.0.0.0"), int(port)


def url_path(value: object) -> str:
    """An HTTP path: ``/metrics``."""
    path = text(value)
    if not path.startswith("/"):
        raise ValueError("must start with /")
    return path


def password_file(value: object) -> str:
    """The password in the file at ``value``, without its trailing newline."""
    try:
        return Path(text(value)).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise ValueError(f"cannot read: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError:
        raise ValueError("cannot read: not UTF-8 text") from None


# --- declarations ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    """One setting. ``name`` is its key in the parsed command line (argparse's ``dest``);
    ``flag`` is empty for a setting read only from the environment (a password)."""

    name: str
    flag: str
    help: str
    env: str | None = None
    yaml: str | None = None
    default: str | None = None
    convert: Convert = text
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    addresses_of: Kind | None = None
    default_for: tuple[Kind, str] | None = None
    secret: bool = False

    @property
    def meaning(self) -> str:
        """The help, with the choices when there are some."""
        return f"{self.help}: {', '.join(self.choices)}" if self.choices else self.help


@dataclass(frozen=True)
class TargetKey:
    """A key of one ``redis:``/``sentinel:`` entry in the YAML file, setting ``Target.field``."""

    key: str
    field: str
    help: str
    convert: Convert = text
    secret: bool = False


DEFAULT_REDIS = "redis://localhost:6379"
DEFAULT_SENTINEL = "redis://localhost:26379"
LOG_LEVELS = ("debug", "info", "warn", "warning", "error")

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "redis_addr",
        "--redis.addr",
        "Redis to scrape; repeatable, comma-separated in the variable; the two address defaults "
        "apply only when no Redis and no Sentinel is named, and an empty value names none",
        env="REDIS_ADDR",
        yaml="redis",
        default=DEFAULT_REDIS,
        metavar="URI",
        addresses_of=Kind.REDIS,
    ),
    Setting(
        "sentinel_addr",
        "--sentinel.addr",
        "Sentinel to scrape and subscribe to; repeatable, comma-separated in the variable",
        env="SENTINEL_ADDR",
        yaml="sentinel",
        default=DEFAULT_SENTINEL,
        metavar="URI",
        addresses_of=Kind.SENTINEL,
    ),
    Setting(
        "redis_user",
        "--redis.user",
        "ACL user for every Redis",
        env="REDIS_USER",
        metavar="USER",
        default_for=(Kind.REDIS, "username"),
    ),
    Setting(
        "redis_password_file",
        "--redis.password-file",
        "file holding the password for every Redis",
        env="REDIS_PASSWORD_FILE",
        convert=password_file,
        metavar="PATH",
        default_for=(Kind.REDIS, "password"),
    ),
    Setting(
        "redis_password",
        "",
        "password for every Redis, when no password file is given",
        env="REDIS_PASSWORD",
        default_for=(Kind.REDIS, "password"),
        secret=True,
    ),
    Setting(
        "sentinel_user",
        "--sentinel.user",
        "ACL user for every Sentinel",
        env="SENTINEL_USER",
        metavar="USER",
        default_for=(Kind.SENTINEL, "username"),
    ),
    Setting(
        "sentinel_password_file",
        "--sentinel.password-file",
        "file holding the password for every Sentinel",
        env="SENTINEL_PASSWORD_FILE",
        convert=password_file,
        metavar="PATH",
        default_for=(Kind.SENTINEL, "password"),
    ),
    Setting(
        "sentinel_password",
        "",
        "password for every Sentinel, when no password file is given",
        env="SENTINEL_PASSWORD",
        default_for=(Kind.SENTINEL, "password"),
        secret=True,
    ),
    Setting(
        "max_sentinel_masters",
        "--sentinel.max-masters",
        "export at most N monitored masters per Sentinel",
        env="SENTINEL_MAX_MASTERS",
        yaml="max_sentinel_masters",
        default="500",
        convert=positive_int,
        metavar="N",
    ),
    Setting(
        "events_enabled",
        "--sentinel.events",
        "subscribe to the Sentinel event stream",
        env="SENTINEL_EVENTS",
        yaml="events_enabled",
        default="true",
        convert=boolean,
    ),
    Setting(
        "events_ring_size",
        "--events.ring-size",
        "events kept for /events per Sentinel",
        env="EVENTS_RING_SIZE",
        yaml="events_ring_size",
        default="256",
        convert=positive_int,
        metavar="N",
    ),
    Setting(
        "listen_address",
        "--web.listen-address",
        "address to serve on",
        env="WEB_LISTEN_ADDRESS",
        default=":9121",
        convert=listen_address,
        metavar="[HOST]:PORT",
    ),
    Setting(
        "telemetry_path",
        "--web.telemetry-path",
        "path for the metrics of every configured target",
        env="WEB_TELEMETRY_PATH",
        default="/metrics",
        convert=url_path,
        metavar="PATH",
    ),
    Setting(
        "web_config_file",
        "--web.config.file",
        "exporter-toolkit web config file: TLS and bcrypt basic auth",
        env="WEB_CONFIG_FILE",
        metavar="PATH",
    ),
    Setting(
        "scrape_endpoint",
        "--web.scrape-endpoint",
        "serve /scrape?target=URI",
        env="WEB_SCRAPE_ENDPOINT",
        yaml="scrape_endpoint",
        default="true",
        convert=boolean,
    ),
    Setting(
        "scrape_timeout",
        "--scrape.timeout",
        "deadline in seconds when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds",
        env="SCRAPE_TIMEOUT",
        yaml="scrape_timeout_seconds",
        default="10",
        convert=timeout_seconds,
        metavar="SECONDS",
    ),
    Setting(
        "config_file",
        "--config.file",
        "YAML file with targets, per-target credentials and settings",
        env="CONFIG_FILE",
        metavar="PATH",
    ),
    Setting(
        "log_level",
        "--log.level",
        "log level",
        env="LOG_LEVEL",
        default="info",
        choices=LOG_LEVELS,
        metavar="LEVEL",
    ),
    Setting(
        "log_format",
        "--log.format",
        "log format",
        env="LOG_FORMAT",
        default="logfmt",
        choices=("logfmt", "json"),
        metavar="FORMAT",
    ),
)

TARGET_KEYS: tuple[TargetKey, ...] = (
    TargetKey("user", "username", "ACL user"),
    TargetKey("password_file", "password", "file holding the password", convert=password_file),
    TargetKey("password", "password", "the password itself (prefer password_file)", secret=True),
)
