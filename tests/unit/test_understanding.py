"""The rule that turns the search's verdict and the curated retriever's ranking into an answer
(tthc.understanding), on hand-made rankings: what each threshold lets through and what it holds.
The rules alone: the answer gate, retrained as the studied sets grow, never consulted."""

from __future__ import annotations

from collections.abc import Sequence

from tests.unit.test_answer_gate import constant_gate
from tthc.answer_gate import AnswerGate
from tthc.retrieval import Candidate
from tthc.search.decision import Verdict
from tthc.search.index import Hit
from tthc.understanding import Understanding
from tthc.understanding import understand as understand_with_gate


def understand(
    intent: str | None, verdict: Verdict, context: str | None = None, curated: Sequence[Candidate] = ()
) -> Understanding:
    return understand_with_gate(intent, verdict, context, curated, gate=AnswerGate.never())


def hit(key: str, score: float, coverage: float, name_coverage: float, name: str = "") -> Hit:
    kind = "catalogue" if key[0].isdigit() else "curated"
    return Hit(key, kind, name or key, (), (), score, score, coverage, name_coverage)


# A chatty question about a curated procedure: the catalogue ranks it first but holds little of the
# question in any name, so the search itself asks back.
CHATTY = Verdict(
    "clarify",
    hits=(hit("ho-kinh-doanh", 49.8, 0.70, 0.47), hit("2.000720", 42.9, 0.56, 0.5)),
    ranked=(
        hit("ho-kinh-doanh", 49.8, 0.42, 0.30, "Đăng ký thành lập hộ kinh doanh"),
        hit("2.000720", 42.9, 0.40, 0.30, "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh"),
    ),
)


def test_a_chatty_question_is_answered_when_the_curated_retriever_is_sure() -> None:
    sure = [Candidate("ho-kinh-doanh", 88.0), Candidate("thanh-lap-doanh-nghiep", 30.0)]
    assert understand("ask_procedure", CHATTY, None, sure).procedure == "ho-kinh-doanh"


def test_a_curated_match_the_gate_gives_little_chance_is_asked_back() -> None:
    # on the studied files, a curated match the gate scores under CURATED_DOUBT was the wrong
    # procedure 12 times in 16 ("chủ doanh nghiệp tư nhân muốn cho thuê lại doanh nghiệp": the
    # company registration's retriever is sure, the notice of leasing the enterprise is meant)
    import math

    from tthc.understanding import CURATED_DOUBT

    sure = [Candidate("ho-kinh-doanh", 88.0), Candidate("thanh-lap-doanh-nghiep", 30.0)]
    below = math.log(CURATED_DOUBT / (1 - CURATED_DOUBT)) - 0.1
    doubted = understand_with_gate("ask_procedure", CHATTY, None, sure, gate=constant_gate(below))
    assert doubted.procedure is None and doubted.clarify == ("ho-kinh-doanh", "2.000720")
    kept = understand_with_gate("ask_procedure", CHATTY, None, sure, gate=constant_gate(below + 0.2))
    assert kept.procedure == "ho-kinh-doanh" and not kept.guessed


def test_a_curated_match_the_gate_gives_019_is_answered() -> None:
    # with the gate of 8 December, the studied files' curated matches it gave between 0.18 and 0.2
    # were right: such a match is answered (the bar of 7 December, 0.2, asked them back; the bar is
    # set by hand after each retraining, CURATED_DOUBT)
    import math

    sure = [Candidate("ho-kinh-doanh", 88.0), Candidate("thanh-lap-doanh-nghiep", 30.0)]
    at_019 = understand_with_gate("ask_procedure", CHATTY, None, sure, gate=constant_gate(math.log(0.19 / 0.81)))
    assert at_019.procedure == "ho-kinh-doanh"


def test_the_rules_alone_keep_every_curated_match() -> None:
    # what the gate is trained on: the never-gate weighs nothing, so it doubts nothing
    sure = [Candidate("ho-kinh-doanh", 88.0)]
    assert not AnswerGate.never().doubts("ask_procedure", CHATTY, ("ho-kinh-doanh",), sure, below=1.0)


def test_a_question_that_tells_a_long_situation_is_not_answered_on_the_curated_retriever_alone() -> None:
    # twelve ideas or more ("bố em đứng tên hộ kinh doanh quán ăn, giờ già yếu muốn giao lại cho em
    # ..."): a neighbour's case hides in the details; the search itself asks back
    from dataclasses import replace

    from tthc.understanding import CURATED_MAX_IDEAS

    sure = [Candidate("ho-kinh-doanh", 88.0), Candidate("thanh-lap-doanh-nghiep", 30.0)]
    short = replace(CHATTY, ideas=CURATED_MAX_IDEAS - 1)
    assert understand("ask_procedure", short, None, sure).procedure == "ho-kinh-doanh"
    long = replace(CHATTY, ideas=CURATED_MAX_IDEAS)
    result = understand("ask_procedure", long, None, sure)
    assert result.procedure is None and result.clarify == ("ho-kinh-doanh", "2.000720")


