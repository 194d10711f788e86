"""The survey in the chat, as transcripts: intro, ten ratings edited in place, a comment, thanks."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from dialogs.clock import FakeClock
from dialogs.survey.campaigns import campaign_results, close_campaign
from tests.harness import ChatDriver
from tests.surveys.support import deliver, press_again, running_campaign, shared, tick

DIMENSION_NAMES = [
    "供暖",
    "制冷",
    "供电",
    "供水",
    "消防与安全",
    "清洁卫生",
    "绿化",
    "公共设施",
    "维修服务",
    "员工服务态度",
]


def _registered(app: App, user_id: int = 1001, room: str = "3栋2单元502") -> ChatDriver:
    chat = ChatDriver(app, user_id=user_id)
    chat.register(room=room)
    return chat


def test_a_resident_answers_the_whole_form_in_one_message(app: App) -> None:
    chat = _registered(app)
    campaign, targeted = running_campaign(app.uow_factory, app.site, app.clock.now())
    assert targeted == 1
    assert tick(app) == 1
    deliver(chat)
    chat.expect("2026年度满意度调查", "10 个问题")
    chat.press("开始填写")
    for index, name in enumerate(DIMENSION_NAMES, start=1):
        chat.expect(f"第 {index}/10 题", f"【{name}】")
        assert chat.buttons() == ["5 非常满意", "4 满意", "3 一般", "2 不满意", "1 非常不满意"]
        chat.press("5 非常满意" if index % 2 else "3 一般")
    chat.expect("意见或建议")
    chat.say("电梯维修太慢，希望加快")
    chat.expect("感谢您参与满意度调查")
    # every step edited the intro message instead of adding new ones
    keyed = [m for m in chat.transport.delivered if m.key == f"survey:{campaign.id}:s"]
    assert len(keyed) == 13  # intro, ten questions, the comment prompt, "comment received"
    assert len(chat.transport.edits) == 12
    assert len({edited for edited, _ in chat.transport.edits}) == 1
    with app.uow_factory() as uow:
        _, results = campaign_results(uow, campaign.id or 0)
    assert (results.sent, results.returned, results.answers, results.satisfied) == (1, 1, 10, 5)
    assert results.comments == 1


def test_pressing_a_rating_twice_counts_once(app: App) -> None:
    chat = _registered(app)
    campaign, _ = running_campaign(app.uow_factory, app.site, app.clock.now())
    tick(app)
    deliver(chat)
    chat.press("开始填写")
    first = chat.button("1 非常不满意")
    chat.press("1 非常不满意")
    chat.expect("第 2/10 题")
    again = press_again(chat, first)
    assert any("以第一次选择为准" in reply.text for reply in again)
    with app.uow_factory() as uow:
        answers = list(uow.surveys.answers(campaign_id=campaign.id or 0))
    assert [(a.dimension, a.score) for a in answers] == [("heating", 1)]


def _answer_all(chat: ChatDriver, score: str = "4 满意") -> None:
    for _ in DIMENSION_NAMES:
        chat.press(score)


def test_skipping_the_comment_finishes_the_form(app: App) -> None:
    chat = _registered(app)
    campaign, _ = running_campaign(app.uow_factory, app.site, app.clock.now())
    tick(app)
    deliver(chat)
    chat.press("开始填写")
    _answer_all(chat)
    chat.press("跳过")
    chat.expect("感谢您参与满意度调查")
    assert chat.buttons() == []
    chat.say("你好")  # free text after the form is no comment any more
    chat.expect_not("已收到您的意见")
    with app.uow_factory() as uow:
        delivery = uow.surveys.deliveries(campaign_id=campaign.id or 0)[0]
    assert delivery.finished_at is not None and delivery.comment is None


def test_the_survey_waits_while_a_repair_report_is_open_and_then_it_continues(app: App) -> None:
    chat = _registered(app)
    running_campaign(app.uow_factory, app.site, app.clock.now())
    tick(app)
    deliver(chat)
    intro = chat.button("开始填写")
    chat.say("厨房水管漏水了")  # a repair conversation opens and asks something
    assert chat.text()
    press_again(chat, intro)  # the form still works from the earlier message
    _answer_all(chat, "5 非常满意")
    chat.expect("意见或建议")
    chat.say("保洁很好，绿化也不错")
    chat.expect("感谢您参与满意度调查", "继续")  # thanks, then the open repair report resumes
    with app.uow_factory() as uow:
        conversation = uow.conversations.load(channel="console", chat_id=chat.user_id)
    assert conversation is not None and conversation.flow == "repair"


def test_a_household_answers_once_and_a_closed_campaign_answers_politely(app: App) -> None:
    first = _registered(app, 1001)
    second = shared(first, _registered(app, 1002))  # the same home: both residents get the form
    campaign, targeted = running_campaign(app.uow_factory, app.site, app.clock.now())
    assert targeted == 1
    assert tick(app) == 2
    deliver(first, second)
    start_for_second = second.button("开始填写")
    first.press("开始填写")
    _answer_all(first)
    first.press("跳过")
    press_again(second, start_for_second)
    second.expect("已经完成本次调查")
    with app.uow_factory() as uow:
        close_campaign(uow, campaign.id or 0, app.clock.now())
        uow.commit()
    press_again(second, start_for_second)
    second.expect("已经结束")


def test_a_resident_whose_home_was_not_chosen_is_told_so(app: App) -> None:
    chosen = _registered(app, 1001, room="3栋2单元502")
    other = shared(chosen, _registered(app, 1003, room="5栋1单元101"))
    running_campaign(app.uow_factory, app.site, app.clock.now(), building="3")
    assert tick(app) == 1
    deliver(chosen)
    start = chosen.button("开始填写")
    press_again(other, start)
    other.expect("不是发给您家的")


def test_english_resident_continues_from_the_reminder(app: App, clock: FakeClock) -> None:
    chat = ChatDriver(app, user_id=1004, language_code="en")
    chat.register(room="3栋2单元502")
    campaign, _ = running_campaign(app.uow_factory, app.site, app.clock.now(), reminder_days=2)
    tick(app)
    deliver(chat)
    chat.expect("10 short questions")
    chat.press("Start")
    chat.press("5 Very satisfied")
    clock.advance(timedelta(days=2, minutes=1))
    assert tick(app) == 1
    deliver(chat)
    chat.expect("gentle reminder")
    chat.press("Continue")
    chat.expect("question 2/10", "Cooling")
    for _ in range(9):
        chat.press("4 Satisfied")
    chat.say("The lifts break down too often")
    chat.expect("Thank you for taking part")
    # from the reminder on, the reminder message is the one edited in place
    assert chat.transport.edits[-1][1].key == f"survey:{campaign.id}:r"
    with app.uow_factory() as uow:
        _, results = campaign_results(uow, campaign.id or 0)
    assert (results.returned, results.reminded, results.answers) == (1, 1, 10)
