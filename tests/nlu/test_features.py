"""The derived word features: negation scope and English stems."""

from __future__ import annotations

from dialogs.nlu.features import english_stem, feature_strings, negated_words


def test_negation_scope_covers_the_next_words_until_punctuation() -> None:
    assert negated_words(["that's", "not", "correct"]) == ["correct"]
    assert negated_words(["i", "don't", "think", "so", "at", "all"]) == ["think", "so", "at"]
    assert negated_words(["no", ",", "that's", "fine"]) == []  # the comma closes the scope
    assert negated_words(["不", "对"]) == ["对"]
    assert negated_words(["that's", "correct"]) == []


def test_english_stems_join_inflections_and_skip_other_tokens() -> None:
    assert {english_stem(w) for w in ("talk", "talking", "talked", "talks")} == {"talk"}
    assert english_stem("greeting") == "greet"
    assert english_stem("greetings") == "greeting"  # one suffix only: crude, but never empty
    assert english_stem("less") == "less"  # no "s" stripped from a double s
    assert english_stem("is") is None
    assert english_stem("谢谢") is None
    assert english_stem("502") is None


def test_character_ngrams_are_one_to_four_characters_of_the_padded_text_without_a_lone_space() -> None:
    class NoWords:
        def words(self, text: str) -> list[str]:
            return []

    chars, _ = feature_strings("a b", NoWords())  # type: ignore[arg-type]
    assert chars == [
        *("c:a", "c:b"),
        *("c: a", "c:a ", "c: b", "c:b "),
        *("c: a ", "c:a b", "c: b "),
        *("c: a b", "c:a b "),
    ]
    assert feature_strings("", NoWords())[0] == ["c:  "]  # type: ignore[arg-type]
