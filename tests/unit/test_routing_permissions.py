"""Routing rules, each assignment strategy, and the permission matrix (every action × every role ×
outsider), as pure functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from dialogs.domain import StaffMember, StaffRole, Ticket, TicketStatus, TicketType
from dialogs.permissions import StaffAction, allowed
from dialogs.routing import choose_assignee, queue_for, supervisors_of
from dialogs.site import load_site

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
SITE = load_site()


def ticket(kind: TicketType = TicketType.REPAIR, **changes: object) -> Ticket:
    base = Ticket(
        id=1,
        reference="R2611270001",
        type=kind,
        status=TicketStatus.OPEN,
        resident_id=1,
        description="x",
        created_at=NOW,
        updated_at=NOW,
        category="plumbing",
        queue="plumbing",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def member(staff_id: int, role: StaffRole, *skills: str, on_shift: bool = True) -> StaffMember:
    return StaffMember(
        id=staff_id,
        telegram_id=100 + staff_id,
        name=f"S{staff_id}",
        role=role,
        skills=skills,
        on_shift=on_shift,
    )


@pytest.mark.parametrize(
    ("kind", "changes", "queue"),
    [
        (TicketType.REPAIR, {"category": "plumbing"}, "plumbing"),
        (TicketType.REPAIR, {"category": "elevator"}, "lifts"),
        (TicketType.REPAIR, {"category": "lighting"}, "electrical"),
        (TicketType.EMERGENCY, {"details": {"hazard": "trapped"}}, "lifts"),
        (TicketType.EMERGENCY, {"details": {"hazard": "fire"}}, "security"),
        (TicketType.COMPLAINT, {"details": {"complaint_class": "quality"}}, "developer_liaison"),
        (TicketType.COMPLAINT, {"details": {"complaint_class": "service"}}, "front_desk"),
        (TicketType.SERVICE_ORDER, {"category": "water_delivery"}, "courtesy"),
        (TicketType.SERVICE_ORDER, {"category": "ac_install"}, "electrical"),
        (TicketType.SUGGESTION, {}, "front_desk"),
        (TicketType.HUMAN, {}, "front_desk"),
    ],
)
def test_routing_rules(kind: TicketType, changes: dict[str, object], queue: str) -> None:
    assert queue_for(ticket(kind, **changes), SITE) == queue


def test_assignment_strategies() -> None:
    staff = [
        member(1, StaffRole.TECHNICIAN, "plumbing"),
        member(2, StaffRole.TECHNICIAN, "plumbing"),
        member(3, StaffRole.TECHNICIAN, "electrical"),
        member(4, StaffRole.TECHNICIAN, "plumbing", on_shift=False),
        member(5, StaffRole.SUPERVISOR, "plumbing"),
    ]
    assert choose_assignee("grab", staff, "plumbing", open_load={}, last_assigned=None) is None
    first = choose_assignee("round_robin", staff, "plumbing", open_load={}, last_assigned=None)
    second = choose_assignee("round_robin", staff, "plumbing", open_load={}, last_assigned=1)
    third = choose_assignee("round_robin", staff, "plumbing", open_load={}, last_assigned=2)
    assert (first and first.id, second and second.id, third and third.id) == (1, 2, 1)
    least = choose_assignee("least_loaded", staff, "plumbing", open_load={1: 3, 2: 1}, last_assigned=None)
    assert least is not None and least.id == 2
    assert choose_assignee("round_robin", staff, "lifts", open_load={}, last_assigned=None) is None
    assert [s.id for s in supervisors_of(staff, "plumbing")] == [5]


ROLES = [None, StaffRole.AGENT, StaffRole.TECHNICIAN, StaffRole.SUPERVISOR, StaffRole.MANAGER]
# (role, own ticket?) -> the actions allowed on an open plumbing ticket of the role's own queue
EXPECTED: dict[tuple[StaffRole | None, bool], set[StaffAction]] = {
    (None, False): set(),
    (None, True): set(),
    (StaffRole.AGENT, False): {StaffAction.TRANSFER, StaffAction.REPLY},
    (StaffRole.AGENT, True): {
        StaffAction.ACCEPT,
        StaffAction.TRANSFER,
        StaffAction.REPLY,
        StaffAction.RESOLVE,
    },
    (StaffRole.TECHNICIAN, False): set(),
    (StaffRole.TECHNICIAN, True): {
        StaffAction.ACCEPT,
        StaffAction.TRANSFER,
        StaffAction.REPLY,
        StaffAction.RESOLVE,
    },
    (StaffRole.SUPERVISOR, False): set(StaffAction),
    (StaffRole.SUPERVISOR, True): set(StaffAction),
    (StaffRole.MANAGER, False): set(StaffAction),
    (StaffRole.MANAGER, True): set(StaffAction),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("own", [False, True])
@pytest.mark.parametrize("action", list(StaffAction))
def test_permission_matrix(role: StaffRole | None, own: bool, action: StaffAction) -> None:
    who = None if role is None else member(7, role, "plumbing")
    target = ticket(assignee_id=7 if own else 8)
    assert allowed(who, action, target) is (action in EXPECTED[(role, own)])


def test_unassigned_ticket_can_be_accepted_by_queue_workers_only() -> None:
    target = ticket(assignee_id=None)
    assert allowed(member(7, StaffRole.TECHNICIAN, "plumbing"), StaffAction.ACCEPT, target)
    assert not allowed(member(7, StaffRole.TECHNICIAN, "electrical"), StaffAction.ACCEPT, target)
    assert allowed(member(7, StaffRole.AGENT), StaffAction.ACCEPT, target)  # no skills: every queue
    inactive = StaffMember(id=9, telegram_id=9, name="x", role=StaffRole.MANAGER, active=False)
    assert not allowed(inactive, StaffAction.CLOSE, target)


def test_site_rules_come_first_and_can_name_a_building() -> None:
    data = SITE.model_dump(mode="json")
    data["routing"]["rules"] = [
        {"type": "R", "category": "elevator", "building": "A", "queue": "general_maintenance"}
    ]
    site = type(SITE).model_validate(data)
    lift = ticket(category="elevator")
    assert queue_for(lift, site, building="A") == "general_maintenance"
    assert queue_for(lift, site, building="B") == "lifts"
    data["routing"]["rules"] = [{"queue": "nowhere"}]
    with pytest.raises(ValueError, match=r"routing\.rules\.0\.queue"):
        type(SITE).model_validate(data)
