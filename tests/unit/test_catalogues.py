"""The message catalogues: both languages hold the same ids with the same placeholders, and every id the
code uses exists (so a resident never sees a missing-text error)."""

from __future__ import annotations

import re
import string
from pathlib import Path

from dialogs.i18n import Catalog, normalize_language

ROOT = Path(__file__).resolve().parents[2]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_languages_have_the_same_ids_and_placeholders() -> None:
    catalog = Catalog.load()
    assert catalog.keys("zh") == catalog.keys("en")
    for key in catalog.keys("zh"):
        assert placeholders(catalog.raw("zh", key)) == placeholders(catalog.raw("en", key)), key


def test_every_literal_id_used_in_code_exists() -> None:
    catalog = Catalog.load()
    used: set[str] = set()
    pattern = re.compile(r"""(?:\.say|\.t|\.button)\(\s*"([a-z_]+\.[a-z_.]+)\"""")
    for path in [*ROOT.joinpath("dialogs").rglob("*.py"), *ROOT.joinpath("bot").rglob("*.py")]:
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found no message ids"
    assert used - catalog.keys("zh") == set()


def test_language_codes_map_to_catalogues() -> None:
    assert normalize_language("zh-hans") == "zh"
    assert normalize_language("en-GB") == "en"
    assert normalize_language(None) == "zh"
    assert normalize_language("ru") == "en"
