"""Draft procedure files from Cổng DVCQG records (issue 3): parsed, honest, not live until reviewed."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from tthc.content import check_content, load_content
from tthc.content.dvc_import import (
    derive_slug,
    draft_from_dvc,
    import_dvc,
    import_message,
    parse_legal_basis,
    parse_ways,
    split_documents,
    split_steps,
)
from tthc.content.schema import DISTRICT_LEVEL

# The few Cổng DVCQG records these tests parse, copied verbatim from ../shared/reference/dvcqg
# (tests/fixtures/README.md): the parser tests run wherever the checkout is.
DVCQG = Path(__file__).resolve().parents[1] / "fixtures" / "dvcqg"
SHARED_DVCQG = Path(__file__).resolve().parents[3] / "shared" / "reference" / "dvcqg"
TODAY = dt.date(2026, 12, 1)
RECORDS = ["1.001193.json", "1.004194.json", "3.000347.json", "2.001023.json"]


def test_fixture_records_are_the_shared_records_verbatim() -> None:
    assert sorted(path.name for path in DVCQG.glob("*.json")) == sorted(RECORDS)
    if not SHARED_DVCQG.is_dir():
        pytest.skip("../shared/reference/dvcqg is not beside this checkout: fixtures not compared with it")
    for name in RECORDS:
        assert (DVCQG / name).read_bytes() == (SHARED_DVCQG / name).read_bytes(), name


def _record(name: str) -> dict[str, Any]:
    return json.loads((DVCQG / name).read_text(encoding="utf-8"))


def _strings(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _strings(v, f"{path}[{i}]")]
    return [(path, value)] if isinstance(value, str) else []


FAQS = "faqs:\n" + "".join(
    f"  - questions:\n      - Câu hỏi mẫu số {n}?\n    answer: Câu trả lời mẫu số {n}, do cán bộ viết.\n"
    for n in range(1, 6)
)


@pytest.mark.parametrize("name", RECORDS)
def test_draft_parses_and_carries_the_record(name: str) -> None:
    record = _record(name)
    text = draft_from_dvc(record, None, TODAY)
    assert text.startswith("# BẢN NHÁP")
    data = yaml.safe_load(text)
    assert data["codes"][0]["code"] == record["ma_thu_tuc"]
    assert data["codes"][0]["url"] == record["detail_url"]
    assert data["verified"] is False
    assert data["last_reviewed"] == TODAY
    assert "2026-12-01" in data["notes"] and record["ma_thu_tuc"] in data["notes"]
    assert any(record["ma_thu_tuc"] in s and record["detail_url"] in s for s in data["sources"])
    assert data["faqs"] == []
    assert "# TODO(cán bộ)" in text and "#   - questions:" in text
    assert data["steps"] and data["documents"] and data["legal_basis"] and data["aliases"]
    for where, value in _strings(data):  # nothing that sends people to the district level
        if where != "notes":
            assert not DISTRICT_LEVEL.search(value), (where, value)


@pytest.mark.parametrize("name", RECORDS)
def test_draft_states_only_what_the_record_says(name: str) -> None:
    record = _record(name)
    page = unicodedata.normalize("NFC", re.sub(r"\s+", " ", " ".join(str(v) for v in record.values())))
    data = yaml.safe_load(draft_from_dvc(record, None, TODAY))
    for entry in data["legal_basis"]:
        for number in re.findall(r"\d+(?:\.\d+)?/\d{4}/[A-ZĐ][A-ZĐa-z0-9-]*", entry):
            assert number in page, number
    for rate in data["fee"]["rates"]:
        if rate.get("amount"):
            money = f"{rate['amount']:,}"
            assert money in page or money.replace(",", ".") in page, rate
    for digits in re.findall(r"\d+", data["processing_time"]):
        assert digits in page, data["processing_time"]
    for document in data["documents"]:
        assert document["name"][:40] in page, document["name"]


@pytest.mark.parametrize("name", RECORDS[:3])
def test_draft_fails_the_check_only_on_faqs_until_they_are_written(name: str, content_copy: Path) -> None:
    text = draft_from_dvc(_record(name), "ban-nhap-thu", TODAY)
    target = content_copy / "procedures" / "ban-nhap-thu.yml"
    target.write_text(text, encoding="utf-8")

    report = check_content(content_copy)
    assert len(report.errors) == 1, [str(e) for e in report.errors]
    error = report.errors[0]
    assert error.file.endswith("ban-nhap-thu.yml") and "'faqs' cần ít nhất 5 mục" in error.message
    assert text.splitlines()[error.line - 1] == "faqs: []"  # the error points at the TODO, clearly

    target.write_text(text.replace("faqs: []\n", FAQS), encoding="utf-8")  # an officer writes the FAQs
    assert check_content(content_copy).ok, [str(e) for e in check_content(content_copy).errors]
    procedure = load_content(content_copy).procedures["ban-nhap-thu"]
    assert procedure.verified is False and procedure.notes
    assert procedure.official_url == _record(name)["detail_url"]


def test_district_mentions_are_flagged_and_left_out() -> None:
    record = _record("1.004194.json")
    record["trinh_tu_thuc_hien"] = (
        "Bước 1: Cá nhân chuẩn bị hồ sơ.\n"
        "Bước 2: Nộp hồ sơ tại UBND cấp huyện. Hoặc nộp trực tuyến.\n"
        "Bước 3: Nhận kết quả tại Ủy ban nhân dân huyện."
    )
    record["dia_chi_tiep_nhan"] = "Bộ phận một cửa UBND huyện"
    data = yaml.safe_load(draft_from_dvc(record, "tam-tru-thu", TODAY))
    assert data["steps"] == ["Cá nhân chuẩn bị hồ sơ.", "Hoặc nộp trực tuyến."]
    assert "huyện" not in data["where"]
    assert "cấp huyện" in data["notes"] and "bước 2" in data["notes"] and "bước 3" in data["notes"]
    assert "không còn" in data["notes"]  # so the checker accepts the note itself


def test_import_writes_a_draft_outside_the_live_content(content_copy: Path, tmp_path: Path) -> None:
    path = import_dvc(DVCQG / "1.001193.json", content_copy)
    assert path == content_copy / "drafts" / "dang-ky-khai-sinh.yml"
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["slug"] == "dang-ky-khai-sinh"
    assert check_content(content_copy).ok  # drafts are not content: the live check still passes
    assert "dang-ky-khai-sinh" not in load_content(content_copy).procedures
    with pytest.raises(FileExistsError):
        import_dvc(DVCQG / "1.001193.json", content_copy)  # an officer's draft is never overwritten

    chosen = import_dvc(DVCQG / "1.001193.json", content_copy, slug="khai-sinh", output=tmp_path / "ks.yml")
    assert chosen == tmp_path / "ks.yml"
    assert yaml.safe_load(chosen.read_text(encoding="utf-8"))["slug"] == "khai-sinh"
    lines = import_message(chosen, content_copy)
    assert "CHƯA" in lines[1] and any("đã có" in line for line in lines)  # khai-sinh exists: say so

    with pytest.raises(ValueError):
        draft_from_dvc(_record("1.001193.json"), "Khai Sinh!", TODAY)


def test_parsers_on_run_together_cells() -> None:
    legal = parse_legal_basis(
        "Tên văn bản pháp lýMã văn bảnThông tư Hướng dẫn về phí và lệ phí85/2019/TT-BTC"
        "Nghị định số 123/2015/NĐ-CP ngày 15/11/2015 của Chính phủ quy định chi tiết Luật Hộ tịch123/2015/NĐ-CP"
        "Luật 60/2014/QH1360/2014/QH13Luật sửa đổi Luật Doanh nghiệp 202076/2025/QH15"
    )
    assert legal == [
        "Thông tư 85/2019/TT-BTC Hướng dẫn về phí và lệ phí",
        "Nghị định số 123/2015/NĐ-CP ngày 15/11/2015 của Chính phủ quy định chi tiết Luật Hộ tịch",
        "Luật 60/2014/QH13",
        "Luật 76/2025/QH15 sửa đổi Luật Doanh nghiệp 2020",
    ]
    ways = parse_ways(
        "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến3 Ngày làm việc7,000 Việt Nam Đồng(thu 7.000 đồng/lần)"
        "Nộp qua Cổng.Trực tiếp3 Ngày làm việc10,000 Việt Nam Đồng(10.000 đồng/lần)Nộp tại Công an cấp xã."
    )
    assert [(w.channel, w.time, w.fee) for w in ways] == [
        ("Trực tuyến", "3 Ngày làm việc", "7,000 Việt Nam Đồng"),
        ("Trực tiếp", "3 Ngày làm việc", "10,000 Việt Nam Đồng"),
    ]
    assert ways[0].fee_note == "thu 7.000 đồng/lần" and ways[1].description == "Nộp tại Công an cấp xã."
    documents, remarks = split_documents(
        "* Giấy tờ phải nộp:Tên giấy tờMẫu đơn, tờ khaiSố lượng- Tờ khai;Mau01.doc1 bản chính"
        "- Giấy chứng sinh.1 bản chính,1 bản sao"
        "* Lưu ý:Tên giấy tờMẫu đơn, tờ khaiSố lượngKhông cần photo.0 bản chính"
    )
    assert [(d.name, d.quantity, d.form, d.group) for d in documents] == [
        ("Tờ khai;", "1 bản chính", "Mau01.doc", "Giấy tờ phải nộp"),
        ("Giấy chứng sinh.", "1 bản chính, 1 bản sao", None, "Giấy tờ phải nộp"),
    ]
    assert remarks == ["Không cần photo."]
    assert split_steps("Bước 1: Chuẩn bị.\n- chi tiết\n Bước 2: Nộp.") == ["Chuẩn bị. - chi tiết", "Nộp."]
    assert split_steps("- Một.\n+ phụ\n- Hai.") == ["Một. + phụ", "Hai."]
    assert derive_slug("Cấp lại thẻ bảo hiểm y tế (thực hiện tại cấp tỉnh)") == "cap-lai-the-bao-hiem-y-te"


def test_fee_cell_contradicting_its_description_is_not_trusted() -> None:
    data = yaml.safe_load(draft_from_dvc(_record("3.000347.json"), "doi-gplx-thu", TODAY))
    for rate in data["fee"]["rates"]:
        assert "amount" not in rate  # the cell says 'Miễn phí', the text says 135.000 đồng
        assert rate["verified"] is False and "135.000 đồng" in rate["note"]
    assert "135.000 đồng" in data["notes"]
