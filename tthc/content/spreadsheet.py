"""Officers work in Excel: export FAQs and main facts of every procedure to one .xlsx, import it back.

    export_xlsx(content_dir, path) -> ExportResult
    import_xlsx(content_dir, path, today=None) -> ImportReport

The import writes back only the values that changed, as text edits in the YAML files
(tthc.content.yamltext), so comments, key order and layout stay as they were and a round trip
without edits leaves every file byte-identical. The changed files are first written to a copy of
the content directory and checked with `check_content` (the same check as `trolyao content
check`); only if the copy passes are they moved into place, each with write-temp-then-rename.
Otherwise nothing changes and every error is reported with its file, line and column and, where
it can be traced, the sheet, row and column of the cell that caused it.

A hidden sheet keeps the values as exported. When present, a cell counts as edited only if it
differs from its exported value, so an import never undoes an edit made to the YAML file after
the export; when both sides changed the same value, the import reports a conflict.

Pure layers: rows_from_content (content -> rows), read_workbook (xlsx -> rows), diff_rows (rows vs
content -> changes), apply_changes (changes -> new YAML text); export_xlsx and import_xlsx touch
files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from tthc.content import yamltext as yt
from tthc.content.check import check_content
from tthc.content.live import write_atomically
from tthc.content.model import ContentError

FAQ_SHEET = "FAQ"
FACTS_SHEET = "Thông tin chính"
GUIDE_SHEET = "Hướng dẫn"
ORIGINAL_SHEET = "_goc"  # very hidden: the values as exported, for telling edits from stale cells
ROW_KEY = "_dong"  # hidden last column: which FAQ or procedure the row was exported as

YES, NO = "có", "không"
_YES = {"có", "co", "c", "x", "true", "1", "yes", "y", "đúng", "rồi", "roi"}
_NO = {"không", "khong", "k", "false", "0", "no", "n", "sai", "chưa", "chua", ""}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    path: tuple[str, ...] = ()  # where the value lives: in the procedure, or in the FAQ item
    kind: str = "text"  # text | lines | bool | date | slug | number
    label: str = ""  # how a change is named in the report


FAQ_COLUMNS = (
    Column("slug", "Mã thủ tục (slug)", 24, kind="slug"),
    Column("number", "Số thứ tự câu hỏi", 11, kind="number"),
    Column("questions", "Câu hỏi (mỗi cách hỏi một dòng)", 55, ("questions",), "lines", "các cách hỏi"),
    Column("answer", "Câu trả lời", 90, ("answer",), label="câu trả lời"),
)
FACT_COLUMNS = (
    Column("slug", "Mã thủ tục (slug)", 24, kind="slug"),
    Column("name", "Tên thủ tục", 34, ("name",), label="tên thủ tục"),
    Column("processing_time", "Thời hạn giải quyết", 40, ("processing_time",), label="thời hạn giải quyết"),
    Column("fee", "Lệ phí (tóm tắt)", 40, ("fee", "summary"), label="lệ phí (tóm tắt)"),
    Column("where", "Nơi nộp hồ sơ", 50, ("where",), label="nơi nộp hồ sơ"),
    Column("authority", "Cơ quan giải quyết", 45, ("authority",), label="cơ quan giải quyết"),
    Column("online", "Nộp trực tuyến (có/không)", 14, ("online", "available"), "bool", "nộp trực tuyến"),
    Column("last_reviewed", "Ngày rà soát (YYYY-MM-DD)", 14, ("last_reviewed",), "date", "ngày rà soát"),
    Column("verified", "Đã xác minh (có/không)", 14, ("verified",), "bool", "đã xác minh"),
)
SHEETS = {FAQ_SHEET: FAQ_COLUMNS, FACTS_SHEET: FACT_COLUMNS}

GUIDE = [
    "Hướng dẫn sửa nội dung trợ lý ảo bằng Excel",
    "",
    "Bảng FAQ: mỗi dòng là một câu hỏi thường gặp của một thủ tục.",
    "- Cột 'Câu hỏi': mỗi cách hỏi một dòng trong ô (Alt+Enter để xuống dòng).",
    "- Cột 'Câu trả lời': viết dễ hiểu, chỉ dùng thông tin có nguồn; không được để trống.",
    "- Thêm câu hỏi mới: thêm một dòng, ghi mã thủ tục, để trống 'Số thứ tự câu hỏi', ghi câu hỏi và câu trả lời.",
    "- Không đổi mã thủ tục và số thứ tự của các dòng có sẵn.",
    "- Xóa một dòng trong Excel không xóa câu hỏi đó; muốn bỏ câu hỏi thì sửa tệp YAML của thủ tục.",
    "",
    "Bảng 'Thông tin chính': mỗi dòng một thủ tục. Cột có/không chỉ ghi 'có' hoặc 'không'; ngày ghi YYYY-MM-DD.",
    "",
    "Khi nhập lại, 'Ngày rà soát' của thủ tục có thay đổi được tự đặt thành ngày nhập.",
    "Không có nguồn thì không ghi số. Không hướng người dân lên cấp huyện: từ 1/7/2025 không còn cấp huyện.",
    "",
    "Nhập lại: .venv/bin/trolyao content import TEN_TEP.xlsx",
    "Lệnh kiểm tra như 'trolyao content check'; nếu có lỗi thì không tệp nào bị thay đổi và lệnh chỉ ra ô gây lỗi.",
]


# ---------------------------------------------------------------------------------------------
# Values: normalized the same way on both sides, so an unedited cell compares equal


def norm_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def norm_lines(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else norm_text(value).split("\n")
    return [t for t in (norm_text(item) for item in items) if t]


def parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = norm_text(value).casefold()
    if text in _YES:
        return True
    if text in _NO and text:
        return False
    return None


def parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = norm_text(value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)  # 23/11/2026, as Vietnamese write it
    if match:
        try:
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
        except ValueError:
            return None
    return None


def _get(data: Any, path: Iterable[str | int]) -> Any:
    for key in path:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def _typed(column: Column, raw: Any) -> Any:
    """A value from a YAML file, as the spreadsheet side would read it back."""
    if column.kind == "lines":
        return norm_lines(raw)
    if column.kind == "bool":
        return raw if isinstance(raw, bool) else parse_bool(raw)
    if column.kind == "date":
        return parse_date(raw)
    return norm_text(raw)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


# ---------------------------------------------------------------------------------------------
# Rows


@dataclass(frozen=True)
class Cell:
    sheet: str
    row: int
    column: str  # letter, as Excel shows it
    header: str

    def where(self) -> str:
        return f"bảng '{self.sheet}', dòng {self.row}, cột {self.column} ({self.header})"


@dataclass
class SheetRow:
    sheet: str
    row: int
    slug: str
    number: int | None
    values: dict[str, Any] = field(default_factory=dict)  # column key -> typed value
    cells: dict[str, Cell] = field(default_factory=dict)
    origin: str = ""  # the hidden row key: 'slug#3' for an exported FAQ, 'slug' for facts


def row_key(slug: str, number: int | None = None) -> str:
    return f"{slug}#{number}" if number is not None else slug


@dataclass(frozen=True)
class ImportProblem:
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    cell: Cell | None = None

    def __str__(self) -> str:
        if self.file:
            where = f" [{self.cell.where()}]" if self.cell else ""
            return f"{self.file}:{self.line or 1}:{self.column or 1}: {self.message}{where}"
        if self.cell:
            return f"Excel, {self.cell.where()}: {self.message}"
        return self.message

    def as_json(self) -> dict[str, Any]:
        cell = self.cell
        return {
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "sheet": cell.sheet if cell else None,
            "row": cell.row if cell else None,
            "sheet_column": cell.column if cell else None,
        }


@dataclass
class WorkbookRows:
    faqs: list[SheetRow] = field(default_factory=list)
    facts: list[SheetRow] = field(default_factory=list)
    originals: dict[tuple[str, str, int | None], dict[str, Any]] | None = None
    problems: list[ImportProblem] = field(default_factory=list)


def rows_from_content(procedures: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The FAQ rows and the facts rows of the export, as typed values keyed by column."""
    faq_rows: list[dict[str, Any]] = []
    fact_rows: list[dict[str, Any]] = []
    for slug in sorted(procedures):
        data = procedures[slug]
        for number, faq in enumerate(data.get("faqs") or [], start=1):
            row: dict[str, Any] = {"slug": slug, "number": number}
            row.update({c.key: _typed(c, _get(faq, c.path)) for c in FAQ_COLUMNS[2:]})
            faq_rows.append(row)
        facts: dict[str, Any] = {"slug": slug}
        facts.update({c.key: _typed(c, _get(data, c.path)) for c in FACT_COLUMNS[1:]})
        fact_rows.append(facts)
    return faq_rows, fact_rows


