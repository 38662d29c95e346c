"""What the search indexes: one document per procedure, built from official records (several levels
of one record grouped) and from the curated procedures, which win over the records they cite.

The search reads records through the small `CatalogueRecord` protocol, so it works on the plain JSON
view here (`read_records`) and on the catalogue objects of `tthc.catalogue` alike.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tthc.content.schema import DISTRICT_LEVEL
from tthc.text.normalize import accent_key

LEVELS = ("Cấp xã", "Cấp tỉnh", "Cấp bộ", "Cơ quan khác")  # the order a citizen of a locality tries them

# "(thực hiện tại cấp tỉnh)", "tại Công an cấp tỉnh", "(cấp Bộ)", "... thực hiện tại cấp trung ương, cấp tỉnh, cấp xã"
_LEVEL_SUFFIX = re.compile(
    r"\s*\(?\s*(?:được\s+)?(?:thực\s+hiện\s+)?(?:tại|ở)\s+(?:công\s+an\s+)?cấp\s+"
    r"(?:trung\s+ương|tỉnh|tinh|xã|huyện|bộ)(?:\s*,\s*cấp\s+(?:trung\s+ương|tỉnh|xã|huyện|bộ))*\s*\)?\s*$",
    re.I,
)
_LEVEL_BRACKET = re.compile(r"\s*\(\s*(?:cấp\s+)?(?:trung\s+ương|tw|tỉnh|xã|huyện|bộ)\s*\)\s*$", re.I)
_PREFIX = re.compile(r"^\s*thủ\s+tục\s+", re.I)
# The record's own code, which a few names end with: it kept the levels of the environmental permit
# and of the impact-assessment appraisal apart, as two procedures asked back about
_CODE_SUFFIX = re.compile(r"\s*\(\s*\d\.\d{6}\s*\)\s*$")
# What a name says, in brackets, a procedure is NOT for: "(trừ cơ sở an toàn dịch bệnh theo yêu cầu
# của nước nhập khẩu)". Its words name the sibling procedure, not this one ("miễn trừ", "khấu trừ",
# "bù trừ" and "để trừ vào" are other words; an unbracketed "trừ" may run into the main clause).
_EXCLUSION = re.compile(r"(?<!miễn )(?<!khấu )(?<!bù )(?<!để )\btrừ\b[^()]*(?=\))", re.I)
# The office a police record's name says it is done at ("Cấp thẻ tạm trú cho người nước ngoài tại Cục
# Quản lý xuất nhập cảnh, Bộ Công an"): where, not what. A question that names the office ("ở phòng xuất
# nhập cảnh công an tỉnh") says the level (analysis.OFFICE_LEVELS), not another procedure; matched, the
# office's words drew the ministry's record, or a special case's ("... miễn thị thực tại Phòng ..."),
# before the one the question asks for.
_OFFICE = re.compile(
    r"\s+tại\s+(?:(?:Cục|Phòng)\s+(?:Quản\s+lý\s+xuất\s+nhập\s+cảnh|Cảnh\s+sát)|Công\s+an\s+(?:cấp\s+tỉnh|các\s+đơn\s+vị))"
    r"[^;()]*$",
    re.I,
)
_IN_VIET_NAM = re.compile(r"\s+tai viet nam$")
_BARE_LEVEL = re.compile(r"\s*[-–]?\s*cấp\s+(?:trung\s+ương|tỉnh|bộ|xã)\s*$", re.I)
_RESULT_JUNK = re.compile(r"Mã:\s*KQ\.|Từ khóa|Chọn cơ quan thực hiện")
_NO_INFO = "Không có thông tin"
DOCUMENTS_MAX_CHARS = 4000  # the first pages of the document list say what the procedure is about
# Short forms a field's law defines, read in full in that field's names as another name: Luật Đất đai
# 2024 (Điều 3 khoản 21) calls the land-use certificate "Giấy chứng nhận" throughout, so "Cấp lại Giấy
# chứng nhận do bị mất" is the re-issue of a lost "sổ đỏ" (not a certificate of eligibility, of
# registration, of inspection...: those name what they certify).
DEFINED_TERMS = (
    (
        "đất đai",
        re.compile(
            r"giấy chứng nhận(?!\s+(?:quyền|đăng ký|đủ|kiểm|an|đạt|hợp|chất|cơ|bảo|hộ|lưu|xuất|thẩm|tiêm))", re.I
        ),
        "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
    ),
)


# The police's own people: the police ministry's "Chính sách" records serve its officers, soldiers
# and their relatives ("Sĩ quan, hạ sĩ quan, chiến sĩ ... Công an nhân dân đại diện cho thân nhân"),
# though some names say only what is done ("Cấp lại thẻ bảo hiểm y tế"). Such a name is read with
# its audience as another name, so that a question saying the applicant is police finds them, and
# a citizen's question about the same thing still finds the citizens' curated file first.
POLICE_POLICY = ("bo-cong-an", "chính sách")
POLICE_AUDIENCE = "cho Công an nhân dân"


class CatalogueRecord(Protocol):
    """The fields of an official record the search reads."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def level(self) -> str: ...  # "Cấp xã", "Cấp tỉnh, Cấp xã", ...
    @property
    def field(self) -> str: ...  # lĩnh vực
    @property
    def agency(self) -> str: ...
    @property
    def result(self) -> str: ...
    @property
    def applicants(self) -> str: ...
    @property
    def documents_text(self) -> str: ...
    @property
    def ministry(self) -> str: ...  # the folder of shared/catalogue/records/ ("bo-cong-an")


@dataclass(frozen=True)
class RecordView:
    """A record of shared/catalogue/records/ as the search sees it (implements CatalogueRecord)."""

    code: str
    name: str
    level: str = ""
    field: str = ""
    agency: str = ""
    result: str = ""
    applicants: str = ""
    documents_text: str = ""
    ministry: str = ""
    url: str = ""


def _clean(text: Any) -> str:
    text = " ".join(str(text or "").split())
    return "" if text == _NO_INFO else text


def record_view(data: dict[str, Any], ministry: str = "") -> RecordView:
    """The search's view of one portal record (the JSON of shared/catalogue/records/)."""
    result = _clean(data.get("ket_qua_xu_ly"))
    cut = _RESULT_JUNK.search(result)
    if cut:
        result = result[: cut.start()]
    return RecordView(
        code=str(data["ma_thu_tuc"]).strip(),
        name=_clean(data.get("ten_thu_tuc")),
        level=_clean(data.get("cap_thuc_hien")),
        field=_clean(data.get("linh_vuc")),
        agency=_clean(data.get("co_quan_thuc_hien")),
        result=result,
        applicants=_clean(data.get("doi_tuong_thuc_hien")),
        documents_text=_clean(data.get("thanh_phan_ho_so"))[:DOCUMENTS_MAX_CHARS],
        ministry=ministry,
        url=_clean(data.get("detail_url")),
    )


