"""`trolyao eval conversations FILE --url URL --json` as a process against the session's real
stack (CONTRACT.md section 4, issue 14): the summary's keys, and the exit code that tells an
evaluator whether every turn passed. Small files in tests/fixtures/cli/."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Client
from trolyao.environment import process_env
from tthc import paths

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cli"
TROLYAO = Path(sys.executable).with_name("trolyao")
SUMMARY_KEYS = {"conversations", "passed", "turns", "turns_passed", "failures"}


def eval_conversations(file: Path, url: str) -> tuple[int, dict[str, Any], str]:
    assert TROLYAO.exists(), f"{TROLYAO} is missing: `make setup` installs the trolyao command"
    result = subprocess.run(
        [str(TROLYAO), "eval", "conversations", str(file), "--url", url, "--json"],
        cwd=paths.REPO, env=process_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    summary = json.loads(result.stdout)  # exactly one JSON object, nothing else on stdout
    assert isinstance(summary, dict) and set(summary) == SUMMARY_KEYS, result.stdout
    return result.returncode, summary, result.stdout


def test_eval_conversations_passing_file_exits_zero(client: Client) -> None:
    code, summary, stdout = eval_conversations(FIXTURES / "conversations-pass.yml", client.base_url)
    assert summary == {"conversations": 1, "passed": 1, "turns": 2, "turns_passed": 2, "failures": []}, stdout
    assert code == 0
    assert len(stdout.strip().splitlines()) == 1  # --json: one line


def test_eval_conversations_failing_turn_exits_non_zero_and_names_it(client: Client) -> None:
    code, summary, stdout = eval_conversations(FIXTURES / "conversations-fail.yml", client.base_url)
    assert code != 0
    counts = (summary["conversations"], summary["passed"], summary["turns"], summary["turns_passed"])
    assert counts == (2, 1, 3, 2), stdout
    [failure] = summary["failures"]
    assert (failure["conversation"], failure["turn"], failure["user"]) == (
        "lệ phí khai sinh với kỳ vọng sai",
        2,
        "thế lệ phí bao nhiêu",
    )
    problems = " ".join(failure["problems"])
    assert "ket-hon" in problems and "chuỗi này không bao giờ có" in problems, failure
