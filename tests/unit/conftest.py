"""Shared fixtures for the Rasa-side unit tests: the real content base and its index."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from actions import process
from actions.settings import ActionSettings
from tthc import paths
from tthc.content import ContentBase, load_content
from tthc.retrieval import ProcedureIndex


@pytest.fixture(scope="session")
def content() -> ContentBase:
    return load_content(paths.CONTENT)


@pytest.fixture(scope="session")
def index(content: ContentBase) -> ProcedureIndex:
    return ProcedureIndex.from_content(content.procedures.values())


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A private copy of content/ that a test may break or edit."""
    target = tmp_path / "content"
    shutil.copytree(paths.CONTENT, target, ignore=shutil.ignore_patterns("README.md"))
    return target


@pytest.fixture
def actions_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[..., ActionSettings]:
    """Set fields of the action server's one settings object for this test (it is read once
    per process, so changing the environment mid-test would not reach it)."""

    def apply(**changes: Any) -> ActionSettings:
        chosen = process.settings().replace(**changes)
        monkeypatch.setattr(process, "settings", lambda: chosen)
        return chosen

    return apply


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
