"""The same requests in English, and a restart in the middle of a service order."""

from __future__ import annotations

from bot.app import App, build_app
from bot.settings import Settings
from dialogs.clock import FakeClock
from dialogs.nlu.types import NluBackend
from tests.harness import ChatDriver


def test_english_complaint_suggestion_praise_and_status(app: App) -> None:
    chat = ChatDriver(app, user_id=3101, language_code="en-US")
    chat.say(
        "I want to complain, the security guard at the gate was very rude to my mother. Room 502, building 3"
    )
    text = chat.expect("very sorry", "within 24 hours", "C2611270001")
    assert text.index("very sorry") < text.index("within 24 hours")
    chat.say("it would be great to have more benches in the garden")
    chat.expect("Thank you for your suggestion", "S2611270001")
    chat.say("the cleaner on our floor does a fantastic job, please thank her")
    chat.expect("Thank you for the kind words", "P2611270001")
    chat.say("any progress on my complaint?")
    chat.expect("C2611270001", "being arranged")


def test_english_gas_emergency_first_aid_then_where(app: App) -> None:
    chat = ChatDriver(app, user_id=3102, language_code="en")
    chat.say("I smell gas in my kitchen, it's really strong")
    text = chat.expect("Gas leak reported", "close the gas main valve", "Tell me exactly where")
    assert text.index("Gas leak reported") < text.index("Tell me exactly where")
    chat.say("building 5 unit 1 room 301")
    chat.expect("dispatched", "building 5 unit 1 room 301")


def test_restart_in_the_middle_of_a_service_order(
    settings: Settings, clock: FakeClock, nlu: NluBackend
) -> None:
    first = build_app(settings, clock=clock, nlu=nlu)
    chat = ChatDriver(first, user_id=3103)
    chat.say("帮我叫一辆出租车，明天早上七点去机场")
    chat.expect("代叫出租车", "确认预约")
    shown = chat.last
    first.close()
    second = build_app(settings, clock=clock, nlu=nlu)
    chat = ChatDriver(second, user_id=3103)
    chat.last = shown
    chat.press("确认")
    chat.expect("已为您预约", "代叫出租车", "11月28日 07:00")
    second.close()
