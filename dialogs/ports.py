"""The Protocols through which the dialog core talks to storage and the outside world.

`storage/` implements them with SQLModel; tests may implement them in memory. Repositories take
keyword-only arguments and never commit: the unit of work commits, so a ticket, its events, the
conversation state and the outgoing messages of one incoming message are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol, Self

from dialogs.clock import Clock
from dialogs.domain import (
    Conversation,
    EventKind,
    Household,
    Resident,
    StaffMember,
    Ticket,
    TicketEvent,
    TicketType,
)
from dialogs.followup.records import FollowUp
from dialogs.messages import Outgoing
from dialogs.survey.model import Answer, Campaign, CampaignStatus, Delivery

__all__ = [
    "Clock",
    "ConversationRepository",
    "FollowUpRepository",
    "HouseholdRepository",
    "MessageRefRepository",
    "OutboxRepository",
    "PendingMessage",
    "RecordsRepository",
    "ResidentRepository",
    "StaffRepository",
    "SurveyRepository",
    "TicketRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


class ConcurrentUpdateError(Exception):
    """A record changed (in another transaction) since it was read; the work must be redone on fresh data.

    Per-chat locks order one chat's updates, but a ticket is touched from several chats (the resident's,
    the staff group, an assignee's) and by the scheduler. The engine re-runs the whole turn when this is
    raised, so the second writer decides again on what the first one wrote.
    """


class HouseholdRepository(Protocol):
    """Households of the estate."""

    def get(self, *, household_id: int) -> Household | None: ...

    def get_or_create(self, *, room: str, building: str = "", unit: str = "") -> Household: ...

    def find(self, *, room: str) -> Household | None:
        """The household with this room key (see `dialogs.rooms.RoomAddress.key`)."""
        ...


class ResidentRepository(Protocol):
    """Residents and their channel identities."""

    def get(self, *, resident_id: int) -> Resident | None: ...

    def find(self, *, channel: str, external_id: int) -> Resident | None: ...

    def find_many(self, *, channel: str, external_ids: Sequence[int]) -> dict[int, Resident]:
        """`find` for several identities in one read (a batch of turns), by external id; unknown ones are
        left out."""
        ...

    def find_or_create(self, *, resident: Resident) -> Resident:
        """The stored resident with `resident`'s channel identity, inserting it when new (race-safe)."""
        ...

    def find_or_create_many(self, *, residents: Sequence[Resident]) -> dict[int, Resident]:
        """`find_or_create` for several identities of one channel in one write, by external id."""
        ...

    def find_or_create_many_later(
        self, *, residents: Sequence[Resident]
    ) -> Callable[[], dict[int, Resident]]:
        """`find_or_create_many` sent now, its result read when the returned function is called: inside
        `UnitOfWork.sent_together` it shares a round trip with the block's other statements."""
        ...

    def list_for_household(self, *, household_id: int) -> Sequence[Resident]: ...

    def save(self, *, resident: Resident) -> Resident:
        """Insert (id None) or update; returns the stored record with its id."""
        ...


class StaffRepository(Protocol):
    """The staff registry."""

    def get(self, *, staff_id: int) -> StaffMember | None: ...

    def find(self, *, telegram_id: int) -> StaffMember | None: ...

    def save(self, *, member: StaffMember) -> StaffMember: ...

    def list(self, *, active_only: bool = True) -> Sequence[StaffMember]: ...

    def prefetch(self) -> None:
        """Send the read of the active staff now (see `ResidentRepository.find_or_create_many_later`);
        `list` takes its answer."""
        ...


