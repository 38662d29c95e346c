"""Turn a record of the national public-service portal (Cổng DVCQG) into a DRAFT procedure file.

    draft_from_dvc(record, slug, today) -> str          the draft's YAML text (pure)
    import_dvc(json_path, content_dir, slug=None, output=None) -> Path

The portal's records are page scrapes: table cells run together, some fields are cut (their full
text is in `raw_text`). The draft splits steps, documents, legal basis, result, processing time
and fees out of that text as well as it can, and writes only what the record says. It is marked
`verified: false`, explains in `notes` what the officer must check, and carries no FAQs: they
are a commented TODO block, so `trolyao content check` fails on the draft (on `faqs` only) until
an officer has written them. Mentions of the district level ("cấp huyện"), which no longer exists
since 1 July 2025, are left out of the fields and listed in `notes`.

Drafts go to content/drafts/<slug>.yml, which the assistant never reads.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tthc.content import yamltext as yt
from tthc.content.live import write_atomically
from tthc.content.schema import DISTRICT_LEVEL, PATTERNS
from tthc.text.normalize import strip_accents

NO_INFO = "Không có thông tin"
PORTAL = "Cổng Dịch vụ công quốc gia"

# Headings of the portal page, in the order they appear in raw_text.
_RAW_HEADINGS = {
    "trinh_tu_thuc_hien": "Trình Tự Thực Hiện",
    "cach_thuc_thuc_hien": "Cách Thức Thực Hiện",
    "thanh_phan_ho_so": "Thành phần hồ sơ",
    "can_cu_phap_ly": "Căn cứ pháp lý",
    "co_quan_thuc_hien": "Cơ quan thực hiện",
    "yeu_cau_dieu_kien": "Yêu cầu, điều kiện thực hiện",
    "ket_qua_xu_ly": "Kết quả xử lý",
}
_FIELD_NAMES = {
    "trinh_tu_thuc_hien": "trình tự thực hiện",
    "cach_thuc_thuc_hien": "cách thức thực hiện",
    "thanh_phan_ho_so": "thành phần hồ sơ",
    "can_cu_phap_ly": "căn cứ pháp lý",
    "ket_qua_xu_ly": "kết quả",
}

_DOC_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
_STEP_WORD = re.compile(r"^[-+*•]?\s*Bước\s*\d+\s*[:.]?\s*", re.I)
_MARKERS = [
    re.compile(r"^-\s*"),
    re.compile(r"^\+\s*"),
    re.compile(r"^\*\s*"),
    re.compile(r"^•\s*"),
    re.compile(r"^[a-zđ]\)\s*"),
    re.compile(r"^\d+[.)]\s+"),
    re.compile(r"^\((?:[ivx]+|\d+)\)\s*"),
]

# Document numbers: 123/2015/NĐ-CP, 60/2014/QH13, 66.7/2025/NQ-CP, 09/2015/TTLT-BCA-BYT-BTC ...
_DOC_NUMBER = re.compile(
    r"(?<![/])(\d{1,4}(?:\.\d+|\.?[a-z])?/\d{4}/(?:[A-ZĐ]*QH\d{2}|[A-ZĐ]+(?:-(?:TTg|[A-ZĐ]*QH\d{2}|[A-ZĐ]+))*))"
)
_GLUED_WORD = re.compile(r"(\d{4}/[A-ZĐ-]*[A-ZĐ])([^\W\d_])")  # '53/2025/TT-BCAngày' -> '... TT-BCA ngày'
_ISSUERS = {
    "CP",
    "TTg",
    "QH",
    "BTC",
    "BCA",
    "BTP",
    "BYT",
    "BXD",
    "BTNMT",
    "BNNMT",
    "BNNPTNT",
    "BLĐTBXH",
    "BNV",
    "BGTVT",
    "BKHĐT",
    "BCT",
    "BTTTT",
    "BKHCN",
    "BGDĐT",
    "BVHTTDL",
    "BNG",
    "BQP",
    "NHNN",
    "VPCP",
    "HĐND",
    "UBND",
    "TANDTC",
    "VKSNDTC",
    "NĐ",
    "TT",
    "TTLT",
    "NQ",
    "QĐ",
    "BDTTG",
    "KTNN",
    "BHXH",
}
_DOC_TYPES = ("Thông tư liên tịch", "Thông tư", "Nghị định", "Nghị quyết", "Quyết định", "Luật", "Pháp lệnh", "Chỉ thị")

# A row of 'Cách thức thực hiện': channel, time, fee cell, run together ('Trực tuyến5 Ngày làm
# việcMiễn phí(...)Mô tả...'). The time cell is a figure with its unit, "Không có thông tin", or a
# short sentence ('Không phải trả kết quả cho người nộp thuế'); it starts right after the channel,
# which is how a row differs from a channel named in a description ('Trực tuyến: nộp qua ...').
_CHANNEL = r"(Trực tuyến|Trực tiếp|Dịch vụ bưu chính)"
_FEE_CELL = r"(?:Miễn phí|Không có thông tin|\d[\d.,]*\s*(?:Việt Nam Đồng|VNĐ|VND|USD|EUR|Đồng|đồng))"
_TIME_UNIT = r"(?:Ngày làm việc|Ngày|Giờ làm việc|Giờ|Tháng|Năm|Tuần|Phút)"
_TIME = (
    r"(Không có thông tin|\d+(?:[.,]\d+)?(?: " + _TIME_UNIT + r")?"
    r"|(?=[^\W\d_])(?:(?!" + _CHANNEL[1:-1] + "|" + _FEE_CELL + r")[^\n\d]){1,160}?)"
)
_FEE = "(" + _FEE_CELL + ")"
_WAY_ROW = re.compile(_CHANNEL + _TIME + _FEE)
_WAYS_HEADER = re.compile(r"^\s*Hình thức nộp\s*Thời gian\s*Phí, lệ phí\s*Mô tả")
_ENUMERATOR = re.compile(r"\((?:\d{1,2}|[a-zđ]|[ivx]{1,4})\)")  # '(1) Trường hợp ...' opens a description
_MONEY = re.compile(r"(\d{1,3}(?:\.\d{3})+|\d+)\s*(?:đồng|đ\b|VNĐ)", re.I)
# Wider than the checker's rule: a draft also flags a cut "cấp huy..." and any district ("huyện",
# "quận"); none of them exists since 1 July 2025.
_DISTRICT = re.compile(r"huyện|cấp huy\b|\bquận\b", re.I)
_CHANNEL_LABELS = {
    "Trực tuyến": "nộp trực tuyến",
    "Trực tiếp": "nộp trực tiếp",
    "Dịch vụ bưu chính": "nộp qua bưu chính",
}


# ---------------------------------------------------------------------------------------------
# Reading the record


def _clean(text: Any) -> str:
    text = unicodedata.normalize("NFC", str(text or "")).replace("\xa0", " ").replace("\t", " ")
    text = re.sub(r"[ ]{2,}", " ", text)
    return text.strip()


def _meaningful(text: str) -> bool:
    return bool(text) and text != NO_INFO


# Labels of the page's header block, in page order, each followed by its value.
_RAW_LABELS = (
    ("ten_thu_tuc", "Tên thủ tục"),
    ("ma_thu_tuc", "Mã thủ tục"),
    ("so_quyet_dinh", "Số quyết định"),
    ("cap_thuc_hien", "Cấp thực hiện"),
    ("loai_thu_tuc", "Loại thủ tục"),
    ("linh_vuc", "Lĩnh vực"),
    ("doi_tuong_thuc_hien", "Đối tượng thực hiện"),
    ("co_quan_co_tham_quyen", "Cơ quan có thẩm quyền"),
    ("dia_chi_tiep_nhan", "Địa chỉ tiếp nhận HS"),
    ("co_quan_duoc_uy_quyen", "Cơ quan được ủy quyền"),
    ("co_quan_phoi_hop", "Cơ quan phối hợp"),
    ("thu_tuc_lien_quan", "Thủ tục hành chính liên quan"),
)
_PAGE_TAIL = ("Từ khóa", "Chọn cơ quan thực hiện")
_DOCS_TABLE = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"


def raw_sections(raw: str, record: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The text under each heading of the page (raw_text), by field name.

    A heading's words also occur inside other sections ('Thành phần hồ sơ phải được kê khai...'
    in the steps, 'Căn cứ pháp lý: Thông tư...' in a fee note, '11.10. Yêu cầu, điều kiện thực
    hiện' in the conditions), which is how the scrape cut some fields short or ran them on. So
    each heading is taken where the page's structure puts it: the header labels in order from the
    top; the legal basis where its table or "Không có thông tin" follows, then the agency and the
    conditions right after it, the results last; the documents' heading after the last row of
    the ways table. `record`'s own fields only break a tie between equally placed headings.
    """
    raw = raw.replace("\xa0", " ")
    fields = {k: _clean(v) for k, v in (record or {}).items() if isinstance(v, str)}
    starts: dict[str, int] = {}  # field -> where its text starts
    labels = {**dict(_RAW_LABELS), **_RAW_HEADINGS}

    def found(key: str, position: int) -> int:
        if position >= 0:
            starts[key] = position + len(labels[key])
        return position

    cursor = 0
    for key, label in _RAW_LABELS:
        if found(key, raw.find(label, cursor)) >= 0:
            cursor = starts[key]
    if found("trinh_tu_thuc_hien", raw.find(labels["trinh_tu_thuc_hien"], cursor)) >= 0:
        cursor = starts["trinh_tu_thuc_hien"]
    ways_at = _occurrences(raw, labels["cach_thuc_thuc_hien"], cursor, len(raw))
    ways_at = [p for p in ways_at if raw.startswith("Hình thức nộp", p + len(labels["cach_thuc_thuc_hien"]))] or ways_at
    if ways_at:
        found("cach_thuc_thuc_hien", ways_at[0])
        cursor = starts["cach_thuc_thuc_hien"]

    end = len(raw)
    for tail in _PAGE_TAIL:
        if raw.rfind(tail, cursor) >= 0:
            end = raw.rfind(tail, cursor)
            break
    heading = labels["can_cu_phap_ly"]
    legal_at = _occurrences(raw, heading, cursor, end)
    opening = ("Tên văn bản pháp lý", NO_INFO, labels["co_quan_thuc_hien"])
    fitting = [p for p in legal_at if raw.startswith(opening, p + len(heading))]
    legal = found("can_cu_phap_ly", (fitting or legal_at or [-1])[-1])
    after = starts.get("can_cu_phap_ly", cursor)
    agency = found("co_quan_thuc_hien", raw.find(labels["co_quan_thuc_hien"], after, end))
    after = starts.get("co_quan_thuc_hien", after)
    if found("yeu_cau_dieu_kien", raw.find(labels["yeu_cau_dieu_kien"], after, end)) >= 0:
        found("ket_qua_xu_ly", raw.rfind(labels["ket_qua_xu_ly"], starts["yeu_cau_dieu_kien"], end))

    docs_end = next((p for p in (legal, agency) if p >= 0), end)
    table = raw.find(_DOCS_TABLE, cursor, docs_end)
    docs_at = _occurrences(raw, labels["thanh_phan_ho_so"], cursor, table if table >= 0 else docs_end)
    rows = way_rows(raw[cursor:docs_end])
    last_row = cursor + rows[-1].end() if rows else cursor
    placed = [p for p in docs_at if p >= last_row] or docs_at[-1:]
    if len(placed) > 1 and _meaningful(fields.get("thanh_phan_ho_so", "")):
        probe = fields["thanh_phan_ho_so"][:40]
        heading = labels["thanh_phan_ho_so"]
        matching = [p for p in placed if raw[p + len(heading) : p + len(heading) + 60].lstrip().startswith(probe)]
        placed = matching or placed
    if placed:
        found("thanh_phan_ho_so", placed[0])

    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    sections: dict[str, str] = {}
    for index, (key, begin) in enumerate(ordered):
        if index + 1 < len(ordered):
            next_key, next_begin = ordered[index + 1]
            stop = next_begin - len(labels[next_key])
        else:
            stop = end
        sections[key] = raw[begin:stop].strip()
    if raw.startswith(_PAGE_TAIL[0], end):  # the results' keywords and description
        tail = raw[end + len(_PAGE_TAIL[0]) :]
        footer = tail.find(_PAGE_TAIL[1])
        keywords, _, description = tail[: footer if footer >= 0 else len(tail)].partition("Mô tả")
        sections["tu_khoa"], sections["mo_ta"] = keywords.strip(), description.strip()
    return sections


