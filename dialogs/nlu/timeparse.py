"""The `datetime` entity: a time the resident mentions, as local ISO 8601 relative to `now`.

The parsers are slow to import and cost 0.2-2 ms a call, so they are imported lazily and only called when
a cheap regex sees a time cue; most messages have none, which keeps the median parse well under 1 ms.
Chinese goes to jionlp's time extractor (it understands 明天下午三点, 下周三, 后天晚上); English goes to
dateparser's `search_dates` preferring future dates (a resident books visits, not history).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from dialogs.nlu.types import Entity, EntityName

_ZH_CUE = re.compile(
    r"今天|明天|后天|今晚|明早|明晚|昨天|上午|下午|中午|晚上|早上|傍晚|凌晨|周[一二三四五六日天末]|星期|礼拜"
    r"|下周|本周|这周|下个?月|[0-9一二三四五六七八九十两]+\s*[点時时]|\d{1,2}[:：]\d{2}|\d{1,2}月\d{1,2}[日号]"
    r"|\d{1,2}[日号](?:上午|下午|晚上)?|[0-9一二三四五六七八九十半两]+个?(?:小时|分钟|天)[以之]?后"
)
_EN_CUE = re.compile(
    r"(?i)\b(?:today|tomorrow|tonight|morning|afternoon|evening|noon|midnight|weekend"
    r"|mon|tues?|wed|thur?s?|fri|sat|sun)(?:day)?\b|\b\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)"
    r"|\b\d{1,2}:\d{2}\b|\bo'?clock\b|\bnext (?:week|month)\b|\bin \d+ (?:minutes?|hours?|days?)\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}\b"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_EXTRACTOR = "frontdesk_time"

# A point for fuzzy day parts: a technician visit "上午" means the morning's start of business, etc.
_DAYPART_HOUR = (
    ("凌晨", 6),
    ("早上", 8),
    ("上午", 9),
    ("中午", 12),
    ("下午", 15),
    ("傍晚", 18),
    ("晚上", 19),
)
_ISO = "%Y-%m-%dT%H:%M:%S"


class TimeExtractor:
    """Finds times in messages; heavy parsers are imported on first need (or by `warm_up`)."""

    def __init__(self) -> None:
        self._jionlp: ModuleType | None = None
        self._search_dates: Any = None

    def warm_up(self) -> None:
        """Import both parsers and run each once, so the first real message is not slow."""
        now = datetime(2024, 1, 1, 10, 0)
        self.extract("明天下午三点", now=now)
        self.extract("tomorrow at 3pm", now=now)

    def extract(self, text: str, *, now: datetime) -> list[Entity]:
        """Times found in `text`, resolved against `now` and written in `now`'s local time."""
        if _CJK.search(text):
            if _ZH_CUE.search(text):
                found = self._chinese(text, now)
                if found:
                    return found
            if not _EN_CUE.search(text):
                return []
        elif not _EN_CUE.search(text):
            return []
        return self._english(text, now)

    def _chinese(self, text: str, now: datetime) -> list[Entity]:
        if self._jionlp is None:
            # jionlp prints a banner to stdout on import; `nlu parse` owns stdout for its JSON lines.
            with contextlib.redirect_stdout(io.StringIO()):
                import jionlp

            self._jionlp = jionlp
        local = now.replace(tzinfo=None)
        base = {
            "year": local.year,
            "month": local.month,
            "day": local.day,
            "hour": local.hour,
            "minute": local.minute,
            "second": local.second,
        }
        try:
            with _quiet_root_logger():
                results: list[dict[str, Any]] = self._jionlp.ner.extract_time(text, time_base=base)
        except Exception:  # a parser failure must not break understanding the message
            return []
        found: list[Entity] = []
        for item in results:
            detail = item.get("detail", {})
            times = detail.get("time")
            if (
                item.get("type") not in {"time_point", "time_span"}
                or not isinstance(times, list)
                or not times
            ):
                continue
            try:
                start = datetime.strptime(str(times[0]), "%Y-%m-%d %H:%M:%S")
            except ValueError:
                continue
            span_text = str(item.get("text", ""))
            point = _pick_point(span_text, start, detail.get("definition") == "blur")
            begin, end = item.get("offset", [0, 0])
            found.append(Entity(EntityName.DATETIME, point.strftime(_ISO), int(begin), int(end), _EXTRACTOR))
        return found

    def _english(self, text: str, now: datetime) -> list[Entity]:
        if self._search_dates is None:
            from dateparser.search import search_dates

            self._search_dates = search_dates
        local = now.replace(tzinfo=None)
        settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": local, "RETURN_AS_TIMEZONE_AWARE": False}
        try:
            results = self._search_dates(text, languages=["en"], settings=settings)
        except Exception:  # a parser failure must not break understanding the message
            return []
        found: list[Entity] = []
        cursor = 0
        for span_text, when in results or []:
            begin = text.find(span_text, cursor)
            if begin < 0:
                continue
            cursor = begin + len(span_text)
            point = _pick_english_point(span_text, when, local)
            found.append(Entity(EntityName.DATETIME, point.strftime(_ISO), begin, cursor, _EXTRACTOR))
        return found


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """jionlp logs tracebacks of strings it fails on with `logging.error` on the root logger.

    Those are expected (it tries many candidate spans) and would otherwise also make `logging.error` call
    `basicConfig()` and install a stderr handler behind the application's back. For the duration of the
    call a NullHandler keeps the root logger "configured", and records up to ERROR are dropped.
    """
    root = logging.getLogger()
    placeholder = logging.NullHandler() if not root.handlers else None
    if placeholder is not None:
        root.addHandler(placeholder)
    previous = root.manager.disable
    logging.disable(logging.ERROR)
    try:
        yield
    finally:
        logging.disable(previous)
        if placeholder is not None:
            root.removeHandler(placeholder)


