"""An official record's facts as the answers show them (issue 12, part 5): faithful, short, dated."""

from __future__ import annotations

import datetime as dt

from actions import record_facts
from tthc.catalogue.model import CHARGED, FREE, SEE_NOTE, CatalogueProcedure, Document, FeePeriod, Way

HALF_FEE = FeePeriod(
    "áp dụng mức 35.000 đồng từ ngày 01/7/2025 đến hết ngày 31/12/2026",
    valid_from=dt.date(2025, 7, 1),
    valid_until=dt.date(2026, 12, 31),
)


def record(**fields: object) -> CatalogueProcedure:
    base: dict[str, object] = {"code": "1.999999", "name": "Thủ tục thử", "detail_url": "https://dichvucong.gov.vn/x",
                               "ministry": "bo-cong-an"}  # fmt: skip
    return CatalogueProcedure(**{**base, **fields})  # type: ignore[arg-type]


def test_a_free_cell_with_a_note_is_never_said_free() -> None:
    note = "- Theo quy định của Luật phí và lệ phí."
    ways = (Way("Trực tiếp", fee="Miễn phí", fee_note=note, fee_status=SEE_NOTE),)
    summary, rates = record_facts.fee(record(ways=ways), dt.date(2026, 12, 3))
    assert "Không mất lệ phí" not in summary and "Miễn phí" not in summary
    assert summary == "theo ghi chú của Cổng: Theo quy định của Luật phí và lệ phí." and rates == ""


def test_a_plainly_free_procedure_is_said_free() -> None:
    ways = (Way("Trực tiếp", fee="Miễn phí", fee_status=FREE), Way("Trực tuyến", fee="Miễn phí", fee_status=FREE))
    assert record_facts.fee(record(ways=ways), dt.date(2026, 12, 3))[0] == "Không mất lệ phí theo Cổng Dịch vụ công."


def test_a_dated_reduction_is_shown_only_while_in_force_and_same_fees_are_said_once() -> None:
    way = Way("Trực tiếp", fee="70,000 Việt Nam Đồng", fee_status=CHARGED, fee_periods=(HALF_FEE,))
    online = Way("Trực tuyến", fee="70,000 Việt Nam Đồng", fee_status=CHARGED, fee_periods=(HALF_FEE,))
    during, _ = record_facts.fee(record(ways=(way, online)), dt.date(2026, 12, 3))
    assert during == f"70.000 đồng; {HALF_FEE.text}"
    after, _ = record_facts.fee(record(ways=(way, online)), dt.date(2027, 1, 1))
    assert after == "70.000 đồng"


def test_fees_that_differ_by_way_are_listed_by_way() -> None:
    ways = (
        Way("Trực tiếp", fee="50,000 Việt Nam Đồng", fee_status=CHARGED),
        Way("Trực tuyến", fee="25,000 Việt Nam Đồng", fee_status=CHARGED),
    )
    summary, rates = record_facts.fee(record(ways=ways), dt.date(2026, 12, 3))
    assert summary == "Tùy cách nộp:"
    assert rates == "• Nộp trực tiếp: 50.000 đồng\n• Nộp trực tuyến: 25.000 đồng"


def test_no_information_says_so_and_points_to_the_page() -> None:
    empty = record()
    assert record_facts.fee(empty, dt.date(2026, 12, 3))[0] == record_facts.NO_INFO
    assert record_facts.processing_time(empty) == record_facts.NO_INFO
    assert record_facts.documents(empty) == record_facts.NO_INFO
    assert "trang chính thức" in record_facts.NO_INFO


def test_long_document_lists_are_cut_with_a_pointer_to_the_page() -> None:
    docs = tuple(Document(f"Giấy tờ số {n}", quantity="1 bản chính") for n in range(1, 16))
    text = record_facts.documents(record(documents=docs))
    assert text.count("•") == record_facts.DOCUMENTS_SHOWN
    assert "Giấy tờ số 1 (1 bản chính)" in text and "Giấy tờ số 13" not in text
    assert text.endswith("… còn 3 giấy tờ khác: xem đủ trên trang chính thức.")


def test_the_first_answer_names_the_first_papers_and_how_many_more() -> None:
    docs = tuple(Document(f"Giấy tờ số {n}.", quantity="1 bản chính") for n in range(1, 6))
    short = record_facts.main_documents(record(documents=docs))
    assert short == ("• Giấy tờ số 1\n• Giấy tờ số 2\n• Giấy tờ số 3\n…và 2 giấy tờ khác: bấm “Xem đủ giấy tờ”.")
    few = record(documents=docs[:2])
    assert record_facts.main_documents(few) == record_facts.documents(few)  # nothing to shorten


