"""Compare each curated procedure file with the official records it cites: warnings, never errors.

    compare_procedure(display, root, catalogue, today) -> list[Problem]

A curated file (content/procedures/*.yml) cites its official records in `codes`; the imported
catalogue (content/catalogue/, tthc.catalogue) holds what those records say. Every disagreement
is a warning with the file and the line of the curated field:

- fee (lệ phí): each `amount` of a rate in force that no cited record states, and each amount a
  record states (fee cell, its note, its description; a dated "50%" clause in force counts as the
  reduced amount) that the file's fee section neither lists nor mentions. Amounts of a record's
  clause that has expired are left out.
- time (thời hạn): each processing time of a record ("7 Ngày làm việc", "1 Giờ", "3 Tháng") whose
  number the file's `processing_time` does not state with that unit, and each number of days the
  file states that no record has (in its ways, or in its steps, descriptions, remarks and
  conditions, where a page often details the time of each case). A record's bare number ("1": the
  page gives no unit) is never required, but it backs a curated number of days.
- level (cấp thực hiện): a code's `level` that is not the record's levels, and a record that still
  names the district level (cấp huyện), gone since 1 July 2025.
- documents (hồ sơ): each document of a record that no curated document resembles (overlap of
  the words, weighted by their rarity among the catalogue's documents; case clauses left out).
- code (mã): a cited code the catalogue does not hold.

A file explains a disagreement it keeps on purpose in its `notes`, with a sentence such as
"Khác bản ghi (lệ phí, thời hạn): <why>." or, for some records only, "Khác bản ghi 1.013831
(hồ sơ): <why>.": those warnings are then left out. An explanation that silences nothing any
more is itself a warning, so notes do not outlive the disagreement they explain.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tthc.catalogue.model import CatalogueProcedure, Document, Way
from tthc.content.check import Problem
from tthc.text import accent_key

FIELDS = ("fee", "time", "level", "documents", "code")
FIELD_NAMES = {"fee": "lệ phí", "time": "thời hạn", "level": "cấp thực hiện", "documents": "hồ sơ", "code": "mã"}
# The words officers write in an explanation (accent-free, lower case) and the field each names.
_FIELD_WORDS = {
    "le phi": "fee",
    "phi": "fee",
    "thoi han": "time",
    "thoi gian": "time",
    "cap thuc hien": "level",
    "cap": "level",
    "cap huyen": "level",
    "ho so": "documents",
    "thanh phan ho so": "documents",
    "ma": "code",
    "ma thu tuc": "code",
}
_EXPLANATION = re.compile(r"khac ban ghi((?:[\s,]*\d\.\d{6})*)\s*\(([^)]*)\)\s*:\s*\S")
_CODE = re.compile(r"\d\.\d{6}")

# Amounts: a number grouped by thousands ("100.000", "2,000") is an amount wherever it stands;
# a plain number only with a currency after it ("100 VNĐ"). Never a document number or a date.
_AMOUNT = re.compile(
    r"(?<![\d/.,])(\d{1,3}(?:[.,]\d{3})+|\d+)(?![\d.,]?\d)\s*(đồng|đ\b|vnđ|vnd|việt nam đồng|usd|%)?",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(?<![\d.,])(\d{1,3})\s*%")
_DURATION = re.compile(r"(?<![\d/.,])(\d+)\s*(ngày|giờ|tháng)", re.IGNORECASE)
_TIME_CELL = re.compile(r"^\s*(\d+)\s*(.*?)\s*$")
_UNITS = {"ngày": "ngày", "ngày làm việc": "ngày", "giờ": "giờ", "tháng": "tháng"}
_DISTRICT = re.compile(r"[^,;]*huyện[^,;]*", re.IGNORECASE)

# Documents: a record row that is a remark ("0 bản chính", "Trường hợp ... thì ...") is no
# document; a case clause ("đối với trường hợp ...") is cut before matching.
_REMARK = re.compile(r"^(trường hợp\b.*\bthì\b|lưu ý|người ủy quyền|ghi chú)", re.IGNORECASE)
_CLAUSE = re.compile(r"\b(đối với|trong trường hợp|trường hợp|theo mẫu|theo quy định|ban hành kèm)\b")
_CURATED_CUT = re.compile(r"[(;]|\bnếu\b")
_WORD = re.compile(r"\w+")
_FILLERS = frozenset({"các", "những", "sau", "đây", "này", "đó", "của", "và", "hoặc", "về", "việc", "cho", "là", "có"})


@dataclass(frozen=True)
class Finding:
    """One disagreement, before explanations are applied."""

    field: str
    codes: tuple[str, ...]
    node: Node | None
    message: str


@dataclass(frozen=True)
class Explanation:
    fields: frozenset[str]
    codes: frozenset[str]  # empty: every cited record

    def covers(self, finding: Finding) -> bool:
        return finding.field in self.fields and (not self.codes or bool(self.codes & set(finding.codes)))


# ---------------------------------------------------------------------------------------------
# YAML nodes


def _pair(node: Node | None, key: str) -> tuple[Node | None, Node | None]:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                return key_node, value_node
    return None, None


def _text(node: Node | None, key: str) -> str:
    value = _pair(node, key)[1]
    return str(value.value) if isinstance(value, ScalarNode) else ""


def _items(node: Node | None, key: str) -> list[Node]:
    value = _pair(node, key)[1]
    return list(value.value) if isinstance(value, SequenceNode) else []


# ---------------------------------------------------------------------------------------------
# Small readers


def money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _codes_text(codes: Iterable[str]) -> str:
    return ", ".join(sorted(set(codes)))


def amounts(text: str | None) -> set[int]:
    """Amounts in đồng a text states (USD amounts and percentages are not)."""
    found: set[int] = set()
    for number, unit in _AMOUNT.findall(text or ""):
        grouped = not number.isdigit()
        unit = unit.lower()
        if unit in ("usd", "%") or (not grouped and not unit):
            continue
        found.add(int(re.sub(r"[.,]", "", number)))
    return found


def durations(text: str | None) -> set[tuple[int, str]]:
    """(number, unit) of every 'N ngày', 'N giờ', 'N tháng' in a text ('03 ngày' is 3 days)."""
    return {(int(number), unit.lower()) for number, unit in _DURATION.findall(text or "")}


def _way_time(way: Way) -> tuple[int, str] | None:
    """A way's processing time as (number, unit); unit '' when the page gives none."""
    match = _TIME_CELL.match(way.time or "")
    if not match:
        return None
    unit = match.group(2).lower()
    if unit and unit not in _UNITS:
        return None
    return int(match.group(1)), _UNITS.get(unit, "")


