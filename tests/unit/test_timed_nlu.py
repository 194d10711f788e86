"""The NLU timing wrapper counts every message once, whether it was read alone or with its batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.metrics import Metrics, TimedNlu
from dialogs.nlu.types import IntentScore, ParseResult

NOW = datetime(2024, 5, 6, 2, 0, tzinfo=UTC)


class EchoNlu:
    def parse(self, text: str, *, now: datetime) -> ParseResult:
        score = IntentScore("greet", 1.0)
        return ParseResult(text=text, intent=score, intent_ranking=(score,), entities=())

    def parse_many(self, texts: Sequence[str], *, now: datetime) -> list[ParseResult]:
        return [self.parse(text, now=now) for text in texts]


def observed(metrics: Metrics) -> float:
    value = metrics.registry.get_sample_value("frontdesk_nlu_seconds_count")
    assert value is not None
    return value


def test_each_text_of_a_batch_is_one_observation() -> None:
    metrics = Metrics()
    nlu = TimedNlu(EchoNlu(), metrics.nlu_seconds)
    assert [r.text for r in nlu.parse_many(["a", "b", "c"], now=NOW)] == ["a", "b", "c"]
    assert observed(metrics) == 3
    assert nlu.parse("d", now=NOW).text == "d"
    assert observed(metrics) == 4
    nlu.parse_many([], now=NOW)
    assert observed(metrics) == 4
