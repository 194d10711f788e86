"""When the NLU is unsure the bot asks back with the two likeliest readings, then offers a person."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import pytest

from bot.app import App, build_app
from bot.settings import Settings
from dialogs.clock import FakeClock
from dialogs.nlu.types import IntentScore, ParseResult
from tests.harness import ChatDriver


class UnsureNlu:
    """An NLU that never reaches the confidence threshold (the clarifying path is what is tested)."""

    def parse(self, text: str, *, now: datetime) -> ParseResult:
        ranking = (IntentScore("repair", 0.3), IntentScore("complaint", 0.25), IntentScore("greet", 0.2))
        return ParseResult(text=text, intent=ranking[0], intent_ranking=ranking, entities=())

    def parse_many(self, texts: Sequence[str], *, now: datetime) -> list[ParseResult]:
        return [self.parse(text, now=now) for text in texts]


@pytest.fixture
def unsure_app(settings: Settings, clock: FakeClock) -> Iterator[App]:
    application = build_app(settings, clock=clock, nlu=UnsureNlu())
    yield application
    application.close()


def test_first_miss_offers_top_two_then_a_person(unsure_app: App) -> None:
    chat = ChatDriver(unsure_app)
    chat.say("楼上那个事你们管不管")
    chat.expect("确认一下您的意思")
    assert chat.buttons() == ["报修", "投诉"]
    chat.say("就是楼上那个")
    chat.expect("还是没太明白")
    assert chat.buttons() == ["报修", "投诉", "转人工客服"]
    chat.press("转人工")
    chat.expect("H261127")


def test_choosing_a_reading_continues_with_the_original_text(unsure_app: App) -> None:
    chat = ChatDriver(unsure_app)
    chat.say("楼上那个事你们管不管")
    chat.press("投诉")
    chat.expect("抱歉", "房号")


def test_the_chosen_reading_keeps_what_was_said(unsure_app: App) -> None:
    chat = ChatDriver(unsure_app)
    chat.say("我家那个水管有点问题")
    chat.press("报修")
    chat.expect("房号")  # the description is not asked again
    chat.expect_not("描述需要维修的问题")
