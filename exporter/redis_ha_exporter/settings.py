"""Every setting, declared once: flag, environment variable, YAML key, type, default and help.

:mod:`redis_ha_exporter.config` derives the command line, the environment lookup and the YAML
lookup from these tables, and :mod:`redis_ha_exporter.reference` the README's flag table and the
migration guide's list of redis_exporter flags. Adding a setting is one entry in one table:

- :data:`SETTINGS` — one :class:`Setting` per flag or environment variable. Precedence is flag,
  then environment variable (ours, then an alias's), then YAML key, then default.
  ``addresses_of`` marks the target lists; ``default_for=(kind, field)`` a value of the profile
  named after that kind (``redis``, ``sentinel``) for one
  :class:`~redis_ha_exporter.targets.Target` field: every configured target of that kind takes
  it unless its URI or its YAML entry sets it (credentials, TLS settings).
- :data:`TARGET_KEYS` — one :class:`TargetKey` per key of a ``redis:``/``sentinel:`` entry and of
  a ``profiles:`` entry of the YAML file, each setting one ``Target`` field.
- :class:`Alias` — redis_exporter's spelling of one of our settings (``-redis.addr``,
  ``REDIS_EXPORTER_WEB_LISTEN_ADDRESS``, ``-log-format txt``, ``-debug``), on the setting's line.
- :data:`FOREIGN_FLAGS` — redis_exporter flags we do not have, and what happens when one is given.

When two entries fill the same field, the one listed first wins (a password file beats a
password). A converter takes the text of a flag or variable, or the value YAML decoded, and
raises :class:`ValueError` with a problem that does not repeat the value; the loader names
where the value came from.
"""

from __future__ import annotations

import json
import math
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from redis_ha_exporter.access import parse_patterns
from redis_ha_exporter.targets import Kind

Convert = Callable[[object], object]


class ConfigError(ValueError):
    """A configuration problem, described in one line that never holds a password."""


# --- converters ------------------------------------------------------------------------------
GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
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


def readable_file(value: object) -> str:
    """A path to a file that can be read now: ``/etc/redis-ha-exporter/ca.pem``."""
    path = text(value)
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise ValueError(f"cannot read: {exc.strerror or type(exc).__name__}") from None
    return path


TLS_VERSIONS = {
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS1.2": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
    "TLS1.3": ssl.TLSVersion.TLSv1_3,
}


def tls_version(value: object) -> ssl.TLSVersion:
    """``TLS12`` or ``TLS13`` (exporter-toolkit's words; ``TLS1.2``, ``TLS1.3`` too)."""
    version = TLS_VERSIONS.get(text(value).upper())
    if version is None:
        raise ValueError("expected TLS12 or TLS13")
    return version


def address_patterns(value: object) -> object:
    """Address patterns (:func:`redis_ha_exporter.access.parse_pattern`), comma-separated or a
    YAML list: ``10.0.0.0/24,*.cache.internal:6379``, ``any``."""
    return parse_patterns(value)


def command_name(value: object) -> str:
    """A command's name as ``rename-command`` may have set it (``CONFIG``, ``MYCONFIG``), or
    ``-`` for none: one word, no blanks."""
    name = text(value)
    if not name or any(c.isspace() for c in name):
        raise ValueError("expected a command name, or - for none")
    return name


