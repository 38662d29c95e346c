"""The content base as Python objects, loaded only from files that pass the checker."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from tthc.settings import DEFAULT_LOCALITY

if TYPE_CHECKING:
    from tthc.catalogue.model import CatalogueProcedure

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Appointment desk when a locality sets none: weekday slots, a few citizens per slot.
DEFAULT_BOOKING = {"capacity": 5, "slots": ["08:00", "09:00", "10:00", "14:00", "15:00", "16:00"],
                   "days": ["mon", "tue", "wed", "thu", "fri"], "horizon_days": 30}  # fmt: skip
NATIONAL_PORTAL = "https://dichvucong.gov.vn"


T = TypeVar("T")
_FIGURE = re.compile(r"\d+(?:[.,]\d{3})*")


def figures(text: str) -> set[int]:
    """The numbers written in a text, as values: "7.000 đồng" -> 7000, "03 ngày" -> 3, "1/7/2025" -> 1, 7, 2025.
    A short text may only name figures its full text names (tthc.content.check)."""
    return {int(re.sub(r"[.,]", "", match)) for match in _FIGURE.findall(text)}


def word_count(text: str) -> int:
    """Words as the answers' measurement counts them: tokens holding a letter or a digit."""
    return sum(1 for token in text.split() if any(ch.isalnum() for ch in token))


class UnknownLocality(LookupError):
    """The deployment's locality (TROLYAO_LOCALITY) has no file in content/localities/."""


class ContentError(Exception):
    """Content files that do not pass the checker; `report` holds every problem."""

    def __init__(self, report: Any) -> None:
        self.report = report
        first = "; ".join(str(e) for e in report.errors[:3])
        super().__init__(f"{len(report.errors)} lỗi nội dung: {first}")


@dataclass(frozen=True)
class FeeRate:
    label: str
    text: str
    amount: int | None = None
    id: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    replaces: str | None = None
    verified: bool = True
    note: str | None = None

    def in_force(self, today: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= today) and (
            self.valid_to is None or today <= self.valid_to
        )


@dataclass(frozen=True)
class Procedure:
    slug: str
    name: str
    field: str
    codes: list[dict[str, Any]]
    aliases: list[str]
    summary: str
    authority: str
    where: str
    documents: list[dict[str, Any]]
    steps: list[str]
    processing_time: str
    fee_summary: str
    fee_rates: list[FeeRate]
    fee_exemptions: list[str]
    online: dict[str, Any]
    result: str
    legal_basis: list[str]
    faqs: list[dict[str, Any]]
    related: list[str]
    sources: list[str]
    verified: bool
    notes: str | None
    last_reviewed: dt.date
    # The officers' short wording of some facts, for the first answer on a phone (fee,
    # processing_time, where, online); the full fact is one tap away.
    short: dict[str, str]

    @property
    def official_url(self) -> str:
        return str(self.codes[0]["url"]) if self.codes else NATIONAL_PORTAL

    @property
    def official_codes(self) -> str:
        return ", ".join(str(c["code"]) for c in self.codes) or "chưa có"

    def rates_in_force(self, today: dt.date) -> list[FeeRate]:
        """Rates to show today: dated rates only within their dates, hiding what they replace."""
        current = [r for r in self.fee_rates if r.in_force(today)]
        replaced = {r.replaces for r in current if r.replaces}
        return [r for r in current if r.id is None or r.id not in replaced]

    def short_fee(self, today: dt.date) -> str | None:
        """The short fee text, unless it names the amount of a dated rate that is not in force
        today (nor the amount of one that is): a figure past its end date is never said."""
        text = self.short.get("fee")
        if not text:
            return None
        named = figures(text)
        shown = {r.amount for r in self.rates_in_force(today) if r.amount is not None}
        for rate in self.fee_rates:
            dated = rate.valid_from is not None or rate.valid_to is not None
            if dated and rate.amount in named and rate.amount not in shown and not rate.in_force(today):
                return None
        return text


@dataclass(frozen=True)
class Locality:
    id: str
    name: str
    aliases: list[str]
    hotlines: list[dict[str, Any]]
    survey_url: str | None
    portals: list[dict[str, Any]]
    service_centres: list[dict[str, Any]]
    office_hours: dict[str, Any]
    local_fees: list[dict[str, Any]]
    booking: dict[str, Any]
    verified: bool
    notes: str | None
    last_reviewed: dt.date


