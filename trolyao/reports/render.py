"""The period report as Markdown, Excel (charts as PNG images) or PDF (matplotlib, DejaVu Sans,
which has every Vietnamese letter). Ready to paste into the unit's CCHC report.

Imports matplotlib and openpyxl on use: the gateway, which has neither, only runs this through
`trolyao report` in the Rasa venv.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from tthc.reports.figures import OUTCOME_NAMES, Figures, percent, period_name, summary_items, summary_rows

FORMATS = ("md", "xlsx", "pdf")
FONT = "DejaVu Sans"
A4 = (8.27, 11.69)  # inches


def title_of(figures: Figures, locality: str) -> str:
    return (
        f"Báo cáo kết quả vận hành Trợ lý ảo hỗ trợ thủ tục hành chính {period_name(figures.day_from, figures.day_to)}"
    )


def subtitle_of(figures: Figures, locality: str) -> str:
    return (
        f"{locality} — số liệu từ {figures.day_from:%d/%m/%Y} đến {figures.day_to:%d/%m/%Y}, "
        f"lập ngày {dt.date.today():%d/%m/%Y}"
    )


def tables(f: Figures) -> list[tuple[str, list[str], list[list[Any]]]]:
    """(heading, column names, rows) of every detail table; numbers are numbers and days dates
    (``text`` formats a cell for md and pdf). Procedures and intents by their Vietnamese names
    (``tthc.reports.figures.with_names``), their codes when unnamed."""
    return [
        ("Theo kênh", ["Kênh", "Hội thoại", "Tin nhắn"],
         [[c["label"], c["conversations"], c["messages"]] for c in f.per_channel]),
        ("Kết quả xử lý tin nhắn", ["Kết quả", "Số tin nhắn"],
         [[OUTCOME_NAMES.get(o, o), n] for o, n in sorted(f.outcomes.items(), key=lambda kv: -kv[1])]),
        ("Thủ tục được hỏi nhiều nhất", ["Thủ tục", "Số tin nhắn"],
         [[p.get("name") or p["procedure"], p["count"]] for p in f.top_procedures]),
        ("Người dân muốn gì (ý định)", ["Ý định", "Số tin nhắn"],
         [[i.get("name") or i["intent"], i["count"]] for i in f.top_intents]),
        ("Theo ngày", ["Ngày", "Hội thoại", "Tin nhắn"],
         [[d["day"], d["conversations"], d["messages"]] for d in f.per_day]),
    ]  # fmt: skip


def text(cell: Any) -> str:
    """A cell as md and pdf show it: days dd/mm/yyyy, counts with a thousands dot."""
    if isinstance(cell, dt.date):
        return cell.strftime("%d/%m/%Y")
    if isinstance(cell, int) and not isinstance(cell, bool):
        return f"{cell:,}".replace(",", ".")
    return str(cell)


# --- charts ------------------------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no screen on servers
    matplotlib.rcParams["font.family"] = FONT
    matplotlib.rcParams["pdf.fonttype"] = 42  # TrueType: text stays selectable and searchable
    import matplotlib.pyplot as plt

    return plt


def charts(f: Figures) -> list[tuple[str, bytes]]:
    """(caption, PNG) for each chart of the report."""
    plt = _pyplot()
    out = []

    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=110)
    days = [d["day"] for d in f.per_day]
    ax.bar(days, [d["conversations"] for d in f.per_day], color="#1f5fa8", label="Hội thoại")
    ax.plot(days, [d["messages"] for d in f.per_day], color="#c0392b", linewidth=1.2, label="Tin nhắn")
    ax.set_title("Hội thoại và tin nhắn theo ngày", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.autofmt_xdate()
    out.append(("Hội thoại và tin nhắn theo ngày", _png(plt, fig)))

    names = [_wrap(p.get("name") or p["procedure"], 34) for p in f.top_procedures][::-1]
    fig, ax = plt.subplots(figsize=(9, max(3.6, 0.5 + 0.45 * sum(n.count("\n") + 1 for n in names))), dpi=110)
    ax.barh(names or ["(chưa có)"], [p["count"] for p in f.top_procedures][::-1] or [0], color="#1f5fa8")
    ax.set_title("Thủ tục được hỏi nhiều nhất", fontsize=10)
    ax.tick_params(axis="y", labelsize=9)
    out.append(("Thủ tục được hỏi nhiều nhất", _png(plt, fig)))

    fig, ax = plt.subplots(figsize=(9, 3.2), dpi=110)
    labels = [c["label"] for c in f.per_channel] or ["(chưa có)"]
    ax.bar(labels, [c["conversations"] for c in f.per_channel] or [0], color="#2e8b57")
    ax.set_title("Hội thoại theo kênh", fontsize=10)
    out.append(("Hội thoại theo kênh", _png(plt, fig)))
    return out


def _png(plt: Any, fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


# --- formats -----------------------------------------------------------------------------------


def to_markdown(f: Figures, locality: str) -> str:
    lines = [f"# {title_of(f, locality)}", "", f"_{subtitle_of(f, locality)}_", "", "## Số liệu chính", "",
             "| Chỉ tiêu | Giá trị |", "|---|---:|"]  # fmt: skip
    lines += [f"| {label} | {value} |" for label, value in summary_rows(f)]
    for heading, columns, rows in tables(f):
        lines += ["", f"## {heading}", "", "| " + " | ".join(columns) + " |",
                  "|" + "|".join(["---"] + ["---:"] * (len(columns) - 1)) + "|"]  # fmt: skip
        lines += ["| " + " | ".join(text(cell) for cell in row) + " |" for row in rows]
    lines += ["", "Ghi chú: hội thoại là một người dân trong một ngày; tỷ lệ trả lời được và tỷ lệ không hiểu "
              "tính trên các câu hỏi về thủ tục.", ""]  # fmt: skip
    return "\n".join(lines)


def to_xlsx(f: Figures, locality: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws.append([title_of(f, locality)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([subtitle_of(f, locality)])
    ws.append([])
    ws.append(["Chỉ tiêu", "Giá trị"])
    for label, value, kind in summary_items(f):
        ws.append([label, value])  # numbers stay numbers: sums and charts in Excel work
        ws.cell(row=ws.max_row, column=2).number_format = "0.0%" if kind == "rate" else "#,##0"
    ws.column_dimensions["A"].width = 52
    ws.column_dimensions["B"].width = 16
    for heading, columns, rows in tables(f):
        sheet = wb.create_sheet(heading[:31].replace("(", "").replace(")", ""))
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "dd/mm/yyyy"
                elif isinstance(cell.value, int):
                    cell.number_format = "#,##0"
        sheet.column_dimensions["A"].width = 48
    sheet = wb.create_sheet("Biểu đồ")
    anchor = 1
    for caption, png in charts(f):
        sheet.cell(row=anchor, column=1, value=caption).font = Font(bold=True)
        image = Image(io.BytesIO(png))
        sheet.add_image(image, f"A{anchor + 1}")
        anchor += 22
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


class _Pages:
    """Text laid down A4 pages from the top; a line that would pass the bottom margin starts a
    new page, so nothing is ever cut (the report's first page used to lose the top procedures)."""

    LEFT, RIGHT, TOP, BOTTOM = 0.8, 0.8, 0.7, 0.8  # margins, inches

    def __init__(self, plt: Any, pdf: Any, title: str) -> None:
        self.plt, self.pdf, self.title = plt, pdf, title
        self.fig: Any = None
        self.y = 0.0  # inches from the top of the page
        self.number = 0

    def _new_page(self) -> None:
        self.close()
        self.fig = self.plt.figure(figsize=A4)
        self.number += 1
        self.y = self.TOP
        if self.number > 1:  # the report's name and the page number at the top of the next pages
            self.put(0, _wrap(self.title, 95), 7.5, color="#555555")
            self.y += 0.15

    def close(self) -> None:
        if self.fig is not None:
            self.fig.text(1 - self.RIGHT / A4[0], 0.35 / A4[1], f"Trang {self.number}", fontsize=8, ha="right")
            self.pdf.savefig(self.fig)
            self.plt.close(self.fig)
            self.fig = None

    def put(self, indent: float, words: str, size: float, value: str = "", **style: Any) -> None:
        """One (wrapped) text, its value at the right margin; a new page first if it would not fit."""
        height = (words.count("\n") + 1) * size * 1.35 / 72
        if self.fig is None or self.y + height > A4[1] - self.BOTTOM:
            self._new_page()
        x, top = (self.LEFT + indent) / A4[0], 1 - self.y / A4[1]
        self.fig.text(x, top, words, fontsize=size, va="top", linespacing=1.25, **style)
        if value:
            self.fig.text(1 - self.RIGHT / A4[0], top, value, fontsize=size, va="top", ha="right", **style)
        self.y += height + size * 0.35 / 72

    def gap(self, inches: float) -> None:
        self.y += inches

    def keep(self, inches: float) -> None:
        """Start a new page unless ``inches`` fit below (a heading stays with its first lines)."""
        if self.fig is not None and self.y + inches > A4[1] - self.BOTTOM:
            self._new_page()


def to_pdf(f: Figures, locality: str) -> bytes:
    plt = _pyplot()
    from matplotlib.backends.backend_pdf import PdfPages

    buffer = io.BytesIO()
    title = title_of(f, locality)
    with PdfPages(buffer) as pdf:
        pages = _Pages(plt, pdf, title)
        pages.put(0, _wrap(title, 62), 13, weight="bold")
        pages.put(0, _wrap(subtitle_of(f, locality), 100), 8.5)
        pages.gap(0.15)
        pages.put(0, "Số liệu chính", 11, weight="bold")
        for label, value in summary_rows(f):
            pages.put(0.1, _wrap(label, 70), 10, value)
        for heading, _columns, rows in tables(f)[:4]:
            pages.gap(0.15)
            pages.keep(0.9)
            pages.put(0, heading, 11, weight="bold")
            for row in rows:
                pages.put(0.15, _wrap(text(row[0]), 66), 9, "   ".join(text(c) for c in row[1:]))
        pages.close()
        for caption, png in charts(f):
            fig = plt.figure(figsize=A4)
            image = plt.imread(io.BytesIO(png), format="png")
            height = min(0.85, 0.9 * (image.shape[0] / image.shape[1]) * A4[0] / A4[1])
            fig.text(0.05, 0.96, caption, fontsize=12, weight="bold", va="top")
            ax = fig.add_axes([0.05, 0.93 - height, 0.9, height])
            ax.imshow(image)
            ax.axis("off")
            pdf.savefig(fig)
            plt.close(fig)
        info = pdf.infodict()
        info["Title"] = title
    return buffer.getvalue()


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def write_report(f: Figures, fmt: str, path: Path, locality: str) -> Path:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    if fmt == "md":
        path.write_text(to_markdown(f, locality), encoding="utf-8")
    else:
        path.write_bytes(to_xlsx(f, locality) if fmt == "xlsx" else to_pdf(f, locality))
    return path


__all__ = ["FORMATS", "percent", "to_markdown", "to_pdf", "to_xlsx", "write_report"]
