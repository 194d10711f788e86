"""A realistic month of front-desk work, written through the repositories at chosen times, with a plain
record of what happened to each ticket (a `Story`) so tests can compute the report's figures on their own.

The events are the ones the staff desk and the resident's "is it fixed?" answer append (`status_changed`
with `to`, `note`, `outcome`, `reopened`; `staff_reply` with `feedback`), so the report reads exactly what
production writes. Work happens inside office hours (09:00–16:30 local, the default desk opens 08:30–17:30)
so the 30-minute acceptance promise is plain elapsed time and the stories need no calendar to judge it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from dialogs.domain import (
    EventKind,
    Household,
    Priority,
    Resident,
    StaffMember,
    StaffRole,
    Ticket,
    TicketEvent,
    TicketStatus,
    TicketType,
    make_reference,
)
from dialogs.followup.records import FollowUp, FollowUpKind, FollowUpStatus
from dialogs.ports import UnitOfWork, UnitOfWorkFactory
from dialogs.reports.period import ReportMonth
from dialogs.routing import queue_for
from dialogs.site import SiteConfig
from dialogs.survey.model import Answer, Campaign, CampaignStatus


@dataclass
class Story:
    """What the scenario did to one ticket, in plain facts."""

    ticket: Ticket
    accepted: tuple[datetime, StaffMember] | None = None
    resolved: tuple[datetime, StaffMember] | None = None
    closed: tuple[datetime, StaffMember] | None = None
    feedback_at: datetime | None = None  # a staff reply flagged as complaint feedback
    reopened_at: datetime | None = None
    outcome: str = ""
    reason: str = ""
    cause: str = ""  # a complaint's cause as the scenario means it

    @property
    def created(self) -> datetime:
        """When the ticket was received."""
        return self.ticket.created_at

    def actors(self) -> set[int]:
        """Staff ids who changed the status."""
        return {
            member.id
            for entry in (self.accepted, self.resolved, self.closed)
            if entry is not None
            for member in [entry[1]]
            if member.id is not None
        }

    def taken(self) -> tuple[datetime, StaffMember] | None:
        """The first move out of `open` (acceptance, or resolving directly)."""
        moves = [entry for entry in (self.accepted, self.resolved, self.closed) if entry is not None]
        return min(moves, key=lambda entry: entry[0]) if moves else None

    def done(self) -> tuple[datetime, StaffMember] | None:
        """The first resolved or closed."""
        moves = [entry for entry in (self.resolved, self.closed) if entry is not None]
        return min(moves, key=lambda entry: entry[0]) if moves else None


STAFF: tuple[tuple[int, str, StaffRole, tuple[str, ...]], ...] = (
    (601, "李前台", StaffRole.AGENT, ()),
    (602, "张客服", StaffRole.AGENT, ()),
    (603, "王建国", StaffRole.TECHNICIAN, ("plumbing",)),
    (604, "刘电工", StaffRole.TECHNICIAN, ("electrical",)),
    (605, "陈师傅", StaffRole.TECHNICIAN, ("general_maintenance", "lifts")),
    (606, "赵主管", StaffRole.SUPERVISOR, ()),
    (607, "钱经理", StaffRole.MANAGER, ()),
)

COMPLAINTS: tuple[tuple[str, str, str], ...] = (  # class, text, the cause a reader would file it under
    ("service", "保安态度很差，进门登记时骂人", "attitude"),
    ("service", "楼下垃圾三天没人清运，很臭", "cleanliness"),
    ("service", "晚上广场舞噪音太大，影响休息", "noise"),
    ("service", "报修一周了一直没修，没人来修", "repair_delay"),
    ("service", "地下车库乱停车，占了我的车位", "parking"),
    ("service", "物业费乱收费，账单看不懂", "fees"),
    ("quality", "卧室墙面裂缝越来越大，开发商不管", "building_quality"),
    ("quality", "阳台渗水，房屋质量有问题", "building_quality"),
    ("external", "小区外面马路施工噪音，晚上十点还在吵", "noise"),
    ("service", "电梯经常坏，设施老化", "facilities"),
    ("service", "邻居养狗不拴绳，宠物吓到孩子", "pets"),
)
SUGGESTIONS: tuple[str, ...] = (
    "建议在3栋门口加装快递柜",
    "建议周末延长客服中心办公时间",
    "建议小区增加儿童游乐设施",
    "建议在车库增加充电桩",
    "建议垃圾分类点加装洗手池",
)
REJECT_REASONS: tuple[str, ...] = (
    "场地不足，暂不具备条件",
    "需业主大会表决，已转业委会",
    "预算未列入本年度计划",
)
REPAIRS: tuple[tuple[str, str], ...] = (
    ("plumbing", "厨房水管漏水"),
    ("drain", "卫生间下水道堵了"),
    ("electrical", "家里总是跳闸"),
    ("lighting", "楼道灯不亮"),
    ("door_window", "入户门锁坏了"),
    ("appliance", "空调不制冷"),
    ("structure", "客厅墙皮脱落"),
    ("other", "晾衣架坏了"),
)
ORDERS: tuple[tuple[str, str], ...] = (
    ("water_delivery", "送两桶水"),
    ("courier", "代收一个快递"),
    ("bulb_replacement", "换个灯泡"),
    ("drain_unblocking", "疏通下水道"),
    ("dry_cleaning", "干洗衣服代送"),
)


@dataclass
class MonthWriter:
    """Writes tickets and their events at given times; keeps a `Story` per ticket."""

    uow_factory: UnitOfWorkFactory
    site: SiteConfig
    staff: dict[int, StaffMember] = field(default_factory=dict)
    stories: dict[str, Story] = field(default_factory=dict)
    residents: dict[str, Resident] = field(default_factory=dict)
    households: dict[str, Household] = field(default_factory=dict)

    def add_staff(self) -> None:
        """Register the scenario's staff."""
        with self.uow_factory() as uow:
            for telegram_id, name, role, skills in STAFF:
                member = uow.staff.save(
                    member=StaffMember(id=None, telegram_id=telegram_id, name=name, role=role, skills=skills)
                )
                self.staff[telegram_id] = member
            uow.commit()

    def member(self, telegram_id: int) -> StaffMember:
        """A registered staff member by Telegram id."""
        return self.staff[telegram_id]

    def home(self, room: str, building: str) -> tuple[Household, Resident]:
        """The household of `room` and its (one) resident, created once."""
        if room not in self.households:
            with self.uow_factory() as uow:
                household = uow.households.get_or_create(room=room, building=building)
                resident = uow.residents.find_or_create(
                    resident=Resident(
                        id=None,
                        channel="telegram",
                        external_id=10_000 + len(self.households),
                        household_id=household.id,
                    )
                )
                uow.commit()
            self.households[room], self.residents[room] = household, resident
        return self.households[room], self.residents[room]

    def open(
        self,
        ticket_type: TicketType,
        at: datetime,
        room: str,
        building: str,
        text: str,
        *,
        category: str | None = None,
        details: dict[str, str] | None = None,
        channel: str = "telegram",
        assignee: StaffMember | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> Ticket:
        """Receive a ticket (created event, routed to its queue, maybe assigned)."""
        household, resident = self.home(room, building)
        assert resident.id is not None
        with self.uow_factory() as uow:
            day = at.astimezone(self.site.zone).date()
            draft = Ticket(
                id=None,
                reference=make_reference(
                    ticket_type, day, uow.tickets.next_sequence(ticket_type=ticket_type, day=day)
                ),
                type=ticket_type,
                status=TicketStatus.OPEN,
                resident_id=resident.id,
                household_id=household.id,
                description=text,
                created_at=at,
                updated_at=at,
                location=room,
                category=category,
                priority=priority,
                channel=channel,
                chat_id=resident.external_id,
                details=dict(details or {}),
                assignee_id=assignee.id if assignee else None,
            )
            ticket = uow.tickets.save(
                ticket=replace(draft, queue=queue_for(draft, self.site, building=building))
            )
            self._event(uow, ticket, EventKind.CREATED, at, f"resident:{resident.id}", type=ticket_type.value)
            if assignee is not None:
                self._event(
                    uow, ticket, EventKind.ASSIGNED, at, "system", staff_id=assignee.id, name=assignee.name
                )
            uow.commit()
        self.stories[ticket.reference] = Story(ticket)
        return ticket

    def accept(self, reference: str, member: StaffMember, at: datetime) -> None:
        """The staff member accepts the ticket."""
        self._status(reference, TicketStatus.ACCEPTED, at, f"staff:{member.id}", assignee=member)
        self.stories[reference].accepted = (at, member)

    def reply(self, reference: str, member: StaffMember, at: datetime, text: str) -> None:
        """A staff reply relayed to the resident (counts as complaint feedback)."""
        with self.uow_factory() as uow:
            ticket = self._get(uow, reference)
            self._event(
                uow, ticket, EventKind.STAFF_REPLY, at, f"staff:{member.id}", text=text, feedback=True
            )
            uow.commit()
        story = self.stories[reference]
        story.feedback_at = story.feedback_at or at

    def resolve(
        self, reference: str, member: StaffMember, at: datetime, note: str, outcome: str = ""
    ) -> None:
        """The staff member resolves the ticket (a suggestion with its outcome)."""
        details = {"outcome": outcome} if outcome else {}
        self._status(
            reference,
            TicketStatus.RESOLVED,
            at,
            f"staff:{member.id}",
            details=details,
            note=note,
            outcome=outcome,
        )
        story = self.stories[reference]
        story.resolved = story.resolved or (at, member)
        story.outcome, story.reason = outcome, note

    def close(self, reference: str, member: StaffMember, at: datetime) -> None:
        """A supervisor closes the ticket."""
        self._status(reference, TicketStatus.CLOSED, at, f"staff:{member.id}")
        story = self.stories[reference]
        story.closed = story.closed or (at, member)

    def reopen(self, reference: str, at: datetime) -> None:
        """The resident says the repair is not fixed."""
        resident = self.stories[reference].ticket.resident_id
        self._status(reference, TicketStatus.OPEN, at, f"resident:{resident}", reopened=True)
        self.stories[reference].reopened_at = at

    def confirm(self, reference: str, at: datetime) -> None:
        """The resident confirms the repair (closed by the resident)."""
        resident = self.stories[reference].ticket.resident_id
        self._status(reference, TicketStatus.CLOSED, at, f"resident:{resident}", confirmed=True)

    # -- plumbing -------------------------------------------------------------------------------------------

    def _get(self, uow: UnitOfWork, reference: str) -> Ticket:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None
        return ticket

    def _status(
        self,
        reference: str,
        status: TicketStatus,
        at: datetime,
        actor: str,
        *,
        assignee: StaffMember | None = None,
        details: dict[str, str] | None = None,
        **data: Any,
    ) -> None:
        with self.uow_factory() as uow:
            ticket = self._get(uow, reference)
            changes: dict[str, Any] = {"status": status, "updated_at": at}
            if assignee is not None:
                changes["assignee_id"] = assignee.id
            if details:
                changes["details"] = {**ticket.details, **details}
            ticket = uow.tickets.save(ticket=replace(ticket, **changes))
            self._event(uow, ticket, EventKind.STATUS_CHANGED, at, actor, to=status.value, **data)
            uow.commit()
        self.stories[reference].ticket = ticket

    @staticmethod
    def _event(
        uow: UnitOfWork, ticket: Ticket, kind: EventKind, at: datetime, actor: str, **data: Any
    ) -> None:
        assert ticket.id is not None
        uow.tickets.append_event(
            event=TicketEvent(id=None, ticket_id=ticket.id, kind=kind, at=at, actor=actor, data=data)
        )


def _office_time(rng: random.Random, day: datetime, site: SiteConfig) -> datetime:
    """A random local time between 09:00 and 16:30 on `day` (local midnight), as UTC."""
    minutes = rng.randrange(9 * 60, 16 * 60 + 30)
    local = datetime.combine(day.date(), time(minutes // 60, minutes % 60), tzinfo=site.zone)
    return local.astimezone(UTC)


def write_month(writer: MonthWriter, month: ReportMonth, seed: int = 7) -> None:
    """A month of complaints, suggestions, praise, repairs, emergencies and service orders, with their
    handling (some late, some reopened, some still open at the month's end) and the manual's flags."""
    rng = random.Random(seed)
    site = writer.site
    agents = [writer.member(601), writer.member(602)]
    techs = {"plumbing": writer.member(603), "electrical": writer.member(604)}
    general = writer.member(605)
    supervisor = writer.member(606)
    first_local = datetime.combine(month.first_day, time(0), tzinfo=site.zone)
    days = (month.end - month.start).days
    rooms = [
        (f"{b}栋{u}单元{f}0{r}", str(b))
        for b in (1, 2, 3, 5, 8)
        for u in (1, 2)
        for f in (3, 6)
        for r in (1, 2)
    ]

    def when(day: int) -> datetime:
        return _office_time(rng, first_local + timedelta(days=day), site)

    # A complaint last month that one of this month's complaints repeats.
    earlier = writer.open(
        TicketType.COMPLAINT,
        _office_time(rng, first_local - timedelta(days=6), site),
        "2栋1单元301",
        "2",
        "楼下垃圾桶太臭了，没人清理",
        details={"complaint_class": "service"},
    )
    repeat = writer.open(
        TicketType.COMPLAINT,
        when(2),
        "2栋1单元301",
        "2",
        "垃圾桶还是很臭，上次投诉没人清理",
        details={"complaint_class": "service", "linked_to": earlier.reference},
        channel="console",
    )
    writer.stories[repeat.reference].cause = "cleanliness"
    writer.accept(repeat.reference, agents[0], repeat.created_at + timedelta(minutes=12))
    writer.resolve(
        repeat.reference, agents[0], repeat.created_at + timedelta(hours=5), "已安排保洁每日清运两次"
    )

    # Complaints: accepted in 5–50 minutes, feedback in 2–30 hours; a few never handled by the month's end.
    previous: Ticket | None = None
    for index in range(16):
        complaint_class, text, cause = COMPLAINTS[index % len(COMPLAINTS)]
        room, building = rng.choice(rooms)
        details = {"complaint_class": complaint_class}
        if index == 9 and previous is not None:  # the same matter again, linked by the complaint flow
            details["linked_to"] = previous.reference
            text, cause = previous.description + "，又一次", "noise"
        at = when(rng.randrange(0, days - 1))
        ticket = writer.open(
            TicketType.COMPLAINT,
            at,
            room,
            building,
            text,
            details=details,
            channel=rng.choice(["telegram", "console"]),
        )
        writer.stories[ticket.reference].cause = cause
        previous = ticket if index == 8 else previous
        if index in (13, 14):
            continue  # nobody took it on: both promises overdue at the month's end
        agent = rng.choice(agents)
        writer.accept(ticket.reference, agent, at + timedelta(minutes=rng.choice([5, 12, 25, 45])))
        feedback_hours = rng.choice([2, 6, 20, 30])
        if index % 3 == 0:
            writer.reply(ticket.reference, agent, at + timedelta(hours=feedback_hours), "已核实，正在处理")
            writer.resolve(ticket.reference, agent, at + timedelta(hours=feedback_hours + 20), "已处理完毕")
        elif index != 15:
            writer.resolve(ticket.reference, agent, at + timedelta(hours=feedback_hours), "已处理并致歉")
    # One on the last evening, feedback not yet due at midnight.
    late = writer.open(
        TicketType.COMPLAINT,
        _office_time(rng, first_local + timedelta(days=days - 1), site),
        "8栋2单元602",
        "8",
        "快递柜坏了没人管",
        details={"complaint_class": "service"},
    )
    writer.stories[late.reference].cause = "other"
    writer.accept(late.reference, agents[1], late.created_at + timedelta(minutes=10))

    # Suggestions: adopted, not adopted with reasons, pending.
    for index, text in enumerate(SUGGESTIONS):
        room, building = rng.choice(rooms)
        ticket = writer.open(TicketType.SUGGESTION, when(rng.randrange(0, days - 2)), room, building, text)
        if index in (0, 3):
            writer.resolve(
                ticket.reference,
                agents[0],
                ticket.created_at + timedelta(days=1),
                "好建议，已采纳",
                "adopted",
            )
        elif index in (1, 2):
            reason = REJECT_REASONS[index]
            writer.resolve(
                ticket.reference, supervisor, ticket.created_at + timedelta(days=2), reason, "rejected"
            )

    # Praise, two naming staff.
    for text, named in (
        ("感谢王建国师傅修水管又快又好", writer.member(603)),
        ("谢谢李前台耐心解答", writer.member(601)),
        ("保洁阿姨很辛苦，谢谢", None),
    ):
        room, building = rng.choice(rooms)
        details = {"staff_telegram_id": str(named.telegram_id), "staff_name": named.name} if named else {}
        writer.open(TicketType.PRAISE, when(rng.randrange(0, days)), room, building, text, details=details)

    # Repairs: most the same day, some in 1–4 days, a few reopened, some open at the month's end.
    for index in range(40):
        category, text = REPAIRS[index % len(REPAIRS)]
        room, building = rng.choice(rooms)
        at = when(rng.randrange(0, days - 4))
        queue_tech = techs.get(site.repair_categories[category].queue, general)
        ticket = writer.open(
            TicketType.REPAIR, at, room, building, text, category=category, assignee=queue_tech
        )
        if index % 11 == 10:
            continue  # still open
        writer.accept(ticket.reference, queue_tech, at + timedelta(minutes=rng.choice([8, 20, 28, 40])))
        delay = rng.choice(
            [
                timedelta(hours=2),
                timedelta(hours=5),
                timedelta(days=1, hours=2),
                timedelta(days=2, hours=12),
                timedelta(days=4),
            ]
        )
        writer.resolve(ticket.reference, queue_tech, at + delay, "已修好")
        if index % 7 == 3:
            writer.reopen(ticket.reference, at + delay + timedelta(hours=3))
            writer.resolve(ticket.reference, queue_tech, at + delay + timedelta(hours=20), "更换配件后修好")
        elif index % 2 == 0:
            writer.confirm(ticket.reference, at + delay + timedelta(hours=1))
    # The same repair in one home three times (flagged), twice in another (not flagged).
    for day, room in (
        (3, "5栋2单元601"),
        (11, "5栋2单元601"),
        (19, "5栋2单元601"),
        (4, "1栋1单元302"),
        (20, "1栋1单元302"),
    ):
        ticket = writer.open(
            TicketType.REPAIR,
            when(day),
            room,
            room[0],
            "卫生间水管又漏水",
            category="plumbing",
            assignee=techs["plumbing"],
        )
        writer.accept(ticket.reference, techs["plumbing"], ticket.created_at + timedelta(minutes=15))
        writer.resolve(ticket.reference, techs["plumbing"], ticket.created_at + timedelta(hours=3), "已修好")

    # Work that ends after the month: the report shows it as the month closed (not done).
    ticket = writer.open(
        TicketType.REPAIR,
        when(days - 1),
        "3栋1单元602",
        "3",
        "阳台下水道堵塞",
        category="drain",
        assignee=techs["plumbing"],
    )
    writer.accept(ticket.reference, techs["plumbing"], ticket.created_at + timedelta(minutes=20))
    writer.resolve(ticket.reference, techs["plumbing"], ticket.created_at + timedelta(days=2), "已疏通")
    ticket = writer.open(
        TicketType.COMPLAINT,
        when(days - 2),
        "3栋1单元602",
        "3",
        "楼道里堆满杂物",
        details={"complaint_class": "service"},
    )
    writer.stories[ticket.reference].cause = "other"
    writer.accept(ticket.reference, agents[0], ticket.created_at + timedelta(minutes=20))
    writer.resolve(ticket.reference, agents[0], ticket.created_at + timedelta(hours=50), "已清理")

    # Emergencies: accepted in 3–15 minutes.
    for hazard, text in (("flood", "楼上漏水淹到我家了"), ("trapped", "电梯困人"), ("gas", "闻到燃气味")):
        room, building = rng.choice(rooms)
        ticket = writer.open(
            TicketType.EMERGENCY,
            when(rng.randrange(0, days - 1)),
            room,
            building,
            text,
            details={"hazard": hazard},
            priority=Priority.URGENT,
        )
        writer.accept(
            ticket.reference, general, ticket.created_at + timedelta(minutes=rng.choice([3, 8, 15]))
        )
        writer.resolve(ticket.reference, general, ticket.created_at + timedelta(hours=2), "已排除险情")

    # Courtesy service orders.
    for index in range(12):
        item, text = ORDERS[index % len(ORDERS)]
        room, building = rng.choice(rooms)
        at = when(rng.randrange(0, days - 2))
        ticket = writer.open(TicketType.SERVICE_ORDER, at, room, building, text, category=item)
        if index == 11:
            continue
        agent = rng.choice(agents)
        writer.accept(ticket.reference, agent, at + timedelta(minutes=rng.choice([6, 18, 35])))
        writer.resolve(ticket.reference, agent, at + timedelta(hours=rng.choice([1, 3, 30])), "已完成")


CALLBACK_OUTCOMES: tuple[str, ...] = (
    "rated5",
    "rated4",
    "phone_ok",
    "rated2",
    "unreached",
    "overdue",
    "late4",
)


def write_callbacks(writer: MonthWriter, month: ReportMonth) -> list[FollowUp]:
    """A callback record for every complaint and repair resolved in the month, as the follow-up policy keeps
    them: complaints all sampled, repairs every third; outcomes cycle through answered (satisfied or not),
    phoned (reached or not), never made, and made after the window."""
    written: list[FollowUp] = []
    counter = 0
    with writer.uow_factory() as uow:
        for story in sorted(writer.stories.values(), key=lambda s: s.ticket.reference):
            ticket = story.ticket
            kind = {TicketType.COMPLAINT: FollowUpKind.COMPLAINT, TicketType.REPAIR: FollowUpKind.REPAIR}.get(
                ticket.type
            )
            done = story.done()
            if kind is None or done is None or not month.start <= done[0] < month.end or ticket.id is None:
                continue
            resolved_at = done[0]
            window_end = resolved_at + timedelta(days=3)
            sampled = kind is FollowUpKind.COMPLAINT or counter % 3 == 0
            counter += 1
            base = FollowUp(
                id=None,
                ticket_id=ticket.id,
                reference=ticket.reference,
                kind=kind,
                status=FollowUpStatus.NOT_SAMPLED,
                resident_id=ticket.resident_id,
                channel=ticket.channel,
                chat_id=ticket.chat_id,
                resolved_at=resolved_at,
                due_at=None,
                window_end=window_end,
                created_at=resolved_at,
            )
            if sampled:
                asked = resolved_at + timedelta(days=1)
                outcome = CALLBACK_OUTCOMES[len(written) % len(CALLBACK_OUTCOMES)]
                base = replace(base, status=FollowUpStatus.ASKED, due_at=asked, sent_at=asked)
                if outcome in ("rated5", "rated4", "rated2", "late4"):
                    answered = asked + (timedelta(days=3) if outcome == "late4" else timedelta(hours=2))
                    base = replace(
                        base,
                        status=FollowUpStatus.ANSWERED,
                        answered_at=answered,
                        rating={"rated5": 5, "rated4": 4, "rated2": 2, "late4": 4}[outcome],
                        solved=outcome != "rated2",
                    )
                elif outcome in ("phone_ok", "unreached"):
                    base = replace(
                        base,
                        status=FollowUpStatus.DONE,
                        phone_at=asked + timedelta(days=1),
                        phone_reason="no_answer",
                        phone_result="satisfied" if outcome == "phone_ok" else "unreached",
                    )
                written.append(uow.followups.add(followup=base))
            else:
                uow.followups.add(followup=base)
                written.append(base)
        uow.commit()
    return written


@dataclass
class SurveyFacts:
    """What the scenario did in one campaign: forms sent and returned, and every score per dimension."""

    campaign: Campaign
    sent: int = 0
    returned: int = 0
    scores: dict[str, list[int]] = field(default_factory=dict)


def write_surveys(writer: MonthWriter, month: ReportMonth) -> tuple[SurveyFacts, SurveyFacts]:
    """Two campaigns: last month's (closed) and this month's, each sent to every household, most returning
    their forms with ratings per dimension, so the month-over-month change has something to compare."""
    rng = random.Random(11)
    dimensions = tuple(writer.site.survey.dimensions)[:4]
    campaigns = []
    with writer.uow_factory() as uow:
        households = list(uow.surveys.household_ids())
        for offset, (name, returns, bias) in enumerate(
            (("九月满意度调查", 0.6, 3), ("十月满意度调查", 0.8, 4))
        ):
            started = month.start - timedelta(days=30) + timedelta(days=30 * offset, hours=2)
            campaign = uow.surveys.add_campaign(
                campaign=Campaign(
                    id=None,
                    name=name,
                    status=CampaignStatus.RUNNING,
                    dimensions=dimensions,
                    rate_per_minute=20,
                    reminder_days=3,
                    created_at=started,
                    started_at=started,
                    closed_at=started + timedelta(days=10) if offset == 0 else None,
                )
            )
            assert campaign.id is not None
            facts = SurveyFacts(campaign, scores={dimension: [] for dimension in dimensions})
            uow.surveys.add_deliveries(campaign_id=campaign.id, household_ids=households)
            for delivery in uow.surveys.claim_due(
                campaign_id=campaign.id, now=started, limit=len(households)
            ):
                assert delivery.id is not None
                facts.sent += 1
                if rng.random() >= returns:
                    continue
                facts.returned += 1
                for dimension in dimensions:
                    score = max(1, min(5, bias + rng.choice([-2, -1, 0, 1, 1])))
                    facts.scores[dimension].append(score)
                    uow.surveys.record_answer(
                        answer=Answer(
                            delivery_id=delivery.id,
                            dimension=dimension,
                            score=score,
                            resident_id=None,
                            answered_at=started + timedelta(hours=3),
                        )
                    )
                uow.surveys.mark_completed(delivery_id=delivery.id, now=started + timedelta(hours=3))
            campaigns.append(facts)
        uow.commit()
    return campaigns[0], campaigns[1]
