"""End to end over TLS: redis-server and redis-sentinel listening on TLS only (replication and
the Sentinels' own links too), clients required to present a certificate of the test's CA.

The exporter scrapes the Redis and the Sentinel and follows the Sentinel's event stream through
TLS with a client certificate; reaches a replica the Sentinel reported through ``/scrape`` with
the ``redis`` profile's TLS settings; checks the server's name (``--sentinel.tls-server-name``);
without a client certificate it is refused until the server stops asking for one; a wrong CA
and a wrong server name are ``redis_up 0`` with a log line that says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from harness.certs import Certificates, make_certificates
from harness.exporter import run_exporter
from harness.process import wait_for
from harness.topology import Topology

pytestmark = pytest.mark.e2e

GROUP = "tls-cache"


@dataclass
class TlsTopology:
    topo: Topology
    certs: Certificates


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsTopology]:
    tmp = tmp_path_factory.mktemp("tls")
    certs = make_certificates(tmp / "certs")
    with Topology(
        tmp / "topo", groups=(GROUP,), replicas=1, sentinels=1, quorum=1, tls=certs
    ) as topo:
        yield TlsTopology(topo, certs)


def tls_flags(kind: str, certs: Certificates, *, client_cert: bool = True) -> list[str]:
    flags = [f"--{kind}.tls-ca-file", str(certs.ca)]
    if client_cert:
        flags += [f"--{kind}.tls-cert-file", str(certs.client_cert)]
        flags += [f"--{kind}.tls-key-file", str(certs.client_key)]
    return flags


def test_scraped_and_subscribed_through_tls_with_a_client_certificate(
    tls: TlsTopology, tmp_path: Path
) -> None:
    topo, certs = tls.topo, tls.certs
    master, replica, sentinel = topo.redis[0], topo.redis[1], topo.sentinels[0]
    assert master.uri.startswith("rediss://")
    args = ["--redis.addr", master.uri, "--sentinel.addr", sentinel.uri]
    args += tls_flags("redis", certs) + tls_flags("sentinel", certs)
    # The certificate holds redis.test: the Sentinel is checked against that name (and SNI).
    args += ["--sentinel.tls-server-name", "redis.test"]
    with run_exporter(args, tmp_path) as exporter:
        wait_for(
            lambda: (
                exporter.scrape().value("redis_sentinel_event_stream_up", addr=sentinel.addr) == 1
            ),
            timeout=20,
        )
        samples = exporter.scrape()
        assert samples.value("redis_up", addr=master.addr) == 1
        assert samples.value("redis_up", addr=sentinel.addr) == 1
        assert samples.value("redis_connected_slaves", addr=master.addr) == 1
        with sentinel.client() as client:
            client.execute_command("SENTINEL", "SET", GROUP, "quorum", "1")

        def set_counted() -> bool:
            events = exporter.scrape().find(
                "redis_sentinel_events_total", addr=sentinel.addr, event="+set"
            )
            return bool(events) and events[0][1] >= 1

        wait_for(set_counted, timeout=10)
        # The replica is no configured target: the Sentinel reported it, the redis profile
        # (the --redis.tls-* flags) covers it.
        one = exporter.scrape(f"/scrape?target={replica.addr}&profile=redis")
        assert one.value("redis_up", addr=replica.addr) == 1
        assert one.value("redis_master_link_up", addr=replica.addr) == 1
        # Without the profile it gets no TLS settings: a plain connection, refused.
        assert (
            exporter.scrape(f"/scrape?target={replica.addr}").value("redis_up", addr=replica.addr)
            == 0
        )


def test_without_a_client_certificate_only_where_none_is_required(
    tls: TlsTopology, tmp_path: Path
) -> None:
    master = tls.topo.redis[0]
    args = ["--redis.addr", master.uri, "--sentinel.addr="]
    args += tls_flags("redis", tls.certs, client_cert=False)
    with run_exporter(args, tmp_path) as exporter:
        assert exporter.scrape().value("redis_up", addr=master.addr) == 0
        with master.client() as client:
            client.config_set("tls-auth-clients", "no")
        try:
            wait_for(lambda: exporter.scrape().value("redis_up", addr=master.addr) == 1, 10)
        finally:
            with master.client() as client:
                client.config_set("tls-auth-clients", "yes")


def test_a_wrong_ca_or_server_name_is_down_with_a_clear_log_line(
    tls: TlsTopology, tmp_path: Path
) -> None:
    master, certs = tls.topo.redis[0], tls.certs
    client_cert = {"tls_cert_file": str(certs.client_cert), "tls_key_file": str(certs.client_key)}
    config = tmp_path / "config.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "redis": [
                    {"addr": f"127.0.0.1:{master.port}", "tls_ca_file": str(certs.other_ca)}
                    | client_cert,
                    {
                        "addr": f"localhost:{master.port}",
                        "tls_ca_file": str(certs.ca),
                        "tls_server_name": "elsewhere.test",
                    }
                    | client_cert,
                ]
            }
        )
    )
    with run_exporter(["--config.file", str(config), "--sentinel.addr="], tmp_path) as exporter:
        samples = exporter.scrape()
    assert samples.value("redis_up", addr=f"127.0.0.1:{master.port}") == 0
    assert samples.value("redis_up", addr=f"localhost:{master.port}") == 0
    failures = [line for line in exporter.log().splitlines() if "scrape failed" in line]
    wrong_ca = [line for line in failures if f"addr=127.0.0.1:{master.port}" in line]
    wrong_name = [line for line in failures if f"addr=localhost:{master.port}" in line]
    assert wrong_ca
    assert "certificate verify failed" in wrong_ca[0]
    assert wrong_name
    assert "Hostname mismatch" in wrong_name[0]
    assert "elsewhere.test" in wrong_name[0]
