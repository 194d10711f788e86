"""Cleaning what people type before anything reads or stores it.

Control characters (a NUL byte is refused by PostgreSQL's text columns, others break terminals and parse
modes) are removed; line breaks and tabs stay. Over-long messages are not cut silently: the engine asks for
a shorter one, so nothing the resident meant is lost.
"""

from __future__ import annotations

import unicodedata

MAX_TEXT = 2000  # characters; a request longer than this is almost always a paste by mistake
_KEEP = {"\n", "\t"}


def clean(text: str) -> str:
    """The text without control characters (line breaks and tabs kept)."""
    return "".join(ch for ch in text if ch in _KEEP or unicodedata.category(ch) != "Cc")
