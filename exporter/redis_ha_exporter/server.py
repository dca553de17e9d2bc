"""The HTTP layer: routes, deadlines from Prometheus' header, content negotiation, auth.

It knows no Redis command: it asks the :class:`~redis_ha_exporter.scrape.Scraper` for a
collection and has it written (:mod:`redis_ha_exporter.exposition`, from the families of
:mod:`redis_ha_exporter.families`) in the format prometheus_client negotiates for the ``Accept``
header the scraper sent.

``/scrape`` reaches only what :class:`~redis_ha_exporter.access.ScrapePolicy` allows, with the
credentials it picks; a refused target is answered 403 before any connection is opened, and
beyond ``--scrape.max-concurrent`` collections a request is answered 503 at once. What the
configured Sentinels report is learned from every collection of the configured targets
(``/metrics``, ``/sd``); an address not known yet makes ``/scrape`` collect them first, at most
every :data:`REFRESH_AFTER` seconds (a cold start, a new replica).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from isal import isal_zlib

from redis_ha_exporter import __version__
from redis_ha_exporter.access import Refused, ScrapePolicy, SentinelReports
from redis_ha_exporter.config import Config
from redis_ha_exporter.discovery import target_groups, through_exporter
from redis_ha_exporter.events.state import EventSnapshot
from redis_ha_exporter.events.subscriber import EventStreams
from redis_ha_exporter.exposition import ExpositionWriter
from redis_ha_exporter.logs import kv
from redis_ha_exporter.runbooks import Runbooks, load
from redis_ha_exporter.scrape import Scraper, deadline_from_header
from redis_ha_exporter.snapshot import Collection
from redis_ha_exporter.targets import Kind, Target, TargetError, parse_target
from redis_ha_exporter.webconfig import WebConfigFile

log = logging.getLogger(__name__)

TIMEOUT_HEADER = "X-Prometheus-Scrape-Timeout-Seconds"
#: Seconds after which an address the Sentinels have not reported makes /scrape collect again.
REFRESH_AFTER = 5.0
#: The least time a collection is given, however little of the deadline is left.
MIN_BUDGET = 0.05
#: ISA-L's gzip, level 1: a fifth of the CPU of zlib's fastest level for a smaller body (0.09
#: against 0.39 ms for a host's 58 KB), on the loop (less than handing it to a thread).
GZIP_LEVEL = 1
#: zlib's ``wbits`` for a gzip member (header and trailer; its mtime is 0).
GZIP_WBITS = 31
#: Seconds an HTTP connection may stay idle, or take to send a request's headers: Prometheus
#: reuses its connection at every scrape interval up to a minute; hundreds of idle clients, or
#: clients that trickle their headers, hold their sockets no longer than this.
IDLE_TIMEOUT = 75.0
#: Seconds the requests in progress are given to finish once the exporter is told to stop; the
#: collection of the configured targets is cancelled at once (a hung target would hold it for
#: its whole deadline), so the process is gone within a second of SIGTERM.
SHUTDOWN_GRACE = 0.3
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SCRAPER_KEY = web.AppKey("scraper", Scraper)
EVENTS_KEY = web.AppKey("events", EventStreams)
CONFIG_KEY = web.AppKey("config", Config)
POLICY_KEY = web.AppKey("policy", ScrapePolicy)
REPORTS_KEY = web.AppKey("reports", SentinelReports)
SLOTS_KEY = web.AppKey("scrape_slots", asyncio.Semaphore)
WEB_FILE_KEY = web.AppKey("web_config_file", WebConfigFile)
WRITER_KEY = web.AppKey("exposition_writer", ExpositionWriter)


def exposition(
    request: web.Request, collection: Collection, events: Mapping[str, EventSnapshot] | None = None
) -> web.Response:
    """Write a collection in the format the client's ``Accept`` header asks for."""
    render, content_type = request.app[WRITER_KEY].negotiate(request.headers.get("Accept", ""))
    body = render(collection, events)
    headers = {"Content-Type": content_type}
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        body = isal_zlib.compress(body, GZIP_LEVEL, GZIP_WBITS)
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, headers=headers)


def deadline(request: web.Request) -> float:
    """This request's budget, from Prometheus' timeout header or the configured default."""
    default = request.app[CONFIG_KEY].scrape_timeout
    return deadline_from_header(request.headers.get(TIMEOUT_HEADER), default)


async def collect_configured(request: web.Request, timeout: float | None = None) -> Collection:
    """Collect the configured targets (single flight) within ``timeout`` (else the request's
    deadline) and learn what their Sentinels report."""
    budget = deadline(request) if timeout is None else timeout
    collection = await request.app[SCRAPER_KEY].collect(budget)
    request.app[REPORTS_KEY].learn(collection)
    request.app[EVENTS_KEY].learn(collection)
    return collection


