"""Tiny server-side charts as inline SVG: bars with an optional line, and horizontal bars.

No script, no library: the page stays readable without JavaScript and under a strict CSP.
"""

from __future__ import annotations

from html import escape


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** max(len(str(int(value))) - 1, 0)
    return float(((int(value) // step) + 1) * step)


def bar_line_chart(
    labels: list[str], bars: list[float], line: list[float] | None = None,
    title: str = "", bar_name: str = "", line_name: str = "",
    width: int = 640, height: int = 220,
) -> str:  # fmt: skip
    """Vertical bars (e.g. conversations per day) with an optional line (messages)."""
    left, right, top, bottom = 36, 8, 22, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max([*bars, *(line or []), 0]))
    n = max(len(bars), 1)
    slot = plot_w / n
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title>{escape(title)}</title>',
        f'<text x="{left}" y="14" class="chart-title">{escape(title)}</text>',
    ]
    for i in range(5):  # grid lines and their values
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" class="axis" text-anchor="end">{top_value * i / 4:g}</text>')
    for i, value in enumerate(bars):
        h = plot_h * value / top_value
        x = left + i * slot + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{max(slot * 0.7, 1):.1f}" height="{h:.1f}" '
            f'class="bar"><title>{escape(labels[i])}: {value:g}</title></rect>'
        )
    if line:
        points = " ".join(
            f"{left + i * slot + slot / 2:.1f},{top + plot_h - plot_h * v / top_value:.1f}" for i, v in enumerate(line)
        )
        parts.append(f'<polyline points="{points}" class="line"/>')
    step = max(1, n // 6)
    for i in range(0, len(labels), step):
        x = left + i * slot + slot / 2
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" class="axis" text-anchor="middle">{escape(labels[i])}</text>')
    legend = []
    if bar_name:
        legend.append(f'<rect x="{width - 190}" y="6" width="10" height="10" class="bar"/>'
                      f'<text x="{width - 176}" y="15" class="axis">{escape(bar_name)}</text>')  # fmt: skip
    if line and line_name:
        legend.append(f'<line x1="{width - 96}" y1="11" x2="{width - 84}" y2="11" class="line"/>'
                      f'<text x="{width - 80}" y="15" class="axis">{escape(line_name)}</text>')  # fmt: skip
    parts += legend
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(items: list[tuple[str, float]], title: str = "", width: int = 640) -> str:
    """Horizontal bars with their labels and values (e.g. top procedures)."""
    row, left, top = 22, 190, 24
    height = top + row * max(len(items), 1) + 6
    top_value = _nice_max(max([v for _, v in items] or [0]))
    plot_w = width - left - 50
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<text x="4" y="14" class="chart-title">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = plot_w * value / top_value
        parts.append(f'<text x="{left - 6}" y="{y + 14}" class="axis" text-anchor="end">{escape(label[:32])}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" class="bar"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 14}" class="axis">{value:g}</text>')
    if not items:
        parts.append(f'<text x="{left}" y="{top + 14}" class="axis">Chưa có số liệu</text>')
    parts.append("</svg>")
    return "".join(parts)
