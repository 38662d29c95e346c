"""Officers' Excel round trip: export, edit, import with the checker's validation (issue 3)."""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path

import openpyxl
import pytest

from tthc.content import check_content, load_content
from tthc.content.spreadsheet import (
    FACTS_SHEET,
    FAQ_SHEET,
    ORIGINAL_SHEET,
    Change,
    apply_changes,
    export_xlsx,
    import_messages,
    import_xlsx,
    read_workbook,
)

TODAY = dt.date(2030, 1, 2)


def _snapshot(content: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(content)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(content.rglob("*.yml"))}


def _export(content: Path, tmp_path: Path) -> Path:
    book = tmp_path / "noi-dung.xlsx"
    result = export_xlsx(content, book)
    assert result.procedures == 33 and result.faqs >= 33 * 5
    return book


def _edit(book: Path, sheet: str, match: dict[int, object], column: int, value: object) -> int:
    """Set one cell of the row whose cells (1-based columns) match; returns the row number.
    Text goes in as text, as Excel keeps it in the text-formatted cells of the export."""
    wb = openpyxl.load_workbook(book)
    ws = wb[sheet]
    for row in ws.iter_rows(min_row=2):
        if all(row[c - 1].value == v for c, v in match.items()):
            row[column - 1].value = value
            if isinstance(value, str):
                row[column - 1].data_type = "s"
            wb.save(book)
            return row[0].row
    raise AssertionError(f"no row {match} in {sheet}")


def _append(book: Path, sheet: str, values: list[object]) -> int:
    wb = openpyxl.load_workbook(book)
    ws = wb[sheet]
    ws.append(values)
    wb.save(book)
    return ws.max_row


