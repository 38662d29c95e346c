"""The catalogue search index: weighted BM25 fields over accent-free unigrams and bigrams, kept as
sparse matrices so a question is scored against every procedure in a few milliseconds.

Fields, strongest first: names (a procedure's official name and, for a curated procedure, its
aliases; each name scored on its own and the best one kept), curated FAQ questions, then the
record's field (lĩnh vực), result, applicants, agency and documents.

Built once from the documents (`CatalogueIndex.build`), saved to var/build/ keyed by a hash of
its inputs and loaded at start (`load_or_build`); `sync` re-analyses only the procedures whose
text changed.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from scipy import sparse

from tthc.search.analysis import (
    Lexicon,
    Query,
    Unit,
    analyze_query,
    analyze_question_text,
    doc_syllables,
    ngrams,
    query_syllables,
)
from tthc.search.documents import CONTEXT_FIELDS, LEVELS, SearchDoc, level_steps, searchable_name
from tthc.search.quantities import names_bounds, out_of_bounds, stated_quantities

INDEX_VERSION = 11  # bump when the stored layout changes (the code's own hash keys the rest: code_hash)

NAME_WEIGHT = 1.0
QUESTION_WEIGHT = 0.35
CONTEXT_WEIGHTS = {"field": 0.3, "result": 0.3, "applicants": 0.15, "agency": 0.15, "documents": 0.2}
_K1 = 1.2
_B = {"names": 0.3, "questions": 0.5, "field": 0.3, "result": 0.5, "applicants": 0.3, "agency": 0.3, "documents": 0.75}
# The words that make one variant of a procedure: re-issue, exchange, extension, correction, with a
# foreign element, mobile registration... (accent-free bigrams, unambiguous once accents are gone).
# A procedure that is a variant the question does not ask for, or that lacks the variant the question
# asks for, is the less likely reading: "cấp chứng chỉ" is not "cấp lại chứng chỉ".
VARIANTS = {
    "reissue": {"cap_lai", "ky_lai", "bi_mat", "cap_thay"}, "exchange": {"cap_doi", "doi_giay", "doi_the", "doi_chung"},
    "extension": {"gia_han"}, "adjustment": {"dieu_chinh", "sua_doi"}, "revocation": {"thu_hoi"},
    "deletion": {"xoa_dang", "xoa_ghi", "xoa_ten"}, "termination": {"cham_dut", "giai_the"},
    "suspension": {"tam_ngung", "tam_dung"}, "correction": {"dinh_chinh", "cai_chinh"},
    "mobile": {"luu_dong"}, "border": {"bien_gioi"}, "foreign": {"nuoc_ngoai"}, "domestic": {"trong_nuoc"},
    "abroad": {"o_nuoc"},  # where the applicant lives ("... ở nước ngoài"), not a foreign element
    "temporary": {"tam_thoi"}, "restoration": {"khoi_phuc", "phuc_hoi"},
    # what an authority does to others, seldom what a citizen asks for by other words
    "announcement": {"cong_bo"}, "suspension_order": {"dinh_chi"}, "designation": {"chi_dinh"},
    "officials": {"can_bo", "cong_chuc", "vien_chuc"}, "relocation": {"chuyen_huong"},
    # what is done to a registration that exists: its content changed or updated, a loss reported
    "change": {"thay_doi"}, "update": {"cap_nhat"}, "report": {"trinh_bao"},
    "exit": {"thoat_ngheo", "thoat_can"},  # a household leaving the poor or near-poor list
    "branch": {"chi_nhanh"},
    # a civil-status event settled abroad, recorded at home ("ghi vào Sổ hộ tịch việc kết hôn ... của
    # nước ngoài"): what citizens and officers call "ghi chú", not the event registered here
    "recording": {"ghi_vao", "ghi_chu"},
    # giving a request or a licence up: "rút yêu cầu trợ giúp pháp lý", "trả lại giấy phép"
    "withdrawal": {"rut_yeu", "rut_ho", "rut_don"}, "return": {"tra_lai", "nop_tra"},  # "return": see LEADING_ONLY
    # an electronic identity locked or unlocked ("Khóa căn cước điện tử", "Mở khóa tài khoản ...")
    "lock": {"khoa_can", "khoa_tai"}, "unlock": {"mo_khoa"},
    # the level of an electronic identity account ("VNeID mức 1" is not the level-2 account)
    "level_one": {"muc_1", "muc_01", "do_1", "do_01"}, "level_two": {"muc_2", "muc_02", "do_2", "do_02"},
}  # fmt: skip
# Where the applicant is ("... ở trong nước"), which level of an account: a question that does not say
# is not asking for another variant, so a name saying it is not penalised (as "Cấp hộ chiếu phổ
# thông ở trong nước" or "tài khoản định danh điện tử mức độ 2" would be).
UNSTATED_VARIANTS = frozenset({"domestic", "level_one", "level_two"})
# Variants that make another act of the one subject: a record without it is not the procedure even
# when it shares another variant asked ("ghi chú kết hôn ... ở Hàn Quốc": recording a marriage made
# abroad, not the marriage with a foreign element that also says "nước ngoài")
EXCLUSIVE_VARIANTS = frozenset({"recording"})
# Who applies: a record for individuals alone ("... cho cá nhân Việt Nam để nuôi trồng thủy sản") is
# not the one a company asks for, nor one for organisations alone a person's. Read from the
# question's first words only (APPLICANT_SYLLABLES), where its subject stands ("cty mình ...", "cá
# nhân muốn ..."): a company named later is most often the other party ("làm đại lý, công ty không
# khấu trừ thuế"), and "tổ chức" later most often the verb ("công ty tổ chức hội thảo").
APPLICANTS: dict[str, frozenset[str]] = {
    "individual": frozenset({"ca_nhan"}),
    "organisation": frozenset({"to_chuc", "doanh_nghiep", "cong_ty"}),
}
APPLICANT_SYLLABLES = 4
# A government guarantee and its absence: "... khoản vay nước ngoài của doanh nghiệp không được Chính phủ
# bảo lãnh" is the other procedure of a loan "có Chính phủ bảo lãnh", and so is one "không có Chính phủ
# bảo lãnh" (a "không được" or "không có" beside no guarantee names nothing a guaranteed loan's
# question asks for either)
GUARANTEE: dict[str, frozenset[str]] = {
    "guaranteed": frozenset({"phu_bao", "duoc_bao"}),
    "unguaranteed": frozenset({"khong_duoc", "khong_co"}),
}
# The way a question says things go: sent "ra/đi nước ngoài" they leave, "về Việt Nam" or "từ nước
# ngoài về" they come in, whatever the vocabulary reads of the goods ("gửi khô cá từ Nhật về VN": dried
# fish, read as taken abroad). Read in the question only: a name's "đầu tư ra nước ngoài" exports nothing,
# and a foreign investor's "về nước" is a way out
DIRECTION_WORDS = {"ra_nuoc": "xuat_khau", "di_nuoc": "xuat_khau", "ve_viet": "nhap_khau", "ve_vn": "nhap_khau",
                   "ngoai_ve": "nhap_khau"}  # fmt: skip
# Which tax: a value-added tax return is not the corporate income tax's, whose name holds the same
# "tỷ lệ % trên doanh thu" ("nộp VAT theo tỷ lệ % trên doanh thu"). The resource tax is named so that
# a question saying it is not read as the personal income tax its "quyết toán thuế" may mean.
TAXES: dict[str, frozenset[str]] = {
    "value_added": frozenset({"gia_tang"}),
    "corporate_income": frozenset({"nhap_doanh"}),
    "personal_income": frozenset({"nhap_ca"}),
    "resource": frozenset({"thue_tai"}),
}
# A firm of a trade with its own licence (an insurer, a securities or fund-management company, a law
# firm, a lottery) and a firm said plainly: "đổi tên công ty", "giải thể cty" is an ordinary company's
# registration, not a securities company's or an insurer's licence that also says "công ty" ("Giải thể
# doanh nghiệp bảo hiểm, doanh nghiệp tái bảo hiểm ..."). The trade's marks are words no question says
# of anything else: once accents are gone "công ty bảo hiểm" begins as "cty bao lâu" does, and an
# auction ("đấu giá") is as often a way of selling as the auctioneer. The trade's plain words only
# deny a plain firm (TRADE_WORDS): "cty đóng bảo hiểm" names neither
FIRMS: dict[str, frozenset[str]] = {
    "ordinary_firm": frozenset({"cong_ty", "doanh_nghiep"}),
    "licensed_firm": frozenset(
        {"tai_bao", "gioi_bao", "ty_chung", "tu_chung", "doanh_chung", "ly_quy", "ty_luat", "xo_so"}
    ),
}
TRADE_WORDS = frozenset({"bao_hiem", "chung_khoan", "ngan_hang", "tin_dung"})
# Words that, beside a thing's mark, say something else: "thuế thu nhập cá nhân", "dữ liệu (thông tin) cá
# nhân" are a tax and data, not who applies; "không được (không có) Chính phủ bảo lãnh" is no guarantee
UNLESS: dict[str, frozenset[str]] = {
    "individual": frozenset({"nhap_ca", "lieu_ca", "tin_ca"}),
    "guaranteed": GUARANTEE["unguaranteed"],  # the words that name no guarantee deny one
    "ordinary_firm": FIRMS["licensed_firm"] | TRADE_WORDS,  # "công ty chứng khoán" is not said plainly
}
# Things of one kind that exclude each other: a record whose names say one of them is not the
# procedure for a question that says another ("chở heo ra tỉnh": land animals, not aquatic ones;
# "môi giới chứng khoán": not real estate; "cty tạm ngừng kinh doanh": not a household business's;
# a fishing boat is not an inland-waterway vessel; a marriage is not a divorce). A record that names
# none of a kind, or several, is not concerned. Road vehicles are set only against vessels: names
# exclude them as often as they include them ("trừ xe mô tô, xe gắn máy"), so among other road
# vehicles' records their words tell nothing apart.
CONTRASTS: tuple[dict[str, frozenset[str]], ...] = (
    {"land_animal": frozenset({"tren_can"}), "aquatic": frozenset({"thuy_san"})},
    {
        "real_estate": frozenset({"bat_dong", "dong_san"}),
        "securities": frozenset({"chung_khoan"}),
        "lottery": frozenset({"xo_so"}),
    },
    {
        "household_business": frozenset({"ho_kinh"}),
        "company": frozenset({"doanh_nghiep", "cong_ty"}),
        "cooperative": frozenset({"hop_tac"}),
    },
    # a mortgage registered ("thế chấp sổ đỏ") is not the land transferred ("chuyển nhượng, tặng cho")
    {"mortgage": frozenset({"the_chap", "phap_bao"}), "transfer": frozenset({"chuyen_nhuong", "tang_cho"})},
    # a land certificate ("sổ đỏ cũ ... đổi sang sổ mới") is not a household business's ("Cấp đổi sang ...")
    {"land_use": frozenset({"dung_dat", "so_do", "so_hong"}), "household_business": frozenset({"ho_kinh"})},
    # vessels of each kind, and road vehicles, told by words only their names hold (plates, cars,
    # motorbikes): "mua thuyền cũ sang tên" is not the car's registration
    {
        "fishing_vessel": frozenset({"tau_ca"}),
        "inland_vessel": frozenset({"thuy_noi"}),
        "sea_vessel": frozenset({"tau_bien"}),
        "road_vehicle": frozenset({"bien_so", "o_to", "xe_may", "xe_mo", "gan_may"}),
    },
    {
        "birth": frozenset({"khai_sinh"}),
        "death": frozenset({"khai_tu"}),
        "marriage": frozenset({"ket_hon"}),
        "divorce": frozenset({"ly_hon"}),
        "adoption": frozenset({"con_nuoi"}),
    },
    # civil-status records ("cải chính ... hộ tịch") are not the residence or population data a
    # correction is then carried into ("đã cải chính tên trong giấy khai sinh, giờ sửa thông tin cư trú")
    {"civil_status": frozenset({"ho_tich"}), "residence_data": frozenset({"cu_tru", "dan_cu"})},
    {"ordinary_passport": frozenset({"pho_thong"}), "official_passport": frozenset({"ngoai_giao", "cong_vu"})},
    {"compulsory": frozenset({"bat_buoc"}), "voluntary": frozenset({"tu_nguyen"})},
    APPLICANTS,
    FIRMS,
    GUARANTEE,
    TAXES,
    {"export": frozenset({"xuat_khau"}), "import": frozenset({"nhap_khau"})},
    {"exit": frozenset({"xuat_canh"}), "entry": frozenset({"nhap_canh"})},
    {
        "permanent_residence": frozenset({"thuong_tru"}),
        "temporary_residence": frozenset({"tam_tru"}),
        "absence": frozenset({"tam_vang"}),
    },
)
AFTER_A_STEP = re.compile(r"\bđã (?:được|có|cấp)\b", re.IGNORECASE)  # a name's "khi đã được giao đất"
# Half the score: a name holding more of the question's words loses to one naming the thing it asks
# ("nộp VAT theo tỷ lệ % trên doanh thu"). On the 63 studied files of 6 December, 0.5 against 0.8:
# 62 more right answers from the rules alone, as many wrong
CONTRAST_PENALTY = 0.5
LEADING_VARIANTS = {"doi": "exchange", "xoa": "deletion"}  # a name that starts with "Đổi", "Xóa"
LEADING_SYLLABLES = 4  # the variant words a name leads with say what the procedure does
# Variants a name says only by leading with them: "Trả lại giấy phép ..." gives a licence back, while
# "... phí đã nộp được trả lại" is a refund and "hàng hóa ... bị trả lại" goods sent back
LEADING_ONLY = frozenset({"return"})
# "Cấp, cấp lại ...", "Cấp/gia hạn ...": a name that leads with the plain issue and then a re-issue,
# an exchange or an extension is the procedure for the plain case too: a question that asks for no
# variant is not penalised for it
COVERS_PLAIN = re.compile(r"^\s*(?:cấp mới|cấp)\s*(?:,|/|và)\s*(?:cấp lại|cấp đổi|đổi|gia hạn)", re.IGNORECASE)
VARIANT_PENALTY = 0.8
# A variant read from a lone word ("đổi" may be an exchange), not stated: on the 59 studied files of 6
# December, 4 wrong answers fewer (torn money to be examined, not exchanged), 1 more, as many right
UNSTATED_VARIANT_PENALTY = 0.9
CURATED_PRIOR = 1.0  # a multiplier on curated procedures' scores
CURATED_BAND = 0.8  # _curated_first: within this share of the best score ...
CURATED_COVERAGE_SLACK = 0.0  # ... and holding at least the best one's name coverage less this
AUDIENCE_PRIOR = {"citizen": 1.0, "business": 0.95, "organisation": 0.85}  # who asks this assistant
LEVEL_TIE = 0.96  # per level further from the citizen (xã, tỉnh, bộ): score *= LEVEL_TIE ** steps
ALIAS_WEIGHT = 0.8  # a curated alias counts a little less than an official name
FUZZY_MIN_CHARS = 8  # names shorter than this match only as words, through BM25
FUZZY_FROM = 85  # rapidfuzz partial_ratio from which a curated name counts as typed with typos
FUZZY_WEIGHT = 25.0
PRECISION_FLOOR = 0.8  # score *= PRECISION_FLOOR + (1 - PRECISION_FLOOR) * name precision
RERANK_POOL = 40  # the best this many by BM25 are re-ranked by how much of the question they hold
# and so are the best this many by their names alone: a long name that says the question ("Đăng ký
# hoạt động chi nhánh, văn phòng đại diện, thông báo lập địa điểm kinh doanh; ...") may hold little
# else, and fall behind forty records whose other fields repeat one of its words ("phí")
NAME_POOL = 20
COORDINATION = 0.3  # score = bm25 * (COORDINATION + (1 - COORDINATION) * held), where held is
NAME_COVERAGE_SHARE = 0.5  # this share of the name coverage plus the rest of the text coverage
HELD_WEIGHT_SHARE = 0.5  # an official phrasing held in part: at least this share of its idf
UNKNOWN_WEIGHT = 4.0  # coverage weight of a question word no procedure holds (typo, or another domain)


def rerank_pool(docs: np.ndarray, total: np.ndarray, names: np.ndarray, pool: int) -> np.ndarray:
    """Which of ``docs`` (scoring above nothing) are re-ranked: the best ``pool`` by ``total`` and the
    best NAME_POOL by their names alone (``names``), a name that says the question being kept."""
    if len(docs) <= pool:
        return docs
    best = docs[np.argpartition(-total[docs], pool - 1)[:pool]]
    by_name = docs[np.argpartition(-names[docs], NAME_POOL - 1)[:NAME_POOL]]  # pool > NAME_POOL: enough docs
    return np.union1d(best, by_name[names[by_name] > 0])


@dataclass(frozen=True)
class Hit:
    """One ranked procedure."""

    key: str  # slug of a curated procedure, or the first code of a catalogue one
    kind: str  # "curated" | "catalogue"
    name: str
    codes: tuple[str, ...]  # the preferred level first
    levels: tuple[str, ...]
    score: float
    name_score: float  # the part of the score its names earned
    coverage: float  # 0..1: weighted share of the question's ideas found in its text
    name_coverage: float  # the same, in its names only
    variant_match: bool = True  # it is the variant the question asks for (re-issue, extension, ...)
    lacks_variant: bool = False  # the question says it wants a variant (re-issue, foreign...) it is not
    name_precision: float = 0.0  # the share of its best name (by idf) that the question speaks of
    contrasted: bool = False  # its names say another thing of a kind the question names (CONTRASTS)

    @property
    def code(self) -> str | None:
        return self.codes[0] if self.codes else None


@dataclass(frozen=True)
class Distinction:
    """What sets one procedure's official names apart from a rival's, and how much of it a question
    speaks of: "(trong trường hợp Giấy phép bị mất, bị rách, bị cháy ...)" against "(trong trường
    hợp thay đổi thông tin ...)" is told apart by "bị cháy" alone, whatever the two share."""

    held: float = 0.0  # the share (by idf) of the words only its names say that the question holds
    rival_held: float = 0.0  # the same for the rival's own words
    mass: float = 0.0  # the idf of the words only its names say
    rival_mass: float = 0.0


