"""Small server-side charts, readable on a phone: bars with a line as inline SVG, drawn twice
(a narrow drawing for phones, a wide one for larger screens, the stylesheet shows one) so that
their text is at least 12 px wherever it is shown; horizontal bars as an HTML list, whose
labels are page text at the page's own size and wrap like text.

No script, no library: the page stays readable without JavaScript and under a strict CSP
(no style attributes: bar lengths are SVG attributes).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from connectors.console.html import Markup


@dataclass(frozen=True)
class Drawing:
    """One drawing of a chart: viewBox width and height, font size, x labels at most."""

    css: str
    width: int
    height: int
    font: int
    labels: int


# Phones (shown up to 759 px wide, at most 480 px: 14-20 px text); larger screens (760-900 px:
# 13-16 px text). See admin.css.
NARROW = Drawing("narrow", 340, 230, 14, 4)
WIDE = Drawing("wide", 720, 260, 13, 8)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** max(len(str(int(value))) - 1, 0)
    return float(((int(value) // step) + 1) * step)


def bar_line_chart(
    labels: list[str], bars: list[float], line: list[float] | None = None,
    title: str = "", bar_name: str = "", line_name: str = "",
) -> Markup:  # fmt: skip
    """Vertical bars (e.g. conversations per day) with an optional line (messages), drawn for
    phones and for larger screens."""
    return Markup("".join(_bar_line(d, labels, bars, line, title, bar_name, line_name) for d in (NARROW, WIDE)))


def _bar_line(
    d: Drawing, labels: list[str], bars: list[float], line: list[float] | None,
    title: str, bar_name: str, line_name: str,
) -> str:  # fmt: skip
    left, right, top, bottom = d.font * 3, 8, d.font * 3 + 4, d.font * 2 + 6
    plot_w, plot_h = d.width - left - right, d.height - top - bottom
    top_value = _nice_max(max([*bars, *(line or []), 0]))
    n = max(len(bars), 1)
    slot = plot_w / n
    parts = [
        f'<svg class="chart {d.css}" viewBox="0 0 {d.width} {d.height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="{d.font}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="{d.font}" class="chart-title">{escape(title)}</text>',
    ]
    for i in range(3):  # grid lines and their values
        y = top + plot_h - plot_h * i / 2
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{d.width - right}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 4}" y="{y + d.font * 0.35:.1f}" class="axis" text-anchor="end">'
                     f"{top_value * i / 2:g}</text>")  # fmt: skip
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
    step = max(1, -(-len(labels) // d.labels))
    for i in range(0, len(labels), step):
        x = min(max(left + i * slot + slot / 2, left + d.font * 1.4), d.width - d.font * 1.6)
        parts.append(
            f'<text x="{x:.1f}" y="{d.height - 6}" class="axis" text-anchor="middle">{escape(labels[i])}</text>'
        )
    parts.append(_legend(d, bar_name, line_name if line else ""))
    parts.append("</svg>")
    return "".join(parts)


def _legend(d: Drawing, bar_name: str, line_name: str) -> str:
    y, size, parts, x = d.font * 2 + 4, d.font * 0.8, [], 0.0
    if bar_name:
        parts.append(f'<rect x="{x}" y="{y - size:.1f}" width="{size:.1f}" height="{size:.1f}" class="bar"/>'
                     f'<text x="{x + size + 4:.1f}" y="{y}" class="axis">{escape(bar_name)}</text>')  # fmt: skip
        x += size + 4 + d.font * 0.6 * len(bar_name) + d.font
    if line_name:
        middle, end = y - size / 2, x + size * 1.5
        parts.append(f'<line x1="{x:.1f}" y1="{middle:.1f}" x2="{end:.1f}" y2="{middle:.1f}" class="line"/>'
                     f'<text x="{end + 4:.1f}" y="{y}" class="axis">{escape(line_name)}</text>')  # fmt: skip
    return "".join(parts)


def hbar_chart(items: list[tuple[str, float]], title: str = "") -> Markup:
    """Horizontal bars with their labels and values (e.g. top procedures by name): a list whose
    labels wrap as text does; each bar is a one-rectangle SVG scaled to its share."""
    top_value = max([v for _, v in items] or [0]) or 1
    rows = "".join(
        f'<li><span class="name">{escape(label)}</span><span class="track">'
        f'<svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">'
        f'<rect width="{max(100 * value / top_value, 0.5):.1f}" height="10" class="bar"/></svg></span>'
        f'<span class="value">{value:g}</span></li>'
        for label, value in items
    )
    body = f"<ol>{rows}</ol>" if rows else '<p class="empty">Chưa có số liệu</p>'
    return Markup(f'<figure class="hbars"><figcaption>{escape(title)}</figcaption>{body}</figure>')
