"""Rasa's own test stories (bot/tests/) against the trained model: intents and predicted actions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from trolyao.environment import process_env
from trolyao.training import model_path
from tthc import paths


def test_rasa_test_stories_pass(tmp_path: Path) -> None:
    out = tmp_path / "rasa-test"
    command = [
        sys.executable, "-m", "rasa", "test", "core",
        "--stories", str(paths.BOT / "tests" / "test_stories.yml"),
        "--model", str(model_path()),
        "--out", str(out),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=paths.REPO, env=process_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((out / "story_report.json").read_text())
    assert report["conversation_accuracy"]["accuracy"] == 1.0, (out / "failed_test_stories.yml").read_text()
