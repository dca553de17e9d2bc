"""Configuration: command-line flags, environment variables and the YAML file, strictly checked.

Everything here is derived from the tables in :mod:`redis_ha_exporter.settings`. Precedence: a
flag beats its environment variable, which beats the YAML file, which beats the default.
Targets are the union of ``--redis.addr``/``--sentinel.addr`` (or ``REDIS_ADDR``/
``SENTINEL_ADDR``, comma-separated) and the YAML ``redis:``/``sentinel:`` lists; the defaults
(``redis://localhost:6379`` and ``redis://localhost:26379``) apply only when neither names any.
An empty ``--sentinel.addr=`` turns the default Sentinel off (likewise for Redis). A target's
credentials and TLS settings come from its URI, else its YAML entry, else the profile of its kind
(``redis`` or ``sentinel``: the flags and variables of that kind, else the YAML profile of that
name). ``profiles:`` names more profiles for ``/scrape`` (:mod:`redis_ha_exporter.access`).

redis_exporter's spellings are accepted too (``-redis.addr``, ``REDIS_EXPORTER_LOG_FORMAT``, …);
its flags we do not have are ignored with a warning or refused, as
:data:`~redis_ha_exporter.settings.FOREIGN_FLAGS` says.

Every problem raises :class:`~redis_ha_exporter.settings.ConfigError` with one line that names
it; the CLI turns that into exit status 2. No message ever contains a password.

YAML file (``--config.file``)::

    redis:
      - addr: redis://10.0.0.1:6379
        user: monitor
        password_file: /etc/redis-ha-exporter/redis.password
    sentinel:
      - addr: rediss://10.0.0.1:26379
        tls_ca_file: /etc/redis-ha-exporter/ca.pem
    profiles:
      redis: {user: monitor, password_file: /etc/redis-ha-exporter/redis.password}
      sentinel: {tls_ca_file: /etc/redis-ha-exporter/ca.pem}
    scrape_allow: [10.0.0.0/24]
    scrape_timeout_seconds: 10
    scrape_endpoint: true
    config_command: CONFIG
    max_sentinel_masters: 500
    events_ring_size: 256
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from redis_ha_exporter import __version__
from redis_ha_exporter.access import AddressPattern, Profile, ScrapePolicy
from redis_ha_exporter.settings import (
    FOREIGN_FLAGS,
    GO_FALSE,
    GO_TRUE,
    PROFILE_ADDRESSES,
    PROFILES_KEY,
    SETTINGS,
    TARGET_KEYS,
    Alias,
    ConfigError,
    Convert,
    ForeignFlag,
    Setting,
    TargetKey,
    boolean,
)
from redis_ha_exporter.targets import Kind, Target, TargetError, parse_target, tls_context
from redis_ha_exporter.webconfig import WebConfig, load_web_config

PROG = "redis-ha-exporter"


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
    config_command: str | None
    events_enabled: bool
    events_ring_size: int
    log_level: str
    log_format: str
    # Credential profiles by name, ``redis`` and ``sentinel`` among them (the flags of a kind).
    profiles: Mapping[str, Profile] = field(default_factory=dict)
    scrape_allow: tuple[AddressPattern, ...] = ()
    scrape_max_concurrent: int = 32
    # One line for each redis_exporter flag that was given and is ignored, and for each target
    # or profile whose TLS verification is off; logged at start.
    warnings: tuple[str, ...] = ()

    @property
    def scrape_policy(self) -> ScrapePolicy:
        return ScrapePolicy(self.targets, self.profiles, self.scrape_allow)


# --- the command line --------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line and exits with status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")

    def parse_exactly(self, args: Sequence[str]) -> argparse.Namespace:
        """:meth:`parse_args`, refusing abbreviations: argparse takes ``-redis.add`` for
        ``-redis.addr`` even with ``allow_abbrev=False`` (single-dash names); Go does not."""
        known = {name for action in self._actions for name in action.option_strings}
        for arg in args:
            if arg == "--":
                break
            name = arg.split("=", 1)[0]
            if arg.startswith("-") and name not in known and not _NUMBER.fullmatch(arg):
                self.error(f"unrecognized argument: {name}")
        return self.parse_args(args)


_NUMBER = re.compile(r"-|-\d+|-\d*\.\d+")  # "-" (none) or a negative value, not a flag


class _AliasAction(argparse.Action):
    """One of redis_exporter's spellings of a setting: translates its value into ours."""

    def __init__(self, *args: Any, alias: Alias, append: bool, **kwargs: Any) -> None:
        if alias.switch is not None:
            kwargs.update(nargs="?", const="true")
        super().__init__(*args, **kwargs)
        self.alias = alias
        self.append = append

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        try:
            value = self.alias.translate(str(values))
        except ValueError as exc:
            parser.error(f"argument {option_string}: {exc}")
        if value is None:  # a switch given as false
            return
        if self.append:
            setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []), value])
        else:
            setattr(namespace, self.dest, value)