class TicketRepository(Protocol):
    """Tickets and their append-only event log."""

    def next_sequence(self, *, ticket_type: TicketType, day: date) -> int:
        """Atomically take the next daily sequence number for a reference."""
        ...

    def save(self, *, ticket: Ticket) -> Ticket: ...

    def create(
        self, *, ticket: Ticket, day: date, kind: EventKind, actor: str, data: dict[str, Any]
    ) -> Ticket:
        """Number a new ticket (id None, reference empty) with the next of its type's sequence on the
        site-local `day` (`make_reference`), and store it with its first event, at its creation time, in
        one write."""
        ...

    def get(self, *, reference: str) -> Ticket | None: ...

    def list_for_resident(self, *, resident_id: int, limit: int = 20) -> Sequence[Ticket]: ...

    def list_for_household(self, *, household_id: int) -> Sequence[Ticket]:
        """Every ticket filed under the household, oldest first (the household file, 一户一档)."""
        ...

    def list_active(self, *, queue: str | None = None) -> Sequence[Ticket]:
        """Tickets someone still has to act on (open, accepted, waiting), oldest first."""
        ...

    def list_created_between(self, *, start: datetime, end: datetime) -> Sequence[Ticket]:
        """Tickets received in [start, end), oldest first (the monthly report's month)."""
        ...

    def queue_load(self, *, queue: str) -> tuple[dict[int, int], int | None]:
        """Open tickets per assignee in the queue, and the assignee of its newest assigned open ticket."""
        ...

    def append_event(self, *, event: TicketEvent) -> TicketEvent: ...

    def events(self, *, ticket_id: int) -> Sequence[TicketEvent]: ...

    def events_of(self, *, ticket_ids: Sequence[int]) -> dict[int, list[TicketEvent]]:
        """Each listed ticket's events in append order (every id is a key, maybe with no events)."""
        ...


class ConversationRepository(Protocol):
    """Conversation state per (channel, chat)."""

    def load(self, *, channel: str, chat_id: int) -> Conversation | None: ...

    def load_many(self, *, channel: str, chat_ids: Sequence[int]) -> dict[int, Conversation]:
        """`load` for several chats in one read (a batch of turns), by chat id; chats without a state are
        left out."""
        ...

    def load_many_later(
        self, *, channel: str, chat_ids: Sequence[int]
    ) -> Callable[[], dict[int, Conversation]]:
        """`load_many` sent now, read when the returned function is called (see
        `ResidentRepository.find_or_create_many_later`)."""
        ...

    def save(self, *, conversation: Conversation) -> None: ...

    def save_many(self, *, conversations: Sequence[Conversation]) -> None:
        """Several chats' states at once (a batch of turns); at most one per chat."""
        ...


class PendingMessage(Protocol):
    """An outbox row waiting to be delivered."""

    @property
    def id(self) -> int: ...

    @property
    def message(self) -> Outgoing: ...

    @property
    def attempts(self) -> int: ...


class OutboxRepository(Protocol):
    """Outgoing messages, written in the same transaction as the change that caused them."""

    def enqueue(self, *, message: Outgoing, now: datetime) -> int: ...

    def enqueue_many(self, *, messages: Sequence[Outgoing], now: datetime) -> None:
        """Store several messages in their order (one round trip, for jobs that queue a backlog)."""
        ...

    def claim(
        self, *, channel: str, now: datetime, limit: int, lease_seconds: int = 60
    ) -> Sequence[PendingMessage]:
        """Atomically take due rows for delivery (two senders never take the same row)."""
        ...

    def mark_sent(self, *, message_id: int, now: datetime) -> None: ...

    def mark_failed(self, *, message_id: int, now: datetime, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt; `retry_at` None means give up."""
        ...

    def take_unknown(self, *, now: datetime, prefix: str, limit: int = 100) -> Sequence[str]:
        """At-most-once rows (`Outgoing.once`) whose sender's lease ran out mid-send: they are not claimed
        again but marked `unknown` here, once, and their `once` ids returned for a person to review."""
        ...

    def release(self, *, message_id: int, retry_at: datetime, reason: str) -> None:
        """Hand a claimed row back, due at `retry_at`, without counting an attempt (it was not tried: rate
        limits, a 429, an earlier message of its chat held back, or a batch that outlived its lease)."""
        ...

    def expire(self, *, message_id: int, now: datetime, error: str) -> None:
        """End a `sending` row's lease now (an at-most-once row whose delivery is unknown: `take_unknown`
        reports it instead of it being re-sent)."""
        ...


class MessageRefRepository(Protocol):
    """Which channel message currently shows a keyed `Outgoing` (see `Outgoing.key`).

    The sender reads it to edit that message instead of sending a new one, and writes it in the same
    transaction as `mark_sent`, so the stored id always belongs to a delivered message.
    """

    def get(self, *, channel: str, chat_id: int, key: str) -> int | None:
        """The channel's id of the message last delivered under this key, or None if there is none."""
        ...

    def put(self, *, channel: str, chat_id: int, key: str, message_id: int, now: datetime) -> None:
        """Remember (create or replace) the message now showing this key."""
        ...


