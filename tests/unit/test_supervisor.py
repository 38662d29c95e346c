"""The supervisor restarts crashed processes with backoff (issue 8)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from trolyao.stack import Restarts, Stack, supervise_once


def test_backoff_doubles_and_resets_after_a_stable_run() -> None:
    restarts = Restarts(first_delay=1, max_delay=8, stable_after=60)
    restarts.restarted("rasa", 0)
    assert restarts.crashed("rasa", 1) == 1
    restarts.restarted("rasa", 2)
    assert restarts.crashed("rasa", 3) == 2
    restarts.restarted("rasa", 5)
    assert restarts.crashed("rasa", 6) == 4
    restarts.restarted("rasa", 10)
    assert restarts.crashed("rasa", 11) == 8
    restarts.restarted("rasa", 19)
    assert restarts.crashed("rasa", 20) == 8  # capped
    restarts.restarted("rasa", 28)
    assert restarts.crashed("rasa", 200) == 1  # ran fine for minutes: a fresh start


class _FakeStack(Stack):
    def commands(self) -> dict[str, list[str]]:
        return {"worker": [sys.executable, "-c", "import time; time.sleep(30)"]}


def test_a_killed_process_is_restarted(tmp_path: Path) -> None:
    stack = _FakeStack(model=tmp_path / "model.tar.gz", var=tmp_path, log_dir=tmp_path)
    stack.start_one("worker")
    first = stack.processes["worker"]
    events: list[str] = []
    restarts = Restarts(first_delay=0.0)
    restarts.restarted("worker", 0.0)
    first.kill()
    first.wait()
    supervise_once(stack, restarts, 100.0, lambda event, fields: events.append(event))
    try:
        assert events == ["process_exited", "process_restarted"]
        assert stack.processes["worker"].pid != first.pid and stack.processes["worker"].poll() is None
    finally:
        stack.stop()
    assert isinstance(first, subprocess.Popen)
