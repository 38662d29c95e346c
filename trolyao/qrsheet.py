"""QR codes to print for the one-stop counters (`trolyao qr`, and the console's "Mã QR tại quầy"):
each opens the assistant on one procedure (tthc.deeplinks), whose overview is the first answer.

Two layouts, A4 PDF drawn with matplotlib (DejaVu Sans, every Vietnamese letter; text
selectable), each QR code a vector drawing (sharp at any printer resolution):

- ``sheet``: twelve cards a page (3 x 4, about 43 mm codes) with the procedure's name under its
  code and dashed lines to cut along: one card per procedure, to stand or stick on a desk;
- ``poster``: a poster per counter: the counter's name as the heading, what to do in one
  sentence, and the counter's procedures with large codes (one to six a page, larger when
  fewer).

segno makes the codes (pure Python, in both environments); matplotlib is imported on use.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tthc import deeplinks

A4 = (8.27, 11.69)  # inches
FONT = "DejaVu Sans"
LAYOUTS = ("sheet", "poster")
SCAN_HINT = {
    "web": "Quét bằng camera điện thoại hoặc Zalo",
    "telegram": "Quét bằng camera điện thoại, mở bằng Telegram",
}


@dataclass(frozen=True)
class Code:
    """One QR code: the procedure's name (printed) and the link it opens."""

    title: str
    url: str


@dataclass(frozen=True)
class Sheet:
    layout: str = "sheet"
    channel: str = "web"
    counter: str = ""  # a poster's heading ("Quầy số 3 - Tư pháp, hộ tịch")
    locality: str = ""  # printed in the footer


def codes_for(procedures: Sequence[tuple[str, str]], channel: str, base_url: str = "", bot: str = "") -> list[Code]:
    """(slug, name) pairs to codes opening the chosen channel on each procedure."""
    return [Code(name, deeplinks.link(channel, slug, base_url=base_url, bot=bot)) for slug, name in procedures]


# --- drawing ----------------------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["font.family"] = FONT
    matplotlib.rcParams["pdf.fonttype"] = 42  # TrueType: text stays selectable
    import matplotlib.pyplot as plt

    return plt


def qr_path(url: str) -> tuple[Any, int]:
    """The code of ``url`` as one matplotlib Path of its dark modules (rows of runs, so the
    drawing has no seams), and its size in modules with the 4-module quiet zone."""
    import segno
    from matplotlib.path import Path as MplPath

    code = segno.make(url, error="m", micro=False)
    matrix = code.matrix
    size = len(matrix) + 8
    vertices: list[tuple[float, float]] = []
    codes: list[int] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            top, bottom = size - 4 - y, size - 5 - y  # y grows downwards in the matrix
            vertices += [(start + 4, bottom), (x + 4, bottom), (x + 4, top), (start + 4, top), (start + 4, bottom)]
            codes += [MplPath.MOVETO, MplPath.LINETO, MplPath.LINETO, MplPath.LINETO, MplPath.CLOSEPOLY]
    return MplPath(vertices, codes), size


def draw_code(fig: Any, url: str, x: float, y: float, side: float) -> None:
    """The code of ``url`` as a square of ``side`` inches, its lower-left corner at (x, y) inches."""
    from matplotlib.patches import PathPatch

    path, size = qr_path(url)
    width, height = fig.get_size_inches()
    ax = fig.add_axes([x / width, y / height, side / width, side / height])
    ax.add_patch(PathPatch(path, facecolor="black", edgecolor="none", linewidth=0))
    ax.set_xlim(0, size)
    ax.set_ylim(0, size)
    ax.set_aspect("equal")
    ax.axis("off")


def wrap(text: str, width_in: float, points: float, lines: int) -> str:
    """Text wrapped to fit ``width_in`` inches at ``points`` (DejaVu Sans averages 0.55 em a
    letter), at most ``lines`` lines, the last one ending in "…" if it had to be cut."""
    per_line = max(int(width_in * 72 / (points * 0.58)), 8)
    wrapped = textwrap.wrap(text, per_line) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: per_line - 1].rstrip() + "…"
    return "\n".join(wrapped)


def _footer(fig: Any, sheet: Sheet, page: int, pages: int) -> None:
    left = f"Trợ lý ảo thủ tục hành chính{' · ' + sheet.locality if sheet.locality else ''} · hỏi đáp 24/7"
    fig.text(0.06, 0.025, wrap(left, 6.0, 8, 1), fontsize=8, color="#444444", va="bottom")
    fig.text(0.94, 0.025, f"Trang {page}/{pages}", fontsize=8, color="#444444", ha="right", va="bottom")


