"""Procedure ids and their official codes (CONTRACT.md section 1).

A procedure id is a curated procedure's slug ("khai-sinh") or, for a catalogue procedure that
has no slug, its official code (mã thủ tục of the National Public Service Portal, "1.013978").
Every reader that needs the codes of a procedure (the action server's turn summary, the gateway,
`trolyao eval nlu`) asks `codes_of`, so there is one rule for what an id's codes are.

Imports nothing heavy: the gateway uses it without loading any content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# The official code format, as the content checker accepts it (tthc/content/schema.py, "code").
OFFICIAL_CODE = re.compile(r"^\d\.\d{6}(\.[0-9A-Z.]+)?$")


def is_official_code(value: object) -> bool:
    """True for an official code like "1.001193"; False for a slug or anything else."""
    return isinstance(value, str) and bool(OFFICIAL_CODE.match(value))


def codes_of(procedure_id: str | None, content: Any = None) -> list[str]:
    """The official codes of a procedure id, in the content's order, without duplicates.

    - a procedure of ``content`` (its ``procedures`` mapping, keyed by id): its file's ``codes``;
    - an id that is an official code: ``[that code]``;
    - anything else (no id, a slug unknown to ``content``, no content given): ``[]``.
    """
    if not isinstance(procedure_id, str) or not procedure_id:
        return []
    procedures = getattr(content, "procedures", None) or {}
    procedure = procedures.get(procedure_id)
    if procedure is not None:
        found = (str(entry.get("code") or "").strip() for entry in getattr(procedure, "codes", None) or [])
        return list(dict.fromkeys(code for code in found if code))
    return [procedure_id] if is_official_code(procedure_id) else []


def is_correct(procedure_id: str | None, codes: Iterable[str], slug: str | None, wanted: Iterable[str]) -> bool:
    """A procedure (its id and codes) is a correct answer to a label naming ``slug`` and/or the
    official codes ``wanted``: it is that slug, or it carries one of those codes."""
    if procedure_id is None:
        return False
    if slug and procedure_id == slug:
        return True
    wanted = set(wanted)
    return bool(wanted) and (procedure_id in wanted or not wanted.isdisjoint(codes))
