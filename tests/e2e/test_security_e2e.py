"""Secrets stay secret; /scrape hands no credential to a listener of someone else's choosing;
basic auth and TLS from --web.config.file work end to end.

One topology for the module: a master with ``requirepass``, a replica, and a Sentinel with a
password of its own. The exporter (debug logs) gets both passwords from files.
"""

from __future__ import annotations

import base64
import os
import ssl
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest

from harness.exporter import ExporterProcess, run_exporter
from harness.process import wait_for
from harness.topology import Topology
from support import RogueListener
from test_webconfig import self_signed

pytestmark = pytest.mark.e2e

PASSWORD = "pw-7f3a9c-never-print-me"
SENTINEL_PASSWORD = "spw-51d0e2-never-print-me-either"
SECRETS = (PASSWORD, SENTINEL_PASSWORD)
GROUP = "secured"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    tmp = tmp_path_factory.mktemp("secured")
    with Topology(
        tmp / "topo",
        groups=(GROUP,),
        replicas=1,
        sentinels=1,
        quorum=1,
        password=PASSWORD,
        sentinel_password=SENTINEL_PASSWORD,
    ) as topo:
        yield topo


def exporter_args(topo: Topology, directory: Path) -> list[str]:
    """Both passwords in files, debug logs: what the leak test reads."""
    redis_pw, sentinel_pw = directory / "redis-password", directory / "sentinel-password"
    redis_pw.write_text(PASSWORD + "\n")
    sentinel_pw.write_text(SENTINEL_PASSWORD + "\n")
    return [
        "--redis.addr",
        topo.redis[0].uri,
        "--sentinel.addr",
        topo.sentinels[0].uri,
        "--redis.password-file",
        str(redis_pw),
        "--sentinel.password-file",
        str(sentinel_pw),
        "--log.level",
        "debug",
    ]


@pytest.fixture(scope="module")
def exporter(
    secured: Topology, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ExporterProcess]:
    tmp = tmp_path_factory.mktemp("exporter")
    with run_exporter(exporter_args(secured, tmp), tmp) as process:
        yield process


def assert_secret_free(where: str, text: str | bytes) -> None:
    raw = text.encode() if isinstance(text, str) else text
    for secret in SECRETS:
        assert secret.encode() not in raw, f"a password in {where}"


def test_password_files_work_and_the_passwords_leak_nowhere(
    secured: Topology, exporter: ExporterProcess
) -> None:
    master, replica, sentinel = secured.redis[0], secured.redis[1], secured.sentinels[0]
    wait_for(
        lambda: exporter.scrape().value("redis_sentinel_event_stream_up", addr=sentinel.addr) == 1,
        timeout=20,
    )
    samples = exporter.scrape()
    assert samples.value("redis_up", addr=master.addr) == 1
    assert samples.value("redis_up", addr=sentinel.addr) == 1
    # An event that carries a password: Sentinel masks it, and so must /events.
    with sentinel.client() as client:
        client.execute_command("SENTINEL", "SET", GROUP, "auth-pass", PASSWORD)
    wait_for(lambda: exporter.get("/events")[1].count('"+set"') >= 1, timeout=10)
    reached = exporter.scrape(f"/scrape?target={replica.addr}&profile=redis")
    assert reached.value("redis_up", addr=replica.addr) == 1
    responses = [
        "/metrics",
        "/",
        "/health",
        "/events",
        "/sd",
        "/sd?targets=exporter",
        f"/scrape?target={master.uri}",
        f"/scrape?target={sentinel.uri}",
        f"/scrape?target={replica.addr}&profile=sentinel",  # the wrong password: down
        f"/scrape?target={replica.addr}",  # no password: down
        "/scrape?target=10.255.255.1:6379&profile=redis",  # 403
        f"/scrape?target={replica.addr}&profile=nope",  # 400
        f"/scrape?target=redis://:{urllib.parse.quote('x')}@bad:port",  # 400
    ]
    for path in responses:
        status, body = exporter.get(path)
        assert status in (200, 400, 403), (path, status, body)
        assert_secret_free(path, body)
    cmdline = Path(f"/proc/{exporter.proc.pid}/cmdline").read_bytes()
    assert b"--redis.password-file" in cmdline
    assert_secret_free("the process arguments", cmdline)
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    assert_secret_free("ps", ps.stdout)
    log = exporter.log()
    assert "level=debug" in log  # debug lines were written, and hold no password either
    assert_secret_free("the log", log)


