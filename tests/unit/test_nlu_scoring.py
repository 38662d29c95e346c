"""`trolyao eval nlu` scoring (CONTRACT.md section 3) on small hand-made items, and the procedure
codes every reader shares (tthc.procedure_codes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trolyao.evaluation.nlu_eval import Item, Prediction, predict_all, read_items, score
from tthc.content import ContentBase
from tthc.procedure_codes import codes_of, is_correct, is_official_code

# procedure id -> its official codes, as the content (or the catalogue) would give them
CODES = {
    "khai-sinh": ("1.001193",),
    "cap-gcn-lan-dau": ("1.012753", "1.013978"),
    "1.003677": ("1.003677",),
    "1.010038": ("1.010038",),
}


def pred(intent: str, ranked: list[str], answered: str | None, ms: float = 1.0) -> Prediction:
    return Prediction(intent, ranked, answered, ms, {pid: CODES.get(pid, ()) for pid in ranked})


def test_codes_of_a_slug_comes_from_its_content_file(content: ContentBase) -> None:
    assert codes_of("khai-sinh", content) == ["1.001193"]
    assert codes_of("1.013978", content) == ["1.013978"]  # a catalogue procedure without slug
    assert codes_of("khong-co-thu-tuc-nay", content) == []
    assert codes_of(None, content) == codes_of("", content) == []
    assert codes_of("khai-sinh") == []  # no content: a slug says nothing by itself
    assert is_official_code("1.001193") and not is_official_code("khai-sinh")


def test_is_correct_by_slug_or_by_one_of_the_codes() -> None:
    assert is_correct("khai-sinh", ["1.001193"], "khai-sinh", [])
    assert is_correct("khai-sinh", ["1.001193"], None, ["2.000000", "1.001193"])
    assert is_correct("1.013978", ["1.013978"], None, ["1.013978"])
    assert not is_correct("ket-hon", ["1.000894"], "khai-sinh", ["1.001193"])
    assert not is_correct("khai-sinh", ["1.001193"], None, [])  # codes: [] names no procedure
    assert not is_correct(None, [], "khai-sinh", ["1.001193"])


def test_a_codes_only_item_is_right_when_a_ranked_procedure_carries_a_code() -> None:
    items = [Item("tach so ho khau", "ask_documents", codes=("1.010038",))]
    right = score(items, [pred("ask_documents", ["1.010038", "khai-sinh"], "1.010038")])
    assert (right["procedure_top1"], right["procedure_top3"], right["answer_rate"]) == (1.0, 1.0, 1.0)
    assert right["wrong_answer_rate"] == 0.0
    second = score(items, [pred("ask_documents", ["khai-sinh", "1.010038"], "khai-sinh")])
    assert (second["procedure_top1"], second["procedure_top3"]) == (0.0, 1.0)
    assert second["wrong_answer_rate"] == 1.0 and second["answer_rate"] == 1.0


def test_procedure_and_codes_accept_the_slug_or_any_code() -> None:
    item = Item("mất sổ đỏ lần đầu", "ask_documents", "cap-gcn-lan-dau", ("1.013978",))
    by_slug = score([item], [pred("ask_documents", ["cap-gcn-lan-dau"], "cap-gcn-lan-dau")])
    assert by_slug["procedure_top1"] == 1.0 and by_slug["wrong_answer_rate"] == 0.0
    by_code = score([item], [pred("ask_documents", ["1.013978"], "1.013978")])
    assert by_code["procedure_top1"] == 1.0 and by_code["wrong_answer_rate"] == 0.0
    # a curated slug is right through its content codes even for a codes-only label
    codes_only = Item("mất sổ đỏ lần đầu", "ask_documents", codes=("1.013978",))
    assert score([codes_only], [pred("ask_documents", ["cap-gcn-lan-dau"], "cap-gcn-lan-dau")])["procedure_top1"] == 1.0


def test_codes_empty_answered_is_wrong_and_not_recalled_whatever_the_intent() -> None:
    items = [
        Item("xin giấy phép mở phòng khám tư ở đâu", "ask_where", codes=()),
        Item("xin giấy phép mở phòng khám tư ở đâu", "ask_where", codes=()),
    ]
    predictions = [
        pred("ask_where", ["khai-sinh"], "khai-sinh"),  # answered with a procedure: wrong
        pred("ask_where", ["khai-sinh"], None),  # declined: recalled
    ]
    result = score(items, predictions)
    assert result["oos_recall"] == 0.5
    assert result["wrong_answer_rate"] == 0.5
    # items naming no correct procedure are outside top-1/top-3/answer_rate
    assert (result["procedure_top1"], result["procedure_top3"], result["answer_rate"]) == (0.0, 0.0, 0.0)
    # the intent does not matter: the label right, an answer is still wrong
    assert score(items[:1], [pred("ask_documents", ["khai-sinh"], "khai-sinh")])["wrong_answer_rate"] == 1.0


def test_out_of_scope_items_count_in_oos_recall_with_codes_empty_items() -> None:
    items = [Item("gia vang hom nay", "out_of_scope"), Item("mở phòng khám", "ask_where", codes=())]
    result = score(items, [pred("out_of_scope", [], None), pred("ask_where", ["khai-sinh"], "khai-sinh")])
    assert result["oos_recall"] == 0.5 and result["wrong_answer_rate"] == 0.5
    assert result["intent_accuracy"] == 1.0


def test_answer_rate_counts_asking_back_and_declining_as_not_answered() -> None:
    items = [Item(f"câu {n}", "ask_fee", "khai-sinh") for n in range(4)]
    predictions = [
        pred("ask_fee", ["khai-sinh"], "khai-sinh"),  # answered, right
        pred("ask_fee", ["ket-hon", "khai-sinh"], "ket-hon"),  # answered, wrong: still answered
        pred("ask_fee", ["khai-sinh", "ket-hon"], None),  # asked back (clarify): not answered
        pred("ask_fee", [], None),  # declined: not answered
    ]
    result = score(items, predictions)
    assert result["answer_rate"] == 0.5
    assert result["wrong_answer_rate"] == 0.25
    assert result["procedure_top1"] == 0.5 and result["procedure_top3"] == 0.75


def test_old_files_keep_their_scores() -> None:
    """Items with `procedure` only, as in dev-nlu.yml: the rules before `codes` existed."""
    items = [
        Item("làm khai sinh", "ask_procedure", "khai-sinh"),
        Item("số tổng đài", "ask_hotline"),
        Item("giá vàng", "out_of_scope"),
    ]
    predictions = [
        pred("ask_procedure", ["khai-sinh"], "khai-sinh", ms=2.0),
        pred("ask_hotline", ["khai-sinh"], "khai-sinh", ms=4.0),  # any answer where none is named: wrong
        pred("out_of_scope", [], None, ms=6.0),
    ]
    result = score(items, predictions)
    assert result == {
        "n": 3,
        "intent_accuracy": 1.0,
        "procedure_top1": 1.0,
        "procedure_top3": 1.0,
        "oos_recall": 1.0,
        "wrong_answer_rate": 0.3333,
        "answer_rate": 1.0,
        "p50_ms": 4.0,
        "p95_ms": 6.0,
    }


def test_read_items_keeps_codes_apart_from_no_codes(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text(
        '- {text: "lam khai sinh", intent: ask_procedure, procedure: khai-sinh}\n'
        '- {text: "mất sổ đỏ", intent: ask_documents, codes: ["1.013978", "2.000000"]}\n'
        '- {text: "mở phòng khám", intent: ask_where, codes: []}\n',
        encoding="utf-8",
    )
    first, second, third = read_items(path, strip=True)
    assert (first.procedure, first.codes) == ("khai-sinh", None)
    assert second.codes == ("1.013978", "2.000000") and second.text == "mat so do"
    assert third.codes == () and third.wants_none and not third.names_procedure
    path.write_text('- {text: "x", intent: ask_fee, codes: [1.001190]}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="ngoặc kép"):
        read_items(path)


def test_predict_all_keeps_the_codes_of_ranked_and_answered_procedures() -> None:
    class C:
        def __init__(self, slug: str, score: float) -> None:
            self.slug, self.score = slug, score

    items = [Item("lam khai sinh", "ask_procedure", codes=("1.001193",))]
    predictions = predict_all(
        items,
        parse=lambda text: "ask_procedure",
        search=lambda text: [C("khai-sinh", 40.0), C("1.003677", 3.0)],
        codes=lambda pid: list(CODES.get(pid, ())),
    )
    assert predictions[0].answered == "khai-sinh"
    assert predictions[0].codes == {"khai-sinh": ("1.001193",), "1.003677": ("1.003677",)}
    assert score(items, predictions)["procedure_top1"] == 1.0


def test_a_service_counts_as_answered_only_when_its_answer_is_about_the_named_procedure() -> None:
    """Hours, the hotline and a dossier lookup say where the procedure the request names is handled
    and keep it (as the action server does): answered with what `service` finds in the request
    without its service words. Feedback, survey and handoff are served the same whatever the
    procedure: not answered with it."""

    class C:
        def __init__(self, slug: str, score: float) -> None:
            self.slug, self.score = slug, score

    searched: list[str] = []

    def search(text: str) -> list[C]:
        searched.append(text)
        return [C("khai-sinh", 40.0), C("1.003677", 3.0)]

    cases = (
        ("check_dossier_status", "khai-sinh"),
        ("ask_working_hours", "khai-sinh"),
        ("ask_hotline", "khai-sinh"),
        ("give_feedback", None),
        ("ask_survey", None),
        ("human_handoff", None),
        ("ask_procedure", "khai-sinh"),
    )
    for intent, answered in cases:
        searched.clear()
        predictions = predict_all(
            [Item("tra cứu tình trạng hồ sơ khai sinh", intent)],
            parse=lambda text, intent=intent: intent,
            search=search,
            codes=lambda pid: list(CODES.get(pid, ())),
            service=lambda intent, found: found[0].slug,
        )
        assert predictions[0].answered == answered, intent
        if intent in {"check_dossier_status", "ask_working_hours", "ask_hotline"}:
            assert searched[-1] == "khai sinh"  # the service's own words taken out
