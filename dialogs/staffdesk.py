"""The staff desk: tickets dispatched to queues and people, and what staff do with them in their chats.

Every new ticket is routed to a queue and, by the site's strategy, maybe to a person. A dispatch card goes to
the staff group and is edited in place as the ticket changes (its outbox key is the reference), so the group
always shows current state; an assignee also gets it privately. Staff act with the card's buttons: accept,
transfer, reply (relayed to the resident), resolve (with a note), and supervisors reassign or close. Each
action is checked against the permission matrix, becomes a ticket event, and tells the resident what
happened in their own language. A resident confirms a repair is done, or says it is not, which reopens it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from dialogs.domain import (
    Conversation,
    EventKind,
    StaffMember,
    Ticket,
    TicketStatus,
    TicketType,
)
from dialogs.events import record, resident_actor
from dialogs.flows.base import FlowName
from dialogs.followup.policy import schedule as schedule_followup
from dialogs.messages import ALERT, Action, ActionKind, Button
from dialogs.permissions import StaffAction, allowed
from dialogs.phones import mask_phone, mask_phones_in
from dialogs.promises import promised_by
from dialogs.routing import candidates, choose_assignee, queue_for, serves
from dialogs.turn import Turn

log = logging.getLogger(__name__)

STAFF_KINDS: dict[ActionKind, StaffAction] = {
    ActionKind.STAFF_ACCEPT: StaffAction.ACCEPT,
    ActionKind.STAFF_TRANSFER: StaffAction.TRANSFER,
    ActionKind.STAFF_TRANSFER_TO: StaffAction.TRANSFER,
    ActionKind.STAFF_REPLY: StaffAction.REPLY,
    ActionKind.STAFF_RESOLVE: StaffAction.RESOLVE,
    ActionKind.STAFF_REASSIGN: StaffAction.REASSIGN,
    ActionKind.STAFF_REASSIGN_TO: StaffAction.REASSIGN,
    ActionKind.STAFF_CLOSE: StaffAction.CLOSE,
}


RECORDS: frozenset[TicketType] = frozenset({TicketType.PRAISE, TicketType.SUGGESTION})
ACTIVE: frozenset[TicketStatus] = frozenset(s for s in TicketStatus if s.is_active)
# The statuses each action may start from.
FROM_STATUS: dict[StaffAction, frozenset[TicketStatus]] = {
    StaffAction.ACCEPT: frozenset({TicketStatus.OPEN}),
    StaffAction.TRANSFER: ACTIVE,
    StaffAction.REPLY: ACTIVE,
    StaffAction.RESOLVE: ACTIVE,
    StaffAction.REASSIGN: ACTIVE,
    StaffAction.CLOSE: ACTIVE | {TicketStatus.RESOLVED},
}


class StaffStep(StrEnum):
    """What a staff member is typing in their private chat."""

    REPLY = "reply"
    RESOLVE = "resolve"


def staff_display_name(turn: Turn, lang: str, name: str) -> str:
    """How residents are told who handles their ticket: first name only (privacy). A Chinese name becomes
    surname + 师傅, as residents address staff."""
    if " " in name.strip():
        return name.split()[0]
    return turn.catalog.t(lang, "status.staff_name", surname=name[:1])


def card_key(ticket: Ticket) -> str:
    """The outbox key of a ticket's dispatch card (one card per chat, edited in place)."""
    return f"ticket:{ticket.reference}"


