"""Facts of a procedure or locality turned into the short texts the responses take."""

from __future__ import annotations

import datetime as dt
import re

from tthc.content import Locality, Procedure


def vn_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def bullet_list(items: list[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


def numbered_list(items: list[str]) -> str:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, start=1))


# The button of a shortened documents answer that shows the whole list.
MORE_DOCUMENTS = "Xem đủ giấy tờ"
FIRST_DOCUMENTS = 3  # a file without short names: its first papers, then how many more


def documents(proc: Procedure) -> str:
    """Each document with its quantity; the notes stay in the FAQs and on the official page, so
    the answer fits a phone screen."""
    return bullet_list([f"{doc['name']} ({doc['quantity']})" for doc in proc.documents])


def main_documents(proc: Procedure) -> str:
    """The main papers by their short names (the documents a file gives a `short` name), then
    how many others the full list holds: a shortened list says so."""
    main = [str(doc["short"]) for doc in proc.documents if doc.get("short")]
    if not main:
        if len(proc.documents) <= FIRST_DOCUMENTS:
            return documents(proc)
        main = [str(doc["name"]) for doc in proc.documents[:FIRST_DOCUMENTS]]
    return shortened(main, len(proc.documents) - len(main))


def shortened(items: list[str], hidden: int) -> str:
    text = bullet_list(items)
    if hidden > 0:
        text += f"\n…và {hidden} giấy tờ khác: bấm “{MORE_DOCUMENTS}”."
    return text


def fee_rates(proc: Procedure, today: dt.date, exemptions: bool = True) -> str:
    lines = []
    for rate in proc.rates_in_force(today):
        line = f"{rate.label}: {rate.text}"
        if rate.valid_to:
            line += f" (áp dụng đến hết ngày {vn_date(rate.valid_to)})"
        lines.append(line)
    text = bullet_list(lines)
    if exemptions and proc.fee_exemptions:
        text += "\nMiễn lệ phí cho:\n" + bullet_list(proc.fee_exemptions)
    return text


def local_fee_lines(loc: Locality, slug: str, today: dt.date) -> str:
    """Fees the locality's council (HĐND) sets for this procedure, in force today."""
    lines = []
    for fee in loc.local_fees:
        if fee.get("procedure") != slug:
            continue
        start, end = fee.get("valid_from"), fee.get("valid_to")
        if (start and start > today) or (end and end < today):
            continue
        line = f"{fee['label']}: {fee['text']}"
        if end:
            line += f" (áp dụng đến hết ngày {vn_date(end)})"
        lines.append(line)
    return f"Tại {loc.name}:\n" + bullet_list(lines) if lines else ""


def online_short(proc: Procedure) -> str:
    """Whether the procedure can be done online and through which portals (the note is in the
    full answer; the official page is a button, never a raw link)."""
    info = proc.online
    if not info.get("available"):
        return "Chưa thực hiện trực tuyến được; bạn nộp trực tiếp hoặc qua bưu chính."
    channels = ", ".join(info.get("channels") or []) or "Cổng Dịch vụ công"
    return f"Được, qua {channels}."


def online(proc: Procedure) -> str:
    note = proc.online.get("note")
    return f"{online_short(proc)}\n{note}" if note else online_short(proc)


# Words that mark a note as the officers' own (sources, what is still to check): never shown.
OFFICER_NOTE_MARKERS = ("chưa xác minh", "theo nguồn", "đối chiếu", "cần bổ sung")


def citizen_note(note: object) -> str | None:
    text = str(note or "").strip()
    if not text or any(marker in text.lower() for marker in OFFICER_NOTE_MARKERS):
        return None
    return text


def hotlines(loc: Locality) -> str:
    lines = []
    for h in loc.hotlines:
        line = f"{h['name']}: {h['number']}"
        note = citizen_note(h.get("note"))
        if note:
            line += f" ({note})"
        lines.append(line)
    return bullet_list(lines)


def tel(number: str) -> str:
    return "tel:" + re.sub(r"[^\d+]", "", number)


def portals(loc: Locality) -> str:
    return bullet_list([f"{p['name']}: {p['url']}" for p in loc.portals]) or "• https://dichvucong.gov.vn"


def call_buttons(loc: Locality, limit: int = 1) -> list[dict[str, str]]:
    """Tap-to-call buttons for the locality's first hotlines (the gateway renders tel: payloads)."""
    return [{"title": f"Gọi {h['number']}", "payload": tel(str(h["number"]))} for h in loc.hotlines[:limit]]
