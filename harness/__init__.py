"""The harness: real ``redis-server``, ``redis-sentinel``, exporters, Prometheus and
Alertmanager on loopback, for the tests, ``make demo``, ``make bench`` and the fixture recorders.

It lives beside the runtime package, never in it: the wheel and the image ship the exporter only.

- :mod:`harness.process` — free ports, Debian binaries, start/stop a process, wait over HTTP,
  its CPU time and memory;
- :mod:`harness.topology` — replication groups and Sentinels (``Topology``);
- :mod:`harness.exporter` — our exporter and Debian's redis_exporter, and their exposition;
- :mod:`harness.stack` — Prometheus, Alertmanager, a webhook receiver, their config builders;
- :mod:`harness.demo` — ``make demo``.
"""