@dataclass
class _Analyzed:
    names: list[tuple[np.ndarray, np.ndarray]]
    questions: list[tuple[np.ndarray, np.ndarray]]
    context: dict[str, tuple[np.ndarray, np.ndarray]]
    terms: np.ndarray  # every term id of the document, sorted
    label_terms: np.ndarray  # the term ids of what the procedure is (names, questions, field, result)
    variants: frozenset[str]  # the variant groups its names say (reissue, extension, ...)
    primary: frozenset[str]  # those its official name leads with ("Thu hồi ... và cấp lại": revocation)
    name_weights: np.ndarray  # per name row: 1 for an official name, ALIAS_WEIGHT for an alias
    name_syllables: list[np.ndarray]  # per name row: the ids of its syllables (unigram terms)


def _lacks(doc_variants: frozenset[str], asked: frozenset[str]) -> bool:
    """A record is not the variant asked: it has none of those asked, or lacks an exclusive one."""
    return not doc_variants & asked or bool((asked & EXCLUSIVE_VARIANTS) - doc_variants)


def _counts(terms: Iterable[str], vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    counts = Counter(terms)
    ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in counts), dtype=np.int32, count=len(counts))
    tfs = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
    return ids, tfs


def _analyze(doc: SearchDoc, vocab: dict[str, int]) -> _Analyzed:
    name_sylls = [doc_syllables(n) for n in (*map(searchable_name, doc.names), *doc.aliases)]
    names = [_counts(ngrams(sylls), vocab) for sylls in name_sylls]
    name_syllables = [np.unique(np.array([vocab[x] for x in sylls], dtype=np.int32)) for sylls in name_sylls]
    name_weights = np.array([1.0] * len(doc.names) + [ALIAS_WEIGHT] * len(doc.aliases), dtype=np.float32)
    questions = [_counts(analyze_question_text(q), vocab) for q in doc.questions]
    context = {f: _counts(ngrams(doc_syllables(doc.context_text(f))), vocab) for f in CONTEXT_FIELDS}
    label_ids = [a for a, _ in names] + [a for a, _ in questions] + [context["field"][0], context["result"][0]]
    all_ids = label_ids + [a for a, _ in context.values()]
    terms = np.unique(np.concatenate(all_ids)).astype(np.int32)
    label_terms = np.unique(np.concatenate(label_ids)).astype(np.int32)
    variants = frozenset().union(*(variant_groups(n) for n in name_sylls))
    leading = variant_groups(doc_syllables(doc.name)[:LEADING_SYLLABLES])
    # what the procedure is for: its name's first clause ("...; thông báo lập chi nhánh ở nước
    # ngoài" adds a case, it does not make the registration of a branch a foreign one)
    first_clause = doc.name.split(";")[0]
    primary = (leading or variant_groups(doc_syllables(first_clause))) - UNSTATED_VARIANTS
    if COVERS_PLAIN.match(unicodedata.normalize("NFC", doc.name)):
        primary = frozenset()
    return _Analyzed(names, questions, context, terms, label_terms, variants, primary, name_weights, name_syllables)


