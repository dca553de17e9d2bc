"""Entry point: parse configuration, start the server, stop cleanly on SIGINT/SIGTERM.

A bad flag, bad URI, unknown YAML key or unreadable file ends the program with one line on
stderr and exit status 2; a port that cannot be bound, with one line and status 1.

The soft limit of open files is raised to the hard one first, as Go programs do: systemd's soft
default, 1024, is soon reached by idle HTTP keep-alive connections, and then no connection to a
target can be opened and every target looks down.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import resource
import signal
import sys
from collections.abc import Mapping, Sequence

from redis_ha_exporter import lean_imports  # noqa: F401  (first: before aiohttp is imported)
from redis_ha_exporter.config import PROG, Config, load_config
from redis_ha_exporter.logs import kv, setup_logging
from redis_ha_exporter.server import start
from redis_ha_exporter.settings import ConfigError

log = logging.getLogger(__name__)


async def serve(config: Config) -> None:
    """Run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runner = await start(config)
    # What is loaded now (modules, configuration, the application) stays for good: out of the
    # collector's way, or every full collection walks the imported modules' ~400k objects again
    # (50 ms, every few hundred scrapes), and so does the interpreter's own at exit (a few
    # tenths of the second a stop on SIGTERM has).
    gc.collect()
    gc.freeze()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
    log.info("stopped")


#: The soft limit of open files when the hard one is unlimited.
MAX_OPEN_FILES = 1 << 20


def raise_open_files_limit() -> int:
    """Raise the soft ``RLIMIT_NOFILE`` to the hard limit (at most :data:`MAX_OPEN_FILES`);
    returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, MAX_OPEN_FILES)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return wanted
    return soft


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        config = load_config(args, dict(os.environ) if environ is None else environ)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    setup_logging(config.log_level, config.log_format)
    for warning in config.warnings:
        log.warning(warning)
    log.debug("open files", extra=kv(limit=raise_open_files_limit()))
    try:
        asyncio.run(serve(config))
    except OSError as exc:
        print(f"{PROG}: error: cannot serve: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
