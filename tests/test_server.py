"""The HTTP layer in-process: aiohttp's test client on ``build_app``, fake servers behind the
scraper (tests/fakes.py). Routes, basic auth and extra headers from ``--web.config.file``,
content negotiation and gzip, and the deadline taken from Prometheus' timeout header.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import bcrypt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from fakes import FakeNetwork, FakeServer, redis_replies, sentinel_replies
from redis_ha_exporter.config import Config, load_config
from redis_ha_exporter.discovery import PROFILE, ROLE
from redis_ha_exporter.families import registry_of
from redis_ha_exporter.scrape import Scraper
from redis_ha_exporter.server import TIMEOUT_HEADER, build_app
from redis_ha_exporter.targets import Target

REDIS = "10.0.0.1:6379"
OTHER = "10.0.0.2:6379"
SENTINEL = "10.0.0.3:26379"
USER, PASSWORD = "prometheus", "correct horse"
#: What Prometheus 2.x sends.
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"


def config_of(*argv: str) -> Config:
    """A Config as the command line builds it (no environment); the Sentinel event streams
    are off, so nothing tries to reach a real Sentinel."""
    return load_config(["--no-sentinel.events", *argv], {})


def parsed(text: str) -> CollectorRegistry:
    """A text exposition read back into a registry, for ``get_sample_value``."""
    return registry_of(list(text_string_to_metric_families(text)))


def network(other: FakeServer | None = None) -> FakeNetwork:
    """REDIS, OTHER and SENTINEL answering from recorded replies (OTHER as given)."""
    return FakeNetwork(
        {
            REDIS: FakeServer(redis_replies()),
            OTHER: other or FakeServer(redis_replies()),
            SENTINEL: FakeServer(sentinel_replies("healthy")),
        }
    )


@contextlib.asynccontextmanager
async def serve(
    config: Config, net: FakeNetwork
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    scraper = Scraper(
        config.targets, config.scrape_timeout, config.max_sentinel_masters, client_factory=net
    )
    async with TestClient(TestServer(build_app(config, scraper))) as client:
        yield client


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def write_users(path: Path, user: str, password: str) -> None:
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    path.write_text(f"basic_auth_users:\n  {user}: '{hashed}'\n")


@pytest.fixture
def web_config(tmp_path: Path) -> Path:
    """basic auth for USER (bcrypt at its lowest cost: the tests check, not the hash) and two
    extra response headers."""
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    path = tmp_path / "web.yml"
    path.write_text(
        f"basic_auth_users:\n  {USER}: '{hashed}'\n"
        "http_server_config:\n  headers:\n"
        "    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\n"
    )
    return path


async def test_routes() -> None:
    config = config_of("--redis.addr", REDIS, "--sentinel.addr", SENTINEL)
    async with serve(config, network()) as client:
        health = await client.get("/health")
        assert (health.status, await health.text()) == (200, "ok\n")

        landing = await client.get("/")
        assert landing.status == 200
        assert landing.content_type == "text/html"
        page = await landing.text()
        assert REDIS in page
        assert SENTINEL in page

        metrics = await client.get("/metrics")
        assert metrics.status == 200
        values = parsed(await metrics.text())
        assert values.get_sample_value("redis_up", {"addr": REDIS}) == 1
        assert values.get_sample_value("redis_up", {"addr": SENTINEL}) == 1

        scrape = await client.get("/scrape", params={"target": f"redis://{REDIS}"})
        assert scrape.status == 200
        one = parsed(await scrape.text())
        assert one.get_sample_value("redis_up", {"addr": REDIS}) == 1
        assert one.get_sample_value("redis_up", {"addr": SENTINEL}) is None

        bad = await client.get("/scrape", params={"target": "http://10.0.0.9:6379"})
        assert bad.status == 400
        assert "scheme" in await bad.text()

        events = await client.get("/events")
        assert (events.status, await events.json()) == (200, {"events": []})
        assert (await client.get("/events", params={"limit": "many"})).status == 400

        sd = await client.get("/sd")
        assert sd.status == 200
        groups = await sd.json()
        assert {g["labels"][ROLE] for g in groups} == {"master", "replica", "sentinel"}
        for group in groups:
            want = "sentinel" if group["labels"][ROLE] == "sentinel" else "redis"
            assert group["labels"][PROFILE] == want, group

        assert (await client.get("/nothing-here")).status == 404


async def test_scrape_endpoint_and_telemetry_path_follow_the_config() -> None:
    config = config_of(
        "--redis.addr", REDIS, "--no-web.scrape-endpoint", "--web.telemetry-path", "/probe"
    )
    async with serve(config, network()) as client:
        assert (await client.get("/scrape", params={"target": OTHER})).status == 404
        assert (await client.get("/metrics")).status == 404
        probe = await client.get("/probe")
        assert probe.status == 200
        assert parsed(await probe.text()).get_sample_value("redis_up", {"addr": REDIS}) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic(USER, "wrong"),
        basic("someone", PASSWORD),
        basic(USER, ""),
        {"Authorization": f"Bearer {PASSWORD}"},
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    ],
    ids=[
        "none",
        "wrong-password",
        "unknown-user",
        "empty-password",
        "bearer",
        "bad-base64",
        "no-colon",
    ],
)
async def test_wrong_or_missing_credentials_are_refused(
    web_config: Path, headers: Mapping[str, str]
) -> None:
    config = config_of("--redis.addr", REDIS, "--web.config.file", str(web_config))
    net = network()
    async with serve(config, net) as client:
        for path in ("/metrics", "/", "/scrape?target=" + OTHER, "/events", "/sd"):
            response = await client.get(path, headers=headers)
            assert response.status == 401, path
            assert response.headers["WWW-Authenticate"] == 'Basic realm="redis-ha-exporter"'
            assert PASSWORD not in await response.text()
    assert net.servers[REDIS].round_trips == 0  # refused before anything was collected
    assert net.servers[OTHER].round_trips == 0


async def test_right_credentials_pass_and_get_the_extra_headers(web_config: Path) -> None:
    config = config_of("--redis.addr", REDIS, "--web.config.file", str(web_config))
    async with serve(config, network()) as client:
        response = await client.get("/metrics", headers=basic(USER, PASSWORD))
        assert response.status == 200
        assert response.headers["X-Frame-Options"] == "deny"
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        values = parsed(await response.text())
        assert values.get_sample_value("redis_up", {"addr": REDIS}) == 1


async def test_a_changed_web_config_file_applies_without_a_restart(web_config: Path) -> None:
    config = config_of("--redis.addr", REDIS, "--web.config.file", str(web_config))
    async with serve(config, network()) as client:
        assert (await client.get("/metrics", headers=basic(USER, PASSWORD))).status == 200
        write_users(web_config, USER, "new password")
        assert (await client.get("/metrics", headers=basic(USER, PASSWORD))).status == 401
        fresh = await client.get("/metrics", headers=basic(USER, "new password"))
        assert fresh.status == 200
        assert "X-Frame-Options" not in fresh.headers  # the headers went with the old file


async def test_health_answers_without_credentials(web_config: Path) -> None:
    config = config_of("--redis.addr", REDIS, "--web.config.file", str(web_config))
    async with serve(config, network()) as client:
        response = await client.get("/health")
        assert (response.status, await response.text()) == (200, "ok\n")


async def test_text_format_unless_openmetrics_is_asked_for() -> None:
    config = config_of("--redis.addr", REDIS)
    async with serve(config, network()) as client:
        for accept in ("", "text/plain", "*/*", "application/json"):
            plain = await client.get("/metrics", headers={"Accept": accept})
            assert plain.headers["Content-Type"] == TEXT_FORMAT, accept
            values = parsed(await plain.text())
            assert values.get_sample_value("redis_connected_slaves", {"addr": REDIS}) == 1

        om = await client.get("/metrics", headers={"Accept": PROMETHEUS_ACCEPT})
        assert om.headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
        text = await om.text()
        assert text.endswith("# EOF\n")
        # redis_exporter labels its latency percentiles quantile="99.9", not "0.999": Prometheus
        # takes them in OpenMetrics too (checked with 2.42); client_python's strict parser
        # does not, so they are read apart.
        percentiles = 'redis_latency_percentiles_usec{addr="10.0.0.1:6379",cmd="get",quantile='
        assert f'{percentiles}"99.9"}} ' in text
        strict = "".join(line for line in text.splitlines(keepends=True) if "quantile=" not in line)
        values = registry_of(list(openmetrics_families(strict)))  # type: ignore[no-untyped-call]
        assert values.get_sample_value("redis_connected_slaves", {"addr": REDIS}) == 1
        assert values.get_sample_value("redis_exporter_scrapes_total") == 5  # one per request


async def test_gzip_only_when_accepted() -> None:
    config = config_of("--redis.addr", REDIS)
    async with serve(config, network()) as client:
        raw = await client.get(
            "/metrics", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
        )
        assert raw.headers["Content-Encoding"] == "gzip"
        text = gzip.decompress(await raw.read()).decode()
        assert parsed(text).get_sample_value("redis_up", {"addr": REDIS}) == 1

        plain = await client.get("/metrics", headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers
        assert parsed(await plain.text()).get_sample_value("redis_up", {"addr": REDIS}) == 1


@pytest.mark.parametrize(
    ("argv", "headers"),
    [
        (("--scrape.timeout", "60"), {TIMEOUT_HEADER: "0.2"}),  # the header wins
        (("--scrape.timeout", "0.2"), {}),  # no header: the configured default
        (("--scrape.timeout", "0.2"), {TIMEOUT_HEADER: "soon"}),  # unusable: the default
        (("--scrape.timeout", "0.2"), {TIMEOUT_HEADER: "inf"}),
    ],
    ids=["header", "default", "bad-header", "endless-header"],
)
async def test_the_deadline_comes_from_the_timeout_header_or_the_default(
    argv: tuple[str, ...], headers: Mapping[str, str]
) -> None:
    config = config_of("--redis.addr", REDIS, "--redis.addr", OTHER, *argv)
    net = network(other=FakeServer(redis_replies(), hang=True))  # /scrape: OTHER as configured
    async with serve(config, net) as client:
        async with asyncio.timeout(10):  # fails, not hangs, if the deadline is not applied
            response = await client.get("/metrics", headers=headers)
            scrape = await client.get("/scrape", params={"target": OTHER}, headers=headers)
        assert response.status == 200
        values = parsed(await response.text())
        assert values.get_sample_value("redis_up", {"addr": REDIS}) == 1
        assert values.get_sample_value("redis_up", {"addr": OTHER}) == 0
        assert scrape.status == 200
        assert parsed(await scrape.text()).get_sample_value("redis_up", {"addr": OTHER}) == 0


async def test_concurrent_scrapes_share_one_collection() -> None:
    config = config_of("--redis.addr", REDIS)
    net = FakeNetwork({REDIS: FakeServer(redis_replies(), delay=0.1)})
    async with serve(config, net) as client:
        responses = await asyncio.gather(*(client.get("/metrics") for _ in range(3)))
        bodies = [parsed(await r.text()) for r in responses]
    assert net.servers[REDIS].round_trips == 1
    assert [b.get_sample_value("redis_exporter_scrapes_total") for b in bodies] == [1, 1, 1]


# --- /scrape: who it reaches, with which credentials --------------------------------------------
MASTER, REPLICA = "127.0.0.1:49569", "127.0.0.1:38701"  # what the "healthy" Sentinel reports
UNKNOWN = "10.9.9.9:6379"


def reported_network() -> FakeNetwork:
    """SENTINEL and the master and replica it reports; UNKNOWN answers too, should anyone ask."""
    servers = {
        SENTINEL: FakeServer(sentinel_replies("healthy")),
        **{addr: FakeServer(redis_replies()) for addr in (REDIS, MASTER, REPLICA, UNKNOWN)},
    }
    return FakeNetwork(servers)


def opened_for(net: FakeNetwork, addr: str) -> list[Target]:
    return [target for target, _, _ in net.opened if target.addr == addr]


async def test_unknown_targets_are_refused_before_any_connection() -> None:
    config = config_of("--redis.addr", REDIS, "--sentinel.addr", SENTINEL)
    net = reported_network()
    async with serve(config, net) as client:
        for params in ({"target": UNKNOWN}, {"target": UNKNOWN, "profile": "redis"}):
            response = await client.get("/scrape", params=params)
            assert response.status == 403
            text = await response.text()
            assert text.count("\n") == 1
            assert f"target {UNKNOWN} is not configured" in text
        assert (
            await client.get("/scrape", params={"target": REPLICA, "profile": "x"})
        ).status == 400
    assert opened_for(net, UNKNOWN) == []


async def test_reported_addresses_are_reached_with_the_profile_named_and_no_other() -> None:
    argv = ["--no-sentinel.events", "--redis.addr", REDIS, "--sentinel.addr", SENTINEL]
    plain_config = load_config([*argv, "--redis.user", "monitor"], {})
    env_config = load_config(argv, {"REDIS_PASSWORD": "redis-secret"})
    for cfg, credentials in (
        (plain_config, ("monitor", None)),
        (env_config, (None, "redis-secret")),
    ):
        net = reported_network()
        async with serve(cfg, net) as client:
            # A cold start: nothing collected yet, so /scrape collects the Sentinel first.
            response = await client.get("/scrape", params={"target": REPLICA, "profile": "redis"})
            assert response.status == 200
            assert (
                parsed(await response.text()).get_sample_value("redis_up", {"addr": REPLICA}) == 1
            )
            assert net.servers[SENTINEL].round_trips > 0
            plain = await client.get("/scrape", params={"target": f"redis://{MASTER}"})
            assert plain.status == 200
        (with_profile,) = opened_for(net, REPLICA)
        assert (with_profile.username, with_profile.password) == credentials
        (without,) = opened_for(net, MASTER)
        assert (without.username, without.password) == (None, None)


async def test_the_refresh_on_a_cold_start_keeps_within_the_deadline() -> None:
    config = config_of("--redis.addr", REDIS, "--sentinel.addr", SENTINEL)
    net = reported_network()
    net.servers[REDIS].hang = True  # the refresh waits for it until its share of the deadline
    net.servers[REPLICA].hang = True
    async with serve(config, net) as client:
        async with asyncio.timeout(1.5):  # fails, not hangs, if each step took the whole deadline
            response = await client.get(
                "/scrape",
                params={"target": REPLICA, "profile": "redis"},
                headers={TIMEOUT_HEADER: "1"},
            )
        assert response.status == 200
        values = parsed(await response.text())
        assert values.get_sample_value("redis_up", {"addr": REPLICA}) == 0


async def test_a_cold_start_does_not_wait_for_a_longer_collection_in_flight() -> None:
    config = config_of("--redis.addr", REDIS, "--sentinel.addr", SENTINEL)
    net = reported_network()
    net.servers[REDIS].hang = True
    async with serve(config, net) as client:
        metrics = asyncio.ensure_future(client.get("/metrics", headers={TIMEOUT_HEADER: "3"}))
        await asyncio.sleep(0.1)
        async with asyncio.timeout(1.5):
            response = await client.get(
                "/scrape",
                params={"target": REPLICA, "profile": "redis"},
                headers={TIMEOUT_HEADER: "1"},
            )
        assert response.status == 403  # nothing learned yet: Prometheus asks again next time
        assert (await metrics).status == 200
        again = await client.get("/scrape", params={"target": REPLICA, "profile": "redis"})
        assert again.status == 200  # what the collection in flight learned


async def test_allow_any_reaches_everything_but_sends_no_credential_of_ours() -> None:
    config = load_config(
        ["--no-sentinel.events", "--redis.addr", REDIS, "--sentinel.addr=", "--scrape.allow=any"],
        {"REDIS_PASSWORD": "redis-secret"},
    )
    net = reported_network()
    async with serve(config, net) as client:
        response = await client.get("/scrape", params={"target": UNKNOWN})
        assert response.status == 200
        refused = await client.get("/scrape", params={"target": UNKNOWN, "profile": "redis"})
        assert refused.status == 403
        assert "profile 'redis' does not cover" in await refused.text()
        landing = await (await client.get("/")).text()
        assert "any address; credentials only to configured targets" in landing
    (reached,) = opened_for(net, UNKNOWN)
    assert (reached.username, reached.password) == (None, None)


async def test_a_configured_address_keeps_its_own_credentials() -> None:
    config = load_config(
        ["--no-sentinel.events", "--redis.addr", REDIS, "--sentinel.addr", SENTINEL],
        {"REDIS_PASSWORD": "redis-secret", "SENTINEL_PASSWORD": "sentinel-secret"},
    )
    net = reported_network()
    async with serve(config, net) as client:
        for target in (REDIS, f"rediss://someone:theirs@{REDIS}"):
            response = await client.get("/scrape", params={"target": target, "profile": "sentinel"})
            assert response.status == 200
    adhoc = opened_for(net, REDIS)[1:]  # the first is the configured target's own client
    assert [(t.password, t.uses_tls) for t in adhoc] == [("redis-secret", False)] * 2


async def test_beyond_the_limit_scrape_answers_503_at_once() -> None:
    config = config_of("--redis.addr", REDIS, "--redis.addr", OTHER, "--scrape.max-concurrent", "1")
    net = network(other=FakeServer(redis_replies(), hang=True))
    async with serve(config, net) as client:
        slow = asyncio.ensure_future(
            client.get("/scrape", params={"target": OTHER}, headers={TIMEOUT_HEADER: "2"})
        )
        await asyncio.sleep(0.1)
        async with asyncio.timeout(1):
            busy = await client.get("/scrape", params={"target": REDIS})
        assert busy.status == 503
        assert "--scrape.max-concurrent" in await busy.text()
        assert (await slow).status == 200  # the hung target is down, within its deadline
        again = await client.get("/scrape", params={"target": REDIS})
        assert again.status == 200
    assert len(opened_for(net, REDIS)) == 2  # the configured client, then the second /scrape


async def test_sd_through_the_exporter_needs_no_relabeling() -> None:
    config = config_of("--redis.addr", REDIS, "--sentinel.addr", SENTINEL)
    async with serve(config, reported_network()) as client:
        response = await client.get("/sd", params={"targets": "exporter"})
        assert response.status == 200
        groups = await response.json()
        host = f"{client.host}:{client.port}"
        assert {g["labels"]["__param_target"] for g in groups} == {
            MASTER,
            REPLICA,
            "127.0.0.1:52907",
            SENTINEL,
            "127.0.0.1:48231",
            "127.0.0.1:34073",
        }
        for group in groups:
            labels = group["labels"]
            assert group["targets"] == [host]
            assert labels["__metrics_path__"] == "/scrape"
            assert labels["instance"] == labels["__param_target"]
            assert labels["__scheme__"] == "http"
            assert labels[PROFILE] == ("sentinel" if labels[ROLE] == "sentinel" else "redis")
        assert (await client.get("/sd", params={"targets": "elsewhere"})).status == 400