def test_each_group_of_papers_is_shown_under_its_heading() -> None:
    docs = (
        Document("Đơn", quantity="1 bản chính", group="A) Cấp lần đầu"),
        Document("Ảnh", quantity="2 ảnh", group="A) Cấp lần đầu"),
        Document("Giấy cũ", quantity="1 bản chính", group="B) Cấp lại"),
    )
    full = record_facts.documents(record(documents=docs))
    assert full == "A) Cấp lần đầu:\n• Đơn (1 bản chính)\n• Ảnh (2 ảnh)\nB) Cấp lại:\n• Giấy cũ (1 bản chính)"
    short = record_facts.main_documents(record(documents=docs))
    assert short == "A) Cấp lần đầu:\n• Đơn\n• Ảnh\n…và 1 giấy tờ khác: bấm “Xem đủ giấy tờ”."


def test_times_by_way_and_other_levels_in_one_line() -> None:
    ways = (Way("Trực tuyến", time="10 Ngày làm việc"), Way("Trực tiếp", time="20 Ngày làm việc"))
    assert record_facts.processing_time(record(ways=ways)) == (
        "\n• Nộp trực tuyến: 10 ngày làm việc\n• Nộp trực tiếp: 20 ngày làm việc"
    )
    own = record(code="1.000001", levels=("xa",))
    other = record(code="2.000002", levels=("tinh",))
    assert record_facts.other_levels(own, [own, other]) == "Thủ tục này còn được thực hiện ở cấp tỉnh (mã 2.000002)."
    assert record_facts.other_levels(own, [own]) == ""


def test_records_of_the_family_at_farther_levels_in_one_line_without_their_long_lists() -> None:
    big = record(
        code="1.013233",
        name="Gia hạn giấy phép xây dựng đối với công trình cấp đặc biệt, cấp I, cấp II "
        "(Công trình không theo tuyến/Theo tuyến trong đô thị/Tín ngưỡng, tôn giáo)",
        levels=("tinh",),
    )
    assert record_facts.siblings([big]) == (
        "Trường hợp khác, ở cấp khác: Gia hạn giấy phép xây dựng đối với công trình cấp đặc biệt, cấp I, "
        "cấp II (cấp tỉnh, mã 1.013233)."
    )
    assert record_facts.siblings([]) == ""


def test_a_long_bracketed_list_is_left_out_of_the_name_a_phone_shows() -> None:
    name = (
        "Gia hạn giấy phép xây dựng đối với công trình cấp III, cấp IV (công trình Không theo tuyến/Theo "
        "tuyến trong đô thị/Tín ngưỡng, tôn giáo/Dự án) và nhà ở riêng lẻ"
    )
    shown = "Gia hạn giấy phép xây dựng đối với công trình cấp III, cấp IV và nhà ở riêng lẻ"
    assert record_facts.display_name(name) == shown
    assert record_facts.display_name("Cấp lại thẻ (cấp xã)") == "Cấp lại thẻ (cấp xã)"  # short brackets stay


def test_a_form_is_named_as_a_citizen_reads_it_not_as_its_attached_file() -> None:
    docs = (
        Document("Phiếu đề nghị", ("Mẫu DC02 Phiếu đề nghị giải quyết thủ tục về căn cước.doc",), "1 bản chính"),
        Document("Tờ khai", ("01 TKN-CNKD.docx",), "1 bản chính"),
        Document("Đơn", ("Munnghchmdthotngtuln.docx",), "1 bản chính"),  # mangled by the portal
    )
    text = record_facts.documents(record(documents=docs))
    assert "• Phiếu đề nghị (1 bản chính), Mẫu DC02 Phiếu đề nghị giải quyết thủ tục về căn cước\n" in text
    assert "• Tờ khai (1 bản chính), mẫu 01 TKN-CNKD\n" in text
    assert text.endswith("• Đơn (1 bản chính)")
    assert ".doc" not in text and "mẫu Mẫu" not in text


def test_the_same_procedure_submitted_another_way_in_one_line() -> None:
    name = "Đăng ký xe tạm thời thực hiện bằng dịch vụ công trực tuyến toàn trình"
    assert (
        record_facts.twins([record(code="1.013083", name=name)])
        == f"Cùng thủ tục, cách nộp khác: {name} (mã 1.013083)."
    )
    assert record_facts.twins([]) == ""
