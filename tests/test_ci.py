"""The CI script and the README's set-up commands: every failing step fails CI; no system pip."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SETUP = re.findall(r"^    (python3 .*nox -s (?:docs|tests))$", README, re.MULTILINE)


def test_the_readme_shows_one_setup_command_for_the_book_and_one_for_the_tests() -> None:
    assert [command.rsplit(" ", 1)[-1] for command in SETUP] == ["docs", "tests"]


@pytest.mark.parametrize("command", SETUP)
def test_the_setup_commands_install_nothing_into_the_system_python(command: str) -> None:
    # Before: `python3 -m pip install nox uv`, which Debian and Ubuntu refuse (PEP 668).
    assert "python3 -m pip" not in command and "--user" not in command
    assert command.startswith("python3 -m venv .venv && .venv/bin/pip install")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_ci_stops_at_the_first_failing_step(tmp_path: Path) -> None:
    # Before: `python3 -m pip install nox uv && nox -s tests` under set -e went on
    # to lint, docs and browser when the install failed (set -e ignores a failure
    # before the last && of a list), so a broken install skipped the tests silently.
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for tool, status in (("python3", 1), ("nox", 0), ("pip", 0)):
        stub = bin_dir / tool
        stub.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{log}"\nexit {status}\n')
        stub.chmod(0o755)
    result = subprocess.run(
        ["bash", str(tmp_path / ".ci" / "run")],
        env={**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    calls = log.read_text().splitlines()
    assert result.returncode != 0
    assert calls == ["python3 -m venv .venv"], calls


def test_ci_runs_the_readmes_test_command_and_builds_the_docs_from_clean() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert (
        "nox -s tests$' README.md" in script and 'bash -euo pipefail -c "$readme_tests"' in script
    )
    assert "\nnox -s docs -- --clean\n" in script
    assert "set -euo pipefail" in script
