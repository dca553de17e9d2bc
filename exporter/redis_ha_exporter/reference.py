"""Generated documentation (``make docs``).

``python -m redis_ha_exporter.reference`` prints ``docs/metrics.md`` from the catalogue;
``python -m redis_ha_exporter.reference --splice FILE…`` rewrites, in each file, the blocks
between ``<!-- begin NAME … -->`` and ``<!-- end NAME -->`` from the settings tables
(:data:`BLOCKS`), and leaves the rest of the file as it is.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from redis_ha_exporter.catalogue import CATALOGUE
from redis_ha_exporter.settings import (
    FOREIGN_FLAGS,
    PROFILE_ADDRESSES,
    PROFILES_KEY,
    SETTINGS,
    TARGET_KEYS,
    Alias,
    ForeignFlag,
    Setting,
    boolean,
)

GROUP_TITLES = {
    "redis": "Redis (INFO server, INFO replication)",
    "instance": "The rest of a Redis server (INFO ALL, CONFIG GET, SLOWLOG, LATENCY LATEST)",
    "sentinel": "Sentinel state (INFO sentinel, SENTINEL MASTERS / SLAVES / SENTINELS / CKQUORUM)",
    "events": "Sentinel event stream (PSUBSCRIBE *)",
    "exporter": "The exporter itself",
}


GROUP_NOTES = {
    "instance": [
        "Exported for Redis targets only, never for a Sentinel: dashboard 763 and most queries",
        "sum these families by `instance`, and an exporter serves its host's Redis and Sentinel",
        "under one `instance`, so a Sentinel's own clients, commands and memory would be added",
        "to its Redis server's. A Sentinel keeps `redis_up`, `redis_instance_info`,",
        "`redis_uptime_in_seconds` and the Sentinel families below.",
        "",
        "Everything is read in the scrape's one round trip to the server: `INFO ALL`, one",
        "`CONFIG GET` per parameter, `SLOWLOG LEN`, `SLOWLOG GET 1` and `LATENCY LATEST`.",
        "A command renamed away, disabled or refused by an ACL leaves out only its families",
        "(`--redis.config-command` gives `CONFIG`'s new name, `-` sends none); `redis_up` stays",
        "1 and one line per target names it: a warning when an ACL refused it, else a debug",
        "line (`docs/security.md` gives the least-privilege ACL users). A family whose field",
        "the server does not print (an older or newer Redis) is left out. Not exported:",
        "`LATENCY HISTOGRAM`",
        "(`redis_commands_latencies_usec`), the fields of modules, forks (Valkey, KeyDB, Tile38)",
        "and managed services, and the opt-in `total_system_memory`.",
        "",
        "A few of redis_exporter's counters have no `_total` suffix (`redis_total_error_replies`,",
        "…): they keep their names and values and are exposed untyped, because client_python",
        "exposes every counter as `NAME_total`; `rate()` and `increase()` work on them as before.",
        "",
    ],
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
        "",
        "Compat names, labels, types and units follow redis_exporter's release v1.88.0. Every",
        "name Debian's 1.45 exports from a Redis is among them, with its labels and type, but",
        "for what changed upstream since: `redis_instance_info` has gained `master_replid`, and",
        "`redis_expired_time_cap_reached_total` is a counter.",
    ]
    for group, title in GROUP_TITLES.items():
        out += ["", f"## {title}", ""]
        out += GROUP_NOTES.get(group, [])
        out += [
            "| metric | type | labels | source | help |",
            "| --- | --- | --- | --- | --- |",
        ]
        for spec in CATALOGUE:
            if spec.group != group:
                continue
            name = f"`{spec.name}`" + (" *compat*" if spec.compat else "")
            labels = ", ".join(f"`{label}`" for label in spec.labels) or "—"
            kind = spec.kind.value
            if spec.exposed_type != kind:
                kind = f"{kind} (exposed untyped)"
            out.append(f"| {name} | {kind} | {labels} | {spec.source} | {spec.help} |")
    return "\n".join(out) + "\n"


def _flag(setting: Setting) -> str:
    if not setting.flag:
        return "—"
    if setting.convert is boolean:
        return f"`--[no-]{setting.flag[2:]}`"
    return f"`{setting.flag} {setting.metavar or 'VALUE'}`"


def _yaml(setting: Setting) -> str:
    if setting.addresses_of is not None:
        return f"`{setting.yaml}:` list"
    if setting.default_for is not None:
        kind, target_field = setting.default_for
        keys = [k.key for k in TARGET_KEYS if k.field == target_field]
        profile = ", ".join(f"`{PROFILES_KEY}.{kind.value}.{k}`" for k in keys)
        return f"{profile}; per entry: {', '.join(f'`{k}`' for k in keys)}" if keys else "—"
    return f"`{setting.yaml}`" if setting.yaml else "—"


def _code(value: str | None) -> str:
    return f"`{value}`" if value else "—"


def render_settings() -> str:
    """The README's table of flags, variables and YAML keys, and the keys of a target entry."""
    out = [
        "| flag | environment | YAML key | default | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    out += [
        f"| {_flag(s)} | {_code(s.env)} | {_yaml(s)} | {_code(s.default)} | {s.meaning} |"
        for s in SETTINGS
    ]
    out += [
        "",
        "A flag or variable that sets a target's field (user, password, TLS) belongs to the",
        f"profile of its kind (`{PROFILES_KEY}.redis`, `{PROFILES_KEY}.sentinel`; a flag beats",
        "the YAML key): every configured target of that kind whose URI or YAML entry does not",
        "set the field takes it, and `/sd` names that profile for the Redis servers and",
        "Sentinels it lists. Each entry of the YAML `redis:` and `sentinel:` lists is a URI or a",
        "mapping of `addr` (the target's URI, required) and the keys below; each entry of",
        f"`{PROFILES_KEY}:` (a name, for `/scrape?profile=NAME`) is a mapping of the keys below",
        f"and `{PROFILE_ADDRESSES.key}` ([docs/security.md](docs/security.md)).",
        "",
        "| key | meaning |",
        "| --- | --- |",
    ]
    out += [f"| `{k.key}` | {k.help} |" for k in TARGET_KEYS]
    out.append(f"| `{PROFILE_ADDRESSES.key}` | a profile's only: {PROFILE_ADDRESSES.help} |")
    return "\n".join(out) + "\n"