class StaffDesk:
    """Dispatch, staff actions and the staff's private prompts."""

    name = FlowName.STAFF

    # -- dispatch --------------------------------------------------------------------------------------------

    def route(self, turn: Turn, ticket: Ticket) -> Ticket:
        """The new ticket (not stored yet) with its queue, so it is written once, already routed."""
        household = (
            turn.uow.households.get(household_id=ticket.household_id)
            if ticket.household_id is not None
            else None
        )
        return replace(
            ticket, queue=queue_for(ticket, turn.site, building=household.building if household else None)
        )

    def dispatch(self, turn: Turn, ticket: Ticket) -> Ticket:
        """Give a new, routed and stored ticket to a person of its queue (by the site's strategy) and
        publish its card."""
        if ticket.queue is None:
            raise ValueError(f"ticket {ticket.reference} is dispatched before it is routed")
        ticket = self._assign(turn, ticket, ticket.queue)
        self.publish(turn, ticket)
        return ticket

    def _assign(self, turn: Turn, ticket: Ticket, queue: str) -> Ticket:
        """Give the ticket to somebody in the queue by the site's strategy (or to nobody: grab)."""
        staff = list(turn.uow.staff.list(active_only=True))
        if turn.site.assignment == "grab" or not candidates(staff, queue):
            return ticket  # nobody to choose from: the backlog's load is not even read
        load, last = turn.uow.tickets.queue_load(queue=queue)
        member = choose_assignee(turn.site.assignment, staff, queue, open_load=load, last_assigned=last)
        if member is None:
            return ticket
        ticket = turn.uow.tickets.save(ticket=replace(ticket, assignee_id=member.id))
        record(turn, ticket, EventKind.ASSIGNED, "system", staff_id=member.id, name=member.name)
        return ticket

    def publish(self, turn: Turn, ticket: Ticket) -> None:
        """Show the ticket's current state: the group card (edited in place) and the assignee's copy."""
        assignee = self._member(turn, ticket.assignee_id)
        if turn.staff_chat_id is not None:
            text = self._card(turn, ticket, assignee, private=False)
            turn.send(
                turn.staff_chat_id, text, buttons=self._card_buttons(turn, ticket), key=card_key(ticket)
            )
        if assignee is not None:
            text = self._card(turn, ticket, assignee, private=True)
            turn.send(
                assignee.telegram_id, text, buttons=self._card_buttons(turn, ticket), key=card_key(ticket)
            )

    # -- staff actions ---------------------------------------------------------------------------------------

    def on_action(self, turn: Turn) -> None:
        """A staff button was pressed (anywhere): check, act, record, tell everyone concerned."""
        action = turn.message.action
        assert action is not None and action.kind in STAFF_KINDS
        reference, _, target = action.arg.partition("|")
        ticket = turn.uow.tickets.get(reference=reference)
        member = turn.uow.staff.find(telegram_id=turn.message.user_id)
        if ticket is None:
            self._alert(turn, "staff.unknown_ticket", reference=reference)
            return
        permission = STAFF_KINDS[action.kind]
        if not allowed(member, permission, ticket):
            self._refuse(turn, ticket, permission)
            return
        assert member is not None
        if ticket.status not in FROM_STATUS[permission]:  # an old card, or a colleague was quicker
            self._alert(turn, "staff.already_done", reference=reference)
            return
        kind = action.kind
        if kind is ActionKind.STAFF_ACCEPT:
            self._accept(turn, ticket, member)
        elif kind is ActionKind.STAFF_TRANSFER:
            self._transfer_menu(turn, ticket, member)
        elif kind is ActionKind.STAFF_TRANSFER_TO:
            self._transfer(turn, ticket, member, target)
        elif kind is ActionKind.STAFF_REASSIGN:
            self._reassign_menu(turn, ticket, member)
        elif kind is ActionKind.STAFF_REASSIGN_TO:
            self._reassign(turn, ticket, member, target)
        elif kind is ActionKind.STAFF_CLOSE:
            self._set_status(turn, ticket, member, TicketStatus.CLOSED)
            if ticket.type not in RECORDS:
                self._notify_resident(turn, ticket, "resident.closed")
        elif kind is ActionKind.STAFF_REPLY:
            self._prompt(turn, member, StaffStep.REPLY, ticket)
        elif kind is ActionKind.STAFF_RESOLVE:
            if ticket.type is TicketType.SUGGESTION and target not in ("adopted", "rejected"):
                self._outcome_menu(turn, ticket, member)
            else:
                self._prompt(turn, member, StaffStep.RESOLVE, ticket, outcome=target)

    def on_done_check(self, turn: Turn) -> None:
        """The resident says whether the repair is really done (closing it, or reopening it)."""
        action = turn.message.action
        assert action is not None
        reference, _, answer = action.arg.partition("|")
        ticket = turn.uow.tickets.get(reference=reference)
        if (
            ticket is None
            or ticket.type is not TicketType.REPAIR
            or ticket.chat_id != turn.message.chat_id
            or ticket.status is not TicketStatus.RESOLVED
        ):
            turn.say("common.stale_button")
            return
        actor = resident_actor(turn)
        if answer == "yes":
            ticket = self._change(turn, ticket, actor, TicketStatus.CLOSED, confirmed=True)
            turn.say("resident.thanks_confirmed", reference=reference)
        else:
            ticket = self._change(turn, ticket, actor, TicketStatus.OPEN, reopened=True)
            turn.say("resident.reopened", reference=reference)
            assignee = self._member(turn, ticket.assignee_id)
            if assignee is not None:
                self._tell(turn, assignee.telegram_id, "staff.reopened", reference=reference)
        self.publish(turn, ticket)

    # -- the staff member's private prompts (a flow in their private chat) -----------------------------------

    def resume(self, turn: Turn) -> None:
        """The staff member typed the reply or the resolution note."""
        reference = str(turn.slots.get("reference", ""))
        ticket = turn.uow.tickets.get(reference=reference)
        member = turn.uow.staff.find(telegram_id=turn.message.user_id)
        if not turn.text:
            self.reprompt(turn)
            return
        step = turn.step
        outcome = str(turn.slots.get("outcome", ""))
        turn.end_flow()
        if ticket is None or member is None:
            turn.say("staff.unknown_ticket", reference=reference)
            return
        permission = StaffAction.REPLY if step == StaffStep.REPLY else StaffAction.RESOLVE
        if ticket.status not in FROM_STATUS[permission]:
            turn.say_text(self._t(turn, "staff.already_done", reference=reference))
            return
        if not allowed(member, permission, ticket):
            self._refuse(turn, ticket, permission)
            return
        if step == StaffStep.REPLY:
            self._reply(turn, ticket, member, turn.text)
        else:
            self._resolve(turn, ticket, member, turn.text, outcome)

    def reprompt(self, turn: Turn) -> None:
        """Ask again for the text."""
        key = "staff.ask_reply" if turn.step == StaffStep.REPLY else "staff.ask_resolution"
        turn.say(key, reference=turn.slots.get("reference", ""))

    # -- the actions -----------------------------------------------------------------------------------------

    def _accept(self, turn: Turn, ticket: Ticket, member: StaffMember) -> None:
        if ticket.assignee_id != member.id:
            ticket = turn.uow.tickets.save(ticket=replace(ticket, assignee_id=member.id))
            record(
                turn, ticket, EventKind.ASSIGNED, self._actor(member), staff_id=member.id, name=member.name
            )
        ticket = self._change(turn, ticket, self._actor(member), TicketStatus.ACCEPTED)
        when = ticket.preferred_time or promised_by(ticket, turn.site)
        self._notify_resident(
            turn,
            ticket,
            "resident.accepted",
            name=self._resident_name(turn, ticket, member),
            time=self._resident_time(turn, ticket, when),
        )
        self.publish(turn, ticket)

    def _transfer_menu(self, turn: Turn, ticket: Ticket, member: StaffMember) -> None:
        lang = turn.site.default_language
        rows = tuple(
            (
                Button(
                    label=queue.name.get(lang),
                    action=Action(ActionKind.STAFF_TRANSFER_TO, f"{ticket.reference}|{key}"),
                ),
            )
            for key, queue in turn.site.queues.items()
            if key != ticket.queue
        )
        turn.send(
            member.telegram_id, self._t(turn, "staff.choose_queue", reference=ticket.reference), buttons=rows
        )

    def _transfer(self, turn: Turn, ticket: Ticket, member: StaffMember, queue: str) -> None:
        if queue not in turn.site.queues:
            self._tell(turn, member.telegram_id, "staff.unknown_queue")
            return
        ticket = turn.uow.tickets.save(ticket=replace(ticket, queue=queue, assignee_id=None))
        record(turn, ticket, EventKind.TRANSFERRED, self._actor(member), queue=queue)
        if ticket.status is not TicketStatus.OPEN:
            ticket = self._change(turn, ticket, self._actor(member), TicketStatus.OPEN)
        ticket = self._assign(turn, ticket, queue)
        name = turn.site.queues[queue].name.get(turn.site.default_language)
        self._tell(turn, member.telegram_id, "staff.transferred", reference=ticket.reference, queue=name)
        self.publish(turn, ticket)

    def _reassign_menu(self, turn: Turn, ticket: Ticket, member: StaffMember) -> None:
        staff = list(turn.uow.staff.list(active_only=True))
        people = [m for m in staff if ticket.queue is None or serves(m, ticket.queue)]
        rows = tuple(
            (Button(label=m.name, action=Action(ActionKind.STAFF_REASSIGN_TO, f"{ticket.reference}|{m.id}")),)
            for m in people
            if m.id != ticket.assignee_id
        )
        turn.send(
            member.telegram_id, self._t(turn, "staff.choose_person", reference=ticket.reference), buttons=rows
        )

    def _reassign(self, turn: Turn, ticket: Ticket, member: StaffMember, target: str) -> None:
        chosen = self._member(turn, int(target)) if target.isdigit() else None
        if (
            chosen is None
            or not chosen.active
            or (ticket.queue is not None and not serves(chosen, ticket.queue))
        ):
            self._tell(turn, member.telegram_id, "staff.unknown_person")
            return
        ticket = turn.uow.tickets.save(ticket=replace(ticket, assignee_id=chosen.id, updated_at=turn.now))
        record(turn, ticket, EventKind.ASSIGNED, self._actor(member), staff_id=chosen.id, name=chosen.name)
        self.publish(turn, ticket)

    def _outcome_menu(self, turn: Turn, ticket: Ticket, member: StaffMember) -> None:
        ref = ticket.reference
        rows = (
            (
                Button(self._t(turn, "staff.adopted"), Action(ActionKind.STAFF_RESOLVE, f"{ref}|adopted")),
                Button(self._t(turn, "staff.rejected"), Action(ActionKind.STAFF_RESOLVE, f"{ref}|rejected")),
            ),
        )
        turn.send(member.telegram_id, self._t(turn, "staff.choose_outcome", reference=ref), buttons=rows)

    def _prompt(self, turn: Turn, member: StaffMember, step: StaffStep, ticket: Ticket, **slots: Any) -> None:
        """Ask for text in the staff member's private chat (its conversation state says what is awaited)."""
        key = "staff.ask_reply" if step is StaffStep.REPLY else "staff.ask_resolution"
        state = {"reference": ticket.reference, **slots}
        if turn.message.chat_id == member.telegram_id:
            turn.go(self.name, step, **state)
        else:
            # The engine holds that private chat's lock for a turn in a group (`Engine._admit`), so a
            # message of the presser's own being handled meanwhile cannot save its state over the prompt.
            turn.uow.conversations.save(
                conversation=_conversation(turn, member.telegram_id, self.name, step, state)
            )
        self._tell(turn, member.telegram_id, key, reference=ticket.reference)

    def _reply(self, turn: Turn, ticket: Ticket, member: StaffMember, text: str) -> None:
        record(turn, ticket, EventKind.STAFF_REPLY, self._actor(member), text=text, feedback=True)
        self._notify_resident(
            turn, ticket, "resident.staff_reply", name=self._resident_name(turn, ticket, member), text=text
        )
        turn.say("staff.reply_sent", reference=ticket.reference)

    def _resolve(self, turn: Turn, ticket: Ticket, member: StaffMember, note: str, outcome: str) -> None:
        details = dict(ticket.details)
        if ticket.type is TicketType.SUGGESTION and outcome:
            details["outcome"] = outcome
        if ticket.type is TicketType.COMPLAINT and details.get("complaint_class") == "quality":
            details["developer_referral"] = note
        ticket = turn.uow.tickets.save(ticket=replace(ticket, details=details))
        ticket = self._change(
            turn, ticket, self._actor(member), TicketStatus.RESOLVED, note=note, outcome=outcome
        )
        schedule_followup(turn, ticket)  # the callback (回访), in the same transaction as the resolution
        turn.say("staff.resolved", reference=ticket.reference)
        if ticket.type is TicketType.REPAIR:
            ref = ticket.reference
            lang = ticket.language
            rows = (
                (
                    Button(
                        turn.catalog.t(lang, "resident.done_yes"), Action(ActionKind.DONE_CHECK, f"{ref}|yes")
                    ),
                    Button(
                        turn.catalog.t(lang, "resident.done_no"), Action(ActionKind.DONE_CHECK, f"{ref}|no")
                    ),
                ),
            )
            self._notify_resident(turn, ticket, "resident.resolved_repair", buttons=rows, note=note)
        elif ticket.type is TicketType.SUGGESTION:
            key = "resident.suggestion_adopted" if outcome == "adopted" else "resident.suggestion_rejected"
            self._notify_resident(turn, ticket, key, note=note)
        elif ticket.type is TicketType.COMPLAINT:
            self._notify_resident(turn, ticket, "resident.resolved_complaint", note=note)
        elif ticket.type is not TicketType.PRAISE:
            self._notify_resident(turn, ticket, "resident.resolved", note=note)
        self.publish(turn, ticket)

    # -- helpers ---------------------------------------------------------------------------------------------

    def _change(self, turn: Turn, ticket: Ticket, actor: str, status: TicketStatus, **data: Any) -> Ticket:
        ticket = turn.uow.tickets.save(ticket=replace(ticket, status=status, updated_at=turn.now))
        record(turn, ticket, EventKind.STATUS_CHANGED, actor, to=status.value, **data)
        return ticket

    def _set_status(self, turn: Turn, ticket: Ticket, member: StaffMember, status: TicketStatus) -> None:
        ticket = self._change(turn, ticket, self._actor(member), status)
        self.publish(turn, ticket)

    def _refuse(self, turn: Turn, ticket: Ticket, permission: StaffAction) -> None:
        user = turn.message.user_id
        log.warning(
            "staff action refused",
            extra={"user_id": user, "ticket": ticket.reference, "action": permission.value},
        )
        record(turn, ticket, EventKind.REFUSED, f"telegram:{user}", action=permission.value)
        if turn.message.action is not None:
            self._alert(turn, "staff.refused")  # a pop-up reaches the presser even if they never wrote to us
        else:
            self._tell(turn, user, "staff.refused")

    def _notify_resident(
        self,
        turn: Turn,
        ticket: Ticket,
        key: str,
        *,
        buttons: tuple[tuple[Button, ...], ...] = (),
        **params: Any,
    ) -> None:
        text = turn.catalog.t(ticket.language, key, reference=ticket.reference, **params)
        turn.send(ticket.chat_id, text, buttons=buttons, audience="resident")

    def _alert(self, turn: Turn, key: str, **params: Any) -> None:
        turn.send(turn.message.user_id, self._t(turn, key, **params), audience=ALERT)

    def _tell(self, turn: Turn, chat_id: int, key: str, **params: Any) -> None:
        turn.send(chat_id, self._t(turn, key, **params))

    @staticmethod
    def _t(turn: Turn, key: str, **params: Any) -> str:
        """Staff-facing text, in the site's language."""
        return turn.catalog.t(turn.site.default_language, key, **params)

    @staticmethod
    def _actor(member: StaffMember) -> str:
        return f"staff:{member.id}"

    @staticmethod
    def _member(turn: Turn, staff_id: int | None) -> StaffMember | None:
        return None if staff_id is None else turn.uow.staff.get(staff_id=staff_id)

    @staticmethod
    def _resident_name(turn: Turn, ticket: Ticket, member: StaffMember) -> str:
        return staff_display_name(turn, ticket.language, member.name)

    def _resident_time(self, turn: Turn, ticket: Ticket, when: datetime | None) -> str:
        if when is None:
            return turn.catalog.t(ticket.language, "resident.time_soon")
        local = when.astimezone(turn.site.zone)
        return local.strftime(turn.catalog.t(ticket.language, "format.datetime"))

    def _card(self, turn: Turn, ticket: Ticket, assignee: StaffMember | None, *, private: bool) -> str:
        site, lang = turn.site, turn.site.default_language
        t = turn.catalog.t
        category = ""
        if ticket.type is TicketType.REPAIR and ticket.category in site.repair_categories:
            category = site.repair_categories[ticket.category].label.get(lang)
        elif ticket.type is TicketType.SERVICE_ORDER and ticket.category in site.service_catalogue:
            category = site.service_catalogue[ticket.category].name.get(lang)
        elif ticket.type is TicketType.COMPLAINT:
            category = t(lang, f"staff.class.{ticket.details.get('complaint_class', 'service')}")
        elif ticket.type is TicketType.EMERGENCY:
            category = t(lang, f"staff.hazard.{ticket.details.get('hazard', 'urgent')}")
        none = t(lang, "common.none")
        queue = site.queues[ticket.queue].name.get(lang) if ticket.queue in site.queues else none
        phone = ticket.phone or none
        anonymous = ticket.details.get("anonymous") == "true"
        if anonymous:
            phone = t(lang, "staff.anonymous")
        elif not private and ticket.phone:
            phone = mask_phone(ticket.phone)
        promise = promised_by(ticket, site)
        lines = [
            t(
                lang,
                "staff.card_title",
                type=t(lang, f"ticket_type.{ticket.type.name.lower()}"),
                reference=ticket.reference,
                status=t(lang, f"status.{ticket.status.value}"),
            ),
            t(lang, "staff.card_category", category=category or none, queue=queue),
            t(lang, "staff.card_place", location=ticket.location or none, phone=phone),
            t(
                lang,
                "staff.card_text",
                text=ticket.description if private else mask_phones_in(ticket.description),
            ),
            t(
                lang,
                "staff.card_promise",
                time=promise.astimezone(site.zone).strftime(t(lang, "format.datetime")) if promise else none,
            ),
            t(lang, "staff.card_assignee", name=assignee.name if assignee else t(lang, "staff.nobody")),
        ]
        if ticket.photos:
            lines.append(t(lang, "staff.card_photos", count=len(ticket.photos)))
        if ticket.details.get("linked_to"):
            lines.append(t(lang, "staff.card_linked", reference=ticket.details["linked_to"]))
        if ticket.priority.value == "urgent":
            lines.insert(0, t(lang, "staff.card_urgent"))
        return "\n".join(lines)

    def _card_buttons(self, turn: Turn, ticket: Ticket) -> tuple[tuple[Button, ...], ...]:
        ref = ticket.reference

        def button(key: str, kind: ActionKind) -> Button:
            return Button(self._t(turn, key), Action(kind, ref))

        if ticket.status is TicketStatus.OPEN and ticket.type in RECORDS:
            # praise and suggestions are read and answered, not accepted as jobs
            return (
                (
                    button("staff.button_resolve", ActionKind.STAFF_RESOLVE),
                    button("staff.button_transfer", ActionKind.STAFF_TRANSFER),
                ),
            )
        if ticket.status is TicketStatus.OPEN:
            return (
                (
                    button("staff.button_accept", ActionKind.STAFF_ACCEPT),
                    button("staff.button_transfer", ActionKind.STAFF_TRANSFER),
                ),
                (
                    button("staff.button_reassign", ActionKind.STAFF_REASSIGN),
                    button("staff.button_close", ActionKind.STAFF_CLOSE),
                ),
            )
        if ticket.status in (TicketStatus.ACCEPTED, TicketStatus.WAITING_RESIDENT):
            return (
                (
                    button("staff.button_reply", ActionKind.STAFF_REPLY),
                    button("staff.button_resolve", ActionKind.STAFF_RESOLVE),
                ),
                (
                    button("staff.button_transfer", ActionKind.STAFF_TRANSFER),
                    button("staff.button_reassign", ActionKind.STAFF_REASSIGN),
                ),
            )
        if ticket.status is TicketStatus.RESOLVED:
            return ((button("staff.button_close", ActionKind.STAFF_CLOSE),),)
        return ()


def _conversation(turn: Turn, chat_id: int, flow: str, step: str, slots: dict[str, Any]) -> Conversation:
    return Conversation(
        channel=turn.message.channel.value,
        chat_id=chat_id,
        flow=flow,
        step=step,
        slots=slots,
        updated_at=turn.now,
    )
