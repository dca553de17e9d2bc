"""docker/Dockerfile: hadolint clean, the shape the issue asks for, a HEALTHCHECK that works,
and a build context (after docker/Dockerfile.dockerignore) that is enough to build the wheel.

No Docker engine here: the builder stage's wheel build is replayed with pip on the same files.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import build_wheel, describe, logical_lines, run_tool

REPO = Path(__file__).resolve().parents[2]
DOCKER_DIR = REPO / "docker"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
DOCKERIGNORE = DOCKER_DIR / "Dockerfile.dockerignore"


def instructions(text: str) -> list[tuple[str, str]]:
    """Split a Dockerfile into (INSTRUCTION, arguments) pairs.

    Input such as::

        # comment
        RUN a \\
            && b

    gives ``[("RUN", "a && b")]``: comments dropped, continuation lines joined.
    """
    result: list[tuple[str, str]] = []
    for line in logical_lines(text):
        word, _, rest = line.partition(" ")
        result.append((word.upper(), rest.strip()))
    return result


def stages(text: str) -> list[list[tuple[str, str]]]:
    """The Dockerfile's build stages, each starting with its FROM; ARG defaults resolved."""
    args: dict[str, str] = {}
    found: list[list[tuple[str, str]]] = []
    for word, rest in instructions(text):
        if word == "ARG" and not found and "=" in rest:
            name, _, value = rest.partition("=")
            args[name] = value
        if word == "FROM":
            rest = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), rest)
            found.append([])
        if found:
            found[-1].append((word, rest))
    return found


