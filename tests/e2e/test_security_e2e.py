"""Secrets stay secret; basic auth and TLS from --web.config.file work end to end."""

from __future__ import annotations

import base64
import os
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest

from harness.exporter import run_exporter
from harness.topology import Topology
from test_webconfig import self_signed

pytestmark = pytest.mark.e2e

PASSWORD = "pw-7f3a9c-never-print-me"


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[Topology]:
    with Topology(tmp_path / "topo", replicas=0, sentinels=0, password=PASSWORD) as topo:
        yield topo


def test_password_file_works_and_the_password_leaks_nowhere(
    secured: Topology, tmp_path: Path
) -> None:
    node = secured.redis[0]
    secret = tmp_path / "redis-password"
    secret.write_text(PASSWORD + "\n")
    args = ["--redis.addr", node.uri, "--sentinel.addr=", "--redis.password-file", str(secret)]
    with run_exporter(args, tmp_path) as exporter:
        samples = exporter.scrape()
        assert samples.value("redis_up", addr=node.addr) == 1
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
        for path in ("/metrics", "/", "/events", "/sd", f"/scrape?target={node.uri}"):
            assert PASSWORD not in exporter.get(path)[1], path
    assert PASSWORD not in ps.stdout
    assert PASSWORD not in exporter.log()


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
