"""The exporter's logs: a request aiohttp cannot parse is one debug line, not an error with a
traceback that any client could repeat until the disk is full."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from faults import oversized_requests, raw_request
from harness.process import HOST, free_port
from redis_ha_exporter.logs import setup_logging

SECRET = "s3cr3t-in-the-request"


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[int]:
    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    app = web.Application()
    app.router.add_get("/health", health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, HOST, port).start()
    try:
        yield port
    finally:
        await runner.cleanup()
        for name in ("redis_ha_exporter", "aiohttp.server"):
            logging.getLogger(name).handlers.clear()


@pytest.mark.parametrize("level", ["info", "debug"])
async def test_a_request_that_cannot_be_parsed_is_one_debug_line(
    level: str, capfd: pytest.CaptureFixture[str]
) -> None:
    setup_logging(level, "logfmt")
    async with serving() as port:
        for name, request in oversized_requests(f"/health?token={SECRET}").items():
            status = await asyncio.to_thread(raw_request, HOST, port, request)
            assert status == 400, name
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert "level=error" not in err
    assert SECRET not in err
    lines = [line for line in err.splitlines() if "bad request" in line]
    if level == "debug":
        assert len(lines) == 3
        assert all("status=400" in line and "remote=127.0.0.1" in line for line in lines)
    else:
        assert lines == []
