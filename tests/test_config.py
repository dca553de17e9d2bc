"""Configuration from flags, environment and YAML: precedence, defaults, redis_exporter's
spellings, and strict errors (status 2, one line, never a password)."""

from __future__ import annotations

import dataclasses
import ssl
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.certs import Certificates, make_certificates
from redis_ha_exporter import cli
from redis_ha_exporter.access import parse_patterns
from redis_ha_exporter.config import Config, build_parser, load_config
from redis_ha_exporter.settings import SETTINGS
from redis_ha_exporter.targets import Kind
from support import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "config"
SECRET = "hunter2"  # every password a bad input carries; no message may show it


def test_defaults_are_the_local_redis_and_sentinel() -> None:
    config = load_config([], {})
    assert [(t.addr, t.kind) for t in config.targets] == [
        ("localhost:6379", Kind.REDIS),
        ("localhost:26379", Kind.SENTINEL),
    ]
    assert (config.listen_host, config.listen_port, config.telemetry_path) == (
        "0.0.0.0",
        9121,
        "/metrics",
    )
    assert (config.scrape_timeout, config.log_level, config.log_format) == (10.0, "info", "logfmt")
    assert config.warnings == ()


def test_empty_sentinel_flag_turns_the_default_sentinel_off() -> None:
    config = load_config(["--redis.addr", "redis://db:6389", "--sentinel.addr="], {})
    assert [t.addr for t in config.targets] == ["db:6389"]


def test_flags_beat_environment(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    env = {"REDIS_ADDR": "a:1,b:2", "REDIS_PASSWORD": "from-env", "WEB_LISTEN_ADDRESS": ":9300"}
    config = load_config(["--redis.password-file", str(secret), "--sentinel.addr="], env)
    assert [t.addr for t in config.targets] == ["a:1", "b:2"]
    assert {t.password for t in config.targets} == {"from-file"}
    assert config.listen_port == 9300
    config = load_config(["--web.listen-address", "127.0.0.1:9400", "--sentinel.addr="], env)
    assert (config.listen_host, config.listen_port) == ("127.0.0.1", 9400)
    assert {t.password for t in config.targets} == {"from-env"}


def test_credentials_of_each_kind_go_onto_the_targets_of_that_kind(tmp_path: Path) -> None:
    secret = tmp_path / "sentinel-pw"
    secret.write_text("sentinel-secret\n")
    config = load_config(
        [
            "--redis.addr=db:6379",
            "--sentinel.addr=db:26379",
            "--redis.user=monitor",
            "--sentinel.user=watcher",
            f"--sentinel.password-file={secret}",
        ],
        {"REDIS_PASSWORD": "redis-secret"},
    )
    by_kind = {t.kind: (t.username, t.password) for t in config.targets}
    assert by_kind == {
        Kind.REDIS: ("monitor", "redis-secret"),
        Kind.SENTINEL: ("watcher", "sentinel-secret"),
    }
    # The flags of a kind make the profile of that name, which /sd names for that kind.
    assert config.profiles["redis"].fields == {"username": "monitor", "password": "redis-secret"}
    assert config.profiles["sentinel"].fields == {
        "username": "watcher",
        "password": "sentinel-secret",
    }
    assert "redis-secret" not in repr(config)


def test_yaml_targets_and_settings(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("yaml-secret")
    good = tmp_path / "good.yml"
    good.write_text((FIXTURES / "good.yml").read_text().replace("PASSWORD_FILE", str(secret)))
    config = load_config(["--config.file", str(good)], {"REDIS_PASSWORD": "global"})
    by_addr = {t.addr: t for t in config.targets}
    assert set(by_addr) == {
        "10.0.0.1:6389",
        "10.0.0.2:6389",
        "10.0.0.3:6389",
        "10.0.0.4:6389",
        "10.0.0.1:26389",
    }
    assert (by_addr["10.0.0.1:6389"].username, by_addr["10.0.0.1:6389"].password) == (
        "monitor",
        "yaml-secret",
    )
    assert by_addr["10.0.0.2:6389"].password == "global"
    assert (by_addr["10.0.0.3:6389"].username, by_addr["10.0.0.3:6389"].password) == (
        "urimonitor",
        "uri-secret",
    )
    assert by_addr["10.0.0.4:6389"].password == "yaml-secret"
    assert by_addr["10.0.0.1:26389"].kind is Kind.SENTINEL
    assert (config.scrape_timeout, config.max_sentinel_masters, config.events_ring_size) == (
        4.0,
        20,
        50,
    )


# field; a flag, a variable and a YAML key that each set it; the value with all three, without
# the flag, with the YAML key only, and with none of them.
PRECEDENCE: list[tuple[str, list[str], dict[str, str], dict[str, Any], tuple[Any, ...]]] = [
    (
        "scrape_timeout",
        ["--scrape.timeout", "3"],
        {"SCRAPE_TIMEOUT": "4.5"},
        {"scrape_timeout_seconds": 5},
        (3.0, 4.5, 5.0, 10.0),
    ),
    (
        "max_sentinel_masters",
        ["--sentinel.max-masters=3"],
        {"SENTINEL_MAX_MASTERS": "4"},
        {"max_sentinel_masters": 5},
        (3, 4, 5, 500),
    ),
    (
        "events_ring_size",
        ["--events.ring-size", "3"],
        {"EVENTS_RING_SIZE": "4"},
        {"events_ring_size": "5"},
        (3, 4, 5, 256),
    ),
    (
        "scrape_endpoint",
        ["--no-web.scrape-endpoint"],
        {"WEB_SCRAPE_ENDPOINT": "yes"},
        {"scrape_endpoint": False},
        (False, True, False, True),
    ),
    (
        "config_command",
        ["--redis.config-command", "C1"],
        {"REDIS_CONFIG_COMMAND": "-"},
        {"config_command": "C3"},
        ("C1", None, "C3", "CONFIG"),
    ),
    (
        "events_enabled",
        ["--sentinel.events"],
        {"SENTINEL_EVENTS": "off"},
        {"events_enabled": True},
        (True, False, True, True),
    ),
    (
        "scrape_max_concurrent",
        ["--scrape.max-concurrent", "3"],
        {"SCRAPE_MAX_CONCURRENT": "4"},
        {"scrape_max_concurrent": 5},
        (3, 4, 5, 32),
    ),
    (
        "scrape_allow",
        ["--scrape.allow", "any"],
        {"SCRAPE_ALLOW": "10.0.0.0/8, *.cache.internal:6379"},
        {"scrape_allow": ["[::1]:6379"]},
        (
            parse_patterns("any"),
            parse_patterns("10.0.0.0/8,*.cache.internal:6379"),
            parse_patterns(["[::1]:6379"]),
            (),
        ),
    ),
]


@pytest.mark.parametrize(
    ("field", "argv", "env", "data", "expected"), PRECEDENCE, ids=[p[0] for p in PRECEDENCE]
)
def test_flag_beats_variable_beats_yaml_beats_default(
    tmp_path: Path,
    field: str,
    argv: list[str],
    env: dict[str, str],
    data: dict[str, Any],
    expected: tuple[Any, ...],
) -> None:
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(data))
    with_file = ["--config.file", str(path)]
    got = (
        getattr(load_config([*argv, *with_file], env), field),
        getattr(load_config(with_file, env), field),
        getattr(load_config(with_file, {}), field),
        getattr(load_config([], {}), field),
    )
    assert got == expected


def test_every_yaml_setting_has_a_precedence_case() -> None:
    covered = {p[0] for p in PRECEDENCE}
    assert {s.name for s in SETTINGS if s.yaml and s.addresses_of is None} == covered


def test_help_shows_each_declared_variable_and_default() -> None:
    text = " ".join(build_parser().format_help().split())
    for setting in SETTINGS:
        if not setting.flag:
            continue
        assert setting.flag in text
        assert f"env {setting.env}" in text, setting.name
        if setting.default is not None:
            assert f"(default {setting.default})" in text, setting.name


# --- redis_exporter's spellings ----------------------------------------------------------------
# redis_exporter's argv and environment; ours that must give the same Config; one field of it.
SPELLINGS: list[tuple[list[str], dict[str, str], list[str], dict[str, str], str, Any]] = [
    (["-redis.addr", "redis://db:6390"], {}, ["--redis.addr", "redis://db:6390"], {}, "targets", 1),
    (["-redis.addr=db:6390"], {}, ["--redis.addr", "db:6390"], {}, "targets", 1),
    (
        ["--redis.addr=db:6390", "-redis.addr", "db:6391"],
        {},
        ["--redis.addr", "db:6390", "--redis.addr", "db:6391"],
        {},
        "targets",
        2,
    ),
    (
        ["-redis.user", "monitor"],
        {},
        ["--redis.user", "monitor"],
        {},
        "redis_profile",
        {"username": "monitor"},
    ),
    (
        ["-redis.password-file", "PW"],
        {},
        ["--redis.password-file", "PW"],
        {},
        "redis_profile",
        {"password": "s3cret"},
    ),
    (
        ["-tls-ca-cert-file", "CA", "-tls-client-cert-file=CERT", "--tls-client-key-file", "KEY"],
        {},
        ["--redis.tls-ca-file", "CA", "--redis.tls-cert-file", "CERT", "--redis.tls-key-file=KEY"],
        {},
        "redis_profile",
        {"tls_ca_file": "CA", "tls_cert_file": "CERT", "tls_key_file": "KEY"},
    ),
    (
        [],
        {
            "REDIS_EXPORTER_TLS_CA_CERT_FILE": "CA",
            "REDIS_EXPORTER_TLS_CLIENT_CERT_FILE": "CERT",
            "REDIS_EXPORTER_TLS_CLIENT_KEY_FILE": "KEY",
        },
        [],
        {"REDIS_TLS_CA_FILE": "CA", "REDIS_TLS_CERT_FILE": "CERT", "REDIS_TLS_KEY_FILE": "KEY"},
        "redis_profile",
        {"tls_ca_file": "CA", "tls_cert_file": "CERT", "tls_key_file": "KEY"},
    ),
    (
        ["-skip-tls-verification"],
        {},
        ["--redis.tls-insecure-skip-verify"],
        {},
        "redis_profile",
        {"tls_insecure_skip_verify": True},
    ),
    (
        [],
        {"REDIS_EXPORTER_SKIP_TLS_VERIFICATION": "true"},
        [],
        {"REDIS_TLS_INSECURE_SKIP_VERIFY": "yes"},
        "redis_profile",
        {"tls_insecure_skip_verify": True},
    ),
    (["-skip-tls-verification=false"], {}, [], {}, "redis_profile", {}),
    (
        ["-web.listen-address", "127.0.0.1:9200"],
        {},
        ["--web.listen-address", "127.0.0.1:9200"],
        {},
        "listen_port",
        9200,
    ),
    (
        ["-web.telemetry-path=/m"],
        {},
        ["--web.telemetry-path", "/m"],
        {},
        "telemetry_path",
        "/m",
    ),
    (["-log-format", "txt"], {}, ["--log.format", "logfmt"], {}, "log_format", "logfmt"),
    (["--log-format=json"], {}, ["--log.format", "json"], {}, "log_format", "json"),
    (["-debug"], {}, ["--log.level", "debug"], {}, "log_level", "debug"),
    (["--debug=true"], {}, ["--log.level", "debug"], {}, "log_level", "debug"),
    (["-debug=false"], {}, [], {}, "log_level", "info"),
    (
        [],
        {"REDIS_EXPORTER_WEB_LISTEN_ADDRESS": ":9200"},
        [],
        {"WEB_LISTEN_ADDRESS": ":9200"},
        "listen_port",
        9200,
    ),
    (
        [],
        {"REDIS_EXPORTER_WEB_TELEMETRY_PATH": "/m"},
        [],
        {"WEB_TELEMETRY_PATH": "/m"},
        "telemetry_path",
        "/m",
    ),
    (
        [],
        {"REDIS_EXPORTER_LOG_FORMAT": "txt"},
        [],
        {"LOG_FORMAT": "logfmt"},
        "log_format",
        "logfmt",
    ),
    (
        ["-config-command", "MYCONFIG"],
        {},
        [],
        {"REDIS_CONFIG_COMMAND": "MYCONFIG"},
        "config_command",
        "MYCONFIG",
    ),
    (["-config-command=-"], {}, ["--redis.config-command", "-"], {}, "config_command", None),
    (
        [],
        {"REDIS_EXPORTER_CONFIG_COMMAND": "-"},
        [],
        {"REDIS_CONFIG_COMMAND": "-"},
        "config_command",
        None,
    ),
    ([], {"REDIS_EXPORTER_DEBUG": "1"}, [], {"LOG_LEVEL": "debug"}, "log_level", "debug"),
    ([], {"REDIS_EXPORTER_DEBUG": "false"}, [], {}, "log_level", "info"),
]


def _value(config: Config, field: str) -> Any:
    """The field's value; its size for the target list; the fields of the ``redis`` profile."""
    if field == "redis_profile":
        return dict(config.profiles["redis"].fields)
    value = getattr(config, field)
    return len(value) if isinstance(value, tuple) else value


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


def with_files(text: str, secret: Path, certs: Certificates) -> str:
    """``text`` with the placeholders PW, CA, CERT and KEY replaced by the files' paths."""
    for word, path in (
        ("PW", secret),
        ("CA", certs.ca),
        ("CERT", certs.client_cert),
        ("KEY", certs.client_key),
    ):
        text = text.replace(word, str(path))
    return text


@pytest.mark.parametrize(
    ("theirs", "their_env", "ours", "our_env", "field", "expected"),
    SPELLINGS,
    ids=[" ".join(s[0]) or ",".join(s[1]) for s in SPELLINGS],
)
def test_redis_exporter_spellings_give_the_same_config(
    tmp_path: Path,
    certs: Certificates,
    theirs: list[str],
    their_env: dict[str, str],
    ours: list[str],
    our_env: dict[str, str],
    field: str,
    expected: Any,
) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    theirs = [with_files(arg, secret, certs) for arg in theirs]
    ours = [with_files(arg, secret, certs) for arg in ours]
    their_env = {k: with_files(v, secret, certs) for k, v in their_env.items()}
    our_env = {k: with_files(v, secret, certs) for k, v in our_env.items()}
    if isinstance(expected, dict):
        expected = {
            k: with_files(v, secret, certs) if isinstance(v, str) else v
            for k, v in expected.items()
        }
    config = load_config(theirs, their_env)
    assert config == load_config(ours, our_env)
    # The size of the target list: a redis_exporter target list is never the default one.
    assert _value(config, field) == expected
    if field == "targets":
        assert all(t.addr.startswith("db:") for t in config.targets)


@pytest.mark.parametrize(
    ("argv", "env", "field", "expected"),
    [
        (
            [],
            {"WEB_LISTEN_ADDRESS": ":9300", "REDIS_EXPORTER_WEB_LISTEN_ADDRESS": ":9200"},
            "listen_port",
            9300,
        ),
        ([], {"LOG_LEVEL": "warn", "REDIS_EXPORTER_DEBUG": "true"}, "log_level", "warn"),
        (["-log-format", "json"], {"LOG_FORMAT": "logfmt"}, "log_format", "json"),
        (["--log.format", "json", "-log-format", "txt"], {}, "log_format", "logfmt"),
        (["-debug", "--log.level", "error"], {}, "log_level", "error"),
    ],
)
def test_our_variable_beats_theirs_and_the_last_flag_wins(
    argv: list[str], env: dict[str, str], field: str, expected: Any
) -> None:
    assert getattr(load_config(argv, env), field) == expected


@pytest.mark.parametrize(
    ("argv", "env", "warned"),
    [
        (["-include-system-metrics"], {}, "-include-system-metrics"),
        (["--include-system-metrics=false"], {}, "-include-system-metrics"),
        (["-namespace", "redis"], {}, "-namespace"),
        (["-is-tile38=false"], {}, "-is-tile38"),
        (["-connection-timeout", "5s"], {}, "-connection-timeout"),
        ([], {"REDIS_EXPORTER_INCL_SYSTEM_METRICS": "true"}, "REDIS_EXPORTER_INCL_SYSTEM_METRICS"),
    ],
)
def test_harmless_redis_exporter_flags_are_ignored_with_one_warning(
    argv: list[str], env: dict[str, str], warned: str
) -> None:
    config = load_config(argv, env)
    assert len(config.warnings) == 1
    assert config.warnings[0].startswith(f"ignoring redis_exporter's {warned}: ")
    assert dataclasses.replace(config, warnings=()) == load_config([], {})


def test_an_empty_redis_exporter_variable_is_unset() -> None:
    assert load_config([], {"REDIS_EXPORTER_CHECK_KEYS": ""}).warnings == ()


def test_a_password_file_may_start_with_a_brace(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("{not json\n")
    config = load_config(["--redis.password-file", str(secret)], {})
    assert config.profiles["redis"].fields["password"] == "{not json"


# --- profiles and TLS ---------------------------------------------------------------------------
def test_profiles_from_the_file_and_the_flags_of_each_kind(
    tmp_path: Path, certs: Certificates
) -> None:
    secret = tmp_path / "pw"
    secret.write_text("yaml-secret\n")
    path = tmp_path / "config.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "redis": ["redis://10.0.0.1:6379", {"addr": "10.0.0.2:6379", "user": "own"}],
                "sentinel": ["rediss://10.0.0.1:26379"],
                "profiles": {
                    "redis": {"user": "yaml-user", "password_file": str(secret)},
                    "sentinel": {"tls_ca_file": str(certs.ca), "tls_server_name": "sentinel"},
                    "fleet": {
                        "password": "fleet-secret",
                        "tls": True,
                        "tls_min_version": "TLS13",
                        "addresses": ["10.1.0.0/16:6379", "*.cache.internal"],
                    },
                },
            }
        )
    )
    config = load_config(["--config.file", str(path), "--redis.user", "flag-user"], {})
    assert sorted(config.profiles) == ["fleet", "redis", "sentinel"]
    # A flag beats the YAML profile of its kind, which fills in what the flags leave unset.
    assert config.profiles["redis"].fields == {"username": "flag-user", "password": "yaml-secret"}
    fleet = config.profiles["fleet"]
    assert fleet.fields == {
        "password": "fleet-secret",
        "tls": True,
        "tls_min_version": ssl.TLSVersion.TLSv1_3,
    }
    assert [p.text for p in fleet.addresses] == ["10.1.0.0/16:6379", "*.cache.internal"]
    assert "fleet-secret" not in repr(config)
    by_addr = {t.addr: t for t in config.targets}
    assert (by_addr["10.0.0.1:6379"].username, by_addr["10.0.0.1:6379"].password) == (
        "flag-user",
        "yaml-secret",
    )
    assert by_addr["10.0.0.2:6379"].username == "own"  # the entry beats the profile
    assert not by_addr["10.0.0.1:6379"].uses_tls
    sentinel = by_addr["10.0.0.1:26379"]
    assert sentinel.uses_tls
    assert (sentinel.tls_ca_file, sentinel.tls_server_name) == (str(certs.ca), "sentinel")


