"""Curated files against the official records they cite (issue 12, part 2): the right codes, and
`content check` warnings for every disagreement in fees, processing times, levels and documents,
which a file silences only with an explanation in its notes.

The copies here hold the curated files only; the check reads the repository's catalogue."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from trolyao import cli
from tthc import paths
from tthc.catalogue.model import CatalogueProcedure, FeePeriod, Way
from tthc.catalogue.store import load_catalogue
from tthc.content import ContentBase, check_content
from tthc.content.check import Problem
from tthc.content.official import amounts, district_mention, explanations, record_amounts

TODAY = dt.date(2026, 12, 3)


@pytest.fixture(scope="module")
def catalogue() -> Mapping[str, CatalogueProcedure]:
    return load_catalogue(paths.CONTENT)


@pytest.fixture
def curated(tmp_path: Path) -> Path:
    """A private copy of the curated files (procedures, localities), without the 20 MB catalogue."""
    target = tmp_path / "content"
    shutil.copytree(paths.CONTENT, target, ignore=shutil.ignore_patterns("README.md", "catalogue", "drafts"))
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def _warnings(base: Path, catalogue: Mapping[str, CatalogueProcedure], slug: str) -> list[Problem]:
    report = check_content(base, catalogue=catalogue, today=TODAY)
    assert report.ok, [str(e) for e in report.errors]
    return [w for w in report.warnings if w.file.endswith(f"/{slug}.yml")]


# --- the codes the curated files cite ----------------------------------------------------------


def test_the_four_corrected_files_cite_the_citizens_records(content: ContentBase) -> None:
    def codes(slug: str) -> set[str]:
        return {str(c["code"]) for c in content.procedures[slug].codes}

    assert codes("cap-lai-the-bhyt") == {"1.002759"}  # not 1.001294, 1.002438 (people insured through the police)
    assert codes("cap-gcn-lan-dau") == {"1.013978"}  # not 1.012753 (organisations)
    assert codes("chuyen-nhuong-dat") == {"1.013831"}  # not 1.012787 (buyers in a real-estate project)
    # the sole proprietorship, both limited companies, the joint-stock company (and the partnership)
    assert {"2.001610", "2.001583", "2.001199", "2.002043"} <= codes("thanh-lap-doanh-nghiep")


def test_every_cited_record_is_named_and_linked_as_the_catalogue_has_it(
    content: ContentBase, catalogue: Mapping[str, CatalogueProcedure]
) -> None:
    checked = 0
    for slug, procedure in content.procedures.items():
        for entry in procedure.codes:
            record = catalogue.get(str(entry["code"]))
            if record is None:
                continue  # explained in the file's notes (a ministry the catalogue does not hold)
            assert entry["url"] == record.detail_url, (slug, entry["code"])
            levels = {part.strip() for part in str(entry["level"]).split(",")}
            assert levels == set(record.level_names), (slug, entry["code"])
            checked += 1
    assert checked >= 33


def test_corrected_records_are_the_ones_their_names_say(catalogue: Mapping[str, CatalogueProcedure]) -> None:
    assert "thẻ BHYT" in catalogue["1.002759"].name
    assert "hộ gia đình, cá nhân" in catalogue["1.013978"].name
    assert "chuyển nhượng, thừa kế, tặng cho" in catalogue["1.013831"].name
    assert catalogue["2.001583"].name.endswith("công ty TNHH một thành viên")
    assert catalogue["2.001199"].name.endswith("công ty TNHH hai thành viên trở lên")
    assert catalogue["2.002043"].name.endswith("công ty cổ phần")


# --- the real content ----------------------------------------------------------------------------


def test_the_real_content_agrees_with_its_records_or_explains_why(
    catalogue: Mapping[str, CatalogueProcedure],
) -> None:
    started = time.monotonic()
    report = check_content(paths.CONTENT, catalogue=paths.CONTENT)  # what `trolyao content check` does
    elapsed = time.monotonic() - started
    assert report.errors == []
    # Every disagreement left is explained in its file's notes ("Khác bản ghi (...): ..."), and no
    # explanation is stale: the documented set of warnings is empty.
    assert report.warnings == [], "\n".join(str(w) for w in report.warnings)
    assert elapsed < 10, f"content check over the whole base took {elapsed:.1f} s"


def test_check_without_a_catalogue_compares_nothing(curated: Path) -> None:
    report = check_content(curated)
    assert report.ok and report.warnings == []
    assert set(report.as_json()) == {"procedures", "localities", "errors", "warnings"}


# --- deliberate disagreements in a copy -------------------------------------------------------------


def test_a_changed_fee_is_a_warning_on_its_line(curated: Path, catalogue: Mapping[str, CatalogueProcedure]) -> None:
    path = curated / "procedures" / "dang-ky-thuong-tru.yml"
    _replace(path, "amount: 20000", "amount: 25000")
    _replace(path, "summary: Nộp trực tiếp 20.000 đồng/lần", "summary: Nộp trực tiếp 25.000 đồng/lần")
    _replace(path, "text: 20.000 đồng/lần đăng ký", "text: 25.000 đồng/lần đăng ký")
    warnings = _warnings(curated, catalogue, "dang-ky-thuong-tru")
    assert any(w.line == _line_of(path, "amount: 25000") and "25.000 đồng" in w.message for w in warnings), warnings
    # and the record's 20.000 đồng, now stated nowhere in the fee section, on the `fee:` line
    assert any(w.line == _line_of(path, "fee:") and "20.000 đồng" in w.message for w in warnings), warnings


def test_a_changed_processing_time_is_a_warning(curated: Path, catalogue: Mapping[str, CatalogueProcedure]) -> None:
    path = curated / "procedures" / "dang-ky-tam-tru.yml"
    _replace(path, "processing_time: Không quá 3 ngày", "processing_time: Không quá 9 ngày")
    warnings = _warnings(curated, catalogue, "dang-ky-tam-tru")
    line = _line_of(path, "processing_time:")
    assert any(w.line == line and "3 ngày" in w.message and "1.004194" in w.message for w in warnings), warnings
    assert any(w.line == line and "9 ngày" in w.message for w in warnings), warnings


def test_a_changed_level_is_a_warning_on_the_code(curated: Path, catalogue: Mapping[str, CatalogueProcedure]) -> None:
    path = curated / "procedures" / "ho-chieu.yml"
    _replace(path, "level: Cấp tỉnh", "level: Cấp xã")
    warnings = _warnings(curated, catalogue, "ho-chieu")
    assert [w.line for w in warnings if "Cấp thực hiện" in w.message] == [_line_of(path, "level: Cấp xã")], warnings


def test_a_record_that_still_names_the_district_level_is_flagged(
    curated: Path, catalogue: Mapping[str, CatalogueProcedure]
) -> None:
    assert district_mention(catalogue["1.002759"]) == "Bảo hiểm xã hội cấp huyện"
    path = curated / "procedures" / "cap-lai-the-bhyt.yml"
    _replace(path, "Khác bản ghi 1.002759 (cấp thực hiện):", "Bản ghi 1.002759 về cấp thực hiện:")
    warnings = _warnings(curated, catalogue, "cap-lai-the-bhyt")
    assert any("cấp huyện" in w.message and w.line == _line_of(path, 'code: "1.002759"') for w in warnings), warnings


def test_a_dropped_document_is_a_warning(curated: Path, catalogue: Mapping[str, CatalogueProcedure]) -> None:
    path = curated / "procedures" / "can-cuoc.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - name: Phiếu đề nghị giải quyết thủ tục về căn cước")
    end = text.index("  - name:", start + 10)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    warnings = _warnings(curated, catalogue, "can-cuoc")
    assert [w.line for w in warnings] == [_line_of(path, "documents:")], warnings
    assert "Phiếu đề nghị giải quyết thủ tục về căn cước" in warnings[0].message


def test_an_explanation_in_notes_silences_its_field_only(
    curated: Path, catalogue: Mapping[str, CatalogueProcedure]
) -> None:
    path = curated / "procedures" / "dang-ky-thuong-tru.yml"
    _replace(path, "amount: 20000", "amount: 25000")
    _replace(path, "processing_time: Không quá 7 ngày", "processing_time: Không quá 9 ngày")
    _replace(path, "notes: >-\n", "notes: >-\n  Khác bản ghi 1.004222 (lệ phí): thử nghiệm, mức đã thay đổi.\n")
    warnings = _warnings(curated, catalogue, "dang-ky-thuong-tru")
    assert not any("đồng" in w.message for w in warnings), warnings  # the fee is explained
    assert any("9 ngày" in w.message for w in warnings), warnings  # the time is not


def test_a_stale_or_unreadable_explanation_is_a_warning(
    curated: Path, catalogue: Mapping[str, CatalogueProcedure]
) -> None:
    path = curated / "procedures" / "dang-ky-tam-tru.yml"  # agrees with its record on times
    _replace(path, "notes: >-\n", "notes: >-\n  Khác bản ghi (thời hạn): cũ. Khác bản ghi (giờ giấc): sai mục.\n")
    warnings = _warnings(curated, catalogue, "dang-ky-tam-tru")
    notes_line = _line_of(path, "notes:")
    assert any(w.line == notes_line and "không còn khác biệt" in w.message for w in warnings), warnings
    assert any(w.line == notes_line and "'gio giac'" in w.message for w in warnings), warnings


def test_a_code_missing_from_the_catalogue_is_a_warning(
    curated: Path, catalogue: Mapping[str, CatalogueProcedure]
) -> None:
    path = curated / "procedures" / "ho-chieu.yml"
    _replace(path, 'code: "1.001456"', 'code: "1.999999"')
    warnings = _warnings(curated, catalogue, "ho-chieu")
    assert [w.line for w in warnings] == [_line_of(path, 'code: "1.999999"')], warnings


def test_warnings_never_fail_the_command(curated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = curated / "procedures" / "dang-ky-tam-tru.yml"
    _replace(path, "processing_time: Không quá 3 ngày", "processing_time: Không quá 9 ngày")
    assert cli.main(["content", "check", str(curated)]) == 0  # the repository's catalogue is used
    out = capsys.readouterr().out
    assert f"dang-ky-tam-tru.yml:{_line_of(path, 'processing_time:')}:1: cảnh báo:" in out
    assert "cảnh báo khác bản ghi chính thức" in out


# --- the readers ------------------------------------------------------------------------------------


def test_amounts_are_read_from_fee_cells_and_notes_not_from_numbers_of_documents() -> None:
    assert amounts("100,000 Việt Nam Đồng") == {100000}
    assert amounts("100 VNĐ") == {100}  # a cell that lost its zeros is read as written
    assert amounts("+ 160.000/hộ chiếu, cấp lại: 320.000đ/hộ chiếu") == {160000, 320000}
    assert amounts("Thông tư số 47/2019/TT-BTC ngày 01/7/2025, Điều 24, mã 1.001193") == set()
    assert amounts("Tại cơ quan đại diện: 10 USD/bản; giảm 50%") == set()


def test_record_amounts_leave_out_expired_clauses_and_count_a_reduction_in_force() -> None:
    passport = Way(
        "Trực tuyến",
        fee="160,000 Việt Nam Đồng",
        fee_note="160.000/hộ chiếu (áp dụng đến hết ngày 31/12/2023)",
        fee_periods=(FeePeriod("160.000/hộ chiếu (áp dụng đến hết ngày 31/12/2023)", None, dt.date(2023, 12, 31)),),
    )
    card = Way(
        "Trực tiếp",
        fee="50,000 Việt Nam Đồng",
        fee_note="50.000 đồng/thẻ. Từ 01/7/2025 đến hết 31/12/2026 thu bằng 50% mức trên.",
        fee_periods=(
            FeePeriod(
                "Từ 01/7/2025 đến hết 31/12/2026 thu bằng 50% mức trên.", dt.date(2025, 7, 1), dt.date(2026, 12, 31)
            ),
        ),
    )
    record = CatalogueProcedure("9.000001", "Thử", "https://dichvucong.gov.vn/x", "bo-cong-an", ways=(passport, card))
    assert record_amounts(record, TODAY) == {50000, 25000}
    assert record_amounts(record, dt.date(2027, 1, 1)) == {50000}


def test_explanations_name_fields_and_optionally_codes() -> None:
    given, unknown = explanations(
        "Chưa rõ X. Khác bản ghi 2.001610, 2.002042 (lệ phí): ô tiền thiếu số 0. Khác bản ghi (hồ sơ, thời hạn): lý do."
    )
    assert [(set(e.fields), set(e.codes)) for e in given] == [
        ({"fee"}, {"2.001610", "2.002042"}),
        ({"documents", "time"}, set()),
    ]
    assert unknown == []
    assert explanations("Khác bản ghi (lệ phí):")[0] == []  # no reason, no explanation
