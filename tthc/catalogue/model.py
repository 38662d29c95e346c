"""The official catalogue's procedures as typed, immutable objects, and their compact dict form.

A `CatalogueProcedure` holds what one record of the national portal (Cổng Dịch vụ công quốc gia)
says, field by field, and nothing else: a field the record leaves empty or marks "Không có thông
tin" is None (or an empty tuple), never a guess. `to_dict` / `from_dict` are the on-disk form
(tthc.catalogue.store): keys in a fixed order, empty values left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

# Ministry folders of the export (records/<folder>/<code>.json) and the ministry each one is.
MINISTRIES: dict[str, str] = {
    "bo-cong-an": "Bộ Công an",
    "bo-nong-nghiep-mt": "Bộ Nông nghiệp và Môi trường",
    "bo-tai-chinh": "Bộ Tài chính",
    "bo-tu-phap": "Bộ Tư pháp",
    "bo-xay-dung": "Bộ Xây dựng",
    "ngan-hang-nha-nuoc": "Ngân hàng Nhà nước Việt Nam",
    "toa-an-nhan-dan": "Tòa án nhân dân",
}

# cap_thuc_hien values and their short keys, in the order levels are listed.
LEVELS: dict[str, str] = {
    "Cấp bộ": "bo",
    "Cấp tỉnh": "tinh",
    "Cấp xã": "xa",
    "Cấp huyện": "huyen",
    "Cơ quan khác": "khac",
}
LEVEL_NAMES: dict[str, str] = {key: name for name, key in LEVELS.items()}

CHANNELS = ("Trực tiếp", "Trực tuyến", "Dịch vụ bưu chính")

# Way.fee_status
FREE = "free"  # the fee cell says "Miễn phí" and nothing qualifies it
CHARGED = "charged"  # the fee cell states an amount
SEE_NOTE = "see_note"  # the cell says "Miễn phí" but its note says more (a fee set elsewhere, conditions)


@dataclass(frozen=True)
class FeePeriod:
    """A clause of a fee note that dates a rate: 'áp dụng mức phí ... từ ngày 01/7/2025 đến hết
    ngày 31/12/2026'. The dates are the ones the clause states; None where it states none."""

    text: str
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    def in_force(self, today: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= today) and (
            self.valid_until is None or today <= self.valid_until
        )


@dataclass(frozen=True)
class Way:
    """One way of submitting (a row of 'Cách thức thực hiện'), its cells as the record writes them."""

    channel: str  # "Trực tiếp", "Trực tuyến", "Dịch vụ bưu chính"
    time: str | None = None  # processing time cell: "5 Ngày làm việc", "1" (no unit on the page)
    fee: str | None = None  # fee cell: "Miễn phí", "50,000 Việt Nam Đồng", "20 VNĐ"
    fee_note: str | None = None  # the bracketed text after the fee cell
    fee_status: str | None = None  # FREE, CHARGED, SEE_NOTE; None: the record has no fee information
    fee_periods: tuple[FeePeriod, ...] = ()
    description: str | None = None
    uncertain: str | None = None  # why the split of this row's glued cells is a guess

    @property
    def fee_text(self) -> str | None:
        """The whole fee cell with its note: never just "Miễn phí" when the note says more."""
        if self.fee is None:
            return self.fee_note
        return f"{self.fee} ({self.fee_note})" if self.fee_note else self.fee

    @property
    def free(self) -> bool:
        return self.fee_status == FREE


@dataclass(frozen=True)
class Document:
    """One row of 'Thành phần hồ sơ'."""

    name: str
    forms: tuple[str, ...] = ()  # form files named in the row ('Mau01.doc')
    quantity: str | None = None  # "1 bản chính, 1 bản sao"; None: the page cut the row
    group: str | None = None  # the table's heading: "Giấy tờ phải nộp", a case ("Trường hợp ủy quyền ...")

    @property
    def form(self) -> str | None:
        return self.forms[0] if self.forms else None

    @property
    def originals(self) -> int | None:
        return _count(self.quantity, "bản chính")

    @property
    def copies(self) -> int | None:
        return _count(self.quantity, "bản sao")


def _count(quantity: str | None, kind: str) -> int | None:
    if not quantity:
        return None
    for part in quantity.split(","):
        number, _, rest = part.strip().partition(" ")
        if rest == kind and number.isdigit():
            return int(number)
    return 0


@dataclass(frozen=True)
class LegalDocument:
    title: str  # as the page writes it: "Thông tư Hướng dẫn về phí và lệ phí ..."
    number: str | None = None  # "64/2025/TT-BTC"; None when the page gives none