class ScheduleMarkRepository(Protocol):
    """Marks for recurring jobs (a daily digest): claimed atomically so one worker runs each occurrence."""

    def claim(self, *, name: str, due_at: datetime) -> bool:
        """True for exactly one caller per (name, due_at) once due_at is past the last claimed mark."""
        ...


class ChatLocks(Protocol):
    """Serialises the handling of one chat across processes, for the rest of the current transaction."""

    def lock(self, *, channel: str, chat_id: int) -> None:
        """Wait until no other transaction handles this chat; released at commit or rollback."""
        ...

    def lock_many(self, *, chats: Iterable[tuple[str, int]]) -> None:
        """`lock` for several (channel, chat) pairs, always taken in one global order (no deadlock)."""
        ...


class ProcessedUpdateRepository(Protocol):
    """The ids of channel updates already handled, so a redelivered update has no second effect."""

    def claim(self, *, channel: str, update_id: int, now: datetime) -> bool:
        """Record the update as handled in this transaction; False when it already was."""
        ...

    def claim_many(self, *, channel: str, update_ids: Sequence[int], now: datetime) -> set[int]:
        """`claim` for several updates at once; the ids recorded now (the others were handled before)."""
        ...

    def prune(self, *, before: datetime) -> int:
        """Forget updates recorded before `before` (the channel stops redelivering long before)."""
        ...


class RecordsRepository(Protocol):
    """Whole-table reads for the archive and /mydata, and the retention job's writes (`dialogs.records`).

    The retention writes are the one exception to "events are never changed": personal data must go once
    the retention period is over, so they overwrite a ticket's or an event's fields in place and stamp the
    record as anonymised; they never delete a ticket or an event, so the reports count the same afterwards.
    """

    def tickets_created(self, *, start: datetime, end: datetime) -> Sequence[Ticket]:
        """Tickets created in [start, end), oldest first."""
        ...

    def events_between(self, *, start: datetime, end: datetime) -> Sequence[tuple[str, TicketEvent]]:
        """Events that happened in [start, end) with their ticket's reference, in order."""
        ...

    def tickets_of_resident(self, *, resident_id: int) -> Sequence[Ticket]:
        """Every ticket of the resident, oldest first."""
        ...

    def residents(self) -> Sequence[Resident]: ...

    def households(self) -> Sequence[Household]: ...

    def expired_tickets(self, *, before: datetime, limit: int) -> Sequence[Ticket]:
        """Closed, resolved or cancelled tickets not yet anonymised, unchanged and without events since
        `before`, oldest first."""
        ...

    def anonymise_ticket(self, *, ticket: Ticket, events: Sequence[TicketEvent], at: datetime) -> None:
        """Overwrite the ticket and these events (matched by id) with the scrubbed versions; stamp it."""
        ...

    def expired_residents(self, *, before: datetime, limit: int) -> Sequence[Resident]:
        """Residents not yet anonymised, known since before `before`, all of whose tickets are anonymised
        and whose private chat has not spoken since `before`."""
        ...

    def anonymise_resident(self, *, resident: Resident, at: datetime) -> None:
        """Overwrite the resident with the scrubbed version and stamp it."""
        ...

    def delete_conversations(self, *, before: datetime) -> int:
        """Drop conversation states last touched before `before`; returns how many."""
        ...

    def delete_outbox(self, *, before: datetime) -> int:
        """Drop delivered, abandoned or long-reviewed outgoing messages created before `before`; returns
        how many (rows still waiting to be sent stay)."""
        ...

    def delete_message_refs(self, *, before: datetime) -> int:
        """Drop message references last updated before `before`; returns how many."""
        ...

    def scrub_survey_comments(self, *, before: datetime) -> int:
        """Remove the free-text comments of survey forms finished before `before`; returns how many."""
        ...