def go_spellings(name: str) -> list[str]:
    """Go's flag package accepts ``-name`` and ``--name``."""
    return [f"-{name}", f"--{name}"]


def describe(setting: Setting) -> str:
    """``--help`` text: the declared help, the variable and YAML key, the default."""
    where = [f"env {setting.env}"] if setting.env else []
    where += [f"YAML {setting.yaml}"] if setting.yaml else []
    shown = f"{setting.meaning} [{', '.join(where)}]" if where else setting.meaning
    return shown if setting.default is None else f"{shown} (default {setting.default})"


def build_parser() -> _Parser:
    """The command line, from :data:`~redis_ha_exporter.settings.SETTINGS`."""
    p = _Parser(
        prog=PROG,
        description="Prometheus exporter for Redis replication and Redis Sentinel.",
        allow_abbrev=False,
    )
    taken: set[str] = set()
    for setting in SETTINGS:
        if not setting.flag:
            continue
        kwargs: dict[str, Any] = {"dest": setting.name, "default": None}
        if setting.addresses_of is not None:
            kwargs.update(action="append", metavar=setting.metavar)
        elif setting.convert is boolean:
            kwargs.update(action=argparse.BooleanOptionalAction)
        else:
            kwargs.update(metavar=setting.metavar)
        p.add_argument(setting.flag, help=describe(setting), **kwargs)
        taken.add(setting.flag)
        for alias in setting.aliases:
            spellings = [s for s in go_spellings(alias.flag or "") if s not in taken]
            if alias.flag and spellings:
                p.add_argument(
                    *spellings,
                    dest=setting.name,
                    action=_AliasAction,
                    help=argparse.SUPPRESS,
                    alias=alias,
                    append=setting.addresses_of is not None,
                )
                taken.update(spellings)
    for flag in FOREIGN_FLAGS:
        shape: dict[str, Any] = {"nargs": "?", "const": "true"} if flag.boolean else {}
        p.add_argument(
            *go_spellings(flag.flag), dest=_foreign_dest(flag), help=argparse.SUPPRESS, **shape
        )
    p.add_argument("--version", "-version", action="version", version=f"{PROG} {__version__}")
    return p


def _foreign_dest(flag: ForeignFlag) -> str:
    return f"foreign:{flag.flag}"


# --- values, by precedence -------------------------------------------------------------------
class _Sources:
    """Where values come from: the parsed command line, the environment, the YAML file."""

    def __init__(
        self, args: argparse.Namespace, environ: Mapping[str, str], yaml_path: str | None
    ) -> None:
        self.args = args
        self.environ = environ
        self.yaml_path = yaml_path
        self.data = load_yaml(yaml_path) if yaml_path else {}

    def env(self, setting: Setting) -> tuple[str, str] | None:
        """The first environment variable of ``setting`` that is set, translated to our words."""
        for name, alias in setting.envs:
            raw = self.environ.get(name, "")
            if raw == "":
                continue
            try:
                value = raw if alias is None else alias.translate(raw)
            except ValueError as exc:
                raise ConfigError(f"{name}: {exc}") from None
            if value is not None:
                return name, value
        return None

    def raw(self, setting: Setting) -> tuple[str, object] | None:
        """``(where, value)`` of ``setting``: flag, else variable, else YAML key, else default."""
        flag = getattr(self.args, setting.name, None) if setting.flag else None
        if flag is not None:
            return setting.flag, flag
        env = self.env(setting)
        if env is not None:
            return env
        if setting.yaml and setting.yaml in self.data:
            return f"config file {self.yaml_path}: {setting.yaml}", self.data[setting.yaml]
        if setting.default is not None:
            return "default", setting.default
        return None

    def value(self, setting: Setting) -> Any:
        """The converted value of ``setting``, or None when nothing sets it."""
        found = self.raw(setting)
        if found is None:
            return None
        where, raw = found
        if setting.choices:
            raw = str(raw).lower()
            if raw not in setting.choices:
                raise ConfigError(
                    f"{where} {raw!r}: expected {', '.join(setting.choices[:-1])} "
                    f"or {setting.choices[-1]}"
                )
        return convert(setting.convert, raw, where, setting.secret)


def convert(fn: Convert, raw: object, where: str, secret: bool) -> Any:
    """``fn(raw)``, its :class:`ValueError` as a :class:`ConfigError` naming ``where`` (and the
    value, unless it is a secret)."""
    try:
        return fn(raw)
    except ValueError as exc:
        shown = where if secret else f"{where} {raw!r}"
        raise ConfigError(f"{shown}: {exc}") from None