def _occurrences(text: str, word: str, begin: int, end: int) -> list[int]:
    positions = []
    position = text.find(word, begin, end)
    while position >= 0:
        positions.append(position)
        position = text.find(word, position + 1, end)
    return positions


@dataclass
class _Draft:
    """What the import learned, and what the officer must be told."""

    record: dict[str, Any]
    district: list[str] = field(default_factory=list)  # where the record still speaks of 'cấp huyện'
    checks: list[str] = field(default_factory=list)  # other things to check
    from_raw: list[str] = field(default_factory=list)  # fields completed from raw_text

    def text(self, key: str) -> str:
        """A field of the record; from raw_text when the field is empty or looks cut."""
        value = _clean(self.record.get(key))
        raw = raw_sections(str(self.record.get("raw_text") or "")).get(key, "")
        raw = _clean(raw)
        if not _meaningful(value):
            if raw and _meaningful(raw):
                self.from_raw.append(_FIELD_NAMES.get(key, key))
                return raw
            return ""
        if raw and len(raw) > len(value) + 20 and raw.startswith(value[:60]):
            self.from_raw.append(_FIELD_NAMES.get(key, key))
            return raw
        return value

    def keep(self, text: str, where: str) -> str:
        """The text without its sentences that send people to the district level."""
        if not (DISTRICT_LEVEL.search(text) or _DISTRICT.search(text)):
            return text
        sentences = re.split(r"(?<=[.;!?])\s+", text)
        kept = [s for s in sentences if not (DISTRICT_LEVEL.search(s) or _DISTRICT.search(s))]
        self.district.append(where)
        return " ".join(kept).strip()


