"""Reading a resident's free-text answer to a callback follow-up (回访): rating, sentiment, "solved".

Residents rarely answer "how satisfied are you (1-5)?" with a bare digit: they write "还行吧",
"非常满意，师傅很专业", "修完第二天又漏了" or "terrible, still leaking". A stated score ("5分", "四星",
"3/5", "five stars") is taken as it is (`feedback_cues.explicit_rating`); otherwise a small classifier of
the same kind as the intent model (`classifier.IntentClassifier`: n-grams + jieba words, logistic
regression, cached on disk keyed by a hash of its data) picks a satisfaction level. "Solved" comes only
from explicit cues (又漏了 / 修好了), because tone alone does not say whether the leak stopped.

The examples live in `feedback_data/` at the repository root, NOT below `nlu_data/`: the main model's
loader (`training_data.load_training_data(nlu_data/)`) and the Rasa commands in the docs read every YAML
file under `nlu_data/` recursively, so a subdirectory there would add six labels to the bot's 16-intent
model and to what a Rasa server is trained on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from dialogs.nlu.classifier import IntentClassifier, TrainReport, load_or_train
from dialogs.nlu.feedback_cues import explicit_rating, solved_cue
from dialogs.nlu.training_data import TrainingData, load_training_data

# The classifier's labels and the 1-5 rating each stands for; `unrelated` is an answer that rates nothing.
LEVELS: Mapping[str, int] = {
    "very_dissatisfied": 1,
    "dissatisfied": 2,
    "neutral": 3,
    "satisfied": 4,
    "very_satisfied": 5,
}
UNRELATED = "unrelated"
# Below this, the likeliest sentiment is a guess: the answer is read as giving no rating. With six labels an
# answer the model has no evidence about scores about 1/6 per label, so grouped sentiments land near 0.3-0.4.
MIN_CONFIDENCE = 0.45
# A number the resident wrote is what they meant.
EXPLICIT_CONFIDENCE = 1.0


class Sentiment(StrEnum):
    """How the resident feels about the handling."""

    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


def sentiment_of(rating: int) -> Sentiment:
    """4-5 positive, 3 neutral, 1-2 negative."""
    if rating >= 4:
        return Sentiment.POSITIVE
    if rating == 3:
        return Sentiment.NEUTRAL
    return Sentiment.NEGATIVE


@dataclass(frozen=True)
class FeedbackReading:
    """What one answer says. `rating` is None when it gives none (a question, a new request, noise).

    `confidence` is 1.0 for a stated score, else the model's probability of the sentiment it chose (or,
    with no rating, of the answer being unrelated). When the wording is unclear but a solved cue is
    present, the sentiment follows the cue (solved: positive, not solved: negative) with the model's
    probability for it.
    """

    rating: int | None
    sentiment: Sentiment
    solved: bool | None
    confidence: float


class FeedbackReader:
    """Reads follow-up answers; built by `load` from `feedback_data/`-style Rasa YAML."""

    def __init__(self, classifier: IntentClassifier, train_report: TrainReport | None = None) -> None:
        missing = (set(LEVELS) | {UNRELATED}) - set(classifier.classes)
        if missing:
            raise ValueError(f"the feedback model lacks the labels {sorted(missing)}")
        self.classifier = classifier
        self.train_report = train_report

    @classmethod
    def load(cls, data_dir: Path, cache_dir: Path, *, force_train: bool = False) -> FeedbackReader:
        """The model for the data in `data_dir`, from `cache_dir` or trained into it when missing or stale."""
        return cls.from_data(load_training_data(data_dir), cache_dir, force_train=force_train)

    @classmethod
    def from_data(cls, data: TrainingData, cache_dir: Path, *, force_train: bool = False) -> FeedbackReader:
        """Like `load`, for data already read."""
        if not data.examples:
            raise ValueError("the feedback training data has no examples")
        texts = [e.text for e in data.examples]
        labels = [e.intent for e in data.examples]
        classifier, report = load_or_train(texts, labels, cache_dir, data.content_hash, force=force_train)
        return cls(classifier, report)

    def read(self, text: str) -> FeedbackReading:
        """Rating, sentiment and solved-ness of one answer."""
        solved = solved_cue(text)
        stated = explicit_rating(text)
        if stated is not None:
            return FeedbackReading(stated, sentiment_of(stated), solved, EXPLICIT_CONFIDENCE)
        return self._classify(text, solved)

    def _classify(self, text: str, solved: bool | None) -> FeedbackReading:
        """Pick the likeliest sentiment (summing its levels), then the likeliest level within it.

        Choosing the group first keeps rating and sentiment consistent: "不太满意" split between levels
        1 and 2 is still clearly negative, even if some other single level scores higher than either.
        """
        scores = dict(self.classifier.scores(text))
        groups: dict[Sentiment, float] = dict.fromkeys(Sentiment, 0.0)
        for label, rating in LEVELS.items():
            groups[sentiment_of(rating)] += scores[label]
        sentiment = max(groups, key=groups.__getitem__)
        confidence = groups[sentiment]
        unrelated = scores[UNRELATED]
        if unrelated >= confidence or confidence < MIN_CONFIDENCE:
            if solved is None:
                return FeedbackReading(None, Sentiment.NEUTRAL, solved, unrelated)
            # "三分钟就修好了" / "it broke again": the cue carries the verdict the wording alone did not.
            sentiment = Sentiment.POSITIVE if solved else Sentiment.NEGATIVE
            confidence = groups[sentiment]
        rating = max(
            (r for label, r in LEVELS.items() if sentiment_of(r) is sentiment),
            key=lambda r: scores[_label_of(r)],
        )
        return FeedbackReading(rating, sentiment, solved, confidence)


def _label_of(rating: int) -> str:
    return next(label for label, r in LEVELS.items() if r == rating)
