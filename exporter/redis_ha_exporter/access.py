"""Who ``/scrape?target=`` may reach, and with which credentials (pure: no I/O).

``/scrape`` is the one path where a request names the address the exporter connects to, so it is
where a credential could be sent to a listener of someone else's choosing. The rules:

- **Allowed addresses.** A configured target; an address the configured Sentinels reported
  (masters, replicas, other Sentinels: :class:`SentinelReports`); an address an
  ``--scrape.allow`` pattern matches (``any`` matches all); an address the requested profile's
  own ``addresses`` match. Anything else is refused before a connection is opened.
- **Credentials.** A configured address is reached as configured (its credentials, its TLS),
  whatever the request says. Any other address gets the settings of the profile the request
  names (``profile=``) — only when that profile covers it: a reported address, or one of the
  profile's ``addresses``. Without a profile it gets none but those in its own URI (the
  requester's, not ours). An ``--scrape.allow`` pattern never carries a credential.

Profiles (``profiles:`` in ``--config.file``) are named sets of target fields; ``redis`` and
``sentinel`` always exist, made of the ``--redis.*``/``--sentinel.*`` flags (what ``/sd`` names for
the Redis servers and the Sentinels it lists)::

    profiles:
      redis: {user: monitor, password_file: /etc/redis-ha-exporter/redis.password}
      fleet:
        password_file: /etc/redis-ha-exporter/fleet.password
        tls_ca_file: /etc/redis-ha-exporter/fleet-ca.pem
        addresses: ["10.1.0.0/16:6379", "*.cache.internal"]

An address pattern is ``HOST`` or ``HOST:PORT`` (``[IPV6]:PORT``), where ``HOST`` is an IP, a
network (``10.0.0.0/24``), a host name, or ``*.domain`` (any name under ``domain``). An IP
pattern matches IP addresses only and a name pattern names only: ``10.0.0.*`` is not a pattern,
so ``10.0.0.1.example.com`` can never pass for ``10.0.0.1``.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Container, Mapping
from dataclasses import dataclass, field

from redis_ha_exporter.discovery import reported_addresses
from redis_ha_exporter.snapshot import Collection
from redis_ha_exporter.targets import Target

ANY = "any"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AddressPattern:
    """One address pattern (see the module docstring); ``text`` as written."""

    text: str
    network: Network | None = None
    name: str | None = None  # a host name, or ".domain" for "*.domain"
    port: int | None = None

    @property
    def is_any(self) -> bool:
        return self.text == ANY

    def matches(self, target: Target) -> bool:
        if self.is_any:
            return True
        if target.is_unix or (self.port is not None and self.port != target.port):
            return False
        try:
            ip = ipaddress.ip_address(target.host)
        except ValueError:
            ip = None
        if self.network is not None:
            return ip is not None and ip in self.network
        host = target.host.lower().rstrip(".")
        if ip is not None or self.name is None:
            return False
        return host.endswith(self.name) if self.name.startswith(".") else host == self.name


def parse_pattern(text: str) -> AddressPattern:
    """``10.0.0.0/24``, ``10.0.0.5:6379``, ``[::1]:26379``, ``redis-1.internal``,
    ``*.cache.internal:6379`` or ``any``; raises :class:`ValueError`."""
    text = text.strip()
    if text.lower() == ANY:
        return AddressPattern(ANY)
    host, port = text, None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"bad address pattern {text!r}")
        port = rest[1:] or None
    elif text.count(":") == 1:
        host, port = text.split(":")
    if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"bad port in address pattern {text!r}")
    number = int(port) if port is not None else None
    try:
        return AddressPattern(text, network=ipaddress.ip_network(host, strict=False), port=number)
    except ValueError:
        pass
    name = host.lower().rstrip(".")
    wildcard = name.startswith("*.")
    labels = (name[2:] if wildcard else name).split(".")
    if not all(label and all(c.isalnum() or c in "-_" for c in label) for label in labels):
        raise ValueError(f"bad address pattern {text!r}: expected an IP, a network or a name")
    if all(label.isdigit() for label in labels):  # 10.0.0 is an IP gone wrong, not a name
        raise ValueError(f"bad address pattern {text!r}: expected an IP, a network or a name")
    return AddressPattern(text, name=name[1:] if wildcard else name, port=number)


def parse_patterns(value: object) -> tuple[AddressPattern, ...]:
    """A YAML list of patterns, or patterns separated by commas (a flag, a variable)."""
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(parse_pattern(str(item)) for item in items if str(item).strip())


@dataclass(frozen=True)
class Profile:
    """Named :class:`~redis_ha_exporter.targets.Target` fields (user, password, TLS settings)
    and the addresses, beyond the reported ones, its credentials may be sent to."""

    name: str
    fields: Mapping[str, object] = field(default_factory=dict, repr=False)
    addresses: tuple[AddressPattern, ...] = ()

    def covers(self, target: Target) -> bool:
        return any(p.matches(target) for p in self.addresses)


class Refused(Exception):
    """``/scrape`` will not reach this target: ``reason`` is one line for the response."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SentinelReports:
    """The addresses each configured Sentinel reported in its last successful collection.

    A Sentinel that is down keeps its last report (its replicas stay reachable through
    ``/scrape`` while it is away); a Sentinel that answers replaces its report, so an address
    it no longer names is forgotten. ``learned_at`` is when the last collection was learned.
    """

    def __init__(self) -> None:
        self._by_sentinel: dict[str, frozenset[str]] = {}
        self.learned_at: float | None = None

    def learn(self, collection: Collection, now: float | None = None) -> None:
        for snap in collection.targets:
            if snap.sentinel is not None:
                self._by_sentinel[snap.addr] = frozenset(reported_addresses(snap))
        self.learned_at = time.monotonic() if now is None else now

    def __contains__(self, addr: object) -> bool:
        return any(addr in reported for reported in self._by_sentinel.values())

    def stale(self, max_age: float, now: float | None = None) -> bool:
        """True when nothing was learned within ``max_age`` seconds (or ever)."""
        now = time.monotonic() if now is None else now
        return self.learned_at is None or now - self.learned_at > max_age