def kinds_named(terms: Iterable[str]) -> tuple[frozenset[str], ...]:
    """For each CONTRASTS kind, the things that terms (syllables and bigrams) name."""
    held = set(terms)
    return tuple(_things_held(kind, held) for kind in CONTRASTS)


def _things_held(kind: dict[str, frozenset[str]], held: set[str]) -> frozenset[str]:
    """The things of one kind whose marks ``held`` has, and not the words that say otherwise (UNLESS)."""
    return frozenset(
        thing for thing, marks in kind.items() if held & marks and not held & UNLESS.get(thing, frozenset())
    )


def kinds_asked(query: Query, sylls: Sequence[str] | None = None) -> tuple[frozenset[str], ...]:
    """The things of each kind the question names: in its own words ("môi giới chứng khoán" is
    securities, though "môi giới" alone reads as a real-estate broker), else through the vocabulary
    ("heo": a land animal). ``sylls``: the question's syllables, when already known."""
    sylls = query_syllables(query.text) if sylls is None else sylls
    words = ngrams(sylls)
    own = kinds_named([*words, *(DIRECTION_WORDS[t] for t in words if t in DIRECTION_WORDS)])
    read = kinds_named(query.weights)
    subject = set(ngrams(sylls[:APPLICANT_SYLLABLES]))
    return tuple(
        _things_held(kind, subject) if kind is APPLICANTS else mine or theirs
        for kind, mine, theirs in zip(CONTRASTS, own, read)
    )


