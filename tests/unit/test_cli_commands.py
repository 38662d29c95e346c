"""The evaluators' commands as processes (CONTRACT.md sections 3 and 5, issue 14): what they
print, with the contract's keys, and their exit codes, on small files in tests/fixtures/cli/.

`trolyao eval conversations` needs the running stack: tests/e2e/test_cli_stack.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from trolyao import training
from trolyao.environment import process_env
from tthc import paths

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cli"
TROLYAO = Path(sys.executable).with_name("trolyao")  # the console script of this environment
NLU_KEYS = {
    "n", "intent_accuracy", "procedure_top1", "procedure_top3", "oos_recall",
    "wrong_answer_rate", "answer_rate", "p50_ms", "p95_ms",
}  # fmt: skip
RATES = NLU_KEYS - {"n", "p50_ms", "p95_ms"}


def trolyao(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the command in its own process group, so that a timeout also ends its children
    (a `rasa train` started by mistake)."""
    assert TROLYAO.exists(), f"{TROLYAO} is missing: `make setup` installs the trolyao command"
    command = [str(TROLYAO), *args]
    with subprocess.Popen(
        command, cwd=paths.REPO, env=process_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    ) as process:  # fmt: skip
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def one_json_object(stdout: str) -> dict[str, Any]:
    """stdout is exactly one JSON object (nothing else printed around it)."""
    value = json.loads(stdout)
    assert isinstance(value, dict), stdout
    return value


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


# --- trolyao eval nlu FILE --json ---------------------------------------------------------