def password_file(value: object) -> str:
    """The password in the file at ``value``, without its trailing newline.

    redis_exporter's ``-redis.password-file`` holds a JSON object of URIs to passwords
    (``{"redis://h:6379": "pw"}``); ours holds one password. A file that parses as a JSON object
    is refused rather than sent whole as a password.
    """
    try:
        secret = Path(text(value)).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise ValueError(f"cannot read: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError:
        raise ValueError("cannot read: not UTF-8 text") from None
    if secret.lstrip().startswith("{"):
        try:
            decoded = json.loads(secret)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            raise ValueError(
                "holds a JSON map of URIs to passwords (redis_exporter's format); "
                "write one password per file and give each target its own password_file "
                "in --config.file"
            )
    return secret


# --- declarations ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Alias:
    """redis_exporter's spelling of one of our settings.

    ``flag`` is its Go flag name without dashes: ``-name``, ``--name`` and ``-name=value`` are
    all accepted, as Go's flag package does. ``env`` is its variable, when it differs from ours.
    ``values`` translates its words into ours (``txt`` -> ``logfmt``). ``switch`` marks a Go
    boolean flag (``-debug``, ``-debug=false``, ``REDIS_EXPORTER_DEBUG=true``) that, when true,
    sets our setting to this value. ``note`` tells a migrating user how ours differs.
    """

    flag: str | None = None
    env: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    switch: str | None = None
    note: str = ""

    def translate(self, value: str) -> str | None:
        """Its value as ours; None when a switch is off."""
        if self.switch is not None:
            if value in GO_TRUE:
                return self.switch
            if value in GO_FALSE:
                return None
            raise ValueError("expected true or false")
        return self.values.get(value, value)


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
    aliases: tuple[Alias, ...] = ()

    @property
    def meaning(self) -> str:
        """The help, with the choices when there are some."""
        return f"{self.help}: {', '.join(self.choices)}" if self.choices else self.help

    @property
    def envs(self) -> list[tuple[str, Alias | None]]:
        """Environment variables to read, in order: ours, then each alias's."""
        names: list[tuple[str, Alias | None]] = [(self.env, None)] if self.env else []
        return names + [(a.env, a) for a in self.aliases if a.env]


@dataclass(frozen=True)
class TargetKey:
    """A key of one ``redis:``/``sentinel:``/``profiles:`` entry in the YAML file, setting
    ``Target.field``; ``metavar`` names its value in the flags made of it."""

    key: str
    field: str
    help: str
    convert: Convert = text
    secret: bool = False
    metavar: str | None = None


@dataclass(frozen=True)
class ForeignFlag:
    """A redis_exporter flag (and its variable) we do not have.

    Given at redis_exporter's own ``default`` it asks for nothing: a warning says it is ignored.
    Otherwise a ``rejected`` flag stops the program with ``why``; the others are ignored with
    a warning that says ``why``.
    """

    flag: str
    env: str | None
    default: str
    why: str
    rejected: bool = False

    @property
    def boolean(self) -> bool:
        return self.default in ("true", "false")

    def asks_for_nothing(self, value: str) -> bool:
        if self.boolean:
            return value in (GO_TRUE if self.default == "true" else GO_FALSE)
        return value == self.default


# redis_exporter's TLS flags for its Redis connections, by the TLS key of ours they spell.
_REDIS_EXPORTER_TLS = {
    "tls_ca_file": Alias("tls-ca-cert-file", "REDIS_EXPORTER_TLS_CA_CERT_FILE"),
    "tls_cert_file": Alias("tls-client-cert-file", "REDIS_EXPORTER_TLS_CLIENT_CERT_FILE"),
    "tls_key_file": Alias("tls-client-key-file", "REDIS_EXPORTER_TLS_CLIENT_KEY_FILE"),
    "tls_insecure_skip_verify": Alias(
        "skip-tls-verification", "REDIS_EXPORTER_SKIP_TLS_VERIFICATION", switch="true"
    ),
}


def _tls_settings(kind: Kind, aliases: Mapping[str, Alias]) -> tuple[Setting, ...]:
    """``--KIND.tls-*``: the TLS keys of :data:`TARGET_KEYS` as flags of one kind."""
    return tuple(
        Setting(
            f"{kind.value}_{key.key}",
            f"--{kind.value}.{key.key.replace('_', '-')}",
            f"{key.help}; every {'Redis' if kind is Kind.REDIS else 'Sentinel'}",
            env=f"{kind.value.upper()}_{key.key.upper()}",
            convert=key.convert,
            metavar=key.metavar,
            default_for=(kind, key.field),
            aliases=(aliases[key.key],) if key.key in aliases else (),
        )
        for key in TARGET_KEYS
        if key.key.startswith("tls_")
    )


DEFAULT_REDIS = "redis://localhost:6379"
DEFAULT_SENTINEL = "redis://localhost:26379"
LOG_LEVELS = ("debug", "info", "warn", "warning", "error")

TARGET_KEYS: tuple[TargetKey, ...] = (
    TargetKey("user", "username", "ACL user"),
    TargetKey("password_file", "password", "file holding the password", convert=password_file),
    TargetKey("password", "password", "the password itself (prefer password_file)", secret=True),
    TargetKey("tls", "tls", "use TLS (rediss:// and every tls_* key imply it)", convert=boolean),
    TargetKey(
        "tls_ca_file",
        "tls_ca_file",
        "CA certificates (PEM) to verify the server with, instead of the system's",
        convert=readable_file,
        metavar="PATH",
    ),
    TargetKey(
        "tls_cert_file",
        "tls_cert_file",
        "client certificate (PEM), for servers that require one",
        convert=readable_file,
        metavar="PATH",
    ),
    TargetKey(
        "tls_key_file",
        "tls_key_file",
        "key of the client certificate (PEM)",
        convert=readable_file,
        metavar="PATH",
    ),
    TargetKey(
        "tls_server_name",
        "tls_server_name",
        "name the server certificate must hold (and SNI), instead of the target's host",
        metavar="NAME",
    ),
    TargetKey(
        "tls_min_version",
        "tls_min_version",
        "lowest TLS version accepted: TLS12 or TLS13",
        convert=tls_version,
        metavar="VERSION",
    ),
    TargetKey(
        "tls_insecure_skip_verify",
        "tls_insecure_skip_verify",
        "accept any server certificate (no verification: testing only)",
        convert=boolean,
    ),
)

#: The YAML key of the credential profiles (:mod:`redis_ha_exporter.access`), and the key of a
#: profile besides :data:`TARGET_KEYS`: the addresses its credentials may go to.
PROFILES_KEY = "profiles"
PROFILE_ADDRESSES = TargetKey(
    "addresses",
    "",
    "the addresses, besides those the configured Sentinels report, its credentials may go to "
    "(and /scrape may reach): a list of patterns as --scrape.allow takes",
    convert=address_patterns,
)

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
        aliases=(Alias("redis.addr", note="repeatable here"),),
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
        aliases=(Alias("redis.user"),),
    ),
    Setting(
        "redis_password_file",
        "--redis.password-file",
        "file holding the password for every Redis",
        env="REDIS_PASSWORD_FILE",
        convert=password_file,
        metavar="PATH",
        default_for=(Kind.REDIS, "password"),
        aliases=(
            Alias(
                "redis.password-file",
                note="one password per file here; redis_exporter's JSON map of URIs to "
                "passwords is refused with one line (use per-target password_file in "
                "--config.file)",
            ),
        ),
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
    *(
        setting
        for kind, aliases in (
            (Kind.REDIS, _REDIS_EXPORTER_TLS),
            (Kind.SENTINEL, {}),
        )
        for setting in _tls_settings(kind, aliases)
    ),
    Setting(
        "config_command",
        "--redis.config-command",
        "name of the CONFIG command on every Redis (set by rename-command), or - to send none; "
        "without it the redis_config_* metrics are missing and 16 databases are assumed",
        env="REDIS_CONFIG_COMMAND",
        yaml="config_command",
        default="CONFIG",
        convert=command_name,
        metavar="NAME",
        aliases=(Alias("config-command", "REDIS_EXPORTER_CONFIG_COMMAND"),),
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
        aliases=(Alias("web.listen-address", "REDIS_EXPORTER_WEB_LISTEN_ADDRESS"),),
    ),
    Setting(
        "telemetry_path",
        "--web.telemetry-path",
        "path for the metrics of every configured target",
        env="WEB_TELEMETRY_PATH",
        default="/metrics",
        convert=url_path,
        metavar="PATH",
        aliases=(Alias("web.telemetry-path", "REDIS_EXPORTER_WEB_TELEMETRY_PATH"),),
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
        "scrape_allow",
        "--scrape.allow",
        "addresses /scrape may reach besides the configured targets and the addresses the "
        "configured Sentinels report, comma-separated: 10.0.0.0/24, host:6379, *.domain, or "
        "any; no credential is ever sent to an address allowed only by this",
        env="SCRAPE_ALLOW",
        yaml="scrape_allow",
        convert=address_patterns,
        metavar="PATTERNS",
    ),
    Setting(
        "scrape_max_concurrent",
        "--scrape.max-concurrent",
        "/scrape collections running at once; beyond it /scrape answers 503 at once",
        env="SCRAPE_MAX_CONCURRENT",
        yaml="scrape_max_concurrent",
        default="32",
        convert=positive_int,
        metavar="N",
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
        aliases=(Alias("debug", "REDIS_EXPORTER_DEBUG", switch="debug"),),
    ),
    Setting(
        "log_format",
        "--log.format",
        "log format",
        env="LOG_FORMAT",
        default="logfmt",
        choices=("logfmt", "json"),
        metavar="FORMAT",
        aliases=(Alias("log-format", "REDIS_EXPORTER_LOG_FORMAT", values={"txt": "logfmt"}),),
    ),
)

