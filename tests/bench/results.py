"""``bench/RESULTS.md``: each benchmark writes its own section, with the machine and versions it
ran on, so the file always says what produced its figures::

    record("cost", markdown)   # replaces the section between its markers, or adds it

``BENCH_RESULTS`` names another file (a scratch run that should not touch the repository's).
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from harness.process import binary

ROOT = Path(__file__).resolve().parents[2]
#: The sections, in the order the file lists them.
SECTIONS = ("machine", "cost", "stages", "scale-redis", "scale-sentinel", "events")
TITLE = """# Benchmarks

Every figure below was written by `make bench` (`pytest -m slow -s tests/bench`), which
starts real `redis-server`, `redis-sentinel` and Debian's `prometheus-redis-exporter` on
loopback. Each section says when it ran and how loaded the machine was; rerun it with
`make bench` (everything, about ten minutes) or one benchmark with
`make bench PYTEST_ARGS='-k cost'`. The machine is shared (two cores, other test runs beside
it): absolute times move from run to run, which is why the comparisons are measured
interleaved, as ratios, from CPU time in `/proc` rather than wall time.
"""


def results_path() -> Path:
    return Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "RESULTS.md"))


def _marker(kind: str, section: str) -> str:
    return f"<!-- {kind} {section} -->"


def record(section: str, markdown: str) -> None:
    """Put ``markdown`` (and a fresh machine section) into the results file."""
    path = results_path()
    text = path.read_text() if path.exists() else TITLE
    for name, body in (("machine", machine()), (section, markdown)):
        begin, end = _marker("begin", name), _marker("end", name)
        block = f"{begin}\n{body.strip()}\n{end}"
        pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.DOTALL)
        found = pattern.search(text)
        if found:
            text = text[: found.start()] + block + text[found.end() :]
        else:
            text = _insert(text, name, block)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip() + "\n")


def _insert(text: str, section: str, block: str) -> str:
    """``block`` before the first section that comes after ``section``, else at the end."""
    later = SECTIONS[SECTIONS.index(section) + 1 :] if section in SECTIONS else ()
    for name in later:
        at = text.find(_marker("begin", name))
        if at >= 0:
            return text[:at] + block + "\n\n" + text[at:]
    return text.rstrip() + "\n\n" + block + "\n"


def _first_line(command: Sequence[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "?"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def stamp() -> str:
    """When a section was measured and how busy the machine was (load averages)."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return f"Measured {now}; load average (1, 5, 15 min) {load} at the end."


def machine() -> str:
    """The machine, the versions of everything measured, and the commit."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    memory = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text())
    debian = Path("/etc/debian_version")
    commit = _first_line(["git", "-C", str(ROOT), "describe", "--always", "--dirty"])
    rows = [
        ("CPU", f"{model.group(1) if model else '?'}, {os.cpu_count()} cores (shared)"),
        ("memory", f"{int(memory.group(1)) // 1024 if memory else '?'} MiB"),
        (
            "system",
            f"{platform.system()} {platform.release()}, Debian "
            f"{debian.read_text().strip() if debian.exists() else '?'}",
        ),
        ("Python", platform.python_version()),
        ("redis-ha-exporter", f"{_version('redis-ha-exporter')}, commit {commit}"),
        (
            "its libraries",
            ", ".join(
                f"{p} {_version(p)}" for p in ("prometheus-client", "aiohttp", "redis", "hiredis")
            ),
        ),
        (
            "prometheus-redis-exporter",
            _first_line([binary("prometheus-redis-exporter"), "--version"]),
        ),
        ("redis-server", _first_line([binary("redis-server"), "--version"])),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return (
        "## Machine and versions\n\nOf the last run of any section:\n\n"
        f"| | |\n| --- | --- |\n{table}\n"
    )


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table; floats with two decimals."""

    def cell(value: object) -> str:
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
