"""Repositories for the people the front desk knows: households, residents and staff."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, exists
from sqlmodel import Session, col, select

from dialogs.domain import Household, Resident, StaffMember, StaffRole
from storage.dialect import per_dialect, rows_for_keys, upsert_insert
from storage.prepared import Pending, Prepared
from storage.rows import stored
from storage.tables import HouseholdRow, ResidentRow, StaffRow, table_of

__all__ = ["SqlHouseholdRepository", "SqlResidentRepository", "SqlStaffRepository"]


def _household(row: HouseholdRow) -> Household:
    return Household(id=row.id, room=row.room, building=row.building, unit=row.unit)


def _resident(row: ResidentRow | Row[Any]) -> Resident:
    return Resident(
        id=row.id,
        channel=row.channel,
        external_id=row.external_id,
        display_name=row.display_name,
        phone=row.phone,
        language=row.language,
        household_id=row.household_id,
        created_at=row.created_at,
        unreachable_since=row.unreachable_since,
    )


def _staff(row: StaffRow | Row[Any]) -> StaffMember:
    return StaffMember(
        id=row.id,
        telegram_id=row.telegram_id,
        name=row.name,
        role=StaffRole(row.role),
        skills=tuple(row.skills),
        active=row.active,
        on_shift=row.on_shift,
    )


_RESIDENT_FIELDS = (
    "channel",
    "external_id",
    "display_name",
    "phone",
    "language",
    "household_id",
    "created_at",
)


def _resident_fields(resident: Resident) -> dict[str, object]:
    return {
        "channel": resident.channel,
        "external_id": resident.external_id,
        "display_name": resident.display_name,
        "phone": resident.phone,
        "language": resident.language,
        "household_id": resident.household_id,
        "created_at": resident.created_at,
    }


_RESIDENTS = table_of(ResidentRow)
# Prepared once: every incoming message looks its sender up (see `storage.dialect.per_dialect`).
_IDENTITY = (
    _RESIDENTS.c.channel == bindparam("channel"),
    _RESIDENTS.c.external_id == bindparam("external_id"),
)
_FIND_RESIDENT = Prepared(_RESIDENTS.select().where(*_IDENTITY))
# A first contact registers its sender (`find_or_create_many`): inserted only if the identity is not
# stored yet, so that the people already known (nearly everyone, in a batch) cost no id from the sequence;
# a concurrent insert of the same new person waits for the other and does nothing (`ON CONFLICT`).
_KNOWN = exists().where(*_IDENTITY)
_REGISTER_RESIDENT = Prepared(
    per_dialect(
        lambda insert: (
            insert(_RESIDENTS)
            .from_select(
                list(_RESIDENT_FIELDS),
                select(*(bindparam(name, type_=_RESIDENTS.c[name].type) for name in _RESIDENT_FIELDS)).where(
                    ~_KNOWN
                ),
                include_defaults=False,
            )
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        )
    )
)
_STAFF = table_of(StaffRow)
# The staff list is read whenever a new ticket is dispatched (who is on shift, with which skills).
_ACTIVE_STAFF = Prepared(_STAFF.select().where(_STAFF.c.active.is_(True)).order_by(_STAFF.c.id))
_ALL_STAFF = Prepared(_STAFF.select().order_by(_STAFF.c.id))
# A batch's senders, read together (`storage.dialect.rows_for_keys`).
_FIND_RESIDENTS = Prepared(
    rows_for_keys(
        _RESIDENTS.select().where(_RESIDENTS.c.channel == bindparam("channel")),
        _RESIDENTS.c.external_id,
        "external_ids",
    )
)


class SqlHouseholdRepository:
    """Households, keyed by their room label."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, *, household_id: int) -> Household | None:
        row = self._session.get(HouseholdRow, household_id)
        return None if row is None else _household(row)

    def get_or_create(self, *, room: str, building: str = "", unit: str = "") -> Household:
        """Return the household of `room`, creating it if new.

        `INSERT … ON CONFLICT DO NOTHING` rather than select-then-insert, so two workers seeing the same
        new room at once do not fail on the unique constraint. An existing household is returned as it is.
        """
        table = table_of(HouseholdRow)
        statement = (
            upsert_insert(self._session, table)
            .values(room=room, building=building, unit=unit)
            .on_conflict_do_nothing(index_elements=["room"])
        )
        self._session.exec(statement)
        row = self._session.exec(select(HouseholdRow).where(HouseholdRow.room == room)).one()
        return _household(row)

    def find(self, *, room: str) -> Household | None:
        row = self._session.exec(select(HouseholdRow).where(HouseholdRow.room == room)).one_or_none()
        return None if row is None else _household(row)


