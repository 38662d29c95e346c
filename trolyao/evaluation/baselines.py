"""References for `trolyao eval nlu --baseline`: what our pipeline and retriever must beat.

- stock: the stock Rasa pipeline (stock_config.yml) trained on the same data, for intents.
- fuzzy: plain rapidfuzz over the procedures' raw names, aliases and FAQ questions, no
  Vietnamese processing, for procedures.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from trolyao.environment import process_env
from trolyao.training import write_unaccented_copies
from tthc import paths
from tthc.retrieval import Candidate

STOCK_CONFIG = Path(__file__).with_name("stock_config.yml")
FUZZY_ANSWER = 90.0  # WRatio at or above this counts as a confident answer


def reference_target(config: Path, prefix: str) -> Path:
    """models/baselines/<prefix>-<hash of the config, training data and domain>.tar.gz"""
    digest = hashlib.sha256(config.read_bytes())
    for path in sorted((paths.BOT / "data").rglob("*.yml")) + [paths.BOT / "domain.yml"]:
        digest.update(path.read_bytes())
    return paths.MODELS / "baselines" / f"{prefix}-{digest.hexdigest()[:16]}.tar.gz"


def train_reference(command: list[str], target: Path, prefix: str) -> Path:
    """Run a `rasa train` command that writes ``target``; keep only this version of the prefix."""
    subprocess.run(command, cwd=paths.REPO, env=process_env(), stdout=sys.stderr)
    if not target.exists():
        raise SystemExit("Không huấn luyện được mô hình tham chiếu; xem thông báo của Rasa ở trên.")
    for old in target.parent.glob(f"{prefix}-*.tar.gz"):
        if old != target:
            old.unlink()
    return target


def stock_model() -> Path:
    """Train (once per data version) and return the stock-pipeline model."""
    target = reference_target(STOCK_CONFIG, "stock")
    if target.exists():
        return target
    print("Đang huấn luyện mô hình tham chiếu (Rasa mặc định, DIET); mất vài phút...", file=sys.stderr, flush=True)
    data = paths.BUILD / "stock-nlu"  # `rasa train nlu` takes one path: the same files, gathered
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    for path in [*sorted((paths.BOT / "data" / "nlu").glob("*.yml")), write_unaccented_copies()]:
        shutil.copy(path, data / path.name)
    command = [
        sys.executable, "-m", "rasa", "train", "nlu",
        "--config", str(STOCK_CONFIG),
        "--nlu", str(data),
        "--out", str(target.parent),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    return train_reference(command, target, "stock")


class FuzzyRetriever:
    """Plain rapidfuzz: the best WRatio of the message against each procedure's raw texts."""

    def __init__(self, procedures: Any) -> None:
        self.choices: list[str] = []
        self.owner: list[str] = []
        for proc in procedures:
            texts = [proc.name, *proc.aliases, *(q for faq in proc.faqs for q in faq["questions"])]
            for text in texts:
                self.choices.append(text.lower())
                self.owner.append(proc.slug)

    def search(self, text: str, k: int = 5) -> list[Candidate]:
        if not text.strip():
            return []
        best: dict[str, float] = {}
        for _, score, index in process.extract(text.lower(), self.choices, scorer=fuzz.WRatio, limit=60):
            slug = self.owner[index]
            best[slug] = max(best.get(slug, 0.0), score)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [Candidate(slug, score) for slug, score in ranked]

    @staticmethod
    def confident(candidates: list[Candidate]) -> bool:
        return bool(candidates) and candidates[0].score >= FUZZY_ANSWER