def test_a_chatty_question_still_asks_back_when_the_curated_retriever_hesitates() -> None:
    unsure = [Candidate("ho-kinh-doanh", 60.0), Candidate("thanh-lap-doanh-nghiep", 40.0)]
    result = understand("ask_procedure", CHATTY, None, unsure)
    assert result.procedure is None and result.clarify == ("ho-kinh-doanh", "2.000720")


def test_a_question_whose_names_hold_almost_nothing_asks_back_however_sure_the_curated_retriever() -> None:
    thin = Verdict("clarify", hits=CHATTY.hits, ranked=(hit("ho-kinh-doanh", 49.8, 0.42, 0.1), CHATTY.ranked[1]))
    sure = [Candidate("ho-kinh-doanh", 88.0), Candidate("thanh-lap-doanh-nghiep", 30.0)]
    assert understand("ask_procedure", thin, None, sure).procedure is None


def test_the_curated_procedure_must_also_lead_the_catalogue() -> None:
    ranked = (CHATTY.ranked[1], CHATTY.ranked[0])
    verdict = Verdict("clarify", hits=CHATTY.hits, ranked=ranked)
    sure = [Candidate("ho-kinh-doanh", 88.0), Candidate("thanh-lap-doanh-nghiep", 30.0)]
    assert understand("ask_procedure", verdict, None, sure).procedure is None


def test_a_question_held_by_a_curated_text_but_not_its_names_asks_back() -> None:
    # "hàng xóm xây tường lấn đất ... hòa giải": the building permit's text holds most of the
    # words, its names hardly any (CURATED_NAME_COVERAGE)
    ranked = (hit("giay-phep-xay-dung", 16.7, 0.72, 0.21), hit("1.012812", 11.6, 0.28, 0.17))
    verdict = Verdict("clarify", hits=ranked, ranked=ranked)
    sure = [Candidate("giay-phep-xay-dung", 42.9), Candidate("chuyen-nhuong-dat", 33.9)]
    assert understand("ask_where", verdict, None, sure).procedure is None
    named = (hit("giay-phep-xay-dung", 16.7, 0.72, 0.5), ranked[1])
    verdict = Verdict("clarify", hits=named, ranked=named)
    assert understand("ask_where", verdict, None, sure).procedure == "giay-phep-xay-dung"


def sibling(key: str, score: float, name: str, *, lacks: bool) -> Hit:
    kind = "catalogue" if key[0].isdigit() else "curated"
    return Hit(key, kind, name, (), (), score, score, 0.9, 0.7, variant_match=not lacks, lacks_variant=lacks)


def test_a_curated_procedure_is_not_answered_for_a_variant_its_sibling_is() -> None:
    # "bố bé quốc tịch Úc, làm giấy khai sinh": the foreign-element birth registration is asked
    plain = sibling("khai-sinh", 45.1, "Đăng ký khai sinh", lacks=True)
    foreign = sibling("2.000528", 30.0, "Đăng ký khai sinh có yếu tố nước ngoài", lacks=False)
    other = sibling("1.000001", 20.0, "Cấp giấy phép lái xe", lacks=True)  # not foreign either
    sure = [Candidate("khai-sinh", 76.7), Candidate("trich-luc-ho-tich", 30.0)]
    ranked = (plain, foreign)
    assert understand("ask_fee", Verdict("clarify", hits=ranked, ranked=ranked), None, sure).procedure is None
    # no record near the top is the variant: the curated procedure is still the likeliest
    ranked = (plain, other)
    assert understand("ask_fee", Verdict("clarify", hits=ranked, ranked=ranked), None, sure).procedure == "khai-sinh"


def test_a_chatty_question_needs_a_quarter_of_itself_in_the_names_when_the_curated_lead_is_modest() -> None:
    # "công ty cần mua token chữ ký số ...": the curated retriever leads 2.02 times, but only 22 %
    # of the question is in the company registration's names
    lead = [Candidate("ho-kinh-doanh", 44.0), Candidate("thanh-lap-doanh-nghiep", 20.0)]  # 2.2 times
    thin = Verdict("clarify", hits=CHATTY.hits, ranked=(hit("ho-kinh-doanh", 49.8, 0.42, 0.22), CHATTY.ranked[1]))
    assert understand("ask_procedure", thin, None, lead).procedure is None
    named = Verdict("clarify", hits=CHATTY.hits, ranked=(hit("ho-kinh-doanh", 49.8, 0.42, 0.30), CHATTY.ranked[1]))
    assert understand("ask_procedure", named, None, lead).procedure == "ho-kinh-doanh"