def _header_key(text: Any) -> str:
    return re.sub(r"\s+", " ", norm_text(text).casefold())


def _read_cell(column: Column, value: Any) -> tuple[Any, str | None]:
    """A cell's typed value, or an error message."""
    if column.kind == "slug":
        return norm_text(value), None
    if column.kind == "number":
        if value is None or norm_text(value) == "":
            return None, None
        text = norm_text(value)
        if text.isdigit() and int(text) > 0:
            return int(text), None
        return (
            None,
            f"Số thứ tự câu hỏi phải là số nguyên dương (hoặc để trống khi thêm câu hỏi mới), không phải '{text}'.",
        )
    if column.kind == "lines":
        return norm_lines(value), None
    if column.kind == "bool":
        parsed = parse_bool(value)
        if parsed is None:
            return None, f"Chỉ ghi '{YES}' hoặc '{NO}', không phải '{norm_text(value)}'."
        return parsed, None
    if column.kind == "date":
        parsed_date = parse_date(value)
        if parsed_date is None:
            return None, f"Ngày phải có dạng YYYY-MM-DD (ví dụ 2026-11-23), không phải '{norm_text(value)}'."
        return parsed_date, None
    return norm_text(value), None


def read_workbook(path: Path | str) -> WorkbookRows:
    """Every row of the two sheets, typed, with a problem for each cell that cannot be read."""
    result = WorkbookRows()
    try:
        book = load_workbook(Path(path), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not an .xlsx
        result.problems.append(ImportProblem(f"Không đọc được tệp Excel {path}: {exc}. Hãy lưu tệp ở dạng .xlsx."))
        return result
    if not any(name in book.sheetnames for name in SHEETS):
        result.problems.append(
            ImportProblem(
                f"Tệp {path} không có bảng '{FAQ_SHEET}' hay '{FACTS_SHEET}'; hãy dùng tệp do lệnh export tạo ra."
            )
        )
        return result
    for sheet, columns in SHEETS.items():
        if sheet in book.sheetnames:
            rows = _read_sheet(book[sheet], sheet, columns, result.problems)
            (result.faqs if sheet == FAQ_SHEET else result.facts).extend(rows)
    if ORIGINAL_SHEET in book.sheetnames:
        result.originals = {}
        for values in book[ORIGINAL_SHEET].iter_rows(min_row=2, values_only=True):
            if not values or values[0] is None:
                continue
            sheet, slug, number, blob = (list(values) + [None] * 4)[:4]
            try:
                original = json.loads(blob or "{}")
            except ValueError:
                continue
            key_number = int(number) if number not in (None, "") else None
            result.originals[(str(sheet), str(slug), key_number)] = original
    return result


def _read_sheet(ws: Any, sheet: str, columns: tuple[Column, ...], problems: list[ImportProblem]) -> list[SheetRow]:
    header_row = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    wanted = {_header_key(c.header): c for c in columns} | {c.key: c for c in columns}
    positions: dict[str, int] = {}
    origin_at: int | None = None
    for index, text in enumerate(header_row):
        column = wanted.get(_header_key(text))
        if column is not None and column.key not in positions:
            positions[column.key] = index
        elif norm_text(text) == ROW_KEY:
            origin_at = index
    required = columns if sheet == FAQ_SHEET else columns[:1]  # facts columns may be left out
    missing = [c.header for c in required if c.key not in positions]
    if missing:
        problems.append(
            ImportProblem(f"Bảng '{sheet}' thiếu cột: {', '.join(missing)} (không đổi tên các cột ở dòng 1).")
        )
        return []
    rows: list[SheetRow] = []
    for number, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        raw = {key: values[i] if i < len(values) else None for key, i in positions.items()}
        if all(norm_text(v) == "" for v in raw.values()):
            continue
        row = SheetRow(sheet, number, "", None)
        if origin_at is not None and origin_at < len(values):
            row.origin = norm_text(values[origin_at])
        for column in columns:
            if column.key not in positions:
                continue
            cell = Cell(sheet, number, get_column_letter(positions[column.key] + 1), column.header)
            row.cells[column.key] = cell
            value, error = _read_cell(column, raw[column.key])
            if error:
                problems.append(ImportProblem(error, cell=cell))
            elif column.kind == "slug":
                row.slug = value
            elif column.kind == "number":
                row.number = value
            else:
                row.values[column.key] = value
        if not row.slug:
            problems.append(ImportProblem("Thiếu mã thủ tục (slug).", cell=row.cells.get("slug")))
            continue
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------
# Diff


@dataclass(frozen=True)
class Change:
    slug: str
    field: str  # as the checker names it: faqs[3].answer, fee.summary ...
    path: tuple[str | int, ...]  # where in the file; ("faqs",) for an appended FAQ
    old: Any
    new: Any
    cell: Cell | None = None
    kind: str = "set"  # set | append
    label: str = ""

    def describe(self) -> str:
        where = f" ({self.cell.where()})" if self.cell else ""
        if self.kind == "append":
            return f"{self.slug}: thêm câu hỏi số {self.field.split('[')[1].rstrip(']')}{where}"
        if self.path == ("last_reviewed",) and self.cell is None:
            return f"{self.slug}: ngày rà soát đặt thành {self.new.isoformat()} (tự động)"
        value = self.new.isoformat() if isinstance(self.new, dt.date) else self.new
        shown = f" → {_short(value)}" if self.path[-1] in ("available", "verified", "last_reviewed") else ""
        return f"{self.slug}: {self.label}{shown}{where}"

    def as_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "field": self.field,
            "kind": self.kind,
            "old": _jsonable(self.old),
            "new": _jsonable(self.new),
            "sheet": self.cell.sheet if self.cell else None,
            "row": self.cell.row if self.cell else None,
        }


