"""The Prometheus exporter-toolkit web configuration file (``--web.config.file``): TLS and
bcrypt basic auth, e.g.::

    tls_server_config:
      cert_file: /etc/redis-ha-exporter/tls.crt
      key_file: /etc/redis-ha-exporter/tls.key
    basic_auth_users:
      prometheus: $2y$10$...   # bcrypt hash

:class:`WebConfigFile` serves it as exporter-toolkit does, without blocking the event loop:

- the file is read again when it changes (its size, mtime or inode, checked at each request and
  each TLS handshake); a file that no longer loads keeps the last good configuration, with one
  log line per change;
- bcrypt runs in one worker thread, one check at a time, never on the event loop (bcrypt releases
  the GIL). At most :data:`MAX_PENDING_CHECKS` wait; beyond that a request is answered 503 at
  once, so a flood of wrong passwords costs one core, not memory or the event streams;
- a successful check is remembered by an HMAC of user, password and hash (never the password
  itself): a changed password or hash misses it, and a reload forgets them all;
- an unknown user is checked against a configured user's hash and refused whatever the result,
  so the time taken does not tell which users exist.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import ssl
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis_ha_exporter.logs import kv
from redis_ha_exporter.settings import ConfigError

log = logging.getLogger(__name__)

#: bcrypt checks waiting or running at once; a request beyond them is answered 503.
MAX_PENDING_CHECKS = 4
#: Successful checks remembered (user, password, hash); the oldest is forgotten first.
MAX_REMEMBERED = 256

_TOP = {"tls_server_config", "basic_auth_users", "http_server_config"}
_TLS = {"cert_file", "key_file", "client_ca_file", "client_auth_type", "min_version"}
_HTTP = {"headers"}
_CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "RequestClientCert": ssl.CERT_OPTIONAL,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAnyClientCert": ssl.CERT_REQUIRED,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_VERSIONS = {
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}


@dataclass(frozen=True)
class WebConfig:
    """Validated web config: an SSL context (or None) and bcrypt hashes by user."""

    ssl_context: ssl.SSLContext | None
    users: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict)
    path: str = ""

    def check_password(self, user: str, password: str) -> bool:
        """True when ``user`` exists and ``password`` matches its bcrypt hash. Blocks for as
        long as bcrypt takes (:class:`WebConfigFile` runs it off the event loop). An unknown
        user costs as much as a known one."""
        import bcrypt  # only with basic auth: its memory is not every exporter's

        hashed = self.users.get(user)
        decoy = hashed or next(iter(self.users.values()), None)
        if decoy is None:
            return False
        try:
            matches = bcrypt.checkpw(password.encode(), decoy)
        except ValueError:
            return False
        return matches and hashed is not None


def basic_credentials(header: str) -> tuple[str, str] | None:
    """``Basic dXNlcjpwYXNz`` -> ``("user", "pass")``; None for anything else."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def _stamp(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class WebConfigFile:
    """The ``--web.config.file`` in force: reloaded when it changes, basic auth checked off the
    event loop (see the module docstring)."""

    def __init__(self, loaded: WebConfig) -> None:
        self.path = loaded.path
        self.config = loaded
        self._stamp = _stamp(self.path)
        self._serving_tls = loaded.ssl_context is not None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bcrypt")
        self._key = secrets.token_bytes(32)
        self._remembered: dict[bytes, None] = {}
        self._pending = 0

    def current(self) -> WebConfig:
        """The configuration, read again first when the file changed."""
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return self.config
        self._stamp = stamp
        try:
            loaded = load_web_config(self.path)
        except ConfigError as exc:
            log.error(
                "web config file not reloaded: keeping the last good one", extra=kv(err=str(exc))
            )
            return self.config
        if (loaded.ssl_context is not None) != self._serving_tls:
            log.error(
                "web config file not reloaded: TLS is switched on or off only by a restart",
                extra=kv(path=self.path),
            )
            return self.config
        self.config = loaded
        self._remembered.clear()
        log.info("web config file reloaded", extra=kv(path=self.path, users=len(loaded.users)))
        return loaded

    def serving_context(self) -> ssl.SSLContext | None:
        """The ``SSLContext`` to serve with: each handshake uses the certificate of the
        configuration in force (a renewed certificate needs no restart)."""
        first = self.config.ssl_context
        if first is not None:
            first.sni_callback = self._pick_context
        return first

    def _pick_context(self, conn: ssl.SSLObject, _name: str | None, _ctx: ssl.SSLContext) -> None:
        latest = self.current().ssl_context
        if latest is not None and latest is not conn.context:
            conn.context = latest

    async def authorised(self, config: WebConfig, header: str) -> bool | None:
        """Whether the ``Authorization`` header names a user of ``config`` with the right
        password; None when too many checks are already waiting (answer 503)."""
        credentials = basic_credentials(header)
        if credentials is None:
            return False
        user, password = credentials
        hashed = config.users.get(user, b"")
        said = json.dumps([user, password]).encode()  # no NUL in it: the join is unambiguous
        key = hmac.digest(self._key, said + b"\0" + hashed, hashlib.sha256)
        if hashed and key in self._remembered:
            return True
        if self._pending >= MAX_PENDING_CHECKS:
            return None
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            ok = await loop.run_in_executor(self._worker, config.check_password, user, password)
        finally:
            self._pending -= 1
        if ok and config is self.config:  # not a configuration replaced meanwhile
            self._remembered[key] = None
            while len(self._remembered) > MAX_REMEMBERED:
                del self._remembered[next(iter(self._remembered))]
        return ok

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)


