"""Write the held-out split of `nlu_data/` as Rasa YAML, for training a Rasa server on exactly the 80 % the
built-in model's held-out score trains on (the side-by-side comparison in docs/benchmarks.md).

`python -m benchmarks.rasa_split OUT_DIR` writes OUT_DIR/train/ (the kept examples with their entity markup,
plus every synonym, regex and lookup) and OUT_DIR/test.yml (the held-out examples). Train Rasa 3.6 with
`rasa train nlu --nlu OUT_DIR/train --config nlu_data/config.yml` and score both on the same test file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from bot.settings import repo_root
from dialogs.nlu.evaluate import held_out_split
from dialogs.nlu.training_data import Example, load_training_data


def annotate(example: Example) -> str:
    """The example text with Rasa entity markup put back."""
    text = example.text
    for span in sorted(example.entities, key=lambda s: s.start, reverse=True):
        surface = text[span.start : span.end]
        if surface == span.value:
            markup = f"[{surface}]({span.entity})"
        else:
            markup = f'[{surface}]{{"entity": "{span.entity}", "value": "{span.value}"}}'
        text = text[: span.start] + markup + text[span.end :]
    return text


def blocks(examples: list[Example]) -> list[dict[str, str]]:
    """Rasa `nlu:` intent blocks."""
    by_intent: dict[str, list[str]] = {}
    for example in examples:
        by_intent.setdefault(example.intent, []).append(annotate(example))
    return [
        {"intent": intent, "examples": "".join(f"- {line}\n" for line in lines)}
        for intent, lines in sorted(by_intent.items())
    ]


class _LiteralDumper(yaml.SafeDumper):
    """Dumps multi-line strings as `|` blocks, the way Rasa's own files look."""


def _literal(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _literal)


def dump(data: object) -> str:
    """YAML in Rasa's layout."""
    return yaml.dump(data, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False)


def main(out: Path) -> None:
    """Write the split."""
    source = repo_root() / "nlu_data" / "nlu"
    data = load_training_data(source)
    kept, held = held_out_split(data)
    (out / "train").mkdir(parents=True, exist_ok=True)
    train = {"version": "3.1", "nlu": blocks(list(kept.examples))}
    (out / "train" / "examples.yml").write_text(dump(train), encoding="utf-8")
    entities = source / "entities.yml"
    (out / "train" / "entities.yml").write_text(entities.read_text(encoding="utf-8"), encoding="utf-8")
    test_examples = [e for e in data.examples if e.text in {item.text for item in held}]
    test = {"version": "3.1", "nlu": blocks(test_examples)}
    (out / "test.yml").write_text(dump(test), encoding="utf-8")
    print(f"train: {len(kept.examples)} examples, test: {len(test_examples)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
