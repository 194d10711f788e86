"""Turning a normalised message into sparse features: character n-grams plus word tokens.

Character n-grams (1-4) carry most of the signal for short, typo-ridden chat in two scripts. Word tokens add
whole-word evidence; Chinese has no spaces, so words come from jieba. Character n-grams alone would see
"不" + "修" in "不用修了" and in "修不好" alike, while jieba's words ("不用", "修好") separate a cancellation
from a failed repair. To keep loading fast and small, parsing does not load jieba's 350k-word dictionary
(0.6 s, 65 MB): training segments the training texts with the full dictionary once and keeps only the words
it found; a jieba `Tokenizer` over that small dictionary then segments both training and live texts, so the
two always agree, and a word it does not know could not have had a weight anyway.

Two derived word features help with phrasings the data does not contain: words under a negation get their
own feature ("not correct" is evidence for deny, "correct" for affirm), and English words also give a crude
stem, so an unseen inflection ("talking") still meets the weight its base form ("talk") learned.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

_RUNS = re.compile(r"[\u4e00-\u9fff]+|[a-z]+(?:'[a-z]+)?|[^\s\u4e00-\u9fff a-z]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
NGRAM_RANGE = (1, 4)
_CHAR = "c:"
_WORD = "w:"
_BIGRAM = "b:"
_NEGATED = "n:"
_STEM = "s:"
_SUFFIXES = ("ing", "ed", "es", "s", "ly")
NEGATION_SCOPE = 3
# Words that open a negation's scope; English "-n't" forms are recognised by their ending.
_NEGATORS = frozenset(
    {"not", "no", "never", "nope", "nah", "neither", "nor", "cannot", "dont", "isnt"}
    | {"不", "没", "没有", "别", "未", "非"}
)


def _quiet_jieba() -> None:
    """jieba logs its dictionary loading at INFO to stderr; that is noise next to `nlu parse` output."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)


def discover_words(texts: Iterable[str]) -> dict[str, int]:
    """Chinese words (2+ characters) that full jieba finds in the texts, with jieba's frequencies."""
    _quiet_jieba()
    import jieba

    jieba.initialize()
    words: dict[str, int] = {}
    for text in texts:
        for run in _CJK_RUN.findall(text):
            for word in jieba.lcut(run, HMM=False):
                if len(word) >= 2:
                    words[word] = max(int(jieba.dt.FREQ.get(word, 0) or 0), 3)
    return words


class WordSegmenter:
    """A jieba tokenizer restricted to the training vocabulary (see the module docstring for why)."""

    def __init__(self, dictionary: Path) -> None:
        _quiet_jieba()
        import jieba

        self._tokenizer = jieba.Tokenizer(dictionary=str(dictionary))
        self._tokenizer.tmp_dir = str(dictionary.parent)
        self._tokenizer.cache_file = dictionary.name + ".cache"
        self._tokenizer.initialize()

    @staticmethod
    def write_dictionary(words: Mapping[str, int], path: Path) -> None:
        """Write words in jieba's `word freq` dictionary format (at least one line: jieba needs it)."""
        lines = [f"{word} {freq}" for word, freq in sorted(words.items())] or ["的 1"]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def words(self, text: str) -> list[str]:
        """Word tokens of normalised text: jieba for Chinese runs, Latin words as they are."""
        tokens: list[str] = []
        for run in _RUNS.findall(text):
            if "\u4e00" <= run[0] <= "\u9fff":
                tokens.extend(self._tokenizer.lcut(run, HMM=False))
            else:
                tokens.append(run)
        return tokens


def feature_strings(text: str, segmenter: WordSegmenter) -> tuple[list[str], list[str]]:
    """(character n-grams, word unigrams + bigrams) of a normalised text."""
    padded = f" {text} "
    low, high = NGRAM_RANGE
    # A lone space is no feature (a longer n-gram is never one); one slice per n-gram, as this runs for
    # every message.
    chars = [_CHAR + char for char in padded if char != " "] if low == 1 else []
    for n in range(max(low, 2), high + 1):
        chars += [_CHAR + padded[i : i + n] for i in range(len(padded) - n + 1)]
    words = segmenter.words(text)
    word_features = [_WORD + w for w in words]
    word_features.extend(f"{_BIGRAM}{a} {b}" for a, b in zip(["<s>", *words], [*words, "</s>"], strict=True))
    word_features.extend(_NEGATED + w for w in negated_words(words))
    word_features.extend(_STEM + stem for stem in map(english_stem, words) if stem)
    return chars, word_features


