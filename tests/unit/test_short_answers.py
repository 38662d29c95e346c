"""Answers shaped for a phone (issue 13): the short fact first, the whole of it one tap away.

The content side (the `short` texts officers write, checked with file:line errors) and the
action side (what the first answer and the "show all of it" button say)."""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import ActionAnswerProcedure
from actions.facts import curated_facts
from actions.procedures import ASPECTS, BUTTONS, payload
from actions.settings import ActionSettings
from tests.unit.test_actions import run, tracker
from tests.unit.test_content import _line_of, _replace
from tthc.content import ContentBase, check_content
from tthc.content.model import figures, word_count
from tthc.content.schema import SHORT_WORDS

TODAY = dt.date(2026, 12, 3)


def _errors(content_copy: Path, name: str) -> list[tuple[int, str]]:
    return [(e.line, e.message) for e in check_content(content_copy).errors if e.file.endswith(name)]


# --- content: the checker and the model ----------------------------------------------------------


def test_figures_are_read_as_values() -> None:
    assert figures("nộp trực tuyến 7.000 đồng, 03 ngày, đến hết 31/12/2026") == {7000, 3, 31, 12, 2026}
    assert word_count("📋 Hồ sơ • Tờ khai (1 bản)") == 6


def test_a_short_text_too_long_or_with_a_figure_of_its_own_is_an_error_with_its_line(content_copy: Path) -> None:
    ks = content_copy / "procedures" / "khai-sinh.yml"
    long_text = " ".join(["Nộp tại xã"] * 11)
    _replace(ks, "short:\n  where: >-", f"short:\n  processing_time: {long_text}\n  where: >-")
    _replace(ks, "    short: Tờ khai đăng ký khai sinh", "    short: Tờ khai đăng ký khai sinh (3 bản chính)")
    errors = _errors(content_copy, "khai-sinh.yml")
    assert (
        _line_of(ks, "processing_time: Nộp tại xã"),
        f"'short.processing_time' dài 33 từ; bản ngắn cho điện thoại tối đa {SHORT_WORDS} từ.",
    ) in errors
    line = _line_of(ks, "(3 bản chính)")
    assert any(at == line and "'documents[1].short' có số 3" in message for at, message in errors), errors


def test_a_short_fee_naming_a_dated_amount_must_say_its_end_date(content_copy: Path) -> None:
    cc = content_copy / "procedures" / "can-cuoc.yml"
    _replace(cc, "(giảm 50% đến hết 31/12/2026)", "(giảm 50%)")
    errors = _errors(content_copy, "can-cuoc.yml")
    line = _line_of(cc, "  fee: ")
    assert (line, "'short.fee' nêu mức 25000 đồng có thời hạn nhưng không ghi ngày hết hiệu lực 31/12/2026.") in errors
    assert any("35000" in message for _, message in errors)


def test_an_unknown_short_key_is_refused(content_copy: Path) -> None:
    ks = content_copy / "procedures" / "khai-sinh.yml"
    _replace(ks, "short:\n  where: >-", "short:\n  documents: Tờ khai\n  where: >-")
    errors = _errors(content_copy, "khai-sinh.yml")
    assert any(line == _line_of(ks, "  documents: Tờ khai") and "'documents'" in m for line, m in errors), errors


def test_the_real_short_texts_are_within_their_limits(content: ContentBase) -> None:
    assert check_content(Path(__file__).resolve().parents[2] / "content").errors == []
    assert sum(1 for p in content.procedures.values() if p.short) >= 30
    assert all(any(d.get("short") for d in p.documents) for p in content.procedures.values() if len(p.documents) > 3)


def test_a_short_fee_past_the_end_date_of_its_amount_is_not_used(content: ContentBase) -> None:
    proc = content.procedures["can-cuoc"]
    assert "31/12/2026" in (proc.short_fee(dt.date(2026, 12, 31)) or "")
    assert proc.short_fee(dt.date(2027, 1, 1)) is None
    after = curated_facts(proc, content.locality(), dt.date(2027, 1, 1)).fee.short
    assert "25.000" not in after and "31/12/2026" not in after and "50.000" in after and "70.000" in after


# --- actions: the first answer and the button that shows all of it ------------------------------