def _short(value: Any) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    return str(value)


def diff_rows(
    procedures: dict[str, dict[str, Any]], rows: WorkbookRows, today: dt.date
) -> tuple[list[Change], list[ImportProblem], list[str]]:
    """What the workbook changes in the content: changes, problems (naming cells), notices."""
    diff = _RowDiff(procedures, rows.originals)
    for row in rows.faqs:
        diff.faq_row(row)
    for row in rows.facts:
        diff.fact_row(row)
    diff.review_dates(today)
    return diff.changes, diff.problems, diff.notices


_CONFLICT = (
    "Ô này đã sửa trong Excel, nhưng mục này trong tệp YAML cũng đã bị sửa sau khi xuất. "
    "Hãy xuất lại tệp Excel mới rồi sửa lại."
)


def _unknown(row: SheetRow) -> ImportProblem:
    return ImportProblem(
        f"Không có thủ tục nào có mã '{row.slug}' trong content/procedures/ (không đổi mã ở cột này).",
        cell=row.cells.get("slug"),
    )


def _moved(row: SheetRow) -> str:
    slug, _, number = row.origin.partition("#")
    was = f"câu hỏi số {number} của '{slug}'" if number else f"dòng của thủ tục '{slug}'"
    return (
        f"Dòng này vốn là {was}; không đổi mã thủ tục hay số thứ tự của dòng có sẵn "
        "(muốn thêm câu hỏi mới: thêm dòng mới, để trống số thứ tự)."
    )