def _alias_row(setting: Setting, alias: Alias) -> str:
    ours = f"`{setting.flag}`"
    if alias.switch is not None:
        ours = f"`{setting.flag} {alias.switch}` when true"
    elif alias.values:
        words = ", ".join(f"`{theirs}` means `{mine}`" for theirs, mine in alias.values.items())
        ours = f"`{setting.flag}` ({words})"
    note = f"; {alias.note}" if alias.note else ""
    return f"| `-{alias.flag}` | {_code(alias.env or setting.env)} | same as {ours}{note} |"


def _when_refused(flag: ForeignFlag) -> str:
    if flag.boolean:
        return "when " + ("false" if flag.default == "true" else "true")
    return f"unless `{flag.default}`" if flag.default else "when set"


def _foreign_row(flag: ForeignFlag) -> str:
    if flag.rejected:
        outcome = f"**refused** (exit status 2) {_when_refused(flag)}: {flag.why}"
    else:
        outcome = f"ignored, with a warning: {flag.why}"
    return f"| `-{flag.flag}` | {_code(flag.env)} | {outcome} |"


def render_redis_exporter_flags() -> str:
    """Every redis_exporter flag: the setting it spells, or what happens when it is given."""
    rows = [
        (alias.flag, _alias_row(setting, alias))
        for setting in SETTINGS
        for alias in setting.aliases
        if alias.flag
    ]
    rows += [(flag.flag, _foreign_row(flag)) for flag in FOREIGN_FLAGS]
    out = ["| redis_exporter flag | its variable | here |", "| --- | --- | --- |"]
    out += [row for _, row in sorted(rows)]
    return "\n".join(out) + "\n"


BLOCKS: dict[str, Callable[[], str]] = {
    "settings": render_settings,
    "redis_exporter-flags": render_redis_exporter_flags,
}


def splice(text: str, blocks: Mapping[str, Callable[[], str]] = BLOCKS) -> str:
    """``text`` with every generated block it holds (of ``blocks``: a name and what renders
    it) rendered afresh. Input::

    before
    <!-- begin settings: generated by `make docs`, do not edit -->
    stale table
    <!-- end settings -->
    after
    """
    for name, render in blocks.items():
        begin = f"<!-- begin {name}: "
        end = f"<!-- end {name} -->"
        if begin not in text:
            continue
        head, _, rest = text.partition(begin)
        begin_line, _, rest = rest.partition("\n")
        if end not in rest:
            raise ValueError(f"{begin.strip()} has no {end}")
        _, _, tail = rest.partition(end)
        text = f"{head}{begin}{begin_line}\n{render()}{end}{tail}"
    return text


def main(argv: list[str]) -> None:
    if argv[:1] == ["--splice"]:
        for name in argv[1:]:
            path = Path(name)
            path.write_text(splice(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(render())


if __name__ == "__main__":
    main(sys.argv[1:])