def _sheet_page(fig: Any, codes: Sequence[Code], sheet: Sheet) -> None:
    """Up to twelve cards, 3 x 4, each: code, procedure name, how to scan, the link."""
    width, height = A4
    margin, header = 0.45, 0.75
    columns, rows = 3, 4
    cell_w = (width - 2 * margin) / columns
    cell_h = (height - 2 * margin - header) / rows
    fig.text(0.5, 1 - 0.5 / height, "Mã QR tra cứu thủ tục hành chính — hỏi Trợ lý ảo", fontsize=13,
             weight="bold", ha="center", va="top")  # fmt: skip
    fig.text(0.5, 1 - 0.8 / height, SCAN_HINT.get(sheet.channel, SCAN_HINT["web"]) + ", hỏi đáp 24/7",
             fontsize=9, ha="center", va="top", color="#333333")  # fmt: skip
    side = min(cell_w, cell_h) * 0.62
    for n, code in enumerate(codes):
        col, row = n % columns, n // columns
        x0 = margin + col * cell_w
        top = height - margin - header - row * cell_h
        _cut_lines(fig, x0, top - cell_h, cell_w, cell_h)
        draw_code(fig, code.url, x0 + (cell_w - side) / 2, top - 0.12 - side, side)
        text_top = top - 0.16 - side
        fig.text((x0 + cell_w / 2) / width, text_top / height, wrap(code.title, cell_w - 0.2, 9, 3), fontsize=9,
                 weight="bold", ha="center", va="top", linespacing=1.25)  # fmt: skip
        fig.text((x0 + cell_w / 2) / width, (top - cell_h + 0.1) / height, wrap(code.url, cell_w - 0.15, 6, 2),
                 fontsize=6, ha="center", va="bottom", color="#555555")  # fmt: skip


def _cut_lines(fig: Any, x: float, y: float, w: float, h: float) -> None:
    from matplotlib.patches import Rectangle

    width, height = A4
    box = Rectangle((x / width, y / height), w / width, h / height, transform=fig.transFigure, fill=False,
                    edgecolor="#9a9a9a", linestyle=(0, (4, 4)), linewidth=0.6)  # fmt: skip
    fig.patches.append(box)


def _poster_grid(count: int) -> tuple[int, int, float]:
    """(columns, rows, code side in inches) for a poster page of ``count`` codes."""
    if count == 1:
        return 1, 1, 4.6
    if count == 2:
        return 1, 2, 3.1
    if count <= 4:
        return 2, 2, 2.8
    return 2, 3, 2.2


def _poster_page(fig: Any, codes: Sequence[Code], sheet: Sheet) -> None:
    width, height = A4
    heading = sheet.counter or "Hỏi Trợ lý ảo về thủ tục hành chính"
    fig.text(0.5, 1 - 0.55 / height, wrap(heading, width - 1.2, 22, 2), fontsize=22, weight="bold", ha="center",
             va="top", color="#b3161b", linespacing=1.2)  # fmt: skip
    hint = f"{SCAN_HINT.get(sheet.channel, SCAN_HINT['web'])} để xem hồ sơ, lệ phí, thời hạn và nơi nộp"
    fig.text(0.5, 1 - 1.55 / height, wrap(hint, width - 1.2, 13, 2), fontsize=13, ha="center", va="top",
             linespacing=1.3)  # fmt: skip
    columns, rows, side = _poster_grid(len(codes))
    area_top, area_bottom = height - 2.3, 0.5
    cell_w, cell_h = (width - 0.8) / columns, (area_top - area_bottom) / rows
    for n, code in enumerate(codes):
        col, row = n % columns, n // columns
        x0, top = 0.4 + col * cell_w, area_top - row * cell_h
        draw_code(fig, code.url, x0 + (cell_w - side) / 2, top - side, side)
        size = 15 if len(codes) <= 2 else 12
        fig.text((x0 + cell_w / 2) / width, (top - side - 0.08) / height, wrap(code.title, cell_w - 0.3, size, 3),
                 fontsize=size, weight="bold", ha="center", va="top", linespacing=1.25)  # fmt: skip
        if len(codes) == 1:  # room to print the link, for those who type it
            fig.text(0.5, (top - side - 1.1) / height, code.url, fontsize=10, ha="center", va="top", color="#333333")


def write_pdf(codes: Sequence[Code], sheet: Sheet, output: Path) -> Path:
    """The codes as an A4 PDF in the sheet's layout."""
    if sheet.layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    if not codes:
        raise ValueError("no procedure to print")
    plt = _pyplot()
    from matplotlib.backends.backend_pdf import PdfPages

    per_page = 12 if sheet.layout == "sheet" else 6
    pages = [codes[i : i + per_page] for i in range(0, len(codes), per_page)]
    draw = _sheet_page if sheet.layout == "sheet" else _poster_page
    buffer = io.BytesIO()
    with PdfPages(buffer) as pdf:
        for number, chunk in enumerate(pages, start=1):
            fig = plt.figure(figsize=A4)
            draw(fig, chunk, sheet)
            _footer(fig, sheet, number, len(pages))
            pdf.savefig(fig)
            plt.close(fig)
        info = pdf.infodict()
        info["Title"] = f"Mã QR tra cứu thủ tục hành chính{' - ' + sheet.counter if sheet.counter else ''}"
    output.write_bytes(buffer.getvalue())
    return output
