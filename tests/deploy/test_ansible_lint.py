"""ansible-lint, production profile, on the roles, the example playbook and its inventory.

``--offline`` keeps it from installing collections or downloading schemas; ``--strict`` fails on
warnings too. The summary line proves it linted the files rather than finding none.
"""

from __future__ import annotations

import re
from pathlib import Path

from support import describe, require_tool, run_tool

ANSIBLE = Path(__file__).resolve().parents[2] / "ansible"


def test_the_roles_and_playbook_pass_the_production_profile() -> None:
    command = [require_tool("ansible-lint"), "--profile=production", "--offline", "--strict"]
    result = run_tool([*command, "--nocolor"], cwd=ANSIBLE)
    assert result.returncode == 0, describe(result)
    output = result.stdout + result.stderr
    summary = re.search(r"in (\d+) files processed", output)
    assert summary, describe(result)
    assert int(summary.group(1)) >= len(list(ANSIBLE.rglob("*.yml"))), describe(result)
    assert "Profile 'production' was required, and it passed" in output, describe(result)