@dataclass(frozen=True)
class ContentBase:
    procedures: dict[str, Procedure]
    localities: dict[str, Locality]
    signature: str = ""
    # The official catalogue (content/catalogue/), keyed by code: a curated procedure wins over
    # the record with the same code. Loaded and reloaded apart from the curated files.
    catalogue: Mapping[str, CatalogueProcedure] = field(default_factory=dict, compare=False, repr=False)
    catalogue_signature: str = ""
    _derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def locality(self, wanted: str | None = None) -> Locality:
        """The named locality, else the default deployment's (DEFAULT_LOCALITY).

        Raises UnknownLocality when it is not in the content: a deployment whose locality file
        is missing must say so at start, not answer with another province's hotline."""
        key = wanted or DEFAULT_LOCALITY
        if key not in self.localities:
            known = ", ".join(sorted(self.localities)) or "none"
            raise UnknownLocality(f"content/localities/{key}.yml: locality {key!r} not found (known: {known})")
        return self.localities[key]

    def derived(self, key: str, build: Callable[[], T]) -> T:
        """A value computed from this content version once (e.g. its search index), shared by
        every reader of it; an edit makes a new version, so the value is rebuilt."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]


def _procedure(data: dict[str, Any]) -> Procedure:
    fee = data["fee"]
    return Procedure(
        slug=data["slug"],
        name=data["name"],
        field=data["field"],
        codes=list(data["codes"]),
        aliases=[str(a) for a in data["aliases"]],
        summary=data["summary"].strip(),
        authority=data["authority"].strip(),
        where=data["where"].strip(),
        documents=list(data["documents"]),
        steps=[str(x) for x in data["steps"]],
        processing_time=data["processing_time"].strip(),
        fee_summary=fee["summary"].strip(),
        fee_rates=[FeeRate(**r) for r in fee.get("rates") or []],
        fee_exemptions=list(fee.get("exemptions") or []),
        online=dict(data["online"]),
        result=data["result"].strip(),
        legal_basis=list(data["legal_basis"]),
        faqs=list(data["faqs"]),
        related=list(data.get("related") or []),
        sources=list(data["sources"]),
        verified=bool(data["verified"]),
        notes=data.get("notes"),
        last_reviewed=data["last_reviewed"],
        short={key: str(value).strip() for key, value in (data.get("short") or {}).items() if value},
    )


def _locality(data: dict[str, Any]) -> Locality:
    return Locality(
        id=data["id"],
        name=data["name"],
        aliases=list(data.get("aliases") or []),
        hotlines=list(data["hotlines"]),
        survey_url=(data.get("survey") or {}).get("url"),
        portals=list(data.get("portals") or []),
        service_centres=list(data.get("service_centres") or []),
        office_hours=dict(data.get("office_hours") or {}),
        local_fees=list(data.get("local_fees") or []),
        booking=dict(data.get("booking") or DEFAULT_BOOKING),
        verified=bool(data["verified"]),
        notes=data.get("notes"),
        last_reviewed=data["last_reviewed"],
    )


def signature(directory: Path) -> str:
    """Cheap change detector: names, sizes and modification times of every content file."""
    parts = []
    for path in sorted(directory.glob("*/*.y*ml")):
        stat = path.stat()
        parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def load_content(directory: Path | str, with_catalogue: bool = True) -> ContentBase:
    """Load every file, or raise ContentError with the full report if any file is wrong.

    The catalogue comes along unless ``with_catalogue`` is false (a broken catalogue file raises
    CatalogueError: the curated files are still checked on their own)."""
    from tthc.content.check import check_content

    base = Path(directory)
    sig = signature(base)
    report = check_content(base)
    if not report.ok:
        raise ContentError(report)
    procedures = {}
    for path in sorted((base / "procedures").glob("*.y*ml")):
        proc = _procedure(yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER))
        procedures[proc.slug] = proc
    localities = {}
    for path in sorted((base / "localities").glob("*.y*ml")):
        loc = _locality(yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER))
        localities[loc.id] = loc
    curated = ContentBase(procedures, localities, sig)
    return with_catalogue_of(curated, base) if with_catalogue else curated


def with_catalogue_of(curated: ContentBase, directory: Path) -> ContentBase:
    """The curated content with the catalogue as it is on disk now."""
    from tthc.catalogue.store import load_catalogue
    from tthc.catalogue.store import signature as catalogue_signature

    sig = catalogue_signature(directory)
    catalogue = load_catalogue(directory) if sig else {}
    return replace(curated, catalogue=catalogue, catalogue_signature=sig, _derived={})
