"""Text analysis for catalogue search: accent-free syllables and their bigrams, the words that say
what is asked rather than which procedure, and the citizen vocabulary (tthc/search/data/).

Procedures are indexed on accent-stripped syllables, so "mất sổ đỏ" and "mat so do" give the same
terms. The vocabulary is matched accent-aware: a syllable the citizen typed with accents must match
the form's accents ("chưa" is not "chùa"), one typed without accents matches any.
Documents (official text) are not teencode-expanded; questions are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tthc.codes import without_codes
from tthc.text.normalize import normalize_word, strip_accents
from tthc.text.tokenize import syllables

DATA = Path(__file__).parent / "data"
VOCABULARY_FILE = DATA / "vocabulary.tsv"
INSTEAD_MARK = "="  # an official side that starts with it replaces the citizen's words (vocabulary.tsv)
GAP_MARK = "…"  # a citizen form "hộ chiếu … tìm thấy": its parts in this order, a few syllables apart
GAP_SYLLABLES = 14  # at most this many syllables between two parts of such a form: citizens tell a
# situation before they ask ("từng dạy tiếng Anh ở Hà Nội 3 năm, nay đã về nước"); on the studied sets
# 8 to 14 found more (top-1 +34, right answers +22, wrong answers -5), 16 nothing more
OUT_OF_CATALOGUE_FILE = DATA / "out_of_catalogue.tsv"

_MARKS = re.compile(r"[\u0300-\u036f]")
_GLUED_CASE = re.compile(r"([a-z\u0111][\u0300-\u036f]*)(?=[A-Z\u0110])")  # "khaiSố" (NFD) -> "khai Số"
_GLUED_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")  # "chính1 bản" -> "chính 1 bản"
_WORD = re.compile(r"[a-z0-9]+")
_FORM_NAME = re.compile(r"^([^\W\d_]{1,3})(\d{1,3})$")
_ACCENTED_WORD = re.compile(r"[^\W_]+")

# Abbreviations the official titles use, read as their full words on both sides (a citizen's "bhxh"
# is already "bảo hiểm xã hội" through the teencode dictionary; the record's "BHXH" becomes it here).
ABBREVIATIONS = {
    "tnhh": "trach nhiem huu han", "bhxh": "bao hiem xa hoi", "bhyt": "bao hiem y te",
    "bhtn": "bao hiem that nghiep", "bhtnld": "bao hiem tai nan lao dong", "tnld": "tai nan lao dong",
    "bnn": "benh nghe nghiep", "htx": "hop tac xa", "ubnd": "uy ban nhan dan", "hdnd": "hoi dong nhan dan",
    "tncn": "thu nhap ca nhan", "tndn": "thu nhap doanh nghiep", "gtgt": "gia tri gia tang",
    "gcn": "giay chung nhan", "qsdd": "quyen su dung dat", "dsphsk": "duong suc phuc hoi suc khoe",
    "cand": "cong an nhan dan", "qdnd": "quan doi nhan dan", "dnnvv": "doanh nghiep nho va vua",
    # firms' own short forms; "nhnn" (the central bank, named in hundreds of records as where to file)
    # and "qtdnd", "tctd", "dntn" answered fewer studied questions, or more wrongly, once unfolded
    "ctck": "cong ty chung khoan", "nhtm": "ngan hang thuong mai", "vpdd": "van phong dai dien",
    "xnk": "xuat nhap khau",
    # citizens' short forms that the records hardly ever write: kept, they would weigh as a rare word
    # that no name holds ("dn lập chi nhánh", "gp khai thác", "ubck chấp thuận")
    "dn": "doanh nghiep", "gp": "giay phep", "vp": "van phong", "vpcc": "van phong cong chung",
    "kcn": "khu cong nghiep", "kcx": "khu che xuat", "kkt": "khu kinh te", "ubck": "uy ban chung khoan",
    "tmcp": "thuong mai co phan", "ndt": "nha dau tu", "tq": "trung quoc", "sx": "san xuat",
    "dtts": "dan toc thieu so", "ttdb": "tieu thu dac biet", "1tv": "mot thanh vien", "hq": "hai quan",
    "ctv": "cong tac vien", "pgd": "phong giao dich", "bql": "ban quan ly", "gv": "giao vien",
    "tctc": "to chuc tai chinh",
}  # fmt: skip
# A citizen's "nn" is a foreign element ("người nn", "bằng lái nn", "kết hôn với người nn"), except
# beside the words that make it the farming ministry's or farm land ("Bộ NN&MT", "đất nn",
# "nn công nghệ cao"); the records write "NN" only for that ministry, so it unfolds in questions only
FOREIGN_OR_FARMING = "nn"
FARMING_BEFORE = frozenset({"bo", "so", "dat", "khuyen"})
FARMING_AFTER = frozenset({"cong", "mt", "ptnt"})  # not "và": "người nn và con"

# Single syllables that say how or what is asked, never which procedure (accent-stripped, so each
# stands for several accented words; none of them is needed to tell two procedures apart: a bigram
# with a neighbour still counts, e.g. "bao hiem xa hoi" keeps hiem_xa and xa_hoi; "vừa mất", just died,
# is not the "vừa" of "doanh nghiệp nhỏ và vừa", which keeps va_vua; "luôn", as well).
QUESTION_WORDS = frozenset(
    """a ad ah ak anh ba bac ban bay biet bi cac can chi cho chu co con cua da dang dau day de den
    di do duoc em gi giup gio ha hay het hoi huhu khi khong la lam len luc minh moi mot muon nao nay
    neu nguoi nhe nhi nhieu nhu nhung noi nua o oi ok phai qua ra rang roi sao se tai the them thi
    thoi toi trong ve vi voi vay vao vua luon xin xong u uh z""".split()  # noqa: SIM905
)
# Phrases that are only the question's form: fee, time, place, online, papers, politeness.
QUESTION_PHRASES = tuple(
    tuple(p.split())
    for p in """giay to|ho so|thanh phan ho so|le phi|chi phi|bao nhieu|bao nhieu tien|het bao nhieu
    |bao lau|trong bao lau|mat bao lau|bao gio|khi nao|may ngay|mat may ngay|bao nhieu ngay
    |ngay lam viec|thoi gian|mat thoi gian|mat tien|mat phi|mat bao nhieu|co mat|tra ket qua
    |co ket qua|lay ket qua|nhan ket qua|o dau|di dau|len dau|den dau|tai dau|cho nao|noi nao
    |co quan nao|nop o dau|lam o dau|truc tuyen|online|qua mang|tren mang|dich vu cong
    |cong dich vu cong|thu tuc|the nao|nhu the nao|nhu nao|ra sao|lam sao|lam gi|phai lam gi
    |can gi|can nhung gi|gom nhung gi|nhung gi|mang theo|can mang|chuan bi|duoc khong
    |co duoc khong|co phai|bo phan mot cua|mot cua|uy ban nhan dan|uy ban|cap xa|cap tinh
    |cap huyen|xa phuong|phuong|huong dan|tu van|giai dap|cho hoi|xin hoi|cho minh hoi
    |vui long|cam on|ad oi|a oi|truc tiep|buu dien|buu chinh cong ich|mien phi
    |chu nhat|thu bay|thu 7|ngay nghi|ngay le|gio lam viec|gio hanh chinh|mat ca ngay|mat ca buoi
    |mat cong|mat nhieu thoi gian|lam mat may ngay|lam mat bao lau|lam mat bao nhieu
    |tu lau|bay lau|tu rat lau""".replace("\n", "").split("|")
)


@lru_cache(maxsize=8192)
def _strip(word: str) -> str:
    return strip_accents(word)


def _expand(words: list[str]) -> list[str]:
    out: list[str] = []
    for w in words:
        out.extend(ABBREVIATIONS[w].split() if w in ABBREVIATIONS else (w,))
    return out


def doc_syllables(text: str) -> list[str]:
    """Accent-free lower-case syllables of official text, glued table cells split apart."""
    if not text:
        return []
    decomposed = unicodedata.normalize("NFD", text)
    decomposed = _GLUED_DIGIT.sub(" ", _GLUED_CASE.sub(r"\1 ", decomposed))
    flat = _MARKS.sub("", decomposed).replace("\u0111", "d").replace("\u0110", "D").lower()
    return _expand(_WORD.findall(flat))


def query_pairs(text: str) -> list[tuple[str, str]]:
    """(accented, accent-free) syllables of a citizen's message, teencode and abbreviations expanded."""
    # a form's or a class's name ("ct07", "b2") apart, as in the records and the vocabulary
    # ("mẫu CT07", "hạng B2": doc_syllables); not a measure ("100m2")
    parts = [
        (part, key)
        for syllable in syllables(text)
        for part in _ACCENTED_WORD.findall(_FORM_NAME.sub(r"\1 \2", syllable))
        if _WORD.fullmatch(key := _strip(part))
    ]
    out: list[tuple[str, str]] = []
    for i, (part, key) in enumerate(parts):
        words = ABBREVIATIONS.get(key)
        if key == FOREIGN_OR_FARMING:
            words = _foreign_or_farming(parts[i - 1][1] if i else "", parts[i + 1][1] if i + 1 < len(parts) else "")
        if words:
            out.extend((w, w) for w in words.split())
        else:
            out.append((part, key))
    return out


