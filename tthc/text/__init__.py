"""Vietnamese text: normalization, accent-insensitive keys, teencode and word segmentation.

normalize_text, strip_accents, accent_key   text normalization (tthc.text.normalize)
tokenize, WordToken                          word segmentation with offsets (underthesea, lazy)
"""

from tthc.text.normalize import accent_key, normalize_text, strip_accents
from tthc.text.tokenize import WordToken, tokenize

__all__ = ["WordToken", "accent_key", "normalize_text", "strip_accents", "tokenize"]
