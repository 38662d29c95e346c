"""`trolyao eval conversations --junit/--report`: evaluators' files (issue 5)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from trolyao.evaluation.conversations import TurnResult, check_turn, write_junit, write_report

REPLY = {"replies": [{"text": "Lệ phí: miễn", "buttons": [{"title": "Hồ sơ", "payload": "/ask_documents"}]}],
         "intent": "ask_fee", "procedure": "khai-sinh"}  # fmt: skip


def test_check_turn_keys() -> None:
    assert (
        check_turn(
            {"intent": "ask_fee", "procedure": "khai-sinh", "contains": ["miễn"], "buttons_include": ["hồ sơ"]}, REPLY
        )
        == []
    )
    problems = check_turn(
        {"intent": "ask_where", "contains_any": ["công an"], "image": True, "link_contains": "khaosat"}, REPLY
    )
    assert len(problems) == 4


def test_junit_and_markdown_report(tmp_path: Path) -> None:
    results = [
        TurnResult("hỏi lệ phí", 1, "lệ phí bao nhiêu", True, [], REPLY),
        TurnResult("hỏi lệ phí", 2, "nộp ở đâu", False, ["intent: mong ask_where, nhận ask_fee"], REPLY),
    ]
    write_junit(results, tmp_path / "out.xml")
    suite = ET.parse(tmp_path / "out.xml").getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    assert suite.findall("testcase")[1].find("failure").get("message").startswith("intent:")
    write_report(results, tmp_path / "out.md")
    text = (tmp_path / "out.md").read_text(encoding="utf-8")
    assert "## hỏi lệ phí" in text and "❌" in text and "Lệ phí: miễn" in text
    write_report(results, tmp_path / "out.html")
    assert (tmp_path / "out.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_codes_expectation_passes_when_the_answer_carries_one_of_them() -> None:
    reply = {**REPLY, "codes": ["1.001193"]}
    assert check_turn({"codes": ["1.001193"]}, reply) == []
    assert check_turn({"codes": ["2.000000", "1.001193"]}, reply) == []
    assert check_turn({"procedure": "khai-sinh", "codes": ["1.001193"]}, reply) == []
    missed = check_turn({"codes": ["1.013978"]}, reply)
    assert len(missed) == 1 and missed[0].startswith("codes:")
    assert len(check_turn({"codes": ["1.001193"]}, REPLY)) == 1  # an answer without codes
    # codes: [] wants an answer with no procedure's codes (not in the catalogue)
    assert check_turn({"codes": []}, {**REPLY, "procedure": None, "codes": []}) == []
    assert len(check_turn({"codes": []}, reply)) == 1