async def metrics(request: web.Request) -> web.Response:
    collection = await collect_configured(request)
    return exposition(request, collection, request.app[EVENTS_KEY].snapshots())


async def scrape_target(request: web.Request) -> web.Response:
    """``/scrape?target=URI[&profile=NAME]``: the Prometheus multi-target pattern for one Redis
    or Sentinel, within what :class:`~redis_ha_exporter.access.ScrapePolicy` allows."""
    uri = request.query.get("target", "")
    try:
        target = parse_target(uri, Kind.REDIS)  # a Sentinel is recognised by its INFO
    except TargetError as exc:
        raise web.HTTPBadRequest(text=f"{exc}\n") from None
    slots = request.app[SLOTS_KEY]
    if slots.locked():
        limit = request.app[CONFIG_KEY].scrape_max_concurrent
        raise web.HTTPServiceUnavailable(
            text=f"{limit} /scrape collections are running (--scrape.max-concurrent)\n",
            headers={"Retry-After": "1"},
        )
    loop = asyncio.get_running_loop()
    until = loop.time() + deadline(request)  # one budget, a refresh included
    async with slots:
        resolved = await admit(request, target, request.query.get("profile"), until)
        remaining = max(until - loop.time(), MIN_BUDGET)
        collection = await request.app[SCRAPER_KEY].collect_adhoc(resolved, remaining)
    return exposition(request, collection)


async def admit(request: web.Request, target: Target, profile: str | None, until: float) -> Target:
    """The target to collect, as the policy resolves it; an address not reported by the
    Sentinels yet makes it collect the configured targets first (not more often than every
    :data:`REFRESH_AFTER` seconds), within half the budget left until ``until``."""
    policy, reports = request.app[POLICY_KEY], request.app[REPORTS_KEY]
    try:
        return policy.resolve(target, profile, reports)
    except Refused as refused:
        if refused.status != 403 or not reports.stale(REFRESH_AFTER):
            raise _refusal(refused) from None
    budget = max((until - asyncio.get_running_loop().time()) / 2, MIN_BUDGET)
    # A collection already running (a /metrics with a longer deadline) is shared, but not
    # awaited much beyond this budget: it goes on, and teaches the next request.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(budget + MIN_BUDGET):
            await collect_configured(request, budget)
    try:
        return policy.resolve(target, profile, reports)
    except Refused as refused:
        raise _refusal(refused) from None


def _refusal(refused: Refused) -> web.HTTPException:
    log.debug("scrape refused", extra=kv(status=refused.status, reason=refused.reason))
    kind = web.HTTPForbidden if refused.status == 403 else web.HTTPBadRequest
    return kind(text=refused.reason + "\n")


async def recent_events(request: web.Request) -> web.Response:
    """``/events``: the last events of every Sentinel as JSON, newest first (``?limit=N``)."""
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        raise web.HTTPBadRequest(text="limit must be an integer\n") from None
    events = request.app[EVENTS_KEY].recent(max(limit, 0))
    return web.json_response({"events": events})


async def service_discovery(request: web.Request) -> web.Response:
    """``/sd``: http_sd_configs target groups of everything the configured Sentinels know;
    ``/sd?targets=exporter``: the same, as targets of this exporter's ``/scrape``."""
    through = request.query.get("targets", "redis")
    if through not in ("redis", "exporter"):
        raise web.HTTPBadRequest(text="targets must be redis or exporter\n")
    groups = target_groups(await collect_configured(request))
    if through == "exporter":
        groups = through_exporter(groups, request.host, request.scheme)
    return web.json_response(groups)


async def health(_: web.Request) -> web.Response:
    return web.Response(text="ok\n")


