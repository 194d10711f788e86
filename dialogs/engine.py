"""The dialog engine: one incoming message in, the replies out, everything stored in one transaction.

For each message the engine loads the resident and the chat's conversation state, lets the right flow act,
and saves the resident, the state, any tickets and the outgoing messages (outbox) in the same unit of work.
A crash before the commit loses nothing (the channel has not acknowledged the update); a crash after it
loses nothing either (the outbox still holds the replies).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from dialogs.clock import Clock
from dialogs.domain import Conversation, Resident
from dialogs.flows.base import Flow, FlowName
from dialogs.flows.clarify import ClarifyFlow
from dialogs.flows.onboarding import OnboardingFlow
from dialogs.flows.repair import RepairFlow
from dialogs.flows.requests import RequestFlow, RequestStep
from dialogs.i18n import Catalog, normalize_language
from dialogs.messages import ActionKind, IncomingMessage, Outgoing
from dialogs.nlu.types import Intent, NluBackend
from dialogs.ports import UnitOfWork, UnitOfWorkFactory
from dialogs.site import SiteConfig
from dialogs.tickets import describe_for_list
from dialogs.turn import Turn

log = logging.getLogger(__name__)

CONVERSATION_VERSION = 1
PARKED = "parked"  # slot holding a conversation interrupted by an emergency
# Intents that are understood without any flow: a short courteous answer is all they need.
SMALL_TALK: dict[str, str] = {
    Intent.THANKS: "smalltalk.thanks",
    Intent.GOODBYE: "smalltalk.goodbye",
    Intent.AFFIRM: "smalltalk.affirm",
    Intent.DENY: "smalltalk.deny",
    Intent.OUT_OF_SCOPE: "smalltalk.out_of_scope",
}


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
        confidence_threshold: float = 0.45,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._nlu = nlu
        self._site = site
        self._catalog = catalog
        self._threshold = confidence_threshold
        self._onboarding = OnboardingFlow()
        self._repair = RepairFlow()
        self._clarify = ClarifyFlow()
        self._requests = RequestFlow()

    def handle(self, message: IncomingMessage) -> list[Outgoing]:
        """Process one message; the replies are already in the outbox when this returns."""
        with self._uow_factory() as uow:
            now = self._clock.now()
            turn = self._open_turn(uow, message)
            self._dispatch(turn)
            uow.residents.save(resident=turn.resident)
            uow.conversations.save(
                conversation=Conversation(
                    channel=message.channel.value,
                    chat_id=message.chat_id,
                    flow=turn.flow,
                    step=turn.step,
                    slots=turn.slots,
                    misses=turn.misses,
                    version=CONVERSATION_VERSION,
                    updated_at=now,
                )
            )
            for outgoing in turn.replies:
                uow.outbox.enqueue(message=outgoing, now=now)
            uow.commit()
        log.info(
            "handled message",
            extra={"channel": message.channel.value, "chat_id": message.chat_id, "flow": turn.flow},
        )
        return turn.replies

    # -- set-up ----------------------------------------------------------------------------------------------

    def _open_turn(self, uow: UnitOfWork, message: IncomingMessage) -> Turn:
        resident = uow.residents.find(channel=message.channel.value, external_id=message.user_id)
        if resident is None:
            resident = uow.residents.save(
                resident=Resident(
                    id=None,
                    channel=message.channel.value,
                    external_id=message.user_id,
                    display_name=message.first_name,
                    language=normalize_language(message.language_code, self._site.default_language),
                    created_at=self._clock.now(),
                )
            )
        elif message.first_name and message.first_name != resident.display_name:
            resident = replace(resident, display_name=message.first_name)
        conversation = uow.conversations.load(channel=message.channel.value, chat_id=message.chat_id)
        turn = Turn(
            message=message,
            resident=resident,
            uow=uow,
            site=self._site,
            catalog=self._catalog,
            nlu=self._nlu,
            now=self._clock.now(),
        )
        if conversation is not None and conversation.version == CONVERSATION_VERSION:
            turn.flow, turn.step = conversation.flow, conversation.step
            turn.slots, turn.misses = dict(conversation.slots), conversation.misses
        return turn

    # -- routing ---------------------------------------------------------------------------------------------

    def _dispatch(self, turn: Turn) -> None:
        message = turn.message
        if not message.is_private:
            return  # group chats are the staff side's; residents talk to the bot privately
        if turn.text.startswith("/"):
            self._command(turn)
            return
        action = message.action
        if action is not None:
            if action.kind is ActionKind.CANCEL:
                self._cancel(turn)
                return
            if action.kind is ActionKind.LANGUAGE:
                self._set_language(turn, action.arg)
                return
            if action.kind is ActionKind.HANDOFF:
                self._requests.handoff(turn, turn.slots.get("text", ""))
                return
            if action.kind is ActionKind.CHOOSE_INTENT and turn.flow == FlowName.CLARIFY:
                text = str(turn.slots.get("text", ""))
                turn.end_flow()
                self._start_intent(turn, action.arg, text)
                return
        if turn.flow is not None and turn.flow != FlowName.CLARIFY:
            if turn.text and self._wants_cancel(turn):
                self._cancel(turn)
                return
            if turn.text and self._is_new_emergency(turn):
                self._interrupt_for_emergency(turn)
                return
            parked = turn.slots.get(PARKED)
            self._resume(turn)
            if turn.flow is None and isinstance(parked, dict):
                self._restore(turn, parked)
            return
        if turn.flow == FlowName.CLARIFY:
            misses = turn.misses
            turn.end_flow()
            turn.misses = misses
        if not turn.text:
            if action is not None:
                turn.say("common.stale_button")
            else:
                turn.say("common.media_without_context")
            return
        self._understand(turn)

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
        elif intent == Intent.GREET:
            turn.say("greet.hello", name=turn.site.name.get(turn.lang))
            if turn.resident.household_id is None:
                self._onboarding.start(turn)
            else:
                turn.say("help.what_i_do")
        elif intent == Intent.CANCEL:
            turn.say("cancel.nothing")
        elif intent == Intent.TICKET_STATUS:
            self._list_tickets(turn, active_only=True)
        elif intent in SMALL_TALK:
            turn.say(SMALL_TALK[intent])
        else:
            self._requests.start(turn, Intent(intent), text)

    def _resume(self, turn: Turn) -> None:
        flow = self._flows().get(str(turn.flow))
        if flow is None:
            log.warning("unknown stored flow %s; resetting", turn.flow)
            turn.end_flow()
            turn.say("help.what_i_do")
            return
        flow.resume(turn)

    def _is_new_emergency(self, turn: Turn) -> bool:
        """Danger reported in the middle of another conversation (never missed because a flow is open)."""
        in_emergency = turn.flow == FlowName.REQUEST and turn.step == RequestStep.EMERGENCY_LOCATION
        return not in_emergency and turn.parse().intent.name == Intent.EMERGENCY

    def _interrupt_for_emergency(self, turn: Turn) -> None:
        """Handle the emergency at once; the unfinished conversation is parked and resumed afterwards."""
        parked = {"flow": turn.flow, "step": turn.step, "slots": turn.slots}
        turn.end_flow()
        self._requests.start(turn, Intent.EMERGENCY, turn.text)
        if turn.flow is None:
            self._restore(turn, parked)
        else:
            turn.slots[PARKED] = parked

    def _restore(self, turn: Turn, parked: dict[str, Any]) -> None:
        turn.flow, turn.step = parked.get("flow"), parked.get("step")
        turn.slots = dict(parked.get("slots") or {})
        flow = self._flows().get(str(turn.flow))
        if flow is None:
            turn.end_flow()
            return
        turn.say("common.resume_parked")
        flow.reprompt(turn)

    def _flows(self) -> dict[str, Flow]:
        return {
            FlowName.ONBOARDING: self._onboarding,
            FlowName.REPAIR: self._repair,
            FlowName.REQUEST: self._requests,
        }

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
        elif command == "/mytickets":
            self._list_tickets(turn, active_only=False)
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

    def _cancel(self, turn: Turn) -> None:
        if turn.flow is None or turn.flow == FlowName.CLARIFY:
            turn.end_flow()
            turn.say("cancel.nothing", remove_keyboard=True)
        else:
            turn.end_flow()
            turn.say("cancel.done", remove_keyboard=True)

    def _set_language(self, turn: Turn, code: str) -> None:
        lang = normalize_language(code, self._site.default_language)
        turn.update_resident(language=lang)
        turn.say("lang.set")

    def _list_tickets(self, turn: Turn, *, active_only: bool) -> None:
        if turn.resident.id is None:
            turn.say("mytickets.none")
            return
        tickets = list(turn.uow.tickets.list_for_resident(resident_id=turn.resident.id, limit=10))
        if active_only:
            tickets = [ticket for ticket in tickets if ticket.status.is_active]
        if not tickets:
            turn.say("mytickets.none_active" if active_only else "mytickets.none")
            return
        lines = [turn.t("mytickets.title_active" if active_only else "mytickets.title")]
        lines += [describe_for_list(turn, ticket) for ticket in tickets]
        turn.say_text("\n".join(lines))
