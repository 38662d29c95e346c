"""The architecture's rules that an import contract cannot see (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from actions.settings import ActionSettings
from connectors.settings import Settings as GatewaySettings
from trolyao.settings import StackSettings
from tthc.settings import DEFAULT_LOCALITY, CommonSettings, Env, SettingsError

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("tthc", "nlu", "actions", "connectors", "trolyao")
# Where the environment may be touched: the settings modules, and the one module that builds
# the environment of the processes `trolyao run` starts.
ALLOWED = {"tthc/settings.py", "actions/settings.py", "connectors/settings.py", "trolyao/settings.py",
           "trolyao/environment.py"}  # fmt: skip


def environment_reads(path: Path) -> list[int]:
    """Lines of `os.environ` and `os.getenv`/`getenv` uses in one module."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"environ", "getenv", "environb"}
            or (
                isinstance(node, ast.ImportFrom)
                and node.module == "os"
                and any(alias.name in {"environ", "getenv"} for alias in node.names)
            )
        ):
            lines.append(node.lineno)
    return lines


def test_no_environment_variable_is_read_outside_the_settings_modules() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            if relative not in ALLOWED:
                found += [f"{relative}:{line}" for line in environment_reads(path)]
    assert found == []


def test_the_scan_sees_an_environment_read(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom os import getenv\nx = os.environ.get('A')\ny = getenv('B')\n")
    assert environment_reads(module) == [2, 3]  # the import of getenv, then os.environ


@pytest.mark.parametrize("settings", [CommonSettings, ActionSettings, GatewaySettings, StackSettings])
def test_every_process_has_the_same_default_locality_and_content(settings: type[CommonSettings]) -> None:
    read = settings.from_env({})
    assert read.locality == DEFAULT_LOCALITY == "da-nang"
    assert read.content_dir == REPO / "content"
    assert read.records_url == f"sqlite:///{REPO / 'var' / 'trolyao.db'}"
    moved = settings.from_env({"TROLYAO_LOCALITY": "hai-phong", "TROLYAO_CONTENT_DIR": "/srv/content"})
    assert (moved.locality, moved.content_dir) == ("hai-phong", Path("/srv/content"))


@pytest.mark.parametrize(
    ("settings", "env", "words"),
    [
        (ActionSettings, {"TROLYAO_TODAY": "3/12/2026"}, "TROLYAO_TODAY"),
        (ActionSettings, {"TROLYAO_DOSSIER_SOURCE": "http"}, "TROLYAO_DOSSIER_URL"),
        (ActionSettings, {"TROLYAO_CONTENT_POLL_S": "-1"}, "TROLYAO_CONTENT_POLL_S"),
        (StackSettings, {"TROLYAO_RASA_PROCESSES": "17"}, "TROLYAO_RASA_PROCESSES"),
        (StackSettings, {"RASA_PORT": "http"}, "RASA_PORT"),
        (GatewaySettings, {"RASA_URL": "localhost:5005"}, "RASA_URL"),
    ],
)
def test_a_bad_value_is_refused_in_one_sentence(
    settings: type[CommonSettings], env: dict[str, str], words: str
) -> None:
    with pytest.raises(SettingsError, match=words):
        settings.from_env(env)


def test_env_names_lists_what_the_settings_read() -> None:
    assert {"TROLYAO_LOCALITY", "TROLYAO_CONTENT_DIR", "TROLYAO_DB_URL"} <= CommonSettings.env_names()
    assert "TROLYAO_HANDOFF_HOURS" in ActionSettings.env_names()
    assert "TROLYAO_STATE_DB_URL" in GatewaySettings.env_names()
    assert "TRACKER_STORE_URL" in StackSettings.env_names()
    env = Env({"A": " x "})
    assert (env.text("A"), env.text("B", "d")) == ("x", "d") and env.names == {"A", "B"}


TEST_TOOLS = {"pytest", "selenium", "ruff", "mypy", "hypothesis", "import-linter", "pip-audit"}


def _pinned(path: Path) -> set[str]:
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(line.split("==", 1)[0].strip().lower().replace("_", "-"))
    return names


@pytest.mark.parametrize("environment", ["rasa", "gateway"])
def test_test_tools_stay_out_of_the_production_requirements(environment: str) -> None:
    production = _pinned(REPO / "requirements" / f"{environment}.txt")
    development = _pinned(REPO / "requirements" / f"{environment}-dev.txt")
    assert production & TEST_TOOLS == set()
    assert "pytest" in development
    dockerfile = (REPO / "deploy" / f"Dockerfile.{environment}").read_text(encoding="utf-8")
    assert f"-r requirements/{environment}.txt" in dockerfile and "-dev.txt" not in dockerfile
