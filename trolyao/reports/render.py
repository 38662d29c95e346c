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

from tthc.reports.figures import OUTCOME_NAMES, Figures, percent, period_name, summary_rows

FORMATS = ("md", "xlsx", "pdf")
FONT = "DejaVu Sans"


def title_of(figures: Figures, locality: str) -> str:
    return f"Báo cáo kết quả vận hành Trợ lý ảo hỗ trợ thủ tục hành chính {period_name(figures.day_from, figures.day_to)}"


def subtitle_of(figures: Figures, locality: str) -> str:
    return (
        f"{locality} — số liệu từ {figures.day_from:%d/%m/%Y} đến {figures.day_to:%d/%m/%Y}, "
        f"lập ngày {dt.date.today():%d/%m/%Y}"
    )


def tables(f: Figures) -> list[tuple[str, list[str], list[list[Any]]]]:
    """(heading, column names, rows) of every detail table."""
    return [
        ("Theo kênh", ["Kênh", "Hội thoại", "Tin nhắn"],
         [[c["label"], c["conversations"], c["messages"]] for c in f.per_channel]),
        ("Kết quả xử lý tin nhắn", ["Kết quả", "Số tin nhắn"],
         [[OUTCOME_NAMES.get(o, o), n] for o, n in sorted(f.outcomes.items(), key=lambda kv: -kv[1])]),
        ("Thủ tục được hỏi nhiều nhất", ["Thủ tục", "Số tin nhắn"],
         [[p["procedure"], p["count"]] for p in f.top_procedures]),
        ("Ý định (intent) thường gặp", ["Ý định", "Số tin nhắn"], [[i["intent"], i["count"]] for i in f.top_intents]),
        ("Theo ngày", ["Ngày", "Hội thoại", "Tin nhắn"],
         [[d["day"].strftime("%d/%m/%Y"), d["conversations"], d["messages"]] for d in f.per_day]),
    ]  # fmt: skip


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

    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=110)
    names = [p["procedure"] for p in f.top_procedures][::-1]
    ax.barh(names or ["(chưa có)"], [p["count"] for p in f.top_procedures][::-1] or [0], color="#1f5fa8")
    ax.set_title("Thủ tục được hỏi nhiều nhất", fontsize=10)
    ax.tick_params(axis="y", labelsize=8)
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
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
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
    for label, value in summary_rows(f):
        ws.append([label, value])
    ws.column_dimensions["A"].width = 52
    ws.column_dimensions["B"].width = 16
    for heading, columns, rows in tables(f):
        sheet = wb.create_sheet(heading[:31])
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.column_dimensions["A"].width = 40
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


def to_pdf(f: Figures, locality: str) -> bytes:
    plt = _pyplot()
    from matplotlib.backends.backend_pdf import PdfPages

    buffer = io.BytesIO()
    with PdfPages(buffer) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))  # A4
        fig.text(0.08, 0.95, _wrap(title_of(f, locality), 70), fontsize=13, weight="bold", va="top")
        fig.text(0.08, 0.885, subtitle_of(f, locality), fontsize=8.5, va="top")
        y = 0.84
        for label, value in summary_rows(f):
            fig.text(0.08, y, label, fontsize=10)
            fig.text(0.85, y, value, fontsize=10, ha="right")
            y -= 0.026
        y -= 0.02
        for heading, _columns, rows in tables(f)[:3]:
            fig.text(0.08, y, heading, fontsize=11, weight="bold")
            y -= 0.026
            for row in rows[:8]:
                fig.text(0.1, y, str(row[0]), fontsize=9)
                fig.text(0.85, y, "   ".join(str(c) for c in row[1:]), fontsize=9, ha="right")
                y -= 0.022
            y -= 0.012
        pdf.savefig(fig)
        plt.close(fig)
        for _, png in charts(f):
            fig = plt.figure(figsize=(8.27, 11.69))
            ax = fig.add_axes([0.05, 0.45, 0.9, 0.5])
            ax.imshow(plt.imread(io.BytesIO(png), format="png"))
            ax.axis("off")
            pdf.savefig(fig)
            plt.close(fig)
        info = pdf.infodict()
        info["Title"] = title_of(f, locality)
    return buffer.getvalue()


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def write_report(f: Figures, fmt: str, path: Path, locality: str) -> Path:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    if fmt == "md":
        path.write_text(to_markdown(f, locality), encoding="utf-8")
    else:
        path.write_bytes(to_xlsx(f, locality) if fmt == "xlsx" else to_pdf(f, locality))
    return path


__all__ = ["FORMATS", "percent", "to_markdown", "to_pdf", "to_xlsx", "write_report"]
