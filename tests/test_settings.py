"""The settings tables: consistent with each other, with Target, and with redis_exporter's own
command line (Debian's prometheus-redis-exporter); the value converters."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import pytest

from redis_ha_exporter.config import build_parser
from redis_ha_exporter.settings import (
    FOREIGN_FLAGS,
    SETTINGS,
    TARGET_KEYS,
    ForeignFlag,
    boolean,
    listen_address,
    password_file,
    positive_int,
    timeout_seconds,
)
from redis_ha_exporter.targets import Target
from support import require_tool, run_tool

TARGET_FIELDS = {f.name for f in dataclasses.fields(Target)}


def test_target_settings_name_target_fields() -> None:
    fields = [s.default_for[1] for s in SETTINGS if s.default_for] + [k.field for k in TARGET_KEYS]
    assert set(fields) <= TARGET_FIELDS


def test_names_flags_and_variables_are_declared_once() -> None:
    names = Counter(s.name for s in SETTINGS)
    envs = Counter(
        [s.env for s in SETTINGS if s.env]
        + [a.env for s in SETTINGS for a in s.aliases if a.env]
        + [f.env for f in FOREIGN_FLAGS if f.env]
    )
    go_flags = Counter(
        [a.flag for s in SETTINGS for a in s.aliases if a.flag] + [f.flag for f in FOREIGN_FLAGS]
    )
    repeated = [k for counter in (names, envs, go_flags) for k, n in counter.items() if n > 1]
    assert repeated == []
    build_parser()  # argparse refuses a flag registered twice


def test_secrets_have_no_flag() -> None:
    assert [s.name for s in SETTINGS if s.secret and s.flag] == []


def redis_exporter_flags() -> set[str]:
    """Flag names in Debian's ``prometheus-redis-exporter --help`` (Go's flag.PrintDefaults)."""
    result = run_tool([require_tool("prometheus-redis-exporter"), "--help"], timeout=30)
    names = set(re.findall(r"^  -([a-z0-9][a-z0-9.-]*)", result.stdout + result.stderr, re.M))
    assert "redis.addr" in names, result.stderr
    return names


def test_every_flag_of_debians_redis_exporter_is_declared() -> None:
    declared = {a.flag for s in SETTINGS for a in s.aliases} | {f.flag for f in FOREIGN_FLAGS}
    assert redis_exporter_flags() - declared - {"version"} == set()


@pytest.mark.parametrize(
    ("flag", "value", "nothing"),
    [
        (ForeignFlag("x", None, "false", "why"), "false", True),
        (ForeignFlag("x", None, "false", "why"), "0", True),
        (ForeignFlag("x", None, "false", "why"), "true", False),
        (ForeignFlag("x", None, "true", "why"), "T", True),
        (ForeignFlag("x", None, "", "why"), "", True),
        (ForeignFlag("x", None, "", "why"), "db0=*", False),
        (ForeignFlag("x", None, "redis", "why"), "redis", True),
        (ForeignFlag("x", None, "redis", "why"), "app", False),
    ],
)
def test_a_foreign_flag_at_its_default_asks_for_nothing(
    flag: ForeignFlag, value: str, nothing: bool
) -> None:
    assert flag.asks_for_nothing(value) is nothing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (":9121", ("0.0.0.0", 9121)),
        ("127.0.0.1:1", ("127.0.0.1", 1)),
        ("[::1]:9121", ("::1", 9121)),
    ],
)
def test_listen_address(text: str, expected: tuple[str, int]) -> None:
    assert listen_address(text) == expected


@pytest.mark.parametrize(
    ("convert", "value"),
    [
        (listen_address, "9121"),
        (listen_address, ":0"),
        (listen_address, ":65536"),
        (timeout_seconds, "nan"),
        (timeout_seconds, "inf"),
        (timeout_seconds, 601),
        (timeout_seconds, True),
        (positive_int, 1.5),
        (positive_int, True),
        (positive_int, "-3"),
        (boolean, "maybe"),
        (boolean, ["true"]),
    ],
)
def test_converters_refuse(convert: object, value: object) -> None:
    assert callable(convert)
    with pytest.raises(ValueError, match=r"^(expected|must)"):
        convert(value)


@pytest.mark.parametrize(
    ("content", "password"),
    [
        ("s3cret\n", "s3cret"),
        ("s3cret\r\n", "s3cret"),
        ("  padded  ", "  padded  "),
        ('["a", "list"]', '["a", "list"]'),
        ("{not json", "{not json"),
    ],
)
def test_password_file_holds_one_password(tmp_path: Path, content: str, password: str) -> None:
    path = tmp_path / "pw"
    path.write_text(content)
    assert password_file(str(path)) == password


def test_password_file_in_redis_exporters_json_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    path.write_text(' {"redis://localhost:6379": "s3cret"}\n')
    with pytest.raises(ValueError, match="JSON map") as raised:
        password_file(str(path))
    assert "s3cret" not in str(raised.value)
