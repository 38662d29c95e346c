"""Actions with a collecting dispatcher and small trackers (financial-demo style)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import ActionAnswerProcedure, ActionDeny, ActionHotline, ActionSurvey, ActionWorkingHours
from actions.dossiers import ActionDossierStatus
from actions.procedures import BUTTONS, NOT_THIS, OFFICIAL_PAGE, ActionFallback, ActionOutOfScope
from actions.settings import ActionSettings
from actions.turn import TURN_KEY, turn_summary
from tthc.answer_gate import AnswerGate


def tracker(text: str, intent: str, slots: dict[str, Any] | None = None, entities: list | None = None) -> Tracker:
    return Tracker(
        sender_id="test",
        slots={"procedure": None, "candidates": None, "locality": None, **(slots or {})},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "intent_ranking": [{"name": intent, "confidence": 0.9}],
            "entities": entities or [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(action: Any, t: Tracker) -> tuple[list[dict], list[dict]]:
    """The action's messages for the citizen and its events; checks the turn summary it ends with."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    *messages, last = dispatcher.messages
    assert list(last["custom"]) == [TURN_KEY], "every action ends with the turn summary"
    assert last["custom"][TURN_KEY] == turn_summary(t, events)
    assert not any(TURN_KEY in (m.get("custom") or {}) for m in messages)
    return messages, events


def slot(events: list[dict], name: str) -> Any:
    values = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name]
    return values[-1] if values else "unset"


def test_documents_answer_is_one_message_with_the_page_as_a_titled_button() -> None:
    messages, events = run(ActionAnswerProcedure(), tracker("làm giấy khai sinh cần những gì", "ask_documents"))
    answer = messages[0]
    assert answer["response"] == "utter_procedure_documents"
    assert "Tờ khai" in answer["documents"]
    page = answer["buttons"][-1]
    assert page["title"] == "Xem trên Cổng Dịch vụ công" and page["url"].startswith("https://dichvucong.gov.vn/")
    assert [b["title"] for b in answer["buttons"][:-1]] == ["Xem đủ giấy tờ", "Lệ phí", "Thời hạn", "Nơi nộp"]
    source, rating = messages[-2], messages[-1]
    assert source["response"] == "utter_procedure_source"
    assert source["codes"] == "1.001193" and source["dated"] == "nội dung rà soát ngày 23/11/2026"
    assert rating["response"] == "utter_rate_answer"
    assert slot(events, "procedure") == "khai-sinh"
    assert slot(events, "sources_shown") == ["khai-sinh"]
    assert slot(events, "outcome") == "answered"  # the gateway logs how the question went


def test_two_aspects_asked_at_once_are_both_answered_the_buttons_under_the_second() -> None:
    """ "cần giấy tờ gì, nộp ở đâu": the papers, then the place, each in its short message; the
    other aspects and the page only once, under the last of them."""
    messages, _ = run(ActionAnswerProcedure(), tracker("làm giấy khai sinh cần giấy tờ gì, nộp ở đâu", "ask_documents"))
    papers, place = messages[0], messages[1]
    assert (papers["response"], place["response"]) == ("utter_procedure_documents", "utter_procedure_where")
    assert "Tờ khai" in papers["documents"] and place["where"]
    assert [b["title"] for b in papers["buttons"]] == ["Xem đủ giấy tờ"]
    under = ["Xem chi tiết", "Lệ phí", "Thời hạn", "Nộp trực tuyến", OFFICIAL_PAGE]
    assert [b["title"] for b in place["buttons"]] == under
    assert papers["of"] and not place["of"]  # the procedure is named once
    # the place asked where the classifier heard papers (close aspects): the place is said too
    close, _ = run(ActionAnswerProcedure(), tracker("cần giấy khai sinh cho con, làm ở đâu", "ask_documents"))
    assert [m["response"] for m in close][:2] == ["utter_procedure_documents", "utter_procedure_where"]
    # one aspect asked, one message
    one, _ = run(ActionAnswerProcedure(), tracker("làm giấy khai sinh cần những gì", "ask_documents"))
    assert [m["response"] for m in one] == ["utter_procedure_documents", "utter_procedure_source", "utter_rate_answer"]