def load_web_config(path: str) -> WebConfig:
    """Read and validate ``path``; raise :class:`ConfigError` on any problem (one line)."""
    import yaml  # only with a web config file: its memory is not every exporter's

    where = f"web config file {path}"
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read {where}: {exc.strerror or type(exc).__name__}") from None
    except yaml.YAMLError:
        raise ConfigError(f"{where}: not valid YAML") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: top level must be a mapping")
    _unknown(data, _TOP, where)
    tls = data.get("tls_server_config")
    context = _ssl_context(tls, where) if tls else None
    users: dict[str, bytes] = {}
    for user, hashed in (data.get("basic_auth_users") or {}).items():
        value = str(hashed).encode()
        if not value.startswith((b"$2a$", b"$2b$", b"$2y$")):
            raise ConfigError(f"{where}: basic_auth_users.{user} is not a bcrypt hash")
        users[str(user)] = value
    http = data.get("http_server_config") or {}
    _unknown(http, _HTTP, f"{where}: http_server_config")
    headers = {str(k): str(v) for k, v in (http.get("headers") or {}).items()}
    return WebConfig(ssl_context=context, users=users, headers=headers, path=path)


def _unknown(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: must be a mapping")
    for key in data:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown or unsupported key {key!r}")


def _ssl_context(tls: Mapping[str, Any], where: str) -> ssl.SSLContext:
    _unknown(tls, _TLS, f"{where}: tls_server_config")
    if "cert_file" not in tls or "key_file" not in tls:
        raise ConfigError(f"{where}: tls_server_config needs cert_file and key_file")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(str(tls["cert_file"]), str(tls["key_file"]))
        if "client_ca_file" in tls:
            context.load_verify_locations(cafile=str(tls["client_ca_file"]))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"{where}: cannot load TLS files: {type(exc).__name__}") from None
    auth = str(tls.get("client_auth_type", "NoClientCert"))
    if auth not in _CLIENT_AUTH:
        raise ConfigError(f"{where}: client_auth_type {auth!r} is not known")
    context.verify_mode = _CLIENT_AUTH[auth]
    version = str(tls.get("min_version", "TLS12"))
    if version not in _VERSIONS:
        raise ConfigError(f"{where}: min_version {version!r}: expected TLS12 or TLS13")
    context.minimum_version = _VERSIONS[version]
    return context
