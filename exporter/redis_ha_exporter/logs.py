"""Structured logs in logfmt (default) or JSON, on stderr.

Call sites pass key/values with ``kv(...)``: ``log.warning("scrape failed", extra=kv(addr=a))``.
Values are plain strings or numbers; never pass a password, URI with credentials or a reply.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def kv(**fields: Any) -> dict[str, Any]:
    """``extra=`` argument carrying structured fields for the formatters below."""
    return {"kv": fields}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        + f".{int(record.msecs):03d}Z",
        "level": record.levelname.lower().replace("warning", "warn"),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    out.update(getattr(record, "kv", {}))
    if record.exc_info:  # log.exception(...): a bug of ours, to be read with its traceback
        out["traceback"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
    return out


def _logfmt_value(value: Any) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' "=\\\n'):
        return json.dumps(text)
    return text


class LogfmtFormatter(logging.Formatter):
    """``ts=… level=info msg="…" addr=127.0.0.1:6379``"""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={_logfmt_value(v)}" for k, v in _fields(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), default=str)


class BadRequestFilter(logging.Filter):
    """aiohttp logs a request it cannot parse (an oversized header or query string, too many
    headers, not HTTP at all) as an error with its traceback: any client could fill the log so.
    Such a record becomes one debug line naming the client and the kind of fault, without the
    request's bytes (they may hold the client's credentials); dropped above debug level."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError):
            return True
        remote = record.args[0] if isinstance(record.args, tuple) and record.args else ""
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        record.msg, record.args, record.exc_info, record.exc_text = "bad request", (), None, None
        record.kv = {"remote": str(remote), "status": exc.code, "reason": type(exc).__name__}
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def setup_logging(level: str, fmt: str) -> None:
    """Route the ``redis_ha_exporter`` loggers to stderr in ``fmt`` at ``level``, and aiohttp's
    server logger too: it reports a request that failed with an exception (a 500); requests it
    could not parse go through :class:`BadRequestFilter`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    for name in ("redis_ha_exporter", "aiohttp.server"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(_LEVELS.get(level, logging.INFO))
        logger.propagate = False
    server = logging.getLogger("aiohttp.server")
    server.filters[:] = [BadRequestFilter()]
    access = logging.getLogger("aiohttp.access")
    access.disabled = True
