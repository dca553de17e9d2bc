"""Configuration from flags, environment and YAML: precedence, defaults, strict errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from redis_ha_exporter.config import ConfigError, load_config
from redis_ha_exporter.targets import Kind
from support import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "config"


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
    assert config.scrape_timeout == 10.0


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


def test_yaml_targets_and_settings(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("yaml-secret")
    good = tmp_path / "good.yml"
    good.write_text((FIXTURES / "good.yml").read_text().replace("PASSWORD_FILE", str(secret)))
    config = load_config(["--config.file", str(good)], {"REDIS_PASSWORD": "global"})
    by_addr = {t.addr: t for t in config.targets}
    assert set(by_addr) == {"10.0.0.1:6389", "10.0.0.2:6389", "10.0.0.1:26389"}
    assert by_addr["10.0.0.1:6389"].username == "monitor"
    assert by_addr["10.0.0.1:6389"].password == "yaml-secret"
    assert by_addr["10.0.0.2:6389"].password == "global"
    assert by_addr["10.0.0.1:26389"].kind is Kind.SENTINEL
    assert (config.scrape_timeout, config.max_sentinel_masters, config.events_ring_size) == (
        4.0,
        20,
        50,
    )


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("bad-target-key.yml", "unknown key 'pasword_file'"),
        ("bad-unknown-key.yml", "unknown key 'scrape_timeout'"),
        ("bad-uri.yml", "scheme must be redis, rediss or unix"),
        ("bad-yaml.yml", "not valid YAML"),
        ("bad-password-file.yml", "cannot read password file /nonexistent/sentinel.password"),
        ("bad-timeout.yml", "expected float"),
        ("bad-top-level.yml", "top level must be a mapping"),
        ("missing.yml", "cannot read config file"),
    ],
)
def test_bad_config_files(fixture: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(["--config.file", str(FIXTURES / fixture)], {})


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--web.listen-address", "nope"], {}, "expected \\[host\\]:port"),
        (["--scrape.timeout", "0"], {}, "between 0 and 600"),
        (["--redis.addr", "a:1", "--redis.addr", "a:1"], {}, "configured twice"),
        ([], {"LOG_FORMAT": "xml"}, "log format"),
        ([], {"SCRAPE_TIMEOUT": "fast"}, "SCRAPE_TIMEOUT"),
        (["--web.telemetry-path", "metrics"], {}, "must start with /"),
    ],
)
def test_bad_values(argv: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(argv, env)


@pytest.mark.parametrize(
    "argv",
    [
        ["--no-such-flag"],
        ["--redis.addr", "redis://:hunter2@h:0x"],
        ["--config.file", str(FIXTURES / "bad-uri.yml")],
        ["--log.level", "loud"],
    ],
)
def test_command_line_errors_exit_2_with_one_line(argv: list[str]) -> None:
    result = run_cli(*argv)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("redis-ha-exporter: error:")
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


def test_version_flag() -> None:
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("redis-ha-exporter ")
