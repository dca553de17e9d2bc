"""``/runbooks/``: the exporter serves docs/runbooks/*.md as they are in the repository, behind
the same basic auth as /metrics, and nothing else (aiohttp's test client on ``build_app``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from redis_ha_exporter.runbooks import load
from support import RUNBOOKS
from test_server import PASSWORD, REDIS, USER, basic, config_of, network, serve, write_users

SOURCES = sorted(RUNBOOKS.glob("*.md"))


def test_the_package_reads_every_runbook_of_the_repository() -> None:
    assert load() == {path.name: path.read_text(encoding="utf-8") for path in SOURCES}
    assert len(SOURCES) > 20


async def test_every_runbook_is_served_as_text() -> None:
    async with serve(config_of("--redis.addr", REDIS), network()) as client:
        for path in SOURCES:
            response = await client.get(f"/runbooks/{path.name}")
            assert response.status == 200, path.name
            assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert await response.text() == path.read_text(encoding="utf-8")


async def test_the_index_links_every_runbook_and_the_landing_page_links_the_index() -> None:
    async with serve(config_of("--redis.addr", REDIS), network()) as client:
        index = await client.get("/runbooks/")
        assert (index.status, index.content_type) == (200, "text/html")
        links = re.findall(r'href="([^"]+)"', await index.text())
        assert links == [path.name for path in SOURCES]
        for link in links:  # relative to the index
            assert (await client.get(f"/runbooks/{link}")).status == 200
        assert 'href="/runbooks/"' in await (await client.get("/")).text()


@pytest.mark.parametrize(
    "path",
    [
        "/runbooks/RedisDown",
        "/runbooks/NoSuchAlert.md",
        "/runbooks/../pyproject.toml",
        "/runbooks/..%2F..%2F..%2Fpyproject.toml",
        "/runbooks/%2Fetc%2Fpasswd",
        "/runbooks/RedisDown.md/x",
        "/runbooks/runbooks.py",
    ],
)
async def test_any_other_name_is_not_found(path: str) -> None:
    async with serve(config_of("--redis.addr", REDIS), network()) as client:
        response = await client.get(path)
        assert response.status == 404, path
        assert "[tool." not in await response.text()


async def test_runbooks_sit_behind_the_web_config_auth(tmp_path: Path) -> None:
    write_users(tmp_path / "web.yml", USER, PASSWORD)
    config = config_of("--redis.addr", REDIS, "--web.config.file", str(tmp_path / "web.yml"))
    async with serve(config, network()) as client:
        for path in ("/runbooks/", "/runbooks/RedisDown.md"):
            assert (await client.get(path)).status == 401, path
            allowed = await client.get(path, headers=basic(USER, PASSWORD))
            assert allowed.status == 200, path