def test_tls_settings_per_target_and_what_turns_tls_on(tmp_path: Path, certs: Certificates) -> None:
    path = tmp_path / "config.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "redis": [
                    {
                        "addr": "10.0.0.1:6379",
                        "tls_ca_file": str(certs.ca),
                        "tls_cert_file": str(certs.client_cert),
                        "tls_key_file": str(certs.client_key),
                        "tls_min_version": "TLS1.2",
                    },
                    {"addr": "10.0.0.2:6379", "tls": True},
                    {"addr": "rediss://10.0.0.3:6379", "tls_insecure_skip_verify": True},
                    {"addr": "10.0.0.4:6379"},
                    {"addr": "unix:///run/redis.sock", "tls": True},
                ]
            }
        )
    )
    config = load_config(["--config.file", str(path), "--sentinel.addr="], {})
    uses = {t.addr: t.uses_tls for t in config.targets}
    assert uses == {
        "10.0.0.1:6379": True,
        "10.0.0.2:6379": True,
        "10.0.0.3:6379": True,
        "10.0.0.4:6379": False,
        "/run/redis.sock": False,  # no TLS on a unix socket
    }
    first = config.targets[0]
    assert (first.tls_cert_file, first.tls_min_version) == (
        str(certs.client_cert),
        ssl.TLSVersion.TLSv1_2,
    )
    # Turning verification off is said once at start.
    assert config.warnings == (
        "redis target 10.0.0.3:6379: TLS server certificates are not verified "
        "(tls_insecure_skip_verify)",
    )


