"""redis-ha-exporter: Prometheus exporter for Redis replication and Redis Sentinel."""

__version__ = "0.1.0"
