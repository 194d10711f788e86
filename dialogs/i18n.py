"""Message catalogues: every word the bot says comes from here, keyed by id, in zh_CN and en.

Catalogues are YAML files in `dialogs/locales/` (`zh.yaml`, `en.yaml`) so translators edit text, not code.
A part of the product may keep its texts in a file of its own beside them (`zh.followups.yaml`,
`en.followups.yaml`): all files of a language are merged, and an id defined twice is an error.
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
        folder = resources.files("dialogs").joinpath("locales")
        names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".yaml"))
        for lang in SUPPORTED_LANGUAGES:
            table: dict[str, str] = {}
            for name in [n for n in names if n == f"{lang}.yaml" or n.startswith(f"{lang}.")]:
                data = yaml.safe_load(folder.joinpath(name).read_text(encoding="utf-8"))
                if not isinstance(data, dict):
                    raise ValueError(f"catalogue {name} must be a mapping of id to text")
                for key, value in data.items():
                    if str(key) in table:
                        raise ValueError(f"catalogue {name}: message id {key} is defined twice")
                    table[str(key)] = str(value)
            texts[lang] = table
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
