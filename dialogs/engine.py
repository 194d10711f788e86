"""The dialog engine: one incoming message in, the replies out, everything stored in one transaction.

For each message the engine loads the resident and the chat's conversation state, lets the right flow act,
and saves the resident, the state, any tickets and the outgoing messages (outbox) in the same unit of work.
A crash before the commit loses nothing (the channel has not acknowledged the update); a crash after it
loses nothing either (the outbox still holds the replies).

Routing, in order: commands; buttons that mean the same everywhere (cancel, language, a person); an open
conversation, unless the message is an emergency or, confidently, a different request — then the open
conversation is parked and resumed afterwards, so nothing the resident started is lost; otherwise the NLU's
reading, asking back when it is unsure.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from dialogs.clock import Clock
from dialogs.domain import Conversation, Resident
from dialogs.flood import FloodGuard, FloodVerdict
from dialogs.flows.base import REQUEST_INTENTS, Flow, FlowName
from dialogs.flows.clarify import ClarifyFlow
from dialogs.flows.complaint import ComplaintFlow
from dialogs.flows.emergency import EmergencyFlow, EmergencyStep
from dialogs.flows.followup import FollowUpFlow
from dialogs.flows.handoff import HandoffFlow
from dialogs.flows.inquiry import InquiryFlow
from dialogs.flows.onboarding import OnboardingFlow
from dialogs.flows.praise import PraiseFlow
from dialogs.flows.repair import RepairFlow
from dialogs.flows.service_order import ServiceOrderFlow
from dialogs.flows.status import StatusFlow
from dialogs.flows.suggestion import SuggestionFlow
from dialogs.flows.survey import SurveyFlow
from dialogs.household import HouseholdFile
from dialogs.i18n import Catalog, normalize_language
from dialogs.messages import ALERT, ActionKind, AttachmentKind, IncomingMessage, Outgoing, Reply
from dialogs.nlu.feedback import FeedbackReader
from dialogs.nlu.types import Intent, NluBackend, ParseResult
from dialogs.ports import ConcurrentUpdateError, UnitOfWork, UnitOfWorkFactory
from dialogs.records.mydata import ExportFiles, MyDataCommand
from dialogs.site import SiteConfig
from dialogs.staffdesk import STAFF_KINDS, StaffDesk
from dialogs.text import MAX_TEXT, clean
from dialogs.tickets import describe_for_list
from dialogs.turn import Turn

log = logging.getLogger(__name__)

CONVERSATION_VERSION = 1
PARKED = "parked"  # slot holding a conversation interrupted by another request
CONCURRENT_RETRIES = 3  # turns redone after a concurrent change of a ticket before the update fails
SWITCH_CONFIDENCE = 0.8  # how sure the NLU must be before an answer is read as a new request instead
# Intents that are understood without any flow: a short courteous answer is all they need.
SMALL_TALK: dict[str, str] = {
    Intent.THANKS: "smalltalk.thanks",
    Intent.GOODBYE: "smalltalk.goodbye",
    Intent.AFFIRM: "smalltalk.affirm",
    Intent.DENY: "smalltalk.deny",
    Intent.OUT_OF_SCOPE: "smalltalk.out_of_scope",
}
# The request each conversation is about, to tell "a different request" from an answer.
FLOW_INTENT: dict[str, str] = {
    FlowName.REPAIR: Intent.REPAIR,
    FlowName.EMERGENCY: Intent.EMERGENCY,
    FlowName.COMPLAINT: Intent.COMPLAINT,
    FlowName.SERVICE_ORDER: Intent.SERVICE_ORDER,
    FlowName.HANDOFF: Intent.HUMAN_HANDOFF,
}
# Entities that make a message an answer to the open question rather than a new request.
ANSWER_ENTITIES: frozenset[str] = frozenset({"room", "phone", "datetime"})


@dataclass(frozen=True)
class _Done:
    """A turn's outcome: the replies (alerts included) and what is left to store."""

    replies: list[Outgoing]
    conversation: Conversation
    outbox: list[Outgoing]