def _decide(new: Any, current: Any, original: Any, has_original: bool) -> str:
    """'same' | 'apply' | 'conflict' for one cell."""
    if new == current:
        return "same"
    if not has_original:
        return "apply"
    if new == original:
        return "same"  # not edited in Excel; the file changed since the export: keep the file
    return "apply" if current == original else "conflict"


def _empty_faq_cells(row: SheetRow) -> dict[str, ImportProblem]:
    """What to report when a FAQ row leaves its questions or its answer empty."""
    return {
        "questions": ImportProblem("Chưa có câu hỏi nào; ghi ít nhất một cách hỏi.", cell=row.cells.get("questions")),
        "answer": ImportProblem("Câu trả lời đang trống.", cell=row.cells.get("answer")),
    }


class _RowDiff:
    """diff_rows while it walks the rows: what it found so far, and which rows it has seen."""

    def __init__(
        self,
        procedures: dict[str, dict[str, Any]],
        originals: dict[tuple[str, str, int | None], dict[str, Any]] | None,
    ) -> None:
        self.procedures = procedures
        self.originals = originals
        self.changes: list[Change] = []
        self.problems: list[ImportProblem] = []
        self.notices: list[str] = []
        self.seen: set[tuple[str, int | None]] = set()
        self.appended: dict[str, list[dict[str, Any]]] = {}
        self.reviewed: dict[str, Change] = {}
        self.fact_slugs: set[str] = set()

    def _original(self, sheet: str, slug: str, number: int | None) -> dict[str, Any] | None:
        return self.originals.get((sheet, slug, number)) if self.originals is not None else None

    # --- the FAQ sheet: one row per FAQ, new ones without a number

    def faq_row(self, row: SheetRow) -> None:
        if row.slug not in self.procedures:
            self.problems.append(_unknown(row))
            return
        if row.number is not None and row.origin and row.origin != row_key(row.slug, row.number):
            self.problems.append(ImportProblem(_moved(row), cell=row.cells.get("slug")))
            return
        if row.number is not None:
            if (row.slug, row.number) in self.seen:
                message = f"Câu hỏi số {row.number} của '{row.slug}' có ở hai dòng."
                self.problems.append(ImportProblem(message, cell=row.cells.get("number")))
                return
            self.seen.add((row.slug, row.number))
        faqs = self.procedures[row.slug].get("faqs") or []
        original = self._original(FAQ_SHEET, row.slug, row.number)
        empty = _empty_faq_cells(row)
        if self._is_new_faq(row, faqs, original):
            self._new_faq(row, faqs, empty)
        else:
            self._edited_faq(row, faqs, original, empty)

    def _is_new_faq(self, row: SheetRow, faqs: list[dict[str, Any]], original: dict[str, Any] | None) -> bool:
        if row.number is None:
            return True
        if self.originals is not None:
            return original is None
        return row.number > len(faqs)

    def _new_faq(self, row: SheetRow, faqs: list[dict[str, Any]], empty: dict[str, ImportProblem]) -> None:
        questions = row.values.get("questions")
        answer = row.values.get("answer")
        missing = [empty[k] for k, v in (("questions", questions), ("answer", answer)) if v is not None and not v]
        if missing or questions is None or answer is None:
            self.problems.extend(missing)
            return
        item = {"questions": questions, "answer": answer}
        same = [
            i for i, f in enumerate(faqs + self.appended.get(row.slug, []), start=1)
            if norm_lines(f.get("questions")) == questions and norm_text(f.get("answer")) == answer
        ]  # fmt: skip
        if same:
            where = f"dòng {row.row} của bảng '{row.sheet}'"
            self.notices.append(f"{row.slug}: {where} trùng câu hỏi số {same[0]}; bỏ qua.")
            return
        self.appended.setdefault(row.slug, []).append(item)
        number = len(faqs) + len(self.appended[row.slug])
        cell = row.cells.get("answer")
        self.changes.append(Change(row.slug, f"faqs[{number}]", ("faqs",), None, item, cell, "append"))

    def _edited_faq(
        self,
        row: SheetRow,
        faqs: list[dict[str, Any]],
        original: dict[str, Any] | None,
        empty: dict[str, ImportProblem],
    ) -> None:
        index = (row.number or 0) - 1
        if index >= len(faqs):
            self.problems.append(
                ImportProblem(
                    f"Thủ tục '{row.slug}' không còn câu hỏi số {row.number} (tệp YAML đã bị sửa sau khi xuất). "
                    "Hãy xuất lại tệp Excel mới.",
                    cell=row.cells.get("number"),
                )
            )
            return
        for column in FAQ_COLUMNS[2:]:
            if column.key not in row.values:
                continue
            new = row.values[column.key]
            current = _typed(column, _get(faqs[index], column.path))
            verdict = _decide(new, current, (original or {}).get(column.key), original is not None)
            if verdict == "same":
                continue
            cell = row.cells.get(column.key)
            if verdict == "conflict":
                self.problems.append(ImportProblem(_CONFLICT, cell=cell))
            elif not new:
                self.problems.append(empty[column.key])
            else:
                label = f"câu hỏi số {row.number}, {column.label}"
                path: tuple[str | int, ...] = ("faqs", index, *column.path)
                self.changes.append(
                    Change(row.slug, f"faqs[{row.number}].{column.key}", path, current, new, cell, label=label)
                )

    # --- the facts sheet: one row per procedure

    def fact_row(self, row: SheetRow) -> None:
        if row.slug not in self.procedures:
            self.problems.append(_unknown(row))
            return
        if row.origin and row.origin != row.slug:
            self.problems.append(ImportProblem(_moved(row), cell=row.cells.get("slug")))
            return
        if row.slug in self.fact_slugs:
            self.problems.append(ImportProblem(f"Thủ tục '{row.slug}' có ở hai dòng.", cell=row.cells.get("slug")))
            return
        self.fact_slugs.add(row.slug)
        data = self.procedures[row.slug]
        original = self._original(FACTS_SHEET, row.slug, None)
        for column in FACT_COLUMNS[1:]:
            if column.key in row.values:
                self._fact_cell(row, column, data, original)

    def _fact_cell(self, row: SheetRow, column: Column, data: dict[str, Any], original: dict[str, Any] | None) -> None:
        new = row.values[column.key]
        current = _typed(column, _get(data, column.path))
        old_original = (original or {}).get(column.key)
        if column.kind == "date" and old_original is not None:
            old_original = parse_date(old_original)
        verdict = _decide(new, current, old_original, original is not None)
        if verdict == "same":
            return
        cell = row.cells.get(column.key)
        if verdict == "conflict":
            self.problems.append(ImportProblem(_CONFLICT, cell=cell))
            return
        change = Change(row.slug, ".".join(column.path), column.path, current, new, cell, label=column.label)
        if column.key == "last_reviewed":
            self.reviewed[row.slug] = change  # an explicit date wins over today
        else:
            self.changes.append(change)

    # --- last

    def review_dates(self, today: dt.date) -> None:
        """A changed procedure is reviewed today, unless its row gives the date."""
        changed = {c.slug for c in self.changes}
        for slug in sorted(changed | set(self.reviewed)):
            if slug in self.reviewed:
                self.changes.append(self.reviewed[slug])
                continue
            current = parse_date(self.procedures[slug].get("last_reviewed"))
            if current != today:
                self.changes.append(
                    Change(slug, "last_reviewed", ("last_reviewed",), current, today, None, label="ngày rà soát")
                )


