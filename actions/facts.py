"""One procedure's facts as the procedure responses take them, from a curated file or from an
official catalogue record, so that both tiers are answered by the same code in the same shape."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from actions import formatting, record_facts
from tthc.catalogue.model import CatalogueProcedure
from tthc.content import Locality, Procedure

PORTAL_SEARCH = "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh.html"


@dataclass(frozen=True)
class Facts:
    id: str  # slug, or the official code of a catalogue procedure
    name: str
    codes: tuple[str, ...]
    url: str  # the official page
    dated: str  # "nội dung rà soát ngày 23/11/2026" / "cập nhật từ Cổng ngày 03/12/2026"
    verified: bool
    summary: str
    documents: str
    fee_summary: str
    rates: str
    processing_time: str
    authority: str
    where: str
    online: str
    steps: tuple[str, ...]
    levels: str = ""  # one line naming the other levels, "" when there are none
    curated: bool = True


def curated_facts(proc: Procedure, loc: Locality, today: dt.date) -> Facts:
    rates = formatting.fee_rates(proc, today)
    local = formatting.local_fee_lines(loc, proc.slug, today)
    return Facts(
        id=proc.slug,
        name=proc.name,
        codes=tuple(str(c["code"]) for c in proc.codes),
        url=proc.official_url,
        dated=f"nội dung rà soát ngày {formatting.vn_date(proc.last_reviewed)}",
        verified=proc.verified,
        summary=proc.summary,
        documents=formatting.documents(proc),
        fee_summary=proc.fee_summary,
        rates=f"{rates}\n{local}" if local else rates,
        processing_time=proc.processing_time,
        authority=proc.authority,
        where=proc.where,
        online=formatting.online(proc),
        steps=tuple(proc.steps),
    )


def record_facts_of(record: CatalogueProcedure, group: list[CatalogueProcedure], today: dt.date) -> Facts:
    """A catalogue procedure, answered for ``record`` (its preferred level); ``group`` holds the
    records of the same procedure at other levels."""
    fee_summary, rates = record_facts.fee(record, today)
    imported = record_facts.imported_on(record)
    return Facts(
        id=record.code,
        name=record.name,
        codes=tuple(dict.fromkeys([record.code, *(other.code for other in group)])),
        url=record.detail_url or PORTAL_SEARCH,
        dated=f"cập nhật từ Cổng ngày {imported}" if imported else "theo bản ghi của Cổng",
        verified=True,
        summary=record_facts.summary(record),
        documents=record_facts.documents(record),
        fee_summary=fee_summary,
        rates=rates,
        processing_time=record_facts.processing_time(record),
        authority=record_facts.authority(record),
        where=record_facts.where(record),
        online=record_facts.online(record),
        steps=tuple(record_facts.steps(record)),
        levels=record_facts.other_levels(record, group),
        curated=False,
    )