# --- bad input -----------------------------------------------------------------------------------
BAD_FILES = {
    "bad-bool.yml": "scrape_endpoint 'maybe': expected true or false",
    "bad-count.yml": "events_ring_size 0: must be at least 1",
    "bad-duplicate.yml": "target 10.0.0.1:6379 (redis) is configured twice",
    "bad-password-file.yml": (
        "sentinel[0].password_file '/nonexistent/sentinel.password': cannot read: "
        "No such file or directory"
    ),
    "bad-password-inline.yml": "redis[0].password: expected a single value",
    "bad-target-entry.yml": "redis[0] must be a mapping with addr",
    "bad-target-key.yml": "redis[0]: unknown key 'pasword_file'",
    "bad-target-no-addr.yml": "sentinel[0]: addr is required",
    "bad-targets-not-list.yml": "redis must be a list",
    "bad-timeout.yml": "scrape_timeout_seconds 'soon': expected a number of seconds",
    "bad-top-level.yml": "top level must be a mapping",
    "bad-unknown-key.yml": "unknown key 'scrape_timeout'",
    "bad-uri-secret.yml": "scheme must be redis, rediss or unix",
    "bad-uri.yml": "scheme must be redis, rediss or unix",
    "bad-whole-number.yml": "max_sentinel_masters 2.5: expected a whole number",
    "bad-yaml.yml": "line 2: not valid YAML",
    "bad-profile-key.yml": "profiles.fleet: unknown key 'pasword_file'",
    "bad-profiles-not-mapping.yml": "profiles must be a mapping of names to profiles",
    "bad-profile-addresses.yml": "profiles.fleet.addresses ['10.0.0.*:6379']: bad address",
    "bad-profile-name.yml": "bad profile name 'two words'",
    "bad-tls-min-version.yml": "redis[0].tls_min_version 'TLS11': expected TLS12 or TLS13",
    "bad-scrape-allow.yml": "scrape_allow ['redis://10.0.0.1:6379']: bad address pattern",
}

