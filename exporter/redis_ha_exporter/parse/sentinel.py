"""Pure parsers for the replies of ``SENTINEL`` commands: raw replies in, frozen records out.

The fetch layer sends the commands with redis-py's response callbacks disabled, so these
functions see the raw reply shapes:

* ``SENTINEL MASTERS`` / ``SLAVES <name>`` / ``SENTINELS <name>``: a list with one entry per
  instance; an entry is a flat list ``[k1, v1, k2, v2, ...]`` over RESP2 or a dict ``{k: v}``
  over RESP3; see :func:`parse_sentinel_masters`, :func:`parse_sentinel_slaves`,
  :func:`parse_sentinel_sentinels`;
* ``SENTINEL CKQUORUM <name>``: a status string, or the error the client raised; see
  :func:`parse_ckquorum`.

(``INFO sentinel`` is ``INFO`` text: :func:`redis_ha_exporter.parse.info.parse_info_sentinel`.)

Keys and values may be ``str`` or ``bytes`` (decoded as UTF-8 with ``errors="replace"``), and a
value may be an ``int`` (kept as is for numbers, ``str()`` for text).  Flags may come as the
comma-separated string Redis sends or as a set/list of flag names: :func:`normalise_flags`.

The rules of :mod:`redis_ha_exporter.parse` apply: a reply whose shape is not the documented
one, a missing field that every Sentinel since 2.8 sends (identity fields, ``flags``, the
master settings, the replica link fields), or a numeric field that is present but not a decimal
integer, raises :class:`SentinelParseError`; a field that only some versions send
(``replica-announced`` since 6.2, ...) is ``None`` when absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from redis_ha_exporter.parse import ParseError, format_address, read_int

__all__ = [
    "CkQuorum",
    "SentinelMaster",
    "SentinelParseError",
    "SentinelPeer",
    "SentinelReplica",
    "normalise_flags",
    "parse_ckquorum",
    "parse_sentinel_master",
    "parse_sentinel_masters",
    "parse_sentinel_sentinels",
    "parse_sentinel_slaves",
]


class SentinelParseError(ParseError):
    """A Sentinel reply that does not have the shape Redis gives it."""


# --- records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SentinelMaster:
    """One entry of ``SENTINEL MASTERS`` (or the reply of ``SENTINEL MASTER <name>``).

    Durations are milliseconds as Redis reports them; ``failover_state``, ``s_down_time_ms``
    and ``o_down_time_ms`` are only sent while the matching flag is set.
    """

    name: str
    ip: str
    port: int
    runid: str
    flags: frozenset[str]
    config_epoch: int
    quorum: int
    num_slaves: int
    num_other_sentinels: int
    down_after_ms: int
    failover_timeout_ms: int
    parallel_syncs: int
    failover_state: str | None = None
    last_ok_ping_reply_ms: int | None = None
    s_down_time_ms: int | None = None
    o_down_time_ms: int | None = None
    role_reported: str | None = None

    @property
    def address(self) -> str:
        """``ip:port`` (IPv6 unbracketed), as redis_exporter's ``master_address`` label."""
        return format_address(self.ip, self.port)

    @property
    def sdown(self) -> bool:
        return "s_down" in self.flags

    @property
    def odown(self) -> bool:
        return "o_down" in self.flags

    @property
    def failover_in_progress(self) -> bool:
        return "failover_in_progress" in self.flags


@dataclass(frozen=True)
class SentinelReplica:
    """One entry of ``SENTINEL SLAVES <name>``.

    ``repl_offset`` (``slave-repl-offset``, not sent by old Sentinels) and
    ``replica_announced`` (Redis >= 6.2) are ``None`` when absent.  ``master_host`` is
    ``None`` when the Sentinel does not know it (Redis sends ``?``).
    """

    name: str
    ip: str
    port: int
    runid: str
    flags: frozenset[str]
    master_link_status: str
    master_link_down_time_ms: int
    slave_priority: int
    master_host: str | None = None
    master_port: int | None = None
    repl_offset: int | None = None
    replica_announced: bool | None = None

    @property
    def address(self) -> str:
        return format_address(self.ip, self.port)

    @property
    def master_link_ok(self) -> bool:
        """``master-link-status`` is ``ok`` (as last reported by the replica's INFO)."""
        return self.master_link_status == "ok"


@dataclass(frozen=True)
class SentinelPeer:
    """One entry of ``SENTINEL SENTINELS <name>``: another Sentinel watching that master."""

    name: str
    ip: str
    port: int
    runid: str
    flags: frozenset[str]
    last_hello_message_ms: int | None = None
    voted_leader: str | None = None
    voted_leader_epoch: int | None = None

    @property
    def address(self) -> str:
        return format_address(self.ip, self.port)


@dataclass(frozen=True)
class CkQuorum:
    """Outcome of ``SENTINEL CKQUORUM <name>``.

    ``ok`` is the value of ``redis_sentinel_master_ckquorum_ok``; it is True exactly when
    both ``quorum_reachable`` and ``majority_reachable`` are True.  ``usable_sentinels``
    counts this Sentinel too.  The three are ``None`` when the reply does not say (e.g.
    ``No such master with that name``, a timeout).  ``message`` is the reply text, for logs only:
    never put it in a label.
    """

    ok: bool
    usable_sentinels: int | None
    quorum_reachable: bool | None
    majority_reachable: bool | None
    message: str


