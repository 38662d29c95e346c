"""Parsing official records of the national portal (issue 12): values a person read in each record.

The records in tests/fixtures/catalogue/ are byte-for-byte copies of records of the portal's
export, from all seven ministry folders, chosen for what makes them hard: several ways with
different fees, dated fees, document groups and forms, fields the scrape cut or ran on (filled
from the page text), "Miễn phí(Theo quy định ...)" cells, cells glued into one another.
Every expected value below was read in the record's own text, not taken from the parser.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tthc.catalogue import CHARGED, FREE, SEE_NOTE, CatalogueProcedure
from tthc.catalogue.parse import fee_periods, fee_status, parse_record

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "catalogue"


def _parse(path: str) -> CatalogueProcedure:
    ministry = path.split("/")[0]
    parsed = parse_record(json.loads((FIXTURES / path).read_text(encoding="utf-8")), ministry, path)
    assert parsed.problems == [], parsed.problems
    assert parsed.procedure is not None
    return parsed.procedure


def _numbers(procedure: CatalogueProcedure) -> list[str | None]:
    return [doc.number for doc in procedure.legal_basis]


def test_fixtures_cover_every_ministry_folder() -> None:
    folders = {p.parent.name for p in FIXTURES.glob("*/*.json")}
    assert folders == {
        "bo-cong-an",
        "bo-nong-nghiep-mt",
        "bo-tai-chinh",
        "bo-tu-phap",
        "bo-xay-dung",
        "ngan-hang-nha-nuoc",
        "toa-an-nhan-dan",
    }
    assert len(list(FIXTURES.glob("*/*.json"))) >= 13


def test_border_pass_two_ways_two_fees_and_a_dated_fee() -> None:
    p = _parse("bo-cong-an/1.001200.json")
    assert p.code == "1.001200"
    assert p.name == (
        "Cấp giấy thông hành biên giới cho cán bộ, công chức, viên chức, công nhân sang Campuchia tại Công an "
        "cấp tỉnh biên giới tiếp giáp với Campuchia"
    )
    assert p.detail_url == "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bf7-5f66-7658-b87a-e989fe923e7a"
    assert p.ministry == "bo-cong-an" and p.levels == ("tinh",)
    assert p.field == "Quản lý xuất nhập cảnh"
    assert p.applicants == (
        "Công dân Việt Nam",
        "Doanh nghiệp",
        "Hợp tác xã",
        "Cán bộ, công chức, viên chức",
        "Doanh nghiệp có vốn đầu tư nước ngoài",
        "Tổ chức (không bao gồm doanh nghiệp, HTX)",
    )
    assert p.agency == "Công an tỉnh" and p.authority == "Công an cấp Tỉnh"
    assert p.address == "Cơ quan Quản lý xuất nhập cảnh Công an tỉnh có chung đường biên giới với Campuchia."
    online, in_person = p.ways
    assert (online.channel, online.time, online.fee) == ("Trực tuyến", "3 Ngày làm việc", "40 Việt Nam Đồng")
    assert (in_person.channel, in_person.time, in_person.fee) == ("Trực tiếp", "3 Ngày làm việc", "50 Việt Nam Đồng")
    assert online.fee_status == in_person.fee_status == CHARGED
    assert online.fee_note.startswith("40.000đ/giấy thông hành (áp dụng đến hết ngày 31/12/2024")
    (period,) = online.fee_periods
    assert period.valid_from is None and period.valid_until == dt.date(2024, 12, 31)
    assert not period.in_force(dt.date(2026, 1, 1))
    assert in_person.fee_periods == ()  # 'ngày 07/4/2021' is when the circular was issued, not a validity date
    assert len(p.documents) == 4
    assert p.documents[0].name.startswith("02 ảnh 4x6cm mới chụp") and p.documents[0].quantity == "2 bản chính"
    assert p.documents[3].name.startswith("Tờ khai đề nghị cấp giấy thông hành (mẫu M01a)")
    assert p.documents[3].forms == ("Mẫu M01a-ND67-2024.docx",) and p.documents[3].quantity == "1 bản chính"
    assert _numbers(p) == [
        "49/2019/QH14",
        "76/2020/NĐ-CP",
        "23/2023/QH15",
        "25/2021/TT-BTC",
        "67/2024/NĐ-CP",
        "43/2024/TT-BTC",
    ]
    assert p.results == ("Giấy thông hành biên giới Việt Nam - Campuchia",)
    assert p.keywords == p.name
    assert p.conditions.startswith("Không thuộc các trường hợp chưa được cấp giấy tờ xuất nhập cảnh")
    assert len(p.steps) == 3 and p.steps[0] == "Chuẩn bị hồ sơ theo quy định của pháp luật."
    assert p.online


def test_fields_the_scrape_cut_are_read_from_the_page_text() -> None:
    # The scrape split this page at 'Căn cứ pháp lý:' inside the fee note: the legal-basis field
    # holds fee text and the ways field stops after one row. The page's own legal basis says
    # "Không có thông tin".
    p = _parse("bo-cong-an/3.000337.json")
    assert [(w.channel, w.time, w.fee) for w in p.ways] == [
        ("Trực tuyến", "1 Ngày", "100 VNĐ"),
        ("Dịch vụ bưu chính", "1 Ngày", "100 VNĐ"),
        ("Trực tiếp", "1 Ngày", "100 VNĐ"),
    ]
    assert all(w.fee_note.startswith("Căn cứ pháp lý: Thông tư 269/2016/TT-BTC") for w in p.ways)
    assert p.legal_basis == ()
    assert {"cach_thuc_thuc_hien", "can_cu_phap_ly"} <= set(p.from_raw)
    assert [(d.name, d.quantity) for d in p.documents] == [
        ("Các giấy tờ khác có liên quan tới quyền sở hữu trí tuệ, đăng ký thương hiệu", "0 bản chính, 1 bản sao"),
        ("Bản khai Cấp tên định danh (theo Mẫu)", "1 bản chính"),
    ]
    assert p.agency == "Cục an ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao"
    assert p.results == ("Giấy chứng nhận tên định danh.",)
    assert p.conditions is None


def test_a_record_whose_page_is_another_procedure_is_refused() -> None:
    # Record 1.014208 carries the page of 1.014023 ("Hỗ trợ phát triển sản xuất cộng đồng."); the
    # official list names 1.014208 "Đánh giá tác động chuyển, xử lý dữ liệu xuyên biên giới".
    data = json.loads((FIXTURES / "bo-cong-an/1.014208.json").read_text(encoding="utf-8"))
    parsed = parse_record(data, "bo-cong-an", "bo-cong-an/1.014208.json")
    assert parsed.procedure is None
    (problem,) = parsed.problems
    assert problem.file == "bo-cong-an/1.014208.json" and problem.field == "raw_text"
    assert "1.014023" in problem.message and "1.014208" in problem.message


def test_civil_status_groups_notes_and_a_fee_set_by_the_province() -> None:
    p = _parse("bo-tu-phap/1.000080.json")
    assert p.levels == ("xa",) and p.field == "Hộ tịch"
    assert p.applicants == ("Công dân Việt Nam", "Người nước ngoài")
    assert p.conditions is None and p.address is None and p.related is None
    assert [w.channel for w in p.ways] == ["Trực tuyến", "Dịch vụ bưu chính", "Trực tiếp"]
    for way in p.ways:
        assert way.time == "7"  # the page gives no unit
        assert way.fee == "Miễn phí" and way.fee_status == SEE_NOTE and not way.free
        assert way.fee_note.startswith(
            "Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh, thành phố trực thuộc Trung ương quyết định."
        )
        assert way.fee_text.startswith("Miễn phí (Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh")
    first = p.documents[0]
    assert first.group == "Giấy tờ phải nộp" and first.quantity == "1 bản chính"
    assert first.name.startswith(
        "Trường hợp không có văn bản nêu trên thì các bên nhận cha, mẹ, con lập văn bản cam đoan"
    )
    shown = [d for d in p.documents if d.group == "Giấy tờ phải xuất trình"]
    assert any(
        d.name.startswith("Hộ chiếu/Thẻ căn cước công dân/Thẻ căn cước/Căn cước điện tử")
        and d.quantity == "1 bản chính"
        for d in shown
    )
    assert p.document_notes[0].startswith(
        "Giấy tờ do cơ quan có thẩm quyền của nước ngoài cấp, công chứng hoặc xác nhận"
    )
    ungrouped = [d.name for d in p.documents if d.group is None]
    assert (
        "Tờ khai đăng ký nhận cha, mẹ, con theo mẫu (nếu người có yêu cầu lựa chọn nộp hồ sơ theo hình thức trực tiếp);"
        in ungrouped
    )
    assert {"123/2015/NĐ-CP", "60/2014/QH13", "66.7/2025/NQ-CP", "03/2023/TT-BTP", "85/2019/TT-BTC"} <= set(_numbers(p))
    fee_circular = next(d for d in p.legal_basis if d.number == "85/2019/TT-BTC")
    assert fee_circular.title == (
        "Thông tư Hướng dẫn về phí và lệ phí thuộc thẩm quyền quyết định của Hội đồng nhân dân tỉnh, "
        "thành phố trực thuộc Trung ương"
    )
    assert p.results == ("Trích lục đăng ký nhận cha, mẹ, con",)


def test_arbitration_branch_fee_reduced_for_a_period_and_a_glued_form() -> None:
    p = _parse("bo-tu-phap/1.001609.json")
    assert p.authority == "Chủ tịch ủy ban nhân dân cấp tỉnh" and p.agency == "Sở Tư pháp"
    assert [w.channel for w in p.ways] == ["Trực tuyến", "Trực tiếp", "Dịch vụ bưu chính"]
    for way in p.ways:
        assert (way.time, way.fee, way.fee_status) == ("10 Ngày làm việc", "4,000,000 Việt Nam Đồng", CHARGED)
        (period,) = way.fee_periods
        assert "2.000.000 đồng (Hai triệu đồng)" in period.text
        assert (period.valid_from, period.valid_until) == (dt.date(2025, 7, 1), dt.date(2026, 12, 31))
        assert period.in_force(dt.date(2026, 3, 1)) and not period.in_force(dt.date(2027, 1, 1))
    assert p.documents[0].name.endswith("Chi nhánh Tổ chức trọng tài nước ngoài tại Việt Nam")
    assert p.documents[0].forms == ("Mẫu số 06-PLIII-TTTM.docx",)
    assert p.documents[2].name == "Bản chính Giấy đăng ký hoạt động" and p.documents[2].quantity == "1 bản chính"
    assert _numbers(p) == [
        "121/2025/NĐ-CP",
        "64/2025/TT-BTC",
        "08/2025/TT-BTP",
        "63/2011/NĐ-CP",
        "222/2016/TT-BTC",
        "54/2010/QH12",
    ]
    assert p.results == (
        "Giấy phép thành lập chi nhánh, Văn phòng đại diện Tổ chức trọng tài nước ngoài tại Việt Nam",
        "Văn bản chấp thuận việc thay đổi hoặc văn bản từ chối thay đổi nội dung Giấy phép thành lập của Chi nhánh "
        "của Tổ chức trọng tài nước ngoài tại Việt Nam",
    )


def test_certified_copy_agency_field_held_step_text() -> None:
    # The scrape's 'co_quan_thuc_hien' holds the end of the steps; the page says "Không có thông tin".
    p = _parse("bo-tu-phap/2.000942.json")
    assert p.agency is None and "co_quan_thuc_hien" in p.from_raw
    assert any("Ghi đầy đủ lời chứng theo mẫu quy định" in step for step in p.steps)
    (way,) = p.ways
    assert (way.channel, way.time, way.fee, way.fee_status) == ("Trực tiếp", None, "2,000 Việt Nam Đồng", CHARGED)
    assert way.fee_note.startswith("2.000 đồng/trang; từ trang thứ 3 trở lên thu 1.000 đồng/trang")
    assert p.conditions == "Không."
    assert p.results == ("Bản sao giao dịch được chứng thực",)
    assert {"18/2026/NĐ-CP", "23/2015/NĐ-CP", "280/2025/NĐ-CP", "01/2020/TT-BTP", "226/2016/TT-BTC"} <= set(_numbers(p))


def test_company_change_time_glued_to_fee() -> None:
    # 'Trực tuyến1100 VNĐ(Phí công bố ...: 100.000 đồng/lần ...)': time 1, fee 100 (the note says
    # 100.000 đồng); 'Trực tiếp125 VNĐ(- Lệ phí ... Bằng 50% mức thu ...)': time 1, fee 25.
    p = _parse("bo-tai-chinh/2.002011.json")
    assert p.levels == ("bo", "tinh")
    assert [(w.channel, w.time, w.fee) for w in p.ways] == [
        ("Trực tuyến", "1", "100 VNĐ"),
        ("Dịch vụ bưu chính", "1", "100 VNĐ"),
        ("Trực tiếp", "1", "25 VNĐ"),
    ]
    assert p.ways[0].fee_note.startswith("Phí công bố nội dung đăng ký doanh nghiệp: 100.000 đồng/lần")
    assert p.ways[0].uncertain is None
    assert p.agency == "Sở Tài chính các tỉnh, thành phố" and p.conditions is None
    assert p.documents[0].group.startswith(
        "(*) Trường hợp đăng ký thay đổi chủ sở hữu công ty trách nhiệm hữu hạn một thành viên Thành phần hồ sơ bao gồm"
    )
    assert (
        "Giấy đề nghị đăng ký thay đổi chủ sở hữu công ty TNHH một thành viên do chủ sở hữu cũ" in p.documents[0].name
    )
    assert p.documents[0].quantity == "1 bản chính"
    assert p.results == (
        "Văn bản nêu rõ lý do từ chối của Cơ quan đăng ký kinh doanh",
        "Thông báo về việc sửa đổi, bổ sung hồ sơ đăng ký doanh nghiệp",
        "Giấy chứng nhận đăng ký doanh nghiệp công ty hợp danh",
    )
    titles = {d.number: d.title for d in p.legal_basis}
    assert titles["76/2025/QH15"] == "Luật sửa đổi, bổ sung một số điều của Luật Doanh nghiệp 2020"
    assert titles["59/2020/QH14"] == "Luật Doanh nghiệp"
    assert (
        titles["64/2025/TT-BTC"]
        == "Thông tư quy định mức thu, miễn một số khoản phí, lệ phí nhằm hỗ trợ cho doanh nghiệp, người dân"
    )


def test_scented_rice_steps_and_documents_cut_by_the_scrape() -> None:
    # The scrape cut the steps at 'Thành phần hồ sơ phải được kê khai...' (inside step 2) and
    # took the rest of the steps for the documents.
    p = _parse("bo-nong-nghiep-mt/2.002338.json")
    assert {"trinh_tu_thuc_hien", "thanh_phan_ho_so"} <= set(p.from_raw)
    assert len(p.steps) == 3 and "Trong thời hạn 05 ngày làm việc kể từ ngày tiếp nhận hồ sơ hợp lệ" in p.steps[2]
    assert [(d.forms, d.quantity) for d in p.documents] == [
        (("PHỤ LỤC VI, Phụ lục VIa.docx",), "1 bản chính"),
        ((), "1 bản chính"),
        (("Phụ lục IV.docx",), "1 bản chính"),
        (("PHỤ LỤC II.docx",), "0 bản chính, 1 bản sao"),
    ]
    assert p.documents[0].name.startswith(
        "Mẫu Giấy chứng nhận chủng loại gạo thơm được kê khai đầy đủ thông tin từ mục 1 đến mục 9"
    )
    assert p.documents[1].name.startswith("Văn bản thỏa thuận chuyển giao Biên bản kiểm tra lô ruộng lúa thơm")
    assert [(w.time, w.fee_status) for w in p.ways] == [("5 Ngày làm việc", FREE)] * 3
    assert p.agency == "Cơ quan chức năng do Ủy ban nhân dân cấp tỉnh chỉ định"
    assert "tiếp tục thực hiện việc giải quyết 02 thủ tục hành chính trên đến hết ngày 30/6/2026" in p.result_note


def test_mineral_licence_one_row_per_case_without_fee_information() -> None:
    p = _parse("bo-nong-nghiep-mt/1.014237.json")
    assert p.levels == ("bo",) and p.agency == "Cục Địa chất và Khoáng sản Việt Nam - Bộ NN và MT"
    assert [(w.channel, w.time) for w in p.ways] == [
        ("Trực tiếp", "14 Ngày làm việc"),
        ("Dịch vụ bưu chính", "14 Ngày làm việc"),
        ("Trực tuyến", "14 Ngày làm việc"),
        ("Trực tiếp", "26 Ngày làm việc"),
        ("Dịch vụ bưu chính", "26 Ngày làm việc"),
        ("Trực tuyến", "26 Ngày làm việc"),
    ]
    for way in p.ways:
        assert way.fee is None and way.fee_status is None and way.fee_note is None  # "Không có thông tin"
    assert p.ways[0].description.startswith("(1) Trường hợp thay đổi tên tổ chức, cá nhân thăm dò khoáng sản:")
    assert p.ways[3].description.startswith("(2) Trường hợp trả lại một phần diện tích khu vực thăm dò khoáng sản:")
    assert p.conditions.startswith("* Trường hợp thay đổi tên tổ chức, cá nhân thăm dò khoáng sản:")


def test_land_registration_free_cell_that_is_not_free() -> None:
    p = _parse("bo-nong-nghiep-mt/1.012756.json")
    for way in p.ways:
        assert way.time == "17 Ngày làm việc" and way.fee == "Miễn phí"
        assert (
            way.fee_note
            == "Theo quy định của Luật phí và lệ phí và các văn bản quy phạm pháp luật hướng dẫn Luật phí và lệ phí"
        )
        assert way.fee_status == SEE_NOTE and not way.free
        assert way.fee_text == f"Miễn phí ({way.fee_note})"
    assert [(d.name, d.quantity) for d in p.documents] == [
        (
            "Báo cáo kết quả rà soát hiện trạng sử dụng đất theo Mẫu số 15đ ban hành kèm theo "
            "Nghị định số 151/2025/NĐ-CP.",
            "0 bản chính, 1 bản sao",
        ),
        ("Đơn đăng ký đất đai, tài sản gắn liền với đất", "1 bản chính"),
    ]
    assert p.authority == "Chi nhánh Văn phòng đăng ký đất đai, Văn phòng đăng ký đất đai"
    assert p.conditions is None
    assert {"31/2024/QH15", "151/2025/NĐ-CP", "43/2024/QH15", "101/2024/NĐ-CP"} <= set(_numbers(p))
    assert p.results == ("Lập, cập nhật, chỉnh lý hồ sơ địa chính, cơ sở dữ liệu đất đai.",)


def test_vehicle_certificate_times_and_fees_differ_by_way() -> None:
    p = _parse("bo-xay-dung/1.011873.json")
    assert [(w.channel, w.time, w.fee) for w in p.ways] == [
        ("Trực tuyến", "24 Ngày làm việc", "40,000 Việt Nam Đồng"),
        ("Dịch vụ bưu chính", "24 Ngày làm việc", "40,000 Việt Nam Đồng"),
        ("Trực tiếp", "2 Ngày làm việc", "90,000 Việt Nam Đồng"),
    ]
    assert p.ways[0].fee_note == "Lệ phí cấp lại bản chính Giấy chứng nhận đối với xe ô tô từ 10 chỗ trở lên"
    assert p.ways[2].fee_note == "Xe ô tô dưới 10 chỗ ngồi (không bao gồm xe cứu thương): 90.000 đồng/ giấy"
    assert p.ways[0].description.startswith("+ Phát hành văn bản thông báo: Trong vòng 02 ngày làm việc")
    assert [(d.name, d.quantity) for d in p.documents] == [
        ("Văn bản đề nghị cấp lại Giấy chứng nhận", "1 bản chính, 1 bản sao"),
        ("Bản chính Giấy chứng nhận (đối với trường hợp bị hỏng)", "1 bản chính, 1 bản sao"),
    ]
    assert p.documents[0].originals == 1 and p.documents[0].copies == 1
    assert _numbers(p) == ["60/2023/NĐ-CP", "36/2022/TT-BTC", "24/2026/NQ-CP"]
    assert p.agency == "Trung tâm Đăng kiểm phương tiện giao thông đường bộ và đường sắt (NVICC)"
    assert p.conditions.startswith("Người nhập khẩu đã được cấp Giấy chứng nhận chất lượng an toàn kỹ thuật")


def test_offshore_port_document_groups_with_several_forms_per_row() -> None:
    p = _parse("bo-xay-dung/1.002349.json")
    groups = [d.group for d in p.documents]
    assert groups == ["Các giấy tờ nộp trực tiếp hoặc gửi qua fax hoặc thư điện tử"] * 4 + [
        "Các giấy tờ phải nộp (bản chính) gồm"
    ] * 2 + [
        "Các giấy tờ phải xuất trình Cảng vụ (nộp bản sao có chữ ký xác nhận của thuyền trưởng và đóng dấu của tàu), "
        "sau khi vào bờ bao gồm"
    ]
    assert [d.forms for d in p.documents[:4]] == [
        ("MauXacbaotauencang.docx",),
        ("MauBankhaichung.docx",),
        ("MauDanhsachthuyenvien (2).docx",),
        ("MauBankhaianninhtaubien.docx",),
    ]
    assert p.documents[1].name == "Bản khai chung;"
    assert p.documents[3].name.endswith("giàn khoan di động ngoài khơi hoạt động tuyến quốc tế")
    assert p.documents[4].name.endswith("Bản khai hàng hóa nguy hiểm (nếu có) theo mẫu, Giấy phép rời cảng")
    assert p.documents[4].forms == (
        "MauBankhaihanghoanguyhiem.docx",
        "MauDanhsachhanhkhach.docx",
        "MauDanhsachthuyenvien.docx",
        "MauBankhaichung.docx",
    )
    assert p.documents[5].forms == ("MauDanhsachhanhkhach.docx", "MauDanhsachthuyenvien (1).docx")
    assert p.documents[6].quantity == "0 bản chính, 1 bản sao" and p.documents[6].forms == ()
    assert [(w.channel, w.time, w.fee_status) for w in p.ways] == [
        ("Trực tuyến", "1", FREE),
        ("Dịch vụ bưu chính", "1", FREE),
        ("Trực tiếp", "1", FREE),
    ]
    assert p.results == ("Kế hoạch điều động tàu thuyền.",)


def test_open_market_member_central_bank() -> None:
    p = _parse("ngan-hang-nha-nuoc/1.002157.json")
    assert p.name == "Thủ tục công nhận thành viên nghiệp vụ thị trường mở" and p.levels == ("bo",)
    assert p.address == "49 Lý Thái Tổ" and p.agency == "Ngân hàng Nhà nước Việt Nam" and p.authority is None
    assert [(w.channel, w.time, w.fee, w.fee_status) for w in p.ways] == [
        ("Dịch vụ bưu chính", "5 Ngày làm việc", "Miễn phí", FREE),
        ("Trực tiếp", "5 Ngày làm việc", "Miễn phí", FREE),
    ]
    assert not p.online
    (document,) = p.documents
    assert document.name == "Giấy đề nghị tham gia nghiệp vụ thị trường mở theo mẫu quy định;"
    assert document.form == "Giấy đề nghị tham gia nghiệp vụ thị trường mở.docx" and document.quantity == "1 bản chính"
    assert [(d.title, d.number) for d in p.legal_basis] == [("Thông tư 42/2015/TT-NHNN", "42/2015/TT-NHNN")]
    assert p.conditions.startswith("Tổ chức tín dụng, chi nhánh ngân hàng nước ngoài đáp ứng đủ điều kiện")
    assert p.conditions.endswith("- Được Ngân hàng Nhà nước cấp mã ngân hàng.")
    assert p.results == ("Giấy công nhận thành viên nghiệp vụ thị trường mở",)


def test_court_copy_without_legal_basis() -> None:
    # The legal-basis field ran on into the next heading; the page says "Không có thông tin".
    p = _parse("toa-an-nhan-dan/3.000165.json")
    assert p.levels == ("bo", "tinh", "xa")
    assert len(p.applicants) == 10 and p.applicants[-1] == "Cán bộ, công chức, viên chức"
    assert [(w.channel, w.time, w.fee, w.fee_status) for w in p.ways] == [
        ("Trực tuyến", "1", "Miễn phí", FREE),
        ("Trực tiếp", "1", "Miễn phí", FREE),
    ]
    assert p.legal_basis == () and "can_cu_phap_ly" in p.from_raw
    assert p.agency == "Tòa án nhân dân tỉnh, thành phố trực thuộc trung ương, Tòa án nhân dân tối cao"
    assert p.coordinating == "Tòa án nhân dân khu vực"
    assert [(d.name, d.quantity) for d in p.documents] == [
        ("Đơn đăng ký cấp sao tài liệu", "1 bản chính"),
        ("Chứng minh nhân dân/Căn cước công dân", "0 bản chính, 1 bản sao"),
    ]
    assert p.results == ("Văn bản tố tụng của Tòa án theo tiến trình giải quyết",)


@pytest.mark.parametrize(
    ("fee", "note", "status"),
    [
        ("Miễn phí", None, FREE),
        ("Miễn phí", "Không có", FREE),
        ("Miễn phí", "Theo quy định của Luật phí và lệ phí và các văn bản quy phạm pháp luật hướng dẫn", SEE_NOTE),
        ("Miễn phí", "Không quy định.", SEE_NOTE),
        ("50,000 Việt Nam Đồng", None, CHARGED),
        (None, None, None),
    ],
)
def test_fee_status_never_calls_a_qualified_free_cell_free(
    fee: str | None, note: str | None, status: str | None
) -> None:
    assert fee_status(fee, note) == status


def test_fee_periods_read_only_stated_dates() -> None:
    (period,) = fee_periods(
        "áp dụng mức phí 25.000 đồng/hồ sơ kể từ ngày 01/7/2025 đến hết ngày 31/12/2026 theo Thông tư số 64/2025/TT-BTC"
    )
    assert (period.valid_from, period.valid_until) == (dt.date(2025, 7, 1), dt.date(2026, 12, 31))
    (period,) = fee_periods("25.000 đồng/lần (áp dụng từ ngày 01 tháng 7 năm 2025 đến hết ngày 31 tháng 12 năm 2026)")
    assert (period.valid_from, period.valid_until) == (dt.date(2025, 7, 1), dt.date(2026, 12, 31))
    assert fee_periods("Thông tư số 25/2021/TT-BTC ngày 07/4/2021 của Bộ Tài chính") == ()
    assert fee_periods(None) == ()


def test_without_page_text_the_fields_are_read_as_they_are() -> None:
    data = json.loads((FIXTURES / "bo-tu-phap/1.001609.json").read_text(encoding="utf-8"))
    del data["raw_text"]
    parsed = parse_record(data, "bo-tu-phap", "1.001609.json")
    assert parsed.problems == [] and parsed.procedure is not None
    assert [w.fee for w in parsed.procedure.ways] == ["4,000,000 Việt Nam Đồng"] * 3
    assert parsed.procedure.from_raw == () and parsed.procedure.notes  # says the page text was missing


def test_a_table_that_cannot_be_read_is_a_problem_naming_the_field() -> None:
    data = json.loads((FIXTURES / "ngan-hang-nha-nuoc/1.002157.json").read_text(encoding="utf-8"))
    table = "Hình thức nộpThời gianPhí, lệ phíMô tả"
    broken = table + "nộp tại trụ sở, năm ngày"
    data["cach_thuc_thuc_hien"] = broken
    data["raw_text"] = data["raw_text"].replace(
        table + "Dịch vụ bưu chính5 Ngày làm việcMiễn phíTrực tiếp5 Ngày làm việcMiễn phí", broken
    )
    parsed = parse_record(data, "ngan-hang-nha-nuoc", "ngan-hang-nha-nuoc/1.002157.json")
    assert parsed.procedure is None
    (problem,) = parsed.problems
    assert (problem.file, problem.field) == ("ngan-hang-nha-nuoc/1.002157.json", "cach_thuc_thuc_hien")
    assert "nộp tại trụ sở" in problem.message