def test_holding_the_whole_question_answers_only_with_half_of_it_in_the_names() -> None:
    """An adoption with a foreign element holds all of "tối nay VN đá với Thái Lan" in its text (Việt
    Nam, a foreign country) but under half of it in its names: not an answer."""
    from tthc.search.decision import holds_it_alone

    football = [hit("1.003976", 10.7, 1.0, 0.46), hit("1.003425", 7.7, 0.46, 0.46)]
    assert not holds_it_alone(football)
    named = [hit("1.012786", 10.7, 1.0, 0.6), hit("1.003425", 7.7, 0.46, 0.46)]
    assert holds_it_alone(named)


def test_a_curated_procedure_named_by_two_fifths_of_the_question_needs_a_smaller_curated_lead() -> None:
    # "em mới mua căn hộ chung cư, muốn chuyển hộ khẩu từ quê lên nhà mới ...": both retrievers rank
    # the permanent residence first; 43 % of the question is in its names, the curated lead is 1.39
    ranked = (hit("dang-ky-thuong-tru", 21.5, 0.53, 0.43), hit("chuyen-nhuong-dat", 18.9, 0.34, 0.33))
    lead = [Candidate("dang-ky-thuong-tru", 50.3), Candidate("chuyen-nhuong-dat", 36.1)]
    verdict = Verdict("clarify", hits=ranked, ranked=ranked)
    assert understand("ask_procedure", verdict, None, lead).procedure == "dang-ky-thuong-tru"
    thin = (hit("dang-ky-thuong-tru", 21.5, 0.53, 0.35), ranked[1])
    assert understand("ask_procedure", Verdict("clarify", hits=thin, ranked=thin), None, lead).procedure is None
    unsure = [Candidate("dang-ky-thuong-tru", 50.3), Candidate("chuyen-nhuong-dat", 40.0)]  # 1.26 times
    assert understand("ask_procedure", verdict, None, unsure).procedure is None


def test_no_curated_procedure_is_answered_over_another_ministrys_word() -> None:
    # "xin giấy phép thành lập bệnh viện tư nhân": "bệnh viện" (Y tế) was overruled as context because
    # "thành lập ... tư nhân" names the company registration; the curated rule must not answer it
    ranked = (hit("thanh-lap-doanh-nghiep", 22.8, 0.58, 0.58), hit("2.000890", 17.4, 0.58, 0.42))
    lead = [Candidate("thanh-lap-doanh-nghiep", 66.2), Candidate("ho-kinh-doanh", 33.7)]
    verdict = Verdict("clarify", hits=ranked, ranked=ranked, overruled=("Bộ Y tế",))
    assert understand("ask_procedure", verdict, None, lead).procedure is None
    plain = Verdict("clarify", hits=ranked, ranked=ranked)
    assert understand("ask_procedure", plain, None, lead).procedure == "thanh-lap-doanh-nghiep"


def test_a_sure_catalogue_answer_is_asked_back_when_the_curated_retriever_prefers_another_curated_one() -> None:
    # "sổ hồng ghi sai tên": the catalogue is sure of the civil-status correction; the curated
    # retriever, which knows the 33 best, puts the land certificate 1.8 times higher: ask back with
    # the catalogue's first three (the land certificate's correction among them)
    ranked = (
        hit("thay-doi-cai-chinh-ho-tich", 23.4, 1.0, 0.52),
        hit("2.000748", 14.0, 0.76, 0.42),
        hit("1.012796", 11.3, 0.34, 0.34),
    )
    verdict = Verdict("answer", hits=ranked[:1], reason="confident", ranked=ranked)
    land = [Candidate("cap-gcn-lan-dau", 36.7), Candidate("thay-doi-cai-chinh-ho-tich", 20.0)]
    result = understand("ask_where", verdict, None, land)
    assert result.procedure is None and result.clarify == ("thay-doi-cai-chinh-ho-tich", "2.000748", "1.012796")
    agreeing = [Candidate("thay-doi-cai-chinh-ho-tich", 30.0), Candidate("cap-gcn-lan-dau", 20.0)]
    assert understand("ask_where", verdict, None, agreeing).procedure == "thay-doi-cai-chinh-ho-tich"
    close = [Candidate("cap-gcn-lan-dau", 26.0), Candidate("thay-doi-cai-chinh-ho-tich", 20.0)]  # 1.3 times
    assert understand("ask_where", verdict, None, close).procedure == "thay-doi-cai-chinh-ho-tich"
    catalogue = Verdict("answer", hits=ranked[2:], reason="confident", ranked=ranked[2:])
    assert understand("ask_where", catalogue, None, land).procedure == "1.012796"  # only curated answers are checked