# ---------------------------------------------------------------------------------------------
# Applying changes to one file's text


def _faq_block(item: dict[str, Any], layout: dict[str, int]) -> str:
    """One FAQ as a block-sequence item at column 0, laid out like the file's last FAQ."""
    key, sub, block = layout["key"], layout["sub"], layout["block"]
    lines = ["-" + " " * (key - 1) + "questions:"]
    for question in item["questions"]:
        lines.append(" " * sub + "- " + yt.render(question, indent=sub + 2))
    room = yt.WIDTH - key - len("answer: ")
    lines.append(" " * key + "answer: " + yt.prose(item["answer"], block, inline_room=min(60, room)))
    return "\n".join(lines)


def apply_changes(text: str, changes: list[Change]) -> tuple[str, list[tuple[Change, int, int]]]:
    """The file's new text, and for each change the lines it occupies there (for error mapping)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    work = text.replace("\r\n", "\n") if newline == "\r\n" else text
    root = yt.compose(work)
    if root is None:
        raise ValueError("empty YAML document")
    edits: list[yt.Edit] = []
    layout = yt.sequence_layout(work, root, ("faqs",))
    for change in changes:
        if change.kind == "append":
            edits.append(yt.append_item(work, root, ("faqs",), [_faq_block(change.new, layout)], tag=change))
        else:
            edits.extend(yt.set_value(work, root, change.path, change.new, tag=change))
    new_text, placed = yt.apply_edits(work, edits)
    data = yt.load(new_text)
    appends = [c.new for c in changes if c.kind == "append"]
    for change in changes:  # every value reads back as intended, or this is a bug: refuse loudly
        if change.kind == "append":
            continue
        got = _get(data, change.path)
        if isinstance(change.new, str):
            got = norm_text(got)
        if got != change.new:
            raise ValueError(f"{change.slug}: {change.field} reads back as {got!r}, not {change.new!r}")
    if appends and (data.get("faqs") or [])[-len(appends) :] != appends:
        raise ValueError("appended FAQs do not read back")
    lines = [(edit.tag, first, last) for edit, first, last in placed]
    if newline == "\r\n":
        new_text = new_text.replace("\n", "\r\n")
    return new_text, lines


# ---------------------------------------------------------------------------------------------
# Files


@dataclass(frozen=True)
class ExportResult:
    path: Path
    procedures: int
    faqs: int


@dataclass
class ImportReport:
    changes: list[Change] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # files changed on disk
    errors: list[ImportProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def messages(self) -> list[str]:
        """What the CLI prints, in Vietnamese."""
        return import_messages(self)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "written": self.written,
            "changes": [c.as_json() for c in self.changes],
            "errors": [e.as_json() for e in self.errors],
            "notices": self.notices,
        }


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)


def _procedure_files(content_dir: Path) -> dict[str, Path]:
    folder = content_dir / "procedures"
    files = sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml"))
    return {p.stem: p for p in files}


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # no newline translation: edits keep bytes as they are


def load_procedures(content_dir: Path) -> tuple[dict[str, dict[str, Any]], dict[str, str], list[ImportProblem]]:
    """Each procedure's data and text, by slug (its file name)."""
    data: dict[str, dict[str, Any]] = {}
    texts: dict[str, str] = {}
    problems: list[ImportProblem] = []
    for slug, path in _procedure_files(content_dir).items():
        try:
            text = _read(path)
            loaded = yt.load(text)
        except Exception as exc:  # a broken file is reported (YAML or encoding error); the rest still load
            problems.append(ImportProblem(f"Không đọc được tệp: {exc}", _display(path, content_dir), 1, 1))
            continue
        if isinstance(loaded, dict):
            data[slug], texts[slug] = loaded, text
    return data, texts, problems


