"""tests/conftest.py: a skip needs a reason, and with CI set a skip is a failure that prints its
reason, unless the test is marked allowed_skip with a justification (issue 14)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SAMPLE = """
import pytest

def test_runs():
    pass

def test_needs_a_tool():
    pytest.skip("the tool is not installed")

@pytest.mark.skipif(True, reason="marked: no data here")
def test_marked():
    pass

@pytest.mark.allowed_skip(reason="no such service can run on a CI machine")
def test_allowed():
    pytest.skip("the service is absent")

@pytest.mark.allowed_skip
def test_allowed_without_reason():
    pytest.skip("the service is absent")

def test_no_reason():
    pytest.skip()

@pytest.mark.skip
def test_bare_mark():
    pass

@pytest.mark.xfail(reason="known bug", strict=True)
def test_known_bug():
    assert False
"""


def pytest_in(tmp_path: Path, name: str, ci: str | None) -> subprocess.CompletedProcess[str]:
    """Run tmp_path/name with the root conftest as a plugin (and CI set to ``ci``, or unset)."""
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-v", "-rA",
         "--rootdir", str(tmp_path), str(tmp_path / name)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def run_sample(tmp_path: Path, ci: str | None) -> dict[str, str]:
    """Run SAMPLE; the outcome of each test by name, and the whole output under "(output)"."""
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    done = pytest_in(tmp_path, "test_sample.py", ci)
    outcomes = dict(re.findall(r"::(test_\w+) (PASSED|FAILED|SKIPPED|XFAIL|ERROR)", done.stdout))
    outcomes["(output)"] = done.stdout + done.stderr
    return outcomes


def test_outside_ci_skips_stay_skips_but_need_a_reason(tmp_path: Path) -> None:
    outcomes = run_sample(tmp_path, ci=None)
    output = outcomes.pop("(output)")
    assert outcomes == {
        "test_runs": "PASSED",
        "test_needs_a_tool": "SKIPPED",
        "test_marked": "SKIPPED",
        "test_allowed": "SKIPPED",
        "test_allowed_without_reason": "FAILED",
        "test_no_reason": "FAILED",
        "test_bare_mark": "ERROR",
        "test_known_bug": "XFAIL",
    }, output
    assert "skipped without a reason" in output and "needs reason=" in output


@pytest.mark.parametrize("ci", ["1", "true"])
def test_in_ci_a_skip_fails_with_its_reason(tmp_path: Path, ci: str) -> None:
    outcomes = run_sample(tmp_path, ci=ci)
    output = outcomes.pop("(output)")
    assert outcomes == {
        "test_runs": "PASSED",
        "test_needs_a_tool": "FAILED",
        "test_marked": "ERROR",  # a skip mark acts in the set-up: an error there fails the run too
        "test_allowed": "SKIPPED",  # justified: still listed with its reason by -rs/-rA
        "test_allowed_without_reason": "FAILED",
        "test_no_reason": "FAILED",
        "test_bare_mark": "ERROR",
        "test_known_bug": "XFAIL",
    }, output
    assert "skipped in CI" in output
    assert "the tool is not installed" in output and "marked: no data here" in output


def test_an_empty_ci_variable_is_not_ci(tmp_path: Path) -> None:
    outcomes = run_sample(tmp_path, ci="")
    assert outcomes["test_needs_a_tool"] == "SKIPPED", outcomes["(output)"]


def test_a_module_skipped_at_import_fails_in_ci(tmp_path: Path) -> None:
    (tmp_path / "test_module.py").write_text(
        'import pytest\npytest.skip("no browser here", allow_module_level=True)\n', encoding="utf-8"
    )
    local = pytest_in(tmp_path, "test_module.py", ci=None)
    assert local.returncode in (0, 5) and "no browser here" in local.stdout, local.stdout  # 5: nothing ran
    ci = pytest_in(tmp_path, "test_module.py", ci="1")
    assert ci.returncode not in (0, 5) and "skipped in CI" in ci.stdout and "no browser here" in ci.stdout, ci.stdout