def test_sources_and_rating_come_once_per_procedure_in_a_conversation() -> None:
    seen = {"procedure": "khai-sinh", "sources_shown": ["khai-sinh"]}
    messages, events = run(ActionAnswerProcedure(), tracker("thế lệ phí bao nhiêu", "ask_fee", seen))
    assert [m["response"] for m in messages] == ["utter_procedure_fee"]
    assert slot(events, "sources_shown") == "unset"
    assert not any("url" in str(m.get("text") or "") for m in messages)


def test_follow_up_uses_the_conversation_procedure() -> None:
    messages, events = run(
        ActionAnswerProcedure(), tracker("thế lệ phí bao nhiêu", "ask_fee", {"procedure": "khai-sinh"})
    )
    assert messages[0]["response"] == "utter_procedure_fee"
    assert "miễn" in messages[0]["fee"]
    assert slot(events, "procedure") == "khai-sinh"


def test_fee_shows_a_dated_rate_with_its_end_date(actions_settings: Callable[..., ActionSettings]) -> None:
    actions_settings(today=dt.date.fromisoformat("2026-11-23"))
    question = tracker("lệ phí căn cước", "ask_fee")
    during = [m for m in run(ActionAnswerProcedure(), question)[0] if m["response"] == "utter_procedure_fee"]
    assert "31/12/2026" in during[0]["fee"] and "25.000" in during[0]["fee"]
    actions_settings(today=dt.date.fromisoformat("2027-01-05"))
    after = [m for m in run(ActionAnswerProcedure(), question)[0] if m["response"] == "utter_procedure_fee"]
    assert "31/12/2026" not in after[0]["fee"] and "25.000" not in after[0]["fee"]
    assert "50.000" in after[0]["fee"]


def test_a_matching_faq_is_answered_and_the_fee_stays_date_aware() -> None:
    messages, _ = run(ActionAnswerProcedure(), tracker("đổi căn cước mất bao nhiêu tiền", "ask_fee"))
    assert [m["response"] for m in messages][:2] == ["utter_procedure_faq", "utter_procedure_fee"]


def test_button_payload_names_the_procedure() -> None:
    t = tracker(
        '/ask_where{"procedure":"can-cuoc"}', "ask_where", entities=[{"entity": "procedure", "value": "can-cuoc"}]
    )
    messages, events = run(ActionAnswerProcedure(), t)
    assert messages[0]["response"] == "utter_procedure_where"
    assert "Công an" in messages[0]["where"]
    assert slot(events, "procedure") == "can-cuoc"


def test_unknown_procedure_asks_instead_of_guessing() -> None:
    messages, events = run(ActionAnswerProcedure(), tracker("cần những giấy tờ gì", "ask_documents"))
    assert messages[0]["response"] in {"utter_ask_which_procedure", "utter_clarify_procedure"}
    assert slot(events, "procedure") == "unset"
    expected = "asked" if messages[0]["response"] == "utter_ask_which_procedure" else "clarified"
    assert slot(events, "outcome") == expected


def test_deny_offers_the_next_candidates() -> None:
    t = tracker(
        "không phải",
        "deny",
        {"procedure": "khai-sinh", "candidates": ["khai-sinh", "trich-luc-ho-tich", "lien-thong-khai-sinh"]},
    )
    messages, events = run(ActionDeny(), t)
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert messages[0]["response"] == "utter_clarify_procedure"
    assert any("trich-luc-ho-tich" in p for p in payloads) and not any('"khai-sinh"' in p for p in payloads)
    assert slot(events, "procedure") is None


