"""`BuiltinNlu`: the in-process NLU backend (intent model + emergency rules + entity extractors)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from dialogs.nlu.classifier import IntentClassifier, TrainReport, load_or_train
from dialogs.nlu.emergency import Verdict, check_emergency
from dialogs.nlu.entities import Gazetteer, build_gazetteers, extract_phones, extract_rooms
from dialogs.nlu.timeparse import TimeExtractor
from dialogs.nlu.training_data import TrainingData, load_training_data
from dialogs.nlu.types import Entity, Intent, IntentScore, ParseResult

# When a rule forces the emergency intent, its confidence is at least this.
RULE_CONFIDENCE = 0.9
# Below this top confidence the message is out of scope (like Rasa's FallbackClassifier). Chosen on the
# held-out split of our own data (0.2 was best of 0-0.5); emergencies are never demoted by it.
FALLBACK_THRESHOLD = 0.2


class BuiltinNlu:
    """Understands messages with a model trained from `nlu_data/`; implements `NluBackend`."""

    def __init__(
        self,
        *,
        classifier: IntentClassifier,
        gazetteers: Sequence[Gazetteer],
        data: TrainingData,
        train_report: TrainReport | None = None,
    ) -> None:
        self.classifier = classifier
        self.data = data
        self.train_report = train_report
        self._gazetteers = tuple(gazetteers)
        self._times = TimeExtractor()

    @classmethod
    def load(cls, data_dir: Path, cache_dir: Path, *, force_train: bool = False) -> BuiltinNlu:
        """Load the model for the data in `data_dir` from `cache_dir`, training it first when needed."""
        return cls.from_data(load_training_data(data_dir), cache_dir, force_train=force_train)

    @classmethod
    def from_data(cls, data: TrainingData, cache_dir: Path, *, force_train: bool = False) -> BuiltinNlu:
        """Like `load`, for data already read (the evaluation trains on a split of it)."""
        if not data.examples:
            raise ValueError("the NLU training data has no intent examples")
        texts = [e.text for e in data.examples]
        labels = [e.intent for e in data.examples]
        classifier, report = load_or_train(texts, labels, cache_dir, data.content_hash, force=force_train)
        return cls(classifier=classifier, gazetteers=build_gazetteers(data), data=data, train_report=report)

    def warm_up(self) -> None:
        """Import the lazy time parsers now rather than on the first message that mentions a time."""
        self._times.warm_up()

    def parse(self, text: str, *, now: datetime) -> ParseResult:
        """Intent ranking (with the emergency rules applied) and entities of one message."""
        return self.parse_many([text], now=now)[0]

    def parse_many(self, texts: Sequence[str], *, now: datetime) -> list[ParseResult]:
        """`parse` of each text; the model scores them all at once."""
        results: list[ParseResult] = []
        for text, ranked in zip(texts, self.classifier.scores_many(texts), strict=True):
            ranking = apply_fallback(adjust_for_emergency(text, ranked))
            scores = tuple(IntentScore(name, confidence) for name, confidence in ranking)
            results.append(
                ParseResult(
                    text=text, intent=scores[0], intent_ranking=scores, entities=self.entities(text, now=now)
                )
            )
        return results

    def entities(self, text: str, *, now: datetime) -> tuple[Entity, ...]:
        """All entities, in text order; rooms and times never overlap a phone number (nor times a room)."""
        phones = extract_phones(text)
        rooms = extract_rooms(text, skip=[(e.start, e.end) for e in phones])
        taken = [(e.start, e.end) for e in (*phones, *rooms)]
        times = [
            e
            for e in self._times.extract(text, now=now)
            if not any(e.start < b and a < e.end for a, b in taken)
        ]
        found: list[Entity] = [*phones, *rooms, *times]
        for gazetteer in self._gazetteers:
            found.extend(gazetteer.extract(text))
        return tuple(sorted(found, key=lambda e: (e.start, e.end, e.entity)))


def adjust_for_emergency(text: str, ranking: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Apply the emergency rules to a model ranking: force emergency to the top, or rule it out."""
    check = check_emergency(text)
    emergency = Intent.EMERGENCY.value
    current = dict(ranking).get(emergency)
    if check.verdict is Verdict.UNDECIDED or current is None:
        return ranking
    target = max(current, RULE_CONFIDENCE) if check.verdict is Verdict.EMERGENCY else 0.0
    rest = 1.0 - current
    scale = (1.0 - target) / rest if rest > 0 else 0.0
    adjusted = [(name, target if name == emergency else p * scale) for name, p in ranking]
    return sorted(adjusted, key=lambda item: -item[1])


def apply_fallback(ranking: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Put out_of_scope first when no intent is confident enough (the rest keep their order)."""
    top_name, top_confidence = ranking[0]
    fallback = Intent.OUT_OF_SCOPE.value
    if top_confidence >= FALLBACK_THRESHOLD or top_name in {fallback, Intent.EMERGENCY.value}:
        return ranking
    scores = dict(ranking)
    if fallback not in scores:
        return ranking
    lifted = 1.0 - top_confidence  # the model's own doubt about its best guess
    return [(fallback, lifted), *((n, p) for n, p in ranking if n != fallback)]
