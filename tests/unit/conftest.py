"""Shared fixtures for the Rasa-side unit tests: the real content base and its index."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tthc.retrieval import ProcedureIndex
from tthc import paths
from tthc.content import ContentBase, load_content


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
