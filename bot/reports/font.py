"""The CJK font the charts use, shipped by a PyPI package so `pip install` brings it on any machine.

`mplfonts` carries Noto Sans CJK SC (SIL Open Font License). It is found by its installed location, not by
importing the package (whose import sets matplotlib defaults globally), and registered with matplotlib by
file path, so a chart never silently falls back to a font without Chinese glyphs (tofu boxes).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

FONT_PACKAGE = "mplfonts"
FONT_FILE = "fonts/NotoSansCJKsc-Regular.otf"


class FontMissingError(RuntimeError):
    """The CJK font package is not installed (run `pip install -e .`)."""


@cache
def cjk_font_path() -> Path:
    """The font file on this machine."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    locations = spec.submodule_search_locations if spec is not None else None
    if not locations:
        raise FontMissingError(f"the {FONT_PACKAGE} package (CJK font for charts) is not installed")
    path = Path(next(iter(locations))) / FONT_FILE
    if not path.is_file():
        raise FontMissingError(f"{path} is missing from the {FONT_PACKAGE} package")
    return path


@cache
def cjk_font_name() -> str:
    """Register the font with matplotlib and return its family name (to put first in `font.family`)."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


@cache
def _codepoints() -> frozenset[int]:
    return frozenset(FT2Font(str(cjk_font_path())).get_charmap())


def missing_glyphs(text: str) -> set[str]:
    """Characters of `text` the font cannot draw (whitespace aside): empty means no tofu."""
    covered = _codepoints()
    return {char for char in text if not char.isspace() and ord(char) not in covered}
