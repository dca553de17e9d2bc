"""``bench/RESULTS.md``: each benchmark writes its own section, with the machine and versions it
ran on, so the file always says what produced its figures::

    started = Stamp.now()      # when the benchmark began, and the load average then
    ...
    record("cost", markdown, [("CPU per scrape, ours / theirs", "0.45", "≤ 0.5", "yes")])

``record`` replaces the section between its markers (or adds it), keeps the rows for the summary
in the section (a comment), and rebuilds the summary at the top of the file from every
section's rows; the README's ``<!-- begin cost: … -->`` block is that summary, spliced in by
the same call and checked by ``make test`` (``test_results.py``). ``BENCH_RESULTS`` names
another file (a scratch run that touches neither the repository's file nor the README).
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.exporter import SYSTEM_PYTHON
from harness.process import binary
from redis_ha_exporter.reference import splice

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "RESULTS.md"
README = ROOT / "README.md"
#: The sections, in the order the file lists them.
SECTIONS = ("summary", "machine", "cost", "stages", "scale-redis", "scale-sentinel", "events")
#: A summary row: what was measured, the figure, the goal, whether it was met.
Row = tuple[str, str, str, str]
SUMMARY_ROWS = re.compile(r"^<!-- summary (\[.*\]) -->$", re.MULTILINE)
SUMMARY_HEADER = ("measured by `make bench`", "ours", "goal", "met")
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
    return Path(os.environ.get("BENCH_RESULTS", RESULTS))


def _marker(kind: str, section: str) -> str:
    return f"<!-- {kind} {section} -->"


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass(frozen=True)
class Stamp:
    """When a benchmark began and how busy the machine was then."""

    started: datetime.datetime
    load: str

    @classmethod
    def now(cls) -> Stamp:
        return cls(datetime.datetime.now(datetime.UTC), _load())

    def line(self) -> str:
        """When it ran, and the load averages (1, 5, 15 min) at its start and end."""
        end = datetime.datetime.now(datetime.UTC)
        return (
            f"Measured {self.started:%Y-%m-%d %H:%M} to {end:%H:%M} UTC; load average "
            f"(1, 5, 15 min) {self.load} at the start, {_load()} at the end."
        )


#: When this run of the benchmarks began (the module is imported as pytest collects them).
SESSION = Stamp.now()


def record(section: str, markdown: str, summary: Sequence[Row] = ()) -> None:
    """Put ``markdown`` (and a fresh machine section) into the results file, keep ``summary``
    with it, and rebuild the summary (and the README's copy, for the repository's file)."""
    path = results_path()
    text = path.read_text() if path.exists() else TITLE
    rows = f"\n\n<!-- summary {json.dumps(summary, ensure_ascii=False)} -->" if summary else ""
    for name, body in (("machine", machine()), (section, markdown.strip() + rows)):
        text = _replace(text, name, body)
    text = _replace(text, "summary", render_summary(text))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip() + "\n")
    if path == RESULTS:
        README.write_text(splice_readme(README.read_text(), path.read_text()))


def _section(text: str, name: str) -> re.Match[str] | None:
    begin, end = _marker("begin", name), _marker("end", name)
    return re.search(re.escape(begin) + "\n(.*?)\n" + re.escape(end), text, re.DOTALL)


def _replace(text: str, name: str, body: str) -> str:
    """``text`` with section ``name`` holding ``body`` (added in its place if missing)."""
    block = f"{_marker('begin', name)}\n{body.strip()}\n{_marker('end', name)}"
    found = _section(text, name)
    if found:
        return text[: found.start()] + block + text[found.end() :]
    return _insert(text, name, block)


def summary_table(text: str) -> str:
    """The rows every section of the results ``text`` keeps for the summary, as one table."""
    rows: list[Row] = []
    for name in SECTIONS:
        found = _section(text, name)
        for kept in SUMMARY_ROWS.findall(found.group(1) if found else ""):
            rows += [tuple(row) for row in json.loads(kept)]
    return table(SUMMARY_HEADER, rows) + "\n"


def render_summary(text: str) -> str:
    return (
        "## Summary\n\nThe goals of issue 14 and the scale figures, from the sections below "
        "(the README shows this table):\n\n" + summary_table(text)
    )


def splice_readme(readme: str, results: str) -> str:
    """``readme`` with its ``cost`` block holding the summary of ``results``."""
    return splice(readme, {"cost": lambda: summary_table(results)})


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


#: The commit measured, read as the run begins (the run itself writes README.md and
#: bench/RESULTS.md, which would make it look dirty).
COMMIT = _first_line(["git", "-C", str(ROOT), "describe", "--always", "--dirty"])


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _host_python() -> str:
    """The version of the Python our exporter runs on in the benchmarks, and where it is."""
    version = _first_line(
        [SYSTEM_PYTHON, "-c", "import platform; print(platform.python_version())"]
    )
    return f"{version}, {SYSTEM_PYTHON}"


def _tests_python() -> str:
    """The tests' Python, and whether it was built with ``--enable-optimizations`` (PGO)."""
    optimised = "--enable-optimizations" in str(sysconfig.get_config_var("CONFIG_ARGS"))
    return (
        f"{platform.python_version()}, {sys.executable}, built "
        + ("with" if optimised else "without")
        + " `--enable-optimizations`"
    )


def machine() -> str:
    """The machine, the versions of everything measured, and the commit."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    memory = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text())
    debian = Path("/etc/debian_version")
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
    rows = [
        ("command", f"`{command}`, started {SESSION.started:%Y-%m-%d %H:%M} UTC"),
        ("load average at its start", f"{SESSION.load} (1, 5, 15 min)"),
        ("CPU", f"{model.group(1) if model else '?'}, {os.cpu_count()} cores (shared)"),
        ("memory", f"{int(memory.group(1)) // 1024 if memory else '?'} MiB"),
        (
            "system",
            f"{platform.system()} {platform.release()}, Debian "
            f"{debian.read_text().strip() if debian.exists() else '?'}",
        ),
        ("Python of ours (Debian's python3, as installed on the hosts)", _host_python()),
        ("Python of the tests (their venv)", _tests_python()),
        ("redis-ha-exporter", f"{_version('redis-ha-exporter')}, commit {COMMIT}"),
        (
            "its libraries",
            ", ".join(
                f"{p} {_version(p)}" for p in ("prometheus-client", "aiohttp", "redis", "hiredis")
            ),
        ),
        (
            "prometheus-redis-exporter",
            # it logs its version: "... msg=\"Redis Metrics Exporter 1.45.0-2+b4 build date: …"
            re.sub(
                r'.*msg="Redis Metrics Exporter (.*?)"$',
                r"\1",
                _first_line([binary("prometheus-redis-exporter"), "--version"]),
            ),
        ),
        ("redis-server", _first_line([binary("redis-server"), "--version"])),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return (
        "## Machine and versions\n\nOf the last run that wrote a section:\n\n"
        f"| | |\n| --- | --- |\n{table}\n"
    )


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table; floats with two decimals."""

    def cell(value: object) -> str:
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
