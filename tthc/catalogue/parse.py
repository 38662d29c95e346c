"""Parse one record of the national portal's export into a CatalogueProcedure, faithfully.

    parse_record(data, ministry, source) -> Parsed     the procedure, or the problems that stop it
    read_record(path) -> dict                           one record file (raises RecordError)

The export's table cells run together ('Trực tuyến5 Ngày làm việcMiễn phí...') and the scrape cut
or ran on some fields where a heading's words occur in the text. The page's whole text
(raw_text) is split again by its structure (tthc.content.dvc_import.raw_sections) and each
section is read from it; the field is used where the page text has none. Tables are parsed with
the same functions as the draft import (parse_ways, split_documents, split_legal_basis,
parse_results). Nothing is invented: "Không có thông tin" and empty cells become None.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tthc.catalogue.model import (
    CHARGED,
    FREE,
    LEVELS,
    SEE_NOTE,
    CatalogueProcedure,
    Document,
    FeePeriod,
    LegalDocument,
    Way,
)
from tthc.content import dvc_import as dvc

NO_INFO = dvc.NO_INFO
CODE = re.compile(r"^\d\.\d{6}$")
URL = re.compile(r"^https://\S+$")

# Record fields a problem can name, as officers read them.
RECORD_FIELDS = {
    "ma_thu_tuc": "mã thủ tục",
    "ten_thu_tuc": "tên thủ tục",
    "detail_url": "đường dẫn trang chính thức",
    "cap_thuc_hien": "cấp thực hiện",
    "cach_thuc_thuc_hien": "cách thức thực hiện",
    "thanh_phan_ho_so": "thành phần hồ sơ",
    "can_cu_phap_ly": "căn cứ pháp lý",
    "ket_qua_xu_ly": "kết quả xử lý",
    "raw_text": "toàn văn trang",
}


class RecordError(ValueError):
    """A record file that cannot be read at all (not JSON, cut short, not a record)."""


@dataclass(frozen=True)
class Problem:
    """Something wrong with a record: the file, the record's field, and what, in Vietnamese."""

    file: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: trường {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


@dataclass
class Parsed:
    procedure: CatalogueProcedure | None
    problems: list[Problem] = field(default_factory=list)


def read_record(path: Path | str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RecordError(f"tệp không phải văn bản UTF-8 ({exc.reason}, byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        cut = " (tệp bị cắt cụt?)" if exc.pos >= len(exc.doc.rstrip()) - 1 else ""
        raise RecordError(f"JSON không hợp lệ ở dòng {exc.lineno}, cột {exc.colno}: {exc.msg}{cut}") from exc
    except OSError as exc:
        raise RecordError(f"không đọc được tệp: {exc.strerror}") from exc
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict):
        raise RecordError("tệp không chứa một bản ghi thủ tục (cần một đối tượng JSON)")
    return data


def clean(value: Any) -> str | None:
    """The text of a cell, or None when the record says nothing ('' or 'Không có thông tin')."""
    if not isinstance(value, str):
        return None
    text = dvc._clean(value).replace("\xa0", " ")
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text if text and text != NO_INFO else None


def parse_record(data: Mapping[str, Any], ministry: str, source: str = "", today: dt.date | None = None) -> Parsed:
    """The procedure a record describes, or None with the problems that stop it from being used."""
    reader = _Reader(data, source or str(data.get("ma_thu_tuc") or "?"))
    procedure = reader.procedure(ministry, today)
    if reader.problems:
        return Parsed(None, reader.problems)
    return Parsed(procedure, [])


class _Reader:
    def __init__(self, data: Mapping[str, Any], source: str) -> None:
        self.data = data
        self.source = source
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.from_raw: list[str] = []
        raw = data.get("raw_text")
        self.sections = dvc.raw_sections(raw, data) if isinstance(raw, str) and raw.strip() else {}

    def problem(self, key: str | None, message: str) -> None:
        self.problems.append(Problem(self.source, key, message))

    def text(self, key: str) -> str | None:
        """A field of the page: from the page's own text where it has this section, else the field."""
        value = clean(self.data.get(key))
        if key not in self.sections:
            return value
        section = clean(self.sections[key])
        if section != value and not (key == "ket_qua_xu_ly" and value and section and value.startswith(section)):
            self.from_raw.append(key)
        return section

    def procedure(self, ministry: str, today: dt.date | None) -> CatalogueProcedure | None:
        code, name, url = self._identity()
        if code is None or name is None or url is None:
            return None
        ways = self._ways()
        documents, document_notes = self._documents()
        legal = self._legal_basis()
        results, result_note, keywords = self._results()
        if self.problems:
            return None
        return CatalogueProcedure(
            code=code,
            name=name,
            detail_url=url,
            ministry=ministry,
            levels=self._levels(),
            field=self.text("linh_vuc"),
            applicants=_applicants(self.text("doi_tuong_thuc_hien")),
            agency=self.text("co_quan_thuc_hien"),
            authority=self.text("co_quan_co_tham_quyen"),
            address=self.text("dia_chi_tiep_nhan"),
            delegated=self.text("co_quan_duoc_uy_quyen"),
            coordinating=self.text("co_quan_phoi_hop"),
            decision=self.text("so_quyet_dinh"),
            kind=self.text("loai_thu_tuc"),
            related=self.text("thu_tuc_lien_quan"),
            ways=ways,
            documents=documents,
            document_notes=document_notes,
            legal_basis=legal,
            results=results,
            result_note=result_note,
            keywords=keywords,
            conditions=self.text("yeu_cau_dieu_kien"),
            steps=tuple(dvc.split_steps(self.text("trinh_tu_thuc_hien") or "")),
            from_raw=tuple(dict.fromkeys(k for k in self.from_raw if k not in ("ten_thu_tuc", "ma_thu_tuc"))),
            notes=tuple(dict.fromkeys(self.notes)),
            imported=today,
        )

    # -- identity ------------------------------------------------------------------------------

    def _identity(self) -> tuple[str | None, str | None, str | None]:
        code = clean(self.data.get("ma_thu_tuc"))
        name = clean(self.data.get("ten_thu_tuc")) or clean(self.sections.get("ten_thu_tuc"))
        url = clean(self.data.get("detail_url"))
        if code is None:
            self.problem("ma_thu_tuc", "bản ghi không có mã thủ tục")
        elif not CODE.match(code):
            self.problem("ma_thu_tuc", f"mã thủ tục '{code[:40]}' không đúng dạng (ví dụ 1.001193)")
            code = None
        if name is None:
            self.problem("ten_thu_tuc", "bản ghi không có tên thủ tục")
        if url is None or not URL.match(url):
            self.problem("detail_url", "bản ghi không có đường dẫn trang chính thức (https://...)")
            url = None
        page_code = clean(self.sections.get("ma_thu_tuc"))
        if code and page_code and page_code != code:
            self.problem(
                "raw_text",
                f"toàn văn trang là của thủ tục {page_code}, không phải {code}: bản ghi lấy nhầm trang, "
                "không dùng được nội dung của nó",
            )
            return None, None, None
        if not isinstance(self.data.get("raw_text"), str) or not self.sections:
            self.notes.append("bản ghi không có toàn văn trang (raw_text): chỉ dùng các trường")
        return code, name.replace("\n", " ") if name else None, url

    def _levels(self) -> tuple[str, ...]:
        text = self.text("cap_thuc_hien")
        if not text:
            return ()
        levels = []
        for part in (p.strip() for p in text.split(",")):
            if part in LEVELS:
                levels.append(LEVELS[part])
            elif part:
                self.notes.append(f"cấp thực hiện '{part}' không thuộc danh sách đã biết")
        order = list(LEVELS.values())
        return tuple(sorted(dict.fromkeys(levels), key=order.index))

    # -- tables --------------------------------------------------------------------------------

    def _ways(self) -> tuple[Way, ...]:
        text = self.text("cach_thuc_thuc_hien")
        if not text:
            return ()
        rows = dvc.parse_ways(text)
        if not rows:
            body = re.sub(r"^\s*Hình thức nộp\s*Thời gian\s*Phí, lệ phí\s*Mô tả", "", text).strip()
            if body:
                self.problem("cach_thuc_thuc_hien", f"không đọc được hàng nào của bảng (bắt đầu: '{body[:60]}')")
            return ()
        ways = []
        for row in rows:
            time = clean(row.time)
            fee = clean(row.fee)
            note = clean(row.fee_note)
            description = clean(row.description)
            if row.uncertain:
                self.notes.append(f"cách thức thực hiện, {row.channel}: {row.uncertain}")
            ways.append(
                Way(
                    channel=row.channel,
                    time=time,
                    fee=fee,
                    fee_note=note,
                    fee_status=fee_status(fee, note),
                    fee_periods=fee_periods(note, description),
                    description=description,
                    uncertain=row.uncertain or None,
                )
            )
        return tuple(ways)

    def _documents(self) -> tuple[tuple[Document, ...], tuple[str, ...]]:
        text = self.text("thanh_phan_ho_so")
        if not text or not text.strip("-* \n"):
            return (), ()
        rows, remarks = dvc.split_documents(text)
        if not rows and not remarks:
            self.problem("thanh_phan_ho_so", f"không đọc được giấy tờ nào của bảng (bắt đầu: '{text[:60]}')")
            return (), ()
        documents = []
        for row in rows:
            name = clean(row.name)
            if not name:
                continue
            forms = tuple(dvc.split_forms(row.form)) if row.form else ()
            if not row.quantity:
                self.notes.append(f"thành phần hồ sơ: giấy tờ '{name[:60]}' không có số lượng (trang bị cắt)")
            documents.append(Document(name, forms, row.quantity or None, clean(row.group)))
        return tuple(documents), tuple(r for r in (clean(x) for x in remarks) if r)

    def _legal_basis(self) -> tuple[LegalDocument, ...]:
        text = self.text("can_cu_phap_ly")
        if not text:
            return ()
        body = re.sub(r"^\s*Tên văn bản pháp lý\s*Mã văn bản", "", text).strip()
        if not body:
            return ()
        entries = []
        for title, number in dvc.split_legal_basis(text):
            title = _legal_title(title, number)
            if title or number:
                entries.append(LegalDocument(title or number or "", number))
        if not entries:
            self.problem("can_cu_phap_ly", f"không đọc được văn bản nào (bắt đầu: '{body[:60]}')")
        return tuple(dict.fromkeys(entries))

    def _results(self) -> tuple[tuple[str, ...], str | None, str | None]:
        text = self.text("ket_qua_xu_ly")
        results = []
        for name in dvc.parse_results(text or ""):
            name = re.sub(r"^[-+*•.\s]+", "", name).strip()
            if name and name != NO_INFO:
                results.append(name)
        if "tu_khoa" in self.sections:
            keywords, note = clean(self.sections["tu_khoa"]), clean(self.sections.get("mo_ta"))
        else:
            extra_keywords, extra_note = dvc.result_extras(clean(self.data.get("ket_qua_xu_ly")) or "")
            keywords, note = extra_keywords or None, extra_note or None
        return tuple(dict.fromkeys(results)), note, keywords


def _applicants(text: str | None) -> tuple[str, ...]:
    """'Tổ chức (không bao gồm doanh nghiệp, HTX), Cán bộ, công chức, viên chức' -> two applicants."""
    if not text:
        return ()
    parts: list[str] = []
    depth = 0
    current = ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    merged: list[str] = []
    for part in parts:
        if merged and part[:1].islower():  # 'Cán bộ, công chức, viên chức' is one category
            merged[-1] = f"{merged[-1]}, {part}"
        elif part:
            merged.append(part)
    return tuple(dict.fromkeys(merged))


def _legal_title(title: str, number: str | None) -> str:
    title = re.sub(r"\s+", " ", title).strip(" .;,")
    kinds = "|".join(dvc._DOC_TYPES)
    glued = re.match(r"(.+?)\s*(" + kinds + r")(?: số)?$", title)
    if number and glued and not title.startswith(glued.group(2)):
        # 'về việc ... chứng thựcNghị định số' + '06/2012/NĐ-CP': the type belongs to the number cell
        title = f"{glued.group(2)} {glued.group(1)}"
    return title


# ---------------------------------------------------------------------------------------------
# Fees

# A "Miễn phí" cell whose note only repeats it is free; any other note (a fee set by the province,
# amounts, cases) means the cell must not be read as "free".
_FREE_NOTE = re.compile(
    r"^(?:không|không có|không thu|không thu phí|không thu phí, lệ phí|miễn phí|miễn|0 đồng)[.;]?$", re.I
)


def fee_status(fee: str | None, note: str | None) -> str | None:
    if fee is None:
        return SEE_NOTE if note else None
    if fee == "Miễn phí":
        return FREE if note is None or _FREE_NOTE.match(note.strip()) else SEE_NOTE
    return CHARGED


_DATE = r"(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})|(\d{1,2}) tháng (\d{1,2}) năm (\d{4})"
_FROM = re.compile(r"\btừ\s+(?:ngày\s+)?(?:" + _DATE + ")", re.I)
_UNTIL = re.compile(r"\bđến\s+(?:hết\s+)?(?:ngày\s+)?(?:" + _DATE + ")", re.I)


def _date(match: re.Match[str]) -> dt.date | None:
    groups = [g for g in match.groups() if g is not None]
    try:
        day, month, year = (int(g) for g in groups[:3])
        return dt.date(year, month, day)
    except ValueError:
        return None


def fee_periods(note: str | None, description: str | None = None) -> tuple[FeePeriod, ...]:
    """Clauses of the fee note (and fee sentences of the description) that state dates of a rate."""
    periods = []
    sources = [note or ""] + [s for s in _clauses(description or "") if re.search(r"phí", s, re.I)]
    for text in sources:
        for clause in _clauses(text):
            start, until = _FROM.search(clause), _UNTIL.search(clause)
            if not (start or until):
                continue
            periods.append(FeePeriod(clause, _date(start) if start else None, _date(until) if until else None))
    return tuple(dict.fromkeys(periods))


def _clauses(text: str) -> list[str]:
    """Sentences and list items of a note, never cut inside brackets."""
    clauses: list[str] = []
    depth = 0
    current = ""
    index = 0
    while index < len(text):
        char = text[index]
        depth += char in "(“"
        depth -= char in ")”"
        depth = max(depth, 0)
        ends = depth == 0 and (
            char in ";\n"
            or (char == "." and text[index + 1 : index + 2] in (" ", "") and not text[index - 1 : index].isdigit())
        )
        bullet = (
            depth == 0 and char in "-+*" and text[index + 1 : index + 2] == " " and text[index - 1 : index] in (" ", "")
        )
        if bullet and current.strip():
            clauses.append(current.strip())
            current = ""
        current += char
        if ends:
            clauses.append(current.strip())
            current = ""
        index += 1
    if current.strip():
        clauses.append(current.strip())
    return [c.strip(" -+*;") for c in clauses if c.strip(" -+*;.")]
