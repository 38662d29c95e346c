"""The catalogue on disk: content/catalogue/<ministry>.jsonl, one procedure per line.

    load_catalogue(dir) -> dict[code, CatalogueProcedure]      every ministry file, keyed by code
    ministry_text(procedures) -> str                            one file's text (sorted, stable)
    replace_files({path: text or None})                         write them all, or none

One line per procedure, sorted by code, keys in a fixed order and empty values left out: an
updated export changes only the lines of the procedures that changed, so a git diff is small and
reads per procedure. JSON lines load in well under a second for the whole catalogue and need
nothing outside the repository.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from tthc.catalogue.model import CatalogueProcedure, from_dict, to_dict

DIRNAME = "catalogue"
SUFFIX = ".jsonl"


class CatalogueError(ValueError):
    """A catalogue file that cannot be read: the file, the line and why."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        self.path, self.line = path, line
        super().__init__(f"{path}:{line}: {message}")


def catalogue_dir(directory: Path | str) -> Path:
    """The catalogue directory: `directory` itself, or its catalogue/ when given the content dir."""
    path = Path(directory)
    nested = path / DIRNAME
    if nested.is_dir() and not any(path.glob(f"*{SUFFIX}")):
        return nested
    return path


def ministry_files(directory: Path | str) -> list[Path]:
    return sorted(catalogue_dir(directory).glob(f"*{SUFFIX}"))


def load_ministry(path: Path) -> dict[str, CatalogueProcedure]:
    procedures: dict[str, CatalogueProcedure] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                procedure = from_dict(json.loads(line))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise CatalogueError(path, number, f"dòng không đọc được ({exc})") from exc
            if procedure.code in procedures:
                raise CatalogueError(path, number, f"mã {procedure.code} xuất hiện hai lần")
            procedures[procedure.code] = procedure
    return procedures


def load_catalogue(directory: Path | str) -> dict[str, CatalogueProcedure]:
    """Every procedure of the catalogue, keyed by official code (raises CatalogueError)."""
    procedures: dict[str, CatalogueProcedure] = {}
    for path in ministry_files(directory):
        for code, procedure in load_ministry(path).items():
            if code in procedures:
                raise CatalogueError(path, 0, f"mã {code} đã có trong tệp của {procedures[code].ministry}")
            procedures[code] = procedure
    return procedures


def signature(directory: Path | str) -> str:
    """Cheap change detector: names, sizes and modification times of the catalogue files."""
    parts = []
    for path in ministry_files(directory):
        stat = path.stat()
        parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def procedure_line(procedure: CatalogueProcedure) -> str:
    return json.dumps(to_dict(procedure), ensure_ascii=False, separators=(",", ":"))


def ministry_text(procedures: Iterable[CatalogueProcedure]) -> str:
    return "".join(procedure_line(p) + "\n" for p in sorted(procedures, key=lambda p: p.code))


def replace_files(changes: Mapping[Path, str | None]) -> list[Path]:
    """Write every new text to a temp file beside its target first, then rename them all over
    their targets (None deletes the file): a reader sees whole files, old or new, never half of
    one, and a failed write leaves every target as it was. Returns the paths changed."""
    temps: list[tuple[Path, str]] = []
    try:
        for path, text in changes.items():
            if text is None:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, 0o644)  # mkstemp makes it private; the catalogue is plain repository content
            temps.append((path, temp))
    except BaseException:
        for _, temp in temps:
            Path(temp).unlink(missing_ok=True)
        raise
    for path, temp in temps:
        os.replace(temp, path)
    for path, text in changes.items():
        if text is None:
            path.unlink(missing_ok=True)
    return list(changes)