# --- scalar helpers -----------------------------------------------------------------------


def _text(value: object, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise SentinelParseError(f"{what}: expected a string, got {type(value).__name__}")


def _int(value: object, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return read_int(_text(value, what), what, SentinelParseError)


def normalise_flags(value: object) -> frozenset[str]:
    """Flag names from ``"s_down,master,disconnected"`` or from a set/list of names.

    Empty names are dropped, so ``""`` gives an empty set.  Anything else (a number, a nested
    list, ``None``) raises :class:`SentinelParseError`.
    """
    if isinstance(value, str | bytes | bytearray):
        parts: Iterable[object] = [value]
    elif isinstance(value, set | frozenset | list | tuple):
        parts = value
    else:
        raise SentinelParseError(f"flags: unexpected {type(value).__name__}")
    names: set[str] = set()
    for part in parts:
        if not isinstance(part, str | bytes | bytearray):
            raise SentinelParseError(f"flags: unexpected element {type(part).__name__}")
        names.update(f.strip() for f in _text(part, "flags").split(","))
    names.discard("")
    return frozenset(names)


# --- SENTINEL MASTERS / SLAVES / SENTINELS -------------------------------------------------


class _Entry:
    """The fields of one instance entry, with typed accessors that raise on bad values."""

    def __init__(self, raw: object, what: str) -> None:
        self.what = what
        self.fields: dict[str, object] = {}
        if isinstance(raw, dict):
            pairs: Iterable[tuple[object, object]] = raw.items()
        elif isinstance(raw, list | tuple):
            if len(raw) % 2:
                raise SentinelParseError(f"{what}: odd number of elements ({len(raw)})")
            keys = raw[::2]
            if all(type(key) is str for key in keys):  # what the client decodes: taken at once
                self.fields = dict(zip(keys, raw[1::2], strict=True))
                return
            pairs = zip(keys, raw[1::2], strict=True)
        else:
            raise SentinelParseError(f"{what}: entry is a {type(raw).__name__}")
        for key, value in pairs:
            if not isinstance(key, str | bytes | bytearray):
                raise SentinelParseError(f"{what}: key is a {type(key).__name__}")
            self.fields[_text(key, what)] = value

    def _get(self, key: str) -> object:
        try:
            return self.fields[key]
        except KeyError:
            raise SentinelParseError(f"{self.what}: missing field {key!r}") from None

    def string(self, key: str) -> str:
        return _text(self._get(key), f"{self.what} {key}")

    def integer(self, key: str) -> int:
        return _int(self._get(key), f"{self.what} {key}")

    def opt_text(self, key: str) -> str | None:
        return self.string(key) if key in self.fields else None

    def opt_int(self, key: str) -> int | None:
        return self.integer(key) if key in self.fields else None

    def flags(self) -> frozenset[str]:
        return normalise_flags(self._get("flags"))


def _entries(reply: object, what: str) -> list[_Entry]:
    if not isinstance(reply, list | tuple):
        raise SentinelParseError(f"{what}: reply is a {type(reply).__name__}, not a list")
    return [_Entry(raw, what) for raw in reply]


def _master(e: _Entry) -> SentinelMaster:
    return SentinelMaster(
        name=e.string("name"),
        ip=e.string("ip"),
        port=e.integer("port"),
        runid=e.opt_text("runid") or "",
        flags=e.flags(),
        config_epoch=e.integer("config-epoch"),
        quorum=e.integer("quorum"),
        num_slaves=e.integer("num-slaves"),
        num_other_sentinels=e.integer("num-other-sentinels"),
        down_after_ms=e.integer("down-after-milliseconds"),
        failover_timeout_ms=e.integer("failover-timeout"),
        parallel_syncs=e.integer("parallel-syncs"),
        failover_state=e.opt_text("failover-state"),
        last_ok_ping_reply_ms=e.opt_int("last-ok-ping-reply"),
        s_down_time_ms=e.opt_int("s-down-time"),
        o_down_time_ms=e.opt_int("o-down-time"),
        role_reported=e.opt_text("role-reported"),
    )


def parse_sentinel_master(entry: object) -> SentinelMaster:
    """Parse one master entry (the reply of ``SENTINEL MASTER <name>``)::

        ["name", "m1", "ip", "127.0.0.1", "port", "6379", "runid", "c33e...",
         "flags", "s_down,master,disconnected", ..., "config-epoch", "0",
         "num-slaves", "2", "num-other-sentinels", "2", "quorum", "2",
         "failover-timeout", "180000", "parallel-syncs", "1", ...]

    or the same as a RESP3 dict.
    """
    return _master(_Entry(entry, "SENTINEL MASTER"))


def parse_sentinel_masters(reply: object) -> tuple[SentinelMaster, ...]:
    """Parse ``SENTINEL MASTERS``: a list of entries as in :func:`parse_sentinel_master`."""
    return tuple(_master(e) for e in _entries(reply, "SENTINEL MASTERS"))


def _replica(e: _Entry) -> SentinelReplica:
    master_host = e.opt_text("master-host")
    announced = e.opt_int("replica-announced")
    return SentinelReplica(
        name=e.string("name"),
        ip=e.string("ip"),
        port=e.integer("port"),
        runid=e.opt_text("runid") or "",
        flags=e.flags(),
        master_link_status=e.string("master-link-status"),
        master_link_down_time_ms=e.integer("master-link-down-time"),
        slave_priority=e.integer("slave-priority"),
        master_host=None if master_host in (None, "?") else master_host,
        master_port=e.opt_int("master-port"),
        repl_offset=e.opt_int("slave-repl-offset"),
        replica_announced=None if announced is None else announced != 0,
    )


def parse_sentinel_slaves(reply: object) -> tuple[SentinelReplica, ...]:
    """Parse ``SENTINEL SLAVES <name>`` (alias ``REPLICAS``); one entry per replica::

    [["name", "127.0.0.1:6380", "ip", "127.0.0.1", "port", "6380", "runid", "a3cd...",
      "flags", "s_down,slave", ..., "master-link-down-time", "0",
      "master-link-status", "ok", "master-host", "127.0.0.1", "master-port", "6379",
      "slave-priority", "100", "slave-repl-offset", "128079", "replica-announced", "1"]]
    """
    return tuple(_replica(e) for e in _entries(reply, "SENTINEL SLAVES"))


def _peer(e: _Entry) -> SentinelPeer:
    voted = e.opt_text("voted-leader")
    return SentinelPeer(
        name=e.string("name"),
        ip=e.string("ip"),
        port=e.integer("port"),
        runid=e.opt_text("runid") or "",
        flags=e.flags(),
        last_hello_message_ms=e.opt_int("last-hello-message"),
        voted_leader=None if voted in (None, "?") else voted,
        voted_leader_epoch=e.opt_int("voted-leader-epoch"),
    )


def parse_sentinel_sentinels(reply: object) -> tuple[SentinelPeer, ...]:
    """Parse ``SENTINEL SENTINELS <name>``; one entry per other Sentinel::

    [["name", "3708e850...", "ip", "127.0.0.1", "port", "26380", "runid", "3708e850...",
      "flags", "sentinel", ..., "last-hello-message", "357", "voted-leader", "?",
      "voted-leader-epoch", "0"]]
    """
    return tuple(_peer(e) for e in _entries(reply, "SENTINEL SENTINELS"))


# --- CKQUORUM -----------------------------------------------------------------------------

_CKQ_OK = re.compile(r"OK (?P<usable>[0-9]+) usable Sentinels\..*", re.DOTALL)
_CKQ_NOQUORUM = re.compile(r"NOQUORUM (?P<usable>[0-9]+) usable Sentinels\..*", re.DOTALL)
_CKQ_NO_QUORUM_TEXT = "reach the specified quorum"
_CKQ_NO_MAJORITY_TEXT = "reach the majority"


def _ckquorum_failure(message: str) -> CkQuorum:
    m = _CKQ_NOQUORUM.fullmatch(message)
    usable = None if m is None else _int(m["usable"], "CKQUORUM usable")
    no_quorum = _CKQ_NO_QUORUM_TEXT in message
    no_majority = _CKQ_NO_MAJORITY_TEXT in message
    if m is None or not (no_quorum or no_majority):
        return CkQuorum(False, usable, None, None, message)
    return CkQuorum(False, usable, not no_quorum, not no_majority, message)


def parse_ckquorum(reply: str | bytes | BaseException) -> CkQuorum:
    """Parse ``SENTINEL CKQUORUM <name>``: the reply, or the exception the client raised.

    Success is the status reply
    ``OK 3 usable Sentinels. Quorum and failover authorization can be reached``.
    Failure is the error reply
    ``NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum
    for this master. Not enough available Sentinels to reach the majority and authorize a
    failover`` (either sentence or both), which redis-py raises as ``ResponseError``; pass the
    exception itself (or its text: a string starting with ``NOQUORUM`` is read as the error).

    Any exception gives ``ok=False`` and never raises, like redis_exporter, which exports
    ``ckquorum_status 0`` for every error (``No such master with that name`` included).  A
    string that is neither ``OK ...`` nor ``NOQUORUM ...`` raises :class:`SentinelParseError`.
    """
    if isinstance(reply, BaseException):
        return _ckquorum_failure(str(reply))
    text = _text(reply, "SENTINEL CKQUORUM")
    m = _CKQ_OK.fullmatch(text)
    if m is not None:
        return CkQuorum(True, _int(m["usable"], "CKQUORUM usable"), True, True, text)
    if _CKQ_NOQUORUM.fullmatch(text):
        return _ckquorum_failure(text)
    raise SentinelParseError(f"SENTINEL CKQUORUM: unexpected reply {text[:80]!r}")
