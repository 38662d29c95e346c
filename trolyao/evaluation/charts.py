"""Bar charts of evaluation results (PNG), for docs/benchmarks.md and officers' reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

METRICS = [
    ("intent_accuracy", "Độ chính xác ý định"),
    ("procedure_top1", "Thủ tục đúng (top-1)"),
    ("procedure_top3", "Thủ tục đúng (top-3)"),
    ("oos_recall", "Nhận ra câu ngoài phạm vi"),
    ("wrong_answer_rate", "Tỉ lệ trả lời sai thủ tục"),
    ("answer_rate", "Tỉ lệ trả lời thẳng"),
]


def nlu_chart(rows: dict[str, dict[str, Any]], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no screen on servers
    import matplotlib.pyplot as plt

    names = list(rows)
    width = 0.8 / max(len(names), 1)
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=120)
    for i, name in enumerate(names):
        values = [float(rows[name].get(key, 0.0)) for key, _ in METRICS]
        positions = [m + i * width for m in range(len(METRICS))]
        bars = ax.bar(positions, values, width, label=name)
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=7, padding=2)
    ax.set_xticks([m + width * (len(names) - 1) / 2 for m in range(len(METRICS))])
    ax.set_xticklabels([label for _, label in METRICS], fontsize=8)
    ax.set_ylim(0, 1.1)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
