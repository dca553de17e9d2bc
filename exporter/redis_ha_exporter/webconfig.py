"""The Prometheus exporter-toolkit web configuration file (``--web.config.file``): TLS and
bcrypt basic auth, e.g.::

    tls_server_config:
      cert_file: /etc/redis-ha-exporter/tls.crt
      key_file: /etc/redis-ha-exporter/tls.key
    basic_auth_users:
      prometheus: $2y$10$...   # bcrypt hash
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import yaml

from redis_ha_exporter.settings import ConfigError

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

    def check_password(self, user: str, password: str) -> bool:
        """True when ``user`` exists and ``password`` matches its bcrypt hash."""
        hashed = self.users.get(user)
        if hashed is None:
            return False
        try:
            return bcrypt.checkpw(password.encode(), hashed)
        except ValueError:
            return False


def load_web_config(path: str) -> WebConfig:
    """Read and validate ``path``; raise :class:`ConfigError` on any problem (one line)."""
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
    return WebConfig(ssl_context=context, users=users, headers=headers)


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