def export_xlsx(content_dir: Path | str, path: Path | str) -> ExportResult:
    """Write the workbook; refuses (ContentError) when the content does not pass the check."""
    base, target = Path(content_dir), Path(path)
    report = check_content(base)
    if not report.ok:
        raise ContentError(report)
    procedures, _, _ = load_procedures(base)
    faq_rows, fact_rows = rows_from_content(procedures)

    book = Workbook()
    faq_sheet = book.active
    faq_sheet.title = FAQ_SHEET
    _fill_sheet(faq_sheet, FAQ_COLUMNS, faq_rows)
    _fill_sheet(book.create_sheet(FACTS_SHEET), FACT_COLUMNS, fact_rows)
    guide = book.create_sheet(GUIDE_SHEET)
    guide.column_dimensions["A"].width = 120
    for number, line in enumerate(GUIDE, start=1):
        guide.cell(number, 1, line).alignment = Alignment(wrap_text=True, vertical="top")
    guide["A1"].font = Font(bold=True, size=13)
    hidden = book.create_sheet(ORIGINAL_SHEET)
    hidden.sheet_state = "veryHidden"
    hidden.append(["sheet", "slug", "number", "values"])
    for sheet, columns, rows in ((FAQ_SHEET, FAQ_COLUMNS, faq_rows), (FACTS_SHEET, FACT_COLUMNS, fact_rows)):
        for row in rows:
            values = {c.key: _jsonable(row[c.key]) for c in columns if c.kind not in ("slug", "number")}
            hidden.append([sheet, row["slug"], row.get("number"), json.dumps(values, ensure_ascii=False)])
    book.active = 0

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        book.save(temp)
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return ExportResult(target, len(fact_rows), len(faq_rows))