def test_a_rogue_listener_gets_not_even_a_connection_by_default(exporter: ExporterProcess) -> None:
    with RogueListener() as rogue:
        for query in (
            f"target={rogue.addr}",
            f"target=redis://{rogue.addr}&profile=redis",
            f"target=rediss://{rogue.addr}&profile=sentinel",
            f"target=redis://monitor@{rogue.addr}&profile=redis",
        ):
            status, body = exporter.get(f"/scrape?{query}")
            assert status == 403, (query, body)
            assert body.count("\n") == 1
        assert rogue.connections == 0
        assert rogue.received() == b""


def test_a_rogue_listener_gets_no_credential_when_any_address_is_allowed(
    secured: Topology, tmp_path: Path
) -> None:
    args = [*exporter_args(secured, tmp_path), "--scrape.allow", "any"]
    with RogueListener() as rogue, run_exporter(args, tmp_path) as exporter:
        # It answers one error to a pipeline of two commands: down at the deadline.
        reached = exporter.scrape(f"/scrape?target={rogue.addr}", timeout_header=1.5)
        assert reached.value("redis_up", addr=rogue.addr) == 0
        for profile in ("redis", "sentinel"):
            status, body = exporter.get(f"/scrape?target={rogue.addr}&profile={profile}")
            assert status == 403, body
            assert f"profile '{profile}' does not cover {rogue.addr}" in body
        assert rogue.connections == 1  # the scrape without a profile
        received = rogue.received()
    assert b"INFO" in received  # what a Redis would be asked: and no AUTH before it
    assert b"AUTH" not in received.upper()
    assert_secret_free("what the rogue listener received", received)


def test_wrong_password_is_down_with_a_log_line_and_no_secret(
    secured: Topology, tmp_path: Path
) -> None:
    node = secured.redis[0]
    wrong = "wrong-" + PASSWORD
    uri_with_secret = f"redis://:{wrong}@{node.addr}"
    with run_exporter(
        ["--redis.addr", uri_with_secret, "--sentinel.addr="],
        tmp_path,
        env={"REDIS_PASSWORD": "unused"},
    ) as exporter:
        samples = exporter.scrape()
        _, page = exporter.get("/")
    assert samples.value("redis_up", addr=node.addr) == 0
    assert samples.value("redis_exporter_last_scrape_error", addr=node.addr) == 1
    log = exporter.log()
    assert "scrape failed" in log
    for text in (log, samples.text, page):
        assert wrong not in text


def test_basic_auth_and_tls(secured: Topology, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    hashed = bcrypt.hashpw(b"scraper-pass", bcrypt.gensalt(rounds=4)).decode()
    web = tmp_path / "web.yml"
    web.write_text(
        f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n"
        f"basic_auth_users:\n  prometheus: '{hashed}'\n"
    )
    node = secured.redis[0]
    args = ["--redis.addr", node.uri, "--sentinel.addr=", "--web.config.file", str(web)]
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    with run_exporter(
        args, tmp_path, env={"REDIS_PASSWORD": PASSWORD}, scheme="https", ssl_context=context
    ) as exporter:
        url = exporter.url + "/metrics"
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(url, context=context, timeout=10)
        assert denied.value.code == 401
        token = base64.b64encode(b"prometheus:scraper-pass").decode()
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            body = response.read().decode()
        assert f'redis_up{{addr="{node.addr}"}} 1.0' in body
        bad = base64.b64encode(b"prometheus:nope").decode()
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {bad}"})
        with pytest.raises(urllib.error.HTTPError) as wrong:
            urllib.request.urlopen(request, context=context, timeout=10)
        assert wrong.value.code == 401
    assert os.environ.get("REDIS_PASSWORD") != PASSWORD