# Why each redis_exporter flag we do not have is refused or ignored; the table is rendered into
# docs/migrating-from-redis_exporter.md.
KEY_CHECKS = "key and stream checks (SCAN) are not supported; keep redis_exporter for them"
TUNES_KEY_CHECKS = "it tunes key and stream checks, which this exporter does not do"
PASSWORD_FLAG = (
    "a password on the command line is visible to every user of the host; "
    "use --redis.password-file or REDIS_PASSWORD"
)
WEB_TLS = "serve TLS with tls_server_config in --web.config.file"
WEB_AUTH = "set basic_auth_users (bcrypt hashes) in --web.config.file"
DEADLINE = (
    "each target is bounded by the scrape deadline (Prometheus' timeout, else --scrape.timeout)"
)

FOREIGN_FLAGS: tuple[ForeignFlag, ...] = (
    ForeignFlag("redis.password", None, "", PASSWORD_FLAG, rejected=True),
    ForeignFlag(
        "namespace",
        "REDIS_EXPORTER_NAMESPACE",
        "redis",
        "metric names always start with redis_",
        rejected=True,
    ),
    ForeignFlag("check-keys", "REDIS_EXPORTER_CHECK_KEYS", "", KEY_CHECKS, rejected=True),
    ForeignFlag(
        "check-single-keys", "REDIS_EXPORTER_CHECK_SINGLE_KEYS", "", KEY_CHECKS, rejected=True
    ),
    ForeignFlag(
        "check-key-groups", "REDIS_EXPORTER_CHECK_KEY_GROUPS", "", KEY_CHECKS, rejected=True
    ),
    ForeignFlag("check-streams", "REDIS_EXPORTER_CHECK_STREAMS", "", KEY_CHECKS, rejected=True),
    ForeignFlag(
        "check-single-streams", "REDIS_EXPORTER_CHECK_SINGLE_STREAMS", "", KEY_CHECKS, rejected=True
    ),
    ForeignFlag("count-keys", "REDIS_EXPORTER_COUNT_KEYS", "", KEY_CHECKS, rejected=True),
    ForeignFlag(
        "check-keys-batch-size", "REDIS_EXPORTER_CHECK_KEYS_BATCH_SIZE", "1000", TUNES_KEY_CHECKS
    ),
    ForeignFlag(
        "max-distinct-key-groups", "REDIS_EXPORTER_MAX_DISTINCT_KEY_GROUPS", "100", TUNES_KEY_CHECKS
    ),
    ForeignFlag(
        "streams-exclude-consumer-metrics",
        "REDIS_EXPORTER_STREAMS_EXCLUDE_CONSUMER_METRICS",
        "false",
        TUNES_KEY_CHECKS,
    ),
    ForeignFlag(
        "disable-exporting-key-values",
        "REDIS_EXPORTER_DISABLE_EXPORTING_KEY_VALUES",
        "false",
        TUNES_KEY_CHECKS,
    ),
    ForeignFlag(
        "skip-checkkeys-for-role-master",
        "REDIS_EXPORTER_SKIP_CHECKKEYS_FOR_ROLE_MASTER",
        "false",
        TUNES_KEY_CHECKS,
    ),
    ForeignFlag("is-cluster", "REDIS_EXPORTER_IS_CLUSTER", "false", TUNES_KEY_CHECKS),
    ForeignFlag(
        "script",
        "REDIS_EXPORTER_SCRIPT",
        "",
        "Lua scripts for extra metrics are not supported",
        rejected=True,
    ),
    ForeignFlag("connection-timeout", "REDIS_EXPORTER_CONNECTION_TIMEOUT", "15s", DEADLINE),
    ForeignFlag(
        "tls-server-key-file", "REDIS_EXPORTER_TLS_SERVER_KEY_FILE", "", WEB_TLS, rejected=True
    ),
    ForeignFlag(
        "tls-server-cert-file", "REDIS_EXPORTER_TLS_SERVER_CERT_FILE", "", WEB_TLS, rejected=True
    ),
    ForeignFlag(
        "tls-server-ca-cert-file",
        "REDIS_EXPORTER_TLS_SERVER_CA_CERT_FILE",
        "",
        WEB_TLS,
        rejected=True,
    ),
    ForeignFlag(
        "tls-server-min-version",
        "REDIS_EXPORTER_TLS_SERVER_MIN_VERSION",
        "TLS1.2",
        WEB_TLS,
        rejected=True,
    ),
    ForeignFlag(
        "basic-auth-username", "REDIS_EXPORTER_BASIC_AUTH_USERNAME", "", WEB_AUTH, rejected=True
    ),
    ForeignFlag(
        "basic-auth-password", "REDIS_EXPORTER_BASIC_AUTH_PASSWORD", "", WEB_AUTH, rejected=True
    ),
    ForeignFlag(
        "set-client-name",
        "REDIS_EXPORTER_SET_CLIENT_NAME",
        "true",
        "the exporter sets no client name",
    ),
    ForeignFlag(
        "ping-on-connect",
        "REDIS_EXPORTER_PING_ON_CONNECT",
        "false",
        "the first command of a scrape tests the connection",
    ),
    ForeignFlag(
        "redis-only-metrics",
        "REDIS_EXPORTER_REDIS_ONLY_METRICS",
        "false",
        "the exporter exports no Go or process metrics",
    ),
    ForeignFlag(
        "include-system-metrics",
        "REDIS_EXPORTER_INCL_SYSTEM_METRICS",
        "false",
        "system metrics are not exported; node_exporter reports the host",
    ),
    ForeignFlag(
        "include-config-metrics",
        "REDIS_EXPORTER_INCL_CONFIG_METRICS",
        "false",
        "a metric per CONFIG setting is not supported",
        rejected=True,
    ),
    ForeignFlag(
        "redact-config-metrics",
        "REDIS_EXPORTER_REDACT_CONFIG_METRICS",
        "true",
        "it tunes config metrics, which are not exported",
    ),
    ForeignFlag(
        "include-modules-metrics",
        "REDIS_EXPORTER_INCL_MODULES_METRICS",
        "false",
        "Redis module metrics are not supported",
        rejected=True,
    ),
    ForeignFlag(
        "exclude-latency-histogram-metrics",
        "REDIS_EXPORTER_EXCLUDE_LATENCY_HISTOGRAM_METRICS",
        "false",
        "latency histograms are not exported",
    ),
    ForeignFlag(
        "include-metrics-for-empty-databases",
        "REDIS_EXPORTER_INCL_METRICS_FOR_EMPTY_DATABASES",
        "true",
        "empty databases are always exported, with 0",
    ),
    ForeignFlag(
        "export-client-list",
        "REDIS_EXPORTER_EXPORT_CLIENT_LIST",
        "false",
        "CLIENT LIST metrics are not supported",
        rejected=True,
    ),
    ForeignFlag(
        "export-client-port",
        "REDIS_EXPORTER_EXPORT_CLIENT_PORT",
        "false",
        "it tunes CLIENT LIST metrics, which are not exported",
    ),
    ForeignFlag(
        "is-tile38", "REDIS_EXPORTER_IS_TILE38", "false", "Tile38 is not supported", rejected=True
    ),
)
