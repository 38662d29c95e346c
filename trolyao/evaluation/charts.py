"""Charts of evaluation results (PNG), for docs/benchmarks.md and officers' reports."""

from __future__ import annotations

from collections.abc import Sequence
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
    # below the bars: inside the axes it covers the labels of the tallest ones
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(len(names), 4), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return _saved(fig, path)


def scaling_chart(
    rows: Sequence[dict[str, Any]], path: Path, p95_target_ms: float = 150, real_target_ms: float = 40
) -> Path:
    """Query time and a serving process's memory against the number of procedures (search_timing --scales).
    Each row: scale, procedures, p50_ms, p95_ms, rss_import_mb, rss_load_mb, peak_rss_mb, file_mb."""
    import matplotlib

    matplotlib.use("Agg")  # no screen on servers
    import matplotlib.pyplot as plt

    rows = sorted(rows, key=lambda r: r["procedures"])
    x = [r["procedures"] for r in rows]
    with plt.rc_context({"font.size": 12, "axes.titlesize": 13, "legend.fontsize": 11}):
        fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.6), dpi=120)
        _series(left, x, rows, (("p95_ms", "p95 per question", "s", "tab:blue", None),
                                ("p50_ms", "p50 per question", "o", "tab:green", None)), "")  # fmt: skip
        for xi, r in zip(x, rows):  # one label per size, over the p95 point
            left.annotate(f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f}", (xi, r["p95_ms"]), textcoords="offset points",
                          xytext=(0, 9), ha="center", fontsize=11)  # fmt: skip
        left.plot([], [], " ", label="point labels: p50 / p95 ms")
        left.axhline(p95_target_ms, color="tab:red", linestyle="--", label=f"target p95 ≤ {p95_target_ms:g} ms (×10)")
        real_label = f"target p95 ≤ {real_target_ms:g} ms (real, NLU + search)"
        left.axhline(real_target_ms, color="tab:orange", linestyle="--", label=real_label)
        left.set_ylim(0, max(p95_target_ms, *(r["p95_ms"] for r in rows)) * 1.25)
        left.set_title("Search + decision, one question at a time")
        left.set_ylabel("milliseconds")
        memory = (
            ("peak_rss_mb", "peak RSS (VmHWM)", "^", "tab:purple", (0, 8, "center")),
            ("rss_load_mb", "RSS after load", "o", "tab:blue", (0, -17, "center")),
            ("file_mb", "index file", "s", "tab:green", (6, 5, "left")),
        )
        _series(right, x, rows, memory, "{:,.0f}")
        imports = [r["rss_import_mb"] for r in rows]
        right.plot(x, imports, color="grey", linestyle=":", label="RSS before load (interpreter + imports)")
        right.set_ylim(0, max(r["peak_rss_mb"] for r in rows) * 1.2)
        right.set_title("Memory of a serving process (loads the saved index)")
        right.set_ylabel("MB")
        ticks = [f"{r['procedures']:,}\n" + ("real" if r.get("scale", 1) == 1 else f"×{r['scale']}") for r in rows]
        for ax in (left, right):
            ax.set_xlabel("procedures in the search index")
            ax.set_xlim(0, max(x) * 1.08)
            ax.set_xticks(x, ticks, fontsize=11)
            ax.grid(alpha=0.3)
            ax.legend(loc="upper left")
        return _saved(fig, path)


def gate_chart(rows: Sequence[dict[str, Any]], threshold: float, sets: int, limit: float, path: Path) -> Path:
    """The answer gate in cross-validation (trolyao.evaluation.answer_gate): per threshold, the
    questions it would answer instead of asking back, the wrong ones among them, and how many of
    the ``sets`` studied parts it would push off target, against the ``limit`` the rule allows."""
    import matplotlib

    matplotlib.use("Agg")  # no screen on servers
    import matplotlib.pyplot as plt

    rows = sorted(rows, key=lambda r: r["threshold"])
    x = [r["threshold"] for r in rows]
    with plt.rc_context({"font.size": 12, "axes.titlesize": 13, "legend.fontsize": 11}):
        fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2), dpi=120)
        left.plot(x, [r["answered"] for r in rows], marker=".", color="tab:blue", label="trả lời thêm")
        left.plot(x, [r["wrong"] for r in rows], marker=".", color="tab:red", label="trong đó sai")
        left.set_title("Kiểm chéo theo tệp câu hỏi (trung bình các lần chia):\nsố câu trả lời thêm")
        right.plot(x, [r["sets_off_target"] for r in rows], marker=".", color="tab:purple",
                   label=f"số phần bộ câu hỏi (trên {sets}) bị đẩy lệch")  # fmt: skip
        right.axhline(limit, color="tab:orange", linestyle="--", label=f"giới hạn: {limit:g} phần")
        right.set_title("Phần bộ câu hỏi bị đẩy lệch mục tiêu\n(sai > 3 % hoặc nhận ra câu ngoài danh mục < 95 %)")
        for ax in (left, right):
            ax.axvline(threshold, color="grey", linestyle=":", label=f"ngưỡng chọn {threshold:g}")
            ax.set_xlabel("ngưỡng xác suất của bộ lọc trả lời")
            ax.grid(alpha=0.3)
            ax.legend(loc="upper right")
        return _saved(fig, path)


def _saved(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _series(ax: Any, x: Sequence[float], rows: Sequence[dict[str, Any]], series: Sequence[tuple], form: str) -> None:
    """One line per (key, label, marker, colour, placement); with a placement (dx, dy in points, alignment)
    each point is labelled with its value."""
    for key, label, marker, colour, placement in series:
        values = [r[key] for r in rows]
        ax.plot(x, values, marker=marker, color=colour, label=label)
        for xi, v in zip(x, values) if placement else ():
            dx, dy, align = placement
            ax.annotate(form.format(v), (xi, v), textcoords="offset points", xytext=(dx, dy), ha=align,
                        fontsize=11, color=colour)  # fmt: skip


def sets_chart(argv: Sequence[str] | None = None) -> Path:
    """Several question sets side by side, from `trolyao eval nlu FILE --json` outputs:
    python -m trolyao.evaluation.charts OUT.png "TITLE" "label=path.json" ..."""
    import json
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3 or args[0] in ("-h", "--help"):
        raise SystemExit('Cách dùng: python -m trolyao.evaluation.charts OUT.png "TIÊU ĐỀ" "nhãn=kết quả.json" ...')
    out, title, pairs = Path(args[0]), args[1], args[2:]
    rows = {}
    for pair in pairs:
        label, _, json_path = pair.partition("=")
        data = json.loads(Path(json_path).read_text(encoding="utf-8"))
        rows[label] = data.get("ours", data)
    return nlu_chart(rows, out, title)


if __name__ == "__main__":
    sets_chart()
