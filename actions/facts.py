"""One procedure's facts as the procedure responses take them, from a curated file or from an
official catalogue record, so that both tiers are answered by the same code in the same shape.

Each aspect has a short text, the first answer on a phone, and the whole detail, which a button
of that answer shows ("" when the short text is all there is)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from actions import formatting, record_facts
from tthc.catalogue.model import CatalogueProcedure
from tthc.content import Locality, Procedure
from tthc.content.model import word_count

PORTAL_SEARCH = "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh.html"
AUTHORITY = "Cơ quan giải quyết"
AUTHORITY_WORDS = 20  # a record's agency up to this long is said in the first "where" answer


@dataclass(frozen=True)
class Aspect:
    short: str  # the fact asked for, in a few lines
    full: str = ""  # every case of it, shown on tap; "" when ``short`` says it all

    @classmethod
    def of(cls, short: str, full: str) -> Aspect:
        return cls(short, "" if full.strip() == short.strip() else full)


@dataclass(frozen=True)
class Facts:
    id: str  # slug, or the official code of a catalogue procedure
    name: str
    codes: tuple[str, ...]
    url: str  # the official page
    dated: str  # "nội dung rà soát ngày 23/11/2026" / "cập nhật từ Cổng ngày 03/12/2026"
    verified: bool
    summary: str
    documents: Aspect
    fee: Aspect
    processing_time: Aspect
    where: Aspect
    online: Aspect
    steps: tuple[str, ...]
    levels: str = ""  # one line naming the other levels, "" when there are none
    curated: bool = True


def curated_facts(proc: Procedure, loc: Locality, today: dt.date) -> Facts:
    local = formatting.local_fee_lines(loc, proc.slug, today)
    rates = formatting.fee_rates(proc, today)
    fee_short = proc.short_fee(today) or (
        proc.fee_summary if proc.short.get("fee") is None else formatting.fee_rates(proc, today, exemptions=False)
    )
    fee_full = "\n".join(part for part in (proc.fee_summary, rates, local) if part)
    time_short = proc.short.get("processing_time") or proc.processing_time
    return Facts(
        id=proc.slug,
        name=proc.name,
        codes=tuple(str(c["code"]) for c in proc.codes),
        url=proc.official_url,
        dated=f"nội dung rà soát ngày {formatting.vn_date(proc.last_reviewed)}",
        verified=proc.verified,
        summary=proc.summary,
        documents=Aspect.of(formatting.main_documents(proc), formatting.documents(proc)),
        fee=Aspect.of(f"{fee_short}\n{local}" if local else fee_short, fee_full),
        processing_time=Aspect.of(time_short, proc.processing_time),
        where=Aspect.of(proc.short.get("where") or proc.where, f"{proc.where}\n{AUTHORITY}: {proc.authority}"),
        online=Aspect.of(proc.short.get("online") or formatting.online_short(proc), formatting.online(proc)),
        steps=tuple(proc.steps),
    )


def record_facts_of(
    record: CatalogueProcedure,
    group: list[CatalogueProcedure],
    today: dt.date,
    siblings: Sequence[CatalogueProcedure] = (),
    twins: Sequence[CatalogueProcedure] = (),
) -> Facts:
    """A catalogue procedure, answered for ``record`` (its preferred level); ``group`` holds the
    records of the same procedure at other levels, ``siblings`` those of its family at farther
    levels (bigger cases, other applicants), ``twins`` the same procedure submitted another way."""
    fee_summary, rates = record_facts.fee(record, today)
    fee = f"{fee_summary}\n{rates}" if rates else fee_summary
    imported = record_facts.imported_on(record)
    lines = (record_facts.other_levels(record, group), record_facts.siblings(siblings), record_facts.twins(twins))
    levels = "\n".join(line for line in lines if line)
    desk, authority = record_facts.where(record), record_facts.authority(record)
    with_authority = f"{desk}\n{AUTHORITY}: {authority}"
    # A record's desk is often "the one-stop desk of the deciding agency": name the agency when short.
    where = with_authority if word_count(authority) <= AUTHORITY_WORDS else desk
    where_full = with_authority + (f"\n{levels}" if levels else "")
    return Facts(
        id=record.code,
        name=record_facts.display_name(record.name),
        codes=tuple(dict.fromkeys([record.code, *(other.code for other in group)])),
        url=record.detail_url or PORTAL_SEARCH,
        dated=f"cập nhật từ Cổng ngày {imported}" if imported else "theo bản ghi của Cổng",
        verified=True,
        summary=record_facts.summary(record),
        documents=Aspect.of(record_facts.main_documents(record), record_facts.documents(record)),
        fee=Aspect(fee),
        processing_time=Aspect(record_facts.processing_time(record)),
        where=Aspect.of(where, where_full),
        online=Aspect(record_facts.online(record)),
        steps=tuple(record_facts.steps(record)),
        levels=levels,
        curated=False,
    )
