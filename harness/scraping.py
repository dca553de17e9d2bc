"""Scraping an exporter the way Prometheus does, for the benchmarks: one kept-alive connection,
Prometheus' request headers, the raw (possibly gzipped) body and the time it took::

    with Scrape(exporter.url + "/metrics", PROMETHEUS) as scrape:
        seconds = scrape.get()          # one scrape; scrape.content_type, scrape.body
        text = scrape.text()            # the last body, decompressed and decoded
"""

from __future__ import annotations

import gzip
import http.client
import time
import urllib.parse
from collections.abc import Mapping

#: What Prometheus 2.42 (Debian's ``prometheus``) sends with every scrape: OpenMetrics preferred,
#: gzip, and its timeout (the default ``scrape_timeout`` of 10 s).
PROMETHEUS: Mapping[str, str] = {
    "Accept": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    "Accept-Encoding": "gzip",
    "User-Agent": "Prometheus/2.42.0",
    "X-Prometheus-Scrape-Timeout-Seconds": "10",
}
#: The same, asking for the text format only (``scrape_protocols`` of text, or an old Prometheus).
PROMETHEUS_TEXT: Mapping[str, str] = {**PROMETHEUS, "Accept": "text/plain;version=0.0.4"}
#: A plain ``curl``: the text format, not compressed.
PLAIN: Mapping[str, str] = {"Accept": "*/*", "User-Agent": "curl/7.88.1"}


class Scrape:
    """Scrapes one URL over one kept-alive HTTP connection (reopened if the server closes it)."""

    def __init__(self, url: str, headers: Mapping[str, str], timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.headers = dict(headers)
        self.timeout = timeout
        self.body = b""
        self.content_type = ""
        self.content_encoding = ""
        self._connection: http.client.HTTPConnection | None = None

    def __enter__(self) -> Scrape:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def get(self) -> float:
        """One scrape; returns its wall time in seconds (request sent to body read). Raises
        ``AssertionError`` unless the answer is 200."""
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port, self.timeout)
        started = time.perf_counter()
        self._connection.request("GET", self.path, headers=self.headers)
        response = self._connection.getresponse()
        self.body = response.read()
        seconds = time.perf_counter() - started
        if response.will_close:
            self.close()
        assert response.status == 200, (response.status, self.body[:200])
        self.content_type = response.getheader("Content-Type", "")
        self.content_encoding = response.getheader("Content-Encoding", "")
        return seconds

    def text(self) -> str:
        """The last body, decompressed when it came gzipped."""
        body = gzip.decompress(self.body) if self.content_encoding == "gzip" else self.body
        return body.decode()