def _fill_sheet(ws: Any, columns: tuple[Column, ...], rows: list[dict[str, Any]]) -> None:
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(1, index, column.header)
        cell.font, cell.fill = header_font, header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(index)].width = column.width
    for number, row in enumerate(rows, start=2):
        for index, column in enumerate(columns, start=1):
            value = row.get(column.key)
            if column.kind == "lines":
                value = "\n".join(value or [])
            elif column.kind == "bool":
                value = YES if value else NO if value is not None else None
            cell = ws.cell(number, index, value)
            if isinstance(value, str):
                cell.data_type = "s"  # text that starts with '=' is text, not a formula
                cell.number_format = "@"
            elif column.kind == "date":
                cell.number_format = "yyyy-mm-dd"
            cell.alignment = wrap
    key_column = len(columns) + 1
    ws.cell(1, key_column, ROW_KEY)
    for number, row in enumerate(rows, start=2):
        ws.cell(number, key_column, row_key(row["slug"], row.get("number"))).data_type = "s"
    ws.column_dimensions[get_column_letter(key_column)].hidden = True
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 2)}"
    bools = [get_column_letter(i) for i, c in enumerate(columns, start=1) if c.kind == "bool"]
    if bools:
        validation = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=False)
        validation.error = f"Chỉ ghi '{YES}' hoặc '{NO}'."
        ws.add_data_validation(validation)
        for letter in bools:
            validation.add(f"{letter}2:{letter}{max(len(rows) + 1, 2)}")