BAD_INPUT: list[tuple[list[str], dict[str, str], str]] = [
    (["--no-such-flag"], {}, "unrecognized argument: --no-such-flag"),
    (["-redis.add", "db:6379"], {}, "unrecognized argument: -redis.add"),
    (["--redis.addr", f"redis://:{SECRET}@h:0x"], {}, "bad target address"),
    ([], {"REDIS_ADDR": f"ftp://u:{SECRET}@h"}, "scheme must be redis"),
    (["--log.level", "loud"], {}, "--log.level 'loud': expected debug, info, warn, warning or"),
    ([], {"LOG_FORMAT": "xml"}, "LOG_FORMAT 'xml': expected logfmt or json"),
    ([], {"REDIS_EXPORTER_LOG_FORMAT": "xml"}, "REDIS_EXPORTER_LOG_FORMAT 'xml': expected"),
    (["-debug=maybe"], {}, "argument -debug: expected true or false"),
    ([], {"REDIS_EXPORTER_DEBUG": "maybe"}, "REDIS_EXPORTER_DEBUG: expected true or false"),
    (["--scrape.timeout", "0"], {}, "--scrape.timeout '0': must be between 0 and 600 seconds"),
    ([], {"SCRAPE_TIMEOUT": "fast"}, "SCRAPE_TIMEOUT 'fast': expected a number of seconds"),
    (["--events.ring-size", "0"], {}, "--events.ring-size '0': must be at least 1"),
    ([], {"SENTINEL_EVENTS": "maybe"}, "SENTINEL_EVENTS 'maybe': expected true or false"),
    (["--web.listen-address", "nope"], {}, "--web.listen-address 'nope': expected [host]:port"),
    (["--web.telemetry-path", "metrics"], {}, "must start with /"),
    (["--redis.addr", "a:1", "--redis.addr", "a:1"], {}, "configured twice"),
    (["--redis.password-file", "/nonexistent/pw"], {}, "'/nonexistent/pw': cannot read"),
    (["--redis.password-file", "JSON"], {}, "holds a JSON map of URIs to passwords"),
    ([], {"REDIS_PASSWORD_FILE": "JSON"}, "REDIS_PASSWORD_FILE"),
    (["--web.config.file", "/nonexistent/web.yml"], {}, "cannot read web config file"),
    (["--config.file", "/nonexistent/config.yml"], {}, "cannot read config file"),
    ([], {"CONFIG_FILE": "/nonexistent/config.yml"}, "cannot read config file"),
    (["-redis.password", SECRET], {}, "-redis.password: a password on the command line"),
    (["-check-keys", "db0=user:*"], {}, "-check-keys: key and stream checks"),
    ([], {"REDIS_EXPORTER_CHECK_KEYS": "db0=user:*"}, "REDIS_EXPORTER_CHECK_KEYS: key"),
    (["-namespace", "app"], {}, "-namespace: metric names always start with redis_"),
    (["-is-tile38"], {}, "-is-tile38: Tile38 is not supported"),
    (["-is-tile38=perhaps"], {}, "-is-tile38: expected true or false"),
    (["--tls-server-cert-file=/etc/tls.crt"], {}, "serve TLS with tls_server_config"),
    (["--redis.tls-ca-file", "/nonexistent/ca.pem"], {}, "'/nonexistent/ca.pem': cannot read"),
    (
        ["--redis.tls-ca-file", "JSON"],
        {},
        "redis target localhost:6379: cannot load TLS files",
    ),
    (
        ["--sentinel.tls-key-file", "JSON"],
        {},
        "sentinel target localhost:26379: tls_key_file needs tls_cert_file",
    ),
    ([], {"REDIS_TLS_MIN_VERSION": "SSL3"}, "REDIS_TLS_MIN_VERSION 'SSL3': expected TLS12"),
    (["-tls-ca-cert-file", "/nonexistent/ca.pem"], {}, "'/nonexistent/ca.pem': cannot read"),
    (["-skip-tls-verification=maybe"], {}, "expected true or false"),
    (["--scrape.allow", "10.0.0.*"], {}, "--scrape.allow '10.0.0.*': bad address pattern"),
    (["--scrape.max-concurrent", "0"], {}, "must be at least 1"),
    (["-basic-auth-password", SECRET], {}, "-basic-auth-password: set basic_auth_users"),
    (["-config-command", ""], {}, "'': expected a command name, or - for none"),
    (["--redis.config-command", "CONFIG GET"], {}, "expected a command name"),
] + [(["--config.file", str(FIXTURES / name)], {}, message) for name, message in BAD_FILES.items()]


