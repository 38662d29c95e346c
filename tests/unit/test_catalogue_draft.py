"""Promoting a catalogue procedure into a draft curated file (issue 12, part 6), and the
officers' plain search of the catalogue.

The expected values below were read by a person from the official records' pages (the
records in content/catalogue/, as the national portal publishes them), not from the draft."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from trolyao.cli import main
from tthc import paths
from tthc.catalogue.lookup import CatalogueLookup
from tthc.catalogue.model import CatalogueProcedure
from tthc.catalogue.store import load_catalogue
from tthc.content import check_content, load_content
from tthc.content.catalogue_draft import PromoteError, curated_codes, draft_from_catalogue, drafts_of, promote
from tthc.content.schema import DISTRICT_LEVEL

TODAY = dt.date(2026, 12, 3)
LOST_CERTIFICATE = "1.012786"  # Cấp lại Giấy chứng nhận do bị mất (land-use certificate), Bộ NN&MT
ID_CARD = "1.000757"  # Cấp lại thẻ căn cước (cấp trung ương), Bộ Công an: a fee halved for a period
BORDER_PASS = "1.001258"  # Giấy thông hành biên giới Việt Nam - Lào: the fee cell contradicts its note
FAQS = "faqs:\n" + "".join(
    f"  - questions:\n      - Câu hỏi mẫu số {n}?\n    answer: Câu trả lời mẫu số {n}, do cán bộ viết.\n"
    for n in range(1, 6)
)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, CatalogueProcedure]:
    return load_catalogue(paths.CONTENT)


def draft(catalogue: dict[str, CatalogueProcedure], code: str, slug: str | None = None) -> dict[str, Any]:
    return yaml.safe_load(draft_from_catalogue(catalogue[code], slug, TODAY))


def test_the_draft_carries_the_record_of_a_lost_land_certificate(catalogue: dict[str, CatalogueProcedure]) -> None:
    text = draft_from_catalogue(catalogue[LOST_CERTIFICATE], None, TODAY)
    assert text.startswith("# BẢN NHÁP") and "# TODO(cán bộ)" in text
    data = yaml.safe_load(text)
    assert data["slug"] == "cap-lai-giay-chung-nhan-do-bi-mat"
    assert data["name"] == "Cấp lại Giấy chứng nhận do bị mất"
    assert data["field"] == "Đất đai"
    assert data["codes"] == [{
        "code": "1.012786", "name": "Cấp lại Giấy chứng nhận do bị mất", "level": "Cấp tỉnh",
        "url": "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfa-76c7-75db-b936-ff88fe49d880",
    }]  # fmt: skip
    assert data["authority"] == "Văn phòng đăng ký đất đai, Chi nhánh Văn phòng đăng ký đất đai"
    # Online and by post: 10 working days; at the counter: 20 working days.
    assert data["processing_time"] == (
        "Nộp trực tuyến, nộp qua bưu chính: 10 ngày làm việc; nộp trực tiếp: 20 ngày làm việc"
    )
    # Five rows of documents in two cases: (a) the certificate lost, (b) the supplementary page lost.
    documents = [(d["name"], d["quantity"], d.get("note", "")) for d in data["documents"]]
    assert len(documents) == 5
    assert documents[1] == (
        "Đơn đăng ký biến động đất đai, tài sản gắn liền với đất theo Mẫu số 18 ban hành kèm theo Nghị định số "
        "151/2025/NĐ-CP.", "1 bản chính, 1 bản sao",
        "Nhóm trong bản ghi: a) Đối với trường hợp cấp lại Giấy chứng nhận bị mất",
    )  # fmt: skip
    assert documents[2] == ("Bản gốc Giấy chứng nhận đã cấp.", "1 bản chính",
                            "Nhóm trong bản ghi: b) Đối với trường hợp mất Trang bổ sung")  # fmt: skip
    assert len(data["steps"]) == 5 and data["steps"][0].startswith("Người yêu cầu đăng ký nộp hồ sơ")
    # The fee cell says "Miễn phí" but its note sends to the law on fees: no free rate is claimed.
    rates = data["fee"]["rates"]
    assert [r["label"] for r in rates] == ["Nộp trực tuyến, nộp qua bưu chính, nộp trực tiếp"]
    assert "amount" not in rates[0] and rates[0]["verified"] is False
    assert rates[0]["text"].startswith("Miễn phí (- Theo quy định của Luật phí và lệ phí")
    assert data["online"]["available"] is True
    assert data["online"]["url"] == data["codes"][0]["url"]
    assert data["result"] == "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất."
    legal = " ".join(data["legal_basis"])
    for number in ("151/2025/NĐ-CP", "101/2024/NĐ-CP", "31/2024/QH15", "226/2025/NĐ-CP"):
        assert number in legal
    assert any("1.012786" in s and data["codes"][0]["url"] in s for s in data["sources"])
    assert "Quyết định công bố thủ tục số 3380/QĐ-BNNMT (theo bản ghi)" in data["sources"]
    assert data["verified"] is False and data["last_reviewed"] == TODAY and data["faqs"] == []
    assert "2026-12-03" in data["notes"] and "1.012786" in data["notes"]


def test_a_fee_halved_for_a_period_is_a_dated_rate_that_replaces_the_full_one(
    catalogue: dict[str, CatalogueProcedure],
) -> None:
    data = draft(catalogue, ID_CARD)
    assert data["processing_time"] == "7 ngày làm việc"
    full, half = data["fee"]["rates"][1:]
    # "70.000 đồng/thẻ căn cước"; "Kể từ ngày 01/7/2025 đến hết ngày 31/12/2026 ... bằng 50% mức thu nêu trên".
    assert (full["label"], full["amount"], full["text"]) == ("Nộp trực tiếp", 70000, "70.000 đồng")
    assert full["id"] == "nop-truc-tiep"
    assert (half["amount"], half["valid_from"], half["valid_to"], half["replaces"]) == (
        35000, dt.date(2025, 7, 1), dt.date(2026, 12, 31), "nop-truc-tiep"
    )  # fmt: skip
    # The period that ended on 31/12/2025 adds nothing.
    assert len(data["fee"]["rates"]) == 3
    assert data["fee"]["rates"][0]["text"] == "Miễn phí (Chưa quy định.)"  # online: the cell with its note


def test_a_fee_cell_its_note_contradicts_is_not_trusted(catalogue: dict[str, CatalogueProcedure]) -> None:
    # Online: "40,000 Việt Nam Đồng" (áp dụng đến hết ngày 31/12/2024); at the counter the cell says
    # 40,000 but its note "50.000đ/giấy thông hành (Thông tư số 25/2021/TT-BTC)".
    data = draft(catalogue, BORDER_PASS)
    online, counter = data["fee"]["rates"]
    assert (online["amount"], online["valid_to"]) == (40000, dt.date(2024, 12, 31))
    assert "amount" not in counter and "50.000đ/giấy thông hành" in counter["text"]
    assert "ô phí ghi 40.000 đồng nhưng ghi chú ghi 50.000 đồng" in data["notes"]
    assert "ô phí ghi mức đã hết hiệu lực" in data["notes"]


def test_a_name_about_the_district_level_loses_that_bracket(catalogue: dict[str, CatalogueProcedure]) -> None:
    data = draft(catalogue, "1.010385")  # "Trình báo mất hộ chiếu phổ thông (thực hiện tại cấp huyện)"
    assert data["name"] == "Trình báo mất hộ chiếu phổ thông"
    assert "cấp huyện" in data["notes"] and "không còn" in data["notes"]


@pytest.mark.parametrize("code", [LOST_CERTIFICATE, ID_CARD, BORDER_PASS, "1.010385", "2.000528", "1.003563"])
def test_the_draft_fails_the_check_only_on_faqs_until_they_are_written(
    code: str, catalogue: dict[str, CatalogueProcedure], content_copy: Path
) -> None:
    text = draft_from_catalogue(catalogue[code], "ban-nhap-thu", TODAY)
    for where, value in _strings(yaml.safe_load(text)):
        assert where == "notes" or not DISTRICT_LEVEL.search(value), (where, value)
    target = content_copy / "procedures" / "ban-nhap-thu.yml"
    target.write_text(text, encoding="utf-8")
    report = check_content(content_copy)
    assert len(report.errors) == 1 and "'faqs' cần ít nhất 5 mục" in report.errors[0].message, [
        str(e) for e in report.errors
    ]
    assert text.splitlines()[report.errors[0].line - 1] == "faqs: []"  # the error points at the TODO
    target.write_text(text.replace("faqs: []\n", FAQS), encoding="utf-8")  # an officer writes the FAQs
    report = check_content(content_copy)
    assert report.ok, [str(e) for e in report.errors]
    assert not [w for w in report.warnings if "ban-nhap-thu" in w.file], "the draft agrees with its own record"
    assert load_content(content_copy).procedures["ban-nhap-thu"].official_url == catalogue[code].detail_url


def _strings(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _strings(v, f"{path}[{i}]")]
    return [(path, value)] if isinstance(value, str) else []


def test_promote_writes_a_draft_outside_the_live_content_and_never_overwrites(
    catalogue: dict[str, CatalogueProcedure], content_copy: Path
) -> None:
    before = {p: p.read_bytes() for p in content_copy.rglob("*") if p.is_file()}
    cited = curated_codes(load_content(content_copy, with_catalogue=False).procedures.values())
    assert cited["1.001193"] == "khai-sinh" and LOST_CERTIFICATE not in cited
    path = promote(catalogue[LOST_CERTIFICATE], content_copy, today=TODAY, cited=cited)
    assert path == content_copy / "drafts" / "cap-lai-giay-chung-nhan-do-bi-mat.yml"
    assert {p: p.read_bytes() for p in content_copy.rglob("*") if p.is_file() and p != path} == before
    assert drafts_of(content_copy, LOST_CERTIFICATE) == [path] and drafts_of(content_copy, "1.01278") == []
    with pytest.raises(PromoteError, match="Đã có tệp drafts/cap-lai-giay-chung-nhan-do-bi-mat.yml"):
        promote(catalogue[LOST_CERTIFICATE], content_copy, today=TODAY, cited=cited)
    with pytest.raises(PromoteError, match="đã có tệp nội dung riêng \\(khai-sinh\\)"):
        promote(catalogue["1.001193"], content_copy, cited=cited)
    with pytest.raises(PromoteError, match="không hợp lệ"):
        promote(catalogue[ID_CARD], content_copy, slug="Thẻ căn cước")
    with pytest.raises(PromoteError, match="Đã có tệp procedures/khai-sinh.yml"):
        promote(catalogue[ID_CARD], content_copy, slug="khai-sinh")
    assert check_content(content_copy).ok  # the assistant never reads drafts


def test_trolyao_content_promote(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    command = ["content", "promote", ID_CARD, "--slug", "cap-lai-can-cuoc-trung-uong", "--dir", str(content_copy)]
    assert main(command) == 0
    out = capsys.readouterr().out
    assert "Đã tạo bản nháp" in out and "CHƯA được trợ lý dùng" in out
    written = yaml.safe_load((content_copy / "drafts" / "cap-lai-can-cuoc-trung-uong.yml").read_text(encoding="utf-8"))
    assert written["codes"][0]["code"] == ID_CARD
    assert main(command) == 1
    assert "Đã có tệp" in capsys.readouterr().err
    assert main(["content", "promote", "9.999999", "--dir", str(content_copy)]) == 1
    assert "không có thủ tục mã '9.999999'" in capsys.readouterr().err
    assert main(["content", "promote", "1.001193", "--dir", str(content_copy)]) == 1
    assert "khai-sinh" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("cap lai giay chung nhan do bi mat", LOST_CERTIFICATE),
        ("Cấp lại Giấy chứng nhận do bị mất", LOST_CERTIFICATE),
        ("đăng ký khai sinh", "1.001193"),
        ("dang ky ket hon", "1.000894"),
        ("khai sinhh", "1.001193"),  # a typing error
        ("1.012786", LOST_CERTIFICATE),
    ],
)
def test_officers_find_catalogue_procedures_by_name_or_code(
    catalogue: dict[str, CatalogueProcedure], query: str, first: str
) -> None:
    found = CatalogueLookup(catalogue).find(query, limit=5)
    assert found and found[0].code == first, [p.code for p in found]


def test_the_catalogue_search_by_code_prefix_and_nothing_for_nonsense(catalogue: dict[str, CatalogueProcedure]) -> None:
    lookup = CatalogueLookup(catalogue)
    assert len(lookup) == len(catalogue)
    assert all(p.code.startswith("1.0127") for p in lookup.find("1.0127", limit=100))
    assert lookup.find("qqq zzz xyzw") == [] and lookup.find("   ") == []