def _foreign_or_farming(before: str, after: str) -> str:
    farming = before in FARMING_BEFORE or after in FARMING_AFTER
    return "nong nghiep" if farming else "nuoc ngoai"


def query_syllables(text: str) -> list[str]:
    return [key for _, key in query_pairs(text)]


def ngrams(sylls: Sequence[str]) -> list[str]:
    """Unigram and bigram terms of a syllable sequence: ["so", "do", "so_do"]."""
    return list(sylls) + [f"{a}_{b}" for a, b in zip(sylls, sylls[1:])]


def phrase_key(text: str) -> tuple[str, ...]:
    return tuple(doc_syllables(text))


def accented_key(text: str) -> tuple[str, ...]:
    words = [normalize_word(w) for w in _ACCENTED_WORD.findall(unicodedata.normalize("NFC", text))]
    return tuple(words)


@dataclass(frozen=True)
class Form:
    """One citizen form: its accented syllables (as written in the TSV) and what it stands for."""

    accented: tuple[str, ...]
    value: object
    instead: bool = False  # the official phrases stand for the citizen's words, which are not searched


@dataclass(frozen=True)
class GappedForm:
    """A citizen form whose parts lie apart in a sentence ("hộ chiếu … tìm thấy"): each part's
    accent-free and accented syllables, and the official phrases it stands for."""

    parts: tuple[tuple[str, ...], ...]
    accented: tuple[tuple[str, ...], ...]
    value: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, form: str, value: tuple[tuple[str, ...], ...]) -> list[GappedForm]:
        keys, accented = zip(*(_form_keys(piece) for piece in form.split(GAP_MARK)))
        if len(keys) < 2 or not all(keys):
            return []
        return [cls(keys, accented, value)]

    def find(self, pairs: Sequence[tuple[str, str]]) -> tuple[int, int] | None:
        """Where its parts are in a question, in order and at most GAP_SYLLABLES apart: [start, end)."""
        keys = [k for _, k in pairs]
        first = self.parts[0]
        for start in range(len(keys) - len(first) + 1):
            if self._part_at(pairs, keys, 0, start):
                end = self._rest(pairs, keys, start + len(first))
                if end is not None:
                    return start, end
        return None

    def _rest(self, pairs: Sequence[tuple[str, str]], keys: list[str], after: int) -> int | None:
        for p in range(1, len(self.parts)):
            size = len(self.parts[p])
            limit = min(len(keys) - size, after + GAP_SYLLABLES)
            at = next((i for i in range(after, limit + 1) if self._part_at(pairs, keys, p, i)), None)
            if at is None:
                return None
            after = at + size
        return after

    def _part_at(self, pairs: Sequence[tuple[str, str]], keys: list[str], p: int, i: int) -> bool:
        part = self.parts[p]
        return tuple(keys[i : i + len(part)]) == part and _compatible(pairs[i : i + len(part)], self.accented[p])


