"""aiohttp's unused client TLS contexts are made without the CA store; nothing else changes."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys

import pytest

PROBE = """
import json, os, ssl
import redis_ha_exporter.cli
import aiohttp.connector as connector
print(json.dumps({
    "aiohttp": connector._SSL_CONTEXT_VERIFIED.cert_store_stats()["x509_ca"],
    "ours": ssl.create_default_context().cert_store_stats()["x509_ca"],
    "env": {name: os.environ.get(name) for name in ("SSL_CERT_FILE", "SSL_CERT_DIR")},
}))
"""


def system_cas() -> int:
    return int(ssl.create_default_context().cert_store_stats()["x509_ca"])


@pytest.mark.parametrize(
    "variables",
    [{}, {"SSL_CERT_FILE": ssl.get_default_verify_paths().openssl_cafile}],
    ids=["unset", "a CA file"],
)
def test_the_exporter_imports_aiohttp_without_the_ca_store(variables: dict[str, str]) -> None:
    if system_cas() == 0:
        pytest.skip("this machine has no CA certificates to leave out")
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**env, **variables},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    seen = json.loads(result.stdout)
    assert seen["aiohttp"] == 0
    assert seen["ours"] > 0  # a TLS target without tls_ca_file: the system's CAs, as before
    assert seen["env"] == {
        "SSL_CERT_FILE": variables.get("SSL_CERT_FILE"),
        "SSL_CERT_DIR": None,
    }