def test_documents_answer_names_the_main_papers_and_says_how_many_more() -> None:
    messages, _ = run(ActionAnswerProcedure(), tracker("làm giấy khai sinh cần những gì", "ask_documents"))
    answer = messages[0]
    assert answer["of"] == " Đăng ký khai sinh"
    assert answer["documents"].startswith("• Tờ khai đăng ký khai sinh\n• Giấy chứng sinh")
    assert answer["documents"].endswith("…và 5 giấy tờ khác: bấm “Xem đủ giấy tờ”.")
    more = answer["buttons"][0]
    assert more == {"title": "Xem đủ giấy tờ", "payload": payload("ask_documents", "khai-sinh", detail=True)}
    assert len(answer["buttons"]) == BUTTONS


def test_the_more_button_gives_the_whole_list_without_a_more_button() -> None:
    tapped = payload("ask_documents", "khai-sinh", detail=True)
    entities = [{"entity": "procedure", "value": "khai-sinh"}, {"entity": "detail", "value": "full"}]
    seen = {"procedure": "khai-sinh", "sources_shown": ["khai-sinh"]}
    messages, _ = run(ActionAnswerProcedure(), tracker(tapped, "ask_documents", seen, entities))
    assert [m["response"] for m in messages] == ["utter_procedure_documents"]
    full = messages[0]["documents"]
    assert full.count("•") == 7 and "(1 bản chính)" in full and "Xem đủ giấy tờ" not in full
    assert messages[0]["of"] == ""  # a tapped button of an answer about it
    assert [b["title"] for b in messages[0]["buttons"]] == [
        "Lệ phí", "Thời hạn", "Nơi nộp", "Nộp trực tuyến", "Xem trên Cổng Dịch vụ công"
    ]  # fmt: skip


def test_a_follow_up_goes_without_the_name_and_a_named_procedure_with_it() -> None:
    seen = {"procedure": "khai-sinh", "sources_shown": ["khai-sinh"]}
    follow, _ = run(ActionAnswerProcedure(), tracker("thế lệ phí bao nhiêu", "ask_fee", seen))
    assert follow[0]["of"] == "" and "miễn" in follow[0]["fee"]
    named, _ = run(ActionAnswerProcedure(), tracker("lệ phí đăng ký kết hôn bao nhiêu", "ask_fee", seen))
    fee = next(m for m in named if m["response"] == "utter_procedure_fee")
    assert fee["of"] == " Đăng ký kết hôn"


def test_fee_first_answer_is_short_and_the_other_cases_are_one_tap_away() -> None:
    seen = {"procedure": "khai-sinh", "sources_shown": ["khai-sinh"]}
    messages, _ = run(ActionAnswerProcedure(), tracker("thế lệ phí bao nhiêu", "ask_fee", seen))
    assert messages[0]["fee"] == "Đăng ký khai sinh đúng hạn được miễn lệ phí."
    assert messages[0]["buttons"][0]["title"] == "Các trường hợp khác"
    tapped = tracker(
        messages[0]["buttons"][0]["payload"],
        "ask_fee",
        seen,
        [{"entity": "procedure", "value": "khai-sinh"}, {"entity": "detail", "value": "full"}],
    )
    full = run(ActionAnswerProcedure(), tapped)[0][0]["fee"]
    assert "8.000 đồng/bản" in full and "Miễn lệ phí cho:" in full and "quá hạn" in full


def test_where_is_the_place_first_and_the_authority_on_tap(content: ContentBase) -> None:
    t = tracker(
        '/ask_where{"procedure":"can-cuoc"}', "ask_where", entities=[{"entity": "procedure", "value": "can-cuoc"}]
    )
    messages, _ = run(ActionAnswerProcedure(), t)
    assert messages[0]["where"].startswith("Công an xã, phường, đặc khu") and "Cục Cảnh sát" not in messages[0]["where"]
    facts = curated_facts(content.procedures["can-cuoc"], content.locality(), TODAY)
    assert "Cơ quan giải quyết: Cục Cảnh sát" in facts.where.full


def test_online_answer_has_no_raw_link() -> None:
    messages, _ = run(ActionAnswerProcedure(), tracker("khai sinh nộp online được không", "ask_online"))
    answers = [m for m in messages if m["response"] == "utter_procedure_online"]
    assert answers and "http" not in answers[0]["online"]
    assert answers[0]["online"].startswith("Được, qua Cổng Dịch vụ công quốc gia")


