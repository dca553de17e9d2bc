"""The settings tables: consistent with each other and with Target; the value converters."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

from redis_ha_exporter.config import build_parser
from redis_ha_exporter.settings import (
    SETTINGS,
    TARGET_KEYS,
    boolean,
    listen_address,
    password_file,
    positive_int,
    timeout_seconds,
)
from redis_ha_exporter.targets import Target

TARGET_FIELDS = {f.name for f in dataclasses.fields(Target)}


def test_target_settings_name_target_fields() -> None:
    fields = [s.default_for[1] for s in SETTINGS if s.default_for] + [k.field for k in TARGET_KEYS]
    assert set(fields) <= TARGET_FIELDS


def test_names_flags_and_variables_are_declared_once() -> None:
    names = Counter(s.name for s in SETTINGS)
    envs = Counter(s.env for s in SETTINGS if s.env)
    repeated = [k for counter in (names, envs) for k, n in counter.items() if n > 1]
    assert repeated == []
    build_parser()  # argparse refuses a flag registered twice


def test_secrets_have_no_flag() -> None:
    assert [s.name for s in SETTINGS if s.secret and s.flag] == []


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
        ('{"a": "map"}', '{"a": "map"}'),
    ],
)
def test_password_file_holds_one_password(tmp_path: Path, content: str, password: str) -> None:
    path = tmp_path / "pw"
    path.write_text(content)
    assert password_file(str(path)) == password