# ---------------------------------------------------------------------------------------------
# Fees


def record_amounts(record: CatalogueProcedure, today: dt.date) -> set[int]:
    """Every amount the record states that is not only in a clause already expired; a dated
    clause in force that charges 'N%' adds N% of the way's other amounts."""
    found: set[int] = set()
    expired: set[int] = set()
    for way in record.ways:
        base = amounts(way.fee) | amounts(way.fee_note) | amounts(way.description)
        found |= base
        for period in way.fee_periods:
            if period.valid_until is not None and period.valid_until < today:
                expired |= amounts(period.text)
                continue
            stated = amounts(period.text)
            for percent in _PERCENT.findall(period.text):
                found |= {amount * int(percent) // 100 for amount in base - stated}
    return found - expired


def _free_words(records: list[CatalogueProcedure]) -> str:
    statuses = {way.fee_status for record in records for way in record.ways}
    if statuses == {"free"}:
        return "bản ghi ghi miễn phí"
    return "bản ghi không ghi số tiền"


def _fee_findings(root: Node, records: list[CatalogueProcedure], today: dt.date) -> list[Finding]:
    fee_key, fee = _pair(root, "fee")
    official: dict[int, set[str]] = {}
    for record in records:
        for amount in record_amounts(record, today):
            official.setdefault(amount, set()).add(record.code)
    ours: dict[int, Node] = {}
    mentioned = amounts(_text(fee, "summary"))
    for rate in _items(fee, "rates"):
        mentioned |= amounts(" ".join(_text(rate, key) for key in ("label", "text", "note")))
        amount_node = _pair(rate, "amount")[1]
        ended = _text(rate, "valid_to")
        if not isinstance(amount_node, ScalarNode) or not amount_node.value.isdigit():
            continue
        if ended and _before(ended, today):
            continue
        if int(amount_node.value) > 0:
            ours.setdefault(int(amount_node.value), amount_node)
    cited = tuple(record.code for record in records)
    stated = ", ".join(money(a) for a in sorted(official)) or _free_words(records)
    findings = [
        Finding("fee", cited, node, f"Mức thu {money(amount)} không có trong bản ghi {_codes_text(cited)} ({stated}).")
        for amount, node in ours.items()
        if amount not in official
    ]
    findings += [
        Finding(
            "fee",
            tuple(sorted(codes)),
            fee_key,
            f"Bản ghi {_codes_text(codes)} ghi mức thu {money(amount)} mà mục fee không nêu.",
        )
        for amount, codes in sorted(official.items())
        if amount not in ours and amount not in mentioned
    ]
    return findings


def _before(text: str, today: dt.date) -> bool:
    try:
        return dt.date.fromisoformat(text) < today
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# Processing times


def stated_days(record: CatalogueProcedure) -> set[int]:
    """Numbers of days the record's texts state (steps, the ways' descriptions, the documents'
    remarks, conditions): a page often details there the time of each case."""
    texts = [*record.steps, *record.document_notes, record.conditions or ""]
    texts += [way.description or "" for way in record.ways]
    return {n for n, unit in durations(" ".join(texts)) if unit == "ngày"}


def _time_findings(root: Node, records: list[CatalogueProcedure]) -> list[Finding]:
    key, value = _pair(root, "processing_time")
    text = str(value.value) if isinstance(value, ScalarNode) else ""
    ours = durations(text)
    official: dict[tuple[int, str], set[str]] = {}
    bare: set[int] = set()  # bare numbers of the ways, and the days the steps state
    for record in records:
        for way in record.ways:
            time = _way_time(way)
            if time and time[1]:
                official.setdefault(time, set()).add(record.code)
            elif time:
                bare.add(time[0])
        bare |= stated_days(record)
    findings = [
        Finding(
            "time",
            tuple(sorted(codes)),
            key,
            f"Bản ghi {_codes_text(codes)} ghi thời hạn {n} {unit} mà processing_time không nêu.",
        )
        for (n, unit), codes in sorted(official.items())
        if (n, unit) not in ours
    ]
    backed = {n for n, unit in official if unit == "ngày"} | bare
    if official or bare:
        stated = ", ".join(f"{n} {u}" for n, u in sorted(official)) or ", ".join(str(n) for n in sorted(bare))
        cited = tuple(record.code for record in records)
        findings += [
            Finding(
                "time",
                cited,
                key,
                f"processing_time ghi {n} ngày, bản ghi {_codes_text(cited)} không có thời hạn này ({stated}).",
            )
            for n in sorted({n for n, unit in ours if unit == "ngày"} - backed)
        ]
    return findings


# ---------------------------------------------------------------------------------------------
# Levels


def _level_findings(entry: Node, record: CatalogueProcedure) -> list[Finding]:
    findings = []
    level_node = _pair(entry, "level")[1]
    ours = {part.strip().lower() for part in _text(entry, "level").split(",") if part.strip()}
    theirs = {name.lower() for name in record.level_names}
    theirs_text = ", ".join(record.level_names)
    if theirs and ours != theirs:
        findings.append(
            Finding(
                "level",
                (record.code,),
                level_node,
                f"Cấp thực hiện '{_text(entry, 'level')}' khác bản ghi {record.code} ('{theirs_text}').",
            )
        )
    district = district_mention(record)
    if district:
        findings.append(
            Finding(
                "level",
                (record.code,),
                entry,
                f"Bản ghi {record.code} còn ghi cấp huyện ('{district}'); từ 1/7/2025 chỉ còn cấp tỉnh và cấp xã: "
                "ghi cơ quan cấp tỉnh hoặc cấp xã thay thế, không chép cơ quan cấp huyện.",
            )
        )
    return findings


def district_mention(record: CatalogueProcedure) -> str | None:
    """The district-level body or level a record still names, if any."""
    if "huyen" in record.levels:
        return "Cấp huyện"
    for text in (record.agency, record.authority):
        match = _DISTRICT.search(text or "")
        if match:
            return match.group(0).strip()
    return None


# ---------------------------------------------------------------------------------------------
# Documents


class DocumentMatcher:
    """Does a curated document stand for a record's document? Words are weighted by how rare they
    are among all the catalogue's document names (inverse document frequency), so that 'bản sao
    giấy chứng nhận đăng ký thuế' is not taken for 'bản sao giấy chứng nhận đăng ký hộ kinh doanh'
    although they share most words. A pair matches when the weighted words of the record
    document's head (its name before a case clause 'đối với trường hợp ...') are mostly in the
    curated document's name and note, or the other way round: the curated name's head (before
    '(', ';' or 'nếu') mostly in the record document's head."""

    threshold = 0.7

    def __init__(self, names: Iterable[str]) -> None:
        frequency: Counter[str] = Counter()
        count = 0
        for name in names:
            count += 1
            frequency.update(set(words(name)))
        self._frequency = frequency
        self._count = count

    @classmethod
    def of(cls, catalogue: Mapping[str, CatalogueProcedure]) -> DocumentMatcher:
        return cls(document.name for record in catalogue.values() for document in record.documents)

    def weight(self, word: str) -> float:
        return math.log((self._count + 1) / (self._frequency.get(word, 0) + 1))

    def coverage(self, part: frozenset[str], whole: frozenset[str]) -> float:
        total = sum(self.weight(word) for word in part)
        return sum(self.weight(word) for word in part & whole) / total if total else 0.0

    def matches(self, record_name: str, curated_name: str, curated_note: str = "") -> bool:
        record_words = record_head(record_name) or words(record_name)
        curated_words = words(f"{curated_name} {curated_note}")
        return (
            self.coverage(record_words, curated_words) >= self.threshold
            or self.coverage(curated_head(curated_name) or curated_words, record_words) >= self.threshold
        )


@lru_cache(maxsize=65536)
def words(text: str) -> frozenset[str]:
    """The words of a text, lower case, without the fillers that say nothing about a paper."""
    return frozenset(_WORD.findall(text.lower())) - _FILLERS


@lru_cache(maxsize=16384)
def record_head(name: str) -> frozenset[str]:
    """The words of a record document's name before its case clause ('đối với trường hợp ...')."""
    head = _CLAUSE.split(name.lower().replace("(nếu có)", " "), maxsplit=1)[0]
    found = words(head)
    return found if len(found) >= 2 else frozenset()


def curated_head(name: str) -> frozenset[str]:
    found = words(_CURATED_CUT.split(name.lower(), maxsplit=1)[0])
    return found if len(found) >= 2 else frozenset()


def is_remark(document: Document) -> bool:
    """A row of the documents table that is a remark, not a paper to bring."""
    if document.quantity and document.originals == 0 and document.copies == 0:
        return True
    return bool(_REMARK.match(document.name.strip()))


def _document_findings(root: Node, records: list[CatalogueProcedure], matcher: DocumentMatcher) -> list[Finding]:
    key_node = _pair(root, "documents")[0]
    curated = [(_text(d, "name"), _text(d, "note")) for d in _items(root, "documents")]
    missing: dict[str, tuple[str, set[str]]] = {}
    for record in records:
        for document in record.documents:
            key = " ".join(sorted(record_head(document.name) or words(document.name)))
            if is_remark(document) or any(matcher.matches(document.name, name, note) for name, note in curated):
                continue
            missing.setdefault(key, (document.name, set()))[1].add(record.code)
    return [
        Finding(
            "documents",
            tuple(sorted(codes)),
            key_node,
            f"Bản ghi {_codes_text(codes)} có giấy tờ '{_short(name)}' mà documents không có.",
        )
        for name, codes in missing.values()
    ]


def _short(text: str, limit: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------------------------------------
# Explanations in notes


def explanations(notes: str) -> tuple[list[Explanation], list[str]]:
    """The 'Khác bản ghi [codes] (fields): why' sentences of a notes text, and the field words
    it could not read."""
    found: list[Explanation] = []
    unknown: list[str] = []
    for codes, names in _EXPLANATION.findall(accent_key(notes)):
        fields = set()
        for name in (part.strip() for part in names.split(",")):
            field = _FIELD_WORDS.get(name)
            if field:
                fields.add(field)
            elif name:
                unknown.append(name)
        if fields:
            found.append(Explanation(frozenset(fields), frozenset(_CODE.findall(codes))))
    return found, unknown


def _explained(findings: list[Finding], root: Node) -> tuple[list[Finding], list[Finding]]:
    """The findings no explanation covers, then warnings about the explanations themselves."""
    notes_node = _pair(root, "notes")[1]
    given, unknown = explanations(_text(root, "notes"))
    left = [f for f in findings if not any(e.covers(f) for e in given)]
    about: list[Finding] = []
    for explanation in given:
        if not any(explanation.covers(f) for f in findings):
            names = ", ".join(FIELD_NAMES[f] for f in FIELDS if f in explanation.fields)
            about.append(
                Finding(
                    "notes",
                    tuple(sorted(explanation.codes)),
                    notes_node,
                    f"notes giải thích khác biệt với bản ghi về {names} nhưng nay không còn khác biệt đó; "
                    "hãy bỏ câu này.",
                )
            )
    for name in unknown:
        words = ", ".join(FIELD_NAMES[f] for f in FIELDS)
        about.append(
            Finding("notes", (), notes_node, f"'Khác bản ghi (...)' có mục '{name}' không hiểu được; dùng: {words}.")
        )
    return left, about


# ---------------------------------------------------------------------------------------------
# One file


def compare_procedure(
    display: str,
    root: Node,
    catalogue: Mapping[str, CatalogueProcedure],
    today: dt.date,
    matcher: DocumentMatcher | None = None,
) -> list[Problem]:
    """Every unexplained disagreement between one curated file and the records it cites (build
    one DocumentMatcher.of(catalogue) for many files: it reads every document name once)."""
    findings: list[Finding] = []
    records: list[CatalogueProcedure] = []
    for entry in _items(root, "codes"):
        code = _text(entry, "code")
        record = catalogue.get(code)
        if record is None:
            findings.append(
                Finding(
                    "code",
                    (code,),
                    _pair(entry, "code")[1],
                    f"Mã {code} không có trong danh mục thủ tục đã nhập: không so sánh được với bản ghi.",
                )
            )
            continue
        records.append(record)
        findings += _level_findings(entry, record)
    if records:
        findings += _fee_findings(root, records, today)
        findings += _time_findings(root, records)
        findings += _document_findings(root, records, matcher or DocumentMatcher.of(catalogue))
    left, about = _explained(findings, root)
    return [_problem(display, f) for f in left + about]


def _problem(display: str, finding: Finding) -> Problem:
    node = finding.node
    line, column = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (1, 1)
    return Problem(display, line, column, finding.message)
