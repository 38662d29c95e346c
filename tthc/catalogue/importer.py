"""Import the portal's export (records/<ministry>/<code>.json) into content/catalogue/.

    import_catalogue(dirs, content_dir, progress=None, today=None) -> ImportReport
    report_lines(report) -> list[str]          the report in Vietnamese, for the CLI

Every record is validated like `content check` validates content files: a record that cannot be
read or parsed, a duplicate code, a file outside a known ministry folder gives a problem naming
the file and the field, and the other records are still imported. A record with problems keeps
its previous version in the catalogue when there is one. Files are replaced whole (temp file,
then rename), so the catalogue on disk is always a complete one.

Importing some ministry folders replaces those ministries only: their procedures missing from
the new export are removed; the other ministries' files are left as they are.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tthc.catalogue.model import FIELD_LABELS, MINISTRIES, CatalogueProcedure, to_dict
from tthc.catalogue.parse import CODE, Problem, RecordError, parse_record, read_record
from tthc.catalogue.store import (
    DIRNAME,
    SUFFIX,
    CatalogueError,
    load_ministry,
    ministry_text,
    replace_files,
)

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    records: int = 0  # record files read
    imported: int = 0  # records that parsed without problems
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # code -> changed fields
    kept: list[str] = field(default_factory=list)  # codes whose new record failed: previous version kept
    unchanged: int = 0
    total: int = 0  # procedures in the catalogue after the import
    problems: list[Problem] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # code -> name, for the report
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict:
        return {
            "records": self.records,
            "imported": self.imported,
            "total": self.total,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "kept": self.kept,
            "unchanged": self.unchanged,
            "problems": [asdict(p) for p in self.problems],
            "written": self.written,
            "seconds": round(self.seconds, 2),
        }


def import_catalogue(
    dirs: Sequence[Path | str],
    content_dir: Path | str,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> ImportReport:
    started = time.perf_counter()
    today = today or dt.date.today()
    report = ImportReport()
    target = Path(content_dir) / DIRNAME

    files, problems = _record_files(dirs)
    report.problems.extend(problems)
    old, unreadable = _load_old(target, report)
    imported_ministries = {ministry for _, ministry in files}

    parsed: dict[str, list[tuple[Path, CatalogueProcedure]]] = defaultdict(list)
    failed: set[str] = set()  # codes whose record has problems
    for index, (path, ministry) in enumerate(files, start=1):
        procedure, code = _parse_file(path, ministry, today, report)
        if procedure is not None:
            parsed[procedure.code].append((path, procedure))
        elif code:
            failed.add(code)
        if progress:
            progress(index, len(files))
    report.records = len(files)

    fresh: dict[str, CatalogueProcedure] = {}
    for code, found in sorted(parsed.items()):
        if len(found) > 1:
            others = ", ".join(str(p) for p, _ in found)
            for path, _ in found:
                report.problems.append(
                    Problem(str(path), "ma_thu_tuc", f"mã {code} trùng trong nhiều tệp ({others}); không nhập tệp nào")
                )
            failed.add(code)
            continue
        fresh[code] = found[0][1]
    report.imported = len(fresh)

    result = {code: p for code, p in old.items() if p.ministry not in imported_ministries}
    for code, procedure in fresh.items():
        previous = old.get(code)
        if previous is not None and _content(previous) == _content(procedure):
            procedure = previous  # unchanged: keeps the date it was imported
        result[code] = procedure
    for code in sorted(failed - set(fresh)):
        if code in old:
            result[code] = old[code]
            report.kept.append(code)

    if not fresh:  # nothing could be imported: the catalogue stays exactly as it was
        report.kept, report.unchanged, report.total = [], len(old), len(old)
        report.seconds = time.perf_counter() - started
        return report
    _diff(old, result, report)

    moved_from = {old[c].ministry for c in old if c not in result or result[c].ministry != old[c].ministry}
    ministries = (imported_ministries | moved_from) - (unreadable - imported_ministries)
    changes: dict[Path, str | None] = {}
    for ministry in sorted(ministries):
        path = target / f"{ministry}{SUFFIX}"
        text = ministry_text(p for p in result.values() if p.ministry == ministry) or None
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if text != current:
            changes[path] = text
    report.written = [str(p) for p in replace_files(changes)]
    report.total = len(result)
    report.seconds = time.perf_counter() - started
    return report


def _record_files(dirs: Iterable[Path | str]) -> tuple[list[tuple[Path, str]], list[Problem]]:
    """(file, ministry folder) of every record under `dirs`: ministry folders, a folder holding
    ministry folders, or single record files; files in unknown folders are problems."""
    files: list[tuple[Path, str]] = []
    problems: list[Problem] = []
    known = ", ".join(MINISTRIES)

    def add_folder(folder: Path) -> None:
        records = sorted(folder.glob("*.json"))
        if folder.name in MINISTRIES:
            files.extend((path, folder.name) for path in records)
            return
        for path in records:
            problems.append(
                Problem(
                    str(path),
                    None,
                    f"thư mục '{folder.name}' không phải thư mục bộ, ngành đã biết ({known}); tệp không được nhập",
                )
            )

    for entry in dirs:
        path = Path(entry)
        if path.is_file():
            if path.parent.name in MINISTRIES:
                files.append((path, path.parent.name))
            else:
                problems.append(
                    Problem(
                        str(path),
                        None,
                        f"thư mục '{path.parent.name}' không phải thư mục bộ, ngành đã biết ({known}); "
                        "tệp không được nhập",
                    )
                )
        elif path.is_dir():
            subfolders = sorted(p for p in path.iterdir() if p.is_dir() and any(p.glob("*.json")))
            if path.name in MINISTRIES or not subfolders:
                add_folder(path)
            else:
                for folder in subfolders:
                    add_folder(folder)
                if any(path.glob("*.json")):
                    add_folder(path)
        else:
            problems.append(Problem(str(path), None, "không có tệp hay thư mục này"))
    unique = list(dict.fromkeys(files))
    return unique, problems


def _load_old(target: Path, report: ImportReport) -> tuple[dict[str, CatalogueProcedure], set[str]]:
    """The catalogue before the import; a ministry file that cannot be read is a problem, and is
    left untouched unless that ministry is re-imported."""
    old: dict[str, CatalogueProcedure] = {}
    unreadable: set[str] = set()
    for path in sorted(target.glob(f"*{SUFFIX}")):
        try:
            old.update(load_ministry(path))
        except (CatalogueError, OSError, UnicodeDecodeError) as exc:
            report.problems.append(
                Problem(str(path), None, f"danh mục hiện có không đọc được, không so sánh được với nó: {exc}")
            )
            unreadable.add(path.stem)
    return old, unreadable


def _parse_file(
    path: Path, ministry: str, today: dt.date, report: ImportReport
) -> tuple[CatalogueProcedure | None, str | None]:
    """The record's procedure, or None and the code it was meant to be (for keeping the old one)."""
    stem_code = path.stem if CODE.match(path.stem) else None
    try:
        data = read_record(path)
    except RecordError as exc:
        report.problems.append(Problem(str(path), None, str(exc)))
        return None, stem_code
    parsed = parse_record(data, ministry, str(path), today)
    report.problems.extend(parsed.problems)
    procedure = parsed.procedure
    if procedure is not None and stem_code and procedure.code != stem_code:
        report.problems.append(
            Problem(str(path), "ma_thu_tuc", f"mã thủ tục {procedure.code} khác tên tệp ({path.name})")
        )
        return None, stem_code
    code = (
        procedure.code if procedure else (data.get("ma_thu_tuc") if isinstance(data.get("ma_thu_tuc"), str) else None)
    )
    return procedure, (code if code and CODE.match(code) else stem_code)


