"""Officers' FAQ edits from the console: add a question variant to an FAQ, add a new FAQ, change
an answer. Each edit is made in place in the procedure's file (comments and layout kept, see
yamltext), validated with check_content on a temporary copy of the whole content directory, and
only then written (atomically), so the live content reloads it within seconds.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tthc.content.check import check_content
from tthc.content.live import write_atomically
from tthc.content.spreadsheet import Change, apply_changes, norm_text
from tthc.content.yamltext import load

MAX_TEXT = 4000


@dataclass
class EditResult:
    ok: bool
    errors: list[str] = field(default_factory=list)  # "procedures/x.yml:12:5: ..." (Vietnamese)
    file: str = ""

    @property
    def message(self) -> str:
        return "; ".join(self.errors)


def procedure_file(content_dir: Path, slug: str) -> Path | None:
    for suffix in (".yml", ".yaml"):
        path = content_dir / "procedures" / f"{slug}{suffix}"
        if path.is_file() and "/" not in slug and not slug.startswith("."):
            return path
    return None


def _apply(content_dir: Path, slug: str, change_for: Callable[[Any], Any]) -> EditResult:
    path = procedure_file(content_dir, slug)
    if path is None:
        return EditResult(False, [f"Không có thủ tục '{slug}'."])
    text = path.read_bytes().decode("utf-8")
    data = load(text) or {}
    try:
        change = change_for(data)
        if isinstance(change, str):
            return EditResult(False, [change])
        new_text, _ = apply_changes(text, [change])
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        return EditResult(False, [f"Không sửa được tệp: {exc}"])
    problems = validate(content_dir, path, new_text)
    if problems:
        return EditResult(False, problems)
    write_atomically(path, new_text)
    return EditResult(True, file=str(path))


def validate(content_dir: Path, path: Path, new_text: str) -> list[str]:
    """check_content on a temporary copy with the new text in place: the problems as file:line."""
    with tempfile.TemporaryDirectory(prefix="trolyao-content-") as folder:
        copy = Path(folder) / content_dir.name
        shutil.copytree(content_dir, copy, ignore=shutil.ignore_patterns(".*.tmp"))
        (copy / path.relative_to(content_dir)).write_bytes(new_text.encode("utf-8"))
        report = check_content(copy)
        return [str(problem) for problem in report.errors]


def _clean(text: str) -> str:
    return norm_text(text)[:MAX_TEXT]


def add_question(content_dir: Path, slug: str, faq_index: int, question: str) -> EditResult:
    """Add a question variant to FAQ number `faq_index` (0-based) of a procedure."""
    question = _clean(question)

    def change(data: dict) -> Change | str:
        faqs = data.get("faqs") or []
        if not question:
            return "Câu hỏi đang trống."
        if not 0 <= faq_index < len(faqs):
            return f"Thủ tục {slug} không có câu hỏi thường gặp số {faq_index + 1}."
        old = list(faqs[faq_index].get("questions") or [])
        if question in old:
            return "Câu hỏi này đã có trong câu hỏi thường gặp."
        return Change(slug, f"faqs[{faq_index}].questions", ("faqs", faq_index, "questions"), old, [*old, question])

    return _apply(content_dir, slug, change)


def add_faq(content_dir: Path, slug: str, question: str, answer: str) -> EditResult:
    """Append a new FAQ (one question, its answer) to a procedure."""
    question, answer = _clean(question), _clean(answer)

    def change(data: dict) -> Change | str:
        if not question or not answer:
            return "Cần cả câu hỏi và câu trả lời."
        number = len(data.get("faqs") or [])
        return Change(
            slug, f"faqs[{number}]", ("faqs",), None, {"questions": [question], "answer": answer}, kind="append"
        )

    return _apply(content_dir, slug, change)


def set_answer(content_dir: Path, slug: str, faq_index: int, answer: str) -> EditResult:
    answer = _clean(answer)

    def change(data: dict) -> Change | str:
        faqs = data.get("faqs") or []
        if not answer:
            return "Câu trả lời đang trống."
        if not 0 <= faq_index < len(faqs):
            return f"Thủ tục {slug} không có câu hỏi thường gặp số {faq_index + 1}."
        return Change(
            slug, f"faqs[{faq_index}].answer", ("faqs", faq_index, "answer"), faqs[faq_index].get("answer"), answer
        )

    return _apply(content_dir, slug, change)
