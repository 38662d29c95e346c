"""Procedure retrieval over the live content base: BM25 over names, aliases and FAQ questions,
fused with rapidfuzz alias matching, all on accent-insensitive, teencode-expanded syllables.

Built from the content in milliseconds, so an officer's edit is searchable at once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from tthc.codes import without_codes
from tthc.text.normalize import strip_accents
from tthc.text.tokenize import syllable_keys, syllables

if TYPE_CHECKING:
    from tthc.content.model import ContentBase

# Words and phrases that say what is asked (fee? where? survey?), not which procedure: they must
# not pull a procedure up. Matched on accent-stripped, teencode-expanded syllables.
_QUESTION_WORDS = frozenset(
    [
        "a",
        "ad",
        "ah",
        "anh",
        "ba",
        "bac",
        "ban",
        "bay",
        "cac",
        "can",
        "chi",
        "cho",
        "chu",
        "co",
        "con",
        "cua",
        "da",
        "dang",
        "dau",
        "day",
        "di",
        "de",
        "den",
        "do",
        "duoc",
        "em",
        "gi",
        "giup",
        "gio",
        "hay",
        "hoi",
        "hom",
        "khi",
        "khong",
        "la",
        "lai",
        "lam",
        "len",
        "luc",
        "minh",
        "moi",
        "mot",
        "nao",
        "nay",
        "neu",
        "nguoi",
        "nha",
        "nhe",
        "nhieu",
        "nhu",
        "nhung",
        "noi",
        "nop",
        "o",
        "oi",
        "phai",
        "qua",
        "ra",
        "rang",
        "roi",
        "sao",
        "se",
        "tai",
        "the",
        "thi",
        "thoi",
        "thu",
        "toi",
        "trong",
        "tu",
        "ve",
        "vi",
        "voi",
        "vay",
        "vao",
        "xin",
        "ah",
        "oi",
        "nhi",
        "ha",
        "huhu",
    ]
)
_QUESTION_PHRASES = tuple(
    tuple(p.split())
    for p in """giay to|ho so|le phi|bao nhieu|bao lau|may ngay|mat tien|mat phi|het bao nhieu|o dau
    |truc tuyen|online|qua mang|tren mang|dich vu cong|thu tuc|the nao|nhu the nao|ra sao|lam sao
    |khao sat|hai long|danh gia|muc do|cham diem|dat lich|lich hen|hen gio|so thu tu|lay so
    |tong dai|duong day nong|hotline|so dien thoai|dien thoai|can bo|nguoi that|tu van|tu van vien
    |chuyen vien|nhan vien|phan anh|kien nghi|khieu nai|gop y|gio lam viec|mo cua|lam viec
    |tra cuu|tinh trang|den dau|bo phan mot cua|mot cua|uy ban nhan dan|cap xa|xa|phuong
    |truc tiep|ket noi|ho tro|giup do|cam on""".replace("\n", "").split("|")
)
_FIELD_WEIGHTS = {"names": 1.6, "questions": 1.0}
_FUZZY_WEIGHT = 10.0  # a near-exact alias ("bao tu", "khia sinh") outweighs shared words
_K1, _B = 1.2, 0.5


@dataclass(frozen=True)
class Candidate:
    slug: str
    score: float


@dataclass(frozen=True)
class ProcedureText:
    slug: str
    names: tuple[str, ...]  # official name, codes' names, aliases
    questions: tuple[str, ...]  # FAQ question variants
    faqs: tuple[tuple[str, str], ...] = ()  # (question, answer) pairs


def _masked(sylls: list[str]) -> list[bool]:
    """True where a syllable belongs to a question phrase ("lệ phí", "khảo sát", "ở đâu")."""
    masked = [s in _QUESTION_WORDS for s in sylls]
    for phrase in _QUESTION_PHRASES:
        n = len(phrase)
        for i in range(len(sylls) - n + 1):
            if tuple(sylls[i : i + n]) == phrase:
                masked[i : i + n] = [True] * n
    return masked


def _terms(text: str, query: bool = False) -> list[str]:
    """Unigram and bigram terms. Documents get both accented ("a:") and accent-free ("s:") terms;
    a query uses the accented term where the citizen typed accents (chiều is not chiếu) and the
    accent-free one where they did not."""
    accented = syllables(text)
    keys = [strip_accents(s) for s in accented]
    masked = _masked(keys)
    units = [(a, k) for a, k, m in zip(accented, keys, masked) if not m]
    pairs = [
        ((a1 + "_" + a2), (k1 + "_" + k2))
        for (a1, k1), (a2, k2), m1, m2 in zip(zip(accented, keys), zip(accented[1:], keys[1:]), masked, masked[1:])
        if not (m1 and m2)
    ]
    terms = []
    for acc, key in units + pairs:
        if not query:
            terms += [f"a:{acc}", f"s:{key}"]
        else:
            terms.append(f"a:{acc}" if acc != key else f"s:{key}")
    return terms


class _BM25:
    def __init__(self, docs: dict[str, list[str]]) -> None:
        self.tf = {slug: Counter(terms) for slug, terms in docs.items()}
        self.length = {slug: len(terms) for slug, terms in docs.items()}
        self.avg = sum(self.length.values()) / max(len(docs), 1) or 1.0
        df: Counter[str] = Counter()
        for counts in self.tf.values():
            df.update(counts.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def scores(self, query: Iterable[str]) -> dict[str, float]:
        out: dict[str, float] = {}
        terms = set(query)
        for slug, counts in self.tf.items():
            norm = _K1 * (1 - _B + _B * self.length[slug] / self.avg)
            total = 0.0
            for term in terms:
                f = counts.get(term)
                if f:
                    total += self.idf[term] * f * (_K1 + 1) / (f + norm)
            if total:
                out[slug] = total
        return out


class ProcedureIndex:
    def __init__(self, texts: Iterable[ProcedureText]) -> None:
        self.texts = {t.slug: t for t in texts}
        self.faqs = {s: t.faqs for s, t in self.texts.items()}
        self._bm25 = {
            "names": _BM25({s: [x for n in t.names for x in _terms(n)] for s, t in self.texts.items()}),
            "questions": _BM25({s: [x for q in t.questions for x in _terms(q)] for s, t in self.texts.items()}),
        }
        self._alias_keys = {
            s: sorted({" ".join(syllable_keys(n)) for n in t.names if len(syllable_keys(n)) >= 1}, key=len)
            for s, t in self.texts.items()
        }

    @classmethod
    def from_content(cls, procedures: Iterable[object]) -> ProcedureIndex:
        texts = []
        for p in procedures:
            names = (p.name, *(c.get("name", "") for c in p.codes), *p.aliases)  # type: ignore[attr-defined]
            faqs = tuple((q, faq["answer"]) for faq in p.faqs for q in faq["questions"])  # type: ignore[attr-defined]
            questions = tuple(q for q, _ in faqs)
            texts.append(ProcedureText(p.slug, tuple(n for n in names if n), questions, faqs))  # type: ignore[attr-defined]
        return cls(texts)

    def _fuzzy(self, query_key: str) -> dict[str, float]:
        """Best alias match per procedure, 0..1, tolerant to typos ('khia sinh', 'tạm chú')."""
        out: dict[str, float] = {}
        if len(query_key) < 3:
            return out
        for slug, aliases in self._alias_keys.items():
            best = 0.0
            for alias in aliases:
                if len(alias) < 4:
                    # short abbreviations (gks, cccd) only count as whole words
                    hit = 100.0 if f" {alias} " in f" {query_key} " else 0.0
                else:
                    hit = fuzz.partial_ratio(alias, query_key) if len(alias) <= len(query_key) + 2 else 0.0
                best = max(best, hit)
            if best >= 80:
                out[slug] = (best - 80) / 20
        return out

    def search(self, text: str, k: int = 5) -> list[Candidate]:
        text = without_codes(text)
        query = _terms(text, query=True)
        if not query:
            return []
        fused: dict[str, float] = {}
        for field, index in self._bm25.items():
            for slug, score in index.scores(query).items():
                fused[slug] = fused.get(slug, 0.0) + _FIELD_WEIGHTS[field] * score
        for slug, score in self._fuzzy(" ".join(syllable_keys(text))).items():
            fused[slug] = fused.get(slug, 0.0) + _FUZZY_WEIGHT * score
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [Candidate(slug, round(score, 4)) for slug, score in ranked]

    def best_faq(self, slug: str, text: str) -> tuple[str, str, float] | None:
        """The FAQ of a procedure closest to the message: (question, answer, similarity 0..1)."""
        best: tuple[str, str, float] | None = None
        for question, answer in self.faqs.get(slug, ()):
            score = faq_similarity(question, text)
            if best is None or score > best[2]:
                best = (question, answer, score)
        return best


def index_for(base: ContentBase) -> ProcedureIndex:
    """The search index of one content version, built once and kept with it, so every reader
    of the live content shares it and an edit rebuilds it."""
    return base.derived("index", lambda: ProcedureIndex.from_content(base.procedures.values()))


def faq_similarity(question: str, text: str) -> float:
    """0..1 closeness of a message to an FAQ question, accent- and teencode-insensitive."""
    a, b = " ".join(syllable_keys(question)), " ".join(syllable_keys(text))
    return fuzz.ratio(a, b) / 100 if a and b else 0.0
