"""Hypothesis without its per-example deadline: on a busy two-core CI runner one slow example
(a cold import, a garbage collection) fails as ``DeadlineExceeded``/``Flaky`` although nothing is
wrong. Timing goals live in ``make bench``, not in unit tests."""

from hypothesis import settings

settings.register_profile("redis-ha-exporter", deadline=None, print_blob=True)
settings.load_profile("redis-ha-exporter")
