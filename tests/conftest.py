"""Rules for skipped tests, for every suite under tests/ (issue 14).

- Every skip says why: a skip without a reason (``pytest.skip()``, ``@pytest.mark.skip``
  without ``reason=``, ``skipif("...")`` without ``reason=``) fails, everywhere.
- With the environment variable ``CI`` set (non-empty), a test that would be skipped fails
  instead, and its failure is the skip reason: in CI nothing the suite needs may be missing
  silently (a system package installed too late, ../shared not beside the checkout, a browser).
- The one way out is the marker ``allowed_skip(reason="...")`` on the test itself, for what CI
  cannot provide at all; its reason says why, and reviewers judge it. A test marked this way is
  still skipped in CI (and listed by ``-rs``); the marker without a reason fails.

Standard library and pytest only: this file is loaded by both environments (.venv, .venv-gateway).
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

ALLOWED_SKIP = "allowed_skip"
# What pytest reports when a skip was given no reason of its own.
_DEFAULT_REASONS = ("", "Skipped", "unconditional skip", "<Skipped instance>")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{ALLOWED_SKIP}(reason): this test may be skipped even when CI is set; the reason says "
        "why CI cannot provide what it needs (tests/conftest.py)",
    )


def in_ci() -> bool:
    return bool(os.environ.get("CI", "").strip())


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The reason of a skipped report, without pytest's "Skipped: " prefix."""
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "")
    return reason.removeprefix("Skipped:").strip()


def without_reason(reason: str) -> bool:
    return reason in _DEFAULT_REASONS or reason.startswith("condition: ")


def _justification(item: pytest.Item) -> str | None:
    """The allowed_skip marker's reason; "" if marked without one; None if not marked."""
    mark = item.get_closest_marker(ALLOWED_SKIP)
    if mark is None:
        return None
    reason = mark.kwargs.get("reason") or (mark.args[0] if mark.args else "")
    return str(reason).strip()


def refusal(reason: str, justification: str | None) -> str | None:
    """Why a skip with this reason must fail, or None if it may stay a skip."""
    if without_reason(reason):
        return (
            f"skipped without a reason ({reason or 'empty'!r}): every skip must say why "
            "(pytest.skip(reason), skip/skipif(..., reason=...))"
        )
    if justification == "":
        return f"@pytest.mark.{ALLOWED_SKIP} needs reason=... saying why CI cannot run this test"
    if in_ci() and justification is None:
        return (
            f"skipped in CI (CI={os.environ['CI']!r}), which must run every test: {reason}\n"
            f"Provide what the test needs before this test target runs, or mark the test "
            f"@pytest.mark.{ALLOWED_SKIP}(reason=...) if CI genuinely cannot provide it."
        )
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        problem = refusal(skip_reason(report), _justification(item))
        if problem is not None:
            report.outcome = "failed"
            report.longrepr = problem
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """A whole module skipped at import (``pytest.skip(..., allow_module_level=True)``,
    ``pytest.importorskip`` at the top): the same rules; allowed_skip applies to tests only."""
    report = yield
    if report.skipped:
        problem = refusal(skip_reason(report), None)
        if problem is not None:
            report.outcome = "failed"
            report.longrepr = f"{collector.nodeid}: {problem}"
    return report
