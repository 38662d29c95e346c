"""The scaled deployment (deploy/) on 127.0.0.1, started once for tests/scaled.

Needs Debian's PostgreSQL, Redis and nginx (`make test-scaled` runs scripts/ensure-services.sh)
and a trained model (`make train`). TROLYAO_KEEP_SCALED=1 keeps the temporary directory
(logs, nginx access log with the replica of every request) after the run.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from glob import glob

import pytest

from tests.scaled.cluster import Cluster
from tests.scaled.fake_telegram import FakeTelegram
from trolyao.training import model_path
from tthc import paths

NUMBERS: dict[str, dict] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scaled: the multi-replica deployment of deploy/ on 127.0.0.1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/scaled" in str(item.fspath):
            item.add_marker(pytest.mark.scaled)


def _missing() -> list[str]:
    missing = [] if glob("/usr/lib/postgresql/*/bin/postgres") else ["postgresql"]
    missing += [name for name, path in (("redis-server", "/usr/bin/redis-server"), ("nginx", "/usr/sbin/nginx"))
                if not shutil.which(path)]  # fmt: skip
    if not paths.GATEWAY_PYTHON.exists():
        missing.append(".venv-gateway (make setup)")
    return missing


@pytest.fixture(scope="session")
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def cluster(telegram: FakeTelegram, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    missing = _missing()
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run scripts/ensure-services.sh (make test-scaled does)")
    model = model_path()
    if not model.exists():
        pytest.fail("No trained model for the current data: run `make train` (make test does).")
    cluster = Cluster(model=model, telegram_api=telegram.url)
    try:
        try:
            NUMBERS["start-up seconds"] = cluster.start()
        except Exception:
            cluster.stop()
            print(f"\nlogs: {cluster.logs}")
            raise
        yield cluster
    finally:
        cluster.stop()
        if request.session.testsfailed:
            print(f"\nscaled test files kept for reading: {cluster.root}")
        else:
            cluster.cleanup()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if NUMBERS:
        terminalreporter.section("scaled deployment: numbers")
        for name, values in NUMBERS.items():
            terminalreporter.write_line(f"{name}: {json.dumps(values, ensure_ascii=False)}")