def load_yaml(path: str) -> dict[str, Any]:
    """Read the YAML config file; an unreadable file, bad YAML or unknown key is an error."""
    import yaml  # only with a config file: its memory is not every exporter's

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigError(f"cannot read config file {path}: {reason}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"config file {path}{where}: not valid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: top level must be a mapping")
    allowed = {s.yaml for s in SETTINGS if s.yaml} | {PROFILES_KEY}
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ConfigError(f"config file {path}: unknown key {unknown[0]!r}")
    return data


# --- targets and profiles ---------------------------------------------------------------------
def _entry_fields(
    entry: Mapping[str, Any], where: str, extra: tuple[TargetKey, ...] = ()
) -> dict[str, object]:
    """The target fields of one YAML entry (a target or a profile), each key converted; an
    unknown key is an error. ``extra`` are keys the caller reads (``addr``, ``addresses``)."""
    allowed = {k.key for k in (*TARGET_KEYS, *extra)}
    unknown = sorted(str(k) for k in entry if k not in allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}")
    fields: dict[str, object] = {}
    for target_key in TARGET_KEYS:
        if target_key.key in entry:
            value = convert(
                target_key.convert,
                entry[target_key.key],
                f"{where}.{target_key.key}",
                target_key.secret,
            )
            fields.setdefault(target_key.field, value)
    return fields


_ADDR = TargetKey("addr", "", "")
_PROFILE_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def _profiles(sources: _Sources) -> dict[str, Profile]:
    """``profiles:`` of the YAML file, and one per kind (``redis``, ``sentinel``): the flags and
    variables of that kind (first listed wins), then its YAML profile for what they leave unset."""
    where = f"config file {sources.yaml_path}: {PROFILES_KEY}"
    entries = sources.data.get(PROFILES_KEY) or {}
    if not isinstance(entries, dict):
        raise ConfigError(f"{where} must be a mapping of names to profiles")
    profiles: dict[str, Profile] = {}
    for name, entry in entries.items():
        if not isinstance(name, str) or not _PROFILE_NAME.fullmatch(name):
            raise ConfigError(f"{where}: bad profile name {name!r}: letters, digits, _ . -")
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}.{name} must be a mapping")
        fields = _entry_fields(entry, f"{where}.{name}", (PROFILE_ADDRESSES,))
        addresses: tuple[AddressPattern, ...] = ()
        if PROFILE_ADDRESSES.key in entry:
            raw = entry[PROFILE_ADDRESSES.key]
            key_where = f"{where}.{name}.{PROFILE_ADDRESSES.key}"
            addresses = convert(PROFILE_ADDRESSES.convert, raw, key_where, False)
        profiles[name] = Profile(name, fields, addresses)
    for kind in Kind:
        flags: dict[str, object] = {}
        for setting in SETTINGS:
            if setting.default_for is not None and setting.default_for[0] is kind:
                value = sources.value(setting)
                if value is not None:
                    flags.setdefault(setting.default_for[1], value)
        from_file = profiles.get(kind.value, Profile(kind.value))
        profiles[kind.value] = Profile(
            kind.value, {**from_file.fields, **flags}, from_file.addresses
        )
    return profiles


def _named_addresses(sources: _Sources, setting: Setting) -> list[str] | None:
    """Addresses from the repeatable flag (each comma-separated), else the variable."""
    flags = getattr(sources.args, setting.name, None)
    if flags is not None:
        return [a for value in flags for a in value.split(",")]
    env = sources.env(setting)
    return env[1].split(",") if env is not None else None


def _file_targets(sources: _Sources, setting: Setting, kind: Kind) -> list[Target]:
    """The ``redis:``/``sentinel:`` list: each entry a URI or a mapping of :data:`TARGET_KEYS`."""
    key = setting.yaml or ""
    entries = sources.data.get(key) or []
    if not isinstance(entries, list):
        raise ConfigError(f"config file {sources.yaml_path}: {key} must be a list")
    targets = []
    for i, entry in enumerate(entries):
        where = f"config file {sources.yaml_path}: {key}[{i}]"
        if isinstance(entry, str):
            entry = {"addr": entry}
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a mapping with addr")
        fields = _entry_fields(entry, where, (_ADDR,))
        if not isinstance(entry.get("addr"), str):
            raise ConfigError(f"{where}: addr is required and must be a string")
        targets.append(_target(entry["addr"], kind, where).with_defaults(fields))
    return targets


def _target(uri: str, kind: Kind, where: str | None = None) -> Target:
    try:
        return parse_target(uri, kind)
    except TargetError as exc:
        raise ConfigError(f"{where}: {exc}" if where else str(exc)) from None


