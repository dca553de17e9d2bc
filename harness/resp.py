"""A RESP server on loopback whose every answer the test writes: the faults a real Redis or
Sentinel cannot be made to show — replies that are not RESP, a reply that stops halfway, a 10 MB
``INFO``, a Sentinel reporting thousands of replicas.

It reads pipelined commands (RESP arrays of bulk strings, as redis-py sends them) and asks
``answer(command)`` for the bytes to send back; :class:`Stall` sends a prefix and then nothing,
ever (the connection stays open), and ``None`` closes the connection. One thread per connection;
leaving the ``with`` block closes the listener and every connection::

    def answer(command: list[str]) -> bytes | Stall | None:
        if command[0].upper() == "INFO":
            return bulk("# Server\\r\\nredis_version:7.0.15\\r\\n")
        return error("ERR unknown command")

    with RespServer(answer) as server:
        server.addr              # "127.0.0.1:40123"
        server.commands          # every command received, in order
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

from harness.process import HOST


@dataclass(frozen=True)
class Stall:
    """Send ``prefix`` (part of a reply, say), then nothing more on this connection, until the
    client closes it."""

    prefix: bytes = b""


Answer = Callable[[list[str]], "bytes | Stall | None"]


def bulk(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return b"$%d\r\n%s\r\n" % (len(data), data)


def array(items: Iterable[bytes]) -> bytes:
    parts = list(items)
    return b"*%d\r\n%s" % (len(parts), b"".join(parts))


def flat(fields: dict[str, str]) -> bytes:
    """A RESP2 map as Redis sends ``SENTINEL MASTERS`` entries: ``[k1, v1, k2, v2, ...]``."""
    return array(bulk(item) for pair in fields.items() for item in pair)


def encode(value: object) -> bytes:
    """A reply as redis-py returns it (RESP2) back into RESP: ``str`` a bulk string, ``int`` an
    integer, ``list`` an array, ``None`` a null, an exception an error reply."""
    if value is None:
        return b"$-1\r\n"
    if isinstance(value, BaseException):
        return error(str(value))
    if isinstance(value, bool | int):
        return b":%d\r\n" % value
    if isinstance(value, list | tuple):
        return array(encode(item) for item in value)
    return bulk(value if isinstance(value, bytes) else str(value))


def error(message: str) -> bytes:
    return f"-{message}\r\n".encode()


def simple(text: str) -> bytes:
    return f"+{text}\r\n".encode()


class RespServer:
    """See the module docstring."""

    def __init__(self, answer: Answer, host: str = HOST) -> None:
        self.answer = answer
        self.host = host
        self.commands: list[list[str]] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = threading.Event()
        self._listener = socket.create_server((host, 0))
        self.port = int(self._listener.getsockname()[1])
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    @property
    def addr(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def uri(self) -> str:
        return f"redis://{self.addr}"

    def __enter__(self) -> RespServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        _close(self._listener)
        with self._lock:
            connections, self._open = self._open, set()
        for conn in connections:
            _close(conn)
        self._acceptor.join(5)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._open.add(conn)
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while command := _read_command(reader):
                with self._lock:
                    self.commands.append(command)
                reply = self.answer(command)
                if reply is None:
                    break
                if isinstance(reply, Stall):
                    conn.sendall(reply.prefix)
                    while conn.recv(65536):  # whatever comes, until the client hangs up
                        pass
                    break
                conn.sendall(reply)
        except (OSError, ValueError):
            pass
        finally:
            with self._lock:
                self._open.discard(conn)
            reader.close()
            _close(conn)


def _read_command(reader: BinaryIO) -> list[str]:
    """One command: a RESP array of bulk strings (``*2\\r\\n$4\\r\\nINFO\\r\\n...``), or an
    inline command (``PING\\r\\n``); an empty list at the end of the stream."""
    line = reader.readline()
    if not line:
        return []
    if not line.startswith(b"*"):
        return line.decode(errors="replace").split()
    words = []
    for _ in range(int(line[1:])):
        size = int(reader.readline()[1:])
        words.append(reader.read(size + 2)[:-2].decode(errors="replace"))
    return words


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
