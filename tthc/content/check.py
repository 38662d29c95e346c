"""Check content files and report every problem with file, line and column, in Vietnamese.

Walks the YAML node tree (which keeps positions) against tthc.content.schema, then checks
what spans files: unique slugs, every contract slug present, links between files. Given the
official catalogue, it also compares each procedure file with the records it cites
(tthc.content.official): the disagreements are warnings, which never make the content invalid.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tthc.content.model import figures, word_count
from tthc.content.schema import (
    DISTRICT_LEVEL,
    DISTRICT_OK,
    LOCALITY,
    PATTERNS,
    PROCEDURE,
    SCHEDULE_DAYS,
    SHORT_DOCUMENT_WORDS,
    SHORT_SOURCES,
    SHORT_WORDS,
    Spec,
)

if TYPE_CHECKING:
    from tthc.catalogue.model import CatalogueProcedure

# The official catalogue to compare with: its directory (or the content directory holding it),
# or the procedures already loaded, keyed by code.
Catalogue = Path | str | Mapping[str, "CatalogueProcedure"]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ten times faster
CONTRACT_SLUGS = Path(__file__).resolve().parent / "procedures.tsv"

_KIND_NAMES = {
    "str": "một đoạn chữ",
    "bool": "true hoặc false",
    "int": "một số nguyên (đồng)",
    "date": "một ngày dạng YYYY-MM-DD",
    "url": "một địa chỉ web bắt đầu bằng https://",
    "phone": "một số điện thoại (ví dụ 0236.1022 hoặc 1022)",
    "slug": "một mã viết thường, nối bằng dấu gạch ngang (ví dụ khai-sinh)",
    "code": "một mã thủ tục dạng 1.001193",
    "time": "một giờ dạng 08:00",
    "time_range": "một khung giờ dạng 07:30-11:30",
    "list": "một danh sách (các dòng bắt đầu bằng '- ')",
    "map": "một nhóm khóa: giá trị",
}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass
class CheckReport:
    procedures: list[str] = field(default_factory=list)
    localities: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    # Disagreements with the official records (only when a catalogue was given); never errors.
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict:
        return {
            "procedures": self.procedures,
            "localities": self.localities,
            "errors": [asdict(e) for e in self.errors],
            "warnings": [asdict(w) for w in self.warnings],
        }


class _FileChecker:
    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        self.problems: list[Problem] = []

    def add(self, node: Node | None, message: str) -> None:
        line, column = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, 1)
        self.problems.append(Problem(self.display, line, column, message))

    def parse(self) -> Node | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.problems.append(Problem(self.display, 1, 1, f"Tệp không phải UTF-8 ({exc.reason})."))
            return None
        if unicodedata.normalize("NFC", text) != text:
            self.problems.append(
                Problem(
                    self.display,
                    1,
                    1,
                    "Tệp chưa ở dạng Unicode NFC (dấu tiếng Việt gõ tổ hợp); hãy lưu lại bằng bộ gõ dựng sẵn.",
                )
            )
        try:
            return yaml.compose(text, Loader=_LOADER)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            self.problems.append(
                Problem(self.display, line, column, f"Lỗi cú pháp YAML: {exc.problem or exc.context}.")
            )
            return None

    def walk(self, node: Node | None, spec: Spec, where: str) -> None:
        if node is None or (isinstance(node, ScalarNode) and node.tag.endswith(":null")):
            if spec.required:
                self.add(node, f"'{where}' đang trống; cần {_KIND_NAMES[spec.kind]}.")
            return
        if spec.kind == "map":
            self._walk_map(node, spec, where)
        elif spec.kind == "list":
            self._walk_list(node, spec, where)
        else:
            self._walk_scalar(node, spec, where)

    def _walk_map(self, node: Node, spec: Spec, where: str) -> None:
        if not isinstance(node, MappingNode):
            self.add(node, f"'{where}' phải là {_KIND_NAMES['map']}.")
            return
        seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                self.add(key_node, f"Khóa '{key}' bị lặp lại trong '{where}'.")
                continue
            seen[key] = value_node
            path = f"{where}.{key}" if where else key
            if spec.open_keys:
                if key not in SCHEDULE_DAYS:
                    self.add(key_node, f"'{key}' không phải tên ngày hợp lệ ({', '.join(sorted(SCHEDULE_DAYS))}).")
                elif spec.item is not None:
                    self.walk(value_node, spec.item, path)
            elif key not in spec.fields:
                known = ", ".join(spec.fields)
                self.add(
                    key_node, f"Khóa '{key}' không có trong mẫu của '{where or 'tệp'}' (các khóa hợp lệ: {known})."
                )
            else:
                self.walk(value_node, spec.fields[key], path)
        for key, sub in spec.fields.items():
            if sub.required and key not in seen:
                path = f"{where}.{key}" if where else key
                self.add(node, f"Thiếu khóa bắt buộc '{path}'.")

    def _walk_list(self, node: Node, spec: Spec, where: str) -> None:
        if not isinstance(node, SequenceNode):
            self.add(node, f"'{where}' phải là {_KIND_NAMES['list']}.")
            return
        if len(node.value) < spec.min_items:
            self.add(node, f"'{where}' cần ít nhất {spec.min_items} mục (hiện có {len(node.value)}).")
        assert spec.item is not None
        for index, item in enumerate(node.value, start=1):
            self.walk(item, spec.item, f"{where}[{index}]")

    def _walk_scalar(self, node: Node, spec: Spec, where: str) -> None:
        if not isinstance(node, ScalarNode):
            self.add(node, f"'{where}' phải là {_KIND_NAMES[spec.kind]}.")
            return
        value, tag = str(node.value), node.tag
        if spec.kind == "bool" and not tag.endswith(":bool"):
            self.add(node, f"'{where}' phải là true hoặc false, không phải '{value}'.")
        elif spec.kind == "int" and not tag.endswith(":int"):
            self.add(node, f"'{where}' phải là một số nguyên (đồng, không dấu chấm), không phải '{value}'.")
        elif spec.kind == "date":
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                self.add(node, f"'{where}' phải là một ngày dạng YYYY-MM-DD, không phải '{value}'.")
        elif spec.kind in PATTERNS and not PATTERNS[spec.kind].match(value.strip()):
            self.add(node, f"'{where}' phải là {_KIND_NAMES[spec.kind]}, không phải '{value}'.")
        elif spec.kind == "str":
            if not value.strip():
                self.add(node, f"'{where}' đang trống.")
            elif DISTRICT_LEVEL.search(value) and not DISTRICT_OK.search(value):
                self.add(
                    node,
                    f"'{where}' nhắc đến cấp huyện; từ 1/7/2025 chính quyền địa phương chỉ còn cấp tỉnh và cấp xã.",
                )


def _contract_slugs() -> list[str]:
    lines = CONTRACT_SLUGS.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t", 1)[0] for line in lines if line.strip()]


def _value(node: Node | None, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                return value_node
    return None


def _scalar(node: Node | None, key: str) -> str | None:
    found = _value(node, key)
    return str(found.value) if isinstance(found, ScalarNode) else None


def _check_dates(checker: _FileChecker, root: Node, list_key: str) -> None:
    """valid_from must not be after valid_to, and `replaces` must name a rate of the same list."""
    container = _value(root, "fee") if list_key == "rates" else root
    rates = _value(container, list_key)
    if not isinstance(rates, SequenceNode):
        return
    ids = {_scalar(r, "id") for r in rates.value}
    for rate in rates.value:
        start, end = _scalar(rate, "valid_from"), _scalar(rate, "valid_to")
        try:
            if start and end and dt.date.fromisoformat(start) > dt.date.fromisoformat(end):
                checker.add(
                    _value(rate, "valid_to"), "Ngày hết hiệu lực (valid_to) đứng trước ngày bắt đầu (valid_from)."
                )
        except ValueError:
            pass  # already reported as a bad date
        replaces = _scalar(rate, "replaces")
        if replaces and replaces not in ids:
            checker.add(_value(rate, "replaces"), f"'replaces: {replaces}' không trỏ tới mức phí nào có id này.")


def _texts(node: Node | None, skip: str | None = None) -> str:
    """Every scalar under a node, joined (the keys of maps left out, and the key ``skip``)."""
    if isinstance(node, ScalarNode):
        return str(node.value)
    if isinstance(node, SequenceNode):
        return " ".join(_texts(item) for item in node.value)
    if isinstance(node, MappingNode):
        return " ".join(_texts(value) for key, value in node.value if key.value != skip)
    return ""


def _check_short_text(checker: _FileChecker, node: Node, where: str, source: str, full: str, limit: int) -> None:
    """A short text is short, and names no figure its full text does not."""
    text = str(node.value)
    words = word_count(text)
    if words > limit:
        checker.add(node, f"'{where}' dài {words} từ; bản ngắn cho điện thoại tối đa {limit} từ.")
    extra = sorted(figures(text) - figures(full))
    if extra:
        numbers = ", ".join(str(n) for n in extra)
        checker.add(
            node,
            f"'{where}' có số {numbers} không có trong '{source}': bản ngắn chỉ tóm tắt thông tin đã có trong tệp.",
        )


def _check_short(checker: _FileChecker, root: Node) -> None:
    """The short texts of a procedure file (the first answer on a phone): at most SHORT_WORDS
    words, no figure the full fact lacks, and a dated fee said with its end date."""
    short = _value(root, "short")
    if isinstance(short, MappingNode):
        for key_node, value in short.value:
            sources = SHORT_SOURCES.get(str(key_node.value))
            if sources and isinstance(value, ScalarNode) and str(value.value).strip():
                full = " ".join(_texts(_value(root, source)) for source in sources)
                path = f"short.{key_node.value}"
                _check_short_text(checker, value, path, ", ".join(sources), full, SHORT_WORDS)
        fee = _value(short, "fee")
        if isinstance(fee, ScalarNode):
            _check_short_fee_dates(checker, root, fee)
    documents = _value(root, "documents")
    if isinstance(documents, SequenceNode):
        for index, document in enumerate(documents.value, start=1):
            name = _value(document, "short")
            if isinstance(name, ScalarNode) and str(name.value).strip():
                where = f"documents[{index}].short"
                full = _texts(document, skip="short")
                _check_short_text(checker, name, where, f"documents[{index}]", full, SHORT_DOCUMENT_WORDS)


def _check_short_fee_dates(checker: _FileChecker, root: Node, fee: ScalarNode) -> None:
    """A short fee naming the amount of a rate with an end date says that date too."""
    text, named = str(fee.value), figures(str(fee.value))
    rates = _value(_value(root, "fee"), "rates")
    for rate in rates.value if isinstance(rates, SequenceNode) else []:
        amount, end = _scalar(rate, "amount"), _scalar(rate, "valid_to")
        if not (amount and end and amount.isdigit() and int(amount) in named):
            continue
        try:
            day = dt.date.fromisoformat(end)
        except ValueError:
            continue  # already reported as a bad date
        forms = (f"{day.day}/{day.month}/{day.year}", f"{day.day:02d}/{day.month:02d}/{day.year}")
        if not any(form in text for form in forms):
            checker.add(
                fee,
                f"'short.fee' nêu mức {amount} đồng có thời hạn nhưng không ghi ngày hết hiệu lực {forms[1]}.",
            )


def check_content(
    directory: Path | str, catalogue: Catalogue | None = None, today: dt.date | None = None
) -> CheckReport:
    """Check every file; never stops at the first problem. With `catalogue`, also compare each
    procedure file with the official records it cites and list the disagreements as warnings
    (fees in force on `today`, by default the machine's date)."""
    base = Path(directory)
    report = CheckReport()
    proc_files = sorted((base / "procedures").glob("*.yml")) + sorted((base / "procedures").glob("*.yaml"))
    loc_files = sorted((base / "localities").glob("*.yml")) + sorted((base / "localities").glob("*.yaml"))
    if not proc_files:
        report.errors.append(Problem(str(base / "procedures"), 1, 1, "Không tìm thấy tệp thủ tục nào (*.yml)."))

    slugs: dict[str, str] = {}
    links: list[tuple[_FileChecker, Node, str]] = []
    checkers: list[_FileChecker] = []
    procedure_roots: list[tuple[str, Node]] = []

    for path, spec, key, bucket in [(p, PROCEDURE, "slug", "procedures") for p in proc_files] + [
        (p, LOCALITY, "id", "localities") for p in loc_files
    ]:
        checker = _FileChecker(path, _display(path, base))
        checkers.append(checker)
        root = checker.parse()
        if root is None:
            if bucket == "procedures":  # the file exists; its syntax error is already reported
                slugs.setdefault(path.stem, checker.display)
            continue
        checker.walk(root, spec, "")
        ident = _scalar(root, key)
        if ident and ident != path.stem:
            checker.add(_value(root, key), f"'{key}: {ident}' phải trùng tên tệp ('{path.stem}').")
        if bucket == "procedures":
            _check_procedure(checker, root, ident, slugs, report, links)
            procedure_roots.append((checker.display, root))
        else:
            _check_locality(checker, root, ident, report, links)

    _check_links_and_contract(base, report, slugs, links)
    for checker in checkers:
        report.errors.extend(checker.problems)
    report.errors.sort(key=lambda p: (p.file, p.line, p.column))
    if catalogue is not None:
        report.warnings = _compare_with_catalogue(procedure_roots, catalogue, today or dt.date.today())
    return report


def _compare_with_catalogue(roots: list[tuple[str, Node]], catalogue: Catalogue, today: dt.date) -> list[Problem]:
    """Warnings: each procedure file against the official records it cites. A catalogue that
    cannot be read is one warning, not an error: the curated content is still valid."""
    from tthc.catalogue.store import CatalogueError, catalogue_dir, load_catalogue
    from tthc.content.official import DocumentMatcher, compare_procedure

    if isinstance(catalogue, Mapping):
        records = catalogue
    else:
        where = catalogue_dir(catalogue)
        try:
            records = load_catalogue(where)
        except (CatalogueError, OSError) as exc:
            return [
                Problem(
                    str(where), 1, 1, f"Không đọc được danh mục thủ tục ({exc}): chưa so sánh với bản ghi chính thức."
                )
            ]
        if not records:
            return [
                Problem(str(where), 1, 1, "Không có danh mục thủ tục (*.jsonl): chưa so sánh với bản ghi chính thức.")
            ]
    warnings: list[Problem] = []
    matcher = DocumentMatcher.of(records)
    for display, root in roots:
        warnings.extend(compare_procedure(display, root, records, today, matcher))
    warnings.sort(key=lambda p: (p.file, p.line, p.column))
    return warnings


def _check_procedure(
    checker: _FileChecker,
    root: Node,
    ident: str | None,
    slugs: dict[str, str],
    report: CheckReport,
    links: list[tuple[_FileChecker, Node, str]],
) -> None:
    """One procedure file: its fee dates, a slug no other file has, codes or a note, related links."""
    _check_dates(checker, root, "rates")
    _check_short(checker, root)
    if ident:
        if ident in slugs:
            checker.add(_value(root, "slug"), f"Mã thủ tục '{ident}' đã có trong {slugs[ident]}.")
        slugs.setdefault(ident, checker.display)
        report.procedures.append(ident)
    codes = _value(root, "codes")
    if isinstance(codes, SequenceNode) and not codes.value and _scalar(root, "verified") != "false":
        checker.add(codes, "Thủ tục chưa có mã và trang chính thức thì phải ghi 'verified: false' và 'notes'.")
    if _scalar(root, "verified") == "false" and not _scalar(root, "notes"):
        checker.add(_value(root, "verified"), "Khi 'verified: false' cần ghi 'notes' nói rõ điều gì chưa có nguồn.")
    related = _value(root, "related")
    if isinstance(related, SequenceNode):
        links.extend((checker, item, str(item.value)) for item in related.value)


def _check_locality(
    checker: _FileChecker,
    root: Node,
    ident: str | None,
    report: CheckReport,
    links: list[tuple[_FileChecker, Node, str]],
) -> None:
    """One locality file: its local fees' dates, and the procedures they link to."""
    _check_dates(checker, root, "local_fees")
    if ident:
        report.localities.append(ident)
    fees = _value(root, "local_fees")
    if isinstance(fees, SequenceNode):
        links.extend((checker, _value(f, "procedure") or f, _scalar(f, "procedure") or "") for f in fees.value)


def _check_links_and_contract(
    base: Path, report: CheckReport, slugs: dict[str, str], links: list[tuple[_FileChecker, Node, str]]
) -> None:
    """What spans files: every link names a procedure file, every contract slug has one."""
    for checker, node, slug in links:
        if slug and slug not in slugs:
            checker.add(node, f"Liên kết tới thủ tục '{slug}' nhưng không có tệp procedures/{slug}.yml.")
    for slug in _contract_slugs():
        if slug not in slugs:
            display = _display(base / "procedures" / f"{slug}.yml", base)
            report.errors.append(Problem(display, 1, 1, f"Thiếu tệp cho thủ tục bắt buộc '{slug}'."))


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)
