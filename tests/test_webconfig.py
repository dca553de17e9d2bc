"""exporter-toolkit web config: strict decoding, bcrypt users, TLS files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import bcrypt
import pytest

from redis_ha_exporter.settings import ConfigError
from redis_ha_exporter.webconfig import load_web_config


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "web.yml"
    path.write_text(text)
    return str(path)


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_basic_auth_users_are_checked_with_bcrypt(tmp_path: Path) -> None:
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    config = load_web_config(write(tmp_path, f"basic_auth_users:\n  prom: '{hashed}'\n"))
    assert config.check_password("prom", "s3cret")
    assert not config.check_password("prom", "wrong")
    assert not config.check_password("nobody", "s3cret")
    assert "s3cret" not in repr(config)
    assert hashed not in repr(config)


def test_tls_files_make_an_ssl_context(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    config = load_web_config(
        write(tmp_path, f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n")
    )
    assert config.ssl_context is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("basic_auth_users:\n  prom: plaintext\n", "not a bcrypt hash"),
        (
            "tls_server_config:\n  cert_file: /nope.crt\n  key_file: /nope.key\n",
            "cannot load TLS files",
        ),
        ("tls_server_config:\n  cert_file: /x\n", "needs cert_file and key_file"),
        ("tls_config:\n  cert_file: /x\n", "unknown or unsupported key 'tls_config'"),
        ("http_server_config:\n  http2: true\n", "unknown or unsupported key 'http2'"),
        ("- a list\n", "must be a mapping"),
        ("basic_auth_users: [\n", "not valid YAML"),
    ],
)
def test_bad_web_configs(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_web_config(write(tmp_path, text))


def test_missing_web_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read web config file"):
        load_web_config(str(tmp_path / "absent.yml"))