def test_an_answer_the_gate_chose_over_the_rules_doubt_offers_not_this_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules ask back about "chứng thực chữ ký người dịch" (a translator who is, or is not, a
    collaborator of the commune); a gate sure of the first one answers it, with "không phải" a tap
    away (it offers the next ones, test_deny_offers_the_next_candidates)."""
    question = tracker("chứng thực chữ ký người dịch cần giấy tờ gì", "ask_documents")
    monkeypatch.setattr("tthc.understanding.shipped_gate", AnswerGate.never)
    messages, _ = run(ActionAnswerProcedure(), question)
    assert messages[0]["response"] == "utter_clarify_procedure"
    sure = AnswerGate(base=0.0, rate=1.0, trees=(((-1, 0.0, -1, -1, 9.0),),), threshold=0.9)
    monkeypatch.setattr("tthc.understanding.shipped_gate", lambda: sure)
    messages, events = run(ActionAnswerProcedure(), question)
    assert messages[0]["response"] == "utter_procedure_documents" and slot(events, "outcome") == "answered"
    buttons = messages[0]["buttons"]
    assert buttons[-2:] == [NOT_THIS, {"title": OFFICIAL_PAGE, "url": buttons[-1]["url"]}] and len(buttons) <= BUTTONS
    assert NOT_THIS["payload"] == "/deny" and len(slot(events, "candidates")) > 1
    sure_rules = run(ActionAnswerProcedure(), tracker("làm giấy khai sinh cần những gì", "ask_documents"))[0]
    assert NOT_THIS not in sure_rules[0]["buttons"]  # the rules' own answers stand without it


def test_hotline_has_tap_to_call_buttons_and_other_localities() -> None:
    messages, _ = run(ActionHotline(), tracker("số tổng đài", "ask_hotline"))
    assert messages[0]["response"] == "utter_hotline"
    assert all(b["payload"].startswith("tel:") for b in messages[0]["buttons"])
    assert "Đà Nẵng" in messages[0]["locality"]
    other, events = run(ActionHotline(), tracker("số tổng đài đắk lắk", "ask_hotline"))
    assert "Đắk Lắk" in other[0]["locality"] and slot(events, "locality") == "dak-lak"


def test_hours_asked_about_a_procedure_say_first_where_it_is_handled() -> None:
    """CCCD applications go to the police, not the one-stop desk: the hours answer says so first."""
    messages, events = run(
        ActionWorkingHours(), tracker("chủ nhật có nhận hồ sơ làm căn cước không", "ask_working_hours")
    )
    assert [m["response"] for m in messages][:2] == ["utter_procedure_where", "utter_working_hours"]
    assert "Công an" in messages[0]["where"] and "căn cước" in messages[0]["of"].lower()
    assert messages[0]["buttons"][-1]["url"].startswith("https://dichvucong.gov.vn/")
    assert slot(events, "procedure") == "can-cuoc"
    plain, events = run(ActionWorkingHours(), tracker("chủ nhật có làm việc không", "ask_working_hours"))
    assert plain[0]["response"] == "utter_working_hours" and slot(events, "procedure") == "unset"


def test_the_hotline_asked_about_a_procedure_names_where_it_is_handled() -> None:
    messages, events = run(ActionHotline(), tracker("hỏi về làm hộ chiếu thì gọi số nào", "ask_hotline"))
    assert [m["response"] for m in messages][:2] == ["utter_procedure_where", "utter_hotline"]
    assert slot(events, "procedure") == "ho-chieu"


def test_a_dossier_lookup_keeps_the_procedure_it_names_from_the_whole_catalogue() -> None:
    _, events = run(
        ActionDossierStatus(), tracker("kiểm tra giúp tình trạng hồ sơ làm hộ chiếu", "check_dossier_status")
    )
    assert slot(events, "procedure") == "ho-chieu"
    _, events = run(ActionDossierStatus(), tracker("tra cứu hồ sơ", "check_dossier_status"))
    assert slot(events, "procedure") == "unset"


def test_survey_sends_a_qr_code_that_decodes_to_the_survey_url() -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    messages, _ = run(ActionSurvey(), tracker("cho xin link khảo sát", "ask_survey"))
    message = messages[0]
    assert "khaosathailong.danang.gov.vn" in message["url"]
    header, data = message["image"].split(",", 1)
    assert header == "data:image/png;base64"
    decoded = [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(data))))]
    assert decoded == [message["url"]]


def test_fallback_with_context_offers_the_aspects() -> None:
    messages, events = run(ActionFallback(), tracker("ừm vậy à", "nlu_fallback", {"procedure": "ket-hon"}))
    assert messages[0]["response"] == "utter_procedure_overview"
    assert any("ket-hon" in b["payload"] for b in messages[0]["buttons"])
    assert slot(events, "outcome") == "fallback"


def test_fallback_that_finds_the_procedure_answers() -> None:
    messages, events = run(ActionFallback(), tracker("thu tuc dang ky ket hon", "nlu_fallback"))
    assert messages[-1]["response"] == "utter_rate_answer"
    assert (slot(events, "procedure"), slot(events, "outcome")) == ("ket-hon", "answered")


def test_fallback_without_anything_gives_the_hotline() -> None:
    messages, _ = run(ActionFallback(), tracker("asdkjh qwe", "nlu_fallback"))
    assert messages[0]["response"] == "utter_fallback"
    assert "1022" in messages[0]["hotline"]


def test_a_locality_fee_set_by_its_council_is_added(actions_settings: Callable[..., ActionSettings]) -> None:
    actions_settings(today=dt.date.fromisoformat("2026-11-23"))
    t = tracker("lệ phí khai sinh bao nhiêu", "ask_fee", {"locality": "dak-lak"})
    fee = [m for m in run(ActionAnswerProcedure(), t)[0] if m["response"] == "utter_procedure_fee"][0]
    assert "Đắk Lắk" in fee["fee"] and "0 đồng khi nộp qua dịch vụ công trực tuyến" in fee["fee"]
    default = [
        m
        for m in run(ActionAnswerProcedure(), tracker("lệ phí khai sinh bao nhiêu", "ask_fee"))[0]
        if m["response"] == "utter_procedure_fee"
    ][0]
    assert "Đắk Lắk" not in default["fee"]


def test_the_turn_summary_reports_intent_and_the_slots_after_the_action() -> None:
    messages, events = run(ActionAnswerProcedure(), tracker("làm giấy khai sinh cần những gì", "ask_documents"))
    summary = turn_summary(tracker("làm giấy khai sinh cần những gì", "ask_documents"), events)
    assert summary["intent"] == "ask_documents"
    assert summary["procedure"] == slot(events, "procedure") == "khai-sinh"
    assert summary["outcome"] == slot(events, "outcome") == "answered"
    assert summary["codes"] == ["1.001193"]  # the official codes of the procedure, for /api/chat
    reset = turn_summary(tracker("x", "greet"), [{"event": "restart"}])
    assert reset["procedure"] is None and reset["codes"] == []


def test_an_out_of_scope_guess_asks_back_when_the_question_plainly_names_procedures() -> None:
    # the sickness benefit and its neighbours hold the whole question, nearly all of it in their names
    messages, events = run(ActionOutOfScope(), tracker("con tôi bị ốm thì nghỉ được mấy ngày", "out_of_scope"))
    assert [m["response"] for m in messages] == ["utter_clarify_procedure"]
    assert "1.001667" in slot(events, "candidates")
    # a long question the classifier doubts, about naturalisation while living in Viet Nam: it says
    # "nhập", which sets it apart from its close rival "Trở lại quốc tịch...": answered outright
    text = "chồng em người Hàn sống ở Việt Nam 6 năm rồi, muốn nhập quốc tịch Việt Nam thì hồ sơ gồm những gì"
    for action, intent in ((ActionOutOfScope(), "out_of_scope"), (ActionFallback(), "nlu_fallback")):
        messages, events = run(action, tracker(text, intent))
        assert messages[0]["response"] == "utter_procedure_overview"
        assert slot(events, "procedure") == "2.002039"  # Nhập quốc tịch Việt Nam ở trong nước
    # a situation told at length, which the classifier takes for small talk: the likely ones, the
    # absence declaration among them, rather than "I did not understand"
    text = (
        "Con tôi đi làm ăn xa ở tỉnh khác hơn một năm nay, bên đó chưa đăng ký tạm trú, ở nhà có phải"
        " khai báo tạm vắng cho nó không"
    )
    messages, events = run(ActionOutOfScope(), tracker(text, "out_of_scope"))
    assert [m["response"] for m in messages] == ["utter_clarify_procedure"]
    assert "1.003677" in slot(events, "candidates")  # Khai báo tạm vắng
    # "vắng" is not the "vâng" (yes) of a reply: the absence declaration is named and answered
    text = "tôi đi làm ở nước ngoài 1 năm, có phải báo tạm vắng với công an xã ko"
    messages, events = run(ActionOutOfScope(), tracker(text, "out_of_scope"))
    assert messages[0]["response"] == "utter_procedure_overview"
    assert slot(events, "procedure") == "1.003677"
    # weather is not a purchase ("mua"), whatever the names hold, nor tomorrow the "mại" of a
    # "thương mại" bank; gold prices are no procedure
    for text in ("mai hà nội có mưa không", "mai có mưa không", "giá vàng hôm nay thế nào"):
        messages, events = run(ActionOutOfScope(), tracker(text, "out_of_scope"))
        assert [m["response"] for m in messages] == ["utter_out_of_scope"], text
        assert slot(events, "candidates") == "unset"


def test_a_found_weapon_is_not_answered_with_an_organisations_procedure() -> None:
    # "Tiếp nhận vũ khí" (3.000389) is for organisations receiving donated weapons: not a citizen
    # handing in a gun found in the garden
    messages, events = run(ActionAnswerProcedure(), tracker("nhặt được súng thì nộp cho ai", "ask_where"))
    assert slot(events, "procedure") in ("unset", None)
    assert "3.000389" not in str(messages)


def test_a_lost_social_insurance_book_is_answered_from_its_record_not_as_the_card() -> None:
    # 1.002759 re-issues the book as well as the card, in its own time: 10 days, 45 with checks
    messages, events = run(ActionAnswerProcedure(), tracker("sổ bhxh bị mất làm lại thế nào", "ask_procedure"))
    assert slot(events, "procedure") == "cap-lai-the-bhyt"
    said = str(messages[0])
    assert "không quá 10 ngày" in said and "45" in said and "TK1-TS" in said


def test_a_household_business_tax_return_is_not_answered_as_its_registration() -> None:
    # "khai thuế" is named by the tax return's record (1.011022), not by the registration's names
    text = "hkd của em bán tạp hóa doanh thu tầm 500 triệu một năm thì khai thuế thế nào"
    messages, events = run(ActionAnswerProcedure(), tracker(text, "ask_procedure"))
    assert slot(events, "procedure") != "ho-kinh-doanh"
    assert "1.011022" in str(slot(events, "candidates")) or slot(events, "procedure") == "1.011022"


def test_a_child_whose_birth_is_registered_is_recognised_not_registered_again() -> None:
    # "đã có khai sinh": the recognition alone (2.000779) is a likely reading, so the registration
    # combined with it (1.001695) is not answered
    text = "bạn trai tôi người Mỹ, con gái 2 tuổi đã có khai sinh chỉ ghi tên mẹ, giờ anh ấy muốn nhận con"
    messages, events = run(ActionAnswerProcedure(), tracker(text, "ask_procedure"))
    assert slot(events, "procedure") in ("unset", None)
    assert "2.000779" in slot(events, "candidates")


def test_a_birth_registered_without_the_fathers_name_is_not_registered_again_with_it() -> None:
    # the father's part left empty at the birth's registration: his recognition now is not the
    # registration combined with it (1.000689)
    text = "Con trai em 2 tuổi, khai sinh chỉ có tên mẹ, giờ bố ruột muốn nhận con thì cần gì"
    messages, events = run(ActionAnswerProcedure(), tracker(text, "ask_procedure"))
    assert slot(events, "procedure") != "1.000689"


@pytest.mark.parametrize(
    ("text", "intent", "procedure"),
    [
        # the plain procedure's whole name said, none of the cases its siblings add: answered, not asked
        ("muốn gia hạn tạm trú thì làm sao", "ask_procedure", "1.002755"),
        ("giấy khai sinh bản gốc bị cháy, xã cũng không còn sổ, đăng ký lại khai sinh thế nào", "ask_procedure",
         "1.004884"),
        # words of how, not what: "vừa" (just) also ends "doanh nghiệp nhỏ và vừa", and alone it named
        # the enterprises' support; "luôn" (as well, for good) names no procedure either
        ("ba em vua mat, lam 1 lan vua khai tu vua cat ho khau vua nhan tien mai tang duoc ko", "ask_procedure",
         "lien-thong-khai-tu"),
        ("em vừa nghỉ việc ở công ty, muốn lãnh bảo hiểm thất nghiệp thì nộp ở đâu", "ask_where",
         "tro-cap-that-nghiep"),
        ("tiệm nail không làm nữa, muốn đóng hộ kinh doanh luôn thì thủ tục sao", "ask_procedure", "1.001266"),
    ],
)  # fmt: skip
def test_these_questions_are_answered_not_asked_back(text: str, intent: str, procedure: str) -> None:
    messages, events = run(ActionAnswerProcedure(), tracker(text, intent))
    assert slot(events, "procedure") == procedure, slot(events, "candidates")


def test_a_mortgage_on_a_land_certificate_is_the_security_registration_for_land() -> None:
    # not the carrying over of a mortgage on a flat still being built (1.011445), whose name says
    # "đăng ký thế chấp"
    text = "vay ngân hàng thế chấp sổ đỏ thì đăng ký thế chấp mất mấy ngày"
    messages, events = run(ActionAnswerProcedure(), tracker(text, "ask_processing_time"))
    named = slot(events, "procedure")
    assert named == "1.011441" or (named in ("unset", None) and "1.011441" in slot(events, "candidates"))


@pytest.mark.parametrize(
    ("text", "intent", "first"),
    [
        # "(trừ cơ sở ... theo yêu cầu của nước nhập khẩu)" excludes the farm asked about: those words
        # name the export farms' own record (1.011473), not the one that excludes them (1.011477)
        (
            "trang trại gà của tôi xuất khẩu, giấy chứng nhận an toàn dịch bệnh theo yêu cầu nước nhập khẩu"
            " bị mất, xin cấp lại thế nào",
            "ask_procedure",
            "1.011473",
        ),
        # undoing a certified contract is its own certification (sửa đổi, bổ sung, hủy bỏ giao dịch)
        ("hợp đồng tặng cho đất đã chứng thực ở xã, giờ hai bên muốn hủy bỏ thì làm sao", "ask_procedure", "2.000913"),
        ("ngân hàng chúng tôi muốn thôi làm đại lý hoàn thuế thì làm thủ tục gì", "ask_procedure", "1.007901"),
        # a birth registered with the father's name is the combined registration, not the plain one
        ("làm giấy khai sinh cho con, anh ấy muốn đứng tên bố trên giấy luôn thì làm sao", "ask_procedure", "1.000689"),
        # the office named says the level: a complaint about a provincial police officer (1.003482), not
        # about a commune's (1.004327)
        ("tôi muốn tố cáo một cán bộ công an tỉnh làm sai thì gửi đơn ở đâu", "ask_where", "1.003482"),
        # closing a household business or handing it over is not registering one (the curated file)
        ("quán phở nhà tôi nghỉ rồi, muốn đóng giấy phép hộ kinh doanh thì làm gì", "ask_procedure", "1.001266"),
        ("dẹp shop quần áo rồi, trả luôn giấy đăng ký hộ kinh doanh thì nộp gì", "ask_documents", "1.001266"),
        ("tiệm tạp hóa là hộ kinh doanh của bố, giờ bố muốn chuyển chủ hộ cho tôi", "ask_procedure", "2.000720"),
        # a lost passport is reported first ("passport" is the passport), not re-issued
        ("mất passport rồi, báo ở đâu ạ", "ask_where", "1.010386"),
        # "chế độ tuất" is the survivors' allowance, not the health-insurance card
        ("bố tôi đang đóng bhxh thì mất, nhà muốn nhận chế độ tuất", "ask_documents", "2.000821"),
        # a death long past, the name still in the household: the removal alone, not the bundle
        # for a fresh death
        (
            "bà nội mất lâu rồi mà trên hệ thống cư trú vẫn còn tên trong hộ, muốn xóa thường trú cho bà",
            "ask_procedure",
            "1.003197",
        ),
        # goods exported and sent back, not imported goods sent back; a foreigner's stay ("ông tây")
        ("container hàng xuất đi bị đối tác trả về, làm thủ tục hải quan thế nào", "ask_procedure", "1.007843"),
        ("nhà mình có ông tây thuê phòng, khai báo tạm trú cho ông ấy ở đâu", "ask_where", "1.000253"),
        # "hủy" a registration of residence is its removal, not the registration
        ("chuyển trọ rồi, hủy tạm trú chỗ cũ trên vneid được không", "ask_online", "1.010028"),
        # VAT is the value-added tax, not the corporate income tax the rest of the words name
        ("khai thuế vat theo phương pháp trực tiếp trên doanh thu thế nào", "ask_procedure", "1.007022"),
        # ... even where the corporate income tax's name holds more of the question's words
        ("cty nho cua em nop VAT theo ty le % tren doanh thu, to khai nop online dc k", "ask_online", "1.007022"),
        # a commercial arbitration centre ("trọng tài", two question words once accents are gone), not
        # a mediation centre
        ("5 nguoi muon lap trung tam trong tai thuong mai, phi tham dinh bao nhieu", "ask_fee", "2.000822"),
        # a pilot's licence is the aircraft's ("tàu bay"), not a train driver's ("lái tàu")
        ("phi cong bi mat giay phep lai tau bay, xin cap lai o dau", "ask_where", "1.004286"),
        # settled in the US is abroad: the return of nationality "ở nước ngoài"
        (
            "tôi đang định cư ở Mỹ, đã thôi quốc tịch VN, giờ muốn xin trở lại quốc tịch thì làm thế nào",
            "ask_procedure",
            "1.004757",
        ),
        # a wrecked motorbike's registration and plate handed back are revoked, not registered
        ("xe may cu hong nat muon huy, nop lai dang ky bien so o dau", "ask_where", "1.013123"),
        # bonds "không có Chính phủ bảo lãnh" are not those the government guarantees
        (
            "doanh nghiệp phát hành trái phiếu quốc tế không có Chính phủ bảo lãnh, giờ thay đổi kỳ hạn thì đăng ký",
            "ask_where",
            "1.001207",
        ),
        # an employer's registration, not the voluntary insurance a person pays alone
        ("công ty đóng bhxh cho nhân viên mới thì đăng ký ở đâu", "ask_where", "1.002051"),
        ("văn phòng luật sư muốn mở chi nhánh ở tỉnh khác thì đăng ký sao", "ask_where", "1.002099"),
        # a sole proprietorship becoming a company is a conversion, not a new registration
        ("doanh nghiệp tư nhân của tôi muốn chuyển thành công ty cổ phần thì làm sao", "ask_procedure", "2.002032"),
        # selling something more is a change of the household business's registration, not a new one
        (
            "quán nước của tôi là hộ kinh doanh, giờ muốn bán thêm bánh mì thì phải sửa giấy đăng ký thế nào",
            "ask_procedure",
            "2.000720",
        ),
    ],
)
def test_catalogue_questions_lead_to_the_record_they_describe(text: str, intent: str, first: str) -> None:
    messages, events = run(ActionAnswerProcedure(), tracker(text, intent))
    answered, offered = slot(events, "procedure"), slot(events, "candidates")
    assert answered == first or (answered in ("unset", None) and offered[0] == first), (answered, offered)


@pytest.mark.parametrize(
    ("text", "ministry"),
    [
        # what a permit is for is the subject asked, never context the rest may overrule ("tiệm tạp
        # hóa" alone would be a household business)
        ("xin giấy phép bán lẻ rượu cho tiệm tạp hóa ở đâu", "Công Thương"),
        # a police martyr's recognition holds "liệt sĩ"; the worship allowance is the Home ministry's
        ("gia đình liệt sĩ muốn xin hưởng chế độ thờ cúng liệt sĩ thì làm sao", "Nội vụ"),
        # what is organised is the subject too ("làng nghề truyền thống" would answer the rest)
        ("làng em tổ chức lễ hội truyền thống thì đăng ký với cơ quan nào", "Văn hóa"),
    ],
)
def test_another_ministrys_subject_is_declined_with_its_name(text: str, ministry: str) -> None:
    messages, events = run(ActionAnswerProcedure(), tracker(text, "ask_procedure"))
    assert slot(events, "procedure") is None and messages[0]["response"] == "utter_not_in_catalogue"
    assert ministry in messages[0]["ministry"]


def test_a_record_answer_names_the_same_procedure_submitted_another_way() -> None:
    from actions import process
    from actions.procedures import facts_of

    base = process.content()
    in_person = facts_of(base, "1.013086")
    assert in_person is not None
    online_name = "Đăng ký xe tạm thời thực hiện bằng dịch vụ công trực tuyến toàn trình"
    assert f"Cùng thủ tục, cách nộp khác: {online_name} (mã 1.013083)." in in_person.where.full
    online = facts_of(base, "1.013083")
    assert online is not None and "(mã 1.013086)" in online.where.full
    # a record of another procedure of the family is not a way of submitting this one
    assert "1.013065" not in in_person.where.full
