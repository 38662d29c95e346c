"""Where things live in a checkout. Nothing is created at import time."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BOT = REPO / "bot"
CONFIG = REPO / "config.yml"
CONTENT = REPO / "content"
VAR = REPO / "var"  # runtime data: databases, build files, logs (not in git)
BUILD = VAR / "build"
MODELS = REPO / "models"
GATEWAY_PYTHON = REPO / ".venv-gateway" / "bin" / "python"