@dataclass(frozen=True)
class _Known:
    """What a batch read ahead for one turn: the resident (registered if new) and the chat's state."""

    resident: Resident
    conversation: Conversation | None
    understood: ParseResult | None


@dataclass(frozen=True)
class _Reads:
    """A batch's reads for one channel, sent and not read yet (`Engine._send_reads`)."""

    messages: list[IncomingMessage]
    residents: Callable[[], dict[int, Resident]]
    states: Callable[[], dict[int, Conversation]]


def _typed_text(message: IncomingMessage) -> str:
    """The text a turn of this message would give the NLU ("" when `_dispatch` answers it unread)."""
    text = message.text.strip()
    if message.action is not None or message.edited or text.startswith("/") or len(text) > MAX_TEXT:
        return ""
    return text


def _chat(message: IncomingMessage) -> tuple[str, int]:
    return message.channel.value, message.chat_id


def _cleaned(message: IncomingMessage) -> IncomingMessage:
    """The message without control characters in what the person typed (text and name)."""
    return replace(message, text=clean(message.text), first_name=clean(message.first_name))


class Engine:
    """Understands messages and runs the conversation flows."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        nlu: NluBackend,
        site: SiteConfig,
        catalog: Catalog,
        staff_chat_id: int | None = None,
        confidence_threshold: float = 0.45,
        flood: FloodGuard | None = None,
        exports: ExportFiles | None = None,
        feedback: FeedbackReader | None = None,
    ) -> None:
        self._staff_chat_id = staff_chat_id
        self._flood = flood
        self._mydata = MyDataCommand(site=site, files=exports)  # /mydata: `exports` keeps its files
        self._desk = StaffDesk()
        self._household_file = HouseholdFile(site=site, catalog=catalog)
        self._uow_factory = uow_factory
        self._clock = clock
        self._nlu = nlu
        self._site = site
        self._catalog = catalog
        self._threshold = confidence_threshold
        self._onboarding = OnboardingFlow()
        self._repair = RepairFlow()
        self._emergency = EmergencyFlow()
        self._complaint = ComplaintFlow()
        self._service = ServiceOrderFlow()
        self._handoff = HandoffFlow()
        self._inquiry = InquiryFlow(self._handoff)
        self._suggestion = SuggestionFlow()
        self._praise = PraiseFlow()
        self._status = StatusFlow()
        self._clarify = ClarifyFlow()
        self._survey = SurveyFlow()
        self._followup = FollowUpFlow(feedback)
        self._flows: dict[str, Flow] = {
            FlowName.ONBOARDING: self._onboarding,
            FlowName.REPAIR: self._repair,
            FlowName.EMERGENCY: self._emergency,
            FlowName.COMPLAINT: self._complaint,
            FlowName.SERVICE_ORDER: self._service,
            FlowName.HANDOFF: self._handoff,
            FlowName.STAFF: self._desk,
            FlowName.SURVEY: self._survey,
            FlowName.FOLLOWUP: self._followup,
        }

    def handle(self, message: IncomingMessage) -> list[Outgoing]:
        """Process one message; the replies are already in the outbox when this returns."""
        if not message.is_private and message.action is None:
            return []  # group chatter: the bot serves only its buttons there, so nothing is read or stored
        flood = self._flood_verdict(message)
        if flood is not FloodVerdict.ADMIT:
            return self._flooded(message, notify=flood is FloodVerdict.NOTIFY)
        try:
            replies = self._process_fresh(_cleaned(message))
        except Exception:
            self._refund(message)  # not processed: the redelivery must not count twice against the person
            raise
        if replies is None:
            self._refund(message)  # a redelivery of what was already handled costs nothing
            return []
        return replies

    def _process_fresh(self, message: IncomingMessage) -> list[Outgoing] | None:
        """`_process`, redone from the start when a record it changed was changed first by someone else."""
        for attempt in range(1, CONCURRENT_RETRIES + 1):
            try:
                return self._process(message)
            except ConcurrentUpdateError:
                if attempt == CONCURRENT_RETRIES:
                    raise
                log.info("concurrent change, turn redone", extra={"update_id": message.update_id})
        raise AssertionError("unreachable")

    def handle_batch(self, messages: Sequence[IncomingMessage]) -> list[list[Outgoing] | Exception]:
        """Several updates in one transaction: one commit and one round of bookkeeping for all (group
        commit), each update's replies or the exception it raised, in order.

        Only private chats are batched, one update per chat: a turn in a group (a staff button) may also
        lock the presser's private chat, and a batch holding private chats must never wait for it
        (`_together` takes its chats' locks up front); a chat's second update is handled after the batch,
        so it reads what the first one wrote. If any turn fails, nothing of the batch is kept and each
        update is handled on its own, so a bad update costs the others only time and what it raises is its
        alone.
        """
        outcomes: list[list[Outgoing] | Exception | None] = [None] * len(messages)
        first_of_chat: dict[tuple[str, int], int] = {}
        for index, message in enumerate(messages):
            if message.is_private:
                first_of_chat.setdefault(_chat(message), index)
        batched = sorted(first_of_chat.values())
        if len(batched) > 1:
            together = self._together([messages[index] for index in batched])
            for index, replies in zip(batched, together, strict=True):
                outcomes[index] = replies
        for index, message in enumerate(messages):
            if outcomes[index] is None:
                try:
                    outcomes[index] = self.handle(message)
                except Exception as error:
                    outcomes[index] = error
        return [outcome if outcome is not None else [] for outcome in outcomes]

    def _together(self, messages: Sequence[IncomingMessage]) -> list[list[Outgoing] | None]:
        """The batch (distinct chats) in one unit of work: each update's replies, or None for those left
        to be handled alone because the batch failed (nothing of it kept, flood tokens given back).

        The batch's statements are shared too: one lock statement for all its chats, one insert claiming
        all its update ids, and its turns' conversation states and outbox rows written together at the end
        (no turn of another private chat reads them, and group turns, which write other chats' states, are
        never batched). On PostgreSQL each statement saved is a round trip and ~120 µs of CPU. Updates over
        the flood limit are answered (or dropped) before the batch and keep that answer whatever happens to
        it, so a failed batch does not count them twice.
        """
        outcomes: list[list[Outgoing] | None] = [None] * len(messages)
        admitted: list[tuple[int, IncomingMessage]] = []
        for index, message in enumerate(messages):
            flood = self._flood_verdict(message)
            if flood is FloodVerdict.ADMIT:
                admitted.append((index, _cleaned(message)))
            else:
                with contextlib.suppress(Exception):  # its notice not stored: `handle` tries it again
                    outcomes[index] = self._flooded(message, notify=flood is FloodVerdict.NOTIFY)
        try:
            now = self._clock.now()
            with self._uow_factory() as uow:
                batch = [m for _, m in admitted]
                # Every chat of the batch locked first, in one order: two workers' batches sharing chats
                # then wait for each other instead of each holding what the other needs. The lock, the
                # reads ahead and the claim go out together and are answered in one round trip (the
                # server runs them in that order: the reads see what the lock waited for).
                with uow.sent_together():
                    uow.chat_locks.lock_many(chats=[_chat(m) for m in batch])
                    reads = self._send_reads(uow, batch, now)
                    fresh = self._claim_all(uow, batch, now)
                    # While the server works through those, the NLU reads the batch's texts.
                    understood = self._understand_ahead(batch, now)
                known = self._read_ahead(reads, understood)
                done = [
                    (index, self._turn(uow, message, now, known[_chat(message)]) if fresh(message) else None)
                    for index, message in admitted
                ]
                turns = [turn for _, turn in done if turn is not None]
                with uow.sent_together(then_commit=True):
                    uow.conversations.save_many(conversations=[turn.conversation for turn in turns])
                    uow.outbox.enqueue_many(messages=[m for turn in turns for m in turn.outbox], now=now)
        except Exception:
            log.info("batch redone update by update", extra={"count": len(admitted)}, exc_info=True)
            for _, message in admitted:
                self._refund(message)  # `handle` checks each one again
            return outcomes
        for index, turn in done:
            if turn is None:
                log.info("duplicate update ignored", extra={"update_id": messages[index].update_id})
                self._refund(messages[index])  # a redelivery
                outcomes[index] = []
            else:
                outcomes[index] = turn.replies
        return outcomes

    @staticmethod
    def _claim_all(
        uow: UnitOfWork, messages: Sequence[IncomingMessage], now: datetime
    ) -> Callable[[IncomingMessage], bool]:
        """Record the batch's update ids (one insert per channel); tells which messages are new."""
        claimed: dict[str, set[int]] = {}
        for channel in {m.channel.value for m in messages}:
            ids = [m.update_id for m in messages if m.channel.value == channel and m.update_id is not None]
            claimed[channel] = uow.processed_updates.claim_many(channel=channel, update_ids=ids, now=now)
        return lambda m: m.update_id is None or m.update_id in claimed[m.channel.value]

    def _send_reads(
        self, uow: UnitOfWork, messages: Sequence[IncomingMessage], now: datetime
    ) -> list[_Reads]:
        """Send the batch's reads ahead, per channel: its senders (registered first if they write for the
        first time), its chat states, and which of the chats whose typing may answer a callback question
        have none open (most have none). Their answers are read by `_read_ahead`."""
        uow.staff.prefetch()  # read when a turn opens a ticket (who is on shift, with which skills)
        sent: list[_Reads] = []
        for channel in {m.channel.value for m in messages}:
            mine = [m for m in messages if m.channel.value == channel]
            senders = {m.user_id: self._newcomer(m, now) for m in mine}  # as stored if they are new
            residents = uow.residents.find_or_create_many_later(residents=list(senders.values()))
            states = uow.conversations.load_many_later(channel=channel, chat_ids=[m.chat_id for m in mine])
            typing = [m.chat_id for m in mine if _typed_text(m)]
            uow.followups.prefetch_awaiting(channel=channel, chat_ids=typing)
            sent.append(_Reads(messages=mine, residents=residents, states=states))
        return sent

    def _understand_ahead(
        self, messages: Sequence[IncomingMessage], now: datetime
    ) -> dict[tuple[str, int], ParseResult]:
        """The NLU's reading of each typed text of the batch, by chat, understood together (the model's
        per-call overhead paid once). Nearly every typed text is read by its turn; what `_dispatch`
        answers without reading (commands, presses, edits, over-long texts) is left out. Reading ahead
        only saves time: if it fails (a Rasa server away), each turn reads its own text as before."""
        typed = [(m, text) for m in messages if (text := _typed_text(m))]
        if not typed:
            return {}
        try:
            parses = self._nlu.parse_many([text for _, text in typed], now=now.astimezone(self._site.zone))
        except Exception:
            log.warning("reading the batch's texts ahead failed; each turn reads its own", exc_info=True)
            return {}
        return {_chat(m): parse for (m, _), parse in zip(typed, parses, strict=True)}

    @staticmethod
    def _read_ahead(
        reads: Sequence[_Reads], understood: dict[tuple[str, int], ParseResult]
    ) -> dict[tuple[str, int], _Known]:
        """Every turn's resident and chat state, by chat, from the reads sent ahead. No turn of a private
        chat writes another person's record or chat state, so what was read stays current. (A turn may
        change another chat's follow-up, staff recording a phone result, so the follow-up repository keeps
        what it read itself and forgets it at its first change.)
        """
        known: dict[tuple[str, int], _Known] = {}
        for sent in reads:
            residents = sent.residents()
            states = sent.states()
            for m in sent.messages:
                chat = _chat(m)
                known[chat] = _Known(residents[m.user_id], states.get(m.chat_id), understood.get(chat))
        return known

    def _process(self, message: IncomingMessage) -> list[Outgoing] | None:
        """The message's turn in a transaction of its own; None when this update was already handled."""
        with self._uow_factory() as uow:
            now = self._clock.now()
            if not self._admit(uow, message, now):
                log.info("duplicate update ignored", extra={"update_id": message.update_id})
                return None
            turn = self._turn(uow, message, now)
            with uow.sent_together(then_commit=True):
                uow.conversations.save(conversation=turn.conversation)
                uow.outbox.enqueue_many(messages=turn.outbox, now=now)
        return turn.replies

    def _turn(
        self, uow: UnitOfWork, message: IncomingMessage, now: datetime, known: _Known | None = None
    ) -> _Done:
        """One admitted message's turn inside `uow`; what it leaves to store is returned, not written (a
        batch writes all its turns' states and outbox rows together)."""
        turn = self._open_turn(uow, message, now, known)
        self._dispatch(turn)
        if turn.resident != turn.stored_resident:  # most messages change nothing about the person
            uow.residents.save(resident=turn.resident)
        conversation = Conversation(
            channel=message.channel.value,
            chat_id=message.chat_id,
            flow=turn.flow,
            step=turn.step,
            slots=turn.slots,
            misses=turn.misses,
            version=CONVERSATION_VERSION,
            updated_at=now,
        )
        # The sender's own chat first: the resident reads the answer before staff read the card. Alerts
        # answer the button press itself (see `ALERT`) and are not stored.
        outbox = [
            outgoing
            for outgoing in sorted(turn.replies, key=lambda m: m.chat_id != message.chat_id)
            if outgoing.audience != ALERT
        ]
        log.info(
            "handled message",
            extra={
                "channel": message.channel.value,
                "chat_id": message.chat_id,
                "update_id": message.update_id,
                "flow": turn.flow,
            },
        )
        return _Done(replies=turn.replies, conversation=conversation, outbox=outbox)

    # -- before the turn -------------------------------------------------------------------------------------

    def _flood_verdict(self, message: IncomingMessage) -> FloodVerdict:
        if self._flood is None:
            return FloodVerdict.ADMIT
        return self._flood.check(message.channel.value, message.user_id, self._clock.now())

    def _refund(self, message: IncomingMessage) -> None:
        if self._flood is not None:
            self._flood.refund(message.channel.value, message.user_id)

    def _flooded(self, message: IncomingMessage, *, notify: bool) -> list[Outgoing]:
        """A message over the person's flood limit: not processed; a press gets a pop-up, a chat one notice.

        A pop-up is cheap (no database: the language comes with the press), so every dropped press gets one
        and its spinner never hangs; a chat notice is stored in the outbox, once per flood window.
        """
        assert self._flood is not None
        now = self._clock.now()
        channel = message.channel.value
        if message.action is None and not notify:
            return []
        params = {
            "seconds": self._flood.retry_after(channel, message.user_id, now),
            "hotline": self._site.emergency_hotline,
        }
        if message.action is not None:
            lang = normalize_language(message.language_code, self._site.default_language)
            text = self._catalog.t(lang, "flood.notice", **params)
            return [Outgoing(message.channel, message.user_id, Reply(text=text), audience=ALERT)]
        with self._uow_factory() as uow:
            resident = uow.residents.find(channel=channel, external_id=message.user_id)
            lang = resident.language if resident else self._site.default_language
            if resident is None:
                lang = normalize_language(message.language_code, lang)
            notice = Outgoing(
                message.channel, message.chat_id, Reply(text=self._catalog.t(lang, "flood.notice", **params))
            )
            uow.outbox.enqueue(message=notice, now=now)
            uow.commit()
        log.warning("flood limit: messages dropped", extra={"chat_id": message.chat_id})
        return [notice]

    # -- set-up ----------------------------------------------------------------------------------------------

    def _admit(self, uow: UnitOfWork, message: IncomingMessage, now: datetime) -> bool:
        """Take the chat's lock for this transaction, then record the update; False if it was handled before.

        The lock comes first so that another process handling the same chat waits before reading its state
        (order and no lost update across workers); the record commits with the effects, so a redelivery
        after a crash is handled in full and a redelivery after the commit has no effect.
        """
        uow.chat_locks.lock(channel=message.channel.value, chat_id=message.chat_id)
        if not message.is_private:
            # A press in a group may write the presser's own record and private chat state (a staff
            # prompt): wait for a turn of that private chat, or for a batch holding it. Locks are only ever
            # taken from a group towards a private chat, and group turns are never batched, so no two
            # transactions wait on each other.
            uow.chat_locks.lock(channel=message.channel.value, chat_id=message.user_id)
        if message.update_id is None:
            return True
        return uow.processed_updates.claim(
            channel=message.channel.value, update_id=message.update_id, now=now
        )

    def _open_turn(
        self, uow: UnitOfWork, message: IncomingMessage, now: datetime, known: _Known | None
    ) -> Turn:
        """The turn's starting point: the resident (registered on first contact) and the chat's state, read
        now or, in a batch, read ahead for all its turns (`known`)."""
        if known is None:
            resident = uow.residents.find(channel=message.channel.value, external_id=message.user_id)
            conversation = uow.conversations.load(channel=message.channel.value, chat_id=message.chat_id)
            if resident is None:
                resident = uow.residents.find_or_create(resident=self._newcomer(message, now))
        else:
            resident, conversation = known.resident, known.conversation
        stored = resident
        if message.first_name and message.first_name != resident.display_name:
            resident = replace(resident, display_name=message.first_name)
        turn = Turn(
            message=message,
            resident=resident,
            uow=uow,
            site=self._site,
            catalog=self._catalog,
            nlu=self._nlu,
            now=now,
            staff_chat_id=self._staff_chat_id,
            stored_resident=stored,
            understood=known.understood if known is not None else None,
        )
        if conversation is not None and conversation.version == CONVERSATION_VERSION:
            turn.flow, turn.step = conversation.flow, conversation.step
            turn.slots, turn.misses = dict(conversation.slots), conversation.misses
        return turn

    def _newcomer(self, message: IncomingMessage, now: datetime) -> Resident:
        """The record of someone writing for the first time: their name and language as the channel gives
        them (the language falls back to the site's default)."""
        return Resident(
            id=None,
            channel=message.channel.value,
            external_id=message.user_id,
            display_name=message.first_name,
            language=normalize_language(message.language_code, self._site.default_language),
            created_at=now,
        )

    # -- routing ---------------------------------------------------------------------------------------------

    def _dispatch(self, turn: Turn) -> None:
        message = turn.message
        action = message.action
        if action is not None and action.kind in STAFF_KINDS:
            self._desk.on_action(turn)  # staff buttons work in the group and in private chats
            return
        if action is not None and action.kind is ActionKind.DONE_CHECK:
            self._desk.on_done_check(turn)
            return
        if action is not None and action.kind is ActionKind.SURVEY:
            parked = self._survey.on_action(turn)  # works wherever the resident's conversation stands
            if parked is not None:
                self._restore(turn, parked)
            return
        if action is not None and action.kind is ActionKind.FOLLOWUP:
            self._followup.on_action(turn)  # a callback answer or staff's phone result, wherever pressed
            return
        if not message.is_private:
            return  # in groups the bot only serves its buttons; residents talk to it privately
        self._followup.seen(turn)  # writing to the bot again means it is no longer blocked
        if action is not None and action.kind is ActionKind.UNKNOWN:
            turn.send(message.user_id, turn.t("common.stale_button"), audience=ALERT)  # a pop-up; state kept
            return
        if message.edited:
            turn.say("common.edit_not_read")  # the open question, if any, stays open
            return
        if len(turn.text) > MAX_TEXT:
            turn.say("common.too_long", limit=MAX_TEXT)  # the open question, if any, stays open
            return
        if turn.flow == FlowName.STAFF and turn.text != "/cancel":
            self._desk.resume(turn)  # staff typing for a resident: never read as the resident's words
            return
        if turn.text.startswith("/"):
            self._command(turn)
            return
        if action is not None and self._global_action(turn):
            return
        if turn.flow is not None and turn.flow != FlowName.CLARIFY:
            self._in_flow(turn)
            return
        if turn.flow == FlowName.CLARIFY:
            misses = turn.misses
            turn.end_flow()
            turn.misses = misses
        if not turn.text:
            turn.say("common.stale_button" if action is not None else "common.media_without_context")
            return
        if self._followup.answers(turn):
            return  # idle typing that answers the chat's open follow-up ("还行吧")
        self._understand(turn)

    def _global_action(self, turn: Turn) -> bool:
        """Buttons that mean the same in every conversation; True when handled."""
        action = turn.message.action
        assert action is not None
        if action.kind is ActionKind.CANCEL:
            self._cancel(turn)
        elif action.kind is ActionKind.LANGUAGE:
            self._set_language(turn, action.arg)
        elif action.kind is ActionKind.HANDOFF:
            text = str(turn.slots.get("text", ""))
            turn.end_flow()
            self._handoff.start(turn, text)
        elif action.kind is ActionKind.CHOOSE_INTENT and turn.flow == FlowName.CLARIFY:
            text = str(turn.slots.get("text", ""))
            turn.end_flow()
            turn.retext(text)  # the flow reads the original message, as if it had been understood at once
            self._start_intent(turn, action.arg, text)
        else:
            return False
        return True

    def _in_flow(self, turn: Turn) -> None:
        if turn.text:
            if self._wants_cancel(turn):
                self._cancel(turn)
                return
            switch = self._switch_to(turn)
            if switch is not None:
                self._interrupt(turn, switch)
                return
        message = turn.message
        unusable = [a for a in message.attachments if a.kind is not AttachmentKind.PHOTO]
        if unusable and not turn.text and turn.flow != FlowName.HANDOFF:
            turn.say("common.unsupported_media")  # nothing is lost: the open question stays open
            return
        parked = turn.slots.get(PARKED)
        flow = self._flows.get(str(turn.flow))
        if flow is None:
            log.warning("unknown stored flow %s; resetting", turn.flow)
            turn.end_flow()
            turn.say("help.what_i_do")
            return
        flow.resume(turn)
        if turn.flow is None and isinstance(parked, dict):
            self._restore(turn, parked)

    def _switch_to(self, turn: Turn) -> str | None:
        """A new request that should interrupt the open conversation, if the message is one."""
        parse = turn.parse()
        intent = parse.intent.name
        own = FLOW_INTENT.get(str(turn.flow))
        if intent == Intent.EMERGENCY:
            answering_where = turn.flow == FlowName.EMERGENCY and turn.step == EmergencyStep.LOCATION
            return None if answering_where else intent
        if turn.flow in (FlowName.HANDOFF, FlowName.STAFF, FlowName.SURVEY):
            return None  # a person is reading along, staff are typing for a resident, or it is a comment
        if intent not in REQUEST_INTENTS or intent == own or parse.intent.confidence < SWITCH_CONFIDENCE:
            return None
        if any(entity.entity in ANSWER_ENTITIES for entity in parse.entities):
            return None
        return intent

    def _interrupt(self, turn: Turn, intent: str) -> None:
        """Handle a new request now; the unfinished conversation is parked and resumed afterwards."""
        parked = {"flow": turn.flow, "step": turn.step, "slots": turn.slots}
        turn.end_flow()
        self._start_intent(turn, intent, turn.text)
        if turn.flow is None:
            self._restore(turn, parked)
        else:
            turn.slots[PARKED] = parked

    def _restore(self, turn: Turn, parked: dict[str, Any]) -> None:
        flow = self._flows.get(str(parked.get("flow")))
        if flow is None:
            return
        turn.flow, turn.step = parked.get("flow"), parked.get("step")
        turn.slots = dict(parked.get("slots") or {})
        turn.say("common.resume_parked")
        flow.reprompt(turn)

    def _understand(self, turn: Turn) -> None:
        parse = turn.parse()
        intent = parse.intent.name
        if parse.intent.confidence < self._threshold and intent != Intent.EMERGENCY:
            self._clarify.start(turn, parse)
            return
        turn.misses = 0
        self._start_intent(turn, intent, turn.text)

    def _start_intent(self, turn: Turn, intent: str, text: str) -> None:
        if intent == Intent.REPAIR:
            self._repair.start(turn)
        elif intent == Intent.EMERGENCY:
            self._emergency.start(turn, text)
        elif intent == Intent.COMPLAINT:
            self._complaint.start(turn, text)
        elif intent == Intent.SUGGESTION:
            self._suggestion.start(turn, text)
        elif intent == Intent.PRAISE:
            self._praise.start(turn, text)
        elif intent == Intent.SERVICE_ORDER:
            self._service.start(turn, text)
        elif intent == Intent.INQUIRY:
            self._inquiry.start(turn, text)
        elif intent == Intent.TICKET_STATUS:
            self._status.start(turn, text)
        elif intent == Intent.HUMAN_HANDOFF:
            self._handoff.start(turn, text)
        elif intent == Intent.GREET:
            turn.say("greet.hello", name=turn.site.name.get(turn.lang))
            if turn.resident.household_id is None:
                self._onboarding.start(turn)
            else:
                turn.say("help.what_i_do")
        elif intent == Intent.CANCEL:
            turn.say("cancel.nothing")
        else:
            turn.say(SMALL_TALK.get(intent, "smalltalk.out_of_scope"))

    def _wants_cancel(self, turn: Turn) -> bool:
        parse = turn.parse()
        return parse.intent.name == Intent.CANCEL and parse.intent.confidence >= self._threshold

    # -- commands --------------------------------------------------------------------------------------------

    def _command(self, turn: Turn) -> None:
        command, _, argument = turn.text.partition(" ")
        command = command.split("@", 1)[0].lower()
        if command == "/start":
            turn.end_flow()
            turn.say("greet.hello", name=turn.site.name.get(turn.lang))
            if turn.resident.household_id is None or turn.resident.phone is None:
                self._onboarding.start(turn)
            else:
                turn.say("help.what_i_do")
        elif command == "/help":
            turn.say("help.what_i_do")
            turn.say("help.commands")
        elif command == "/cancel":
            self._cancel(turn)
        elif command == "/mydata":
            self._mydata.handle(turn)
        elif command == "/mytickets":
            self._list_tickets(turn)
        elif command in ("/onshift", "/offshift"):
            self._shift(turn, on=command == "/onshift")
        elif command == "/household":
            self._show_household(turn, argument)
        elif command == "/lang":
            if argument.strip():
                self._set_language(turn, argument.strip())
            else:
                turn.say(
                    "lang.choose",
                    buttons=(
                        (
                            turn.button("lang.zh", ActionKind.LANGUAGE, "zh"),
                            turn.button("lang.en", ActionKind.LANGUAGE, "en"),
                        ),
                    ),
                )
        else:
            turn.say("common.unknown_command")

    def _shift(self, turn: Turn, *, on: bool) -> None:
        member = turn.uow.staff.find(telegram_id=turn.message.user_id)
        lang = self._site.default_language
        if member is None or not member.active:
            turn.say_text(self._catalog.t(lang, "staff.not_staff"))
            return
        turn.uow.staff.save(member=replace(member, on_shift=on))
        turn.say_text(self._catalog.t(lang, "staff.on_shift" if on else "staff.off_shift"))

    def _show_household(self, turn: Turn, room: str) -> None:
        """Staff read a household's file (一户一档); residents may not."""
        member = turn.uow.staff.find(telegram_id=turn.message.user_id)
        lang = self._site.default_language
        if member is None or not member.active:
            turn.say_text(self._catalog.t(lang, "staff.not_staff"))
        elif not room.strip():
            turn.say_text(self._catalog.t(lang, "household.usage"))
        else:
            turn.say_text(self._household_file.render(turn.uow, room))

    def _cancel(self, turn: Turn) -> None:
        if turn.flow is None or turn.flow == FlowName.CLARIFY:
            turn.end_flow()
            turn.say("cancel.nothing", remove_keyboard=True)
        elif turn.flow == FlowName.HANDOFF:
            turn.end_flow()
            turn.say("handoff.left", remove_keyboard=True)
        else:
            turn.end_flow()
            turn.say("cancel.done", remove_keyboard=True)

    def _set_language(self, turn: Turn, code: str) -> None:
        lang = normalize_language(code, self._site.default_language)
        turn.update_resident(language=lang)
        turn.say("lang.set")

    def _list_tickets(self, turn: Turn) -> None:
        if turn.resident.id is None:
            turn.say("mytickets.none")
            return
        tickets = list(turn.uow.tickets.list_for_resident(resident_id=turn.resident.id, limit=10))
        if not tickets:
            turn.say("mytickets.none")
            return
        lines = [turn.t("mytickets.title")]
        lines += [describe_for_list(turn, ticket) for ticket in tickets]
        turn.say_text("\n".join(lines))
