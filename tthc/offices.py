"""Where a procedure is handled in a locality: the office a citizen books an appointment at.

The kind of office comes from the procedure: its levels (a curated file's ``codes[].level``, a
catalogue record's ``levels``; from the authority's wording when there are none) and who handles
it (``authority``; a record's ``agency``). A commune-level procedure goes to the commune police
(căn cước, cư trú) or to the commune's one-stop desk (hộ tịch, chứng thực...); a provincial one
to the provincial police (hộ chiếu, lý lịch tư pháp) or to the provincial service centre.

The office itself comes from the locality file's ``service_centres`` when it lists one of that
kind; otherwise it is a generic entry ("UBND xã/phường nơi cư trú – Bộ phận Một cửa") with a
link to look the office up. An address is given only where the locality file has it and does
not mark it unverified: never an invented one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from tthc.catalogue.model import LEVELS
from tthc.content.model import NATIONAL_PORTAL, ContentBase, Locality
from tthc.text.normalize import accent_key

POLICE_COMMUNE = "cong-an-xa"
COMMUNE = "mot-cua-xa"
POLICE_PROVINCE = "cong-an-tinh"
PROVINCE = "trung-tam-tinh"

_COMMUNE_WORDS = re.compile(r"\b(xa|phuong|dac khu)\b")
_POLICE_WORDS = re.compile(r"\b(cong an|xuat nhap canh|canh sat)\b")
_COMMUNE_POLICE = re.compile(r"\bcong an (cap )?xa\b")
_COMMUNE_DESK = re.compile(r"\b(uy ban nhan dan|ubnd)( cap)? xa\b|\bbo phan mot cua\b|\btrung tam phuc vu")
_COMMUNE_LEVEL = re.compile(r"\bcap xa\b|\b(uy ban nhan dan|ubnd|cong an)( cap)? xa\b")
_PROVINCE_LEVEL = re.compile(r"\bcap tinh\b|\btinh, thanh pho\b|\b(cong an|so [a-z ]{2,30}) tinh\b")
# A provincial police unit named before "Công an tỉnh": "Cơ quan Quản lý xuất nhập cảnh", "Phòng
# Cảnh sát giao thông"; a record's agency may name it alone ("Phòng Xuất nhập cảnh").
_POLICE_UNIT = re.compile(r"\b((?:Phòng|Cơ quan) [^,;.()]+?)\s*(?=Công an|công an|[,;.()]|$)")


@dataclass(frozen=True)
class Office:
    id: str  # what a booking stores as its centre (slots are counted per office)
    name: str
    kind: str  # POLICE_COMMUNE, COMMUNE, POLICE_PROVINCE, PROVINCE
    address: str | None = None  # only an address the locality file gives and does not mark unverified
    lookup_url: str | None = None  # where to look the office's address up when there is none
    generic: bool = False  # stands for every such office of the locality (the file lists none)


def levels_of(base: ContentBase, procedure: str) -> set[str]:
    """The levels ("bo", "tinh", "xa", "khac") a curated file's codes or a record names."""
    if procedure in base.procedures:
        found = set()
        for code in base.procedures[procedure].codes:
            for name in str(code.get("level") or "").split(","):
                if name.strip() in LEVELS:
                    found.add(LEVELS[name.strip()])
        return found
    record = base.catalogue.get(procedure)
    return set(record.levels) if record is not None else set()


def authority_of(base: ContentBase, procedure: str) -> str:
    """Who handles the procedure, as its file or record words it."""
    if procedure in base.procedures:
        return base.procedures[procedure].authority
    record = base.catalogue.get(procedure)
    if record is None:
        return ""
    return " ".join(part for part in (record.agency, record.authority, record.address) if part)


def kind_of(authority: str, levels: set[str]) -> str | None:
    """The kind of office that receives a procedure handled at ``levels`` by ``authority``;
    None when no office of the locality does (a ministry's procedure)."""
    key = accent_key(authority)
    if not levels:  # no codes: the authority's wording says the level
        if _COMMUNE_LEVEL.search(key):
            levels.add("xa")
        if _PROVINCE_LEVEL.search(key):
            levels.add("tinh")
    if "xa" in levels:
        police = _COMMUNE_POLICE.search(key)
        desk = _COMMUNE_DESK.search(key)
        return POLICE_COMMUNE if police and (desk is None or police.start() < desk.start()) else COMMUNE
    if "tinh" in levels:
        return POLICE_PROVINCE if _POLICE_WORDS.search(key) else PROVINCE
    return None


def procedure_kind(base: ContentBase, procedure: str) -> str | None:
    return kind_of(authority_of(base, procedure), levels_of(base, procedure))


def centre_kind(centre: dict[str, Any]) -> str:
    """The kind of a service centre of a locality file, from its name."""
    key = accent_key(str(centre.get("name") or ""))
    commune = bool(_COMMUNE_WORDS.search(key))
    if key.startswith("cong an"):
        return POLICE_COMMUNE if commune else POLICE_PROVINCE
    return COMMUNE if commune else PROVINCE


def lookup_url(loc: Locality) -> str:
    """Where a citizen looks an office of the locality up: its own public-service or one-stop
    portal if the file lists one, else the national portal."""
    local = [p for p in loc.portals if urlparse(str(p["url"])).netloc != urlparse(NATIONAL_PORTAL).netloc]
    for portal in local:
        if re.search(r"\b(dich vu cong|mot cua)\b", accent_key(str(portal["name"]))):
            return str(portal["url"])
    return str(local[0]["url"]) if local else NATIONAL_PORTAL


def _listed(centre: dict[str, Any], loc: Locality) -> Office:
    address = centre.get("address")
    sourced = bool(address) and centre.get("verified", True) is not False
    return Office(
        id=str(centre["id"]),
        name=str(centre["name"]),
        kind=centre_kind(centre),
        address=str(address) if sourced else None,
        lookup_url=None if sourced else lookup_url(loc),
    )


def _province(loc: Locality) -> str:
    """'Thành phố Đà Nẵng' -> 'thành phố Đà Nẵng', as it reads inside a name."""
    return loc.name[:1].lower() + loc.name[1:]


def _generic(kind: str, loc: Locality, authority: str) -> Office:
    if kind == POLICE_COMMUNE:
        name = "Công an xã/phường nơi cư trú"
    elif kind == COMMUNE:
        name = "UBND xã/phường nơi cư trú – Bộ phận Một cửa"
    elif kind == POLICE_PROVINCE:
        unit = _POLICE_UNIT.search(authority)
        police = f"Công an {_province(loc)}"
        name = f"{unit.group(1)}, {police}" if unit else police
    else:
        name = f"Trung tâm Phục vụ hành chính công {_province(loc)}"
    return Office(id=f"{kind}-{loc.id}", name=name, kind=kind, lookup_url=lookup_url(loc), generic=True)


def offices_for(base: ContentBase, procedure: str, loc: Locality) -> list[Office]:
    """The offices of ``loc`` where ``procedure`` can be booked: those the locality file lists
    for its kind, else one generic entry; none when no office of the locality receives it."""
    kind = procedure_kind(base, procedure)
    if kind is None:
        return []
    listed = [_listed(c, loc) for c in loc.service_centres if centre_kind(c) == kind]
    return listed or [_generic(kind, loc, authority_of(base, procedure))]


def office_by_id(base: ContentBase, procedure: str, loc: Locality, office_id: str | None) -> Office | None:
    """The office a booking of ``procedure`` stored, or None if it is no longer one of them."""
    return next((o for o in offices_for(base, procedure, loc) if o.id == office_id), None)