@dataclass(frozen=True)
class ScrapePolicy:
    """The rules of the module docstring, for one configuration."""

    targets: tuple[Target, ...]
    profiles: Mapping[str, Profile]
    allow: tuple[AddressPattern, ...] = ()

    @property
    def allows_any(self) -> bool:
        return any(p.is_any for p in self.allow)

    def describe(self) -> str:
        """Which addresses ``/scrape`` reaches, in one sentence (landing page, start log)."""
        base = "configured targets and the addresses the configured Sentinels report"
        covered = [p.text for profile in self.profiles.values() for p in profile.addresses]
        if self.allows_any:
            return f"any address; credentials only to {base}" + (
                f" and the addresses of their profiles ({', '.join(covered)})" if covered else ""
            )
        extra = [p.text for p in self.allow] + covered
        return base + (f", and {', '.join(extra)}" if extra else "")

    def configured(self, addr: str) -> Target | None:
        return next((t for t in self.targets if t.addr == addr), None)

    def resolve(self, target: Target, profile_name: str | None, reported: Container[str]) -> Target:
        """The target to collect for ``/scrape?target=…&profile=…``; raises :class:`Refused`.

        ``target`` is the parsed URI (its own credentials, if any, are the requester's);
        ``reported`` the addresses the Sentinels reported (:class:`SentinelReports`).
        """
        profile = None
        if profile_name is not None:
            profile = self.profiles.get(profile_name)
            if profile is None:
                raise Refused(400, f"unknown profile {profile_name!r}")
        configured = self.configured(target.addr)
        if configured is not None:
            return configured
        is_reported = target.addr in reported
        covered = profile is not None and profile.covers(target)
        if not (is_reported or covered or any(p.matches(target) for p in self.allow)):
            raise Refused(
                403,
                f"target {target.addr} is not configured, not reported by the configured "
                "Sentinels and not allowed by --scrape.allow",
            )
        if profile is None:
            return target
        if not (is_reported or covered):
            raise Refused(
                403,
                f"profile {profile.name!r} does not cover {target.addr}: its credentials go only "
                "to addresses the configured Sentinels report and to its own addresses",
            )
        return target.with_defaults(profile.fields)
