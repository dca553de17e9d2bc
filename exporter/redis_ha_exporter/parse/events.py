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
from collections.abc import Callable
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
    parse = _PARSERS.get(channel)
    if parse is None:  # a known name is a well-formed one
        if not is_event_channel(channel):
            raise EventParseError("not an event channel")
        if len(channel) > MAX_CHANNEL_LENGTH or _CHANNEL_RE.fullmatch(channel) is None:
            raise EventParseError("malformed event channel name")
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise EventParseError("payload too long")
    return _parse_unknown(channel, payload) if parse is None else parse(channel, payload)


# A flood of events parses each one here: the parsers below build their event from all its
# fields at once (``_event``, tuple.__new__ without NamedTuple's keyword handling, a third of
# the cost) and call as few functions as they can.
_event = tuple.__new__
_NO_TYPED = (None, None, None, "", "", "")  # quorum, quorum_votes, epoch, leader, old, new
_NO_INSTANCE = ("", "", "", "", "")  # instance_type ... master_address


def _parse_plain(channel: str, payload: str) -> SentinelEvent:
    """``%@`` (any text after it tolerated and kept as ``detail``)."""
    inst = _parse_instance(payload, strict=True)
    if inst is None:
        raise EventParseError(f"{channel}: malformed instance identifier")
    itype, name, address, master, master_address, detail = inst
    return _event(
        SentinelEvent,
        (channel, payload, True, itype, name, address, master, master_address, detail,
         None, None, None, "", "", ""),
    )  # fmt: skip


def _parse_detailed(channel: str, payload: str) -> SentinelEvent:
    """``%@ <text>``: the text is required, and checked for ``+odown`` and ``+monitor``."""
    inst = _parse_instance(payload, strict=True)
    if inst is None:
        raise EventParseError(f"{channel}: malformed instance identifier")
    detail = inst[5]
    if not detail:
        raise EventParseError(f"{channel}: missing text after the instance")
    quorum = votes = None
    if channel == "+odown":  # "#quorum 2/2": Sentinels agreeing / configured quorum
        m = _ODOWN_RE.fullmatch(detail)
        if m is None:
            raise EventParseError("+odown: expected '#quorum <k>/<q>'")
        quorum, votes = int(m.group(2)), int(m.group(1))
    elif channel == "+monitor":  # "quorum 2"
        m = _MONITOR_RE.fullmatch(detail)
        if m is None:
            raise EventParseError("+monitor: expected 'quorum <q>'")
        quorum = int(m.group(1))
    return _event(SentinelEvent, (channel, payload, True, *inst, quorum, votes, None, "", "", ""))


def _parse_unknown(channel: str, payload: str) -> SentinelEvent:
    """An event name outside ``KNOWN_EVENTS``: its instance if the payload starts with one."""
    inst = _parse_instance(payload, strict=False)
    if inst is None:
        return _event(SentinelEvent, (channel, payload, False, *_NO_INSTANCE, payload, *_NO_TYPED))
    return _event(SentinelEvent, (channel, payload, False, *inst, *_NO_TYPED))


def _uint(text: str, digits: int = 20) -> bool:
    """``text`` is a decimal number of 1 to ``digits`` ASCII digits (``[0-9]{1,digits}``)."""
    return len(text) <= digits and text.isascii() and text.isdigit()


def _address(host: str, port: str) -> str | None:
    """``("10.0.0.1", "6379")`` → ``"10.0.0.1:6379"`` (:func:`format_address`), or None: no host,
    or a port that is not 0 to 65535 in ASCII digits (0: Sentinel marks invalid Sentinel
    addresses with port 0). Compares the digits as text: ``int()`` cost a flood more than the
    rest of the check."""
    if (
        not host
        or not port.isdigit()
        or not port.isascii()
        or len(port) > 5
        or (len(port) == 5 and port > "65535")
    ):
        return None
    if port[0] == "0" and len(port) > 1:  # "06379": leading zeros, never from sentinel.c
        port = str(int(port))
    return format_address(host, port)


_Instance = tuple[str, str, str, str, str, str]
"""instance_type, instance_name, instance_address, master_name, master_address, detail."""


