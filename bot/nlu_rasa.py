"""`RasaNlu`: the NLU backend that asks a Rasa 3 server (`POST /model/parse`) instead of the built-in model.

A site that already runs Rasa (trained on the same `nlu_data/`) can point the bot at it; the response is
mapped onto our `ParseResult`. Rasa's pipeline here has no time extractor, so `datetime` entities are filled
in by our own extractor when Rasa returns none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from dialogs.nlu.timeparse import TimeExtractor
from dialogs.nlu.types import Entity, EntityName, Intent, IntentScore, ParseResult

# Rasa's FallbackClassifier answers this when no intent is confident enough; to us that is out of scope.
RASA_FALLBACK = "nlu_fallback"
DEFAULT_TIMEOUT = 3.0


class RasaUnavailableError(RuntimeError):
    """The Rasa server could not be reached or gave an unusable answer."""


class RasaNlu:
    """Implements `NluBackend` over HTTP; synchronous like the protocol, with a short timeout."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
        times: TimeExtractor | None = None,
    ) -> None:
        self._endpoint = url.rstrip("/") + "/model/parse"
        self._client = client or httpx.Client(timeout=timeout)
        self._times = times or TimeExtractor()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def parse(self, text: str, *, now: datetime) -> ParseResult:
        """Ask Rasa, then map its answer (and add our datetimes when Rasa found none)."""
        try:
            response = self._client.post(self._endpoint, json={"text": text})
            response.raise_for_status()
            body: Any = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailableError(f"Rasa parse failed: {error}") from error
        if not isinstance(body, dict):
            raise RasaUnavailableError("Rasa parse answered something that is not a JSON object")
        result = from_rasa(text, body)
        if result.first(EntityName.DATETIME) is None:
            extra = self._times.extract(text, now=now)
            if extra:
                entities = tuple(sorted((*result.entities, *extra), key=lambda e: (e.start, e.end)))
                result = ParseResult(result.text, result.intent, result.intent_ranking, entities)
        return result

    def parse_many(self, texts: Sequence[str], *, now: datetime) -> list[ParseResult]:
        """`parse` of each text in turn (Rasa's HTTP API reads one text per request)."""
        return [self.parse(text, now=now) for text in texts]


def _score(raw: Any) -> IntentScore | None:
    if not isinstance(raw, Mapping) or not raw.get("name"):
        return None
    name = str(raw["name"])
    if name == RASA_FALLBACK:
        name = Intent.OUT_OF_SCOPE.value
    return IntentScore(name, float(raw.get("confidence") or 0.0))


def _entity(raw: Any) -> Entity | None:
    if not isinstance(raw, Mapping) or "entity" not in raw:
        return None
    confidence = raw.get("confidence_entity", raw.get("confidence"))
    return Entity(
        entity=str(raw["entity"]),
        value=str(raw.get("value", "")),
        start=int(raw.get("start", 0)),
        end=int(raw.get("end", 0)),
        extractor=str(raw.get("extractor") or "rasa"),
        confidence=float(confidence) if confidence is not None else 1.0,
    )


def from_rasa(text: str, body: Mapping[str, Any]) -> ParseResult:
    """Map Rasa 3's `/model/parse` JSON (intent, intent_ranking, entities; extra keys ignored)."""
    intent = _score(body.get("intent")) or IntentScore(Intent.OUT_OF_SCOPE.value, 0.0)
    ranking = tuple(s for s in (_score(r) for r in body.get("intent_ranking") or []) if s is not None)
    if not ranking:
        ranking = (intent,)
    entities = tuple(e for e in (_entity(r) for r in body.get("entities") or []) if e is not None)
    return ParseResult(text=text, intent=intent, intent_ranking=ranking, entities=entities)
