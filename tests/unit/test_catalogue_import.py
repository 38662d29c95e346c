"""Importing the official catalogue (issue 12): the committed catalogue, bad input, what changed.

Uses only the records copied into tests/fixtures/catalogue/ and the catalogue committed in
content/catalogue/; nothing outside the repository.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
import unicodedata
from pathlib import Path

import pytest

from trolyao.cli import main
from tthc import paths
from tthc.catalogue import FIELD_LABELS, MINISTRIES, load_catalogue
from tthc.catalogue.importer import import_catalogue, report_lines
from tthc.catalogue.model import to_dict
from tthc.catalogue.store import replace_files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "catalogue"
COMMITTED = paths.CONTENT / "catalogue"
TODAY = dt.date(2026, 12, 1)


def _export(root: Path, *records: str) -> Path:
    """An export folder holding copies of fixture records ('bo-tu-phap/1.000080')."""
    for record in records:
        target = root / f"{record}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / f"{record}.json", target)
    return root


def _content(procedure) -> dict:
    data = to_dict(procedure)
    data.pop("imported", None)
    return data


def _files(content: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((content / "catalogue").glob("*.jsonl"))}


ALL = [str(p.relative_to(FIXTURES))[: -len(".json")] for p in sorted(FIXTURES.glob("*/*.json"))]


def test_reimported_sample_equals_the_committed_catalogue(tmp_path: Path) -> None:
    report = import_catalogue([_export(tmp_path / "records", *ALL)], tmp_path / "content", today=TODAY)
    assert report.imported == len(ALL) - 1  # 1.014208 carries another procedure's page
    assert [p.file.rsplit("/", 1)[-1] for p in report.problems] == ["1.014208.json"]
    sample = load_catalogue(tmp_path / "content" / "catalogue")
    committed = load_catalogue(COMMITTED)
    assert "1.014208" not in committed
    for code, procedure in sample.items():
        assert code in committed, code
        assert _content(procedure) == _content(committed[code]), f"content/catalogue is stale for {code}: re-import"


def test_the_whole_committed_catalogue_loads_fast_and_is_complete() -> None:
    started = time.perf_counter()
    catalogue = load_catalogue(paths.CONTENT)  # the content dir works as well as its catalogue/
    elapsed = time.perf_counter() - started
    assert elapsed < 3.0, f"loading took {elapsed:.2f} s"
    assert len(catalogue) >= 2600
    assert {p.ministry for p in catalogue.values()} == set(MINISTRIES)
    for code, procedure in catalogue.items():
        assert procedure.code == code and procedure.name and procedure.detail_url.startswith("https://")
        assert unicodedata.is_normalized("NFC", procedure.name)
    lines = (COMMITTED / "bo-tu-phap.jsonl").read_text(encoding="utf-8").splitlines()
    codes = [json.loads(line)["code"] for line in lines]
    assert codes == sorted(codes)  # one line per procedure, by code: small diffs


def test_bad_records_name_file_and_field_and_the_last_good_version_stays(tmp_path: Path) -> None:
    content = tmp_path / "content"
    first = _export(
        tmp_path / "v1", "bo-tu-phap/1.000080", "bo-tu-phap/1.001609", "bo-tu-phap/2.000942", "toa-an-nhan-dan/3.000165"
    )
    import_catalogue([first], content, today=TODAY)
    before = load_catalogue(content)

    second = _export(
        tmp_path / "v2",
        "bo-tu-phap/1.000080",
        "bo-tu-phap/2.000942",
        "toa-an-nhan-dan/3.000165",
        "bo-cong-an/1.001200",
        "ngan-hang-nha-nuoc/1.002157",
    )
    truncated = (FIXTURES / "bo-tu-phap/1.001609.json").read_bytes()[:700]
    (second / "bo-tu-phap/1.001609.json").write_bytes(truncated)
    shutil.copyfile(
        FIXTURES / "toa-an-nhan-dan/3.000165.json", second / "ngan-hang-nha-nuoc/3.000165.json"
    )  # same code twice
    (second / "dvcqg").mkdir()
    shutil.copyfile(FIXTURES / "bo-xay-dung/1.011873.json", second / "dvcqg/1.011873.json")  # not a ministry folder

    report = import_catalogue([second], content, today=TODAY)
    by_file = {p.file.split("v2/", 1)[1]: p for p in report.problems}
    assert set(by_file) == {
        "bo-tu-phap/1.001609.json",
        "toa-an-nhan-dan/3.000165.json",
        "ngan-hang-nha-nuoc/3.000165.json",
        "dvcqg/1.011873.json",
    }
    assert (
        by_file["bo-tu-phap/1.001609.json"].field is None
        and "JSON không hợp lệ" in by_file["bo-tu-phap/1.001609.json"].message
    )
    for name in ("toa-an-nhan-dan/3.000165.json", "ngan-hang-nha-nuoc/3.000165.json"):
        problem = by_file[name]
        assert problem.field == "ma_thu_tuc" and "3.000165" in problem.message
        assert (
            "toa-an-nhan-dan/3.000165.json" in problem.message and "ngan-hang-nha-nuoc/3.000165.json" in problem.message
        )
    assert "dvcqg" in by_file["dvcqg/1.011873.json"].message

    assert report.imported == 4  # 1.000080, 2.000942, 1.001200, 1.002157
    assert sorted(report.added) == ["1.001200", "1.002157"]
    assert sorted(report.kept) == ["1.001609", "3.000165"] and report.removed == []
    after = load_catalogue(content)
    assert _content(after["1.001609"]) == _content(before["1.001609"])
    assert after["3.000165"] == before["3.000165"] and after["3.000165"].ministry == "toa-an-nhan-dan"
    assert "1.011873" not in after
    lines = "\n".join(report_lines(report))
    assert "bo-tu-phap/1.001609.json" in lines and "trường ma_thu_tuc" in lines


def test_changed_and_removed_records_are_reported_field_by_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = tmp_path / "content"
    first = _export(tmp_path / "v1", "bo-tu-phap/1.000080", "bo-tu-phap/1.001609", "bo-tu-phap/2.000942")
    assert main(["catalogue", "import", str(first), "--content", str(content), "--quiet"]) == 0
    capsys.readouterr()
    unchanged = _files(content)
    assert main(["catalogue", "import", str(first), "--content", str(content), "--quiet"]) == 0
    assert "Không có tệp nào cần ghi" in capsys.readouterr().out and _files(content) == unchanged

    second = _export(tmp_path / "v2", "bo-tu-phap/1.000080", "bo-tu-phap/1.001609")  # 2.000942 is gone
    record = json.loads((second / "bo-tu-phap/1.001609.json").read_text(encoding="utf-8"))
    for key in ("cach_thuc_thuc_hien", "raw_text"):  # the fee rises in the new export
        record[key] = record[key].replace("4,000,000 Việt Nam Đồng", "5,000,000 Việt Nam Đồng")
    (second / "bo-tu-phap/1.001609.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")

    assert main(["catalogue", "import", str(second), "--content", str(content), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Thay đổi (1):" in out
    assert f"1.001609 {record['ten_thu_tuc']}: {FIELD_LABELS['ways']}" in out
    assert "Bỏ khỏi danh mục" in out and "2.000942" in out
    catalogue = load_catalogue(content)
    assert {w.fee for w in catalogue["1.001609"].ways} == {"5,000,000 Việt Nam Đồng"}
    assert "2.000942" not in catalogue

    record["cach_thuc_thuc_hien"] = record["cach_thuc_thuc_hien"].replace("10 Ngày làm việc", "7 Ngày làm việc")
    record["raw_text"] = record["raw_text"].replace("10 Ngày làm việc", "7 Ngày làm việc")
    record["linh_vuc"] = "Trọng tài"
    record["raw_text"] = record["raw_text"].replace("Lĩnh vựcTrọng tài thương mại", "Lĩnh vựcTrọng tài")
    (second / "bo-tu-phap/1.001609.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    assert main(["catalogue", "import", str(second), "--content", str(content), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["changed"] == {"1.001609": ["field", "ways"]}
    assert report["added"] == [] and report["removed"] == [] and report["problems"] == []


def test_nothing_importable_exits_non_zero_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = tmp_path / "content"
    import_catalogue([_export(tmp_path / "v1", "bo-tu-phap/1.000080")], content, today=TODAY)
    kept = _files(content)
    broken = tmp_path / "v2" / "bo-tu-phap"
    broken.mkdir(parents=True)
    (broken / "1.000080.json").write_text('{"ma_thu_tuc": "1.000080", "ten_thu_', encoding="utf-8")
    assert main(["catalogue", "import", str(broken), "--content", str(content), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "Không nhập được bản ghi nào; danh mục giữ nguyên." in out and "1.000080.json" in out
    assert _files(content) == kept


def test_catalogue_files_are_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "catalogue" / "bo-tu-phap.jsonl"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    (tmp_path / "blocked").write_text("a file where a folder should be", encoding="utf-8")
    with pytest.raises(OSError):
        replace_files({target: "new\n", tmp_path / "blocked" / "bo-cong-an.jsonl": "new\n"})
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in target.parent.iterdir()] == ["bo-tu-phap.jsonl"]  # no temp file left behind