def _parse_instance(payload: str, *, strict: bool) -> _Instance | None:
    """Parse ``<type> <name> <ip> <port>[ @ <master> <ip> <port>][ <detail>]``, None if not.

    ``strict``: slaves and Sentinels must carry the ``@ <master> <ip> <port>`` part (they
    always do in sentinel.c).
    """
    head = payload.split(" ", 4)
    if len(head) == 5:
        itype, name, host, port, rest = head
    elif len(head) == 4:
        itype, name, host, port = head
        rest = ""
    else:
        return None
    if itype not in INSTANCE_TYPES or not name:
        return None
    address = _address(host, port)
    if address is None:
        return None
    if rest[:2] == "@ " or rest == "@":
        if itype == "master":
            return None
        tail = rest.split(" ", 4)
        if len(tail) < 4 or not tail[1]:
            return None
        master_address = _address(tail[2], tail[3])
        if master_address is None:
            return None
        detail = tail[4] if len(tail) == 5 else ""
        return itype, name, address, tail[1], master_address, detail
    if itype != "master":
        return None if strict else (itype, name, address, "", "", rest)
    return itype, name, address, name, address, rest


def _parse_switch_master(channel: str, payload: str) -> SentinelEvent:
    """``mymaster 127.0.0.1 6379 127.0.0.1 6380``: the master, its old and new address."""
    fields = payload.split(" ")
    if len(fields) != 5 or not fields[0]:
        raise EventParseError("+switch-master: expected '<name> <ip> <port> <ip> <port>'")
    old, new = _address(fields[1], fields[2]), _address(fields[3], fields[4])
    if old is None or new is None:
        raise EventParseError("+switch-master: bad address")
    return _event(
        SentinelEvent,
        (channel, payload, True, "", "", "", fields[0], new, payload,
         None, None, None, "", old, new),
    )  # fmt: skip


def _parse_new_epoch(channel: str, payload: str) -> SentinelEvent:
    """``3``: the epoch."""
    if not _uint(payload):
        raise EventParseError("+new-epoch: expected '<epoch>'")
    return _event(
        SentinelEvent,
        (channel, payload, True, "", "", "", "", "", payload, None, None, int(payload), "", "", ""),
    )


def _parse_vote(channel: str, payload: str) -> SentinelEvent:
    """``b2b6a2b5c1b2e0f4a0b5a39e8e1f5a8b8c4f7d21 3``: the leader voted for and the epoch."""
    fields = payload.split(" ")
    if len(fields) != 2 or not fields[0] or not _uint(fields[1]):
        raise EventParseError("+vote-for-leader: expected '<runid> <epoch>'")
    epoch = int(fields[1])
    return _event(
        SentinelEvent,
        (channel, payload, True, *_NO_INSTANCE, payload, None, None, epoch, fields[0], "", ""),
    )


def _script_parser(numbers: int) -> Callable[[str, str], SentinelEvent]:
    """``-script-error`` ``/path/notify.sh 0 2`` (two numbers), ``-script-timeout``
    ``/path/notify.sh 4242`` (one): a script path, then its numbers."""

    def parse(channel: str, payload: str) -> SentinelEvent:
        fields = payload.rsplit(" ", numbers)
        if len(fields) != numbers + 1 or not fields[0] or not all(map(_uint, fields[1:])):
            raise EventParseError(f"{channel}: expected '<path> <number>...'")
        return _parse_text(channel, payload)

    return parse


def _parse_text(channel: str, payload: str) -> SentinelEvent:
    """``+tilt`` ``#tilt mode entered``, ``-tilt`` ``#tilt mode exited``: the text carries
    nothing more."""
    return _event(SentinelEvent, (channel, payload, True, *_NO_INSTANCE, payload, *_NO_TYPED))


_PARSERS: dict[str, Callable[[str, str], SentinelEvent]] = {
    **dict.fromkeys(_PLAIN, _parse_plain),
    **dict.fromkeys(_WITH_DETAIL, _parse_detailed),
    "+switch-master": _parse_switch_master,
    "+new-epoch": _parse_new_epoch,
    "+vote-for-leader": _parse_vote,
    "+tilt": _parse_text,
    "-tilt": _parse_text,
    "-script-error": _script_parser(2),
    "-script-timeout": _script_parser(1),
}