@dataclass(frozen=True)
class CatalogueProcedure:
    code: str
    name: str
    detail_url: str
    ministry: str  # the export's folder: "bo-tu-phap"
    levels: tuple[str, ...] = ()  # ("bo", "tinh", "xa", "khac"), from cap_thuc_hien
    field: str | None = None  # linh_vuc
    applicants: tuple[str, ...] = ()  # doi_tuong_thuc_hien
    agency: str | None = None  # co_quan_thuc_hien
    authority: str | None = None  # co_quan_co_tham_quyen
    address: str | None = None  # dia_chi_tiep_nhan
    delegated: str | None = None  # co_quan_duoc_uy_quyen
    coordinating: str | None = None  # co_quan_phoi_hop
    decision: str | None = None  # so_quyet_dinh, the decision that published the procedure
    kind: str | None = None  # loai_thu_tuc
    related: str | None = None  # thu_tuc_lien_quan
    ways: tuple[Way, ...] = ()
    documents: tuple[Document, ...] = ()
    document_notes: tuple[str, ...] = ()  # the documents table's "Lưu ý" rows
    legal_basis: tuple[LegalDocument, ...] = ()
    results: tuple[str, ...] = ()
    result_note: str | None = None  # the page's "Mô tả" under the results
    keywords: str | None = None  # the page's "Từ khóa"
    conditions: str | None = None  # yeu_cau_dieu_kien
    steps: tuple[str, ...] = ()
    from_raw: tuple[str, ...] = ()  # record fields taken from the page text because the field was cut or wrong
    notes: tuple[str, ...] = ()  # what the import could only guess; for officers
    imported: dt.date | None = None  # when this procedure's content was last imported or changed

    @property
    def ministry_name(self) -> str:
        return MINISTRIES.get(self.ministry, self.ministry)

    @property
    def level_names(self) -> tuple[str, ...]:
        return tuple(LEVEL_NAMES.get(level, level) for level in self.levels)

    @property
    def online(self) -> bool:
        return any(way.channel == "Trực tuyến" for way in self.ways)

    # Flat text views, for readers that index words rather than structure (the search).
    @property
    def level(self) -> str:
        return ", ".join(self.level_names)  # "Cấp bộ, Cấp tỉnh"

    @property
    def result(self) -> str:
        return "; ".join(self.results)

    @property
    def documents_text(self) -> str:
        return " ".join(document.name for document in self.documents)


# Field names as officers read them, for reports of what changed.
FIELD_LABELS: dict[str, str] = {
    "code": "mã thủ tục",
    "name": "tên thủ tục",
    "detail_url": "trang chính thức",
    "ministry": "bộ, ngành",
    "levels": "cấp thực hiện",
    "field": "lĩnh vực",
    "applicants": "đối tượng thực hiện",
    "agency": "cơ quan thực hiện",
    "authority": "cơ quan có thẩm quyền",
    "address": "địa chỉ tiếp nhận hồ sơ",
    "delegated": "cơ quan được ủy quyền",
    "coordinating": "cơ quan phối hợp",
    "decision": "quyết định công bố",
    "kind": "loại thủ tục",
    "related": "thủ tục liên quan",
    "ways": "cách thức thực hiện (thời hạn, phí, lệ phí)",
    "documents": "thành phần hồ sơ",
    "document_notes": "lưu ý về hồ sơ",
    "legal_basis": "căn cứ pháp lý",
    "results": "kết quả",
    "result_note": "mô tả kết quả",
    "keywords": "từ khóa",
    "conditions": "yêu cầu, điều kiện",
    "steps": "trình tự thực hiện",
    "from_raw": "trường lấy từ toàn văn trang",
    "notes": "ghi chú khi nhập",
    "imported": "ngày nhập",
}


# ---------------------------------------------------------------------------------------------
# Dict form: what the store writes, one procedure per line


def to_dict(procedure: CatalogueProcedure) -> dict[str, Any]:
    return _encode(procedure)


def _encode(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        out = {}
        for spec in fields(value):
            item = getattr(value, spec.name)
            if item is None or item == ():
                continue
            out[spec.name] = _encode(item)
        return out
    return value


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _way(data: dict[str, Any]) -> Way:
    return Way(
        channel=data["channel"],
        time=data.get("time"),
        fee=data.get("fee"),
        fee_note=data.get("fee_note"),
        fee_status=data.get("fee_status"),
        fee_periods=tuple(
            FeePeriod(p["text"], _date(p.get("valid_from")), _date(p.get("valid_until")))
            for p in data.get("fee_periods", ())
        ),
        description=data.get("description"),
        uncertain=data.get("uncertain"),
    )


def from_dict(data: dict[str, Any]) -> CatalogueProcedure:
    get = data.get
    return CatalogueProcedure(
        code=data["code"],
        name=data["name"],
        detail_url=data["detail_url"],
        ministry=data["ministry"],
        levels=tuple(get("levels", ())),
        field=get("field"),
        applicants=tuple(get("applicants", ())),
        agency=get("agency"),
        authority=get("authority"),
        address=get("address"),
        delegated=get("delegated"),
        coordinating=get("coordinating"),
        decision=get("decision"),
        kind=get("kind"),
        related=get("related"),
        ways=tuple(_way(w) for w in get("ways", ())),
        documents=tuple(
            Document(d["name"], tuple(d.get("forms", ())), d.get("quantity"), d.get("group"))
            for d in get("documents", ())
        ),
        document_notes=tuple(get("document_notes", ())),
        legal_basis=tuple(LegalDocument(x["title"], x.get("number")) for x in get("legal_basis", ())),
        results=tuple(get("results", ())),
        result_note=get("result_note"),
        keywords=get("keywords"),
        conditions=get("conditions"),
        steps=tuple(get("steps", ())),
        from_raw=tuple(get("from_raw", ())),
        notes=tuple(get("notes", ())),
        imported=_date(get("imported")),
    )