def _excludes(named: Sequence[frozenset[str]], asked: Sequence[frozenset[str]]) -> bool:
    """A procedure names, of some kind, only things other than those the question names."""
    return any(a and n and not a & n for n, a in zip(named, asked))


def variant_groups(sylls: Sequence[str]) -> frozenset[str]:
    """The variant groups a text names: {"reissue"} for "cấp lại ...", {"exchange"} for "Đổi ..."."""
    terms = set(ngrams(sylls))
    found = {group for group, marks in VARIANTS.items() if terms & marks}
    if sylls and sylls[0] in LEADING_VARIANTS:
        found.add(LEADING_VARIANTS[sylls[0]])
    if "abroad" in found and not _foreign_beyond_abroad(sylls):
        found.discard("foreign")
    if "unlock" in found:
        found.discard("lock")  # "mở khóa căn cước" holds "khóa căn cước"
    for group in LEADING_ONLY & found:
        if not set(ngrams(sylls[:LEADING_SYLLABLES])) & VARIANTS[group]:
            found.discard(group)
    return frozenset(found)


# "nước ..." after these says where someone is or goes ("ở nước ngoài", "đi nước ngoài", "về nước")
WHERE_WORDS = frozenset({"o", "di", "ra", "sang", "ben", "tai", "cu", "ve"})


def _foreign_element(terms: Iterable[str]) -> bool:
    """A question's terms (its own words and the vocabulary's) say "nước ngoài" other than as where
    someone is or goes: "người nước ngoài", "yếu tố nước ngoài", "bằng lái nước ngoài"."""
    return any(t.endswith("_nuoc") and t.count("_") == 1 and t.split("_")[0] not in WHERE_WORDS for t in terms)


def _foreign_beyond_abroad(sylls: Sequence[str]) -> bool:
    """A name says "nước ngoài" other than as where the applicant is ("ở nước ngoài"): "Nhập quốc
    tịch Việt Nam ở nước ngoài" is for one who lives abroad, not a procedure with a foreign element."""
    pairs = zip(("", *sylls), sylls, sylls[1:])
    return any((word, next_word) == ("nuoc", "ngoai") and before != "o" for before, word, next_word in pairs)


def _matrix(rows: Sequence[tuple[np.ndarray, np.ndarray]], width: int) -> sparse.csr_matrix:
    lengths = np.fromiter((len(ids) for ids, _ in rows), dtype=np.int64, count=len(rows))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    if rows and indptr[-1]:
        ids = np.concatenate([ids for ids, _ in rows])
        tfs = np.concatenate([tfs for _, tfs in rows])
    else:
        ids, tfs = np.zeros(0, np.int32), np.zeros(0, np.float32)
    return sparse.csr_matrix((tfs, ids, indptr), shape=(len(rows), width))


def _bm25(tf: sparse.csr_matrix, b: float) -> tuple[sparse.csc_matrix, np.ndarray]:
    """BM25 weight of every (row, term) for a query term counted once, and the field's idf."""
    n = tf.shape[0]
    df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float64)
    idf = np.log1p((n - df + 0.5) / (df + 0.5))
    lengths = np.asarray(tf.sum(axis=1)).ravel()
    avg = lengths.mean() if n and lengths.mean() > 0 else 1.0
    norm = _K1 * (1 - b + b * lengths / avg)
    rows = np.repeat(np.arange(n), np.diff(tf.indptr))
    data = idf[tf.indices] * tf.data * (_K1 + 1) / (tf.data + norm[rows])
    out = sparse.csr_matrix((data.astype(np.float32), tf.indices, tf.indptr), shape=tf.shape)
    return out.tocsc(), idf


# The modules whose code shapes a saved index: a change to any of them is a new index, so that an
# edited variant word or weight is never measured on an index built before it.
_INDEX_CODE = ("analysis.py", "documents.py", "index.py")


@functools.cache
def code_hash() -> str:
    digest = hashlib.sha256()
    for name in _INDEX_CODE:
        digest.update((Path(__file__).with_name(name)).read_bytes())
    return digest.hexdigest()[:12]


