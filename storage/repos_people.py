"""Repositories for the people the front desk knows: households, residents and staff."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam
from sqlmodel import Session, col, select

from dialogs.domain import Household, Resident, StaffMember, StaffRole
from storage.dialect import per_dialect, upsert_insert
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
_FIND_RESIDENT = _RESIDENTS.select().where(
    _RESIDENTS.c.channel == bindparam("channel"), _RESIDENTS.c.external_id == bindparam("external_id")
)
# A first contact registers its sender (`find_or_create`), read back from the insert itself.
_CREATE_RESIDENT = per_dialect(
    lambda insert: (
        insert(_RESIDENTS)
        .values({name: bindparam(name) for name in _RESIDENT_FIELDS})
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(*_RESIDENTS.c)
    )
)
_STAFF = table_of(StaffRow)
# The staff list is read whenever a new ticket is dispatched (who is on shift, with which skills).
_ACTIVE_STAFF = _STAFF.select().where(_STAFF.c.active.is_(True)).order_by(_STAFF.c.id)
_ALL_STAFF = _STAFF.select().order_by(_STAFF.c.id)
_FIND_RESIDENTS = _RESIDENTS.select().where(
    _RESIDENTS.c.channel == bindparam("channel"),
    _RESIDENTS.c.external_id.in_(bindparam("external_ids", expanding=True)),
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
        row = self._session.connection().execute(_FIND_RESIDENT, params).one_or_none()
        return None if row is None else _resident(row)

    def find_many(self, *, channel: str, external_ids: Sequence[int]) -> dict[int, Resident]:
        if not external_ids:
            return {}
        params = {"channel": channel, "external_ids": list(external_ids)}
        rows = self._session.connection().execute(_FIND_RESIDENTS, params)
        return {row.external_id: _resident(row) for row in rows}

    def find_or_create(self, *, resident: Resident) -> Resident:
        """The resident with this channel identity, inserting `resident` if there is none yet.

        One `INSERT … ON CONFLICT DO NOTHING`, so two updates of a new person handled at once (a private
        message and a button in the staff group) do not fail on the unique identity.
        """
        connection = self._session.connection()
        statement = _CREATE_RESIDENT[connection.dialect.name]
        created = connection.execute(statement, _resident_fields(resident)).one_or_none()
        if created is not None:
            return _resident(created)
        found = self.find(channel=resident.channel, external_id=resident.external_id)
        assert found is not None
        return found

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
    """The staff registry."""

    def __init__(self, session: Session) -> None:
        self._session = session

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
        row = stored(self._session, StaffRow, member.id, fields)
        return _staff(row)

    def list(self, *, active_only: bool = True) -> Sequence[StaffMember]:
        statement = _ACTIVE_STAFF if active_only else _ALL_STAFF
        return [_staff(row) for row in self._session.connection().execute(statement)]