def ignore_rules(text: str) -> list[tuple[bool, str]]:
    """Parse a .dockerignore into (exclude?, pattern) rules.

    ``"*\\n!exporter\\n**/__pycache__"`` gives
    ``[(True, "*"), (False, "exporter"), (True, "**/__pycache__")]``.
    """
    rules: list[tuple[bool, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclude = not line.startswith("!")
        rules.append((exclude, line.lstrip("!").strip("/")))
    return rules


def _pattern_regex(pattern: str) -> str:
    """Translate a Docker ignore pattern (Go filepath.Match plus ``**``) into a regex.

    ``**/__pycache__`` gives ``(?:.*/)?__pycache__``; ``*.pyc`` gives ``[^/]*\\.pyc``.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def excluded(rules: list[tuple[bool, str]], path: str) -> bool:
    """Whether the context leaves `path` out: the last rule matching it or a parent wins."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for exclude, pattern in rules:
        if any(re.fullmatch(_pattern_regex(pattern), c) for c in candidates):
            verdict = exclude
    return verdict


def context_files() -> list[str]:
    """Files of the repository root that the build context sends to the builder.

    A directory left out whole is not walked (.venv, .git), unless a `!` rule may reach
    inside it, as Docker itself does; a symlink is sent as a symlink.
    """
    rules = ignore_rules(DOCKERIGNORE.read_text())
    kept: list[str] = []
    for top, dirs, names in os.walk(REPO):
        base = Path(top).relative_to(REPO).as_posix()
        prefix = "" if base == "." else base + "/"
        dirs[:] = [
            d
            for d in sorted(dirs)
            if not excluded(rules, prefix + d)
            or any(not ex and p.startswith(prefix + d + "/") for ex, p in rules)
        ]
        kept.extend(prefix + n for n in sorted(names) if not excluded(rules, prefix + n))
        # A symlink to a directory goes as the link (os.walk does not enter it).
        kept.extend(prefix + d for d in dirs if (REPO / (prefix + d)).is_symlink())
    return sorted(kept)


def test_hadolint_is_clean(hadolint: str) -> None:
    result = run_tool([hadolint, "--no-color", str(DOCKERFILE)], cwd=DOCKER_DIR)
    assert result.returncode == 0, describe(result)
    assert result.stdout.strip() == "", describe(result)


def test_hadolint_flags_a_bad_dockerfile(tmp_path: Path, hadolint: str) -> None:
    """The lint check can fail: hadolint reports an unpinned base and apt without cleanup."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install curl\n")
    result = run_tool([hadolint, "--no-color", str(bad)], cwd=tmp_path)
    assert result.returncode != 0, describe(result)
    assert "DL3007" in result.stdout, describe(result)


def test_multi_stage_slim_final_image() -> None:
    built = stages(DOCKERFILE.read_text())
    assert len(built) >= 2
    final = built[-1]
    assert final[0] == ("FROM", "python:3.11-slim")
    final_text = "\n".join(f"{w} {r}" for w, r in final)
    for build_tool in ("apt-get", "gcc", "build-essential", "pip wheel", "pip install"):
        assert build_tool not in final_text, f"{build_tool} in the final stage"
    copies = [rest for word, rest in final if word == "COPY"]
    assert copies
    assert all(c.startswith("--from=builder ") for c in copies), copies


def test_final_stage_runs_as_non_root_and_serves_9121() -> None:
    final = stages(DOCKERFILE.read_text())[-1]
    users = [rest for word, rest in final if word == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert ("EXPOSE", "9121") in final
    entrypoints = [json.loads(rest) for word, rest in final if word == "ENTRYPOINT"]
    assert entrypoints == [["redis-ha-exporter"]]


def healthcheck_command() -> list[str]:
    """The exec-form command of the final stage's HEALTHCHECK."""
    final = stages(DOCKERFILE.read_text())[-1]
    (check,) = [rest for word, rest in final if word == "HEALTHCHECK"]
    _, _, command = check.partition("CMD ")
    argv: list[str] = json.loads(command)
    return argv


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/health" else 404
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def health_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _probe(port: int) -> int:
    argv = healthcheck_command()
    assert argv[0] == "python", "the slim image has no curl: the probe must be python"
    env = {**os.environ, "WEB_LISTEN_ADDRESS": f":{port}"}
    done = subprocess.run([sys.executable, *argv[1:]], env=env, capture_output=True, timeout=30)
    return done.returncode


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_healthcheck_probes_health(
    health_server: http.server.HTTPServer, status: int, healthy: bool
) -> None:
    assert "/health" in " ".join(healthcheck_command())
    _Health.status = status
    port = health_server.server_address[1]
    assert (_probe(port) == 0) is healthy


def test_healthcheck_fails_when_nothing_listens(
    health_server: http.server.HTTPServer,
) -> None:
    port = health_server.server_address[1]
    health_server.shutdown()
    health_server.server_close()
    assert _probe(port) != 0


def test_dockerignore_semantics() -> None:
    rules = ignore_rules("*\n!exporter\n**/__pycache__\n")
    assert excluded(rules, ".venv/bin/python")
    assert not excluded(rules, "exporter/redis_ha_exporter/cli.py")
    assert excluded(rules, "exporter/redis_ha_exporter/__pycache__/cli.cpython-311.pyc")
    assert excluded(rules, "tests/deploy/test_dockerfile.py")


def test_build_context_is_small_and_has_every_copied_source() -> None:
    files = context_files()
    assert "pyproject.toml" in files
    assert not [f for f in files if f.startswith((".venv/", "tests/", ".git/"))]
    assert not [f for f in files if "__pycache__" in f or ".egg-info" in f]
    builder = stages(DOCKERFILE.read_text())[0]
    for word, rest in builder:
        if word == "COPY" and not rest.startswith("--from"):
            *sources, _dest = rest.split()
            for source in sources:
                assert any(f == source or f.startswith(source + "/") for f in files), source


def test_builder_stage_builds_the_wheel_from_the_context(tmp_path: Path) -> None:
    """Replay the builder's `pip wheel --no-deps .` on exactly the files the context sends."""
    context = tmp_path / "context"
    for rel in context_files():
        (context / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, context / rel, follow_symlinks=False)
    with zipfile.ZipFile(build_wheel(context, tmp_path / "dist")) as archive:
        entry_points = next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
        scripts = archive.read(entry_points).decode()
        runbooks = {n for n in archive.namelist() if n.startswith("redis_ha_exporter/runbooks/")}
    assert "redis-ha-exporter = redis_ha_exporter.cli:main" in scripts
    # The package's runbooks symlink resolves inside the context: the image serves /runbooks/.
    expected = {
        f"redis_ha_exporter/runbooks/{p.name}" for p in (REPO / "docs/runbooks").glob("*.md")
    }
    assert runbooks == expected
