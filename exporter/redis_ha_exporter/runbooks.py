"""The alerts' runbooks, served at ``/runbooks/``: every alert's ``runbook_url`` (by default
``http://<a live exporter>/runbooks/<Alert>.md``, see alerts/generate.py) resolves wherever an
exporter runs, with no wiki to keep in step.

One source: ``docs/runbooks/*.md`` of the repository. The package reaches them through the
symlink ``redis_ha_exporter/runbooks -> ../../docs/runbooks``: an editable install reads them in
place; a wheel holds copies (package data ``runbooks/*.md``), and so does the Docker image, which
installs the wheel.

``/runbooks/`` is an index, ``/runbooks/RedisDown.md`` a runbook as ``text/plain`` (a browser
shows it; Markdown reads well as text); any other name is 404. The files are read once, when the
application is built: a request looks a name up in memory and never reaches the file system.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from importlib import resources

from aiohttp import web

PACKAGE = "redis_ha_exporter"
DIRECTORY = "runbooks"


def load() -> dict[str, str]:
    """File name -> text of every runbook the installed package holds (``{}`` without any)."""
    directory = resources.files(PACKAGE).joinpath(DIRECTORY)
    if not directory.is_dir():
        return {}
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in sorted(directory.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".md") and entry.is_file()
    }


def index_page(names: list[str]) -> str:
    """The ``/runbooks/`` page: a link per runbook, relative to the page."""
    items = "".join(
        f'<li><a href="{html.escape(name)}">{html.escape(name.removesuffix(".md"))}</a></li>'
        for name in names
    )
    return (
        "<!doctype html><html><head><title>redis-ha-exporter runbooks</title></head><body>"
        f"<h1>Runbooks</h1><p>One per alert of alerts/redis-ha.rules.yml.</p><ul>{items}</ul>"
        "</body></html>"
    )


class Runbooks:
    """The handler of ``/runbooks/{name}`` over runbooks read once (:func:`load`)."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = dict(texts)
        self.index = index_page(list(self.texts))

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info.get("name", "")
        if not name:
            return web.Response(text=self.index, content_type="text/html")
        text = self.texts.get(name)
        if text is None:
            raise web.HTTPNotFound(text="no such runbook\n")
        return web.Response(
            text=text,
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )
