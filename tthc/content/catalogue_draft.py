"""Promote a procedure of the official catalogue into a DRAFT curated file, in one step.

    draft_from_catalogue(procedure, slug, today) -> str        the draft's YAML text (pure)
    promote(procedure, content_dir, slug=None, today=None, curated_codes=None) -> Path
    curated_codes(procedures) -> {code: slug}                   codes the curated files already cite
    drafts_of(content_dir, code) -> [Path]                      drafts already citing a code

The catalogue (content/catalogue/, tthc.catalogue) holds each official record already parsed
field by field, so the draft is written from those fields, not from the page's text as
`trolyao content import-dvc` does (tthc.content.dvc_import): the documents with their quantity
and form, each way of submitting with its time and fee, the legal basis with document numbers,
the results. It says only what the record says; a field the record leaves empty says so and
sends to the official page. Like an import-dvc draft it is marked `verified: false`, lists in
`notes` what the officer must check, leaves out what sends citizens to the district level (gone
since 1 July 2025), and has no FAQs yet, so `trolyao content check` fails on `faqs` alone until
an officer writes them. Drafts go to content/drafts/<slug>.yml, which the assistant never reads.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tthc.catalogue.model import CHARGED, FREE, SEE_NOTE, CatalogueProcedure, FeePeriod, Way
from tthc.content import yamltext as yt

# The draft's small pieces are import-dvc's, so both kinds of draft read alike.
from tthc.content.dvc_import import _FAQ_TODO as FAQ_TODO
from tthc.content.dvc_import import PORTAL, derive_slug, short_name
from tthc.content.dvc_import import _aliases as aliases_of
from tthc.content.dvc_import import _Draft as Findings
from tthc.content.dvc_import import _legal_entry as legal_entry
from tthc.content.dvc_import import _time_text as time_text
from tthc.content.live import write_atomically
from tthc.content.official import amounts, money
from tthc.content.schema import PATTERNS

DRAFTS = "drafts"
_CHANNEL_LABELS = {
    "Trực tuyến": "nộp trực tuyến",
    "Trực tiếp": "nộp trực tiếp",
    "Dịch vụ bưu chính": "nộp qua bưu chính",
}
_PERCENT = re.compile(r"(?<![\d.,])(\d{1,3})\s*%")
_LETTER = re.compile(r"[^\W\d_]")
_FEE_WORDS = re.compile(r"phí|đồng|USD", re.I)
_WAIVER = re.compile(r"\bmiễn\b", re.I)
_DISTRICT_BRACKET = re.compile(r"\s*\([^()]*huyện[^()]*\)", re.I)
_ONLINE_PORTALS = (
    (re.compile(r"cổng dịch vụ công quốc gia", re.I), PORTAL),
    (re.compile(r"vneid|ứng dụng định danh quốc gia", re.I), "Ứng dụng VNeID"),
    (re.compile(r"cổng dịch vụ công bộ công an", re.I), "Cổng dịch vụ công Bộ Công an"),
)


class PromoteError(ValueError):
    """The draft cannot be written: a bad slug, a file already there, a procedure already curated.
    The message is for officers (Vietnamese)."""


def default_slug(procedure: CatalogueProcedure) -> str:
    """'Cấp lại Giấy chứng nhận do bị mất' -> 'cap-lai-giay-chung-nhan-do-bi-mat'."""
    return derive_slug(short_name(procedure.name))


def curated_codes(procedures: Iterable[Any]) -> dict[str, str]:
    """Official code -> slug of the curated procedure that cites it (a curated file wins)."""
    cited: dict[str, str] = {}
    for procedure in procedures:
        for entry in procedure.codes:
            cited.setdefault(str(entry.get("code")), procedure.slug)
    return cited


def draft_from_catalogue(procedure: CatalogueProcedure, slug: str | None, today: dt.date) -> str:
    """The draft procedure file for one catalogue procedure, as YAML text with a header comment."""
    found = Findings({})
    slug = slug or default_slug(procedure)
    if not PATTERNS["slug"].match(slug):
        raise PromoteError(
            f"Mã '{slug}' không hợp lệ: chỉ dùng chữ thường không dấu, số và dấu gạch ngang (ví dụ dang-ky-khai-sinh)."
        )
    official = _title(found, procedure.name)
    name = short_name(official)
    head: dict[str, Any] = {
        "slug": slug,
        "name": name,
        "field": found.keep(procedure.field or "", "lĩnh vực") or "Chưa rõ (bản ghi không ghi lĩnh vực)",
        "codes": _codes(found, procedure, official),
        "aliases": aliases_of(name),
        "summary": _summary(found, procedure, official),
        "authority": _authority(found, procedure),
        "where": _where(found, procedure),
        "documents": _documents(found, procedure),
        "steps": _steps(found, procedure),
        "processing_time": _processing_time(found, procedure.ways),
        "fee": _fee(found, procedure.ways, today),
        "online": _online(found, procedure),
        "result": _result(found, procedure),
        "legal_basis": _legal_basis(found, procedure),
    }
    tail: dict[str, Any] = {
        "sources": _sources(procedure),
        "verified": False,
        "notes": _notes(found, procedure, today),
        "last_reviewed": today,
    }
    text = _header(procedure, today) + yt.dump(head) + FAQ_TODO + yt.dump(tail)
    if yt.load(text) != {**head, "faqs": [], **tail}:  # the emitter must write exactly what we mean
        raise ValueError("draft does not read back as written")
    return text


def promote(
    procedure: CatalogueProcedure,
    content_dir: Path | str,
    slug: str | None = None,
    today: dt.date | None = None,
    cited: Mapping[str, str] | None = None,
) -> Path:
    """Write content/drafts/<slug>.yml for the procedure; never over a draft or a curated file.

    ``cited`` (code -> slug, from curated_codes) refuses a procedure a curated file already covers."""
    if cited and procedure.code in cited:
        raise PromoteError(
            f"Thủ tục {procedure.code} đã có tệp nội dung riêng ({cited[procedure.code]}); hãy sửa tệp đó."
        )
    text = draft_from_catalogue(procedure, slug, today or dt.date.today())
    final = str(yt.load(text)["slug"])
    root = Path(content_dir)
    for existing in (root / "procedures" / f"{final}.yml", root / DRAFTS / f"{final}.yml"):
        if existing.exists():
            raise PromoteError(
                f"Đã có tệp {existing.parent.name}/{existing.name}; hãy đặt tên tệp khác (không ghi đè tệp đang có)."
            )
    target = root / DRAFTS / f"{final}.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, text)
    return target


def drafts_of(content_dir: Path | str, code: str) -> list[Path]:
    """The drafts (content/drafts/*.yml) that cite an official code, whoever wrote them."""
    cited = re.compile(rf"^\s*-?\s*code:\s*[\"']?{re.escape(code)}[\"']?\s*$", re.M)
    found = []
    for path in sorted((Path(content_dir) / DRAFTS).glob("*.y*ml")):
        try:
            if cited.search(path.read_text(encoding="utf-8")):
                found.append(path)
        except (OSError, UnicodeDecodeError):
            continue
    return found


# ---------------------------------------------------------------------------------------------
# The draft's fields, in file order


def _title(found: Findings, name: str) -> str:
    """The official name; one that says where the district level did it ('Trình báo mất hộ chiếu
    phổ thông (thực hiện tại cấp huyện)') loses that bracket, and the notes say so."""
    kept = found.keep(name, "tên thủ tục")
    if kept:
        return kept
    return _DISTRICT_BRACKET.sub("", name).strip() or name


def _codes(found: Findings, procedure: CatalogueProcedure, official: str) -> list[dict[str, Any]]:
    if not (PATTERNS["code"].match(procedure.code) and PATTERNS["url"].match(procedure.detail_url)):
        found.checks.append("mã thủ tục hoặc đường dẫn trang chính thức trong bản ghi không đúng dạng")
        return []
    entry: dict[str, Any] = {"code": procedure.code, "name": official}
    levels = [level for level in procedure.level_names if found.keep(level, "cấp thực hiện")]
    if levels:
        entry["level"] = ", ".join(levels)
    entry["url"] = procedure.detail_url
    return [entry]


def _summary(found: Findings, procedure: CatalogueProcedure, official: str) -> str:
    details = [procedure.level, f"lĩnh vực {procedure.field}" if procedure.field else ""]
    described = found.keep(", ".join(x for x in details if x), "tóm tắt")
    summary = f"Bản nháp từ danh mục thủ tục ({PORTAL}): {official}" + (f" ({described})." if described else ".")
    applicants = found.keep(", ".join(procedure.applicants), "đối tượng thực hiện")
    return summary + (f" Đối tượng thực hiện: {applicants}." if applicants else "")


def _authority(found: Findings, procedure: CatalogueProcedure) -> str:
    for value in (procedure.authority, procedure.agency):
        kept = found.keep(value or "", "cơ quan có thẩm quyền")
        if kept:
            return kept
    found.checks.append("cơ quan giải quyết (bản ghi không ghi rõ)")
    if procedure.level:
        return f"Bản ghi Cổng DVCQG chỉ ghi cấp thực hiện: {procedure.level}."
    return "Bản ghi Cổng DVCQG không ghi cơ quan giải quyết."


def _where(found: Findings, procedure: CatalogueProcedure) -> str:
    """The record's address; else what its ways of submitting and steps say of where to submit."""
    where = found.keep(procedure.address or "", "địa chỉ tiếp nhận")
    if not where:
        texts = [way.description or "" for way in procedure.ways] + list(procedure.steps[:1])
        said = [s for text in texts for s in _sentences(text) if re.search(r"nộp hồ sơ .*(tại|đến)", s, re.I)]
        where = found.keep(" ".join(dict.fromkeys(said)), "nơi nộp (cách thức thực hiện, trình tự)")
    if not where:
        found.checks.append("nơi nộp hồ sơ (bản ghi không ghi)")
        return "Bản ghi Cổng DVCQG không ghi nơi nộp hồ sơ; xem trang chính thức."
    return where


def _documents(found: Findings, procedure: CatalogueProcedure) -> list[dict[str, Any]]:
    documents = []
    for number, document in enumerate(procedure.documents, start=1):
        name = found.keep(document.name, f"thành phần hồ sơ, giấy tờ {number}")
        if not _LETTER.search(name):  # '.', '***': a cell the page left as a mark
            continue
        item: dict[str, Any] = {"name": name, "quantity": document.quantity or "Bản ghi không ghi số lượng"}
        if not document.quantity:
            found.checks.append(f"số lượng của giấy tờ '{name[:60]}' (bản ghi không ghi)")
        if document.forms:
            item["form"] = ", ".join(document.forms)
        group = found.keep(document.group or "", f"thành phần hồ sơ, nhóm '{(document.group or '')[:40]}'")
        if group:
            item["note"] = f"Nhóm trong bản ghi: {group}"
        documents.append(item)
    if not documents:
        found.checks.append("thành phần hồ sơ (bản ghi không ghi)")
        return [{"name": "Bản ghi Cổng DVCQG không ghi thành phần hồ sơ; xem trang chính thức.", "quantity": "Chưa rõ"}]
    if any((d.quantity or "").startswith("0 bản chính, 0") for d in procedure.documents):
        found.checks.append("các giấy tờ ghi '0 bản' (thường là ghi chú hoặc giấy tờ chỉ xuất trình)")
    return documents


def _steps(found: Findings, procedure: CatalogueProcedure) -> list[str]:
    steps = [kept for n, step in enumerate(procedure.steps, 1) if (kept := found.keep(step, f"trình tự, bước {n}"))]
    if not steps:
        found.checks.append("trình tự thực hiện (bản ghi không ghi)")
        return ["Bản ghi Cổng DVCQG không ghi trình tự thực hiện; xem trang chính thức."]
    return steps


def _channels(ways: Iterable[Way]) -> str:
    labels = ", ".join(_CHANNEL_LABELS.get(way.channel, way.channel) for way in ways)
    return labels[:1].upper() + labels[1:]


def _processing_time(found: Findings, ways: tuple[Way, ...]) -> str:
    """Each processing time of the record with the ways it applies to ('Nộp trực tuyến: 10 ngày
    làm việc; nộp trực tiếp: 20 ngày làm việc'), or the one time when all ways share it."""
    times: dict[str, list[Way]] = {}
    for way in ways:
        if way.time:
            times.setdefault(way.time, []).append(way)
    if any(value.replace(",", "").replace(".", "").isdigit() for value in times):
        found.checks.append("thời hạn giải quyết (bản ghi chỉ ghi số, không ghi đơn vị ngày hay ngày làm việc)")
    if len(times) == 1:
        text = time_text(next(iter(times)))
    else:
        parts = [f"{_channels(grouped)}: {time_text(value)}" for value, grouped in times.items()]
        text = "; ".join(parts[:1] + [part[:1].lower() + part[1:] for part in parts[1:]])
    text = found.keep(text, "thời hạn giải quyết")
    if not text:
        found.checks.append("thời hạn giải quyết (bản ghi không ghi)")
        return "Bản ghi Cổng DVCQG không ghi thời hạn giải quyết; xem trang chính thức."
    return text


def _fee(found: Findings, ways: tuple[Way, ...], today: dt.date) -> dict[str, Any]:
    """One rate per distinct fee cell (with its note), naming the ways it applies to, and the
    dated clauses of its note that are still in force as rates of their own."""
    grouped: dict[tuple[str | None, str | None, str | None], list[Way]] = {}
    for way in ways:
        if way.fee_status is not None or way.fee_note or _FEE_WORDS.search(way.description or ""):
            grouped.setdefault((way.fee, way.fee_note, way.fee_status), []).append(way)
    rates = [rate for same in grouped.values() for rate in _rates(found, same, today)]
    if not rates:
        found.checks.append("phí, lệ phí (bản ghi không ghi)")
        return {"summary": "Bản ghi Cổng DVCQG không ghi phí, lệ phí; xem trang chính thức.", "rates": []}
    found.checks.append("mức phí, lệ phí và đối tượng miễn (HĐND tỉnh có thể quy định mức riêng)")
    parts = "; ".join(f"{rate['label']}: {rate['text']}{_dates(rate)}" for rate in rates)
    return {"summary": f"Theo bản ghi Cổng DVCQG (chưa đối chiếu): {parts}.", "rates": rates}


def _rates(found: Findings, ways: list[Way], today: dt.date) -> list[dict[str, Any]]:
    """A rate as the record states it: an amount only when the fee cell states exactly one (a
    "Miễn phí" whose note says more is no free rate: the cell and its note are its text)."""
    way = ways[0]
    stated = sorted(amounts(way.fee))
    unit = (way.fee_note or "") if (way.fee_note or "").startswith("/") else ""  # '/tờ khai', '/lần'
    rate: dict[str, Any] = {"label": _channels(ways)}
    if way.fee_status == FREE:
        rate.update(amount=0, text="Miễn phí")
    elif way.fee_status == CHARGED and len(stated) == 1 and _agrees(found, way, stated[0], rate["label"]):
        rate.update(amount=stated[0], text=money(stated[0]) + unit)
    elif way.fee_status == CHARGED:
        rate["text"] = found.keep(way.fee_text or "", "lệ phí") or "Bản ghi không ghi mức thu"
    elif way.fee_status == SEE_NOTE:
        rate["text"] = found.keep(way.fee_text or "", "lệ phí") or "Xem ghi chú về phí, lệ phí trong bản ghi"
    else:
        rate["text"] = found.keep(way.fee or "", "lệ phí") or "Bản ghi không ghi mức thu"
    rate["verified"] = False
    remarks = [] if way.fee_status == SEE_NOTE or unit else [way.fee_note or ""]
    remarks += [w.description or "" for w in ways if _FEE_WORDS.search(w.description or "")]
    kept = found.keep(" ".join(dict.fromkeys(r for r in remarks if r)), "lệ phí, ghi chú")
    rate["note"] = f"Theo bản ghi, chưa đối chiếu: {kept}" if kept else "Theo bản ghi, chưa đối chiếu."
    if not rate.get("amount"):
        return [rate]
    extra = _dated(found, way, rate, unit, today)
    return [{"id": rate.pop("id"), **rate} if "id" in rate else rate, *extra]  # the id first, as officers write it


def _agrees(found: Findings, way: Way, amount: int, label: str) -> bool:
    """The fee cell's amount, unless the note states other amounts and not this one ('40,000
    Việt Nam Đồng' with the note '50.000đ/giấy thông hành'): then the cell is not trusted."""
    noted = amounts(way.fee_note)
    if not noted or amount in noted:
        return True
    found.checks.append(
        f"lệ phí '{label}': ô phí ghi {money(amount)} nhưng ghi chú ghi {', '.join(money(a) for a in sorted(noted))}"
    )
    return False


def _dated(found: Findings, way: Way, rate: dict[str, Any], unit: str, today: dt.date) -> list[dict[str, Any]]:
    """The clauses of a fee note that date a rate: a clause that states the cell's amount dates
    the rate itself ('40.000đ (áp dụng đến hết ngày 31/12/2024)'); a reduction ('bằng 50%') or a
    waiver ('miễn') still in force is a rate of its own that replaces it while in force, as in
    the curated files. Clauses already over add nothing."""
    extra: list[dict[str, Any]] = []
    for period in way.fee_periods:
        over = period.valid_until is not None and period.valid_until < today
        percent = _PERCENT.search(period.text)
        if percent or _WAIVER.search(period.text):
            if over:
                continue
            amount = rate["amount"] * int(percent.group(1)) // 100 if percent else 0
            what = f"{percent.group(1)}% mức thu" if percent else "miễn"
            rate.setdefault("id", derive_slug(rate["label"]))
            extra.append(_period_rate(found, period, f"{rate['label']} ({what})", amount, unit, rate["id"]))
        elif rate["amount"] in amounts(period.text) and not rate.get("valid_to"):
            _set_dates(rate, period)
            if over:
                found.checks.append(f"lệ phí '{rate['label']}': ô phí ghi mức đã hết hiệu lực ({period.text[:80]})")
    return extra


def _period_rate(
    found: Findings, period: FeePeriod, label: str, amount: int, unit: str, replaces: str
) -> dict[str, Any]:
    rate: dict[str, Any] = {"label": label, "amount": amount, "text": money(amount) + unit if amount else "Miễn phí"}
    _set_dates(rate, period)
    rate.update(replaces=replaces, verified=False)
    kept = found.keep(period.text, "lệ phí, thời hạn áp dụng")
    rate["note"] = f"Theo bản ghi, chưa đối chiếu: {kept}" if kept else "Theo bản ghi, chưa đối chiếu."
    return rate


def _set_dates(rate: dict[str, Any], period: FeePeriod) -> None:
    if period.valid_from is not None:
        rate["valid_from"] = period.valid_from
    if period.valid_until is not None:
        rate["valid_to"] = period.valid_until


def _dates(rate: dict[str, Any]) -> str:
    since, until = rate.get("valid_from"), rate.get("valid_to")
    if since and until:
        return f" (từ {since:%d/%m/%Y} đến hết {until:%d/%m/%Y})"
    if until:
        return f" (đến hết {until:%d/%m/%Y})"
    return f" (từ {since:%d/%m/%Y})" if since else ""


def _online(found: Findings, procedure: CatalogueProcedure) -> dict[str, Any]:
    channels_used = list(dict.fromkeys(way.channel for way in procedure.ways))
    said = " ".join([*procedure.steps, *(way.description or "" for way in procedure.ways)])
    online: dict[str, Any] = {"available": procedure.online}
    portals = [name for pattern, name in _ONLINE_PORTALS if pattern.search(said)]
    if procedure.online and portals:
        online["channels"] = portals
    if procedure.online and PATTERNS["url"].match(procedure.detail_url):
        online["url"] = procedure.detail_url
    if channels_used:
        online["note"] = "Theo bản ghi, hình thức nộp: " + ", ".join(c.lower() for c in channels_used) + "."
    else:
        online["note"] = "Bản ghi không ghi hình thức nộp; chưa rõ có nộp trực tuyến được không."
        found.checks.append("có nộp trực tuyến được không (bản ghi không ghi)")
    return online


def _result(found: Findings, procedure: CatalogueProcedure) -> str:
    results = [kept for result in procedure.results if (kept := found.keep(result, "kết quả"))]
    if not results:
        found.checks.append("kết quả (bản ghi không ghi)")
        return "Bản ghi Cổng DVCQG không ghi kết quả; xem trang chính thức."
    return "; ".join(results)


def _legal_basis(found: Findings, procedure: CatalogueProcedure) -> list[str]:
    entries = [legal_entry(doc.title, doc.number) if doc.number else doc.title for doc in procedure.legal_basis]
    legal = [kept for entry in entries if (kept := found.keep(entry, "căn cứ pháp lý"))]
    if not legal:
        found.checks.append("căn cứ pháp lý (bản ghi không ghi)")
        return ["Bản ghi Cổng DVCQG không ghi căn cứ pháp lý; cần bổ sung."]
    return list(dict.fromkeys(legal))


def _sources(procedure: CatalogueProcedure) -> list[str]:
    sources = [f"{PORTAL}, thủ tục {procedure.code}: {procedure.detail_url}"]
    if procedure.decision:
        sources.append(f"Quyết định công bố thủ tục số {procedure.decision} (theo bản ghi)")
    return sources


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.;])\s+", text) if s.strip()]


def _notes(found: Findings, procedure: CatalogueProcedure, today: dt.date) -> str:
    imported = f", nhập ngày {procedure.imported.isoformat()}" if procedure.imported else ""
    parts = [
        f"Bản nháp tạo ngày {today.isoformat()} từ bản ghi Cổng DVCQG mã {procedure.code} trong danh mục thủ tục "
        f"(content/catalogue/{procedure.ministry}.jsonl{imported}); chưa được cán bộ rà soát, chưa dùng cho trợ lý.",
        "Cần kiểm tra với trang chính thức: tên gọi và tóm tắt (viết lại bằng lời dễ hiểu), cơ quan giải quyết và "
        "nơi nộp theo chính quyền 2 cấp, thành phần hồ sơ, các bước (viết ngắn lại), thời hạn, lệ phí, căn cứ pháp "
        "lý còn hiệu lực; bổ sung aliases và ít nhất 5 câu hỏi thường gặp; đặt verified: true khi mọi thông tin "
        "quan trọng đã có nguồn.",
    ]
    remarks = [kept for note in procedure.document_notes if (kept := found.keep(note, "lưu ý về hồ sơ"))]
    if remarks:
        parts.append("Lưu ý về hồ sơ trong bản ghi: " + " ".join(remarks))
    guesses = [kept for note in procedure.notes if (kept := found.keep(note, "ghi chú khi nhập danh mục"))]
    guesses += [kept for way in procedure.ways if way.uncertain and (kept := found.keep(way.uncertain, "lệ phí"))]
    if guesses:
        parts.append("Khi nhập danh mục chỉ đoán được: " + "; ".join(dict.fromkeys(guesses)) + ".")
    if found.checks:
        parts.append("Lưu ý riêng: " + "; ".join(dict.fromkeys(found.checks)) + ".")
    if procedure.from_raw:
        parts.append("Lấy từ toàn văn trang vì trường bị cắt: " + ", ".join(procedure.from_raw) + ".")
    if found.district:
        parts.append(
            "Bản ghi còn nhắc tới cấp huyện, cấp này không còn từ 1/7/2025; các câu đó đã bị bỏ khỏi bản nháp, cần "
            "xác định lại cơ quan cấp tỉnh hoặc cấp xã thay thế. Vị trí: "
            + "; ".join(dict.fromkeys(found.district))
            + "."
        )
    return " ".join(parts)


def _header(procedure: CatalogueProcedure, today: dt.date) -> str:
    return (
        f"# BẢN NHÁP, chưa dùng cho trợ lý. Tạo ngày {today.isoformat()} từ danh mục thủ tục: bản ghi Cổng\n"
        f"# Dịch vụ công quốc gia mã {procedure.code}: {procedure.detail_url}\n"
        "# Việc của cán bộ: đối chiếu từng mục với trang chính thức, viết lại bằng lời dễ hiểu, bổ sung aliases,\n"
        "# viết ít nhất 5 câu hỏi thường gặp (faqs), đặt verified cho đúng, rồi chuyển tệp vào\n"
        "# content/procedures/ và chạy: .venv/bin/trolyao content check\n"
        "# Xem mục 'notes' ở cuối tệp: những điểm phải kiểm tra.\n"
    )