class SurveyRepository(Protocol):
    """Survey campaigns, their forms (one per household) and the answers (`dialogs.survey`)."""

    def add_campaign(self, *, campaign: Campaign) -> Campaign:
        """Insert a new campaign; returns it with its id."""
        ...

    def get_campaign(self, *, campaign_id: int) -> Campaign | None: ...

    def save_campaign(self, *, campaign: Campaign) -> None:
        """Update a stored campaign's status and times."""
        ...

    def campaigns(self, *, status: CampaignStatus | None = None) -> Sequence[Campaign]:
        """Campaigns, oldest first, optionally only those in one status."""
        ...

    def household_ids(self, *, building: str | None = None) -> Sequence[int]:
        """Ids of the estate's households (of one building when given), the candidates for a survey."""
        ...

    def add_deliveries(self, *, campaign_id: int, household_ids: Sequence[int]) -> int:
        """One pending form per household; returns how many were added."""
        ...

    def claim_due(self, *, campaign_id: int, now: datetime, limit: int) -> Sequence[Delivery]:
        """Atomically mark up to `limit` pending forms as sent now and return them (oldest first); two
        workers never take the same form."""
        ...

    def claim_reminders(
        self, *, campaign_id: int, sent_before: datetime, now: datetime, limit: int
    ) -> Sequence[Delivery]:
        """Atomically take up to `limit` sent, unreturned, never-reminded forms sent before `sent_before`,
        marking them reminded now."""
        ...

    def release_forms(self, *, delivery_ids: Sequence[int]) -> None:
        """Undo `claim_due` for forms claimed in this transaction but not sent: pending again."""
        ...

    def release_reminders(self, *, delivery_ids: Sequence[int]) -> None:
        """Undo `claim_reminders` for forms claimed in this transaction but not reminded."""
        ...

    def mark_unreachable(self, *, delivery_id: int) -> None:
        """Nobody of the household can be reached on the channel: the form counts as not distributed."""
        ...

    def find_delivery(self, *, campaign_id: int, household_id: int) -> Delivery | None: ...

    def deliveries(self, *, campaign_id: int) -> Sequence[Delivery]: ...

    def record_answer(self, *, answer: Answer) -> bool:
        """Store a rating unless the form already has one for that dimension; True when stored."""
        ...

    def answers(self, *, campaign_id: int) -> Sequence[Answer]:
        """Every rating given in the campaign."""
        ...

    def form_answers(self, *, delivery_id: int) -> dict[str, int]:
        """The form's ratings by dimension."""
        ...

    def mark_completed(self, *, delivery_id: int, now: datetime) -> bool:
        """Record the form as returned (once); True the first time."""
        ...

    def mark_finished(self, *, delivery_id: int, comment: str | None, now: datetime) -> bool:
        """Close the form's comment step (once) with the comment, if any; True the first time."""
        ...


