"""The HTTP layer: routes, deadlines from Prometheus' header, content negotiation, auth.

It knows no Redis command: it asks the :class:`~redis_ha_exporter.scrape.Scraper` for a
collection, turns it into families (:mod:`redis_ha_exporter.families`) and lets
prometheus_client encode them for the ``Accept`` header the scraper sent.
"""

from __future__ import annotations

import base64
import binascii
import html
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder

from redis_ha_exporter import __version__
from redis_ha_exporter.config import Config
from redis_ha_exporter.discovery import target_groups
from redis_ha_exporter.events.subscriber import EventStreams
from redis_ha_exporter.families import build_families, registry_of
from redis_ha_exporter.logs import kv
from redis_ha_exporter.scrape import Scraper, deadline_from_header
from redis_ha_exporter.targets import Kind, TargetError, parse_target

log = logging.getLogger(__name__)

TIMEOUT_HEADER = "X-Prometheus-Scrape-Timeout-Seconds"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SCRAPER_KEY = web.AppKey("scraper", Scraper)
EVENTS_KEY = web.AppKey("events", EventStreams)
CONFIG_KEY = web.AppKey("config", Config)


def exposition(request: web.Request, families: Sequence[Metric]) -> web.Response:
    """Encode ``families`` in the format the client's ``Accept`` header asks for."""
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = web.Response(body=encoder(registry_of(families)))
    response.headers["Content-Type"] = content_type
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response.enable_compression()
    return response


def deadline(request: web.Request) -> float:
    """This request's budget, from Prometheus' timeout header or the configured default."""
    default = request.app[CONFIG_KEY].scrape_timeout
    return deadline_from_header(request.headers.get(TIMEOUT_HEADER), default)


async def metrics(request: web.Request) -> web.Response:
    collection = await request.app[SCRAPER_KEY].collect(deadline(request))
    return exposition(request, build_families(collection, request.app[EVENTS_KEY].snapshots()))


async def scrape_target(request: web.Request) -> web.Response:
    """``/scrape?target=URI``: the Prometheus multi-target pattern for one Redis or Sentinel."""
    config = request.app[CONFIG_KEY]
    uri = request.query.get("target", "")
    try:
        target = parse_target(uri, Kind.REDIS)  # a Sentinel is recognised by its INFO
    except TargetError as exc:
        raise web.HTTPBadRequest(text=f"{exc}\n") from None
    target = target.with_defaults(config.adhoc_defaults)
    collection = await request.app[SCRAPER_KEY].collect_adhoc(target, deadline(request))
    return exposition(request, build_families(collection))


async def recent_events(request: web.Request) -> web.Response:
    """``/events``: the last events of every Sentinel as JSON, newest first (``?limit=N``)."""
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        raise web.HTTPBadRequest(text="limit must be an integer\n") from None
    events = request.app[EVENTS_KEY].recent(max(limit, 0))
    return web.json_response({"events": events})


async def service_discovery(request: web.Request) -> web.Response:
    """``/sd``: http_sd_configs target groups of everything the configured Sentinels know."""
    collection = await request.app[SCRAPER_KEY].collect(deadline(request))
    return web.json_response(target_groups(collection))


async def health(_: web.Request) -> web.Response:
    return web.Response(text="ok\n")


async def landing(request: web.Request) -> web.Response:
    config = request.app[CONFIG_KEY]
    rows = "".join(
        f"<li><code>{html.escape(t.addr)}</code> ({t.kind.value})</li>" for t in config.targets
    )
    links = [(config.telemetry_path, "metrics of every configured target")]
    if config.scrape_endpoint:
        links.append(("/scrape?target=redis://localhost:6379", "one target, multi-target pattern"))
    links.append(("/events", "recent Sentinel events, newest first (JSON)"))
    links.append(("/sd", "Prometheus http_sd_configs: every master, replica and Sentinel"))
    links.append(("/health", "liveness"))
    items = "".join(
        f'<li><a href="{html.escape(href)}">{html.escape(href)}</a> — {html.escape(what)}</li>'
        for href, what in links
    )
    page = (
        "<!doctype html><html><head><title>redis-ha-exporter</title></head><body>"
        f"<h1>redis-ha-exporter {__version__}</h1>"
        "<p>Prometheus exporter for Redis replication and Redis Sentinel.</p>"
        f"<h2>Endpoints</h2><ul>{items}</ul><h2>Targets</h2><ul>{rows}</ul></body></html>"
    )
    return web.Response(text=page, content_type="text/html")


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Basic auth and extra headers from ``--web.config.file``, when one is configured."""
    web_config = request.app[CONFIG_KEY].web
    if web_config is None or request.path == "/health":  # liveness reveals nothing
        return await handler(request)
    if web_config.users and not _authorised(
        request.headers.get("Authorization", ""), web_config.check_password
    ):
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Basic realm="redis-ha-exporter"'})
    response = await handler(request)
    response.headers.update(web_config.headers)
    return response


def _authorised(header: str, check: Callable[[str, str], bool]) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return bool(sep) and check(user, password)


def build_app(config: Config, scraper: Scraper) -> web.Application:
    """The aiohttp application; it closes the scraper and runs the event streams."""
    app = web.Application(middlewares=[auth_middleware])
    app[CONFIG_KEY] = config
    app[SCRAPER_KEY] = scraper
    sentinels = [t for t in config.targets if t.kind is Kind.SENTINEL]
    streams = EventStreams(
        sentinels if config.events_enabled else [],
        config.events_ring_size,
        config.max_sentinel_masters,
    )
    app[EVENTS_KEY] = streams
    app.router.add_get("/events", recent_events)
    app.router.add_get("/sd", service_discovery)
    app.router.add_get(config.telemetry_path, metrics)
    if config.scrape_endpoint:
        app.router.add_get("/scrape", scrape_target)
    app.router.add_get("/health", health)
    if config.telemetry_path != "/":
        app.router.add_get("/", landing)

    async def start_streams(_: web.Application) -> None:
        streams.start()

    async def stop_everything(_: web.Application) -> None:
        await streams.stop()
        await scraper.close()

    app.on_startup.append(start_streams)
    app.on_cleanup.append(stop_everything)
    return app


async def start(config: Config) -> web.AppRunner:
    """Start serving ``config``; returns the runner (``await runner.cleanup()`` to stop)."""
    scraper = Scraper(
        config.targets,
        config.scrape_timeout,
        config.max_sentinel_masters,
        config_command=config.config_command,
    )
    app = build_app(config, scraper)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    ssl_context = config.web.ssl_context if config.web is not None else None
    site = web.TCPSite(runner, config.listen_host, config.listen_port, ssl_context=ssl_context)
    await site.start()
    log.info(
        "listening",
        extra=kv(
            address=f"{config.listen_host}:{config.listen_port}",
            tls=ssl_context is not None,
            targets=",".join(t.addr for t in config.targets),
        ),
    )
    return runner