def test_every_bad_fixture_is_tested() -> None:
    assert set(BAD_FILES) == {path.name for path in FIXTURES.glob("bad-*.yml")}


@pytest.mark.parametrize(
    ("argv", "env", "message"), BAD_INPUT, ids=[" ".join(b[0]) or ",".join(b[1]) for b in BAD_INPUT]
)
def test_bad_input_exits_2_with_one_line_naming_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    passwords = tmp_path / "passwords.json"  # redis_exporter's -redis.password-file format
    passwords.write_text(f'{{"redis://localhost:6379": "{SECRET}"}}\n')
    argv = [arg.replace("JSON", str(passwords)) for arg in argv]
    env = {k: v.replace("JSON", str(passwords)) for k, v in env.items()}

    async def must_not_serve(config: Config) -> None:
        raise AssertionError(f"started with {config}")

    monkeypatch.setattr(cli, "serve", must_not_serve)
    status: int | str | None
    try:
        status = cli.main(argv, env)
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("redis-ha-exporter: error: ")
    assert message in lines[0]
    assert SECRET not in err


def test_bad_input_from_a_real_process_exits_2_with_one_line() -> None:
    result = run_cli("--config.file", str(FIXTURES / "bad-uri-secret.yml"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("redis-ha-exporter: error: config file ")
    assert SECRET not in result.stderr


@pytest.mark.parametrize("flag", ["--version", "-version"])
def test_version_flag(flag: str) -> None:
    result = run_cli(flag)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("redis-ha-exporter ")