async def landing(request: web.Request) -> web.Response:
    config = request.app[CONFIG_KEY]
    rows = "".join(
        f"<li><code>{html.escape(t.addr)}</code> ({t.kind.value})</li>" for t in config.targets
    )
    links = [(config.telemetry_path, "metrics of every configured target")]
    scrape = ""
    if config.scrape_endpoint:
        links.append(("/scrape?target=redis://localhost:6379", "one target, multi-target pattern"))
        policy = request.app[POLICY_KEY]
        scrape = (
            f"<h2>/scrape</h2><p>Reaches {html.escape(policy.describe())}; at most "
            f"{config.scrape_max_concurrent} at once. Profiles (<code>profile=</code>): "
            f"{html.escape(', '.join(sorted(policy.profiles)))}.</p>"
        )
    links.append(("/events", "recent Sentinel events, newest first (JSON)"))
    links.append(("/sd", "Prometheus http_sd_configs: every master, replica and Sentinel"))
    links.append(("/sd?targets=exporter", "the same, as targets of /scrape: no relabeling"))
    links.append(("/runbooks/", "the runbook of every alert (the alerts' runbook_url)"))
    links.append(("/health", "liveness"))
    items = "".join(
        f'<li><a href="{html.escape(href)}">{html.escape(href)}</a> — {html.escape(what)}</li>'
        for href, what in links
    )
    page = (
        "<!doctype html><html><head><title>redis-ha-exporter</title></head><body>"
        f"<h1>redis-ha-exporter {__version__}</h1>"
        "<p>Prometheus exporter for Redis replication and Redis Sentinel.</p>"
        f"<h2>Endpoints</h2><ul>{items}</ul>{scrape}<h2>Targets</h2><ul>{rows}</ul></body></html>"
    )
    return web.Response(text=page, content_type="text/html")


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Basic auth and extra headers from ``--web.config.file`` (as it is now), when one is
    configured."""
    web_file = request.app.get(WEB_FILE_KEY)
    if web_file is None or request.path == "/health":  # liveness reveals nothing
        return await handler(request)
    web_config = web_file.current()
    if web_config.users:
        verdict = await web_file.authorised(web_config, request.headers.get("Authorization", ""))
        if verdict is None:
            raise web.HTTPServiceUnavailable(
                text="too many password checks waiting\n", headers={"Retry-After": "1"}
            )
        if not verdict:
            raise web.HTTPUnauthorized(
                headers={"WWW-Authenticate": 'Basic realm="redis-ha-exporter"'}
            )
    response = await handler(request)
    response.headers.update(web_config.headers)
    return response


def build_app(config: Config, scraper: Scraper) -> web.Application:
    """The aiohttp application; it closes the scraper and runs the event streams, and has the
    scraper write each target's samples as soon as it is collected."""
    app = web.Application(middlewares=[auth_middleware])
    app[CONFIG_KEY] = config
    app[SCRAPER_KEY] = scraper
    app[POLICY_KEY] = config.scrape_policy
    app[REPORTS_KEY] = SentinelReports()
    app[SLOTS_KEY] = asyncio.Semaphore(config.scrape_max_concurrent)
    app[WRITER_KEY] = writer = ExpositionWriter()
    scraper.prepare = writer.prepare  # each target's samples written as soon as it is collected
    if config.web is not None:
        app[WEB_FILE_KEY] = WebConfigFile(config.web)
    sentinels = [t for t in config.targets if t.kind is Kind.SENTINEL]
    streams = EventStreams(
        sentinels,
        config.events_ring_size,
        config.max_sentinel_masters,
        enabled=config.events_enabled,
    )
    app[EVENTS_KEY] = streams
    app.router.add_get("/events", recent_events)
    app.router.add_get("/sd", service_discovery)
    app.router.add_get(config.telemetry_path, metrics)
    if config.scrape_endpoint:
        app.router.add_get("/scrape", scrape_target)
    app.router.add_get("/health", health)
    app.router.add_get("/runbooks/{name:.*}", Runbooks(load()).handle)
    if config.telemetry_path != "/":
        app.router.add_get("/", landing)

    async def start_streams(_: web.Application) -> None:
        streams.start()

    async def stop_collecting(_: web.Application) -> None:
        """Before the requests in progress are waited for: nothing new starts, nothing waits."""
        await streams.stop()
        await scraper.cancel()

    async def close_everything(_: web.Application) -> None:
        await scraper.close()
        if config.web is not None:
            app[WEB_FILE_KEY].close()

    app.on_startup.append(start_streams)
    app.on_shutdown.append(stop_collecting)
    app.on_cleanup.append(close_everything)
    return app


def scraper_for(config: Config) -> Scraper:
    """The scraper of the configured targets, as the exporter runs it."""
    return Scraper(
        config.targets,
        config.scrape_timeout,
        config.max_sentinel_masters,
        config_command=config.config_command,
    )


async def start(config: Config) -> web.AppRunner:
    """Start serving ``config``; returns the runner (``await runner.cleanup()`` to stop)."""
    app = build_app(config, scraper_for(config))
    runner = web.AppRunner(
        app,
        access_log=None,
        handle_signals=False,
        shutdown_timeout=SHUTDOWN_GRACE,
        keepalive_timeout=IDLE_TIMEOUT,
    )
    await runner.setup()
    web_file = app.get(WEB_FILE_KEY)
    ssl_context = web_file.serving_context() if web_file is not None else None
    site = web.TCPSite(runner, config.listen_host, config.listen_port, ssl_context=ssl_context)
    await site.start()
    log.info(
        "listening",
        extra=kv(
            address=f"{config.listen_host}:{config.listen_port}",
            tls=ssl_context is not None,
            targets=",".join(t.addr for t in config.targets),
            scrape=app[POLICY_KEY].describe() if config.scrape_endpoint else "off",
        ),
    )
    return runner
