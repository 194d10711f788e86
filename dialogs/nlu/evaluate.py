"""Scoring an NLU backend: per-intent precision/recall/F1, macro-F1, top confusions, entity accuracy.

Test sets come as Rasa YAML (like the training data) or JSON lines (`{"text", "intent", "entities":
{name: value}}`, optionally `"source"`). `held_out_split` carves a deterministic 20% out of our own data
(by a hash of the text, so it is stable across runs and machines) to score a model on data it never saw.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from dialogs.nlu.training_data import Example, TrainingData, load_training_data
from dialogs.nlu.types import NluBackend

HELD_OUT_FRACTION = 0.2


@dataclass(frozen=True)
class EvalItem:
    """One labelled test message."""

    text: str
    intent: str
    entities: Mapping[str, str]
    source: str = ""


@dataclass(frozen=True)
class IntentScores:
    """Precision, recall and F1 of one intent."""

    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EvalReport:
    """The outcome of scoring a backend on a test set."""

    intents: tuple[IntentScores, ...]
    macro_f1: float
    accuracy: float
    confusions: tuple[tuple[str, str, int], ...]  # (gold, predicted, count), most frequent first
    entity_accuracy: float | None  # None when the set has no gold entities
    entity_total: int
    per_source: Mapping[str, tuple[int, float]]  # source -> (items, accuracy)
    total: int

    def recall_of(self, intent: str) -> float | None:
        """Recall of one intent, or None when the set has none of it."""
        for scores in self.intents:
            if scores.intent == intent and scores.support:
                return scores.recall
        return None


def _normalised_text(text: str) -> str:
    return " ".join(text.split())


def _in_held_out(text: str, fraction: float) -> bool:
    digest = hashlib.sha256(_normalised_text(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def held_out_split(
    data: TrainingData, fraction: float = HELD_OUT_FRACTION
) -> tuple[TrainingData, list[EvalItem]]:
    """(training data without the held-out examples, the held-out examples as test items).

    The training half gets its own content hash so its cached model never collides with the full model.
    """
    kept: list[Example] = []
    held: list[EvalItem] = []
    for example in data.examples:
        if _in_held_out(example.text, fraction):
            held.append(_item_from_example(example))
        else:
            kept.append(example)
    split_hash = hashlib.sha256(f"{data.content_hash}:held-out:{fraction}".encode()).hexdigest()
    return replace(data, examples=tuple(kept), content_hash=split_hash), held


def _item_from_example(example: Example) -> EvalItem:
    entities = {span.entity: span.value for span in example.entities}
    return EvalItem(text=example.text, intent=example.intent, entities=entities)


def load_eval_items(path: Path) -> list[EvalItem]:
    """Test items from a JSON-lines file (`.jsonl`/`.json`) or from Rasa NLU YAML (file or directory)."""
    if path.is_file() and path.suffix in {".jsonl", ".json"}:
        items: list[EvalItem] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            entities = {str(k): str(v) for k, v in (row.get("entities") or {}).items()}
            items.append(EvalItem(str(row["text"]), str(row["intent"]), entities, str(row.get("source", ""))))
        return items
    return [_item_from_example(example) for example in load_training_data(path).examples]


def evaluate(backend: NluBackend, items: Sequence[EvalItem], *, now: datetime) -> EvalReport:
    """Parse every item and score the predictions.

    Macro-F1 averages over the intents present in the test set (scikit-learn's `labels=` convention):
    predictions into other intents still count, as lost recall of the true intent.
    """
    gold: list[str] = []
    predicted: list[str] = []
    entity_total = entity_correct = 0
    by_source: dict[str, list[bool]] = defaultdict(list)
    for item in items:
        result = backend.parse(item.text, now=now)
        gold.append(item.intent)
        predicted.append(result.intent.name)
        by_source[item.source or "-"].append(result.intent.name == item.intent)
        found = {(e.entity, e.value) for e in result.entities}
        for name, value in item.entities.items():
            entity_total += 1
            entity_correct += (name, value) in found
    scores = intent_scores(gold, predicted)
    confusions = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    return EvalReport(
        intents=scores,
        macro_f1=sum(s.f1 for s in scores) / len(scores) if scores else 0.0,
        accuracy=sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0,
        confusions=tuple((g, p, n) for (g, p), n in confusions.most_common()),
        entity_accuracy=entity_correct / entity_total if entity_total else None,
        entity_total=entity_total,
        per_source={s: (len(v), sum(v) / len(v)) for s, v in sorted(by_source.items())},
        total=len(gold),
    )


def intent_scores(gold: Sequence[str], predicted: Sequence[str]) -> tuple[IntentScores, ...]:
    """Per-intent precision/recall/F1 for the intents that occur in `gold`."""
    result: list[IntentScores] = []
    for intent in sorted(set(gold)):
        tp = sum(g == p == intent for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == intent != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == intent != p for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result.append(IntentScores(intent, precision, recall, f1, tp + fn))
    return tuple(result)


def format_report(report: EvalReport, *, top_confusions: int = 10) -> str:
    """A plain-text table of the report, for the CLI."""
    lines = [f"{'intent':<16} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>5}"]
    lines.extend(
        f"{s.intent:<16} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.support:5d}"
        for s in report.intents
    )
    lines.append(
        f"{'macro-F1':<16} {report.macro_f1:6.3f}   accuracy {report.accuracy:.3f}   n={report.total}"
    )
    if report.entity_accuracy is not None:
        lines.append(f"entity accuracy  {report.entity_accuracy:.3f} ({report.entity_total} gold entities)")
    if len(report.per_source) > 1:
        lines.extend(
            f"source {name:<12} accuracy {acc:.3f} n={n}" for name, (n, acc) in report.per_source.items()
        )
    if report.confusions:
        lines.append("top confusions (gold -> predicted):")
        lines.extend(f"  {g} -> {p}: {n}" for g, p, n in report.confusions[:top_confusions])
    return "\n".join(lines)


def texts_of(items: Iterable[EvalItem]) -> set[str]:
    """Whitespace-normalised texts (to check that no test text is in the training data)."""
    return {_normalised_text(item.text) for item in items}