def import_xlsx(content_dir: Path | str, path: Path | str, today: dt.date | None = None) -> ImportReport:
    """Apply the workbook's edits to the content files, all or nothing, after the full check."""
    base = Path(content_dir)
    today = today or dt.date.today()
    report = ImportReport()
    rows = read_workbook(path)
    procedures, texts, load_problems = load_procedures(base)
    changes, problems, notices = diff_rows(procedures, rows, today)
    report.changes, report.notices = changes, notices
    report.errors.extend(rows.problems + problems + load_problems)
    if not changes or load_problems:
        return report

    files = _procedure_files(base)
    by_slug: dict[str, list[Change]] = {}
    for change in changes:
        by_slug.setdefault(change.slug, []).append(change)
    new_texts: dict[str, str] = {}
    spans: dict[str, list[tuple[Change, int, int]]] = {}
    for slug, slug_changes in by_slug.items():
        try:
            new_texts[slug], placed = apply_changes(texts[slug], slug_changes)
        except (ValueError, KeyError, TypeError) as exc:
            display = _display(files[slug], base)
            report.errors.append(ImportProblem(f"Không ghi được thay đổi vào tệp ({exc}).", display, 1, 1))
            continue
        spans[_display(files[slug], base)] = placed

    with tempfile.TemporaryDirectory(prefix="trolyao-import-") as temp:
        copy = Path(temp) / base.name
        for folder in ("procedures", "localities"):
            if (base / folder).is_dir():
                shutil.copytree(base / folder, copy / folder)
        for slug, text in new_texts.items():
            (copy / "procedures" / files[slug].name).write_bytes(text.encode("utf-8"))
        check = check_content(copy)
    for problem in check.errors:
        cell = _cell_for(spans.get(problem.file, []), problem.line)
        report.errors.append(ImportProblem(problem.message, problem.file, problem.line, problem.column, cell))
    if report.errors:
        return report

    for slug in new_texts:  # someone saved a file while we worked: start again rather than lose it
        if _read(files[slug]) != texts[slug]:
            report.errors.append(
                ImportProblem(
                    "Tệp vừa được sửa trong lúc nhập; hãy chạy lại lệnh nhập.", _display(files[slug], base), 1, 1
                )
            )
    if report.errors:
        return report
    for slug, text in new_texts.items():
        write_atomically(files[slug], text)
        report.written.append(_display(files[slug], base))
    return report


def _cell_for(placed: list[tuple[Change, int, int]], line: int) -> Cell | None:
    best: tuple[int, Cell] | None = None
    for change, first, last in placed:
        if change.cell is not None and first <= line <= last and (best is None or last - first < best[0]):
            best = (last - first, change.cell)
    return best[1] if best else None


# ---------------------------------------------------------------------------------------------
# Messages for the CLI (Vietnamese)


def export_message(result: ExportResult) -> str:
    return (
        f"Đã xuất {result.faqs} câu hỏi thường gặp và thông tin chính của {result.procedures} thủ tục ra "
        f"{result.path}.\nSửa trong Excel, lưu lại ở dạng .xlsx, rồi nhập lại bằng: "
        f".venv/bin/trolyao content import {result.path}"
    )


def content_error_lines(error: ContentError) -> list[str]:
    """When export is refused because the content has errors."""
    lines = [str(problem) for problem in error.report.errors]
    lines.append(f"Chưa xuất được: nội dung có {len(error.report.errors)} lỗi; sửa hết rồi xuất lại.")
    return lines


def import_messages(report: ImportReport) -> list[str]:
    if report.errors:
        lines = [str(e) for e in report.errors]
        lines.append(
            f"Không nhập được: có {len(report.errors)} lỗi. Chưa có tệp nào bị thay đổi; "
            "sửa các ô được nêu trong Excel rồi nhập lại."
        )
        return lines
    lines = list(report.notices)
    if not report.changes:
        lines.append("Không có thay đổi nào so với nội dung hiện tại; các tệp giữ nguyên.")
        return lines
    lines.extend(f"- {c.describe()}" for c in report.changes)
    lines.append(
        f"Đã nhập {len(report.changes)} thay đổi vào {len(report.written)} tệp; nội dung đã qua kiểm tra. "
        "Trợ lý dùng nội dung mới sau vài giây."
    )
    return lines