def _changed_lines(before: bytes, after: bytes) -> list[str]:
    diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_export_has_the_two_sheets_with_vietnamese_headers(content_copy: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(_export(content_copy, tmp_path))
    assert book.sheetnames[:2] == [FAQ_SHEET, FACTS_SHEET]
    assert book[ORIGINAL_SHEET].sheet_state == "veryHidden"
    faq, facts = book[FAQ_SHEET], book[FACTS_SHEET]
    assert [c.value for c in faq[1]][:4] == [
        "Mã thủ tục (slug)",
        "Số thứ tự câu hỏi",
        "Câu hỏi (mỗi cách hỏi một dòng)",
        "Câu trả lời",
    ]
    assert faq["E1"].value == "_dong" and faq.column_dimensions["E"].hidden  # which row it was, hidden
    assert [c.value for c in facts[1]][:3] == ["Mã thủ tục (slug)", "Tên thủ tục", "Thời hạn giải quyết"]
    assert faq.freeze_panes == "A2" and facts.freeze_panes == "A2"
    assert faq.column_dimensions["D"].width > faq.column_dimensions["B"].width
    assert faq["D2"].alignment.wrap_text
    ks = [row for row in faq.iter_rows(min_row=2, values_only=True) if row[0] == "khai-sinh"]
    assert ks[0][1] == 1 and "\n" in ks[0][2]  # question variants, one per line
    assert facts.max_row == 34


def test_round_trip_without_edits_changes_nothing(content_copy: Path, tmp_path: Path) -> None:
    before = _snapshot(content_copy)
    book = _export(content_copy, tmp_path)
    report = import_xlsx(content_copy, book, today=TODAY)
    assert report.ok, report.errors
    assert report.changes == [] and report.written == []
    assert _snapshot(content_copy) == before  # byte-identical, not even rewritten
    assert "Không có thay đổi" in import_messages(report)[-1]


def test_round_trip_after_excel_resave_without_the_hidden_sheet(content_copy: Path, tmp_path: Path) -> None:
    """Other spreadsheet programs may drop the hidden sheet: cells are then compared with the files."""
    before = _snapshot(content_copy)
    book = _export(content_copy, tmp_path)
    wb = openpyxl.load_workbook(book)
    del wb[ORIGINAL_SHEET]
    wb.save(book)
    assert read_workbook(book).originals is None
    report = import_xlsx(content_copy, book, today=TODAY)
    assert report.ok and report.changes == []
    assert _snapshot(content_copy) == before


def test_editing_one_answer_changes_only_that_answer(content_copy: Path, tmp_path: Path) -> None:
    before = _snapshot(content_copy)
    book = _export(content_copy, tmp_path)
    new_answer = (
        "Không có Giấy chứng sinh thì nộp văn bản của người làm chứng xác nhận việc sinh; không có người "
        "làm chứng thì làm giấy cam đoan về việc sinh: cán bộ một cửa sẽ hướng dẫn mẫu."
    )
    row = _edit(book, FAQ_SHEET, {1: "khai-sinh", 2: 3}, 4, new_answer)

    report = import_xlsx(content_copy, book, today=TODAY)
    assert report.ok, [str(e) for e in report.errors]
    assert report.written == ["content/procedures/khai-sinh.yml"]
    assert {c.field for c in report.changes} == {"faqs[3].answer", "last_reviewed"}
    assert any(f"dòng {row}" in line for line in import_messages(report))

    after = _snapshot(content_copy)
    for name, (data, _) in before.items():
        if name != "procedures/khai-sinh.yml":
            assert after[name][0] == data, name
    changed = _changed_lines(before["procedures/khai-sinh.yml"][0], after["procedures/khai-sinh.yml"][0])
    removed = [line for line in changed if line.startswith("-")]
    assert removed == [
        "-      Không có Giấy chứng sinh thì nộp văn bản xác nhận của người làm chứng; nếu không có người",
        "-      làm chứng thì làm giấy cam đoan về việc sinh.",
        "-last_reviewed: 2026-11-23",
    ]
    assert "+last_reviewed: 2030-01-02" in changed

    procedure = load_content(content_copy).procedures["khai-sinh"]
    assert procedure.faqs[2]["answer"] == new_answer
    assert procedure.faqs[2]["questions"][0] == "Không có giấy chứng sinh thì làm khai sinh thế nào?"
    assert procedure.last_reviewed == TODAY
    assert check_content(content_copy).ok


def test_editing_facts_and_questions(content_copy: Path, tmp_path: Path) -> None:
    book = _export(content_copy, tmp_path)
    _edit(book, FACTS_SHEET, {1: "giam-ho"}, 3, "03 ngày làm việc kể từ khi nhận đủ hồ sơ hợp lệ.")
    _edit(book, FAQ_SHEET, {1: "ket-hon", 2: 1}, 3, "Câu hỏi thứ nhất?\nCâu hỏi: thứ hai?\nMột cách hỏi mới")
    report = import_xlsx(content_copy, book, today=TODAY)
    assert report.ok, [str(e) for e in report.errors]
    content = load_content(content_copy)
    assert content.procedures["giam-ho"].processing_time == "03 ngày làm việc kể từ khi nhận đủ hồ sơ hợp lệ."
    assert content.procedures["ket-hon"].faqs[0]["questions"] == [
        "Câu hỏi thứ nhất?",
        "Câu hỏi: thứ hai?",
        "Một cách hỏi mới",
    ]
    assert content.procedures["ket-hon"].last_reviewed == TODAY


def test_a_broken_edit_is_refused_with_errors_and_no_file_changes(content_copy: Path, tmp_path: Path) -> None:
    before = _snapshot(content_copy)
    book = _export(content_copy, tmp_path)
    faq_row = _edit(book, FAQ_SHEET, {1: "ket-hon", 2: 2}, 4, "Hồ sơ nộp tại UBND cấp huyện nơi cư trú.")
    fee_row = _edit(book, FACTS_SHEET, {1: "giam-ho"}, 4, "")
    also_good = _edit(book, FAQ_SHEET, {1: "khai-sinh", 2: 1}, 4, "Một câu trả lời hợp lệ.")
    assert also_good

    report = import_xlsx(content_copy, book, today=TODAY)
    assert not report.ok
    assert report.written == []
    assert _snapshot(content_copy) == before  # all or nothing: the good edit is not applied either

    district = [e for e in report.errors if "cấp huyện" in e.message]
    assert len(district) == 1
    assert district[0].file == "content/procedures/ket-hon.yml" and district[0].line and district[0].column
    assert district[0].cell and (district[0].cell.sheet, district[0].cell.row) == (FAQ_SHEET, faq_row)
    empty = [e for e in report.errors if "fee.summary" in e.message]
    assert len(empty) == 1 and empty[0].file == "content/procedures/giam-ho.yml"
    assert empty[0].cell and (empty[0].cell.sheet, empty[0].cell.row, empty[0].cell.column) == (
        FACTS_SHEET,
        fee_row,
        "D",
    )
    lines = import_messages(report)
    assert lines[-1].startswith("Không nhập được")
    assert any(line.startswith("content/procedures/ket-hon.yml:") and f"dòng {faq_row}" in line for line in lines)


def test_a_new_faq_row_is_appended_once(content_copy: Path, tmp_path: Path) -> None:
    book = _export(content_copy, tmp_path)
    count = len(load_content(content_copy).procedures["khai-sinh"].faqs)
    question = "Khai sinh cho con ở nơi tạm trú được không?\nĐang tạm trú có làm giấy khai sinh được không"
    answer = "Được. Bạn có thể đăng ký khai sinh tại UBND cấp xã nơi cư trú của cha hoặc mẹ, kể cả nơi tạm trú."
    _append(book, FAQ_SHEET, ["khai-sinh", None, question, answer])

    report = import_xlsx(content_copy, book, today=TODAY)
    assert report.ok, [str(e) for e in report.errors]
    faqs = load_content(content_copy).procedures["khai-sinh"].faqs
    assert len(faqs) == count + 1
    assert faqs[-1] == {"questions": question.split("\n"), "answer": answer}
    text = (content_copy / "procedures" / "khai-sinh.yml").read_text(encoding="utf-8")
    assert "  - questions:\n      - Khai sinh cho con ở nơi tạm trú được không?\n" in text

    again = import_xlsx(content_copy, book, today=TODAY)  # importing the same file twice adds nothing
    assert again.ok and again.written == []
    assert len(load_content(content_copy).procedures["khai-sinh"].faqs) == count + 1


def test_unknown_slug_and_empty_answer_name_the_sheet_row(content_copy: Path, tmp_path: Path) -> None:
    before = _snapshot(content_copy)
    book = _export(content_copy, tmp_path)
    unknown = _append(book, FAQ_SHEET, ["khong-co-thu-tuc-nay", None, "Hỏi?", "Đáp."])
    empty_new = _append(book, FAQ_SHEET, ["ket-hon", None, "Hỏi mà chưa có trả lời?", None])
    emptied = _edit(book, FAQ_SHEET, {1: "giam-ho", 2: 2}, 4, "   ")
    bad_bool = _edit(book, FACTS_SHEET, {1: "ho-chieu"}, 7, "có lẽ")

    report = import_xlsx(content_copy, book, today=TODAY)
    assert not report.ok
    where = {(e.cell.sheet, e.cell.row) for e in report.errors if e.cell}
    assert {(FAQ_SHEET, unknown), (FAQ_SHEET, empty_new), (FAQ_SHEET, emptied), (FACTS_SHEET, bad_bool)} <= where
    assert any("khong-co-thu-tuc-nay" in e.message for e in report.errors)
    assert any(str(e).startswith(f"Excel, bảng 'FAQ', dòng {empty_new}") for e in report.errors)
    assert _snapshot(content_copy) == before


def test_changing_the_slug_or_number_of_an_existing_row_is_refused(content_copy: Path, tmp_path: Path) -> None:
    before = _snapshot(content_copy)
    book = _export(content_copy, tmp_path)
    moved = _edit(book, FAQ_SHEET, {1: "khai-sinh", 2: 2}, 1, "ket-hon")  # would overwrite ket-hon's FAQ 2
    report = import_xlsx(content_copy, book, today=TODAY)
    assert not report.ok and report.errors[0].cell and report.errors[0].cell.row == moved
    assert "vốn là câu hỏi số 2 của 'khai-sinh'" in report.errors[0].message
    assert _snapshot(content_copy) == before

    _edit(book, FAQ_SHEET, {1: "ket-hon", 2: 2, 5: "khai-sinh#2"}, 2, None)  # a copied row made new: fine
    assert import_xlsx(content_copy, book, today=TODAY).ok


def test_an_edit_made_in_the_file_after_export_is_kept(content_copy: Path, tmp_path: Path) -> None:
    """The hidden sheet tells an edited cell from a stale one: importing never undoes a newer file edit."""
    book = _export(content_copy, tmp_path)
    path = content_copy / "procedures" / "khai-sinh.yml"
    text = path.read_text(encoding="utf-8")
    old = "      Được. Nếu cha mẹ không đi được"
    path.write_text(text.replace(old, "      Được, ông bà đi thay được. Nếu cha mẹ không đi được", 1), encoding="utf-8")
    edited = path.read_bytes()

    report = import_xlsx(content_copy, book, today=TODAY)  # the workbook still has the old answer
    assert report.ok and report.changes == []
    assert path.read_bytes() == edited

    row = _edit(book, FAQ_SHEET, {1: "khai-sinh", 2: 2}, 4, "Một câu trả lời khác.")
    conflict = import_xlsx(content_copy, book, today=TODAY)
    assert not conflict.ok
    assert [(e.cell.sheet, e.cell.row) for e in conflict.errors if e.cell] == [(FAQ_SHEET, row)]
    assert "xuất lại" in conflict.errors[0].message
    assert path.read_bytes() == edited


def test_explicit_review_date_and_booleans(content_copy: Path, tmp_path: Path) -> None:
    book = _export(content_copy, tmp_path)
    _edit(book, FACTS_SHEET, {1: "doi-gplx"}, 8, "15/12/2029")  # Vietnamese date order is accepted
    report = import_xlsx(content_copy, book, today=TODAY)
    assert report.ok, [str(e) for e in report.errors]
    assert load_content(content_copy).procedures["doi-gplx"].last_reviewed == dt.date(2029, 12, 15)

    _edit(book, FACTS_SHEET, {1: "trich-luc-ho-tich"}, 9, "không")  # verified: false needs notes (this file has none)
    refused = import_xlsx(content_copy, book, today=TODAY)
    assert not refused.ok
    assert any("notes" in e.message and e.cell and e.cell.column == "I" for e in refused.errors)


def test_apply_changes_keeps_comments_and_layout() -> None:
    text = (
        "# header comment\n"
        "slug: x  # trailing comment\n"
        "fee:\n"
        "  summary: Cũ.\n"
        "faqs:\n"
        "  - questions: [Hỏi một, Hỏi hai]\n"
        "    answer: >-\n"
        "      Trả lời\n"
        "      cũ.\n"
        "  # a comment between items\n"
        "verified: true\n"
        "last_reviewed: 2026-01-01\n"
    )
    changes = [
        Change("x", "fee.summary", ("fee", "summary"), "Cũ.", "Mới: có dấu hai chấm"),
        Change("x", "faqs[1].answer", ("faqs", 0, "answer"), "Trả lời cũ.", "Trả lời mới."),
        Change("x", "faqs[1].questions", ("faqs", 0, "questions"), [], ["Hỏi một", "Hỏi, ba?", "Bốn"]),
        Change("x", "faqs[2]", ("faqs",), None, {"questions": ["Q?"], "answer": "A."}, kind="append"),
        Change("x", "last_reviewed", ("last_reviewed",), None, TODAY),
    ]
    new, placed = apply_changes(text, changes)
    assert new.startswith("# header comment\nslug: x  # trailing comment\n")
    assert '  summary: "Mới: có dấu hai chấm"\n' in new
    assert '  - questions: [Hỏi một, "Hỏi, ba?", Bốn]\n' in new
    assert "    answer: >-\n      Trả lời mới.\n" in new
    assert "  # a comment between items\n" in new
    assert "last_reviewed: 2030-01-02\n" in new
    assert len(placed) == len(changes)
    crlf, _ = apply_changes(text.replace("\n", "\r\n"), changes[:1])
    assert crlf == text.replace("\n", "\r\n").replace("summary: Cũ.", 'summary: "Mới: có dấu hai chấm"')


@pytest.mark.parametrize("value", ["=1+1", "  leading spaces kept out  ", "dòng 1\r\ndòng 2"])
def test_awkward_cell_text_survives(content_copy: Path, tmp_path: Path, value: str) -> None:
    book = _export(content_copy, tmp_path)
    _edit(book, FAQ_SHEET, {1: "khai-tu", 2: 1}, 4, value)
    report = import_xlsx(content_copy, book, today=TODAY)
    assert report.ok, [str(e) for e in report.errors]
    expected = value.strip().replace("\r\n", "\n")
    assert load_content(content_copy).procedures["khai-tu"].faqs[0]["answer"] == expected
    assert import_xlsx(content_copy, book, today=TODAY).changes == []  # and reads back as unchanged