def read_records(directory: Path | str) -> list[RecordView]:
    """Every record under `directory` (records/<ministry>/<code>.json), sorted by code."""
    out = []
    for path in sorted(Path(directory).glob("*/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out.append(record_view(data, ministry=path.parent.name))
    return sorted(out, key=lambda r: r.code)


def base_name(name: str) -> str:
    """The name without its level ("(thực hiện tại cấp tỉnh)", "(cấp Bộ)"), the code some names end
    with ("... (cấp Tỉnh) (1.010727)") or a leading "Thủ tục"."""
    name = _CODE_SUFFIX.sub("", " ".join(name.split())).rstrip(" .;")
    name = _LEVEL_BRACKET.sub("", _LEVEL_SUFFIX.sub("", name)).rstrip(" .;")
    return _PREFIX.sub("", name).strip()


def searchable_name(name: str) -> str:
    """The name without the cases it excludes (_EXCLUSION) nor the office it is done at (_OFFICE),
    for matching."""
    return without_office(_EXCLUSION.sub("", name).replace("()", ""))


def procedure_name(name: str) -> str:
    """What a record's levels share: its name without the level, the office that says it, nor a
    level it ends with bare ("Miễn nhiệm giám định viên tư pháp cấp tỉnh", "... - cấp Trung ương")."""
    return _BARE_LEVEL.sub("", without_office(base_name(name)))


def procedure_key(name: str) -> str:
    """The key that groups records into one procedure (group_records): procedure_name without
    accents nor case, a semicolon read as a comma (one level's name has "; gia hạn", another's ",
    gia hạn"), without a closing "tại Việt Nam" (the province's temporary residence card for
    foreigners "tại Việt Nam tại Công an cấp tỉnh", the ministry's "tại Cục Quản lý xuất nhập
    cảnh"). Other punctuation stays: the tax office's and the customs' e-receipt records differ by
    a slash's spacing alone, and are two procedures."""
    return _IN_VIET_NAM.sub("", accent_key(procedure_name(name)).replace(";", ","))


def without_office(name: str) -> str:
    """The name without the office it ends with ("... tại Cục Quản lý xuất nhập cảnh, Bộ Công an")."""
    return _OFFICE.sub("", name)


def level_rank(level: str) -> int:
    """Rank of a record's level for a citizen: its lowest level (a record at "Cấp bộ, Cấp xã" is done at xã)."""
    ranks = [i for i, name in enumerate(LEVELS) if name.lower() in level.lower()]
    return min(ranks) if ranks else len(LEVELS)


def level_steps(levels: Sequence[str]) -> int:
    """How far a procedure's closest level lies from a citizen of a locality: xã 0, tỉnh 1, bộ 2,
    any other 3."""
    if not levels:
        return len(LEVELS) - 1
    rank = _RANK_OF.get(levels[0])  # a document's levels are LEVELS' names: no text search per call
    return min(level_rank(levels[0]) if rank is None else rank, len(LEVELS) - 1)


_RANK_OF = {name: i for i, name in enumerate(LEVELS)}


def preferred_level(level: str) -> str:
    rank = level_rank(level)
    return LEVELS[rank] if rank < len(LEVELS) else level


@dataclass(frozen=True)
class CuratedView:
    """A curated procedure (content/procedures/*.yml) as the search sees it."""

    slug: str
    name: str
    field: str = ""
    codes: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # official name, the names of its codes
    aliases: tuple[str, ...] = ()  # what citizens call it
    questions: tuple[str, ...] = ()  # FAQ questions
    summary: str = ""


def curated_view(procedure: Any) -> CuratedView:
    """From a tthc.content.model.Procedure (or anything with slug, name, field, codes, aliases, faqs)."""
    codes = tuple(str(c["code"]) for c in getattr(procedure, "codes", []) or [] if c.get("code"))
    code_names = tuple(str(c.get("name") or "") for c in getattr(procedure, "codes", []) or [])
    names = (procedure.name, *code_names)
    aliases = tuple(str(a) for a in getattr(procedure, "aliases", []) or [] if a)
    questions = tuple(q for faq in getattr(procedure, "faqs", []) or [] for q in faq.get("questions", []))
    return CuratedView(
        slug=procedure.slug,
        name=procedure.name,
        field=str(getattr(procedure, "field", "") or ""),
        codes=codes,
        names=tuple(dict.fromkeys(n for n in names if n)),
        aliases=aliases,
        questions=questions,
        summary=str(getattr(procedure, "summary", "") or ""),
    )


CONTEXT_FIELDS = ("field", "result", "applicants", "agency", "documents")
AUDIENCES = ("citizen", "business", "organisation")  # who may apply, widest first


def audience(applicants: str) -> str:
    """Whom a record serves: people (citizen), companies and cooperatives (business), or only
    organisations and officials (organisation). An empty field counts as citizen: no information."""
    text = applicants.lower()
    if not text or any(w in text for w in ("công dân", "người việt nam", "người nước ngoài", "cá nhân", "hộ gia đình")):
        return "citizen"
    if any(w in text.replace("không bao gồm doanh nghiệp, htx", "") for w in ("doanh nghiệp", "hợp tác xã", "htx")):
        return "business"
    return "organisation"


@dataclass(frozen=True)
class SearchDoc:
    """One procedure in the index: a curated one (key = slug) or a catalogue one (key = its first code)."""

    key: str
    kind: str  # "curated" | "catalogue"
    name: str  # what to show
    codes: tuple[str, ...]  # the preferred level first
    levels: tuple[str, ...]  # the level of each code
    names: tuple[str, ...]  # official names (strongest)
    aliases: tuple[str, ...] = ()  # curated aliases: citizens' names for it
    questions: tuple[str, ...] = ()  # curated FAQ questions
    context: tuple[tuple[str, str], ...] = ()  # (field, text) for CONTEXT_FIELDS
    audience: str = "citizen"  # the widest of its records' AUDIENCES
    fingerprint: str = ""

    @property
    def code(self) -> str | None:
        return self.codes[0] if self.codes else None

    @property
    def level(self) -> str | None:
        return self.levels[0] if self.levels else None

    def context_text(self, name: str) -> str:
        return " ".join(text for f, text in self.context if f == name)


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _record_context(records: Sequence[CatalogueRecord]) -> tuple[tuple[str, str], ...]:
    out: dict[str, list[str]] = defaultdict(list)
    for r in records:
        for name, value in (("field", r.field), ("result", r.result), ("applicants", r.applicants),
                            ("agency", r.agency), ("documents", r.documents_text)):  # fmt: skip
            if value and value not in out[name]:
                out[name].append(value)
    return tuple((name, " ".join(out[name])) for name in CONTEXT_FIELDS if out[name])


def _names_district(name: str) -> bool:
    """A record named for the district level ("thực hiện tại cấp huyện"), gone since 1 July 2025: its
    commune-level twin is the one to show first."""
    return bool(DISTRICT_LEVEL.search(name))


def group_records(records: Iterable[CatalogueRecord]) -> list[list[CatalogueRecord]]:
    """Records that are one procedure at several levels: the same name once the level, and the office
    that says it ("... tại Cục Quản lý xuất nhập cảnh Bộ Công an"), are removed. Each group is
    ordered by the level a citizen would use (xã, tỉnh, bộ), a record named for the district level
    after its twins, then by code."""
    groups: dict[str, list[CatalogueRecord]] = defaultdict(list)
    for record in records:
        groups[procedure_key(record.name)].append(record)
    out = [sorted(g, key=lambda r: (level_rank(r.level), _names_district(r.name), r.code)) for g in groups.values()]
    return sorted(out, key=lambda g: g[0].code)


def defined_names(names: Sequence[str], fields: Sequence[str]) -> tuple[str, ...]:
    """The names with the short forms their field's law defines written in full (DEFINED_TERMS)."""
    out = []
    for field, short, full in DEFINED_TERMS:
        if any(field in f.lower() for f in fields):
            out += [short.sub(full, name, count=1) for name in names if short.search(name)]
    return tuple(out)


def audience_names(names: Sequence[str], group: Sequence[CatalogueRecord]) -> tuple[str, ...]:
    """The names read with the audience their records serve, where they do not say it (POLICE_POLICY)."""
    police = any((r.ministry, r.field.strip().lower()) == POLICE_POLICY for r in group)
    if not police:
        return ()
    return tuple(f"{name} {POLICE_AUDIENCE}" for name in names if "công an" not in searchable_name(name).lower())


def catalogue_doc(group: Sequence[CatalogueRecord]) -> SearchDoc:
    first = group[0]
    names = tuple(dict.fromkeys(base_name(r.name) for r in group))
    names += defined_names(names, [r.field for r in group])
    names += audience_names(names, group)
    return SearchDoc(
        key=first.code,
        kind="catalogue",
        name=base_name(first.name),
        codes=tuple(r.code for r in group),
        levels=tuple(preferred_level(r.level) for r in group),
        names=names,
        context=_record_context(group),
        audience=min((audience(r.applicants) for r in group), key=AUDIENCES.index),
        fingerprint=_fingerprint(
            [(r.code, r.name, r.level, r.field, r.agency, r.result, r.applicants, r.documents_text) for r in group]
        ),  # fmt: skip
    )


def curated_doc(view: CuratedView, groups: Sequence[Sequence[CatalogueRecord]]) -> SearchDoc:
    """A curated procedure with the record groups it cites: its own codes first, then the other
    levels of the same records."""
    records = [r for g in groups for r in g]
    by_code = {r.code: r for r in records}
    codes = list(view.codes) + [r.code for r in records if r.code not in view.codes]
    levels = [preferred_level(by_code[c].level) if c in by_code else "" for c in codes]
    names = view.names + tuple(base_name(r.name) for r in records)
    context = list(_record_context(records))
    if view.field and not any(f == "field" for f, _ in context):
        context.insert(0, ("field", view.field))
    return SearchDoc(
        key=view.slug,
        kind="curated",
        name=view.name,
        codes=tuple(codes),
        levels=tuple(levels),
        names=tuple(dict.fromkeys(n for n in names if n)),
        aliases=view.aliases,
        questions=view.questions,
        context=tuple(context),
        fingerprint=_fingerprint(view, [r.code for r in records], [catalogue_doc(g).fingerprint for g in groups]),
    )


def build_documents(records: Iterable[CatalogueRecord], curated: Iterable[CuratedView] = ()) -> list[SearchDoc]:
    """Every procedure once: curated procedures (with the record groups they cite) and every other
    record group."""
    groups = group_records(records)
    group_of: dict[str, int] = {r.code: i for i, g in enumerate(groups) for r in g}
    taken: set[int] = set()
    docs: list[SearchDoc] = []
    for view in curated:
        cited = sorted({group_of[c] for c in view.codes if c in group_of})
        taken.update(cited)
        docs.append(curated_doc(view, [groups[i] for i in cited]))
    docs += [catalogue_doc(g) for i, g in enumerate(groups) if i not in taken]
    return docs
