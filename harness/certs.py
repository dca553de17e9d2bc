"""Certificates for TLS tests: a CA, a server certificate for loopback and a client certificate
signed by it, and a second CA that signed nothing of ours (a wrong CA), written as PEM files::

    certs = make_certificates(tmp_path / "tls")
    certs.ca, certs.server_cert, certs.server_key, certs.client_cert, certs.client_key
    certs.other_ca
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme

#: The names the server certificate holds: loopback by address and by name, and a name that
#: resolves nowhere (reached only with a server name setting).
SERVER_NAMES = ("127.0.0.1", "localhost", "redis.test")


@dataclass(frozen=True)
class Certificates:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path


def make_certificates(directory: Path, names: tuple[str, ...] = SERVER_NAMES) -> Certificates:
    """Write a fresh CA, server and client certificates (and another CA) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca, other = trustme.CA(), trustme.CA()
    server = ca.issue_cert(*names)
    client = ca.issue_cert("redis-ha-exporter")
    paths = Certificates(
        ca=directory / "ca.pem",
        server_cert=directory / "server.crt",
        server_key=directory / "server.key",
        client_cert=directory / "client.crt",
        client_key=directory / "client.key",
        other_ca=directory / "other-ca.pem",
    )
    ca.cert_pem.write_to_path(str(paths.ca))
    other.cert_pem.write_to_path(str(paths.other_ca))
    server.cert_chain_pems[0].write_to_path(str(paths.server_cert))
    server.private_key_pem.write_to_path(str(paths.server_key))
    client.cert_chain_pems[0].write_to_path(str(paths.client_cert))
    client.private_key_pem.write_to_path(str(paths.client_key))
    return paths
