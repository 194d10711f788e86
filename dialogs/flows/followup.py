"""The resident's side of a callback follow-up (回访), and staff recording a phone callback's result.

The question arrives with rating buttons (非常满意 … 非常不满意); then "was it solved?", then an optional
comment. Presses carry the follow-up's id, so they work whatever the chat's conversation is doing, and the
database records a rating or "solved" only if none is stored yet: pressing twice counts once, and an old
follow-up's buttons get a polite answer. A resident with nothing else open may simply type ("还行吧",
"修完第二天又漏了"): the feedback reader turns it into a rating, a sentiment and maybe "solved", and the
text is kept as the comment. A resident in the middle of another request is never taken over: their
typing goes to that request, and only the buttons answer the follow-up.

An unsatisfactory answer (rating ≤ 2, or not solved) goes where the manual sends it: the ticket is reopened,
the queue's supervisors are told, and a complaint linked to the ticket is opened (routed like any other).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from enum import StrEnum

from dialogs.domain import EventKind, Ticket, TicketStatus, TicketType
from dialogs.events import record
from dialogs.flows.base import REQUEST_INTENTS, FlowName
from dialogs.followup.cards import NO_COMMENT, PHONE, RATE, SOLVED, Cards, FollowUpPress, parse_press
from dialogs.followup.records import AWAITING_ANSWER, FollowUp, FollowUpStatus, PhoneResult
from dialogs.messages import ALERT
from dialogs.nlu.feedback import FeedbackReader, Sentiment
from dialogs.nlu.types import Intent
from dialogs.permissions import StaffAction, allowed
from dialogs.routing import supervisors_of
from dialogs.staffdesk import StaffDesk
from dialogs.tickets import open_ticket
from dialogs.turn import Turn

log = logging.getLogger(__name__)

# How sure the feedback reader must be before idle typing is taken as the answer to an open follow-up.
MIN_READING = 0.45
# How sure the intent model must be that idle typing is a new request, for it not to be read as an answer.
NEW_REQUEST = 0.8
# A rating read from the tone alone, when the resident wrote words rather than a score.
TONE_RATING = {Sentiment.POSITIVE: 4, Sentiment.NEUTRAL: 3, Sentiment.NEGATIVE: 2}
# What a phone result means as a rating and "solved" (the phone call asks the same questions).
PHONE_ANSWER = {PhoneResult.SATISFIED: (4, True), PhoneResult.UNSATISFIED: (2, False)}


class FollowUpStep(StrEnum):
    """The only typed step: the optional comment."""

    COMMENT = "comment"


class FollowUpFlow:
    """Answers to follow-ups, by button or typed."""

    name = FlowName.FOLLOWUP

    def __init__(self, reader: FeedbackReader | None) -> None:
        self._reader = reader

    # -- buttons ---------------------------------------------------------------------------------------------

    def on_action(self, turn: Turn) -> None:
        """A follow-up button: the resident's rating, solved, no comment; or staff's phone result."""
        action = turn.message.action
        assert action is not None
        press = parse_press(action.arg)
        followup = turn.uow.followups.get(followup_id=press.followup_id) if press else None
        if press is None or followup is None:
            turn.say("common.stale_button")
            return
        if press.op == PHONE:
            self._phone_result(turn, followup, press)
            return
        if followup.chat_id != turn.message.chat_id or followup.channel != turn.message.channel.value:
            turn.say("common.stale_button")
            return
        if press.op == NO_COMMENT:
            if turn.flow == self.name:
                turn.end_flow()
            turn.say("followup.thanks", reference=followup.reference)
            return
        if followup.status not in AWAITING_ANSWER:
            turn.say("followup.already", reference=followup.reference)
            return
        if press.op == RATE and press.value.isdigit() and 1 <= int(press.value) <= 5:
            if not turn.uow.followups.record_rating(
                followup_id=followup.id or 0, rating=int(press.value), now=turn.now
            ):
                turn.say("followup.counted", reference=followup.reference)  # then ask what is still missing
        elif press.op == SOLVED and press.value in ("y", "n"):
            if not turn.uow.followups.record_solved(
                followup_id=followup.id or 0, solved=press.value == "y", now=turn.now
            ):
                turn.say("followup.counted", reference=followup.reference)
        else:
            turn.say("common.stale_button")
            return
        self._advance(turn, followup.id or 0, comment="")

    # -- typing ----------------------------------------------------------------------------------------------

    def seen(self, turn: Turn) -> None:
        """The resident wrote to the bot: whatever blocked it before, they are reachable again."""
        if turn.resident.id is not None and turn.resident.unreachable_since is not None:
            turn.uow.followups.set_reachable(resident_id=turn.resident.id, unreachable_since=None)

    def answers(self, turn: Turn) -> bool:
        """Take idle typing as the answer to the chat's open follow-up, when it reads as one; True if so."""
        if self._reader is None or not turn.text:
            return False
        followup = turn.uow.followups.awaiting_answer(
            channel=turn.message.channel.value, chat_id=turn.message.chat_id
        )
        if followup is None or followup.id is None:
            return False
        intent = turn.parse().intent
        if intent.name == Intent.EMERGENCY:
            return False  # never let a callback swallow an emergency
        reading = self._reader.read(turn.text)
        if reading.confidence < MIN_READING or (reading.rating is None and reading.solved is None):
            return False
        request = intent.name in REQUEST_INTENTS and intent.confidence >= NEW_REQUEST
        if request and reading.solved is None and reading.confidence < 1.0:
            return False  # a new request ("我要投诉…"), unless it states a score or whether it was solved
        rating = reading.rating
        if rating is None and followup.rating is None:
            rating = TONE_RATING[reading.sentiment]
        if rating is not None:
            turn.uow.followups.record_rating(followup_id=followup.id, rating=rating, now=turn.now)
        if reading.solved is not None:
            turn.uow.followups.record_solved(followup_id=followup.id, solved=reading.solved, now=turn.now)
        self._advance(turn, followup.id, comment=turn.text)
        return True

    def resume(self, turn: Turn) -> None:
        """The comment step: whatever is typed is the comment."""
        followup = turn.uow.followups.get(followup_id=int(turn.slots.get("followup_id", 0)))
        turn.end_flow()
        if followup is None:
            turn.say("common.stale_button")
            return
        if turn.text:
            comment = f"{followup.comment}\n{turn.text}".strip()
            followup = turn.uow.followups.save(followup=replace(followup, comment=comment))
            if followup.complaint_reference is not None:
                self._pass_on_comment(turn, followup, turn.text)
        turn.say("followup.thanks", reference=followup.reference)

    def _pass_on_comment(self, turn: Turn, followup: FollowUp, comment: str) -> None:
        """A comment typed after an unsatisfactory answer belongs to the complaint it opened: noted on it, and
        the supervisors (told before the comment came) hear it too, since it is what they will call about."""
        complaint = turn.uow.tickets.get(reference=followup.complaint_reference or "")
        if complaint is None:
            return
        record(
            turn,
            complaint,
            EventKind.NOTE,
            f"resident:{turn.resident.id}",
            text=comment,
            followup=followup.id,
        )
        lang = turn.site.default_language
        text = turn.catalog.t(
            lang, "followup.staff.comment_added", complaint=complaint.reference, comment=comment
        )
        queue = complaint.queue or turn.site.routing.default_queue
        for member in supervisors_of(list(turn.uow.staff.list(active_only=True)), queue):
            turn.send(member.telegram_id, text)

    def reprompt(self, turn: Turn) -> None:
        """Ask for the comment again."""
        followup = turn.uow.followups.get(followup_id=int(turn.slots.get("followup_id", 0)))
        if followup is None:
            turn.end_flow()
            return
        turn.say("followup.ask_comment", buttons=self._cards(turn).no_comment_buttons(turn.lang, followup))

    # -- the answer's consequences ---------------------------------------------------------------------------

    def _advance(self, turn: Turn, followup_id: int, *, comment: str) -> None:
        """After a rating or "solved" was stored: escalate if unsatisfactory, then ask what is missing."""
        followup = turn.uow.followups.get(followup_id=followup_id)
        assert followup is not None
        if comment:
            followup = turn.uow.followups.save(followup=replace(followup, comment=comment))
        if followup.unsatisfactory and followup.complaint_reference is None:
            followup = self._escalate(turn, followup, actor=f"resident:{turn.resident.id}")
        cards = self._cards(turn)
        if followup.rating is None:
            turn.say("followup.ask_rating", buttons=cards.rating_buttons(turn.lang, followup))
            return
        if followup.solved is None:
            turn.say("followup.ask_solved", buttons=cards.solved_buttons(turn.lang, followup))
            return
        followup = turn.uow.followups.save(followup=replace(followup, status=FollowUpStatus.ANSWERED))
        if comment or turn.flow is not None:
            turn.say("followup.thanks", reference=followup.reference)  # said it all, or busy with a request
            return
        turn.go(self.name, FollowUpStep.COMMENT, followup_id=followup.id)
        turn.say("followup.ask_comment", buttons=cards.no_comment_buttons(turn.lang, followup))

    def _escalate(self, turn: Turn, followup: FollowUp, *, actor: str) -> FollowUp:
        """Reopen the ticket, tell the queue's supervisors, open a linked complaint, tell the resident."""
        ticket = turn.uow.tickets.get(reference=followup.reference)
        if ticket is None:
            return followup
        desk = StaffDesk()
        if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            ticket = turn.uow.tickets.save(
                ticket=replace(ticket, status=TicketStatus.OPEN, updated_at=turn.now)
            )
            record(
                turn,
                ticket,
                EventKind.STATUS_CHANGED,
                actor,
                to=TicketStatus.OPEN.value,
                reopened=True,
                followup=followup.id,
            )
            desk.publish(turn, ticket)
        lang = turn.site.default_language
        complaint = self._complaint(turn, ticket, followup)
        followup = turn.uow.followups.save(
            followup=replace(followup, complaint_reference=complaint.reference)
        )
        text = turn.catalog.t(
            lang,
            "followup.staff.unsatisfied",
            reference=ticket.reference,
            kind=self._cards(turn).kind(lang, followup),
            rating=self._rating_words(turn, followup),
            solved=self._solved_words(turn, followup),
            comment=followup.comment or turn.catalog.t(lang, "followup.staff.no_comment"),
            complaint=complaint.reference,
        )
        queue = ticket.queue or turn.site.routing.default_queue
        for member in supervisors_of(list(turn.uow.staff.list(active_only=True)), queue):
            turn.send(member.telegram_id, text)
        message = turn.catalog.t(
            ticket.language, "followup.escalated", reference=ticket.reference, complaint=complaint.reference
        )
        turn.send(followup.chat_id, message, audience="resident")
        log.info(
            "unsatisfactory follow-up escalated",
            extra={"ticket": ticket.reference, "complaint": complaint.reference},
        )
        return followup

    def _complaint(self, turn: Turn, ticket: Ticket, followup: FollowUp) -> Ticket:
        """The linked complaint, opened for the ticket's resident (also when staff record a phone result)."""
        resident = turn.uow.residents.get(resident_id=followup.resident_id)
        assert resident is not None
        lang = turn.site.default_language
        description = turn.catalog.t(
            lang,
            "followup.complaint_text",
            reference=ticket.reference,
            kind=self._cards(turn).kind(lang, followup),
            rating=self._rating_words(turn, followup),
            solved=self._solved_words(turn, followup),
            comment=followup.comment,
        ).strip()
        as_resident = Turn(
            message=replace(
                turn.message, chat_id=followup.chat_id, user_id=resident.external_id, action=None, text=""
            ),
            resident=resident,
            uow=turn.uow,
            site=turn.site,
            catalog=turn.catalog,
            nlu=turn.nlu,
            now=turn.now,
            staff_chat_id=turn.staff_chat_id,
        )
        details = {"complaint_class": "service", "linked_to": ticket.reference, "source": "followup"}
        complaint = open_ticket(
            as_resident,
            TicketType.COMPLAINT,
            description=description,
            location=ticket.location,
            phone=ticket.phone,
            details=details,
            household_id=ticket.household_id,
        )
        turn.replies.extend(as_resident.replies)
        return complaint

    # -- staff: the phone callback's result ------------------------------------------------------------------

    def _phone_result(self, turn: Turn, followup: FollowUp, press: FollowUpPress) -> None:
        lang = turn.site.default_language
        member = turn.uow.staff.find(telegram_id=turn.message.user_id)
        ticket = turn.uow.tickets.get(reference=followup.reference)
        if (
            member is None
            or not member.active
            or ticket is None
            or not allowed(member, StaffAction.REPLY, ticket)
        ):
            turn.send(turn.message.user_id, turn.catalog.t(lang, "staff.refused"), audience=ALERT)
            return
        try:
            result = PhoneResult(press.value)
        except ValueError:
            turn.send(turn.message.user_id, turn.catalog.t(lang, "common.stale_button"), audience=ALERT)
            return
        rating, solved = PHONE_ANSWER.get(result, (None, None))
        # One conditional update claims the task: of two staff pressing at once (the group and a supervisor's
        # private chat are not serialised by the per-chat lock) only one records, and only one escalates.
        if not turn.uow.followups.record_phone_result(
            followup_id=followup.id or 0, result=result.value, rating=rating, solved=solved, now=turn.now
        ):
            turn.send(
                turn.message.user_id,
                turn.catalog.t(lang, "followup.phone.already", reference=followup.reference),
                audience=ALERT,
            )
            return
        followup = turn.uow.followups.get(followup_id=followup.id or 0) or followup
        if followup.unsatisfactory and followup.complaint_reference is None:
            followup = self._escalate(turn, followup, actor=f"staff:{member.id}")
        cards = self._cards(turn)
        note = turn.catalog.t(
            lang,
            "followup.phone.recorded",
            result=turn.catalog.t(lang, f"followup.phone.{result.value}"),
            name=member.name,
        )
        phone = ticket.phone if ticket else None
        key = cards.phone_key(followup)
        if turn.staff_chat_id is not None:
            turn.send(
                turn.staff_chat_id,
                cards.phone_task(followup, ticket, phone, private=False) + "\n" + note,
                key=key,
            )
        queue = ticket.queue or turn.site.routing.default_queue
        for supervisor in supervisors_of(list(turn.uow.staff.list(active_only=True)), queue):
            turn.send(
                supervisor.telegram_id,
                cards.phone_task(followup, ticket, phone, private=True) + "\n" + note,
                key=key,
            )

    # -- helpers ---------------------------------------------------------------------------------------------

    @staticmethod
    def _cards(turn: Turn) -> Cards:
        return Cards(site=turn.site, catalog=turn.catalog)

    @staticmethod
    def _rating_words(turn: Turn, followup: FollowUp) -> str:
        lang = turn.site.default_language
        if followup.rating is None:
            return turn.catalog.t(lang, "followup.staff.no_rating")
        return turn.catalog.t(lang, "followup.staff.rating", rating=followup.rating)

    @staticmethod
    def _solved_words(turn: Turn, followup: FollowUp) -> str:
        lang = turn.site.default_language
        if followup.solved is None:
            return turn.catalog.t(lang, "followup.staff.solved_unknown")
        return turn.catalog.t(
            lang, "followup.staff.solved_yes" if followup.solved else "followup.staff.solved_no"
        )