def _pick_point(span_text: str, start: datetime, blur: bool) -> datetime:
    """One instant for a span: day parts get a sensible hour, a bare date 09:00, 1-6点 means afternoon."""
    has_clock = re.search(r"[点時时:：]", span_text) is not None
    for word, hour in _DAYPART_HOUR:
        if word in span_text and (blur or not has_clock):
            return start.replace(hour=hour, minute=0, second=0)
    if not has_clock and start.hour == 0 and start.minute == 0:
        return start.replace(hour=9)
    if has_clock and 1 <= start.hour <= 6 and not any(w in span_text for w in ("凌晨", "早", "上午")):
        return start + timedelta(hours=12)
    return start


def _pick_english_point(span_text: str, when: datetime, local_now: datetime) -> datetime:
    """dateparser gives midnight for a bare day and keeps the current time for day parts; fix both."""
    lowered = span_text.lower()
    tonight = re.search(r"tonight(?: at (\d{1,2})(?::(\d{2}))?)?", lowered)
    if tonight:
        hour = int(tonight.group(1) or 19)
        hour = hour + 12 if hour < 12 else hour
        minute = int(tonight.group(2) or 0)
        return local_now.replace(hour=hour % 24, minute=minute, second=0, microsecond=0)
    for word, hour in (("morning", 9), ("afternoon", 15), ("evening", 19), ("tonight", 19), ("noon", 12)):
        if word in lowered and not re.search(r"\d", lowered):
            return when.replace(hour=hour, minute=0, second=0, microsecond=0)
    has_clock = re.search(r"\d{1,2}(:\d{2})?\s*(am|pm|a\.m\.|p\.m\.)|\d:\d{2}|o'?clock|\bat \d", lowered)
    if not has_clock and (when.hour, when.minute) in {(0, 0), (local_now.hour, local_now.minute)}:
        return when.replace(hour=9, minute=0, second=0, microsecond=0)
    return when.replace(microsecond=0)