def _targets(sources: _Sources, profiles: Mapping[str, Profile]) -> list[Target]:
    lists = [(s, s.addresses_of) for s in SETTINGS if s.addresses_of is not None]
    named = {kind: _named_addresses(sources, s) for s, kind in lists}
    from_file = {kind: _file_targets(sources, s, kind) for s, kind in lists}
    if not any(named.values()) and not any(from_file.values()):
        named = {kind: [str(s.default)] for s, kind in lists}
    targets = [
        _target(addr, kind)
        for _, kind in lists
        for addr in named[kind] or []
        if addr.strip()  # an empty --sentinel.addr= names no Sentinel
    ]
    targets += [t for _, kind in lists for t in from_file[kind]]
    targets = [t.with_defaults(profiles[t.kind.value].fields) for t in targets]
    seen: set[tuple[str, Kind]] = set()
    for target in targets:
        if (target.addr, target.kind) in seen:
            raise ConfigError(f"target {target.addr} ({target.kind.value}) is configured twice")
        seen.add((target.addr, target.kind))
    return targets


def _check_tls(target: Target, where: str) -> str | None:
    """Load ``target``'s TLS files now, so a bad one stops the program rather than every scrape;
    returns a warning when it does not verify the server."""
    if not target.uses_tls:
        return None
    if target.tls_key_file is not None and target.tls_cert_file is None:
        raise ConfigError(f"{where}: tls_key_file needs tls_cert_file")
    try:
        tls_context(target)
    except OSError as exc:  # ssl.SSLError is one
        reason = getattr(exc, "reason", None) or exc.strerror or type(exc).__name__
        raise ConfigError(f"{where}: cannot load TLS files: {reason}") from None
    if target.tls_insecure_skip_verify:
        return f"{where}: TLS server certificates are not verified (tls_insecure_skip_verify)"
    return None


def _tls_warnings(targets: Sequence[Target], profiles: Mapping[str, Profile]) -> list[str]:
    checked = [(t, f"{t.kind.value} target {t.addr}") for t in targets]
    unset = Target("", Kind.REDIS, "redis", "localhost", 0, "")
    checked += [(unset.with_defaults(p.fields), f"profile {p.name}") for p in profiles.values()]
    return [w for target, where in checked if (w := _check_tls(target, where)) is not None]


# --- redis_exporter's flags we do not have ----------------------------------------------------
def _foreign_warnings(sources: _Sources) -> tuple[str, ...]:
    """One warning per ignored redis_exporter flag; a :class:`ConfigError` for a refused one."""
    warnings = []
    for flag in FOREIGN_FLAGS:
        value = getattr(sources.args, _foreign_dest(flag), None)
        where = f"-{flag.flag}"
        if value is None and flag.env and sources.environ.get(flag.env):
            value, where = sources.environ[flag.env], flag.env
        if value is None:
            continue
        if flag.boolean and value not in GO_TRUE | GO_FALSE:
            raise ConfigError(f"{where}: expected true or false")
        if flag.rejected and not flag.asks_for_nothing(value):
            raise ConfigError(f"{where}: {flag.why}")
        warnings.append(f"ignoring redis_exporter's {where}: {flag.why}")
    return tuple(warnings)


def load_config(argv: Sequence[str], environ: Mapping[str, str]) -> Config:
    """Build the :class:`Config` from ``argv`` (without the program name) and ``environ``."""
    args = build_parser().parse_exactly(list(argv))
    by_name = {s.name: s for s in SETTINGS}
    config_file = _Sources(args, environ, None).value(by_name["config_file"])
    sources = _Sources(args, environ, config_file)

    def value(name: str) -> Any:
        return sources.value(by_name[name])

    profiles = _profiles(sources)
    targets = _targets(sources, profiles)
    host, port = value("listen_address")
    web_file = value("web_config_file")
    return Config(
        targets=tuple(targets),
        listen_host=host,
        listen_port=port,
        telemetry_path=value("telemetry_path"),
        web=load_web_config(web_file) if web_file else None,
        scrape_timeout=value("scrape_timeout"),
        scrape_endpoint=value("scrape_endpoint"),
        max_sentinel_masters=value("max_sentinel_masters"),
        config_command=None if value("config_command") == "-" else value("config_command"),
        events_enabled=value("events_enabled"),
        events_ring_size=value("events_ring_size"),
        log_level=value("log_level"),
        log_format=value("log_format"),
        profiles=profiles,
        scrape_allow=value("scrape_allow") or (),
        scrape_max_concurrent=value("scrape_max_concurrent"),
        warnings=(*_foreign_warnings(sources), *_tls_warnings(targets, profiles)),
    )