class SqlResidentRepository:
    """Residents and their channel identities."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, *, resident_id: int) -> Resident | None:
        row = self._session.get(ResidentRow, resident_id)
        return None if row is None else _resident(row)

    def find(self, *, channel: str, external_id: int) -> Resident | None:
        params = {"channel": channel, "external_id": external_id}
        row = _FIND_RESIDENT.one_or_none(self._session.connection(), params)
        return None if row is None else _resident(row)

    def find_many(self, *, channel: str, external_ids: Sequence[int]) -> dict[int, Resident]:
        return self.find_many_later(channel=channel, external_ids=external_ids)()

    def find_many_later(
        self, *, channel: str, external_ids: Sequence[int]
    ) -> Callable[[], dict[int, Resident]]:
        if not external_ids:
            return lambda: {}
        params = {"channel": channel, "external_ids": list(external_ids)}
        pending = _FIND_RESIDENTS.send(self._session.connection(), params)
        return lambda: {row.external_id: _resident(row) for row in pending.rows()}

    def find_or_create(self, *, resident: Resident) -> Resident:
        """The resident with this channel identity, inserting `resident` if there is none yet."""
        return self.find_or_create_many(residents=[resident])[resident.external_id]

    def find_or_create_many(self, *, residents: Sequence[Resident]) -> dict[int, Resident]:
        """`find_or_create` for several identities of one channel (a batch's senders), by external id."""
        return self.find_or_create_many_later(residents=residents)()

    def find_or_create_many_later(
        self, *, residents: Sequence[Resident]
    ) -> Callable[[], dict[int, Resident]]:
        """Insert those of the identities not stored yet (one prepared insert per identity, executed
        together), then read them all (`find_many_later`): inside `UnitOfWork.sent_together` both go out
        with the block's other statements. Two updates of a new person handled at once (a private message
        and a button in the staff group) do not fail on the unique identity: the second insert waits for
        the first and does nothing."""
        if not residents:
            return lambda: {}
        channels = {resident.channel for resident in residents}
        if len(channels) != 1:
            raise ValueError("find_or_create_many takes residents of one channel")
        connection = self._session.connection()
        # In key order, like the chat locks: two batches registering the same new people never wait for
        # each other in a cycle.
        ordered = sorted(residents, key=lambda resident: resident.external_id)
        _REGISTER_RESIDENT.execute_many(connection, [_resident_fields(resident) for resident in ordered])
        return self.find_many_later(channel=channels.pop(), external_ids=[r.external_id for r in residents])

    def list_for_household(self, *, household_id: int) -> Sequence[Resident]:
        statement = (
            select(ResidentRow).where(ResidentRow.household_id == household_id).order_by(col(ResidentRow.id))
        )
        return [_resident(row) for row in self._session.exec(statement)]

    def save(self, *, resident: Resident) -> Resident:
        """Insert (id None) or update; an id that is not stored is an error, not an implicit insert."""
        row = stored(self._session, ResidentRow, resident.id, _resident_fields(resident))
        return _resident(row)


class SqlStaffRepository:
    """The staff registry.

    The list is read once per transaction and kept until this repository writes a member or the unit of
    work commits (`forget_read_ahead`): a batch of turns opening several tickets routes them all on one
    reading, as if they had come together (each list is a round trip on PostgreSQL). A change another
    process commits meanwhile is seen from the next transaction on; a periodic job working through many
    items in one transaction routes them all on the list as its transaction began.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._lists: dict[bool, tuple[StaffMember, ...]] = {}
        self._sent: Pending | None = None  # `prefetch`, not read yet

    def get(self, *, staff_id: int) -> StaffMember | None:
        row = self._session.get(StaffRow, staff_id)
        return None if row is None else _staff(row)

    def find(self, *, telegram_id: int) -> StaffMember | None:
        statement = select(StaffRow).where(StaffRow.telegram_id == telegram_id)
        row = self._session.exec(statement).one_or_none()
        return None if row is None else _staff(row)

    def save(self, *, member: StaffMember) -> StaffMember:
        """Insert (id None) or update by id."""
        fields = {
            "telegram_id": member.telegram_id,
            "name": member.name,
            "role": member.role.value,
            "skills": list(member.skills),
            "active": member.active,
            "on_shift": member.on_shift,
        }
        self.forget_read_ahead()
        row = stored(self._session, StaffRow, member.id, fields)
        return _staff(row)

    def list(self, *, active_only: bool = True) -> Sequence[StaffMember]:
        if active_only and self._sent is not None:
            self._lists[True] = tuple(_staff(row) for row in self._sent.rows())
            self._sent = None
        if active_only not in self._lists:
            statement = _ACTIVE_STAFF if active_only else _ALL_STAFF
            rows = statement.rows(self._session.connection(), {})
            self._lists[active_only] = tuple(_staff(row) for row in rows)
        return list(self._lists[active_only])

    def prefetch(self) -> None:
        """Send the read of the active staff now, for `list` to take when a new ticket is routed (inside
        `UnitOfWork.sent_together` it costs no round trip of its own)."""
        if True not in self._lists and self._sent is None:
            self._sent = _ACTIVE_STAFF.send(self._session.connection(), {})

    def forget_read_ahead(self) -> None:
        """Read the list afresh next time (called at commit: the next transaction may see changes)."""
        if self._sent is not None:
            self._sent.rows()  # answered before what made it stale; read so that it is not left over
            self._sent = None
        self._lists.clear()