def english_stem(word: str) -> str | None:
    """A crude stem of an English word ("talking", "talked", "talks" -> "talk"); None for other tokens.

    Unseen inflections are common in short English chat ("nice talking to you" when the data says "talk");
    the character n-grams see the shared prefix only diluted among the others. Words without a suffix stem
    to themselves, so that "talk" and "talking" share the feature.
    """
    if len(word) < 3 or not word.isascii() or not word.isalpha():
        return None
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def negated_words(words: list[str]) -> list[str]:
    """The words inside a negation's scope: up to `NEGATION_SCOPE` words after a negator, until punctuation.

    "that's not correct" and "that's correct" share every word and nearly every n-gram; a separate feature
    for "correct under a negation" lets the model learn that the pair means opposite things (deny, affirm)
    from every negated phrase at once instead of from each phrasing separately.
    """
    scoped: list[str] = []
    remaining = 0
    for word in words:
        if word in _NEGATORS or word.endswith("n't"):
            remaining = NEGATION_SCOPE
        elif remaining and word[0].isalnum():  # letters, digits and CJK; punctuation ends the scope
            scoped.append(word)
            remaining -= 1
        else:
            remaining = 0
    return scoped


class Vectoriser:
    """Maps feature strings to a TF-IDF vector (sublinear tf, per-block L2) without scikit-learn.

    Written by hand so that parsing a message costs a few array look-ups and a small dot product, not
    scikit-learn's per-call validation overhead (which alone is ~0.3 ms).

    The vocabulary (~200,000 features) is kept as the sorted 64-bit hashes of the feature strings, each
    with its column, not as a dict of the strings: 2.4 MB instead of ~40 MB in every worker process. A
    message's features are hashed and found with one binary search. The hash is Python's own (SipHash,
    seeded per process), so the hashes are made from the names when the model is loaded, streamed from
    its file one at a time. Two features of the vocabulary sharing a hash (odds about 1 in 10^9 per load)
    would share a column, a negligible change to the model.
    """

    def __init__(self, names: Iterable[str], size: int, idf: npt.NDArray[np.float32]) -> None:
        hashes = np.fromiter((hash(name) for name in names), dtype=np.int64, count=size)
        order = np.argsort(hashes, kind="stable")
        self._keys = hashes[order]
        self._columns = order.astype(np.int32)
        self.idf = idf

    @property
    def size(self) -> int:
        """Number of features (columns)."""
        return len(self._keys)

    @classmethod
    def fit(cls, documents: list[tuple[list[str], list[str]]]) -> tuple[Vectoriser, list[str]]:
        """Vocabulary and smoothed idf over the training documents; also the feature names by column."""
        df: Counter[str] = Counter()
        for chars, words in documents:
            df.update(set(chars))
            df.update(set(words))
        names = sorted(df)
        total = len(documents)
        idf = np.array([math.log((1 + total) / (1 + df[name])) + 1.0 for name in names], dtype=np.float32)
        return cls(names, len(names), idf), names

    def transform_many(
        self, documents: Sequence[tuple[list[str], list[str]]]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float32]]:
        """The documents' vectors as (row, column, weight) triples, by row, then block, then column.

        All documents are looked up at once: a message costs the same couple of dozen numpy calls as a
        whole batch of them, and on a busy worker those calls' own overhead was most of the NLU's time.
        Each document has two blocks (character n-grams, words), each L2-normalised to 1/sqrt(2).
        """
        features: list[str] = []
        lengths: list[int] = []
        for chars, words in documents:
            features.extend(chars)
            features.extend(words)
            lengths.extend((len(chars), len(words)))
        size = len(self._keys)
        blocks = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        hashes = np.fromiter(map(hash, features), dtype=np.int64, count=len(features))
        at = np.searchsorted(self._keys, hashes)
        at[at == size] = 0
        known = self._keys[at] == hashes
        columns = self._columns[at[known]].astype(np.int64)
        # One sort counts every (block, column) pair: repeats of a feature within a block.
        pairs, counts = np.unique(blocks[known] * size + columns, return_counts=True)
        blocks, columns = np.divmod(pairs, size)
        weights = (1.0 + np.log(counts)).astype(np.float32) * self.idf[columns]
        squares = np.bincount(blocks, weights=weights * weights, minlength=len(lengths))
        norms = (np.sqrt(squares) * math.sqrt(2.0)).astype(np.float32)
        return (blocks // 2).astype(np.intp), columns.astype(np.intp), weights / norms[blocks]
