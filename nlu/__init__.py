"""Vietnamese language pieces shared by the Rasa pipeline, the action server and the tools.

Public API (callers never reach into the modules):
    normalize_text, strip_accents, accent_key   text normalization
    tokenize, WordToken                          word segmentation with offsets
    ProcedureIndex, Candidate                    procedure retrieval over the content base
"""

from nlu.normalize import accent_key, normalize_text, strip_accents
from nlu.tokenize import WordToken, tokenize

__all__ = [
    "WordToken",
    "accent_key",
    "normalize_text",
    "strip_accents",
    "tokenize",
]


def __getattr__(name: str):  # lazy: retrieval pulls in rapidfuzz only when used
    if name in {"ProcedureIndex", "Candidate"}:
        from nlu import retrieval

        return getattr(retrieval, name)
    raise AttributeError(name)