@dataclass(frozen=True)
class Lexicon:
    """Citizen forms -> official phrases, and out-of-catalogue subjects -> ministry, keyed by the
    forms' accent-free syllables."""

    synonyms: dict[tuple[str, ...], tuple[Form, ...]]
    outside: dict[tuple[str, ...], tuple[Form, ...]]
    max_len: int = 6
    gapped: tuple[GappedForm, ...] = ()  # forms whose parts lie apart in a sentence

    @classmethod
    def load(cls, vocabulary: Path = VOCABULARY_FILE, outside: Path = OUT_OF_CATALOGUE_FILE) -> Lexicon:
        synonyms: dict[tuple[str, ...], list[Form]] = {}
        gapped: list[GappedForm] = []
        for forms, targets in _rows(vocabulary):
            instead = targets.lstrip().startswith(INSTEAD_MARK)
            targets = targets.lstrip().removeprefix(INSTEAD_MARK)
            expansion = tuple(phrase_key(t) for t in targets.split(";") if phrase_key(t))
            for form in forms.split("|"):
                if GAP_MARK in form:
                    gapped.extend(GappedForm.parse(form, expansion))
                else:
                    _add(synonyms, form, expansion, instead)
        out: dict[tuple[str, ...], list[Form]] = {}
        for forms, ministry in _rows(outside):
            for form in forms.split("|"):
                _add(out, form, ministry.strip())
        longest = max((len(k) for k in [*synonyms, *out]), default=1)
        synonyms_t = {k: tuple(v) for k, v in synonyms.items()}
        return cls(synonyms_t, {k: tuple(v) for k, v in out.items()}, longest, tuple(gapped))

    def text_hash_parts(self) -> Iterable[str]:
        for table in (self.synonyms, self.outside):
            for key, forms in sorted(table.items()):
                yield " ".join(key) + "=" + "|".join(f"{' '.join(f.accented)}:{f.value}:{f.instead}" for f in forms)
        for gapped in self.gapped:
            yield f"{gapped.accented}={gapped.value}"


