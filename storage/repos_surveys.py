"""Survey campaigns, forms and answers over one session (implements `dialogs.ports.SurveyRepository`).

Sending claims forms the way the outbox claims messages: PostgreSQL locks the chosen rows with
`FOR UPDATE SKIP LOCKED` (a concurrent sender passes over them), SQLite chooses and updates in a single
`UPDATE … RETURNING` (holding the database's one write lock). Answers rely on the unique (form, dimension)
constraint with `ON CONFLICT DO NOTHING`, so a double press — even two at once — is stored once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from dialogs.survey.model import Answer, Campaign, CampaignStatus, Delivery, DeliveryStatus
from storage.dialect import dialect_name, upsert_insert
from storage.tables import (
    HouseholdRow,
    SurveyAnswerRow,
    SurveyCampaignRow,
    SurveyDeliveryRow,
    table_of,
)

__all__ = ["SqlSurveyRepository"]

# Forms inserted per statement (3 bound values each): well under every supported database's limit.
_INSERT_CHUNK = 1_000


def _campaign(row: SurveyCampaignRow) -> Campaign:
    assert row.id is not None
    return Campaign(
        id=row.id,
        name=row.name,
        status=CampaignStatus(row.status),
        dimensions=tuple(row.dimensions),
        rate_per_minute=row.rate_per_minute,
        reminder_days=row.reminder_days,
        created_at=row.created_at,
        building=row.building,
        sample_share=row.sample_share,
        seed=row.seed,
        started_at=row.started_at,
        closed_at=row.closed_at,
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        campaign_id=row.campaign_id,
        household_id=row.household_id,
        status=DeliveryStatus(row.status),
        sent_at=row.sent_at,
        reminded_at=row.reminded_at,
        completed_at=row.completed_at,
        finished_at=row.finished_at,
        comment=row.comment,
    )


class SqlSurveyRepository:
    """Survey records over one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # -- campaigns -------------------------------------------------------------------------------------------

    def add_campaign(self, *, campaign: Campaign) -> Campaign:
        row = SurveyCampaignRow(
            name=campaign.name,
            status=campaign.status.value,
            dimensions=list(campaign.dimensions),
            rate_per_minute=campaign.rate_per_minute,
            reminder_days=campaign.reminder_days,
            building=campaign.building,
            sample_share=campaign.sample_share,
            seed=campaign.seed,
            created_at=campaign.created_at,
            started_at=campaign.started_at,
            closed_at=campaign.closed_at,
        )
        self._session.add(row)
        self._session.flush()
        return _campaign(row)

    def get_campaign(self, *, campaign_id: int) -> Campaign | None:
        row = self._session.get(SurveyCampaignRow, campaign_id)
        return _campaign(row) if row is not None else None

    def save_campaign(self, *, campaign: Campaign) -> None:
        row = self._session.get(SurveyCampaignRow, campaign.id)
        if row is None:
            raise LookupError(f"no survey campaign {campaign.id}")
        row.status = campaign.status.value
        row.started_at = campaign.started_at
        row.closed_at = campaign.closed_at
        self._session.add(row)
        self._session.flush()

    def campaigns(self, *, status: CampaignStatus | None = None) -> Sequence[Campaign]:
        query = select(SurveyCampaignRow).order_by(col(SurveyCampaignRow.id))
        if status is not None:
            query = query.where(SurveyCampaignRow.status == status.value)
        return [_campaign(row) for row in self._session.exec(query)]

    def household_ids(self, *, building: str | None = None) -> Sequence[int]:
        query = select(col(HouseholdRow.id)).order_by(col(HouseholdRow.id))
        if building is not None:
            query = query.where(HouseholdRow.building == building)
        return [int(household_id) for household_id in self._session.exec(query) if household_id is not None]

    # -- forms -----------------------------------------------------------------------------------------------

    def add_deliveries(self, *, campaign_id: int, household_ids: Sequence[int]) -> int:
        """Insert in chunks: one statement binds 3 values per household, and a large estate in a single
        statement would pass SQLite's limit of 32,766 bound values (psycopg's 65,535)."""
        table = table_of(SurveyDeliveryRow)
        added = 0
        for start in range(0, len(household_ids), _INSERT_CHUNK):
            insert = upsert_insert(self._session, table).values(
                [
                    {
                        "campaign_id": campaign_id,
                        "household_id": household_id,
                        "status": DeliveryStatus.PENDING.value,
                    }
                    for household_id in household_ids[start : start + _INSERT_CHUNK]
                ]
            )
            returned = self._session.exec(
                insert.on_conflict_do_nothing(index_elements=["campaign_id", "household_id"]).returning(
                    table.c.id
                )
            ).all()
            added += len(returned)  # counted from RETURNING: a multi-row insert's rowcount is -1 on psycopg
        return added

    def claim_due(self, *, campaign_id: int, now: datetime, limit: int) -> Sequence[Delivery]:
        """See the module docstring for how the two databases make this atomic."""
        due = select(col(SurveyDeliveryRow.id)).where(
            SurveyDeliveryRow.campaign_id == campaign_id,
            SurveyDeliveryRow.status == DeliveryStatus.PENDING.value,
        )
        return self._claim(due, limit, status=DeliveryStatus.SENT.value, sent_at=now)

    def claim_reminders(
        self, *, campaign_id: int, sent_before: datetime, now: datetime, limit: int
    ) -> Sequence[Delivery]:
        due = select(col(SurveyDeliveryRow.id)).where(
            SurveyDeliveryRow.campaign_id == campaign_id,
            SurveyDeliveryRow.status == DeliveryStatus.SENT.value,
            col(SurveyDeliveryRow.completed_at).is_(None),
            col(SurveyDeliveryRow.finished_at).is_(None),
            col(SurveyDeliveryRow.reminded_at).is_(None),
            col(SurveyDeliveryRow.sent_at) <= sent_before,
        )
        return self._claim(due, limit, reminded_at=now)

    def _claim(self, due: Any, limit: int, **values: Any) -> Sequence[Delivery]:
        if limit <= 0:
            return []
        due = due.order_by(col(SurveyDeliveryRow.id)).limit(limit)
        chosen: Any
        if dialect_name(self._session) == "postgresql":
            chosen = list(self._session.exec(due.with_for_update(skip_locked=True)))
            if not chosen:
                return []
        else:
            chosen = due.scalar_subquery()
        table = table_of(SurveyDeliveryRow)
        statement = update(table).where(table.c.id.in_(chosen)).values(**values).returning(*table.c)
        rows = self._session.exec(statement).all()
        return sorted((_delivery(row) for row in rows), key=lambda delivery: delivery.id or 0)

    def release_forms(self, *, delivery_ids: Sequence[int]) -> None:
        self._release(delivery_ids, status=DeliveryStatus.PENDING.value, sent_at=None)

    def release_reminders(self, *, delivery_ids: Sequence[int]) -> None:
        self._release(delivery_ids, reminded_at=None)

    def _release(self, delivery_ids: Sequence[int], **values: Any) -> None:
        if delivery_ids:
            table = table_of(SurveyDeliveryRow)
            self._session.exec(update(table).where(table.c.id.in_(list(delivery_ids))).values(**values))

    def mark_unreachable(self, *, delivery_id: int) -> None:
        self._update(delivery_id, status=DeliveryStatus.UNREACHABLE.value)

    def find_delivery(self, *, campaign_id: int, household_id: int) -> Delivery | None:
        row = self._session.exec(
            select(SurveyDeliveryRow).where(
                SurveyDeliveryRow.campaign_id == campaign_id, SurveyDeliveryRow.household_id == household_id
            )
        ).first()
        return _delivery(row) if row is not None else None

    def deliveries(self, *, campaign_id: int) -> Sequence[Delivery]:
        query = (
            select(SurveyDeliveryRow)
            .where(SurveyDeliveryRow.campaign_id == campaign_id)
            .order_by(col(SurveyDeliveryRow.id))
        )
        return [_delivery(row) for row in self._session.exec(query)]

    def mark_completed(self, *, delivery_id: int, now: datetime) -> bool:
        return self._update_once(delivery_id, "completed_at", completed_at=now)

    def mark_finished(self, *, delivery_id: int, comment: str | None, now: datetime) -> bool:
        return self._update_once(delivery_id, "finished_at", finished_at=now, comment=comment)

    # -- answers ---------------------------------------------------------------------------------------------

    def record_answer(self, *, answer: Answer) -> bool:
        table = table_of(SurveyAnswerRow)
        insert = upsert_insert(self._session, table).values(
            delivery_id=answer.delivery_id,
            dimension=answer.dimension,
            score=answer.score,
            resident_id=answer.resident_id,
            answered_at=answer.answered_at,
        )
        stored = self._session.exec(
            insert.on_conflict_do_nothing(index_elements=["delivery_id", "dimension"]).returning(table.c.id)
        ).first()
        return stored is not None

    def answers(self, *, campaign_id: int) -> Sequence[Answer]:
        query = (
            select(SurveyAnswerRow)
            .join(SurveyDeliveryRow, col(SurveyDeliveryRow.id) == col(SurveyAnswerRow.delivery_id))
            .where(SurveyDeliveryRow.campaign_id == campaign_id)
            .order_by(col(SurveyAnswerRow.id))
        )
        return [
            Answer(
                delivery_id=row.delivery_id,
                dimension=row.dimension,
                score=row.score,
                resident_id=row.resident_id,
                answered_at=row.answered_at,
            )
            for row in self._session.exec(query)
        ]

    def form_answers(self, *, delivery_id: int) -> dict[str, int]:
        query = select(SurveyAnswerRow).where(SurveyAnswerRow.delivery_id == delivery_id)
        return {row.dimension: row.score for row in self._session.exec(query)}

    # -- helpers ---------------------------------------------------------------------------------------------

    def _update(self, delivery_id: int, **values: Any) -> None:
        table = table_of(SurveyDeliveryRow)
        result = self._session.exec(update(table).where(table.c.id == delivery_id).values(**values))
        if result.rowcount != 1:
            raise LookupError(f"no survey form with id {delivery_id}")

    def _update_once(self, delivery_id: int, column: str, **values: Any) -> bool:
        """Set the values only while `column` is still empty: one statement, so only one caller wins."""
        table = table_of(SurveyDeliveryRow)
        result = self._session.exec(
            update(table).where(table.c.id == delivery_id, table.c[column].is_(None)).values(**values)
        )
        return bool(result.rowcount)
