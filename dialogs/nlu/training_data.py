"""Load Rasa 3.x NLU YAML (one file or a directory of files) into typed, frozen records.

The data in `nlu_data/` must stay trainable by a real Rasa server unchanged, so we read Rasa's own format
rather than inventing ours: intent examples (with `[text](entity)` / `[text]{"entity": ..., "value": ...}`
markup, stripped here while the spans are kept), synonyms, regexes and lookup tables. The content hash lets
the model cache notice when the data changed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# `[surface](entity)`, `[surface](entity:value)`, `[surface]{json}` or `[surface][{json}, ...]`.
_ANNOTATION = re.compile(
    r"\[(?P<text>[^\[\]]+?)\](?:\((?P<short>[^()]+)\)|(?P<json>\{[^{}]*\})|(?P<list>\[\{.*?\}\]))"
)
# libyaml's loader when available: the data is a few thousand lines, and loading is on the startup path.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LIST_ITEM = re.compile(r"^\s*-\s?(.*)$")


@dataclass(frozen=True)
class EntitySpan:
    """An annotated entity inside a (markup-free) example text."""

    entity: str
    value: str
    start: int
    end: int

    @property
    def surface_in(self) -> slice:
        """The slice of the example text this span covers."""
        return slice(self.start, self.end)


@dataclass(frozen=True)
class Example:
    """One training utterance with its intent and entity spans."""

    text: str
    intent: str
    entities: tuple[EntitySpan, ...] = ()


@dataclass(frozen=True)
class Synonym:
    """Surface forms that all mean the canonical `value` (Rasa's `synonym:` block)."""

    value: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class RegexFeature:
    """A named regular expression (Rasa's `regex:` block)."""

    name: str
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class Lookup:
    """A named lookup table (Rasa's `lookup:` block)."""

    name: str
    elements: tuple[str, ...]


@dataclass(frozen=True)
class TrainingData:
    """Everything the NLU data defines, plus a hash of its content for cache keys."""

    examples: tuple[Example, ...]
    synonyms: tuple[Synonym, ...] = ()
    regexes: tuple[RegexFeature, ...] = ()
    lookups: tuple[Lookup, ...] = ()
    content_hash: str = ""
    intents: tuple[str, ...] = field(default=())

    def synonym_map(self) -> dict[str, str]:
        """Surface form (casefolded) -> canonical value, from synonym blocks and annotated spans."""
        mapping: dict[str, str] = {}
        for example in self.examples:
            for span in example.entities:
                surface = example.text[span.surface_in]
                if surface != span.value:
                    mapping[surface.casefold()] = span.value
        for synonym in self.synonyms:
            for surface in synonym.examples:
                mapping[surface.casefold()] = synonym.value
        return mapping


def parse_annotated(text: str) -> tuple[str, tuple[EntitySpan, ...]]:
    """Strip Rasa entity markup from one example; return the plain text and the entity spans."""
    plain: list[str] = []
    spans: list[EntitySpan] = []
    cursor = 0
    length = 0
    for match in _ANNOTATION.finditer(text):
        before = text[cursor : match.start()]
        plain.append(before)
        length += len(before)
        surface = match.group("text")
        entity, value = _annotation_target(match, surface)
        spans.append(EntitySpan(entity=entity, value=value, start=length, end=length + len(surface)))
        plain.append(surface)
        length += len(surface)
        cursor = match.end()
    plain.append(text[cursor:])
    return "".join(plain), tuple(spans)


def _annotation_target(match: re.Match[str], surface: str) -> tuple[str, str]:
    """The (entity, value) an annotation names; the value defaults to the surface text, as in Rasa."""
    short = match.group("short")
    if short is not None:
        entity, _, value = short.partition(":")
        return entity.strip(), (value.strip() or surface)
    raw = match.group("json") or match.group("list") or "{}"
    loaded: Any = json.loads(raw)
    first: dict[str, Any] = loaded[0] if isinstance(loaded, list) else loaded
    return str(first.get("entity", "")), str(first.get("value", surface))


def _items(block: Any) -> Iterator[str]:
    """The list items of a Rasa `examples:` value: a `- item` block string, or a list of strings/dicts."""
    if isinstance(block, str):
        for line in block.splitlines():
            match = _LIST_ITEM.match(line)
            if match and match.group(1).strip():
                yield match.group(1).strip()
    elif isinstance(block, list):
        for item in block:
            if isinstance(item, dict):
                text = item.get("text")
                if isinstance(text, str) and text.strip():
                    yield text.strip()
            elif isinstance(item, str) and item.strip():
                yield item.strip()


def _yaml_files(source: Path) -> list[Path]:
    """A file, or every YAML file below a directory in a stable order (config files have no `nlu:`)."""
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file())


def content_hash(files: Iterable[Path], root: Path) -> str:
    """A SHA-256 over the relative names and bytes of the files, so renames and edits both count."""
    digest = hashlib.sha256()
    for path in files:
        name = path.name if root.is_file() else path.relative_to(root).as_posix()
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def load_training_data(source: Path) -> TrainingData:
    """Read Rasa 3.x NLU YAML from a file or directory (files without an `nlu:` key are ignored)."""
    files = _yaml_files(source)
    examples: list[Example] = []
    synonyms: list[Synonym] = []
    regexes: list[RegexFeature] = []
    lookups: list[Lookup] = []
    nlu_files: list[Path] = []
    for path in files:
        document: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        if not isinstance(document, dict) or not isinstance(document.get("nlu"), list):
            continue
        nlu_files.append(path)
        for block in document["nlu"]:
            if not isinstance(block, dict):
                continue
            items = list(_items(block.get("examples")))
            if "intent" in block:
                intent = str(block["intent"])
                for item in items:
                    text, spans = parse_annotated(item)
                    examples.append(Example(text=text, intent=intent, entities=spans))
            elif "synonym" in block:
                synonyms.append(Synonym(value=str(block["synonym"]), examples=tuple(items)))
            elif "regex" in block:
                regexes.append(RegexFeature(name=str(block["regex"]), patterns=tuple(items)))
            elif "lookup" in block:
                lookups.append(Lookup(name=str(block["lookup"]), elements=tuple(items)))
    intents = tuple(sorted({example.intent for example in examples}))
    return TrainingData(
        examples=tuple(examples),
        synonyms=tuple(synonyms),
        regexes=tuple(regexes),
        lookups=tuple(lookups),
        content_hash=content_hash(nlu_files, source),
        intents=intents,
    )