def _form_keys(form: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A citizen form's accent-free syllables, and the accented ones it must match."""
    key, accented = phrase_key(form), accented_key(form)
    if len(accented) != len(key):  # an abbreviation inside: match it accent-free
        accented = key
    return key, accented


def _add(table: dict[tuple[str, ...], list[Form]], form: str, value: object, instead: bool = False) -> None:
    key, accented = _form_keys(form)
    if key:
        table.setdefault(key, []).append(Form(accented, value, instead))


def _rows(path: Path) -> Iterable[tuple[str, str]]:
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#") or "\t" not in raw:
            continue
        left, right = raw.split("\t", 1)
        yield left, right


@dataclass
class Unit:
    """One idea of the question: a content syllable, or a citizen phrase with its official words."""

    alternatives: tuple[tuple[tuple[str, ...], int], ...]  # each: (terms, how many must be present)
    label: str
    span: tuple[int, int] = (0, 0)  # syllable positions [start, end) in the question
    scoring: tuple[dict[str, float], ...] = ()  # each wording's weighted terms: the idea scores by its best


@dataclass
class Query:
    text: str  # the question as searched: without reference codes and long numbers
    pairs: list[tuple[str, str]] = field(default_factory=list)  # its syllables (query_pairs): Unit.span's positions
    weights: dict[str, float] = field(default_factory=dict)  # term -> weight, every term of the question
    units: list[Unit] = field(default_factory=list)
    free: dict[str, float] = field(default_factory=dict)  # terms of no single idea: bigrams across ideas
    outside: list[tuple[tuple[str, ...], str, tuple[int, int]]] = field(default_factory=list)  # phrase, ministry, span
    # spans of those phrases that are what a permit is for ("giấy phép bán lẻ rượu"): the subject asked
    # about, never context that the rest of the question may overrule
    permitted: set[tuple[int, int]] = field(default_factory=set)
    # the terms the question says itself or through a citizen phrase of two or more syllables: not
    # those a lone ambiguous word brings ("mất" is lost, died, or takes: "bị mất; cấp lại")
    stated: frozenset[str] = frozenset()
    level: str | None = None  # the level whose office the question names (OFFICE_LEVELS), if one
    # syllable positions [start, end) of a step the citizen has done ("đã được chấp thuận nguyên tắc
    # hợp nhất, giờ ...") before what they now ask, which runs from `end` on (done_step)
    done: tuple[int, int] | None = None


ACCENT_FREE_FROM = 3  # forms of this many syllables match whatever accents were typed ("hộ chiều công vụ")


def _compatible(typed: Sequence[tuple[str, str]], form: tuple[str, ...]) -> bool:
    """A form matches what was typed: syllables typed without accents match any accents; a long
    form matches an accent slip too, as no other phrase has its syllables."""
    return len(form) >= ACCENT_FREE_FROM or all(acc in (key, f) for (acc, key), f in zip(typed, form))


def _matches(
    pairs: Sequence[tuple[str, str]], table: dict[tuple[str, ...], tuple[Form, ...]], max_len: int,
    blocked: Sequence[bool],
) -> Iterator[tuple[int, int, tuple[str, ...], list[Form]]]:  # fmt: skip
    """At each position, the longest form of `table` that starts there, unless it lies inside a
    longer form found before; forms may overlap ("sổ đỏ" + "đỏ lần đầu"). A form may hold blocked
    syllables (a question phrase: "giấy tờ" in "giấy tờ đất") but not only those."""
    keys = [k for _, k in pairs]
    enclosing_end = 0
    for i in range(len(pairs)):
        for size in range(min(max_len, len(pairs) - i), 0, -1):
            if all(blocked[i : i + size]):
                continue
            key = tuple(keys[i : i + size])
            forms = [f for f in table.get(key, ()) if _compatible(pairs[i : i + size], f.accented)]
            if not forms:
                continue
            if i + size <= enclosing_end:  # inside a longer form: that one's meaning stands
                break
            enclosing_end = i + size
            yield i, size, key, forms
            break


EXPANSION_WEIGHT = 1.0  # an official phrase added for a citizen's word weighs, all its terms together,
IDEA_MASS = 3.0  # at most this much: like a two-syllable phrase (two syllables and their bigram)


def _phrase_terms(phrase: Sequence[str]) -> list[str]:
    """The terms that show a phrase is present: its bigrams, or the syllable of a one-word phrase."""
    if len(phrase) == 1:
        return [phrase[0]]
    return [f"{a}_{b}" for a, b in zip(phrase, phrase[1:])]


_PHRASES_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _phrase in QUESTION_PHRASES:
    _PHRASES_BY_FIRST.setdefault(_phrase[0], []).append(_phrase)


def _question_masks(sylls: Sequence[str], typed: Sequence[str] = ()) -> tuple[list[bool], list[bool]]:
    n = len(sylls)
    phrase_masked = [False] * n
    for i, first in enumerate(sylls):
        for phrase in _PHRASES_BY_FIRST.get(first, ()):
            size = len(phrase)
            if tuple(sylls[i : i + size]) == phrase:
                phrase_masked[i : i + size] = [True] * size
    word_masked = [
        phrase_masked[i] or (s in QUESTION_WORDS and not _a_card(sylls, typed, i)) for i, s in enumerate(sylls)
    ]
    return phrase_masked, word_masked


# "the" is "thế" of "thế nào", "có thể", or the card ("thẻ công chứng viên", "the tam tru"): a card
# when typed so, or unaccented before a word that is not a question's own nor makes it another word
# ("thế chấp", "thể thao")
_NOT_BEFORE_A_CARD = frozenset({"co", "nhu", "vay", "the"})
_NOT_AFTER_A_CARD = frozenset({"chap", "thao", "hien", "gioi", "he", "le", "loai", "tich", "luc", "che", "duc"})


def _a_card(sylls: Sequence[str], typed: Sequence[str], i: int) -> bool:
    if sylls[i] != "the":
        return False
    word = typed[i] if i < len(typed) else sylls[i]  # as typed: NFC, lower case (query_pairs)
    if word != "the":
        return word == "thẻ"
    after = sylls[i + 1] if i + 1 < len(sylls) else ""
    before = sylls[i - 1] if i else ""
    if not after or after in QUESTION_WORDS or after in _NOT_AFTER_A_CARD:
        return False
    return before not in _NOT_BEFORE_A_CARD


def _citizen_phrase(
    key: tuple[str, ...], forms: Sequence[Form], masked: Sequence[bool], instead: bool
) -> tuple[list[tuple[list[str], int]], list[dict[str, float]]]:
    """What a matched citizen form asks for: the wordings that show it is present in a procedure
    (each with how many of its terms must be), and the weighted terms of each wording, the
    citizen's own first (empty when the official phrases stand instead of them)."""
    alternatives: list[tuple[list[str], int]] = []
    own: dict[str, float] = {}
    if not instead:
        citizen = _phrase_terms(key)
        alternatives.append((citizen, len(citizen)))  # the citizen's own phrase, whole (a curated alias)
        own = {t: 1.0 for t, m in zip(key, masked) if not m}
        own.update({t: 1.0 for t in ngrams(key)[len(key) :]})
    scoring = [own]
    for form in forms:
        for target in form.value:  # type: ignore[attr-defined]
            terms = _phrase_terms(target)
            alternatives.append((terms, max(1, -(-len(terms) // 2))))  # the official one, half of it
            grams = ngrams(target)
            weight = EXPANSION_WEIGHT * min(1.0, IDEA_MASS / len(grams))
            scoring.append({t: weight for t in grams})
    return alternatives, scoring


def _gapped_units(pairs: Sequence[tuple[str, str]], lexicon: Lexicon) -> list[Unit]:
    """One more idea for each gapped form the question holds: what its parts say together."""
    units = []
    present = {key for _, key in pairs}
    for gapped in lexicon.gapped:
        if not all(part[0] in present for part in gapped.parts):  # most forms: a set lookup, no scan
            continue
        span = gapped.find(pairs)
        if span is None:
            continue
        alternatives, scoring = _citizen_phrase((), [Form((), gapped.value, True)], [], instead=True)
        label = f" {GAP_MARK} ".join(" ".join(part) for part in gapped.parts)
        units.append(Unit(tuple((tuple(t), k) for t, k in alternatives), label, span, tuple(scoring)))
    return units


def _take_gapped(
    pairs: Sequence[tuple[str, str]], lexicon: Lexicon, weights: dict[str, float], stated: set[str], units: list[Unit]
) -> None:
    """Add the question's gapped forms: their units, and their official terms as said."""
    for unit in _gapped_units(pairs, lexicon):
        for wording in unit.scoring:
            for term, weight in wording.items():
                weights[term] = max(weights.get(term, 0.0), weight)
            stated.update(wording)
        units.append(unit)


# Another ministry's subject right after one of these is the place where something happened ("bé
# sinh ở bệnh viện", "mất tại bệnh viện"), not the procedure asked for: it does not decline the question.
PLACE_WORDS = frozenset({"o", "tai"})
# Offices whose names say a level (accent-free, after teencode: "ubnd" is "uy ban nhan dan"): the
# question then asks about the procedure at that level. "cấp tỉnh" alone may be what a thing is
# ("vùng an toàn dịch bệnh cấp tỉnh"), not who handles it.
OFFICE_LEVELS = {
    "Cấp tỉnh": ("cong an tinh", "cong an cap tinh", "uy ban nhan dan tinh", "uy ban tinh"),
    "Cấp xã": (
        "cong an xa",
        "cong an phuong",
        "uy ban nhan dan xa",
        "uy ban nhan dan phuong",
        "uy ban xa",
        "uy ban phuong",
    ),
    "Cấp bộ": ("bo cong an", "cuc quan ly xuat nhap canh", "cuc xuat nhap canh"),
}
# Another ministry's subject right after one of these is what a permit is for ("giấy phép kinh doanh
# hóa chất" is the Industry ministry's licence, not a household business), or what is organised
# ("tổ chức lễ hội").
PERMIT_WORDS = (("phep",), ("phep", "kinh", "doanh"), ("chung", "chi"), ("to", "chuc"))


def _find_outside(query: Query, pairs: Sequence[tuple[str, str]], lexicon: Lexicon) -> None:
    """Another ministry's subjects the question holds (query.outside), and which of them a permit is for."""
    sylls = [k for _, k in pairs]
    for start, size, key, forms in _matches(pairs, lexicon.outside, lexicon.max_len, [False] * len(sylls)):
        if start and sylls[start - 1] in PLACE_WORDS:  # "sinh ở bệnh viện": where it happened
            continue
        query.outside.append((key, str(forms[0].value), (start, start + size)))
        if any(tuple(sylls[max(start - len(w), 0) : start]) == w for w in PERMIT_WORDS):
            query.permitted.add((start, start + size))


def analyze_query(text: str, lexicon: Lexicon) -> Query:
    text = without_codes(text)  # pasted codes and long numbers name no procedure
    pairs = query_pairs(text)
    sylls = [k for _, k in pairs]
    query = Query(text, pairs)
    n = len(sylls)
    phrase_masked, word_masked = _question_masks(sylls, [typed for typed, _ in pairs])
    # "mất" in a question's own phrase is what it costs ("thì mất bao lâu"): no part of a gapped form
    # ("thẻ abtc … mất", a loss)
    gapped_pairs = [
        ("", "") if key == "mat" and masked else pair for pair, key, masked in zip(pairs, sylls, phrase_masked)
    ]

    _find_outside(query, pairs, lexicon)

    in_synonym = [False] * n
    stated: set[str] = set()
    same_match = [False] * n  # position i and i + 1 lie in one citizen form
    weights: dict[str, float] = {}

    def add(term: str, weight: float) -> None:
        weights[term] = max(weights.get(term, 0.0), weight)

    for start, size, key, forms in _matches(pairs, lexicon.synonyms, lexicon.max_len, phrase_masked):
        in_synonym[start : start + size] = [True] * size
        same_match[start : start + size - 1] = [True] * (size - 1)
        instead = any(form.instead for form in forms)
        if instead:  # "không có lương hưu" is not about pensions
            word_masked[start : start + size] = [True] * size
            phrase_masked[start : start + size] = [True] * size
            # nor is "đi du lịch Nhật Bản" about tourism, another ministry's subject: a form that
            # reads the subject's words in a longer context says what they mean (a trip abroad)
            query.outside = [o for o in query.outside if not _read_in_context(o[2], (start, start + size))]
        alternatives, scoring = _citizen_phrase(key, forms, word_masked[start : start + size], instead)
        own = scoring[0]
        for wording in scoring:
            for term, weight in wording.items():
                add(term, weight)
        stated.update(own)
        if size > 1:
            stated.update(t for wording in scoring for t in wording)
        query.units.append(
            Unit(tuple((tuple(t), k) for t, k in alternatives), " ".join(key), (start, start + size), tuple(scoring))
        )

    _take_gapped(gapped_pairs, lexicon, weights, stated, query.units)  # its parts stay ideas of their own

    for i, s in enumerate(sylls):
        if not word_masked[i]:
            add(s, 1.0)
            stated.add(s)
            if not in_synonym[i]:
                query.units.append(Unit((((s,), 1),), s, (i, i + 1), ({s: 1.0},)))
    for i in range(n - 1):
        if phrase_masked[i] or phrase_masked[i + 1] or (word_masked[i] and word_masked[i + 1]):
            continue
        term = f"{sylls[i]}_{sylls[i + 1]}"
        add(term, 1.0)
        stated.add(term)
        if not same_match[i]:
            query.free[term] = 1.0
    query.weights = weights
    query.stated = frozenset(stated)
    query.level = office_level(sylls)
    query.done = done_step(pairs)
    return query


# A step already taken: "đã được", "đã có", "mới có" ... up to the word that turns to what is asked now
DONE_MARKS = (("da", "duoc"), ("da", "co"), ("moi", "co"), ("vua", "duoc"), ("da", "lam"), ("da", "xin"))
_NOT_A_TURN_AFTER = frozenset({"nam", "hom", "dao", "gan", "truoc", "tu"})  # "năm nay", "hôm nay", "từ nay"


def done_step(pairs: Sequence[tuple[str, str]]) -> tuple[int, int] | None:
    """Where a question tells a step already done before a turn to what it asks now: "moi co quyet
    dinh bo nhiem cong chung vien, gio lam the ..." gives the span of "mới có ... viên"."""
    keys = [key for _, key in pairs]
    start = next((i for i in range(len(keys) - 1) if (keys[i], keys[i + 1]) in DONE_MARKS), None)
    if start is None:
        return None
    for i in range(start + 2, len(keys)):
        if keys[i - 1] in _NOT_A_TURN_AFTER:
            continue
        typed = pairs[i][0]
        if (keys[i] == "gio" and typed in ("giờ", "gio")) or (keys[i] == "nay" and typed == "nay"):
            return (start, i) if i - start > 2 else None
    return None


def office_level(sylls: Sequence[str]) -> str | None:
    """The level of the office a question names ("tố cáo cán bộ công an tỉnh"), when it names one."""
    text = f" {' '.join(sylls)} ".replace(" can bo cong an ", " cong an ")  # an officer, not the ministry
    named = {level for level, offices in OFFICE_LEVELS.items() if any(f" {o} " in text for o in offices)}
    return named.pop() if len(named) == 1 else None


def _read_in_context(phrase: tuple[int, int], form: tuple[int, int]) -> bool:
    """The phrase lies inside the form, and the form says more than the phrase."""
    inside = form[0] <= phrase[0] and phrase[1] <= form[1]
    return inside and form[1] - form[0] > phrase[1] - phrase[0]


def analyze_question_text(text: str) -> list[str]:
    """Terms of an FAQ question stored with a procedure: question words masked, no vocabulary."""
    sylls = query_syllables(text)
    _, masked = _question_masks(sylls)
    terms = [s for s, m in zip(sylls, masked) if not m]
    terms += [f"{a}_{b}" for a, b, m1, m2 in zip(sylls, sylls[1:], masked, masked[1:]) if not (m1 and m2)]
    return terms