class FollowUpRepository(Protocol):
    """Callback follow-ups (回访); due work is claimed atomically, so two workers never both ask one."""

    def add(self, *, followup: FollowUp) -> FollowUp: ...

    def save(self, *, followup: FollowUp) -> FollowUp: ...

    def get(self, *, followup_id: int) -> FollowUp | None: ...

    def for_ticket(self, *, ticket_id: int) -> FollowUp | None: ...

    def awaiting_answer(self, *, channel: str, chat_id: int) -> FollowUp | None:
        """The newest follow-up of a chat that was asked and not answered yet."""
        ...

    def prefetch_awaiting(self, *, channel: str, chat_ids: Sequence[int]) -> None:
        """Find out in one query which of these chats have no open follow-up (a batch of turns), so that
        `awaiting_answer` need not ask for them; good until the repository next changes a follow-up or the
        transaction commits. The answer is read when first needed (inside `UnitOfWork.sent_together` the
        query goes out with the block's other statements)."""
        ...

    def claim_due(self, *, now: datetime, limit: int) -> Sequence[FollowUp]:
        """Take scheduled follow-ups due at `now` whose ticket is still resolved or closed: they become
        `asked` (sent now, late when past the window) in this transaction."""
        ...

    def claim_reminders(
        self, *, asked_before: datetime, settled_before: datetime, now: datetime, limit: int
    ) -> Sequence[FollowUp]:
        """Take unrated follow-ups asked before `asked_before`, or past halfway between asking and the
        window's end, and not after `settled_before`: they become `reminded`."""
        ...

    def claim_phone(
        self, *, reminded_before: datetime, settled_before: datetime, now: datetime, limit: int
    ) -> Sequence[FollowUp]:
        """Take unrated follow-ups reminded before `reminded_before` or by the window's end, and not after
        `settled_before`: they become `phone` tasks."""
        ...

    def record_rating(self, *, followup_id: int, rating: int, now: datetime) -> bool:
        """Store the rating unless one is stored already (True when this call stored it)."""
        ...

    def record_solved(self, *, followup_id: int, solved: bool, now: datetime) -> bool:
        """Store "was it solved" unless already stored (True when this call stored it)."""
        ...

    def record_phone_result(
        self, *, followup_id: int, result: str, rating: int | None, solved: bool | None, now: datetime
    ) -> bool:
        """Mark a phone task done with staff's result unless one is recorded (True when this call did);
        the rating and "solved" only fill what the resident has not answered."""
        ...

    def to_phone(
        self, *, followup_id: int, reason: str, now: datetime, unsent: bool = False
    ) -> FollowUp | None:
        """Make a follow-up still asked or reminded a phone task (`unsent`: its question never went out);
        None, and nothing changed, when it was answered meanwhile."""
        ...

    def list_resolved(self, *, start: datetime, end: datetime) -> Sequence[FollowUp]:
        """Every follow-up record of tickets resolved in [start, end), sampled or not (for reports)."""
        ...

    def languages(self, *, resident_ids: Sequence[int]) -> dict[int, str]:
        """The residents' current languages, by id."""
        ...

    def unreachable(self, *, resident_ids: Sequence[int]) -> set[int]:
        """Those of the residents who blocked the bot (and have not written since)."""
        ...

    def set_reachable(self, *, resident_id: int, unreachable_since: datetime | None) -> None:
        """Mark a resident unreachable (the bot was blocked) or reachable again (they wrote to it)."""
        ...


class UnitOfWork(Protocol):
    """One transaction over all repositories."""

    households: HouseholdRepository
    residents: ResidentRepository
    staff: StaffRepository
    tickets: TicketRepository
    conversations: ConversationRepository
    outbox: OutboxRepository
    message_refs: MessageRefRepository
    schedule_marks: ScheduleMarkRepository
    chat_locks: ChatLocks
    processed_updates: ProcessedUpdateRepository
    records: RecordsRepository
    surveys: SurveyRepository
    followups: FollowUpRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None: ...

    def sent_together(self, *, then_commit: bool = False) -> AbstractContextManager[None]:
        """Statements made inside go to the database together and are answered as the block ends
        (PostgreSQL: one round trip for all of them; an error among them is raised then). Never call
        `commit` inside: commit after the block, or pass `then_commit` to send the commit with the block's
        statements (the block leaving without an error has committed the unit of work)."""
        ...


class UnitOfWorkFactory(Protocol):
    """Opens a new unit of work."""

    def __call__(self) -> UnitOfWork: ...