# ---------------------------------------------------------------------------------------------
# Splitting the text


def _strip_marker(line: str) -> str:
    line = _STEP_WORD.sub("", line)
    for marker in _MARKERS:
        line = marker.sub("", line, count=1)
    return line.strip()


def _marker_of(line: str) -> int | None:
    for index, marker in enumerate(_MARKERS):
        if marker.match(line):
            return index
    return None


def split_steps(text: str) -> list[str]:
    """Steps: 'Bước N' lines when there are some, else lines with the first line's bullet."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not lines:
        return []
    if sum(bool(_STEP_WORD.match(line)) for line in lines) >= 2:
        starts = [bool(_STEP_WORD.match(line)) for line in lines]
    else:
        first = _marker_of(lines[0])
        starts = [True] * len(lines) if first is None else [_marker_of(line) == first for line in lines]
    steps: list[str] = []
    for line, start in zip(lines, starts):
        if start or not steps:
            steps.append(_strip_marker(line) if start else line)
        else:
            steps[-1] = f"{steps[-1]} {line}".strip()
    return [s for s in (step.strip() for step in steps) if s]


@dataclass(frozen=True)
class Document:
    name: str
    quantity: str
    form: str | None = None
    group: str | None = None


def split_documents(text: str) -> tuple[list[Document], list[str]]:
    """Documents from the flattened table (name, form file, quantity), and the 'Lưu ý' remarks."""
    documents: list[Document] = []
    remarks: list[str] = []
    parts = text.split(_DOC_HEADER)
    if len(parts) == 1:
        parts = ["", text]
    title = _group_title(parts[0])
    for index, part in enumerate(parts[1:], start=1):
        cells = quantity_cells(part)
        bounds = [0] + [end for _, end, _ in cells]
        pieces = [part[bounds[i] : start] for i, (start, _, _) in enumerate(cells)] + [part[bounds[-1] :]]
        for piece, (_, _, quantity) in zip(pieces, cells):
            name, form = _split_form(piece)
            name = _strip_marker(_clean(name))
            if not name:
                continue
            if re.match(r"lưu ý", title, re.I) or re.match(r"lưu ý\s*:", name, re.I):
                remarks.append(name)
                continue
            documents.append(Document(name, quantity, form, title or None))
        if index < len(parts) - 1:
            title = _group_title(pieces[-1])  # the next group's title, glued after the last quantity
        else:
            leftover = _strip_marker(_clean(pieces[-1]).strip("-").strip())
            if leftover:  # a row cut before its quantity
                documents.append(Document(leftover, "", None, title or None))
    return documents, remarks


# The quantity cell is one digit per kind: '1 bản chính', '0 bản chính,1 bản sao', '2 bản sao'. It is
# glued to the name before it, even to digits ('theo Mẫu số 01' + '1 bản chính' reads 'Mẫu số 011 bản
# chính'), and to the next row after it. '01 bản sao có chứng thực ...', '(01 bản chính)' are words
# of a name, not a cell.
_QUANTITY_CELL = re.compile(r"(\d) bản (chính|sao)(?:\s*,\s*(\d) bản sao)?")


def quantity_cells(text: str) -> list[tuple[int, int, str]]:
    """(start, end, quantity text) of each quantity cell in a flattened documents table."""
    cells = []
    for match in _QUANTITY_CELL.finditer(text):
        start, end = match.span()
        run = text[:start][len(text[:start].rstrip("0123456789")) :]  # digits glued before the quantity's digit
        before = text[start - len(run) - 1] if start - len(run) > 0 else " "
        if run == "0" and (before.isspace() or before == "("):
            continue  # '(01 bản chính)', '+ 01 bản sao ...': a count written in a name
        following = text[end : end + 3]
        if re.match(r"\s+[^\W\d_]", following) and following.lstrip()[:1].islower():
            continue  # '... 1 bản chính văn bản ...': words of a sentence
        quantity = f"{match.group(1)} bản {match.group(2)}"
        if match.group(3):
            quantity += f", {match.group(3)} bản sao"
        cells.append((start, end, quantity))
    return cells


def _group_title(text: str) -> str:
    title = _clean(text).strip("-").strip()
    title = re.sub(r"^[*•\s]+", "", title).rstrip(":").strip()
    return title


_FORM_EXTENSION = re.compile(r"\.(?:docx?|pdf|xlsx?|rtf|odt)(?:\.(?:docx?|pdf))?\s*$", re.I)


def _split_form(piece: str) -> tuple[str, str | None]:
    """'Đơn đề nghị ...;Mau01-ĐN(BHYT).doc' -> ('Đơn đề nghị ...;', 'Mau01-ĐN(BHYT).doc').

    The file name is glued to the text before it: it starts after the last ';', ')' or '.' (or ','
    and ':' before a capital, or a sentence's last word before a capital) that is followed by no
    space, leaves a whole name (brackets closed) and is not a dot inside a code ('PHLC1.TT06
    (QĐ.3730).doc')."""
    extension = _FORM_EXTENSION.search(piece)
    if not extension:
        return piece, None
    stop = extension.start()
    for glue in range(stop - 1, max(-1, stop - 200), -1):
        char = piece[glue]
        if _camel_glue(piece, glue):
            stem = piece[glue + 1 : stop]
            if _balanced(stem):
                return piece[: glue + 1], _clean(piece[glue + 1 :]) or None
            continue
        if char not in ".;),:" or glue + 1 >= len(piece) or piece[glue + 1].isspace():
            continue
        if char in ",:" and not piece[glue + 1].isupper():
            continue  # '1,5', 'a,b': not where a name was glued
        stem = piece[glue + 1 : stop]
        if char == "." and _FORM_EXTENSION_START.match(piece, glue):
            continue  # the end of another form's name: 'Mau06.docxMau08.docx'
        if len(stem.strip()) < 2 or stem[0] in ".,;)(" or not _balanced(stem):
            continue
        if char == "." and glue > 0 and piece[glue - 1].isdigit():
            continue  # 'PHLC1.TT06': a dot inside a code
        return piece[: glue + 1], _clean(piece[glue + 1 :]) or None
    return piece, None


def _camel_glue(text: str, index: int) -> bool:
    """'... tại Việt NamMẫu số 06.docx': a sentence's last word glued to a capitalised file name.
    Not 'MauDanhsach.docx', where the lower-case run is itself inside the file name."""
    if not (text[index].islower() and index + 1 < len(text) and text[index + 1].isupper()):
        return False
    start = index
    while start > 0 and text[start - 1].isalpha() and text[start - 1].islower():
        start -= 1
    if start > 0 and text[start - 1].isupper():
        start -= 1  # 'Nam' in 'Việt NamMẫu'
    return start == 0 or text[start - 1] == " "


_FORM_EXTENSION_START = re.compile(r"\.(?:docx?|pdf|xlsx?|rtf|odt)(?=\S)", re.I)


def split_forms(form: str) -> list[str]:
    """'Mau06.docxMau08.docx' -> ['Mau06.docx', 'Mau08.docx']: several forms of one row."""
    names = re.split(r"(?<=\.docx)(?=\S)|(?<=\.doc)(?=[^\sx])|(?<=\.pdf)(?=\S)|(?<=\.xlsx)(?=\S)", form, flags=re.I)
    forms: list[str] = []
    for name in (n.strip(" ,;") for n in names):
        if forms and re.fullmatch(r"\.\w+", name):
            forms[-1] += name  # 'Bao cao.docx.docx': a doubled extension, one file
        elif name:
            forms.append(name)
    return forms


def _issuer_fix(code: str, following: str) -> str:
    """Undo capitals of the next title glued to a number: '.../NĐ-CPThông' -> 'NĐ-CP',
    '.../NĐ-CPLUẬT' (read as 'NĐ-CPLU') -> 'NĐ-CP'."""
    last = re.split(r"[-/]", code)[-1]
    if last not in _ISSUERS and not re.fullmatch(r"[A-ZĐ]*QH\d{2}", last):
        known = [i for i in _ISSUERS if len(i) >= 2 and last.startswith(i) and len(last) > len(i)]
        if known:  # an upper-case title glued on: the issuer is the longest known start
            return code[: len(code) - len(last) + len(max(known, key=len))]
    if not following or not following[0].islower():
        return code
    if last in _ISSUERS or re.fullmatch(r"(?:UBTV)?QH\d{2}", last) or len(last) < 2:
        return code  # '.../TT-BCAhông' is a gap in the page text, not a glued capital
    return code[:-1]


def _find_numbers(body: str) -> list[tuple[int, int, str]]:
    """Document numbers with their positions, undoing the glue of cells run together."""
    found = []
    for match in _DOC_NUMBER.finditer(body):
        begin = match.start(1)
        code = _issuer_fix(match.group(1), body[match.end(1) : match.end(1) + 1])
        digits = re.search(r"\d+$", body[:begin])
        if digits:  # '... Luật Doanh nghiệp 2020' + '76/2025/QH15' reads as 2076/2025/QH15
            joined = digits.group(0) + code.split("/", 1)[0]
            year = re.match(r"(?:19|20)\d\d", joined)
            if year and len(joined) > 4:
                cut = 4 - len(digits.group(0))
                if cut > 0:
                    begin += cut
                    code = code[cut:]
        found.append((begin, begin + len(code), code))
    return found


def split_legal_basis(text: str) -> list[tuple[str, str | None]]:
    """'Tên văn bảnMã văn bản' rows as (title cell, number cell): each title is followed by its
    number, run together; a title whose number the page left out has None."""
    body = re.sub(r"^\s*Tên văn bản pháp lý\s*Mã văn bản", "", text).strip()
    rows: list[tuple[str, str | None]] = []
    start = 0
    repeated = r"\s*(?:(?:" + "|".join(_DOC_TYPES) + r")(?: số)?\s*)?"
    for begin, end, code in _find_numbers(body):
        after = body[end : end + 2]
        glued_before = begin > 0 and not body[begin - 1].isspace()
        if re.match(repeated + re.escape(code) + r"(?![\d/])", body[end:]):
            continue  # 'Nghị định 101/2024/NĐ-CP' + 'Nghị định 101/2024/NĐ-CP': the number cell repeats the title
        if not body[end:].strip():
            boundary = True  # the last number closes the last row
        elif after[0].isupper():
            boundary = True  # the next title is glued to the number cell
        elif after[0].isalpha():  # '53/2025/TT-BCAngày ...': glued inside a title, unless it closes one
            boundary = glued_before or code in body[start:begin]
        elif glued_before:
            boundary = after[0].isdigit() or (after[0].isspace() and _starts_title(body[end:]))
        else:
            boundary = False  # a number quoted inside a title
        if not boundary:
            continue
        title = re.sub(r"\s+", " ", body[start:begin]).strip()
        if code in title:  # the number cell may repeat the type: '...Bộ Tư phápThông tư số 03/2023/TT-BTP'
            title = re.sub(r"(?:" + "|".join(_DOC_TYPES) + r")(?: số)?\s*$", "", title).strip()
        rows.append((_unglue(title), code))
        start = end
    tail = re.sub(r"\s+", " ", body[start:]).strip()
    if tail:
        rows.append((_unglue(tail), None))  # a title whose number the page left out
    return rows


def _unglue(text: str) -> str:
    return _GLUED_WORD.sub(lambda m: m.group(1) + (" " if m.group(2).islower() else "") + m.group(2), text)


def parse_legal_basis(text: str) -> list[str]:
    """The legal basis as readable entries: 'Thông tư 85/2019/TT-BTC Hướng dẫn về phí và lệ phí'."""
    entries = [_unglue(_legal_entry(title, code)) if code else title for title, code in split_legal_basis(text)]
    bare = [e for e in entries if _DOC_NUMBER.fullmatch(e) and any(e in other and e != other for other in entries)]
    return [e for e in dict.fromkeys(entries) if e and e not in bare]


def _starts_title(text: str) -> bool:
    stripped = text.lstrip()
    return bool(stripped) and stripped[0].isupper()


def _legal_entry(title: str, code: str) -> str:
    title = title.strip(" .;,")
    if not title:
        return code
    if code in title:
        return title
    if _DOC_NUMBER.search(title):  # the title names its own number, differently written
        return f"{title} ({code})"
    glued = re.match(r"(.*?)\s*(" + "|".join(_DOC_TYPES) + r")(?: số)?$", title)
    if glued and glued.group(1):  # 'về việc ... chứng thựcNghị định số' + '06/2012/NĐ-CP'
        return f"{glued.group(2)} {code} {glued.group(1)}"
    for kind in _DOC_TYPES:
        if title.startswith(kind + " ") or title == kind:
            rest = title[len(kind) :].strip()
            return f"{kind} {code}" + (f" {rest}" if rest else "")
    return f"{title} ({code})"


# 'Kết quả xử lý' lists each result's name followed by 'Mã: <code>' ('KQ.G15.000033', 'G19-KQ006178',
# 'VBTT'), the next name glued to the code; then 'Từ khóa', 'Mô tả' and the page's footer.
_RESULT_CODE = re.compile(
    r"Mã:\s*(?:(?:[A-Za-zĐ]*\d*[.\-_])*[A-Za-zĐ]*\d+|[A-Z]{2,}(?=[A-ZĐ][a-zà-ỹ])|[A-Za-z]+(?=Từ khóa|$))?"
)
_PAGE_FOOTER = re.compile(r"Chọn cơ quan thực hiện.*$", re.S)


def parse_results(text: str) -> list[str]:
    body = re.split(r"Từ khóa", text, maxsplit=1)[0]
    names = _RESULT_CODE.split(body)
    return [_clean(n) for n in names if _clean(n)]


def result_extras(text: str) -> tuple[str, str]:
    """The page's 'Từ khóa' (keywords) and 'Mô tả' (description) after the results, '' when none."""
    _, _, tail = text.partition("Từ khóa")
    tail = _PAGE_FOOTER.sub("", tail)
    keywords, _, description = tail.partition("Mô tả")
    keywords, description = _clean(keywords), _clean(description)
    return (keywords if _meaningful(keywords) else ""), (description if _meaningful(description) else "")


@dataclass(frozen=True)
class Way:
    """One row of 'Cách thức thực hiện': a channel with its time limit and fee."""

    channel: str
    time: str
    fee: str
    fee_note: str
    description: str
    uncertain: str = ""  # why the split of this row's cells is a guess ('' when it is not)


def way_rows(text: str) -> list[re.Match[str]]:
    """The rows' starts (channel, time, fee) in the flattened table, in order."""
    rows = []
    for match in _WAY_ROW.finditer(text):
        time = match.group(2)
        if not (time[0].isdigit() or time[0].isupper()):
            continue  # 'Trực tiếp tại ...': a channel named inside a description
        rows.append(match)
    return rows


def parse_ways(text: str) -> list[Way]:
    body = _WAYS_HEADER.sub("", text)
    rows = way_rows(body)
    ways: list[Way] = []
    for index, match in enumerate(rows):
        end = rows[index + 1].start() if index + 1 < len(rows) else len(body)
        rest = body[match.end() : end]
        fee_note = ""
        if rest.startswith("(") and not _ENUMERATOR.match(rest):
            depth = 0
            for position, char in enumerate(rest):
                depth += char == "("
                depth -= char == ")"
                if depth == 0:
                    fee_note, rest = rest[1:position], rest[position + 1 :]
                    break
            else:  # a bracket of the note left open: the note ends at its last closing bracket
                last = rest.rfind(")")
                fee_note, rest = (rest[1:last], rest[last + 1 :]) if last > 0 else (rest[1:], "")
        time, fee = _clean(match.group(2)), _clean(match.group(3))
        ways.append(Way(match.group(1), time, fee, _fee_note(fee_note), _clean(rest)))
    return _split_glued_figures(ways)


def _fee_note(note: str) -> str:
    note = _clean(note)
    if note.startswith("(") and note.rstrip(" .").endswith(")") and _balanced(note.rstrip(" .")[1:-1]):
        note = note.rstrip(" .")  # '((áp dụng mức phí ...). )': the page's own brackets around the note
    wrapped = re.fullmatch(r"(?:Đồng\s*)?\((.*)\)", note, re.S)  # '(Đồng (Mức lệ phí ...))', '((áp dụng ...))'
    if wrapped and _balanced(wrapped.group(1)):
        note = _clean(wrapped.group(1))
    return note.strip("()").strip() if not _balanced(note) else note


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if depth < 0:
            return False
    return depth == 0


def _split_glued_figures(ways: list[Way]) -> list[Way]:
    """'Trực tuyến120 VNĐ(20.000 vnđ/tờ khai)': a bare time glued to a bare fee. Which digits are
    whose is read from the amounts the note states, then from the other rows' times; a split
    that rests on neither is marked uncertain."""
    known_times = {w.time for w in ways if w.time.isdigit() and not w.fee[:1].isdigit()}
    glued = [i for i, w in enumerate(ways) if w.time.isdigit() and w.fee[:1].isdigit()]
    choices = {i: _glued_choices(ways[i], known_times) for i in glued}
    known_times |= {c[0][2] for c in choices.values() if c and _sure(c)}  # a time the notes settled
    fixed = []
    for index, way in enumerate(ways):
        if index not in choices or not choices[index]:
            fixed.append(way)
            continue
        ranked = _glued_choices(way, known_times)
        _, _, time, fee = ranked[0]
        sure = _sure(ranked) or (time in known_times and sum(c[2] in known_times for c in ranked) == 1)
        reason = "" if sure else f"thời gian và phí dính liền '{way.time}{way.fee}', tách thành '{time}' và '{fee}'"
        fixed.append(Way(way.channel, time, _clean(fee), way.fee_note, way.description, reason))
    return fixed


def _glued_choices(way: Way, known_times: set[str]) -> list[tuple[int, int, str, str]]:
    """Ways to split '120 VNĐ' into a time and a fee, best first: (-score, cut, time, fee)."""
    digits = way.time + way.fee
    number = digits[: len(digits) - len(digits.lstrip("0123456789.,"))]
    unit = digits[len(number) :]
    stated = _amounts_in(f"{way.fee_note} {way.description}".replace("đ", " đồng").replace("Đ", " đồng"))
    stated |= {int(m.group(1).replace(".", "")) for m in re.finditer(r"(\d{1,3}(?:\.\d{3})+)", way.fee_note)}
    choices = []
    for cut in range(1, len(way.time) + 1):
        time, fee_number = number[:cut], number[cut:]
        if not re.fullmatch(r"[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*|0", fee_number):
            continue  # a fee does not start with 0, and its thousands groups are whole
        value = int(fee_number.replace(",", ""))
        score = 2 * (value in stated or value * 1000 in stated) + (time in known_times)
        choices.append((-score, cut, time, fee_number + unit))
    return sorted(choices)


def _sure(ranked: list[tuple[int, int, str, str]]) -> bool:
    """The best split is backed by an amount of the note, and no other split is as good."""
    return ranked[0][0] <= -2 and sum(c[0] == ranked[0][0] for c in ranked) == 1


def _amount(fee: str) -> int | None:
    match = re.match(r"([\d.,]+)\s*(?:Việt Nam Đồng|VNĐ|VND|Đồng|đồng)$", fee)
    if not match:
        return None
    digits = re.sub(r"[.,]", "", match.group(1))
    return int(digits) if digits.isdigit() else None


def _money_text(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _amounts_in(text: str) -> set[int]:
    return {int(m.group(1).replace(".", "")) for m in _MONEY.finditer(text)}


# ---------------------------------------------------------------------------------------------
# The draft


def short_name(official: str) -> str:
    name = re.sub(r"^Thủ tục\s+", "", _clean(official))
    return name[:1].upper() + name[1:]


def derive_slug(name: str, limit: int = 40) -> str:
    base = re.sub(r"\([^)]*\)", " ", name)
    words = re.findall(r"[a-z0-9]+", strip_accents(base).lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or "thu-tuc-moi"


def _aliases(name: str) -> list[str]:
    plain = re.sub(r"\s*\([^)]*\)", "", name).strip()
    aliases = []
    for candidate in (plain, name):
        alias = candidate[:1].lower() + candidate[1:]
        if alias and alias not in aliases:
            aliases.append(alias)
    return aliases


def draft_from_dvc(record: dict[str, Any], slug: str | None, today: dt.date) -> str:
    """The draft procedure file for one portal record, as YAML text with a header comment."""
    draft = _Draft(record)
    code = _clean(record.get("ma_thu_tuc"))
    url = _clean(record.get("detail_url"))
    official = _clean(record.get("ten_thu_tuc"))
    if not official:
        raise ValueError("Bản ghi không có tên thủ tục (ten_thu_tuc).")
    name = draft.keep(short_name(official), "tên thủ tục") or short_name(official)
    slug = slug or derive_slug(name)
    if not PATTERNS["slug"].match(slug):
        raise ValueError(
            f"Mã '{slug}' không hợp lệ: chỉ dùng chữ thường không dấu, số và dấu gạch ngang (ví dụ dang-ky-khai-sinh)."
        )
    level = draft.keep(_clean(record.get("cap_thuc_hien")), "cấp thực hiện")
    field_name = draft.keep(_clean(record.get("linh_vuc")), "lĩnh vực") or "Chưa rõ (bản ghi không ghi lĩnh vực)"
    codes = _draft_codes(draft, code, url, official, name, level)

    # Who and where
    authority = _draft_authority(draft, level)
    ways = parse_ways(draft.text("cach_thuc_thuc_hien"))
    where = _draft_where(draft, ways)

    # Steps and documents
    steps = _draft_steps(draft)
    documents = _draft_documents(draft)

    # Time, fees, online
    processing_time = _processing_time(ways, draft)
    fee = _fee(ways, draft)
    online = _online(ways, draft, url)

    result = _draft_result(draft)
    legal = _draft_legal_basis(draft)

    sources = [f"{PORTAL}, thủ tục {code}: {url}" if code else f"{PORTAL}: {url}"]
    decision = _clean(record.get("so_quyet_dinh"))
    if _meaningful(decision):
        sources.append(f"Quyết định công bố thủ tục số {decision} (theo bản ghi)")

    details = ", ".join(x for x in (level, f"lĩnh vực {field_name}" if record.get("linh_vuc") else "") if x)
    named = codes[0]["name"] if codes else name
    summary = f"Bản nháp nhập từ {PORTAL}: {named}" + (f" ({details})." if details else ".")
    data_head: dict[str, Any] = {
        "slug": slug,
        "name": name,
        "field": field_name,
        "codes": codes,
        "aliases": _aliases(name),
        "summary": summary,
        "authority": authority,
        "where": where,
        "documents": documents,
        "steps": steps,
        "processing_time": processing_time,
        "fee": fee,
        "online": online,
        "result": result,
        "legal_basis": legal,
    }
    data_tail: dict[str, Any] = {
        "sources": sources,
        "verified": False,
        "notes": _notes(draft, code, today),
        "last_reviewed": today,
    }
    header = _header(code, url, today)
    text = header + yt.dump(data_head) + _FAQ_TODO + yt.dump(data_tail)
    loaded = yt.load(text)
    expected = {**data_head, "faqs": [], **data_tail}
    if loaded != expected:  # the emitter must write exactly what we mean
        raise ValueError("draft does not read back as written")
    return text


# The parts of draft_from_dvc, in the order it calls them: each may add to the draft's checks,
# and the notes list those in that order.


def _draft_codes(draft: _Draft, code: str, url: str, official: str, name: str, level: str) -> list[dict[str, Any]]:
    """The record's official code and page, when both are well formed."""
    if not (code and PATTERNS["code"].match(code) and PATTERNS["url"].match(url)):
        draft.checks.append("mã thủ tục hoặc đường dẫn trang chính thức trong bản ghi không đúng dạng")
        return []
    entry = {"code": code, "name": draft.keep(official, "tên trong mục codes") or name}
    if level:
        entry["level"] = level
    entry["url"] = url
    return [entry]


def _draft_authority(draft: _Draft, level: str) -> str:
    for key in ("co_quan_co_tham_quyen", "co_quan_thuc_hien"):
        value = _clean(draft.record.get(key))
        if _meaningful(value):
            authority = draft.keep(value, "cơ quan có thẩm quyền")
            if authority:
                return authority
    draft.checks.append("cơ quan giải quyết (bản ghi không ghi rõ)")
    if level:
        return f"Bản ghi Cổng DVCQG chỉ ghi cấp thực hiện: {level}."
    return "Bản ghi Cổng DVCQG không ghi cơ quan giải quyết."


def _draft_where(draft: _Draft, ways: list[Way]) -> str:
    """Where to submit: the record's address, else what the ways of submitting say."""
    address = _clean(draft.record.get("dia_chi_tiep_nhan"))
    where = draft.keep(address, "địa chỉ tiếp nhận") if _meaningful(address) else ""
    if not where:
        said = [s for w in ways for s in _sentences(w.description) if re.search(r"nộp hồ sơ .*tại", s, re.I)]
        where = draft.keep(" ".join(dict.fromkeys(said)), "nơi nộp (cách thức thực hiện)")
    if not where:
        where = "Bản ghi Cổng DVCQG không ghi nơi nộp hồ sơ; xem trang chính thức."
        draft.checks.append("nơi nộp hồ sơ (bản ghi không ghi)")
    return where


def _draft_steps(draft: _Draft) -> list[str]:
    steps = []
    for number, step in enumerate(split_steps(draft.text("trinh_tu_thuc_hien")), start=1):
        kept = draft.keep(step, f"trình tự, bước {number}")
        if kept:
            steps.append(kept)
    if not steps:
        steps = ["Bản ghi Cổng DVCQG không ghi trình tự thực hiện; xem trang chính thức."]
        draft.checks.append("trình tự thực hiện (bản ghi không ghi)")
    return steps


def _draft_documents(draft: _Draft) -> list[dict[str, Any]]:
    documents = []
    raw_documents, remarks = split_documents(draft.text("thanh_phan_ho_so"))
    for number, doc in enumerate(raw_documents, start=1):
        item = _draft_document(draft, doc, number)
        if item is not None:
            documents.append(item)
    if not documents:
        missing = "Bản ghi Cổng DVCQG không ghi thành phần hồ sơ; xem trang chính thức."
        documents = [{"name": missing, "quantity": "Chưa rõ"}]
        draft.checks.append("thành phần hồ sơ (bản ghi không ghi)")
    if remarks:
        draft.checks.append(
            f"{len(remarks)} ý 'Lưu ý' trong thành phần hồ sơ chưa đưa vào bản nháp (đọc trên trang chính thức)"
        )
    if any(d.quantity.startswith("0 bản") for d in raw_documents):
        draft.checks.append("các giấy tờ ghi '0 bản' (thường là ghi chú hoặc giấy tờ chỉ xuất trình)")
    return documents


def _draft_document(draft: _Draft, doc: Document, number: int) -> dict[str, Any] | None:
    """One paper of the dossier, or None when all its name speaks of the district level."""
    doc_name = draft.keep(doc.name, f"thành phần hồ sơ, giấy tờ {number}")
    if not doc_name:
        return None
    item: dict[str, Any] = {"name": doc_name, "quantity": doc.quantity or "Bản ghi không ghi số lượng"}
    if not doc.quantity:
        draft.checks.append(f"số lượng của giấy tờ '{doc_name[:60]}' (bản ghi bị cắt)")
    if doc.form:
        item["form"] = doc.form
    if doc.group:
        group = draft.keep(doc.group, f"thành phần hồ sơ, nhóm '{doc.group[:40]}'")
        if group:
            item["note"] = f"Nhóm trong bản ghi: {group}"
    return item


def _draft_result(draft: _Draft) -> str:
    results = [r for r in (draft.keep(r, "kết quả") for r in parse_results(draft.text("ket_qua_xu_ly"))) if r]
    if not results:
        draft.checks.append("kết quả (bản ghi không ghi)")
    return "; ".join(results) or "Bản ghi Cổng DVCQG không ghi kết quả; xem trang chính thức."


def _draft_legal_basis(draft: _Draft) -> list[str]:
    legal = [e for e in (draft.keep(e, "căn cứ pháp lý") for e in parse_legal_basis(draft.text("can_cu_phap_ly"))) if e]
    if not legal:
        legal = ["Bản ghi Cổng DVCQG không ghi căn cứ pháp lý; cần bổ sung."]
        draft.checks.append("căn cứ pháp lý (bản ghi không ghi)")
    return legal


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.;])\s+", text) if s.strip()]


def _processing_time(ways: list[Way], draft: _Draft) -> str:
    times: dict[str, list[str]] = {}
    for way in ways:
        if _meaningful(way.time):
            times.setdefault(way.time, []).append(way.channel)
    described = []
    for way in ways:
        for sentence in _sentences(way.description):
            if re.search(r"thời hạn", sentence, re.I) and sentence not in described:
                described.append(sentence)
    parts: list[str] = []
    bare = False
    if len(times) == 1:
        value = next(iter(times))
        bare = value.replace(",", "").replace(".", "").isdigit()
        parts.append(_time_text(value))
    elif times:
        for value, channels in times.items():
            bare = bare or value.replace(",", "").replace(".", "").isdigit()
            parts.append(f"{', '.join(channels)}: {_time_text(value)}")
    text = "; ".join(parts)
    if described:
        text = (f"{text}. " if text else "") + "Theo mô tả trong bản ghi: " + " ".join(described[:2])
    if bare:
        draft.checks.append("thời hạn giải quyết (bản ghi chỉ ghi số, không ghi đơn vị ngày hay ngày làm việc)")
    text = draft.keep(text, "thời hạn giải quyết")
    if not text:
        draft.checks.append("thời hạn giải quyết (bản ghi không ghi)")
        return "Bản ghi Cổng DVCQG không ghi thời hạn giải quyết; xem trang chính thức."
    return text


def _time_text(value: str) -> str:
    if value.replace(",", "").replace(".", "").isdigit():
        return f"{value} (bản ghi không ghi đơn vị)"
    number, _, unit = value.partition(" ")
    return f"{number} {unit.lower()}".strip()


def _fee(ways: list[Way], draft: _Draft) -> dict[str, Any]:
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for way in ways:
        described = way.description if re.search(r"phí|đồng|USD", way.description, re.I) else ""
        grouped.setdefault((way.fee, way.fee_note, described), []).append(way.channel)
    rates: list[dict[str, Any]] = []
    summary_parts: list[str] = []
    for (fee, note, described), channels in grouped.items():
        if not _meaningful(fee) and not note and not described:
            continue
        label = ", ".join(_CHANNEL_LABELS.get(c, c) for c in channels)
        label = label[:1].upper() + label[1:]
        amount = 0 if fee == "Miễn phí" else _amount(fee)
        unit = note if note.startswith("/") else ""
        remarks = " ".join(x for x in (note if not unit else "", described) if x)
        stated = _amounts_in(remarks)
        if amount is not None and stated and amount not in stated:
            draft.checks.append(
                f"lệ phí: ô phí ghi '{fee}' nhưng mô tả ghi {', '.join(_money_text(a) for a in sorted(stated))}"
            )
            amount = None
        if fee == "Miễn phí":
            text = "Miễn phí"
        elif amount is not None:
            text = _money_text(amount) + unit
        elif _meaningful(fee):
            text = fee + unit
        else:
            text = "Bản ghi không ghi mức thu"
        rate: dict[str, Any] = {"label": draft.keep(label, "lệ phí")}
        if amount is not None:
            rate["amount"] = amount
        rate["text"] = text
        rate["verified"] = False
        kept = draft.keep(remarks, "lệ phí, ghi chú")
        rate["note"] = f"Theo bản ghi, chưa đối chiếu: {kept}" if kept else "Theo bản ghi, chưa đối chiếu."
        rates.append(rate)
        summary_parts.append(f"{label}: {text}")
    if not rates:
        draft.checks.append("phí, lệ phí (bản ghi không ghi)")
        return {"summary": "Bản ghi Cổng DVCQG không ghi phí, lệ phí; xem trang chính thức.", "rates": []}
    draft.checks.append("mức phí, lệ phí và đối tượng miễn (HĐND tỉnh có thể quy định mức riêng)")
    return {"summary": "Theo bản ghi Cổng DVCQG (chưa đối chiếu): " + "; ".join(summary_parts) + ".", "rates": rates}


def _online(ways: list[Way], draft: _Draft, url: str) -> dict[str, Any]:
    channels_used = list(dict.fromkeys(w.channel for w in ways))
    record_text = " ".join(draft.text(k) for k in ("trinh_tu_thuc_hien", "cach_thuc_thuc_hien"))
    channels = []
    if re.search(r"cổng dịch vụ công quốc gia", record_text, re.I):
        channels.append(PORTAL)
    if re.search(r"vneid|ứng dụng định danh quốc gia", record_text, re.I):
        channels.append("Ứng dụng VNeID")
    if re.search(r"cổng dịch vụ công bộ công an", record_text, re.I):
        channels.append("Cổng dịch vụ công Bộ Công an")
    online: dict[str, Any] = {"available": "Trực tuyến" in channels_used}
    if online["available"] and channels:
        online["channels"] = channels
    if online["available"] and PATTERNS["url"].match(url):
        online["url"] = url
    if channels_used:
        online["note"] = "Theo bản ghi, hình thức nộp: " + ", ".join(c.lower() for c in channels_used) + "."
    else:
        online["note"] = "Bản ghi không ghi hình thức nộp; chưa rõ có nộp trực tuyến được không."
        draft.checks.append("có nộp trực tuyến được không (bản ghi không ghi)")
    return online


def _notes(draft: _Draft, code: str, today: dt.date) -> str:
    parts = [
        f"Bản nháp nhập tự động ngày {today.isoformat()} từ bản ghi Cổng DVCQG mã {code or '(không có mã)'}; "
        "chưa được cán bộ rà soát, chưa dùng cho trợ lý.",
        "Cần kiểm tra với trang chính thức: tên gọi và tóm tắt (viết lại bằng lời dễ hiểu), cơ quan giải quyết và "
        "nơi nộp theo chính quyền 2 cấp, thành phần hồ sơ (bảng trong bản ghi bị dính ô, tên mẫu có thể sai), các "
        "bước (viết ngắn lại), thời hạn, lệ phí, căn cứ pháp lý còn hiệu lực; bổ sung aliases và ít nhất 5 câu hỏi "
        "thường gặp; đặt verified: true khi mọi thông tin quan trọng đã có nguồn.",
    ]
    if draft.checks:
        parts.append("Lưu ý riêng: " + "; ".join(dict.fromkeys(draft.checks)) + ".")
    if draft.from_raw:
        parts.append(
            "Lấy từ toàn văn trang (raw_text) vì trường bị cắt: " + ", ".join(dict.fromkeys(draft.from_raw)) + "."
        )
    if draft.district:
        parts.append(
            "Bản ghi còn nhắc tới cấp huyện, cấp này không còn từ 1/7/2025; các câu đó đã bị bỏ khỏi bản nháp, cần "
            "xác định lại cơ quan cấp tỉnh hoặc cấp xã thay thế. Vị trí: "
            + "; ".join(dict.fromkeys(draft.district))
            + "."
        )
    return " ".join(parts)


def _header(code: str, url: str, today: dt.date) -> str:
    return (
        "# BẢN NHÁP, chưa dùng cho trợ lý. Nhập tự động ngày "
        f"{today.isoformat()} từ bản ghi Cổng Dịch vụ công quốc gia\n"
        f"# mã {code or '(không có mã)'}: {url}\n"
        "# Việc của cán bộ: đối chiếu từng mục với trang chính thức, viết lại bằng lời dễ hiểu, bổ sung aliases,\n"
        "# viết ít nhất 5 câu hỏi thường gặp (faqs), đặt verified cho đúng, rồi chuyển tệp vào\n"
        "# content/procedures/ và chạy: .venv/bin/trolyao content check\n"
        "# Xem mục 'notes' ở cuối tệp: những điểm phải kiểm tra.\n"
    )


_FAQ_TODO = """\
# TODO(cán bộ): viết ít nhất 5 câu hỏi thường gặp. Bản nháp cố ý để 'faqs' trống nên lệnh kiểm tra
# báo lỗi ở dòng 'faqs' cho tới khi có đủ câu hỏi. Thay [] bằng các câu hỏi theo mẫu (bỏ dấu #):
faqs: []
#   - questions:
#       - <câu hỏi, viết như người dân hay hỏi>
#       - <một cách hỏi khác>
#     answer: >-
#       <câu trả lời dễ hiểu, chỉ dùng thông tin có nguồn>
"""


# ---------------------------------------------------------------------------------------------
# Files


def read_record(json_path: Path | str) -> dict[str, Any]:
    try:
        data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"Tệp {json_path} không phải JSON hợp lệ (UTF-8): {exc}.") from exc
    if isinstance(data, list):
        if len(data) != 1:
            raise ValueError(f"Tệp {json_path} có {len(data)} bản ghi; mỗi lần chỉ nhập một bản ghi.")
        data = data[0]
    if not isinstance(data, dict) or "ten_thu_tuc" not in data:
        raise ValueError(f"Tệp {json_path} không phải bản ghi thủ tục của Cổng DVCQG (thiếu ten_thu_tuc).")
    return data


def draft_path(record: dict[str, Any], content_dir: Path | str, slug: str | None = None) -> Path:
    return Path(content_dir) / "drafts" / f"{slug or derive_slug(short_name(str(record.get('ten_thu_tuc', ''))))}.yml"


def import_dvc(
    json_path: Path | str,
    content_dir: Path | str,
    slug: str | None = None,
    output: Path | str | None = None,
    today: dt.date | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the draft (content/drafts/<slug>.yml unless `output`); never overwrites unless asked."""
    record = read_record(json_path)
    text = draft_from_dvc(record, slug, today or dt.date.today())
    final_slug = yt.load(text)["slug"]
    target = Path(output) if output else Path(content_dir) / "drafts" / f"{final_slug}.yml"
    if target.exists() and not overwrite:
        raise FileExistsError(
            f"Đã có tệp {target}; chọn tên khác bằng --output hoặc --slug (không ghi đè bản đang soạn)."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, text)
    return target


def import_message(path: Path, content_dir: Path | str) -> list[str]:
    """What the CLI prints after import-dvc, in Vietnamese."""
    try:
        slug = str(yt.load(path.read_text(encoding="utf-8")).get("slug") or path.stem)
    except (OSError, AttributeError, ValueError):
        slug = path.stem
    lines = [
        f"Đã tạo bản nháp {path}.",
        "Bản nháp CHƯA được trợ lý dùng. Cán bộ cần đọc mục 'notes' trong tệp, đối chiếu với trang chính thức, "
        "viết ít nhất 5 câu hỏi thường gặp, rồi chuyển tệp vào content/procedures/ và chạy "
        ".venv/bin/trolyao content check.",
    ]
    existing = Path(content_dir) / "procedures" / f"{slug}.yml"
    if existing.exists():
        lines.append(f"Chú ý: đã có {existing}; hãy so sánh và cập nhật tệp đó thay vì tạo tệp mới.")
    return lines
