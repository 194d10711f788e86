"""Callback follow-ups (回访) as transcripts on the fake clock: scheduled with the resolution, asked when due,
answered by button or by typing, escalated when unsatisfactory, reminded, handed to staff by phone."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from dialogs.domain import EventKind, TicketStatus, TicketType
from dialogs.followup.cards import press_arg
from dialogs.followup.policy import sampled
from dialogs.followup.records import FollowUpKind, FollowUpStatus
from dialogs.messages import Action, ActionKind
from tests.followups.conftest import AGENT, GROUP, MANAGER, SUPERVISOR, Center
from tests.harness import local


def answer(center: Center, followup_id: int, op: str, value: str) -> None:
    """Press a follow-up button by its meaning (labels such as 满意 / 非常满意 overlap)."""
    center.chat.send(
        replace(center.chat._base(), action=Action(ActionKind.FOLLOWUP, press_arg(followup_id, op, value)))
    )


def test_resolving_a_complaint_schedules_its_callback_for_the_next_morning(center: Center) -> None:
    reference = center.complaint_resolved()
    followup = center.followup(reference)
    assert followup.kind is FollowUpKind.COMPLAINT and followup.status is FollowUpStatus.SCHEDULED
    assert followup.due_at == local(center.app, "2026-11-28T10:00")
    assert followup.window_end == local(center.app, "2026-11-30T10:00")

    center.clock.set(local(center.app, "2026-11-28T09:59"))
    center.tick()
    assert center.chat.last == []  # not due yet

    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    center.chat.expect("【回访】", reference, "您满意吗")
    assert center.chat.buttons() == ["非常满意", "满意", "一般", "不满意", "非常不满意"]
    center.tick()
    assert center.chat.last == []  # asked once


def test_a_full_answer_by_buttons_and_a_typed_comment(center: Center) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    center.chat.press("非常满意")
    center.chat.expect("问题彻底解决了吗")
    center.chat.press("已解决")
    center.chat.expect("还有什么意见")
    center.chat.say("处理得很及时，谢谢")
    center.chat.expect("感谢您的反馈", reference)
    followup = center.followup(reference)
    assert (followup.rating, followup.solved, followup.status) == (5, True, FollowUpStatus.ANSWERED)
    assert followup.comment == "处理得很及时，谢谢" and not followup.late
    assert followup.answered_at == local(center.app, "2026-11-28T10:00")


def test_pressing_a_rating_twice_counts_once_and_old_buttons_get_a_polite_answer(center: Center) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    followup_id = center.followup(reference).id
    assert followup_id is not None
    answer(center, followup_id, "r", "4")
    answer(center, followup_id, "r", "1")
    center.chat.expect("无需重复提交")
    assert center.followup(reference).rating == 4  # the first press counts, and no complaint was opened
    assert center.followup(reference).complaint_reference is None
    answer(center, followup_id, "s", "y")
    center.chat.press("没有了")
    answer(center, followup_id, "r", "5")
    center.chat.expect("已经回复过了")
    assert center.followup(reference).rating == 4


def test_a_low_rating_reopens_tells_the_supervisor_and_opens_a_linked_complaint(center: Center) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    center.chat.press("不满意")
    text = center.chat.expect("非常抱歉", reference, "登记为投诉")
    complaint_ref = text.split("登记为投诉 ")[1][:11]
    followup = center.followup(reference)
    assert followup.rating == 2 and followup.complaint_reference == complaint_ref
    with center.app.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        complaint = uow.tickets.get(reference=complaint_ref)
        assert ticket is not None and ticket.id is not None and complaint is not None
        events = list(uow.tickets.events(ticket_id=ticket.id))
    assert ticket.status is TicketStatus.OPEN
    assert any(e.kind is EventKind.STATUS_CHANGED and e.data.get("reopened") for e in events)
    assert complaint.type is TicketType.COMPLAINT and complaint.details["linked_to"] == reference
    assert complaint.resident_id == ticket.resident_id and complaint.chat_id == center.chat.user_id
    assert "回访不满意" in center.desk.last_text(SUPERVISOR)
    assert "关联" in center.desk.card(complaint_ref).text or reference in center.desk.card(complaint_ref).text
    center.chat.expect("问题彻底解决了吗")  # the rest of the callback is still asked
    center.chat.press("没有解决")
    assert center.followup(reference).complaint_reference == complaint_ref  # escalated once


def test_an_idle_resident_may_just_type_the_answer(center: Center) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    center.chat.say("还行吧")
    center.chat.expect("问题彻底解决了吗")
    assert center.followup(reference).rating == 3
    center.chat.say("修完第二天又漏了")
    center.chat.expect("非常抱歉", "登记为投诉")
    followup = center.followup(reference)
    assert followup.solved is False and followup.status is FollowUpStatus.ANSWERED
    assert followup.rating == 3  # the first rating stays


def test_a_typed_answer_counts_when_it_arrives_in_a_batch_with_other_chats(center: Center) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    stranger = replace(center.chat._base(), chat_id=2002, user_id=2002, text="还行吧")
    answer_ = replace(center.chat._base(), text="还行吧")
    to_stranger, to_resident = center.app.engine.handle_batch([stranger, answer_])
    assert isinstance(to_stranger, list) and isinstance(to_resident, list)
    assert center.followup(reference).rating == 3  # the resident's open follow-up, read with the batch
    assert any("问题彻底解决了吗" in m.reply.text for m in to_resident)
    assert not any("问题彻底解决了吗" in m.reply.text for m in to_stranger)  # no follow-up of theirs


def test_a_new_request_while_a_callback_waits_is_served_as_a_request(center: Center) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    center.chat.say("物业费怎么交？")
    center.chat.expect("物业费")
    assert center.followup(reference).rating is None


def test_a_resident_in_the_middle_of_a_request_is_not_taken_over(center: Center) -> None:
    reference = center.complaint_resolved()
    center.chat.say("厨房水管漏水了")
    center.chat.expect("维修地点")
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    center.chat.expect("【回访】")
    center.chat.say("3栋2单元502")  # typing answers the repair conversation, not the callback
    center.chat.expect("什么时候上门")
    assert center.followup(reference).rating is None
    followup_id = center.followup(reference).id
    assert followup_id is not None
    answer(center, followup_id, "r", "5")
    center.chat.expect("问题彻底解决了吗")
    center.chat.say("明天下午三点")  # still in the repair conversation
    center.chat.expect("照片")


def test_no_answer_is_reminded_once_then_handed_to_staff_by_phone(center: Center) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    # A complaint's window closes 3 days after handling (11-30 10:00): reminded halfway from the question
    # to then, handed to staff when it closes, so the callback is still made within the window.
    center.clock.advance(timedelta(hours=23))
    center.tick()
    assert center.chat.last == []
    center.clock.advance(timedelta(hours=1))
    center.tick()
    center.chat.expect("【回访提醒】", reference)
    center.tick()
    assert center.chat.last == []
    center.clock.advance(timedelta(hours=23))
    center.tick()
    assert not any("【电话回访】" in m.reply.text for m in center.desk.messages(GROUP))
    center.clock.advance(timedelta(hours=1))
    center.tick()
    assert center.chat.last == []  # the resident is not messaged again
    card = center.desk.messages(GROUP)[-1].reply
    assert "【电话回访】" in card.text and "138****5678" in card.text and "回访期限内未回复" in card.text
    private = center.desk.messages(SUPERVISOR)[-1].reply
    assert "13812345678" in private.text
    followup = center.followup(reference)
    assert followup.status is FollowUpStatus.PHONE and followup.phone_reason == "no_answer"
    center.desk.press(AGENT, "满意")
    followup = center.followup(reference)
    assert (followup.status, followup.phone_result, followup.rating) == (FollowUpStatus.DONE, "satisfied", 4)
    updated = center.desk.messages(GROUP)[-1]
    assert (
        "李前台" in updated.reply.text
        and updated.key == f"followup:{followup.id}"
        and not updated.reply.buttons
    )


def test_a_phone_result_of_unsatisfied_escalates_like_a_chat_answer(center: Center) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    for _ in range(2):
        center.clock.advance(timedelta(hours=48))
        center.tick()
    center.desk.press(999, "不满意")  # not staff: refused
    assert center.followup(reference).phone_result is None
    center.desk.press(AGENT, "不满意")
    followup = center.followup(reference)
    assert followup.phone_result == "unsatisfied" and followup.complaint_reference is not None
    assert any("回访不满意" in m.reply.text for m in center.desk.messages(SUPERVISOR))


def test_quiet_hours_hold_the_question_and_a_late_one_is_sent_and_flagged(center: Center) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-12-01T22:00"))  # after the window, in quiet hours
    center.tick()
    assert center.chat.last == []
    center.clock.set(local(center.app, "2026-12-02T08:30"))
    center.tick()
    center.chat.expect("【回访】")
    followup = center.followup(reference)
    assert followup.late and followup.sent_at == local(center.app, "2026-12-02T08:30")


def test_an_english_resident_is_asked_in_english(center: Center) -> None:
    center.chat.say("/lang en")
    reference = center.complaint_resolved("I want to complain, the restaurant downstairs smokes all day")
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    center.chat.expect("[Follow-up]", reference, "How satisfied")
    center.chat.press("Very satisfied")
    center.chat.expect("completely solved")


def test_an_emergency_where_someone_was_hurt_is_called_back_within_a_week(center: Center) -> None:
    center.chat.say("楼下大堂有老人摔倒受伤了，快来人")
    found = re.search(r"\bE\d{10}\b", center.chat.text())
    assert found, center.chat.dump()
    reference = found.group(0)
    center.desk.press(MANAGER, "接单")
    center.desk.press(MANAGER, "完成")
    center.desk.say(MANAGER, "已送医，家属已到场")
    followup = center.followup(reference)
    assert followup.kind is FollowUpKind.EMERGENCY and followup.status is FollowUpStatus.SCHEDULED
    assert followup.window_end - followup.resolved_at == timedelta(days=7)
    center.clock.set(followup.due_at or followup.window_end)
    center.tick()
    center.chat.expect("【回访】", "紧急求助", reference)


def test_every_resolved_repair_gets_a_record_sampled_or_not(center: Center) -> None:
    statuses = []
    for n in range(6):
        center.chat.say(f"3栋2单元502卫生间下水道堵了，第{n + 1}次")
        if "跳过" in " ".join(center.chat.buttons()):
            center.chat.press("跳过")
        if center.chat.buttons() and "尽快" in " ".join(center.chat.buttons()):
            center.chat.press("尽快")
            center.chat.press("跳过")
        center.chat.press("确认")
        reference = re.findall(r"\bR\d{10}\b", center.chat.text())[-1]
        center.desk.press(MANAGER, "接单")
        center.desk.press(MANAGER, "完成")
        center.desk.say(MANAGER, "已疏通")
        followup = center.followup(reference)
        assert followup.kind is FollowUpKind.REPAIR
        expected = sampled(center.app.site.callback_seed, reference, 0.3)
        assert (followup.status is FollowUpStatus.SCHEDULED) is expected
        statuses.append(followup.status)
    assert FollowUpStatus.NOT_SAMPLED in statuses  # 30 %: most are recorded without being asked


def test_a_comment_after_an_unsatisfactory_answer_reaches_the_complaint_and_the_supervisor(
    center: Center,
) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    center.chat.press("满意")
    center.chat.press("没有解决")
    center.chat.expect("登记为投诉")
    complaint_ref = center.followup(reference).complaint_reference
    assert complaint_ref is not None
    center.chat.say("窗户还是有油烟味")  # a comment, not a new request (nor an emergency)
    center.chat.expect("感谢您的反馈")
    assert center.desk.last_text(SUPERVISOR) == f"【回访补充意见】投诉 {complaint_ref}：窗户还是有油烟味"
    with center.app.uow_factory() as uow:
        complaint = uow.tickets.get(reference=complaint_ref)
        assert complaint is not None and complaint.id is not None
        notes = [
            e.data.get("text") for e in uow.tickets.events(ticket_id=complaint.id) if e.kind is EventKind.NOTE
        ]
    assert notes == ["窗户还是有油烟味"]
    assert center.followup(reference).comment == "窗户还是有油烟味"
