"""The harness: real ``redis-server``, ``redis-sentinel``, exporters, Prometheus and
Alertmanager on loopback (or in network namespaces the tests create), for the tests,
``make demo``, ``make bench`` and the fixture recorders.

It lives beside the runtime package, never in it: the wheel and the image ship the exporter only.

- :mod:`harness.process` — free ports, Debian binaries, start/stop a process, wait over HTTP,
  its CPU time and memory;
- :mod:`harness.topology` — replication groups and Sentinels (``Topology``);
- :mod:`harness.netns` — hosts as network namespaces on a bridge, with partitions and cut
  links (``Hosts``), on which ``Topology`` can place one Redis and one Sentinel per host;
- :mod:`harness.exporter` — our exporter and Debian's redis_exporter, and their exposition;
- :mod:`harness.stack` — Prometheus, Alertmanager, a webhook receiver, their config builders;
- :mod:`harness.demo` — ``make demo``.
"""