def test_eval_nlu_json_prints_exactly_the_contract_keys() -> None:
    if not training.model_path().exists():
        pytest.skip("no trained model for the current training inputs: run `trolyao train` (make test does)")
    result = trolyao("eval", "nlu", str(FIXTURES / "nlu-small.yml"), "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    no_traceback(result)
    scores = one_json_object(result.stdout)
    assert set(scores) == NLU_KEYS
    assert scores["n"] == 5
    assert all(isinstance(scores[key], float) and 0.0 <= scores[key] <= 1.0 for key in RATES), scores
    assert 0.0 < scores["p50_ms"] <= scores["p95_ms"]
    # Five plain questions: a scorer that predicts nothing would get 0 here.
    assert scores["intent_accuracy"] >= 0.6 and scores["procedure_top3"] >= 0.5, scores


MALFORMED = {
    "yaml-syntax": ('- text: "làm khai sinh\n  intent: ask_documents\n', "YAML"),
    "not-a-list": ("text: làm khai sinh\nintent: ask_documents\n", "danh sách"),
    "empty": ("# nothing here\n", "danh sách"),
    "item-not-a-mapping": ('- "làm khai sinh cần gì"\n', "mục 1"),
    "no-text": ("- intent: greet\n", '"text"'),
    "unquoted-codes": ('- {text: "lệ phí khai sinh", intent: ask_fee, codes: [1.001193]}\n', "ngoặc kép"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_eval_nlu_refuses_a_malformed_file_in_one_sentence(tmp_path: Path, case: str) -> None:
    body, words = MALFORMED[case]
    path = tmp_path / f"{case}.yml"
    path.write_text(body, encoding="utf-8")
    result = trolyao("eval", "nlu", str(path), "--json", timeout=60)
    assert result.returncode != 0
    no_traceback(result)
    assert result.stdout == ""  # nothing a caller could mistake for scores
    message = result.stderr.strip()
    assert str(path) in message and words in message, message
    assert len(message.splitlines()) == 1, message


def test_eval_nlu_names_the_item_of_a_malformed_fixture_and_a_missing_file(tmp_path: Path) -> None:
    result = trolyao("eval", "nlu", str(FIXTURES / "nlu-malformed.yml"), "--json", timeout=60)
    assert result.returncode != 0
    no_traceback(result)
    assert "nlu-malformed.yml: mục 2" in result.stderr and '"intent"' in result.stderr

    missing = tmp_path / "no-such-file.yml"
    result = trolyao("eval", "nlu", str(missing), timeout=60)
    assert result.returncode != 0
    no_traceback(result)
    assert str(missing) in result.stderr and "không đọc được" in result.stderr


# --- trolyao eval conversations FILE --url URL --json (the rest: tests/e2e/test_cli_stack.py) ---


def test_eval_conversations_against_no_gateway_fails_every_turn() -> None:
    """A gateway that is not there is a failed run, never an exit 0 with nothing checked."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = trolyao("eval", "conversations", str(FIXTURES / "conversations-pass.yml"), "--url", closed, "--json")
    assert result.returncode != 0
    no_traceback(result)
    summary = one_json_object(result.stdout)
    assert set(summary) == {"conversations", "passed", "turns", "turns_passed", "failures"}
    assert (summary["conversations"], summary["passed"], summary["turns"], summary["turns_passed"]) == (1, 0, 2, 0)
    assert [f["turn"] for f in summary["failures"]] == [1, 2]


# --- trolyao content check [DIR] --json ----------------------------------------------------


def test_content_check_json_on_the_real_content() -> None:
    result = trolyao("content", "check", "--json", timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    no_traceback(result)
    report = one_json_object(result.stdout)
    assert set(report) == {"procedures", "localities", "errors", "warnings"}  # warnings: never errors
    assert report["errors"] == []
    files = sorted(p.stem for p in (paths.CONTENT / "procedures").glob("*.yml"))
    assert sorted(report["procedures"]) == files
    contract = [
        line.split("\t")[0]
        for line in (paths.REPO / "tthc" / "content" / "procedures.tsv").read_text().splitlines()[1:]
    ]
    assert set(contract) <= set(report["procedures"])
    assert {"da-nang", "hai-phong"} <= set(report["localities"])


def test_content_check_json_on_a_broken_copy_names_file_and_line(content_copy: Path) -> None:
    birth = content_copy / "procedures" / "khai-sinh.yml"
    birth.write_text(birth.read_text(encoding="utf-8").replace("verified: true", "verified: có"), encoding="utf-8")
    identity = content_copy / "procedures" / "can-cuoc.yml"
    lines = identity.read_text(encoding="utf-8").splitlines()
    lines[5] += ': "unclosed'
    identity.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = trolyao("content", "check", str(content_copy), "--json", timeout=120)
    assert result.returncode != 0
    no_traceback(result)
    report = one_json_object(result.stdout)
    assert set(report) == {"procedures", "localities", "errors", "warnings"}
    errors = report["errors"]
    assert errors and all({"file", "line", "message"} <= set(e) and e["message"] for e in errors), errors
    where = {(Path(e["file"]).name, e["line"]) for e in errors}
    assert ("khai-sinh.yml", line_of(birth, "verified: có")) in where, errors
    syntax = [e for e in errors if e["file"].endswith("can-cuoc.yml")]
    assert syntax and syntax[0]["line"] >= 6 and "YAML" in syntax[0]["message"], errors

    # The same problems for people: file:line:column: message, and a non-zero exit.
    plain = trolyao("content", "check", str(content_copy), timeout=120)
    assert plain.returncode != 0
    assert f"khai-sinh.yml:{line_of(birth, 'verified: có')}:" in plain.stdout


# --- trolyao train: only when its inputs changed ------------------------------------------


def test_train_a_second_time_does_not_retrain() -> None:
    model = training.model_path()
    if not model.exists():
        pytest.skip("no trained model for the current training inputs: run `trolyao train` (make test does)")
    before = model.stat().st_mtime_ns
    models = sorted(paths.MODELS.iterdir())
    result = trolyao("train", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    no_traceback(result)
    assert "không cần huấn luyện lại" in result.stdout and model.name in result.stdout, result.stdout
    assert "Đang huấn luyện" not in result.stdout
    assert model.stat().st_mtime_ns == before
    assert sorted(paths.MODELS.iterdir()) == models


class FakeRasaTrain:
    """Stands in for `python -m rasa train`: records the call and writes the model file."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def run(self, command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(command)
        out = Path(command[command.index("--out") + 1])
        name = command[command.index("--fixed-model-name") + 1]
        (out / f"{name}.tar.gz").write_bytes(b"model")
        return subprocess.CompletedProcess(command, 0)


@dataclass
class Project:
    root: Path
    fake: FakeRasaTrain
    checkout_hash: str  # the fingerprint of the checkout's own inputs, taken before the copy


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A copy of the training inputs as the project, its own models/ and var/build/, and a fake
    `rasa train`: the training module's own cache logic, without minutes of real training."""
    checkout_hash = training.training_hash()
    root = tmp_path / "project"
    for item in training.INPUTS:
        source, target = paths.REPO / item, root / item
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target)
    fake = FakeRasaTrain()
    for name, value in {"REPO": root, "BOT": root / "bot", "CONFIG": root / "config.yml",
                        "MODELS": root / "models", "BUILD": root / "var" / "build"}.items():  # fmt: skip
        monkeypatch.setattr(paths, name, value)
    monkeypatch.setattr(training, "GENERATED", root / "var" / "build" / "nlu-unaccented.yml")
    monkeypatch.setattr(training, "subprocess", SimpleNamespace(run=fake.run))
    (root / "models").mkdir()
    return Project(root, fake, checkout_hash)


def train_quietly(force: bool = False) -> tuple[Path, str]:
    log = StringIO()
    return training.train(force=force, log=log), log.getvalue()


def test_the_fingerprint_is_the_inputs_content_by_relative_path(project: Project) -> None:
    # The copy elsewhere on disk has the checkout's fingerprint: only what is inside counts.
    assert training.training_hash() == project.checkout_hash
    assert training.model_path() == project.root / "models" / f"trolyao-{project.checkout_hash}.tar.gz"
    cache = project.root / "tthc" / "text" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "x.cpython-310.pyc").write_bytes(b"\0")
    assert training.training_hash() == project.checkout_hash  # compiled files are not inputs


@pytest.mark.parametrize(
    "change",
    [
        "a training example",
        "config.yml",
        "bot/domain.yml",
        "a Rasa component",
        "a new data file",
        "tthc/text/normalize.py",
        "tthc/text/data/teencode.tsv",
    ],
)
def test_a_changed_input_retrains_once_then_the_cache_holds(project: Project, change: str) -> None:
    root, fake = project.root, project.fake
    first, log = train_quietly()
    assert len(fake.calls) == 1 and first.exists() and "Đang huấn luyện" in log
    assert first.name == f"trolyao-{training.training_hash()}.tar.gz"
    again, log = train_quietly()
    assert again == first and len(fake.calls) == 1 and "không cần huấn luyện lại" in log

    if change == "a training example":
        nlu_file = sorted((root / "bot" / "data" / "nlu").glob("*.yml"))[0]
        text = nlu_file.read_text(encoding="utf-8")
        nlu_file.write_text(text.replace("    - ", "    - cho mình hỏi ", 1), encoding="utf-8")
        assert nlu_file.read_text(encoding="utf-8") != text
    elif change == "a Rasa component":
        module = root / "nlu" / "rasa_tokenizer.py"
        module.write_text(module.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    elif change == "a new data file":
        (root / "bot" / "data" / "extra.yml").write_text('version: "3.1"\n', encoding="utf-8")
    else:
        path = root / change
        path.write_text(path.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")

    second, log = train_quietly()
    assert len(fake.calls) == 2 and second != first and second.exists() and "Đang huấn luyện" in log
    assert fake.calls[1][fake.calls[1].index("--fixed-model-name") + 1] == second.name.removesuffix(".tar.gz")
    assert not first.exists()  # the stale model is removed
    third, log = train_quietly()
    assert third == second and len(fake.calls) == 2 and "không cần huấn luyện lại" in log


def test_force_retrains_unchanged_inputs(project: Project) -> None:
    first, _ = train_quietly()
    again, log = train_quietly(force=True)
    assert again == first and len(project.fake.calls) == 2 and "Đang huấn luyện" in log
