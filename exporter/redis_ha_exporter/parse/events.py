"""Parse one Sentinel pub/sub event (channel name + payload) into a typed record.

Sentinel publishes every event on a channel named after the event (``+sdown``, ``-odown``, ...)
through ``sentinelEvent()`` in ``src/sentinel.c``.  Most payloads start with the instance
identifier that ``sentinelEvent()`` builds for the ``%@`` format::

    <instance-type> <instance-name> <ip> <port>                                  (a master)
    <instance-type> <instance-name> <ip> <port> @ <master-name> <master-ip> <master-port>

followed by event-specific text for a few events (``+odown ... #quorum 2/2``).  The other
payloads are free format (``+switch-master mymaster 10.0.0.1 6379 10.0.0.2 6379``).

Facts taken from the Redis 7.0.15 source (the same 48 names in 6.2, 7.2 and 7.4):

* ``<instance-type>`` is ``master``, ``slave`` or ``sentinel``.  A slave's name is
  ``<ip>:<port>`` (IPv6 bracketed), a Sentinel's name is its run id, a master's name is the
  monitored name.
* IPv6 addresses are unbracketed in the ``<ip>`` fields; with ``announce-hostnames yes`` they
  are host names.  Addresses here are ``host:port`` with the host unbracketed, like the
  ``address=`` field of ``INFO sentinel`` (split them with ``rsplit(":", 1)``).
* Events logged at ``LL_DEBUG`` are never published (``LOG_ONLY_EVENTS``).

Channels that are not events (anything not starting with ``+`` or ``-``, e.g. the
``__sentinel__:hello`` channel that Sentinels use on the monitored Redis servers, or keyspace
notifications) are not events: ``is_event_channel()`` is false for them and the caller must
skip them without counting anything.  ``parse_event()`` raises ``EventParseError`` for them.

Event names outside ``KNOWN_EVENTS`` are accepted (``known=False``, counted as ``other``) and
their payload parsed on a best-effort basis, never raising for the payload.  A known event whose
payload does not have its documented shape (a port or epoch that is not a decimal number
included) raises ``EventParseError``, following the rules of :mod:`redis_ha_exporter.parse`.

Limitation: master names containing spaces (possible with ``SENTINEL MONITOR "a b" ...``) make
the payload ambiguous; such events are parse errors or are split at the first space.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from redis_ha_exporter.parse import ParseError, format_address

__all__ = [
    "INSTANCE_TYPES",
    "KNOWN_EVENTS",
    "LOG_ONLY_EVENTS",
    "MAX_CHANNEL_LENGTH",
    "MAX_PAYLOAD_LENGTH",
    "OTHER",
    "EventParseError",
    "SentinelEvent",
    "is_event_channel",
    "parse_event",
]

OTHER = "other"
"""The ``event`` label of every event name outside ``KNOWN_EVENTS``."""

MAX_CHANNEL_LENGTH = 64
MAX_PAYLOAD_LENGTH = 4096
"""Sentinel formats payloads into a ``LOG_MAX_LEN`` (1024 bytes) buffer; longer is not Sentinel."""

INSTANCE_TYPES = frozenset({"master", "slave", "sentinel"})

# Payload is exactly the instance identifier ("%@"); trailing text is tolerated and kept.
_PLAIN = frozenset(
    {
        "+config-update-from",  # sentinel <runid> <ip> <port> @ <master> <ip> <port>
        "+convert-to-slave",
        "+elected-leader",
        "+failover-end",
        "+failover-end-for-timeout",
        "+failover-state-reconf-slaves",
        "+failover-state-select-slave",
        "+failover-state-send-slaveof-noone",  # the selected slave, "@ <master> ..."
        "+failover-state-wait-promotion",  # the promoted slave, "@ <master> ..."
        "+fix-slave-config",
        "+promoted-slave",
        "+reboot",
        "+reset-master",
        "+sdown",
        "+selected-slave",
        "+sentinel",
        "+sentinel-invalid-addr",
        "+slave",
        "+slave-reconf-done",
        "+slave-reconf-inprog",
        "+slave-reconf-sent",
        "+slave-reconf-sent-be",
        "+try-failover",
        "-failover-abort-no-good-slave",
        "-failover-abort-not-elected",
        "-failover-abort-slave-timeout",
        "-monitor",
        "-odown",
        "-sdown",
        "-slave-reconf-sent-timeout",
    }
)

# Instance identifier followed by event-specific text (required).
_WITH_DETAIL = frozenset(
    {
        "+monitor",  # "%@ quorum %d"
        "+odown",  # "%@ #quorum %d/%d"
        "+role-change",  # "%@ new reported role is %s"
        "-role-change",  # same, when the reported role disagrees with the configuration
        "+set",  # "%@ <option> [<value> [<value>]]" (auth-pass/auth-user values "******")
        "+sentinel-address-switch",  # "%@ ip %s port %d for %s"
        "+sentinel-address-update",  # "%@ %d additional matching instances"
    }
)

# Free-format payloads, parsed by dedicated functions below.
_FREE = frozenset(
    {
        "+switch-master",  # "<master> <old-ip> <old-port> <new-ip> <new-port>"
        "+new-epoch",  # "<epoch>"
        "+vote-for-leader",  # "<leader-runid> <epoch>"
        "+tilt",  # "#tilt mode entered"
        "-tilt",  # "#tilt mode exited"
        "-script-error",  # "<script-path> <signal> <exit-code>"
        "-script-timeout",  # "<script-path> <pid>"
    }
)

KNOWN_EVENTS: frozenset[str] = _PLAIN | _WITH_DETAIL | _FREE
"""Every event name that Redis 7 Sentinel publishes (44 names)."""

LOG_ONLY_EVENTS: frozenset[str] = frozenset(
    {"+script-child", "-script-child", "-cmd-link-reconnection", "-pubsub-link-reconnection"}
)
"""Events Sentinel logs at LL_DEBUG and never publishes; if seen anyway they count as other."""

_CHANNEL_RE = re.compile(r"[+-][A-Za-z0-9][A-Za-z0-9_.:-]*")
_ODOWN_RE = re.compile(r"#quorum ([0-9]{1,9})/([0-9]{1,9})")
_MONITOR_RE = re.compile(r"quorum ([0-9]{1,9})")


class EventParseError(ParseError):
    """A message that is not a well-formed Sentinel event."""


class SentinelEvent(NamedTuple):
    """One Sentinel event.

    ``master_name``/``master_address`` name the master the event is about: the instance itself
    for ``master`` instances, the ``@ <master>`` part for slaves and Sentinels, the first field
    of ``+switch-master``; empty for events without one (``+new-epoch``, ``+vote-for-leader``,
    ``+tilt``, scripts).  ``detail`` is the text after the instance identifier, or the whole
    payload for free-format events.  Typed extras are set only by the events that carry them.

    A named tuple, not a dataclass: a flood of events makes one each (a frozen dataclass of
    sixteen fields costs several times as much to build), and a tuple of strings and numbers
    is left alone by the garbage collector while it waits in the ring of recent events.
    """

    event: str
    payload: str
    known: bool
    instance_type: str = ""
    instance_name: str = ""
    instance_address: str = ""
    master_name: str = ""
    master_address: str = ""
    detail: str = ""
    quorum: int | None = None  # configured quorum: +odown "#quorum k/q" (q), +monitor "quorum q"
    quorum_votes: int | None = None  # +odown: Sentinels agreeing the master is down (k)
    epoch: int | None = None  # +new-epoch, +vote-for-leader
    leader: str = ""  # +vote-for-leader: run id of the Sentinel voted for
    old_address: str = ""  # +switch-master
    new_address: str = ""  # +switch-master

    @property
    def label(self) -> str:
        """The ``event`` label value: the channel name if known, else ``other``."""
        return self.event if self.known else OTHER


def is_event_channel(channel: str) -> bool:
    """True for Sentinel event channels: every event name starts with ``+`` or ``-``.

    ``__sentinel__:hello`` (Sentinel hello messages on Redis servers), keyspace notifications
    and any other channel a ``PSUBSCRIBE *`` may deliver are not events.
    """
    return channel[:1] in ("+", "-")


def parse_event(channel: str, payload: str) -> SentinelEvent:
    """Parse a message received on event channel ``channel``.

    Input examples (channel, payload)::

        ("+sdown", "master mymaster 127.0.0.1 6379")
        ("+sdown", "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379")
        ("+odown", "master mymaster 127.0.0.1 6379 #quorum 2/2")
        ("+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380")
        ("+new-epoch", "3")

    Raises ``EventParseError`` (and nothing else) for a non-event channel, a malformed
    channel name or a known event whose payload does not have its documented shape.
    """
    if channel not in KNOWN_EVENTS:  # a known name is a well-formed one
        if not is_event_channel(channel):
            raise EventParseError("not an event channel")
        if len(channel) > MAX_CHANNEL_LENGTH or _CHANNEL_RE.fullmatch(channel) is None:
            raise EventParseError("malformed event channel name")
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise EventParseError("payload too long")
    if channel in _FREE:
        return _parse_free(channel, payload)
    known = channel in KNOWN_EVENTS
    inst = _parse_instance(payload, strict=known)
    if inst is None:
        if known:
            raise EventParseError(f"{channel}: malformed instance identifier")
        return SentinelEvent(channel, payload, False, detail=payload)
    quorum = votes = None
    if known and channel in _WITH_DETAIL:
        quorum, votes = _check_detail(channel, inst.detail)
    return SentinelEvent(
        channel,
        payload,
        known,
        instance_type=inst.itype,
        instance_name=inst.name,
        instance_address=inst.address,
        master_name=inst.master_name,
        master_address=inst.master_address,
        detail=inst.detail,
        quorum=quorum,
        quorum_votes=votes,
    )


def _uint(text: str, digits: int = 20) -> bool:
    """``text`` is a decimal number of 1 to ``digits`` ASCII digits (``[0-9]{1,digits}``)."""
    return len(text) <= digits and text.isascii() and text.isdigit()


def _port(text: str) -> int | None:
    """A TCP port (0 allowed: Sentinel marks invalid Sentinel addresses with port 0)."""
    if not _uint(text, 5):
        return None
    port = int(text)
    return port if port <= 65535 else None


class _Instance(NamedTuple):
    itype: str
    name: str
    address: str
    master_name: str
    master_address: str
    detail: str


def _parse_instance(payload: str, *, strict: bool) -> _Instance | None:
    """Parse ``<type> <name> <ip> <port>[ @ <master> <ip> <port>][ <detail>]``, None if not.

    ``strict``: slaves and Sentinels must carry the ``@ <master> <ip> <port>`` part (they
    always do in sentinel.c).
    """
    head = payload.split(" ", 4)
    if len(head) < 4:
        return None
    itype, name, host, port_text = head[:4]
    rest = head[4] if len(head) == 5 else None
    port = _port(port_text)
    if itype not in INSTANCE_TYPES or not name or not host or port is None:
        return None
    address = format_address(host, port)
    if rest is not None and (rest == "@" or rest.startswith("@ ")):
        if itype == "master":
            return None
        tail = rest.split(" ", 4)
        if len(tail) < 4:
            return None
        _, mname, mhost, mport_text = tail[:4]
        mport = _port(mport_text)
        if not mname or not mhost or mport is None:
            return None
        detail = tail[4] if len(tail) == 5 else ""
        return _Instance(itype, name, address, mname, format_address(mhost, mport), detail)
    if itype != "master":
        return None if strict else _Instance(itype, name, address, "", "", rest or "")
    return _Instance(itype, name, address, name, address, rest or "")


def _check_detail(channel: str, detail: str) -> tuple[int | None, int | None]:
    """Check the text after the instance of ``_WITH_DETAIL`` events; (quorum, votes) if any."""
    if not detail:
        raise EventParseError(f"{channel}: missing text after the instance")
    if channel == "+odown":
        # "#quorum 2/2": Sentinels agreeing / configured quorum
        m = _ODOWN_RE.fullmatch(detail)
        if m is None:
            raise EventParseError("+odown: expected '#quorum <k>/<q>'")
        return int(m.group(2)), int(m.group(1))
    if channel == "+monitor":
        # "quorum 2"
        m = _MONITOR_RE.fullmatch(detail)
        if m is None:
            raise EventParseError("+monitor: expected 'quorum <q>'")
        return int(m.group(1)), None
    return None, None


def _parse_free(channel: str, payload: str) -> SentinelEvent:
    if channel == "+switch-master":
        # "mymaster 127.0.0.1 6379 127.0.0.1 6380"
        fields = payload.split(" ")
        if len(fields) != 5 or not all(fields[:2]) or not fields[3]:
            raise EventParseError("+switch-master: expected '<name> <ip> <port> <ip> <port>'")
        old_port, new_port = _port(fields[2]), _port(fields[4])
        if old_port is None or new_port is None:
            raise EventParseError("+switch-master: bad port")
        new = format_address(fields[3], new_port)
        return SentinelEvent(
            channel,
            payload,
            True,
            master_name=fields[0],
            master_address=new,
            detail=payload,
            old_address=format_address(fields[1], old_port),
            new_address=new,
        )
    if channel == "+new-epoch":
        # "3"
        if not _uint(payload):
            raise EventParseError("+new-epoch: expected '<epoch>'")
        return SentinelEvent(channel, payload, True, detail=payload, epoch=int(payload))
    if channel == "+vote-for-leader":
        # "b2b6a2b5c1b2e0f4a0b5a39e8e1f5a8b8c4f7d21 3"
        fields = payload.split(" ")
        if len(fields) != 2 or not fields[0] or not _uint(fields[1]):
            raise EventParseError("+vote-for-leader: expected '<runid> <epoch>'")
        return SentinelEvent(
            channel, payload, True, detail=payload, leader=fields[0], epoch=int(fields[1])
        )
    if channel in ("-script-error", "-script-timeout"):
        # "-script-error": "/path/notify.sh 0 2"; "-script-timeout": "/path/notify.sh 4242"
        want = 3 if channel == "-script-error" else 2
        fields = payload.rsplit(" ", want - 1)
        if len(fields) != want or not fields[0] or not all(_uint(f) for f in fields[1:]):
            raise EventParseError(f"{channel}: expected '<path> <number>...'")
        return SentinelEvent(channel, payload, True, detail=payload)
    # +tilt "#tilt mode entered", -tilt "#tilt mode exited": the text carries nothing more
    return SentinelEvent(channel, payload, True, detail=payload)
