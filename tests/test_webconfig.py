"""exporter-toolkit web config: strict decoding, bcrypt users, TLS files."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest

from harness.certs import Certificates, make_certificates
from redis_ha_exporter import webconfig
from redis_ha_exporter.settings import ConfigError
from redis_ha_exporter.webconfig import WebConfigFile, load_web_config


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


# --- WebConfigFile: reloads, bcrypt off the event loop, remembered checks ------------------------
class CountingCheck:
    """``bcrypt.checkpw`` as the web config module calls it, counted; ``gate`` (when set) holds
    every check until it opens, and ``most`` is how many ran at once."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls = 0
        self.running = 0
        self.most = 0
        self.threads: set[str] = set()
        self.gate = gate
        self.lock = threading.Lock()

    def __call__(self, password: bytes, hashed: bytes) -> bool:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.current_thread().name)
        try:
            if self.gate is not None:
                self.gate.wait(10)
            return real_checkpw(password, hashed)
        finally:
            with self.lock:
                self.running -= 1


real_checkpw = bcrypt.checkpw


def users_file(tmp_path: Path, **users: str) -> Path:
    lines = [
        f"  {user}: '{bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4)).decode()}'"
        for user, pw in users.items()
    ]
    path = tmp_path / "web.yml"
    path.write_text("basic_auth_users:\n" + "\n".join(lines) + "\n")
    return path


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingCheck:
    check = CountingCheck()
    monkeypatch.setattr(bcrypt, "checkpw", check)
    return check


@pytest.fixture
def web(tmp_path: Path) -> Iterator[WebConfigFile]:
    """The web config file of one user, prom, whose password is s3cret."""
    web_file = WebConfigFile(load_web_config(str(users_file(tmp_path, prom="s3cret"))))
    yield web_file
    web_file.close()


async def test_a_right_password_is_checked_once_then_remembered(
    web: WebConfigFile, counting: CountingCheck
) -> None:
    config = web.current()
    assert await web.authorised(config, header("prom", "s3cret")) is True
    assert await web.authorised(config, header("prom", "s3cret")) is True
    assert counting.calls == 1
    for _ in range(2):  # a wrong password is never remembered
        assert await web.authorised(config, header("prom", "wrong")) is False
    assert counting.calls == 3
    assert counting.threads == {"bcrypt_0"}  # never on the event loop's thread


async def test_an_unknown_user_costs_a_check_like_a_known_one(
    web: WebConfigFile, counting: CountingCheck
) -> None:
    config = web.current()
    # The right password of a user that does not exist: checked, and refused all the same.
    assert await web.authorised(config, header("nobody", "s3cret")) is False
    assert await web.authorised(config, header("nobody", "s3cret")) is False
    assert counting.calls == 2
    for bad in ("Bearer x", "Basic !!", "Basic " + base64.b64encode(b"no-colon").decode()):
        assert await web.authorised(config, bad) is False
    assert counting.calls == 2  # what is not basic auth needs no bcrypt


async def test_a_changed_file_is_read_again_and_forgets_what_it_remembered(
    tmp_path: Path, counting: CountingCheck, caplog: pytest.LogCaptureFixture
) -> None:
    path = users_file(tmp_path, prom="old")
    web = WebConfigFile(load_web_config(str(path)))
    assert await web.authorised(web.current(), header("prom", "old")) is True
    users_file(tmp_path, prom="new")
    config = web.current()
    assert await web.authorised(config, header("prom", "old")) is False
    assert await web.authorised(config, header("prom", "new")) is True
    # The same password under a fresh hash (same length: only the mtime changed) is checked anew.
    users_file(tmp_path, prom="new")
    before = counting.calls
    assert await web.authorised(web.current(), header("prom", "new")) is True
    assert counting.calls == before + 1
    # A broken file keeps the last good configuration, and says so once.
    path.write_text("basic_auth_users: [\n")
    with caplog.at_level(logging.INFO, logger="redis_ha_exporter.webconfig"):
        for _ in range(3):
            assert await web.authorised(web.current(), header("prom", "new")) is True
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "web config file not reloaded: keeping the last good one"
    ]
    web.close()


async def test_one_check_at_a_time_off_the_loop_and_beyond_the_queue_none(
    web: WebConfigFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    check = CountingCheck(gate)
    monkeypatch.setattr(bcrypt, "checkpw", check)
    config = web.current()
    waiting = [
        asyncio.ensure_future(web.authorised(config, header("prom", f"wrong-{i}")))
        for i in range(webconfig.MAX_PENDING_CHECKS)
    ]
    await asyncio.sleep(0.05)
    # The loop is free while bcrypt runs; one more check is turned away at once.
    async with asyncio.timeout(1):
        assert await web.authorised(config, header("prom", "s3cret")) is None
    gate.set()
    assert await asyncio.gather(*waiting) == [False] * webconfig.MAX_PENDING_CHECKS
    assert check.most == 1
    assert await web.authorised(config, header("prom", "s3cret")) is True


def test_the_served_certificate_is_renewed_without_a_restart(tmp_path: Path) -> None:
    first, second = make_certificates(tmp_path / "a"), make_certificates(tmp_path / "b")
    path = tmp_path / "web.yml"

    def point_at(certs: Certificates) -> None:
        path.write_text(
            f"tls_server_config:\n  cert_file: {certs.server_cert}\n"
            f"  key_file: {certs.server_key}\n"
        )

    point_at(first)
    web = WebConfigFile(load_web_config(str(path)))
    serving = web.serving_context()
    assert serving is not None
    assert handshake(serving, first.ca)
    assert not handshake(serving, second.ca)
    point_at(second)
    assert handshake(serving, second.ca)
    assert not handshake(serving, first.ca)
    web.close()


def handshake(serving: ssl.SSLContext, ca: Path) -> bool:
    """Whether a client trusting ``ca`` completes a TLS handshake with ``serving`` (over a
    loopback socket pair; the client sends no SNI, as for an IP address)."""
    client_context = ssl.create_default_context(cafile=str(ca))
    client_context.check_hostname = False
    server_sock, client_sock = socket.socketpair()
    outcome: list[bool] = []

    def serve() -> None:
        try:
            with serving.wrap_socket(server_sock, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client_context.wrap_socket(client_sock) as tls:
            tls.sendall(b"x")
            outcome.append(True)
    except ssl.SSLError:
        outcome.append(False)
    finally:
        client_sock.close()
        thread.join(5)
    return outcome[0]
