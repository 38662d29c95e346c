"""The content base: procedure and locality files that officers edit.

    load_content(dir) -> ContentBase         parse and validate, raising ContentError
    check_content(dir) -> CheckReport        every problem, with file, line and column
    LiveContent(dir)                         the last good content, reloaded when files change
"""

from trolyao.content.check import CheckReport, Problem, check_content
from trolyao.content.live import LiveContent
from trolyao.content.model import ContentBase, ContentError, Locality, Procedure, load_content

__all__ = [
    "CheckReport",
    "ContentBase",
    "ContentError",
    "LiveContent",
    "Locality",
    "Problem",
    "Procedure",
    "check_content",
    "load_content",
]