def _content(procedure: CatalogueProcedure) -> dict:
    data = to_dict(procedure)
    data.pop("imported", None)
    return data


def _diff(old: dict[str, CatalogueProcedure], new: dict[str, CatalogueProcedure], report: ImportReport) -> None:
    report.added = sorted(set(new) - set(old))
    report.removed = sorted(set(old) - set(new))
    report.names = {
        code: p.name for code, p in {**old, **new}.items() if code in report.added or code in report.removed
    }
    unchanged = 0
    for code in sorted(set(old) & set(new)):
        if old[code] is new[code]:
            unchanged += 1
            continue
        before, after = _content(old[code]), _content(new[code])
        fields = [key for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key)]
        if fields:
            report.changed[code] = fields
            report.names[code] = new[code].name
        else:
            unchanged += 1
    report.unchanged = unchanged
    report.total = len(new)


# ---------------------------------------------------------------------------------------------
# The report in Vietnamese

_LISTED = 50  # added and removed procedures listed by the text report; --json lists them all


def report_lines(report: ImportReport) -> list[str]:
    bad = len({p.file for p in report.problems})
    lines = [
        f"Đã đọc {report.records} bản ghi trong {report.seconds:.1f} giây: {report.imported} bản ghi dùng được"
        + (f", {bad} tệp có lỗi." if bad else "."),
    ]
    if report.imported == 0:
        lines.append("Không nhập được bản ghi nào; danh mục giữ nguyên.")
    else:
        lines.append(
            f"Danh mục sau khi nhập: {report.total} thủ tục (thêm {len(report.added)}, bỏ {len(report.removed)}, "
            f"thay đổi {len(report.changed)}, không đổi {report.unchanged}"
            + (f", giữ bản cũ {len(report.kept)}" if report.kept else "")
            + ")."
        )
    for title, codes in (
        ("Thêm mới", report.added),
        ("Bỏ khỏi danh mục (không còn trong bản xuất mới)", report.removed),
    ):
        if codes:
            lines.append(f"{title} ({len(codes)}):")
            lines += [f"  {code} {report.names.get(code, '')}".rstrip() for code in codes[:_LISTED]]
            if len(codes) > _LISTED:
                lines.append(f"  ... và {len(codes) - _LISTED} thủ tục khác (xem đủ với --json)")
    if report.changed:
        lines.append(f"Thay đổi ({len(report.changed)}):")
        for code, fields in report.changed.items():
            labels = ", ".join(FIELD_LABELS.get(f, f) for f in fields)
            lines.append(f"  {code} {report.names.get(code, '')}: {labels}")
    if report.kept:
        lines.append(f"Giữ bản cũ vì bản ghi mới có lỗi ({len(report.kept)}): {', '.join(report.kept)}")
    if report.problems:
        lines.append(f"Lỗi ({len(report.problems)}):")
        lines += [f"  {problem}" for problem in report.problems]
    if report.written:
        lines.append("Đã ghi: " + ", ".join(report.written))
    elif report.imported:
        lines.append("Không có tệp nào cần ghi: danh mục đã đúng như bản xuất này.")
    return lines
