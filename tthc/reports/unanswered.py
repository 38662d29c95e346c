"""Unanswered messages grouped by topic, so that officers see "what citizens ask that we cannot
answer yet", most asked first, each group about one thing (one click adds it to an FAQ).

A message's topic words are its accent-free syllables (teencode expanded) less the words every
question has ("cần gì", "ở đâu", "mất bao lâu", "thủ tục"...), plus adjacent pairs of them
("giay_phep", "lai_xe"), each weighted by how rare it is in the batch (IDF): "karaoke" says more
than "giấy phép". A message joins the group whose topic words are closest (cosine to the
group's summed words) only if most of its own words, or of the group members' words, are
shared both ways: a short "giấy phép" never swallows "giấy phép karaoke" and "giấy phép xây
dựng" into one group. A last sweep merges groups whose summed words are very close (two
wordings of one question that started apart). Measured on a seeded log of mixed questions
(tests/fixtures/unanswered_mixed.tsv): every group holds one topic.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tthc.text.normalize import accent_key
from tthc.text.tokenize import syllable_keys

MIN_COSINE = 0.3  # to the group's summed topic words
MIN_OWN_SHARE = 0.6  # share of the message's topic weight found in a member (mean over members) ...
MIN_MEMBER_SHARE = 0.4  # ... and of the member's found in the message
MERGE_COSINE = 0.4  # two groups whose summed topic words are this close become one
COMPARED_MEMBERS = 8  # members a message is compared with (the first ones: the group's core)
# Words of the question, not of its topic (accent-free, longest first).
QUESTION_PHRASES = (
    "can nhung giay to gi", "nhung giay to gi", "can giay to gi", "giay to gi", "can nhung gi", "mat bao lau",
    "la bao nhieu", "bao nhieu", "bao lau", "nhu the nao", "the nao", "duoc khong", "o dau", "can gi",
    "thu tuc", "cho toi hoi", "xin hoi",
)  # fmt: skip
FUNCTION_WORDS = frozenset(
    "toi minh em anh chi co khong duoc cho thi la cua va voi ve de nay hoi oi a ah nhe gi nhung nao the sao "  # noqa: SIM905
    "can lam o dau ai gium giup vay ha".split()
)


@dataclass
class Group:
    key: str  # the accent-free text of its first (most recent) message
    question: str  # that message as typed (masked)
    count: int = 0
    examples: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    procedures: dict[str, int] = field(default_factory=dict)
    words: dict[str, float] = field(default_factory=dict, repr=False)  # summed weighted topic words
    members: list[dict[str, float]] = field(default_factory=list, repr=False)
    norm: float = field(default=0.0, repr=False)  # length of ``words``, kept with it

    def add_words(self, words: dict[str, float]) -> None:
        for word, value in words.items():
            self.words[word] = self.words.get(word, 0.0) + value
        self.norm = _length(self.words)

    @property
    def procedure(self) -> str | None:
        """The procedure most of its messages were about, if any (a clarification's guess)."""
        return max(self.procedures, key=self.procedures.get) if self.procedures else None  # type: ignore[arg-type]


def topic_words(text: str) -> frozenset[str]:
    """The topic words of a message: 'xin giấy phép karaoke ở đâu' -> {xin, giay, phep, karaoke,
    xin_giay, giay_phep, phep_karaoke}."""
    joined = f" {' '.join(syllable_keys(text))} "
    for phrase in QUESTION_PHRASES:
        joined = joined.replace(f" {phrase} ", " | ")
    words = [None if w == "|" or w in FUNCTION_WORDS else w for w in joined.split()]
    found = {w for w in words if w}
    found.update(f"{a}_{b}" for a, b in zip(words, words[1:]) if a and b)
    return frozenset(found)


def _weights(texts: Iterable[frozenset[str]]) -> dict[str, float]:
    sets = list(texts)
    frequency = Counter(word for words in sets for word in words)
    return {word: math.log(1 + len(sets) / n) for word, n in frequency.items()}


def _length(words: dict[str, float]) -> float:
    return math.sqrt(sum(v * v for v in words.values()))


def _cosine(one: dict[str, float], group: Group, length: float | None = None) -> float:
    words = group.words
    dot = sum(value * words[word] for word, value in one.items() if word in words)
    norms = (_length(one) if length is None else length) * group.norm
    return dot / norms if norms else 0.0


def _overlap(one: dict[str, float], other: dict[str, float]) -> float:
    """How well two messages share their topic: 1.0 or more when enough of each one's weight is
    in the other (the message's share against MIN_OWN_SHARE, the member's against MIN_MEMBER_SHARE)."""
    own, theirs = sum(one.values()), sum(other.values())
    if not own or not theirs:
        return 0.0
    common = sum(value for word, value in one.items() if word in other)
    return min(common / own / MIN_OWN_SHARE, common_weight(other, one) / theirs / MIN_MEMBER_SHARE)


def common_weight(one: dict[str, float], other: dict[str, float]) -> float:
    return sum(value for word, value in one.items() if word in other)


def _home(vector: dict[str, float], candidates: Iterable[Group]) -> Group | None:
    """The closest group that the message belongs to, if any."""
    best, best_score = None, 0.0
    length = _length(vector)
    for group in candidates:
        cosine = _cosine(vector, group, length)
        if cosine < MIN_COSINE:
            continue
        members = group.members[:COMPARED_MEMBERS]
        overlap = sum(_overlap(vector, m) for m in members) / len(members)
        if overlap >= 1.0 and cosine + overlap > best_score:
            best, best_score = group, cosine + overlap
    return best


def group_messages(rows: list[dict[str, Any]], max_examples: int = 5) -> list[Group]:
    """One pass, newest message first: each message joins the group of its topic, or starts one."""
    texts = [(row, str(row["text"]).strip()) for row in rows]
    words = {text: topic_words(text) for _, text in texts}
    weight = _weights(words.values())
    groups: list[Group] = []
    by_word: dict[str, list[Group]] = {}  # topic word -> groups holding it, to compare with few
    seen: dict[str, Group] = {}  # the same words again: the same group
    for row, text in texts:
        key = accent_key(text)
        if not key:
            continue
        vector = {word: weight[word] for word in words[text]}
        home = seen.get(key)
        if home is None:
            nearby = {id(g): g for word in vector for g in by_word.get(word, ())}
            home = seen[key] = _home(vector, nearby.values())  # type: ignore[assignment]
        if home is None:
            home = seen[key] = Group(key, text)
            groups.append(home)
        if len(home.members) < COMPARED_MEMBERS:
            home.members.append(vector)
        for word in vector:
            if word not in home.words:
                by_word.setdefault(word, []).append(home)
        home.add_words(vector)
        _count(home, row, text, max_examples)
    return _merged(sorted(groups, key=lambda g: -g.count), by_word, max_examples)


def _merged(groups: list[Group], by_word: dict[str, list[Group]], max_examples: int) -> list[Group]:
    """One sweep, most asked first: each group takes in the smaller ones very close to it."""
    gone: set[int] = set()
    for group in groups:
        if id(group) in gone:
            continue
        nearby = {id(g): g for word in group.words for g in by_word.get(word, ()) if g is not group}
        for other in sorted(nearby.values(), key=lambda g: -g.count):
            if id(other) in gone or other.count > group.count or not _close(other, group):
                continue
            _absorb(group, other, max_examples)
            gone.add(id(other))
    return sorted((g for g in groups if id(g) not in gone), key=lambda g: -g.count)


def _close(one: Group, other: Group) -> bool:
    return _cosine(one.words, other) >= MERGE_COSINE and _overlap(one.words, other.words) >= 1.0


def _absorb(group: Group, other: Group, max_examples: int) -> None:
    group.count += other.count
    group.add_words(other.words)
    room = max(max_examples - len(group.examples), 0)
    group.examples += [x for x in other.examples if x not in group.examples][:room]
    for name, value in other.outcomes.items():
        group.outcomes[name] = group.outcomes.get(name, 0) + value
    for name, value in other.procedures.items():
        group.procedures[name] = group.procedures.get(name, 0) + value


def _count(group: Group, row: dict[str, Any], text: str, max_examples: int) -> None:
    group.count += 1
    if text not in group.examples and len(group.examples) < max_examples:
        group.examples.append(text)
    group.outcomes[row["outcome"]] = group.outcomes.get(row["outcome"], 0) + 1
    if row.get("procedure"):
        group.procedures[row["procedure"]] = group.procedures.get(row["procedure"], 0) + 1


def purity(groups: list[list[str]], topic_of: dict[str, str]) -> float:
    """Share of messages whose group's main topic is their own (1.0: every group one topic)."""
    total = sum(len(g) for g in groups)
    kept = sum(Counter(topic_of[m] for m in g).most_common(1)[0][1] for g in groups if g)
    return kept / total if total else 1.0
