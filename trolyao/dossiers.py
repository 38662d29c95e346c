"""`trolyao dossiers import FILE.csv`: load the one-stop system's export for status look-ups."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from tthc.text.normalize import accent_key

# Column names seen in one-stop systems' exports (accent-insensitive), per field we keep.
COLUMNS = {
    "code": ("ma ho so", "so ho so", "ma so ho so", "code"),
    "procedure": ("ten thu tuc", "thu tuc", "ten thu tuc hanh chinh", "procedure"),
    "status": ("trang thai", "tinh trang", "trang thai ho so", "status"),
    "received": ("ngay tiep nhan", "ngay nhan", "ngay nop", "received"),
    "due": ("ngay hen tra", "han tra", "ngay hen tra ket qua", "due"),
    "office": ("co quan", "don vi", "co quan giai quyet", "noi giai quyet", "office"),
    "note": ("ghi chu", "note"),
}
REQUIRED = ("code", "status")
LABELS = {"code": "Mã hồ sơ", "status": "Trạng thái"}


class DossierImportError(SystemExit):
    """A file that cannot be imported, said in one Vietnamese sentence."""


@dataclass
class ImportResult:
    rows: list[dict[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def map_header(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = accent_key(name).strip()
        for field_name, aliases in COLUMNS.items():
            if key in aliases and field_name not in found:
                found[field_name] = index
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        wanted = " và ".join(f"'{LABELS[f]}'" for f in missing)
        raise DossierImportError(f"Tệp CSV thiếu cột {wanted} (các cột đang có: {', '.join(header)}).")
    return found


def read_rows(stream: TextIO) -> Iterator[tuple[int, dict[str, str] | str]]:
    """(line, row) for each data line, or (line, reason) for a line that cannot be used."""
    first_line = stream.readline()
    stream.seek(0)
    delimiter = max(",;\t", key=first_line.count)  # Excel in Vietnamese locales writes ';'
    reader = csv.reader(stream, delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise DossierImportError("Tệp CSV trống.")
    columns = map_header(header)
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        row = {name: cells[i].strip() for name, i in columns.items() if i < len(cells)}
        if not row.get("code") or not row.get("status"):
            yield line, "thiếu mã hồ sơ hoặc trạng thái"
        else:
            yield line, row


def import_file(path: Path, store: object, progress: TextIO = sys.stderr) -> ImportResult:
    result = ImportResult()
    try:
        stream = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DossierImportError(f"Không mở được tệp {path}: {exc.strerror}.") from exc
    with stream:
        for line, row in read_rows(stream):
            if isinstance(row, str):
                result.skipped.append(f"dòng {line}: {row}")
                continue
            result.rows.append(row)
            if len(result.rows) % 1000 == 0:
                print(f"  đã đọc {len(result.rows)} hồ sơ...", file=progress, flush=True)
    store.import_dossiers(result.rows)  # type: ignore[attr-defined]
    return result
