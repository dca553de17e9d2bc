"""Pure parsers: the replies a Redis or Sentinel sent in, frozen records out.

One module per kind of input, each raising its own subclass of :class:`ParseError`:

* :mod:`.info` — ``INFO`` text: the splitter and the ``server``, ``replication`` and
  ``sentinel`` sections, :class:`~.info.InfoParseError`;
* :mod:`.stats` — the figures of a whole ``INFO ALL``: numeric fields, ``keyspace``,
  ``commandstats``, ``errorstats``, ``latencystats`` (also :class:`~.info.InfoParseError`);
* :mod:`.admin` — the replies of ``CONFIG GET``, ``SLOWLOG LEN`` / ``GET`` and
  ``LATENCY LATEST``, :class:`~.admin.AdminParseError`;
* :mod:`.sentinel` — the replies of ``SENTINEL MASTERS / SLAVES / SENTINELS / CKQUORUM``,
  :class:`~.sentinel.SentinelParseError`;
* :mod:`.events` — one pub/sub message of a Sentinel's event stream,
  :class:`~.events.EventParseError`.

Nothing here touches a socket. The rules below hold for every parser:

* **Errors.** No input makes a parser raise anything but :class:`ParseError`. Callers treat it
  as the target's fault (``redis_up 0`` and a log line), never as a bug of ours.
* **Absent fields.** A field that only some Redis versions send is ``None`` when absent, so no
  series is exported rather than a made-up value. A field every supported version sends and the
  record cannot be read without (``role``, ``sentinel_masters``, a Sentinel entry's ``name``,
  ``ip``, ``port``, ``flags``, ...) raises when absent. Unknown fields are ignored.
* **Numbers.** A field that is present is read as Redis prints it (``%lld``: ``-1``, ``193884``)
  or it raises, optional or not: a number we cannot read means we are misreading the reply (a
  truncated reply, another program on the port), and a target reported broken with the field
  named in the log beats a series that silently goes missing. See :func:`read_int`, and
  :func:`read_float` for the fields Redis prints with decimals (``mem_fragmentation_ratio:1.09``,
  ``used_cpu_sys:0.036410``).
* **Only what the server said.** Records hold the reply's fields, typed: strings, integers,
  flag sets, and a boolean where the field itself is a yes/no (``master_link_status:up``); a
  property may read one field or flag (``SentinelMaster.sdown``). Values the server did not
  print — offset differences, counts over several entries, verdicts combining several flags —
  are derived in :mod:`redis_ha_exporter.families`, and only there.
* **Addresses** are ``host:port`` with an IPv6 host unbracketed, as Redis prints them and as
  redis_exporter labels them: :func:`format_address`.
"""

from __future__ import annotations

import re

__all__ = ["ParseError", "format_address", "read_float", "read_int"]


class ParseError(ValueError):
    """A reply that is not what Redis sends; the subclass names the kind of reply."""


def format_address(host: str, port: int | str) -> str:
    """``("::1", 6379)`` → ``"::1:6379"``: ``host:port`` with the host unbracketed, as
    ``INFO sentinel`` prints ``address=`` (split it again with ``rsplit(":", 1)``)."""
    return f"{host}:{port}"


_INTEGER = re.compile(r"-?[0-9]+")


def read_int(text: str, what: str, error: type[ParseError]) -> int:
    """``"-1"`` → ``-1``: a decimal integer as Redis prints it.

    Anything else — blanks, a ``+`` sign, a fraction, non-ASCII digits that ``int()`` would
    take, more digits than ``int()`` converts — raises ``error`` naming the field ``what``.
    """
    if not (text.isascii() and text.isdigit()) and _INTEGER.fullmatch(text) is None:
        raise error(f"{what}: not an integer: {text[:40]!r}")
    try:
        return int(text)
    except ValueError:  # past sys.get_int_max_str_digits()
        raise error(f"{what}: integer too long") from None


_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|-?(?:nan|inf)", re.IGNORECASE)


def read_float(text: str, what: str, error: type[ParseError]) -> float:
    """``"1.09"`` → ``1.09``: a number as Redis prints it with ``%lld``, ``%.2f`` or ``%.17g``,
    or C's ``nan``/``inf`` (a ratio over a zero denominator).

    Anything else — blanks, a ``+`` sign, ``1_000``, non-ASCII digits, a unit (``1.09M``) —
    raises ``error`` naming the field ``what``.
    """
    whole, dot, fraction = text.partition(".")
    plain = text.isascii() and whole.isdigit() and (not dot or fraction.isdigit())
    if not plain and _DECIMAL.fullmatch(text) is None:
        raise error(f"{what}: not a number: {text[:40]!r}")
    return float(text)