def content_hash(docs: Sequence[SearchDoc], lexicon: Lexicon) -> str:
    digest = hashlib.sha256(f"v{INDEX_VERSION}:{code_hash()}".encode())
    for doc in docs:
        digest.update(f"{doc.key}:{doc.fingerprint}\n".encode())
    for part in lexicon.text_hash_parts():
        digest.update(part.encode() + b"\n")
    return digest.hexdigest()[:20]


class CatalogueIndex:
    """Ranks every procedure for a question. Build with `build`, or `load_or_build` from var/build/."""

    def __init__(self, docs: Sequence[SearchDoc], lexicon: Lexicon, analyzed: list[_Analyzed], vocab: dict[str, int]):
        self.docs = list(docs)
        self.lexicon = lexicon
        self._analyzed = analyzed
        self.vocab = vocab
        self.hash = content_hash(self.docs, lexicon)
        self._position = {d.key: i for i, d in enumerate(self.docs)}
        self._derive()

    # ---------------------------------------------------------------- building
    @classmethod
    def build(cls, docs: Sequence[SearchDoc], lexicon: Lexicon | None = None) -> CatalogueIndex:
        lexicon = lexicon or Lexicon.load()
        vocab: dict[str, int] = {}
        analyzed = [_analyze(d, vocab) for d in docs]
        return cls(docs, lexicon, analyzed, vocab)

    def _derive(self) -> None:
        """The scoring matrices, from the analysed documents (vectorized; no text is read but the
        few names that bound a quantity)."""
        self._bounds = {i: bounds for i, d in enumerate(self.docs) if (bounds := names_bounds(d.names))}
        width = len(self.vocab)
        name_rows = [r for a in self._analyzed for r in a.names]
        self._name_owner = np.repeat(np.arange(len(self.docs)), [len(a.names) for a in self._analyzed])
        self._name_weight = (
            np.concatenate([a.name_weights for a in self._analyzed]) if self._analyzed else np.zeros(0, np.float32)
        )
        self._names, self._name_idf = _bm25(_matrix(name_rows, width), _B["names"])
        q_rows = [r for a in self._analyzed for r in a.questions]
        self._q_owner = np.repeat(np.arange(len(self.docs)), [len(a.questions) for a in self._analyzed])
        self._questions, _ = _bm25(_matrix(q_rows, width), _B["questions"])
        context = None
        for f, weight in CONTEXT_WEIGHTS.items():
            part, _ = _bm25(_matrix([a.context[f] for a in self._analyzed], width), _B[f])
            context = part * weight if context is None else context + part * weight
        self._context = (
            sparse.csc_matrix(context) if context is not None else sparse.csc_matrix((len(self.docs), width))
        )
        terms = [a.terms for a in self._analyzed]
        lengths = np.fromiter((len(t) for t in terms), dtype=np.int64, count=len(terms))
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        ids = np.concatenate(terms) if terms else np.zeros(0, np.int32)
        self._doc_terms = sparse.csr_matrix((np.ones(len(ids), np.float32), ids, indptr), shape=(len(self.docs), width))
        df = np.bincount(ids, minlength=width).astype(np.float64)
        self._idf = np.log1p((len(self.docs) - df + 0.5) / (df + 0.5))
        # curated names and aliases as accent-free strings, for typo-tolerant matching ("khia sinh")
        self._fuzzy_names = [
            (i, " ".join(doc_syllables(n)))
            for i, d in enumerate(self.docs)
            if d.kind == "curated"
            for n in (*d.names, *d.aliases)
            if len(" ".join(doc_syllables(n))) >= FUZZY_MIN_CHARS
        ]
        name_terms = [
            np.unique(np.concatenate([r[0] for r in a.names])) if a.names else np.zeros(0, np.int32)
            for a in self._analyzed
        ]
        lengths = np.fromiter((len(t) for t in name_terms), dtype=np.int64, count=len(name_terms))
        ids = np.concatenate(name_terms) if name_terms else np.zeros(0, np.int32)
        self._name_terms = sparse.csr_matrix(
            (np.ones(len(ids), np.float32), ids, np.concatenate([[0], np.cumsum(lengths)])),
            shape=(len(self.docs), width),
        )
        self._things = self._things_named()

    # ---------------------------------------------------------------- updates
    def sync(self, docs: Sequence[SearchDoc]) -> dict[str, list[str]]:
        """Make the index hold exactly `docs`, re-analysing only the procedures that changed.
        Returns the keys added, changed and removed."""
        self.vocab = dict(self.vocab)  # copy on write: a shallow copy of this index keeps its own
        old = {d.key: (d, a) for d, a in zip(self.docs, self._analyzed)}
        changes: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
        analyzed = []
        for doc in docs:
            kept = old.get(doc.key)
            if kept and kept[0].fingerprint == doc.fingerprint and kept[0] == doc:
                analyzed.append(kept[1])
                continue
            changes["changed" if kept else "added"].append(doc.key)
            analyzed.append(_analyze(doc, self.vocab))
        wanted = {d.key for d in docs}
        changes["removed"] = [k for k in old if k not in wanted]
        self.docs, self._analyzed = list(docs), analyzed
        self._position = {d.key: i for i, d in enumerate(self.docs)}
        self.hash = content_hash(self.docs, self.lexicon)
        self._derive()
        return changes

    def update(self, doc: SearchDoc) -> dict[str, list[str]]:
        """Add or replace one procedure."""
        docs = list(self.docs)
        at = self._position.get(doc.key)
        if at is None:
            docs.append(doc)
        else:
            docs[at] = doc
        return self.sync(docs)

    def remove(self, key: str) -> dict[str, list[str]]:
        return self.sync([d for d in self.docs if d.key != key])

    # ---------------------------------------------------------------- persistence
    def save(self, path: Path | str) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        state = {"version": INDEX_VERSION, "hash": self.hash, "docs": self.docs, "lexicon": self.lexicon,
                 "analyzed": self._analyzed, "vocab": self.vocab}  # fmt: skip
        with tmp.open("wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path | str) -> CatalogueIndex:
        with Path(path).open("rb") as fh:
            state = pickle.load(fh)  # our own file in var/build/, written by save()
        if state.get("version") != INDEX_VERSION:
            raise ValueError(f"{path}: index version {state.get('version')}, expected {INDEX_VERSION}")
        return cls(state["docs"], state["lexicon"], state["analyzed"], state["vocab"])

    @classmethod
    def load_or_build(
        cls, docs: Sequence[SearchDoc], directory: Path | str, lexicon: Lexicon | None = None
    ) -> CatalogueIndex:
        """The index of these documents from `directory`/search-<hash>.pkl, built and saved if absent."""
        lexicon = lexicon or Lexicon.load()
        path = Path(directory) / f"search-{content_hash(docs, lexicon)}.pkl"
        if path.exists():
            try:
                return cls.load(path)
            except Exception:  # a stale or truncated file: rebuild it
                path.unlink(missing_ok=True)
        index = cls.build(docs, lexicon)
        index.save(path)
        for stale in Path(directory).glob("search-*.pkl"):  # indexes of earlier content: not loaded again
            if stale != path:
                stale.unlink(missing_ok=True)
        return index

    # ---------------------------------------------------------------- search
    def analyze(self, text: str) -> Query:
        return analyze_query(text, self.lexicon)

    def doc(self, key: str) -> SearchDoc | None:
        at = self._position.get(key)
        return self.docs[at] if at is not None else None

    def search(self, text: str, k: int = 10, query: Query | None = None) -> list[Hit]:
        query = query or self.analyze(text)
        columns = {t: c for c, t in enumerate(t for t in query.weights if t in self.vocab)}
        if not columns or not self.docs:
            return []
        ids = np.fromiter((self.vocab[t] for t in columns), dtype=np.int64, count=len(columns))
        weights = np.fromiter((query.weights[t] for t in columns), dtype=np.float32, count=len(columns))
        contributions, names = self._contributions(ids, weights)
        total = self._idea_scores(query, columns, contributions)
        sylls = query_syllables(query.text)
        for i, bonus in self._fuzzy(" ".join(sylls)).items():
            total[i] += bonus
        top = np.flatnonzero(total > 0)
        if not len(top):
            return []
        top = rerank_pool(top, total, names, max(k, RERANK_POOL))
        query_variants = self.query_variants(query)
        stated_variants = self.query_variants(query, stated=True)
        asked_kinds = kinds_asked(query, sylls)
        quantities = stated_quantities(query.text)
        kind_asked = any(asked_kinds)
        coverages, name_coverages = self._coverages(top, query)
        asked = self._asked(query)
        done = self._done_steps(top, query)
        hits = []
        for i, coverage, name_coverage, was_done in zip(top, coverages.tolist(), name_coverages.tolist(), done):
            coverage, name_coverage = round(coverage, 4), round(name_coverage, 4)
            held = (1 - NAME_COVERAGE_SHARE) * coverage + NAME_COVERAGE_SHARE * name_coverage
            score = float(total[i]) * (COORDINATION + (1 - COORDINATION) * held)
            precision = self._name_precision(int(i), asked)
            score *= PRECISION_FLOOR + (1 - PRECISION_FLOOR) * precision
            doc_variants, primary = self._analyzed[i].variants, self._analyzed[i].primary
            variant_match = True
            if primary and not primary & query_variants:
                score *= VARIANT_PENALTY  # a variant the question does not ask for
                variant_match = False
            lacks_variant = bool(stated_variants) and _lacks(doc_variants, stated_variants)
            if query_variants and _lacks(doc_variants, query_variants):
                # not the variant the question asks for; half the penalty where only a lone word that
                # may say it does ("ngân hàng không chịu đổi ... muốn xin giám định")
                score *= VARIANT_PENALTY if lacks_variant else UNSTATED_VARIANT_PENALTY
                variant_match = False
            contrasted = kind_asked and _excludes(self._kinds(int(i)), asked_kinds)
            contrasted = contrasted or was_done or (i in self._bounds and out_of_bounds(self._bounds[i], quantities))
            if contrasted:
                # it names another thing of the kind the question names, a quantity outside the one the
                # question states, or the step the question says is done
                score *= CONTRAST_PENALTY
            doc = self.docs[i]
            score *= CURATED_PRIOR if doc.kind == "curated" else AUDIENCE_PRIOR.get(doc.audience, 1.0)
            hits.append(Hit(doc.key, doc.kind, doc.name, doc.codes, doc.levels, round(score, 4),
                            round(float(names[i]), 4), coverage, name_coverage,
                            variant_match, lacks_variant, round(precision, 4), contrasted))  # fmt: skip
        hits.sort(key=lambda h: (-h.score * _level_tie(h), h.key))
        return _curated_first(hits)[:k]

    def _done_steps(self, docs: np.ndarray, query: Query) -> list[bool]:
        """Which procedures are the step the question says is done ("đã được chấp thuận nguyên tắc
        hợp nhất, giờ xin chấp thuận hợp nhất chính thức"): their names hold an idea said only of
        that step and none said only of what is asked now (unless every procedure is such a step). A
        name that says the step is done is the procedure that follows it ("Giao rừng ... khi đã được
        giao đất")."""
        if query.done is None:
            return [False] * len(docs)
        start, turn = query.done
        before = [u for u in query.units if start <= u.span[0] and u.span[1] <= turn]
        after = [u for u in query.units if u.span[0] >= turn]
        said_after = {u.label for u in after}
        said_before = {u.label for u in before}
        only_done = [u for u in before if u.label not in said_after]
        only_now = [u for u in after if u.label not in said_before]
        if not only_done or not only_now:
            return [False] * len(docs)
        _, _, held = self._held(docs, only_done + only_now)
        holds_done, holds_now = held[: len(only_done)].any(axis=0), held[len(only_done) :].any(axis=0)
        follows = np.array([bool(AFTER_A_STEP.search(self.docs[i].name)) for i in docs], bool)
        steps = holds_done & ~holds_now & ~follows
        return steps.tolist() if not steps.all() else [False] * len(docs)

    def _kinds(self, i: int) -> tuple[frozenset[str], ...]:
        """The things of each CONTRASTS kind that a procedure's names say."""
        return tuple(frozenset(thing for thing, has in kind.items() if has[i]) for kind in self._things)

    def _things_named(self) -> list[dict[str, np.ndarray]]:
        """Per CONTRASTS kind and thing, which procedures' official names say it (a mask over
        procedures; a curated file's aliases are left out: "chuyển hộ kinh doanh lên công ty" is an
        alias of the company registration, which is no household business's procedure)."""
        rows = [
            np.unique(np.concatenate([ids for ids, _ in a.names[: len(d.names)]])) if d.names else np.zeros(0, np.int32)
            for a, d in zip(self._analyzed, self.docs)
        ]
        ids = np.concatenate(rows) if rows else np.zeros(0, np.int32)
        indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
        by_term = sparse.csr_matrix(
            (np.ones(len(ids), np.float32), ids, indptr), shape=(len(self.docs), len(self.vocab))
        ).tocsc()
        out = []
        for kind in CONTRASTS:
            named = {}
            for thing, marks in kind.items():
                named[thing] = self._holding(by_term, marks) & ~self._holding(by_term, UNLESS.get(thing, frozenset()))
            out.append(named)
        return out

    def _holding(self, by_term: sparse.csc_matrix, marks: frozenset[str]) -> np.ndarray:
        """Which procedures' names hold any of ``marks`` (a mask over procedures)."""
        cols = [self.vocab[m] for m in marks if m in self.vocab]
        return np.asarray(by_term[:, cols].sum(axis=1)).ravel() > 0 if cols else np.zeros(len(self.docs), bool)

    def variants(self, key: str) -> frozenset[str]:
        """The variant groups a procedure's names say ("reissue", "extension"...)."""
        i = self._position.get(key)
        return self._analyzed[i].variants if i is not None else frozenset()

    def primary_variants(self, key: str) -> frozenset[str]:
        """The variant groups a procedure's name leads with: what it is for ("Cấp lại ...": reissue)."""
        i = self._position.get(key)
        return self._analyzed[i].primary if i is not None else frozenset()

    def name_precision(self, key: str, query: Query) -> float:
        """`_name_precision` of one procedure for a question."""
        at = self._position.get(key)
        return 0.0 if at is None else self._name_precision(at, self._asked(query))

    def _name_precision(self, i: int, asked: np.ndarray) -> float:
        """The share of its best name (by idf) that the question speaks of: "Đăng ký khai sinh lưu
        động" says more than "làm khai sinh cho con" asks, "Đăng ký khai sinh" does not."""
        best = 0.0
        for sylls in self._analyzed[i].name_syllables:
            if not len(sylls):
                continue
            weights = self._name_idf[sylls]
            held = weights[asked[sylls]].sum()
            best = max(best, float(held / max(weights.sum(), 1e-9)))
        return best

    def distinction(self, key: str, rival: str, query: Query) -> Distinction:
        """How much of what sets ``key``'s official names apart from ``rival``'s (and the other way
        round) the question speaks of (Distinction); nothing when either is not indexed."""
        return self.distinctions([(key, rival)], query)[0]

    def distinctions(self, pairs: Sequence[tuple[str, str]], query: Query) -> tuple[Distinction, ...]:
        """`distinction` of each (key, rival) pair, reading the question and each name once (sets:
        a name holds a few dozen syllables, too few for numpy to pay)."""
        asked = {self.vocab[t] for t in query.weights if t in self.vocab}
        official: dict[int, frozenset[int]] = {}
        out = []
        for key, rival in pairs:
            at, other = self._position.get(key), self._position.get(rival)
            if at is None or other is None:
                out.append(Distinction())
                continue
            for i in (at, other):
                if i not in official:
                    official[i] = self._official_syllables(i)
            own, theirs = official[at], official[other]
            held, mass = self._held_share(own - theirs, asked)
            rival_held, rival_mass = self._held_share(theirs - own, asked)
            out.append(Distinction(held, rival_held, mass, rival_mass))
        return tuple(out)

    def _official_syllables(self, i: int) -> frozenset[int]:
        """The syllable ids of a procedure's official names (not the aliases citizens' words add)."""
        rows = self._analyzed[i].name_syllables[: len(self.docs[i].names)]
        return frozenset(int(s) for row in rows for s in row)

    def _held_share(self, words: frozenset[int], asked: set[int]) -> tuple[float, float]:
        """The share (by name idf) of ``words`` among ``asked``, and their whole idf."""
        if not words:
            return 0.0, 0.0
        weights = {w: float(self._name_idf[w]) for w in words}
        mass = sum(weights.values())
        return sum(v for w, v in weights.items() if w in asked) / max(mass, 1e-9), mass

    def _asked(self, query: Query) -> np.ndarray:
        """A mask over the vocabulary: the terms the question holds."""
        asked = np.zeros(len(self.vocab), bool)
        asked[[self.vocab[t] for t in query.weights if t in self.vocab]] = True
        return asked

    def _contributions(self, ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per question term and procedure (a terms x procedures array), what the term earns: in
        the procedure's best-matching name (one name counts, the one that holds most of the question),
        its best FAQ question, and its other fields. Also the best name's score."""
        n = len(self.docs)
        out = np.ascontiguousarray(self._context[:, ids].toarray().T, dtype=np.float32)  # terms x procedures
        names = np.zeros(n, np.float32)
        for matrix, owner, row_weight, field_weight, keep in (
            (self._names, self._name_owner, self._name_weight, NAME_WEIGHT, True),
            (self._questions, self._q_owner, None, QUESTION_WEIGHT, False),
        ):
            if not matrix.shape[0]:
                continue
            part = matrix[:, ids].tocsr()
            totals = part @ weights
            if row_weight is not None:
                totals = totals * row_weight
            scored = np.flatnonzero(totals)  # rows holding none of the question earn nothing
            if not len(scored):
                continue
            order = scored[np.lexsort((-totals[scored], owner[scored]))]  # by procedure, best row first
            first = order[np.r_[0, np.flatnonzero(np.diff(owner[order])) + 1]]
            best = part[first].toarray().T.astype(np.float32)  # terms x procedures that have such rows
            if row_weight is not None:
                best *= row_weight[first][None, :]
            out[:, owner[first]] += field_weight * best
            if keep:
                names[owner[first]] = totals[first]
        return out, names

    @staticmethod
    def _idea_scores(query: Query, columns: dict[str, int], contributions: np.ndarray) -> np.ndarray:
        """Each idea of the question scores once, by its best wording (the citizen's words or one
        official phrase for them); bigrams across ideas add their own."""
        total = np.zeros(contributions.shape[1], np.float32)
        for unit in query.units:
            best = None
            for wording in unit.scoring:
                known = [(columns[t], w) for t, w in wording.items() if t in columns]
                if not known:
                    continue
                score = np.array([w for _, w in known], dtype=np.float32) @ contributions[[c for c, _ in known]]
                best = score if best is None else np.maximum(best, score)
            if best is not None:
                total += best
        free = [(columns[t], w) for t, w in query.free.items() if t in columns]
        if free:
            total += np.array([w for _, w in free], dtype=np.float32) @ contributions[[c for c, _ in free]]
        return total

    def unit_weight(self, terms: Sequence[str]) -> float:
        known = [self._idf[self.vocab[t]] for t in terms if t in self.vocab]
        if len(known) < len(terms) or not known:
            return UNKNOWN_WEIGHT
        return float(max(known))

    def _fuzzy(self, key: str) -> dict[int, float]:
        """Bonus for curated procedures one of whose names the question holds up to a typo or two."""
        out: dict[int, float] = {}
        if len(key) < FUZZY_MIN_CHARS or not self._fuzzy_names:
            return out
        names = [name if len(name) <= len(key) + 2 else "" for _, name in self._fuzzy_names]
        for _, hit, at in process.extract(key, names, scorer=fuzz.partial_ratio, score_cutoff=FUZZY_FROM, limit=None):
            if hit < 100:  # held exactly, BM25 has counted it already
                i = self._fuzzy_names[at][0]
                out[i] = max(out.get(i, 0.0), FUZZY_WEIGHT * (hit - FUZZY_FROM) / (100 - FUZZY_FROM))
        return out

    @staticmethod
    def query_variants(query: Query, stated: bool = False) -> frozenset[str]:
        """The variant groups the question asks for; ``stated``: only those it says itself or
        through a phrase (Query.stated), not through a lone ambiguous word."""
        terms = set(query.stated if stated else query.weights)
        found = {group for group, marks in VARIANTS.items() if terms & marks}
        if "foreign" in found and not _foreign_element(terms):
            found.discard("foreign")  # "đi làm ở nước ngoài": where the citizen goes, not a foreigner
        return frozenset(found)

    def idea_mass(self, query: Query, skip: tuple[int, int] | None = None) -> float:
        """How much the question's ideas weigh together (those within `skip` left out)."""
        return sum(
            max(self.unit_weight(terms) for terms, _ in unit.alternatives)
            for unit in query.units
            if not skip or not (skip[0] <= unit.span[0] and unit.span[1] <= skip[1])
        )

    def coverage(self, key: str, query: Query, skip: tuple[int, int] | None = None) -> tuple[float, float]:
        """`_coverage` of one procedure, leaving out the ideas within the span `skip` of the question."""
        at = self._position.get(key)
        return (0.0, 0.0) if at is None else self._coverage(at, query, skip)

    def _coverage(self, i: int, query: Query, skip: tuple[int, int] | None = None) -> tuple[float, float]:
        coverages, name_coverages = self._coverages(np.array([i]), query, skip)
        return round(float(coverages[0]), 4), round(float(name_coverages[0]), 4)

    def _coverages(
        self, docs: np.ndarray, query: Query, skip: tuple[int, int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Weighted share of the question's ideas (units) present in each procedure's text, and in its
        names. An idea is present when one of its phrasings is (the citizen's phrase whole, an official
        one by half its terms); a word no procedure holds weighs UNKNOWN_WEIGHT."""
        units = [u for u in query.units if not skip or not (skip[0] <= u.span[0] and u.span[1] <= skip[1])]
        zero = np.zeros(len(docs), np.float64)
        if not units or not len(docs):
            return zero, zero.copy()
        weights, held, held_names = self._held(docs, units)
        total = weights.sum()
        return weights @ held / total, weights @ held_names / total

    def _held(self, docs: np.ndarray, units: Sequence[Unit]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each idea's weight, and whether each procedure holds it in its text and in its names
        (units x docs)."""
        columns: dict[int, int] = {}
        prepared = []  # (weight, [(column indices, needed)])
        for unit in units:
            weight = max(self.unit_weight(terms) for terms, _ in unit.alternatives)
            alternatives = []
            for terms, need in unit.alternatives:
                known = [columns.setdefault(self.vocab[t], len(columns)) for t in terms if t in self.vocab]
                # a phrasing held in part must be held by half its weight, not only half its terms:
                # "đăng ký" alone does not hold "đăng ký thuế"
                idf = [float(self._idf[self.vocab[t]]) for t in terms if t in self.vocab]
                share = HELD_WEIGHT_SHARE * sum(idf) if need < len(terms) and len(known) == len(terms) else 0.0
                alternatives.append((known, need, np.array(idf), share))
            prepared.append((weight, alternatives))
        ids = np.fromiter(columns, dtype=np.int64, count=len(columns))
        in_text = self._doc_terms[docs][:, ids].toarray() > 0 if len(ids) else np.zeros((len(docs), 0), bool)
        in_names = self._name_terms[docs][:, ids].toarray() > 0 if len(ids) else np.zeros((len(docs), 0), bool)
        held = np.zeros((len(units), len(docs)), bool)
        held_names = np.zeros((len(units), len(docs)), bool)
        for u, (_, alternatives) in enumerate(prepared):
            for cols, need, idf, share in alternatives:
                if len(cols) >= need:
                    text, names = in_text[:, cols], in_names[:, cols]
                    held[u] |= (text.sum(axis=1) >= need) & (text @ idf >= share)
                    held_names[u] |= (names.sum(axis=1) >= need) & (names @ idf >= share)
        weights = np.array([w for w, _ in prepared], np.float64)
        return weights, held, held_names

    def ideas_held(
        self, keys: Sequence[str], query: Query
    ) -> tuple[list[float], list[frozenset[int]], list[frozenset[int]]]:
        """Each of the question's ideas' weight, and for each procedure which of them (positions in
        query.units) its whole text holds and which its names hold."""
        if not query.units:
            return [], [frozenset() for _ in keys], [frozenset() for _ in keys]
        at = np.array([self._position[k] for k in keys], dtype=np.int64)
        weights, held, held_names = self._held(at, query.units)

        def per_key(matrix: np.ndarray) -> list[frozenset[int]]:
            return [frozenset(np.flatnonzero(matrix[:, j]).tolist()) for j in range(len(keys))]

        return weights.tolist(), per_key(held), per_key(held_names)

    def holds_phrase(self, key: str, phrase: Sequence[str]) -> bool:
        """Whether what a procedure is (names, FAQ questions, field, result) holds a phrase of
        accent-free syllables, e.g. an out-of-catalogue word."""
        at = self._position.get(key)
        if at is None:
            return False
        terms = [phrase[0]] if len(phrase) == 1 else [f"{a}_{b}" for a, b in zip(phrase, phrase[1:])]
        present = set(self._analyzed[at].label_terms.tolist())
        return all(t in self.vocab and self.vocab[t] in present for t in terms)

    def memory_bytes(self) -> int:
        total = 0
        for m in (self._names, self._questions, self._context, self._doc_terms):
            total += m.data.nbytes + m.indices.nbytes + m.indptr.nbytes
        for a in self._analyzed:
            for ids, tfs in [*a.names, *a.questions, *a.context.values()]:
                total += ids.nbytes + tfs.nbytes
            total += a.terms.nbytes
        return total


def _level_tie(hit: Hit) -> float:
    steps = level_steps(hit.levels)
    if hit.kind == "curated" or steps >= len(LEVELS) - 1:  # an "other" agency: no order among them
        return 1.0
    return LEVEL_TIE**steps


def _curated_first(hits: list[Hit]) -> list[Hit]:
    """A curated procedure wins over the catalogue records above it when it scores nearly as well
    and holds as much of the question in its names: those records are its neighbours, and the
    curated procedures are the ones citizens mean most of the time; not one whose names say another
    thing of a kind the question names (a transfer of land, for a mortgage)."""
    if not hits or hits[0].kind == "curated":
        return hits
    top = hits[0]
    for at, hit in enumerate(hits[1:], start=1):
        if hit.score < CURATED_BAND * top.score:
            break
        if hit.kind != "curated":
            continue
        if (
            hit.variant_match
            and not hit.contrasted
            and hit.name_coverage >= top.name_coverage - CURATED_COVERAGE_SLACK
            and hit.coverage >= top.coverage - CURATED_COVERAGE_SLACK
        ):
            return [hit, *hits[:at], *hits[at + 1 :]]
        break  # a curated file below one that does not qualify does not jump it
    return hits
