"""What a procedure file and a locality file must hold, as data the checker walks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["str", "bool", "int", "date", "url", "phone", "slug", "code", "time", "time_range", "list", "map"]


@dataclass(frozen=True)
class Spec:
    kind: Kind
    required: bool = True
    item: Spec | None = None  # for lists
    fields: dict[str, Spec] = field(default_factory=dict)  # for maps
    min_items: int = 0
    open_keys: bool = False  # a map whose keys are free (e.g. schedule days)


def s(kind: Kind = "str", required: bool = True) -> Spec:
    return Spec(kind, required)


def lst(item: Spec, required: bool = True, min_items: int = 0) -> Spec:
    return Spec("list", required, item=item, min_items=min_items)


def mp(required: bool = True, **fields: Spec) -> Spec:
    return Spec("map", required, fields=fields)


OPTIONAL = False

RATE = mp(
    id=s("slug", OPTIONAL),
    label=s(),
    amount=s("int", OPTIONAL),
    text=s(),
    valid_from=s("date", OPTIONAL),
    valid_to=s("date", OPTIONAL),
    replaces=s("slug", OPTIONAL),
    verified=s("bool", OPTIONAL),
    note=s("str", OPTIONAL),
    source=s("str", OPTIONAL),
)

PROCEDURE = mp(
    slug=s("slug"),
    name=s(),
    field=s(),
    codes=lst(mp(code=s("code"), name=s(), level=s("str", OPTIONAL), url=s("url"))),  # [] only if unverified
    aliases=lst(s(), min_items=1),
    summary=s(),
    authority=s(),
    where=s(),
    documents=lst(
        mp(name=s(), quantity=s(), form=s("str", OPTIONAL), note=s("str", OPTIONAL), short=s("str", OPTIONAL)),
        min_items=1,
    ),
    steps=lst(s(), min_items=1),
    processing_time=s(),
    fee=mp(
        summary=s(),
        rates=lst(RATE, OPTIONAL),
        exemptions=lst(s(), OPTIONAL),
    ),
    online=mp(
        available=s("bool"),
        channels=lst(s(), OPTIONAL),
        url=s("url", OPTIONAL),
        note=s("str", OPTIONAL),
    ),
    # Answers shaped for a phone: the officers' short wording of facts already in the file (tthc.content.check).
    short=mp(
        OPTIONAL,
        fee=s("str", OPTIONAL),
        processing_time=s("str", OPTIONAL),
        where=s("str", OPTIONAL),
        online=s("str", OPTIONAL),
    ),
    result=s(),
    legal_basis=lst(s(), min_items=1),
    faqs=lst(mp(questions=lst(s(), min_items=1), answer=s()), min_items=5),
    related=lst(s("slug"), OPTIONAL),
    sources=lst(s(), min_items=1),
    verified=s("bool"),
    notes=s("str", OPTIONAL),
    last_reviewed=s("date"),
)

LOCALITY = mp(
    id=s("slug"),
    name=s(),
    aliases=lst(s(), OPTIONAL),
    hotlines=lst(
        mp(name=s(), number=s("phone"), note=s("str", OPTIONAL), verified=s("bool", OPTIONAL)),
        min_items=1,
    ),
    survey=mp(OPTIONAL, url=s("url"), note=s("str", OPTIONAL), verified=s("bool", OPTIONAL)),
    portals=lst(mp(name=s(), url=s("url"), note=s("str", OPTIONAL)), OPTIONAL),
    service_centres=lst(
        mp(
            id=s("slug"),
            name=s(),
            address=s("str", OPTIONAL),
            hours=s("str", OPTIONAL),
            phone=s("phone", OPTIONAL),
            verified=s("bool", OPTIONAL),
            note=s("str", OPTIONAL),
        ),
        OPTIONAL,
    ),
    office_hours=mp(
        OPTIONAL,
        verified=s("bool"),
        note=s("str", OPTIONAL),
        schedule=Spec("map", OPTIONAL, item=lst(s("time_range")), open_keys=True),
    ),
    # Appointment desk set-up (a deployment setting officers choose, not a published fact).
    booking=mp(
        OPTIONAL,
        capacity=s("int"),
        slots=lst(s("time"), min_items=1),
        days=lst(s("str"), min_items=1),
        horizon_days=s("int", OPTIONAL),
    ),
    local_fees=lst(
        mp(
            procedure=s("slug"),
            label=s(),
            amount=s("int", OPTIONAL),
            text=s(),
            source=s(),
            valid_from=s("date", OPTIONAL),
            valid_to=s("date", OPTIONAL),
            verified=s("bool", OPTIONAL),
        ),
        OPTIONAL,
    ),
    sources=lst(s(), min_items=1),
    verified=s("bool"),
    notes=s("str", OPTIONAL),
    last_reviewed=s("date"),
)

# A short answer and a main paper's short name: at most this many words (a syllable is a word).
SHORT_WORDS = 30
SHORT_DOCUMENT_WORDS = 15
# Where the facts a short text sums up are, for each key of `short`.
SHORT_SOURCES: dict[str, tuple[str, ...]] = {
    "fee": ("fee",),
    "processing_time": ("processing_time",),
    "where": ("where", "authority"),
    "online": ("online",),
}

SCHEDULE_DAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

PATTERNS: dict[str, re.Pattern[str]] = {
    "url": re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$"),
    # Vietnamese numbers: short codes (1022, 113), or 10-11 digits written with dots/spaces.
    "phone": re.compile(r"^(\d{3,5}|(\+84|0)\d{1,4}([. ]?\d{2,4}){1,4})$"),
    "slug": re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$"),
    "code": re.compile(r"^\d\.\d{6}(\.[0-9A-Z.]+)?$"),
    "time": re.compile(r"^([01]\d|2[0-3]):[0-5]\d$"),
    "time_range": re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"),
}

# Since 1 July 2025 there is no district level: these words may not send a citizen anywhere.
DISTRICT_LEVEL = re.compile(r"(cấp huyện|ubnd huyện|ủy ban nhân dân huyện|quận, huyện|công an huyện)", re.I)
DISTRICT_OK = re.compile(r"(không còn|bỏ cấp huyện|trước (ngày )?1/7/2025|trước đây)", re.I)