def test_a_service_request_names_a_procedure_only_when_both_retrievers_are_sure_of_it() -> None:
    from tthc.understanding import service_procedure, without_service_words

    # the service's own words go, accents respected: "chiều" is a time, the "chiếu" of "hộ chiếu" is not
    assert without_service_words("tra cứu tình trạng hồ sơ giúp em") == "giúp em"
    assert without_service_words("chiều thứ 7 có làm hộ chiếu không") == "chiều có làm hộ chiếu không"
    assert without_service_words("gọi số nào để hỏi làm ho chieu") == "để hỏi làm ho chieu"
    # an agency, or the supplement a desk asked for, names no procedure: "sở tư pháp" is not the
    # criminal record, "bổ sung" not the civil-status supplement ("thay đổi, cải chính, bổ sung")
    assert without_service_words("số điện thoại sở tư pháp") == ""
    assert without_service_words("hồ sơ báo yêu cầu bổ sung là bổ sung cái gì vậy") == "hồ sơ báo là vậy"
    sure = [Candidate("can-cuoc", 40.0), Candidate("dinh-danh-dien-tu", 14.6)]
    named = (hit("can-cuoc", 19.0, 1.0, 1.0), hit("1.014060", 9.6, 0.64, 0.64))
    verdict = Verdict("answer", hits=named[:1], reason="confident", ranked=named)
    assert service_procedure("ask_working_hours", verdict, sure) == "can-cuoc"
    # "hotline đà nẵng": the catalogue's junk match, the curated retriever not sure of it
    junk = (hit("xac-dinh-khuyet-tat", 10.6, 1.0, 1.0), hit("1.003777", 5.0, 0.5, 0.5))
    weak = Verdict("answer", hits=junk[:1], reason="confident", ranked=junk)
    assert service_procedure("ask_hotline", weak, [Candidate("xac-dinh-khuyet-tat", 12.0)]) is None
    # a catalogue procedure, or a curated one the retrievers disagree on, is not named either
    record = (hit("1.011663", 23.8, 1.0, 1.0), hit("1.003777", 5.0, 0.5, 0.5))
    assert service_procedure("ask_hotline", Verdict("answer", hits=record[:1], ranked=record), sure) is None


def test_a_curated_bundle_is_not_answered_when_a_record_for_one_of_its_parts_holds_as_much() -> None:
    # "định cư bên Mỹ rồi, muốn xóa hộ khẩu ở VN": the death bundle leads both retrievers, but the
    # record for removing a permanent residence alone holds as much of the question
    bundle = hit(
        "lien-thong-khai-tu", 16.1, 0.43, 0.43, "Liên thông đăng ký khai tử, xóa đăng ký thường trú, trợ cấp mai táng"
    )
    part = hit("1.003197", 11.3, 0.43, 0.43, "Xóa đăng ký thường trú")
    sure = [Candidate("lien-thong-khai-tu", 38.6), Candidate("dang-ky-thuong-tru", 27.0)]
    both = Verdict("clarify", hits=(bundle, part), ranked=(bundle, part))
    assert understand("ask_procedure", both, None, sure).procedure is None
    # holding less of the question, the part is no reason to hesitate
    less = hit("1.003197", 11.3, 0.30, 0.30, "Xóa đăng ký thường trú")
    verdict = Verdict("clarify", hits=(bundle, less), ranked=(bundle, less))
    assert understand("ask_procedure", verdict, None, sure).procedure == "lien-thong-khai-tu"


def test_a_curated_procedure_beside_the_variant_a_lone_word_asks_for_is_not_answered_on_its_own() -> None:
    # "biển số xe máy bị mờ, muốn đổi biển và cà vẹt mới": the vehicle registration, not the variant
    # "đổi" may ask for, beside the exchange of a registration holding as much of the question
    from dataclasses import replace

    plain = replace(hit("dang-ky-xe", 71.8, 0.92, 0.82, "Đăng ký xe, cấp biển số xe"), variant_match=False)
    exchange = hit("1.013079", 55.5, 0.92, 0.82, "Đổi chứng nhận đăng ký xe, biển số xe")
    verdict = Verdict("clarify", hits=(plain, exchange), ranked=(plain, exchange))
    sure = [Candidate("dang-ky-xe", 121.6), Candidate("doi-gplx", 38.8)]

    assert understand("ask_fee", verdict, None, sure).procedure is None
    # holding less of the question, the exchange leaves the curated procedure answered
    thin = replace(exchange, coverage=0.7, name_coverage=0.7)
    verdict = Verdict("clarify", hits=(plain, thin), ranked=(plain, thin))
    assert understand("ask_fee", verdict, None, sure).procedure == "dang-ky-xe"
