"""What a short message plainly says, whatever the intent classifier guesses.

Shared by the action server (forms), the gateway (handoffs) and the intent resolver (nlu), so
that "hủy" means the same everywhere:

- ``wants_to_stop``: "hủy", "thôi", "dừng", "kết thúc"... stop a form or a handoff.
- ``says_no``: a bare "không"; it stops a form unless it answers the form's own question.
- ``ends_handoff``: what stops a conversation with an officer ("hủy", "thôi", "kết thúc",
  "quay lại trợ lý ảo"); a bare "không" does not (it may answer the officer).
- ``looks_like_question``: the message asks something ("... không?", "bao nhiêu", "ở đâu").
- ``is_keyword_only``: one to four words naming a topic ("chứng thực", "giấy phép", "đăng ký"),
  neither a question nor small talk: the citizen should be asked which procedure they mean.
- ``mentions``: one of a few cue phrases (a complaint, an appointment) is in the message.
- ``other_aspect``: a second aspect of a procedure the message plainly asks about as well
  ("cần giấy tờ gì, nộp ở đâu"), besides the one the classifier chose.

Everything compares accent-insensitive keys (tthc.text.normalize.accent_key), whole words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tthc.text.normalize import accent_key, nfc, strip_accents

_PUNCTUATION = re.compile(r"[^\w\s]")
# Politeness particles that do not change what a short message says ("hủy ạ", "thôi nhé").
_PARTICLES = {"a", "nhe", "nha", "di", "ad", "ak", "nhi", "ha", "oi", "roi", "luon", "vay"}

STOP = frozenset({
    "huy", "huy bo", "huy di", "huy het", "thoi", "thoi khoi", "thoi khong", "thoi bo", "thoi dung",
    "thoi khong can", "thoi khong lam nua", "khong lam nua", "khong can nua", "dung", "dung lai",
    "ket thuc", "thoat", "bo", "bo di", "cancel", "stop", "exit", "quit", "end",
})  # fmt: skip
NO = frozenset(
    {"khong", "ko", "k", "kh", "hong", "hok", "khong co", "khong can", "ko can", "k can", "da khong", "chua"}
)
HANDOFF_END = STOP | {
    "ket thuc tro chuyen", "quay lai tro ly", "quay lai tro ly ao", "quay lai bot", "gap bot", "gap tro ly ao",
    "khong can gap can bo", "khong can can bo", "khong cho nua", "thoi khong cho nua", "khong doi nua",
}  # fmt: skip

# A question: one of these phrases anywhere, or one of these words last.
_QUESTION_PHRASES = (
    "bao nhieu", "bao lau", "bao gio", "khi nao", "the nao", "nhu nao", "ra sao", "lam sao", "o dau", "cho nao",
    "noi nao", "may gio", "may ngay", "duoc khong", "duoc ko", "can gi", "gom gi", "nhung gi", "la gi", "nhu the nao",
)  # fmt: skip
_QUESTION_ENDINGS = {"khong", "ko", "k", "hong", "chua", "dau", "nao", "gi", "nhi", "vay", "sao", "the", "ha", "hem"}

# Small talk and requests of services: a short message holding one is not a bare topic.
_SMALL_TALK_OR_SERVICE = (
    "chao", "alo", "hello", "hi", "cam on", "cam ta", "thank", "ok", "oke", "vang", "da", "u", "uh", "dung roi",
    "bye", "tam biet", "bot", "khao sat", "danh gia", "hai long", "tong dai", "hotline", "duong day nong",
    "so dien thoai", "gio lam viec", "mo cua", "tra cuu", "dat lich", "lich hen", "phan anh", "kien nghi",
    "gop y", "khieu nai", "can bo", "nguoi that",
)  # fmt: skip
# Cues of one syllable that other words share once their accents are gone: "vang" is "vâng" (yes),
# but also "vắng" (absent) and "vàng" (gold); "da" is "dạ", but also "đã" (already) and "da" (skin).
_TYPED_CUES = {"vang": ("vâng",), "da": ("dạ",), "u": ("ừ",), "uh": ("ừ",), "bot": ()}
_ASPECT_WORDS = ("le phi", "ho so", "giay to", "online", "truc tuyen")
_NOT_A_TOPIC = _SMALL_TALK_OR_SERVICE + _ASPECT_WORDS
KEYWORD_MAX_WORDS = 4

# A complaint or suggestion (phản ánh, kiến nghị): never mistaken for a question about a procedure.
COMPLAINT_CUES = (
    "phan anh", "kien nghi", "khieu nai", "to cao", "gop y", "de nghi", "de xuat", "than phien", "buc xuc",
    "thai do", "hach dich", "nhung nhieu", "cau gat", "quat", "cham tre", "tre hen", "qua han", "doi tien",
    "voi tien", "phong bi", "boi duong", "tieu cuc", "that vong", "te qua", "kem qua", "khen", "lam mat",
    "khong ai nghe", "khong ai bat may", "khong cong bang", "sai quy dinh", "lam sai",
)  # fmt: skip
# An appointment: what "đăng ký" alone does not say.
BOOKING_CUES = (
    "dat lich", "lich hen", "hen lich", "hen gio", "hen truoc", "hen ngay", "dat hen", "lay so", "giu cho",
    "book", "dat slot", "xep lich", "dat cho", "dang ky hen", "dang ky lich",
)  # fmt: skip

# A dossier already submitted: what a question about doing a procedure ("chưa có sổ đỏ, giờ làm sổ
# nộp ở đâu") does not say ("tình trạng" alone is the marital-status certificate's).
DOSSIER_CUES = (
    "ho so cua", "ho so em", "ho so minh", "ho so toi", "ho so so", "ma ho so", "ma hs", "so ho so", "ma bien nhan",
    "bien nhan", "giay hen", "phieu hen", "tra cuu", "tra ho so", "tra giup", "kiem tra", "check", "theo doi",
    "den dau", "toi dau", "buoc nao", "khau nao", "trang thai", "tinh trang ho so", "tinh trang xu ly",
    "tinh hinh ho so", "tinh hinh xu ly", "tien do", "xong chua", "duyet chua", "ket qua chua", "co ket qua",
    "tra ket qua", "da nop", "nop roi", "em nop", "minh nop", "toi nop", "nop hom", "nop tu", "nop ngay", "da chuyen",
    "cap nhat", "yeu cau bo sung", "qua han", "tre hen", "chua thay",
)  # fmt: skip

# The papers, typed before a procedure's name ("hồ sơ đk lại kết hôn"): a question about them.
DOCUMENT_WORDS = ("ho so", "giay to", "thanh phan ho so")

# What each aspect question plainly says. Only phrases with one reading without accents: "mất bao
# nhiêu" may be days or money, "mặt tiền" is not "mất tiền", "làm dâu" is not "làm đâu", "đến đâu"
# is a dossier's progress.
ASPECT_CUES = {
    "ask_documents": (
        "giay to gi", "giay to nao", "nhung giay to", "can giay to", "ho so gom", "ho so gi", "ho so can",
        "can nhung gi", "can gi", "gom nhung gi", "chuan bi gi", "chuan bi nhung gi", "mang theo gi",
        "mang theo nhung gi",
    ),
    "ask_fee": (
        "le phi", "phi bao nhieu", "bao nhieu tien", "ton bao nhieu", "mat phi", "chi phi", "mien phi", "tien phi",
        "ton phi", "ton tien", "nop phi",
    ),
    "ask_processing_time": (
        "bao lau", "may ngay", "bao nhieu ngay", "khi nao co", "bao gio co", "bao gio xong", "khi nao xong",
        "thoi gian giai quyet", "thoi han giai quyet",
    ),
    "ask_where": ("o dau", "cho nao", "noi nao", "co quan nao", "nop dau"),
    "ask_online": ("online", "truc tuyen", "tren mang", "qua mang", "dich vu cong", "tren app", "qua app"),
}  # fmt: skip


def key(text: str) -> str:
    """The accent-insensitive words of a message, without punctuation or trailing particles."""
    words = _PUNCTUATION.sub(" ", accent_key(text or "")).split()
    while len(words) > 1 and words[-1] in _PARTICLES:
        words.pop()
    return " ".join(words)


def wants_to_stop(text: str) -> bool:
    return key(text) in STOP


def says_no(text: str) -> bool:
    return key(text) in NO


def ends_handoff(text: str) -> bool:
    return key(text) in HANDOFF_END


def _has(words: str, phrase: str) -> bool:
    return f" {phrase} " in f" {words} "


def mentions(text: str, cues: Iterable[str]) -> bool:
    words = key(text)
    return any(_has(words, cue) for cue in cues)


def says_small_talk_or_a_service(text: str) -> bool:
    """The message holds a word of small talk or of a service (hotline, hours, survey, lookup,
    booking, complaint): more than a procedure and what is asked of it. A message typed with its
    accents holds the one-syllable cues of _TYPED_CUES only as typed bare or with their own accents:
    "khai báo tạm vắng" says no "vâng", "đã nộp" no "dạ", "sữa bột" speaks of no bot."""
    typed = _typed_words(text)
    # the cues this message types with other accents ("vắng" for "vang"): it does not say them
    said_otherwise = {cue for cue, forms in _TYPED_CUES.items() if typed and not typed & {cue, *forms}}
    words = key(text)
    return any(_has(words, cue) for cue in _SMALL_TALK_OR_SERVICE if cue not in said_otherwise)


def _typed_words(text: str) -> set[str]:
    """The words of a message typed with accents, as typed (lower case); empty when it has none."""
    words = set(_PUNCTUATION.sub(" ", nfc(text or "").lower()).split())
    return words if any(strip_accents(w) != w for w in words) else set()


def looks_like_question(text: str) -> bool:
    if (text or "").rstrip().endswith("?"):
        return True
    words = key(text)
    if not words:
        return False
    return words.split()[-1] in _QUESTION_ENDINGS or any(_has(words, phrase) for phrase in _QUESTION_PHRASES)


def is_keyword_only(text: str) -> bool:
    """One to four words naming a topic, with nothing that says what the citizen wants of it."""
    words = key(text)
    if not words or (text or "").lstrip().startswith("/") or any(ch.isdigit() for ch in words):
        return False
    if len(words.split()) > KEYWORD_MAX_WORDS or words in STOP or words in NO or words in HANDOFF_END:
        return False
    return not looks_like_question(text) and not any(_has(words, cue) for cue in _NOT_A_TOPIC)


def aspects_asked(text: str) -> tuple[str, ...]:
    """The aspect intents whose cues the message holds (ASPECT_CUES), in ASPECT_CUES order."""
    words = key(text)
    return tuple(aspect for aspect, cues in ASPECT_CUES.items() if any(_has(words, cue) for cue in cues))


def other_aspect(intent: str | None, text: str) -> str | None:
    """The one other aspect a message about ``intent`` (an aspect) plainly asks about too; None when
    it asks about none, or about several (the buttons offer them)."""
    if intent not in ASPECT_CUES or (text or "").lstrip().startswith("/"):
        return None
    others = [aspect for aspect in aspects_asked(text) if aspect != intent]
    return others[0] if len(others) == 1 else None
