"""The two commands: `make demo` and `make test`, and .ci/run, which is `make test` with
pytest's exit code (collecting no tests is a failure). Checked with `make -n` and a stand-in
make, since running them installs packages."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def dry_run(target: str) -> str:
    done = subprocess.run(["make", "--no-print-directory", "-n", target], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_demo_makes_a_virtualenv_and_runs_the_demo():
    steps = dry_run("demo").splitlines()
    assert any("-m venv .venv" in step for step in steps)
    assert any("pip install" in step and step.rstrip().endswith("-e .") for step in steps)
    assert steps[-1] == ".venv/bin/pgflowstate demo"


def test_make_test_installs_the_test_tools_then_runs_pytest():
    steps = dry_run("test")
    assert "apt-get install" in steps and "postgresql-15-pgtap" in steps and "chromium-driver" in steps
    assert "pip install -q --disable-pip-version-check -e '.[dev,crewai]'" in steps
    assert "pytest" in steps.splitlines()[-3]


@pytest.mark.parametrize("make_code, written, ci_code", [(0, "0", 0), (2, "1", 1), (2, "4", 4), (2, None, 2)],
                         ids=["passed", "no tests collected", "pytest's own code", "setup failed"])
def test_ci_run_is_make_test_with_pytests_exit_code(tmp_path, make_code, written, ci_code):
    fake = tmp_path / "make"
    fake.write_text("#!/bin/sh\n"
                    'for a in "$@"; do case $a in STATUS_FILE=*) f=${a#STATUS_FILE=};; esac; done\n'
                    '[ "$1" = test ] || exit 99\n'
                    + (f"echo {written} > $f\n" if written is not None else "")
                    + f"exit {make_code}\n")
    fake.chmod(0o755)
    done = subprocess.run([str(ROOT / ".ci" / "run")], env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"},
                          capture_output=True, text=True)
    assert done.returncode == ci_code, done.stderr