def test_a_matching_faq_for_an_aspect_other_than_the_fee_is_the_whole_answer() -> None:
    question = "Nộp hồ sơ khai sinh buổi chiều thì bao giờ có?"
    messages, _ = run(ActionAnswerProcedure(), tracker(question, "ask_processing_time"))
    assert messages[0]["response"] == "utter_procedure_faq"
    assert "utter_procedure_time" not in [m["response"] for m in messages]
    assert messages[0]["buttons"][0] == {"title": "Thời hạn", "payload": payload("ask_processing_time", "khai-sinh")}


def test_every_curated_short_answer_fits_a_phone(content: ContentBase) -> None:
    """Every aspect of every curated procedure: at most five buttons (Zalo's limit), a short text
    (the heading with the name aside) of at most 45 words, and a median far below."""
    loc = content.locality()
    words = []
    for proc in content.procedures.values():
        facts = curated_facts(proc, loc, TODAY)
        for _, field, _ in ASPECTS.values():
            aspect = getattr(facts, field)
            assert word_count(aspect.short) <= 45, (proc.slug, field, aspect.short)
            words.append(word_count(aspect.short))
    assert statistics.median(words) <= 30


@pytest.mark.parametrize("intent", sorted(ASPECTS))
def test_every_aspect_answer_has_at_most_five_buttons(intent: str) -> None:
    messages, _ = run(ActionAnswerProcedure(), tracker("hộ chiếu", intent, {"procedure": "ho-chieu"}))
    answer = next(m for m in messages if m["response"] == ASPECTS[intent][0])
    assert 1 <= len(answer["buttons"]) <= BUTTONS
    assert answer["buttons"][-1]["title"] == "Xem trên Cổng Dịch vụ công"


def test_a_locality_fee_is_in_the_short_answer(actions_settings: Callable[..., ActionSettings]) -> None:
    actions_settings(today=dt.date.fromisoformat("2026-11-23"))
    t = tracker("lệ phí khai sinh bao nhiêu", "ask_fee", {"locality": "dak-lak"})
    fee = next(m for m in run(ActionAnswerProcedure(), t)[0] if m["response"] == "utter_procedure_fee")
    assert "Đắk Lắk:" in fee["fee"] and "0 đồng khi nộp qua dịch vụ công trực tuyến" in fee["fee"]


def test_the_dispatcher_sees_no_unknown_response_variables() -> None:
    """The responses take `of` and the aspect's own variable (bot/domain.yml)."""
    import yaml

    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "bot" / "domain.yml").read_text(encoding="utf-8"))
    for response, field, _ in ASPECTS.values():
        text = domain["responses"][response][0]["text"]
        assert "{of}" in text and "{" + field + "}" in text
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerProcedure().run(dispatcher, tracker("hộ chiếu lệ phí", "ask_fee"), {}))
    sent: list[dict[str, Any]] = [m for m in dispatcher.messages if m.get("response") == "utter_procedure_fee"]
    assert sent and {"of", "fee"} <= set(sent[0])


def test_a_record_names_its_agency_in_the_first_where_answer_and_other_levels_on_tap() -> None:
    from actions.facts import record_facts_of
    from tests.unit.test_record_facts import record

    own = record(agency="Văn phòng đăng ký đất đai", levels=("tinh",))
    alone = record_facts_of(own, [own], TODAY)
    assert (
        alone.where.short
        == "Bộ phận Một cửa của cơ quan giải quyết (cấp tỉnh).\nCơ quan giải quyết: Văn phòng đăng ký đất đai"
    )
    assert alone.where.full == ""  # nothing more to show: no button
    other = record(code="2.000002", levels=("xa",))
    grouped = record_facts_of(own, [own, other], TODAY)
    assert grouped.where.short == alone.where.short and "(mã 2.000002)" in grouped.where.full
    long_agency = record(agency=" ".join(["Sở"] * 25), levels=("tinh",))
    assert "Cơ quan giải quyết" not in record_facts_of(long_agency, [long_agency], TODAY).where.short


def test_a_record_names_its_family_at_farther_levels_where_it_names_its_other_levels() -> None:
    from actions.facts import record_facts_of
    from tests.unit.test_record_facts import record

    own = record(code="1.013227", levels=("xa",))
    big = record(code="1.013233", name="Gia hạn giấy phép xây dựng công trình cấp I", levels=("tinh",))
    facts = record_facts_of(own, [own], TODAY, [big])
    assert "Gia hạn giấy phép xây dựng công trình cấp I (cấp tỉnh, mã 1.013233)" in facts.where.full
    assert facts.levels.startswith("Trường hợp khác, ở cấp khác:")
