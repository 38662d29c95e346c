"""The content base: procedure and locality files that officers edit.

    load_content(dir) -> ContentBase         parse and validate, raising ContentError
    check_content(dir) -> CheckReport        every problem, with file, line and column
    LiveContent(dir)                         the last good content, reloaded when files change

Officers' tools, imported on use (they pull in openpyxl):
    tthc.content.spreadsheet              export_xlsx / import_xlsx: FAQs and main facts in Excel
    tthc.content.dvc_import               draft_from_dvc / import_dvc: draft from a Cổng DVCQG record
"""

from tthc.content.check import CheckReport, Problem, check_content
from tthc.content.live import LiveContent
from tthc.content.model import ContentBase, ContentError, Locality, Procedure, UnknownLocality, load_content

__all__ = [
    "CheckReport",
    "ContentBase",
    "ContentError",
    "LiveContent",
    "Locality",
    "Problem",
    "Procedure",
    "UnknownLocality",
    "check_content",
    "load_content",
]
