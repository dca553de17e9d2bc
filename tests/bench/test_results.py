"""The benchmarks' figures cannot drift from what the README says: its ``cost`` block is the
summary of ``bench/RESULTS.md``, which ``make bench`` writes (in ``make test``, not slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.results import README, RESULTS, record, render_summary, splice_readme, summary_table


def test_the_readme_shows_the_summary_of_the_committed_results() -> None:
    results = RESULTS.read_text()
    readme = README.read_text()
    assert "<!-- begin cost: " in readme
    assert splice_readme(readme, results) == readme, "run `make bench` and commit README.md"
    assert render_summary(results) in results, "bench/RESULTS.md: its summary is stale"
    assert summary_table(results).count("\n") > 6  # the goals, the scale and the events


def test_each_section_keeps_its_summary_rows_and_the_summary_follows_the_sections_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "RESULTS.md"
    monkeypatch.setenv("BENCH_RESULTS", str(path))
    readme_before = README.read_text()
    record("events", "## Events\n\nfirst run", [("events p99", "12.0", "< 10", "**no**")])
    record("cost", "## Cost\n\nfigures", [("CPU", "0.45", "≤ 0.5", "yes")])
    record("events", "## Events\n\nsecond run", [("events p99", "4.0", "< 10", "yes")])
    text = path.read_text()
    assert "first run" not in text
    assert text.count("## Events") == 1
    assert text.index("## Summary") < text.index("## Machine") < text.index("## Cost")
    assert text.index("## Cost") < text.index("## Events")
    summary = summary_table(text).splitlines()
    assert summary[2:] == ["| CPU | 0.45 | ≤ 0.5 | yes |", "| events p99 | 4.0 | < 10 | yes |"]
    assert README.read_text() == readme_before  # a scratch run leaves the README alone
    spliced = splice_readme("a\n<!-- begin cost: x -->\nold\n<!-- end cost -->\nb\n", text)
    assert spliced == "a\n<!-- begin cost: x -->\n" + summary_table(text) + "<!-- end cost -->\nb\n"
