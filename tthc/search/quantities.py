"""Quantities that a procedure's name bounds and a question states.

Some procedures are told apart only by a bound in their names: the groundwater licence "dưới 5.000
m3/ngày đêm" is the province's, "từ 5.000 m3/ngày đêm trở lên" the ministry's; the identity card
"cho người dưới 14 tuổi" is the child's. A question that states the quantity ("giếng 6.000 m3/ngày")
names one side of the bound, and the other side is not the procedure it asks about. The class of a
construction work is one more: the building permits "đối với công trình cấp III, cấp IV" are the
commune's, those "cấp đặc biệt, cấp I, cấp II" the province's, and "nhà xưởng công trình cấp 3" or
"nhà cấp 4" names one side; so is the rank of a practising certificate ("chứng chỉ ... hạng I", "hạng
II"), which citizens type "hạng 1".

Pure functions over accent-free lower-case text; an interval is (low, low closed, high, high closed).
"""

from __future__ import annotations

import math
import re

from tthc.text.normalize import strip_accents

Interval = tuple[float, bool, float, bool]

# unit words as typed after a number, accent-free: citizens say "khối" for cubic metres
UNITS = {"m3": "m3", "m³": "m3", "khoi": "m3", "tuoi": "age", "%": "percent", "phan tram": "percent", "tan": "tonne"}
_NUMBER = r"\d+(?:[.,]\d+)*"
_UNIT = "|".join(re.escape(word) for word in UNITS)
_QUANTITY = re.compile(
    rf"(?:(?P<bound>duoi|nho hon|it hon|khong qua|toi da|tu|tren|lon hon|nhieu hon|vuot qua|qua)\s+)?"
    rf"(?P<number>{_NUMBER})\s*(?P<unit>{_UNIT})(?![a-z0-9])"
    r"(?P<tail>[^,;()]{0,24}?\btro (?:len|xuong)\b)?"
)
# The class of a construction work (Luật Xây dựng, cấp công trình), as an ordinal: "đặc biệt" 0, I to
# IV 1 to 4, typed in Roman or Arabic numerals; "cấp 2 lần" is how often, not a class.
_WORK_CLASS = re.compile(r"\bcap (dac biet|iv|i{1,3}|[1-4])\b(?! lan\b)")
_RANK = re.compile(r"\bhang (iv|i{1,3}|[1-4])\b(?! sao\b)")  # "hạng 3 sao" is a hotel's stars
_CLASS_ORDINAL = {"dac biet": 0.0, "i": 1.0, "ii": 2.0, "iii": 3.0, "iv": 4.0, "1": 1.0, "2": 2.0, "3": 3.0, "4": 4.0}
BELOW_OPEN = frozenset({"duoi", "nho hon", "it hon"})  # the number itself is not in the range
BELOW_CLOSED = frozenset({"khong qua", "toi da"})
ABOVE_OPEN = frozenset({"tren", "lon hon", "nhieu hon", "vuot qua", "qua"})


def parse_number(typed: str) -> float:
    """A number as Vietnamese writes it: "6.000" and "6,000" are six thousand, "1,5" is 1.5."""
    groups = re.split(r"[.,]", typed)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    return float(typed.replace(",", ".")) if typed.count(",") + typed.count(".") == 1 else float(groups[0])


def _interval(bound: str | None, value: float, tail: str | None) -> Interval:
    if tail and tail.endswith("xuong"):
        return (-math.inf, False, value, True)
    if bound == "tu" or (tail and tail.endswith("len")):
        return (value, True, math.inf, False)
    if bound in BELOW_OPEN:
        return (-math.inf, False, value, False)
    if bound in BELOW_CLOSED:
        return (-math.inf, False, value, True)
    if bound in ABOVE_OPEN:
        return (value, False, math.inf, False)
    return (value, True, value, True)


def stated_quantities(text: str) -> dict[str, Interval]:
    """Per unit, the range of the quantity a text states or bounds; the first one of each unit,
    and the span of the construction-work classes or certificate ranks it lists ("cấp đặc biệt, cấp I,
    cấp II": 0 to 2)."""
    plain = strip_accents(text).lower()
    found: dict[str, Interval] = {}
    for match in _QUANTITY.finditer(plain):
        unit = UNITS[match["unit"]]
        if unit not in found:
            found[unit] = _interval(match["bound"], parse_number(match["number"]), match["tail"])
    for unit, listed in (("work_class", _WORK_CLASS), ("rank", _RANK)):
        ordinals = [_CLASS_ORDINAL[c] for c in listed.findall(plain)]
        if ordinals:
            found[unit] = (min(ordinals), True, max(ordinals), True)
    return found


def disjoint(a: Interval, b: Interval) -> bool:
    """No quantity lies in both ranges."""
    return _before(a, b) or _before(b, a)


def _before(a: Interval, b: Interval) -> bool:
    """Every quantity of `a` lies below every quantity of `b`."""
    _, _, a_high, a_high_closed = a
    b_low, b_low_closed, _, _ = b
    return a_high < b_low or (a_high == b_low and not (a_high_closed and b_low_closed))


def out_of_bounds(named: dict[str, Interval], asked: dict[str, Interval]) -> bool:
    """A name bounds a quantity that the question states outside the bound."""
    return any(unit in named and disjoint(named[unit], interval) for unit, interval in asked.items())


def names_bounds(names: tuple[str, ...] | list[str]) -> dict[str, Interval]:
    """The bounds that a procedure's official names agree on, per unit (none where they differ)."""
    seen: dict[str, set[Interval]] = {}
    for name in names:
        for unit, interval in stated_quantities(name).items():
            seen.setdefault(unit, set()).add(interval)
    return {unit: next(iter(intervals)) for unit, intervals in seen.items() if len(intervals) == 1}
