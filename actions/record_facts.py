"""An official catalogue record's facts as the short texts the procedure responses take.

The record is shown as it is: a field it leaves empty says so and points to the official page;
a fee cell reading "Miễn phí" with a note (a fee set elsewhere) is never shown as free; dated fee
clauses are shown only while in force.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from actions.formatting import FIRST_DOCUMENTS, bullet_list, shortened, vn_date
from tthc.catalogue.model import LEVEL_NAMES, SEE_NOTE, CatalogueProcedure, Way

NO_INFO = "Cổng Dịch vụ công chưa ghi thông tin này; bạn xem trang chính thức hoặc gọi tổng đài."
DOCUMENTS_SHOWN = 12  # the full list, on tap; more than this: the rest is on the official page
CHANNEL_NAMES = {"Trực tiếp": "Nộp trực tiếp", "Trực tuyến": "Nộp trực tuyến", "Dịch vụ bưu chính": "Qua bưu chính"}


_FILE_EXTENSION = re.compile(r"\.(docx?|pdf|xlsx?|rtf|odt|zip|rar)$", re.IGNORECASE)


def form_label(form: str | None) -> str | None:
    """A form's name as a citizen reads it: the portal names forms by their attached files
    ("Mẫu DC02 Phiếu đề nghị giải quyết thủ tục về căn cước.doc"); the file's extension is not
    part of the name, and a name the portal mangled to one run of letters
    ("Munnghchmdthotngtuln.docx") says nothing: it is left out, the form is on the official page."""
    if not form:
        return None
    name = _FILE_EXTENSION.sub("", form.strip()).replace("_", " ").strip()
    if " " not in name and len(name) > 12 and not any(ch.isdigit() for ch in name):
        return None
    return name or None


def documents(record: CatalogueProcedure) -> str:
    """The record's papers with quantity and form, each group of a record that has several under
    its heading; past DOCUMENTS_SHOWN, how many more are on the official page."""
    if not record.documents:
        return NO_INFO
    several = len({d.group for d in record.documents}) > 1
    shown = record.documents[:DOCUMENTS_SHOWN]
    lines, group = [], None
    for doc in shown:
        if several and doc.group != group and doc.group:
            lines.append(f"{doc.group.rstrip(':')}:")
        group = doc.group
        line = doc.name.rstrip(".")
        if doc.quantity:
            line += f" ({doc.quantity})"
        form = form_label(doc.form)
        if form:
            line += f", {form}" if form.lower().startswith(("mẫu", "mau")) else f", mẫu {form}"
        lines.append(f"• {line}")
    text = "\n".join(lines)
    hidden = len(record.documents) - len(shown)
    if hidden > 0:
        text += f"\n… còn {hidden} giấy tờ khác: xem đủ trên trang chính thức."
    return text


def main_documents(record: CatalogueProcedure) -> str:
    """The first papers of the record's first group by name, then how many others it lists."""
    if not record.documents:
        return NO_INFO
    groups = list(dict.fromkeys(d.group for d in record.documents))
    first = [d for d in record.documents if d.group == groups[0]][:FIRST_DOCUMENTS]
    if len(groups) == 1 and len(record.documents) <= FIRST_DOCUMENTS:
        return documents(record)
    text = shortened([d.name.rstrip(".") for d in first], len(record.documents) - len(first))
    if len(groups) > 1 and groups[0]:
        text = f"{groups[0].rstrip(':')}:\n{text}"
    return text


def _fee_line(way: Way, today: dt.date) -> str | None:
    if way.fee is None and not way.fee_note:
        return None
    if way.fee_status == SEE_NOTE:  # "Miễn phí" with a note that says more: never shown as free
        note = (way.fee_note or "").strip().lstrip("-").strip()
        text = f"theo ghi chú của Cổng: {note}" if note else "theo quy định về phí, lệ phí"
    else:
        text = _money(way.fee or "") or (way.fee_note or "")
        periods = [p for p in way.fee_periods if p.in_force(today)]
        if periods:
            text += "; " + "; ".join(p.text for p in periods)
        elif way.fee_note and not way.fee_periods:
            text += f" ({way.fee_note})"
    return f"{CHANNEL_NAMES.get(way.channel, way.channel)}: {text}"


def _money(fee: str) -> str:
    """'50,000 Việt Nam Đồng' -> '50.000 đồng' (the page's digit grouping, Vietnamese style)."""
    return fee.replace(",", ".").replace("Việt Nam Đồng", "đồng").replace("VNĐ", "đồng").strip()


