"""Targets: which Redis or Sentinel to read, how to reach it, and its ``addr`` label.

A target URI is ``redis://[user[:password]@]host:port``, ``rediss://…`` (TLS),
``unix:///path/to/redis.sock``, or a bare ``host:port`` (as redis_exporter accepts).
The ``addr`` label is ``host:port`` as configured, or the socket path.

A target carries everything needed to reach it: its credentials and its TLS settings. It speaks
TLS when its URI says ``rediss://``, when ``tls`` is set, or when any other ``tls_*`` field is set
(an address learned from a Sentinel has no scheme of its own: its profile's TLS settings turn TLS
on). :func:`tls_context` builds the client-side ``SSLContext`` from those fields.
"""

from __future__ import annotations

import enum
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import unquote, urlsplit


class TargetError(ValueError):
    """A target URI that cannot be used."""


class Kind(enum.StrEnum):
    """What a target is configured as. A ``REDIS`` target whose ``INFO server`` says
    ``redis_mode:sentinel`` is still read as a Sentinel (``/scrape?target=`` relies on it)."""

    REDIS = "redis"
    SENTINEL = "sentinel"


_SCHEMES = {"redis", "rediss", "unix"}


@dataclass(frozen=True)
class Target:
    """One process to scrape. ``password`` never appears in ``repr``, logs or labels."""

    addr: str
    kind: Kind
    scheme: str
    host: str
    port: int
    path: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool | None = None
    tls_ca_file: str | None = None
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    tls_server_name: str | None = None
    tls_min_version: ssl.TLSVersion | None = None
    tls_insecure_skip_verify: bool | None = None

    @property
    def is_unix(self) -> bool:
        return self.scheme == "unix"

    @property
    def uses_tls(self) -> bool:
        """TLS unless a unix socket: as ``tls`` says, else when any ``tls_*`` field is set (to
        something else than false: ``--no-redis.tls-insecure-skip-verify`` turns nothing on)."""
        if self.is_unix:
            return False
        if self.tls is not None:
            return self.tls
        return any(getattr(self, name) not in (None, False) for name in TLS_FIELDS)

    def with_defaults(self, fields: Mapping[str, object]) -> Target:
        """Fill in the ``fields`` (``{"username": "monitor"}``) that are still unset: what the URI
        sets beats a YAML entry, which beats the flags of the target's kind."""
        unset: dict[str, Any] = {
            name: value for name, value in fields.items() if getattr(self, name) is None
        }
        return replace(self, **unset)


#: The TLS fields of a :class:`Target`.
TLS_FIELDS = tuple(f.name for f in fields(Target) if f.name.startswith("tls"))


def tls_context(target: Target) -> ssl.SSLContext:
    """The client ``SSLContext`` of a TLS target: its CA file (else the system's CAs), its client
    certificate and key, its minimum version; verification off only when
    ``tls_insecure_skip_verify`` says so. Reads the files now: raises ``OSError``/``SSLError``
    when one is missing or not PEM. The server name is the caller's (``server_hostname``)."""
    context = ssl.create_default_context(cafile=target.tls_ca_file)
    if target.tls_insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if target.tls_cert_file is not None:
        context.load_cert_chain(target.tls_cert_file, target.tls_key_file)
    if target.tls_min_version is not None:
        context.minimum_version = target.tls_min_version
    return context


def server_name(target: Target) -> str:
    """The name the server's certificate is checked against (and sent as SNI, unless an IP)."""
    return target.tls_server_name or target.host


def parse_target(uri: str, kind: Kind) -> Target:
    """Parse ``redis://host:6379``, ``rediss://u:p@host:6380``, ``unix:///run/redis.sock``,
    ``[::1]:6379`` or ``host:6379`` into a :class:`Target`; raise :class:`TargetError`
    with a message that never contains the password.
    """
    text = uri.strip()
    if not text:
        raise TargetError("empty target address")
    if "://" not in text:
        text = "redis://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise TargetError(f"bad target address {_redact(uri)!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise TargetError(
            f"bad target address {_redact(uri)!r}: scheme must be redis, rediss or unix"
        )
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if scheme == "unix":
        if not parts.path:
            raise TargetError(f"bad target address {_redact(uri)!r}: no socket path")
        return Target(parts.path, kind, scheme, "", 0, parts.path, username, password)
    host = parts.hostname
    if not host:
        raise TargetError(f"bad target address {_redact(uri)!r}: no host")
    if port is None:
        port = 26379 if kind is Kind.SENTINEL else 6379
    if parts.path not in ("", "/") and kind is Kind.SENTINEL:
        raise TargetError(f"bad target address {_redact(uri)!r}: Sentinel has no databases")
    tls = True if scheme == "rediss" else None
    return Target(f"{host}:{port}", kind, scheme, host, port, "", username, password, tls)


def _redact(uri: str) -> str:
    """``redis://u:secret@h:1`` -> ``redis://u:***@h:1`` for error messages."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        scheme, rest = "", uri
    userinfo, at, hostpart = rest.rpartition("@")
    if not at:
        return uri
    user = userinfo.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{hostpart}"
