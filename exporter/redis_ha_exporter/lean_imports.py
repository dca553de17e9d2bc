"""aiohttp imported without the system's CA certificates: about 2 MiB of every exporter's memory.

``aiohttp.connector`` builds its two default *client* TLS contexts when it is imported, and
each loads the whole CA bundle (``/etc/ssl/certs/ca-certificates.crt``, some 140 certificates).
The exporter is an HTTP server and a Redis client: it never opens an HTTPS connection with
aiohttp, so those contexts are never used. Imported first by :mod:`redis_ha_exporter.cli`,
before anything imports aiohttp, this module has OpenSSL look for the default certificates in
an empty file while aiohttp is imported, then puts ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` back
as they were: every TLS context the exporter makes afterwards (a target's ``tls_ca_file``
unset: the system's CAs) loads them as before.
"""

from __future__ import annotations

import os

#: The variables OpenSSL reads for its default certificate file and directory.
CA_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


def import_aiohttp_without_ca_store() -> None:
    """Import ``aiohttp`` (its connector's default contexts left without certificates)."""
    saved = {name: os.environ.get(name) for name in CA_VARIABLES}
    try:
        for name in CA_VARIABLES:
            os.environ[name] = os.devnull
        import aiohttp.connector  # noqa: F401
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


import_aiohttp_without_ca_store()