def fee(record: CatalogueProcedure, today: dt.date) -> tuple[str, str]:
    """(summary, rates) for utter_procedure_fee."""
    lines = list(dict.fromkeys(line for way in record.ways if (line := _fee_line(way, today))))
    if not lines:
        return NO_INFO, ""
    if all(way.free for way in record.ways if way.fee is not None):
        return "Không mất lệ phí theo Cổng Dịch vụ công.", ""
    amounts = {line.split(": ", 1)[1] for line in lines}
    if len(amounts) == 1:  # every way of submitting costs the same: say it once
        return amounts.pop(), ""
    return "Tùy cách nộp:", bullet_list(lines)


def processing_time(record: CatalogueProcedure) -> str:
    lines = list(
        dict.fromkeys(f"{CHANNEL_NAMES.get(w.channel, w.channel)}: {_days(w.time)}" for w in record.ways if w.time)
    )
    if not lines:
        return NO_INFO
    times = {line.split(": ", 1)[1] for line in lines}
    return times.pop() if len(times) == 1 else "\n" + bullet_list(lines)


def _days(time: str) -> str:
    text = time.strip()
    if text.isdigit():
        return f"{text} ngày"
    return text.replace("Ngày làm việc", "ngày làm việc").replace("Ngày", "ngày").replace("Tháng", "tháng")


def authority(record: CatalogueProcedure) -> str:
    return record.agency or record.authority or NO_INFO


def where(record: CatalogueProcedure) -> str:
    if record.address:
        return record.address
    levels = ", ".join(LEVEL_NAMES.get(level, level).lower() for level in record.levels if level != "khac")
    return f"Bộ phận Một cửa của cơ quan giải quyết ({levels})." if levels else NO_INFO


def online(record: CatalogueProcedure) -> str:
    if record.online:
        return "có thể nộp trực tuyến trên Cổng Dịch vụ công quốc gia."
    channels = [CHANNEL_NAMES.get(w.channel, w.channel).lower() for w in record.ways]
    if not channels:
        return NO_INFO
    return f"Cổng Dịch vụ công chưa ghi cách nộp trực tuyến; cách nộp: {', '.join(dict.fromkeys(channels))}."


def summary(record: CatalogueProcedure) -> str:
    parts = []
    if record.agency:
        parts.append(f"Cơ quan giải quyết: {record.agency}.")
    if record.results:
        parts.append(f"Kết quả: {record.results[0].rstrip('.')}.")
    if record.applicants:
        parts.append(f"Người thực hiện: {', '.join(record.applicants)}.")
    return " ".join(parts) or NO_INFO


def steps(record: CatalogueProcedure) -> list[str]:
    return list(record.steps[:6]) or [NO_INFO]


def other_levels(record: CatalogueProcedure, others: list[CatalogueProcedure]) -> str:
    """One line naming the same procedure at the other levels, with their codes."""
    parts = [f"{', '.join(o.level_names).lower()} (mã {o.code})" for o in others if o.code != record.code]
    return f"Thủ tục này còn được thực hiện ở {'; '.join(parts)}." if parts else ""


def siblings(others: Sequence[CatalogueProcedure]) -> str:
    """One line naming records of the family at farther levels: the same procedure for bigger cases
    or other applicants, which the citizen may be asking about instead."""
    parts = [f"{display_name(o.name)} ({', '.join(o.level_names).lower()}, mã {o.code})" for o in others]
    return f"Trường hợp khác, ở cấp khác: {'; '.join(parts)}." if parts else ""


def twins(others: Sequence[CatalogueProcedure]) -> str:
    """One line naming the records of the same procedure submitted another way ("toàn trình")."""
    parts = [f"{display_name(o.name)} (mã {o.code})" for o in others]
    return f"Cùng thủ tục, cách nộp khác: {'; '.join(parts)}." if parts else ""


def display_name(name: str) -> str:
    """A record's name as a phone shows it: without its long bracketed lists ("... cấp III, cấp IV
    (công trình Không theo tuyến/Theo tuyến trong đô thị/...) và nhà ở riêng lẻ"); the official
    name stays on the official page the answer links."""
    return re.sub(r"\s*\([^()]{25,}\)", "", name).strip()


def imported_on(record: CatalogueProcedure) -> str:
    return vn_date(record.imported) if record.imported else ""
