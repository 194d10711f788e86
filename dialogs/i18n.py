"""Message catalogues: every word the bot says comes from here, keyed by id, in zh_CN and en.

Catalogues are YAML files in `dialogs/locales/` (`zh.yaml`, `en.yaml`) so translators edit text, not code.
Chinese is the product's first language: an unknown language falls back to it, and a key missing from a
catalogue is an error caught by the catalogue tests rather than shown to a resident.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml

SUPPORTED_LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def normalize_language(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Map a channel's language code (`zh-hans`, `en-US`, None) to a catalogue language."""
    if not code:
        return default
    code = code.lower()
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    # A resident whose app is in another language reads English more often than Chinese.
    return "en"


class Catalog:
    """All catalogues, loaded once at start-up by the composition root."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]]) -> None:
        self._texts = {lang: dict(entries) for lang, entries in texts.items()}

    @classmethod
    def load(cls) -> Catalog:
        """Read the packaged catalogues."""
        texts: dict[str, dict[str, str]] = {}
        for lang in SUPPORTED_LANGUAGES:
            raw = resources.files("dialogs").joinpath("locales", f"{lang}.yaml").read_text(encoding="utf-8")
            data = yaml.safe_load(raw)
            if not isinstance(data, dict):
                raise ValueError(f"catalogue {lang}.yaml must be a mapping of id to text")
            texts[lang] = {str(key): str(value) for key, value in data.items()}
        return cls(texts)

    def languages(self) -> tuple[str, ...]:
        """The languages this catalogue holds."""
        return tuple(self._texts)

    def keys(self, lang: str) -> set[str]:
        """Message ids of one language (for consistency tests)."""
        return set(self._texts[lang])

    def raw(self, lang: str, key: str) -> str:
        """The unformatted text of a message id."""
        table = self._texts.get(lang) or self._texts[DEFAULT_LANGUAGE]
        return table[key]

    def t(self, lang: str, key: str, **params: Any) -> str:
        """The text of `key` in `lang`, with `{placeholders}` filled in."""
        text = self.raw(lang, key)
        return text.format(**params) if params else text
