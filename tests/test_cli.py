"""The entry point's own work: the open files limit (the rest is tests/test_config.py and the
end-to-end tests, which run the command)."""

from __future__ import annotations

import resource

from redis_ha_exporter.cli import MAX_OPEN_FILES, raise_open_files_limit


def test_the_soft_open_files_limit_is_raised_to_the_hard_one() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, MAX_OPEN_FILES)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
        assert raise_open_files_limit() == wanted
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (wanted, hard)
        assert raise_open_files_limit() == wanted  # nothing left to raise
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
