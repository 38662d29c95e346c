"""The rules' own answers on studied files, and what a change did to them (trolyao.evaluation.rules_diff)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trolyao.evaluation import rules_diff
from trolyao.evaluation.nlu_eval import our_search
from trolyao.evaluation.rules_diff import Answer, change, compare
from tthc.retrieval import ProcedureIndex
from tthc.search import CatalogueSearch, build_documents, read_records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "catalogue_search" / "records"


def answer(answered: str | None, right: bool = False, wrong: bool = False, at: int = 0) -> Answer:
    return Answer("search_calibration_x", at, f"câu {at}", answered, right, wrong)


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (answer("1.001", wrong=True), answer(None), "FIX"),
        (answer(None), answer("1.001", wrong=True), "BAD"),
        (answer(None), answer("1.002", right=True), "GAIN"),
        (answer("1.002", right=True), answer(None), "LOSE"),
        (answer("1.002", right=True), answer("1.003", right=True), "CHG"),
        (answer("1.002", right=True), answer("1.002", right=True), None),
    ],
)
def test_each_change_of_an_answer_is_named(before: Answer, after: Answer, kind: str | None) -> None:
    assert change(before, after) == kind


def test_the_totals_count_both_dumps_and_other_questions_are_refused() -> None:
    before = [answer("1.001", wrong=True, at=0), answer(None, at=1)]
    after = [answer(None, at=0), answer("1.002", right=True, at=1)]
    changed, totals = compare(before, after)
    assert [kind for kind, _, _ in changed] == ["FIX", "GAIN"]
    assert totals == {"wrong": (1, 0), "right": (0, 1)}
    with pytest.raises(ValueError):
        compare(before, after[:1])


def test_a_dump_answers_each_studied_question_with_the_rules_alone(tmp_path: Path) -> None:
    studied = tmp_path / "search_calibration_tiny.yml"
    studied.write_text(
        "- text: mất sổ đỏ muốn làm lại\n  intent: ask_procedure\n  codes: ['1.012786']\n"
        "- text: mất sổ đỏ muốn làm lại thì sao\n  intent: ask_procedure\n  codes: ['1.000757']\n",
        encoding="utf-8",
    )
    search = our_search(CatalogueSearch.build(build_documents(read_records(FIXTURES))), ProcedureIndex([]))
    answers = rules_diff.dump([studied], lambda _: "ask_procedure", search, lambda _: [])
    assert [(a.at, a.answered, a.right, a.wrong) for a in answers] == [
        (0, "1.012786", True, False),
        (1, "1.012786", False, True),
    ]
    out = tmp_path / "dump.json"
    out.write_text(json.dumps([a.__dict__ for a in answers]), encoding="utf-8")
    assert rules_diff.read(out) == answers


def test_the_measuring_sets_are_refused(tmp_path: Path, capsys) -> None:
    assert rules_diff.main(["dump", str(tmp_path / "x.json"), "tests/fixtures/search_heldout_2.yml"]) == 2
    assert "search_heldout_2" in capsys.readouterr().err
