"""The model reads a batch of texts at once: each text's scores are exactly what it gets alone, and what
the documented model (sublinear tf-idf, each block L2-normalised, softmax over a linear layer) gives."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dialogs.nlu.builtin import BuiltinNlu
from dialogs.nlu.classifier import IntentClassifier
from dialogs.nlu.features import feature_strings
from dialogs.nlu.normalize import normalise
from tests.nlu.conftest import NOW

# Empty and featureless texts sit between others: a batch must not shift the documents after them.
TEXTS = [
    "我家厨房的水管漏水了，麻烦派人来修一下",
    "",
    "the elevator in building 3 is broken again",
    "😀😀😀",
    "物业费怎么交？",
    "物业费怎么交？",
    "qqqqzzzz xkcd",
    "谢谢 thanks thanks thanks",
]


def reference_scores(classifier: IntentClassifier, text: str) -> dict[str, float]:
    """The model's probabilities for one text, computed feature by feature in plain Python."""
    vectoriser = classifier._vectoriser
    column_of = dict(zip(vectoriser._keys.tolist(), vectoriser._columns.tolist(), strict=True))
    logits = classifier._bias.astype(np.float64).copy()
    for block in feature_strings(normalise(text), classifier._segmenter):
        counts: dict[int, int] = {}
        for feature in block:
            column = column_of.get(hash(feature))
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        weights = {c: (1.0 + math.log(n)) * float(vectoriser.idf[c]) for c, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) * math.sqrt(2.0)
        for column, weight in weights.items():
            logits += weight / norm * classifier._weights[column].astype(np.float64)
    exp = np.exp(logits - logits.max())
    return dict(zip(classifier.classes, (exp / exp.sum()).tolist(), strict=True))


def test_batched_scores_match_the_model_text_by_text(real_nlu: BuiltinNlu) -> None:
    classifier = real_nlu.classifier
    together = classifier.scores_many(TEXTS)
    assert len(together) == len(TEXTS)
    for text, ranking in zip(TEXTS, together, strict=True):
        expected = reference_scores(classifier, text)
        assert sorted(name for name, _ in ranking) == sorted(expected)
        probabilities = [probability for _, probability in ranking]
        assert probabilities == sorted(probabilities, reverse=True)  # best first
        for name, probability in ranking:
            assert probability == pytest.approx(expected[name], abs=1e-5), (text, name)
        # Alone, the same numbers: nothing of the other documents leaks into a text's scores.
        assert ranking == classifier.scores_many([text])[0]


def test_a_batch_in_another_order_gives_each_text_the_same_scores(real_nlu: BuiltinNlu) -> None:
    classifier = real_nlu.classifier
    forwards = classifier.scores_many(TEXTS)
    backwards = classifier.scores_many(TEXTS[::-1])[::-1]
    for one, other in zip(forwards, backwards, strict=True):
        assert dict(one) == pytest.approx(dict(other), abs=1e-6)


def test_parse_many_is_parse_of_each_text(real_nlu: BuiltinNlu) -> None:
    texts = ["楼道里有煤气味", "明天下午三点来修空调，电话13800138000", "", "how do I pay the property fee?"]
    assert real_nlu.parse_many(texts, now=NOW) == [real_nlu.parse(text, now=NOW) for text in texts]
    assert real_nlu.parse_many([], now=NOW) == []
