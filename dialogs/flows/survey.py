"""The satisfaction survey in the chat: rate each dimension 1–5 with buttons, then an optional comment.

Presses arrive as `ActionKind.SURVEY` with an argument naming campaign, message and rating
(`dialogs.survey.buttons`), so they work whatever the resident's conversation is doing. The form message
is edited in place into the next unanswered question; a rating already given is not changed by a second
press (the first counts) and the next question is shown again. After the last rating the form is returned
and the message asks for a comment: typed text is the comment (the chat is then in this flow, with any
open conversation parked and resumed afterwards), or the skip button. A household answers once: whoever of
its residents finishes the form first. Presses on a closed campaign get a polite answer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from dialogs.flows.base import FlowName
from dialogs.messages import ALERT, Action, ActionKind, Button
from dialogs.survey import buttons
from dialogs.survey.buttons import SurveyPress
from dialogs.survey.model import SCORES, Answer, Campaign, CampaignStatus, Delivery, DeliveryStatus
from dialogs.turn import Turn

PARKED = "parked"  # the engine's slot for an interrupted conversation (see `dialogs.engine`)


class SurveyStep(StrEnum):
    """The survey's only typed step: everything else is buttons."""

    COMMENT = "comment"


class SurveyFlow:
    """Survey presses and the comment step."""

    name = FlowName.SURVEY

    def on_action(self, turn: Turn) -> dict[str, Any] | None:
        """Handle a survey button. Returns a conversation to resume when the press ended the comment step
        that had parked it (the engine restores it)."""
        action = turn.message.action
        assert action is not None and action.kind is ActionKind.SURVEY
        press = buttons.parse(action.arg)
        campaign = turn.uow.surveys.get_campaign(campaign_id=press.campaign_id) if press else None
        if press is None or campaign is None:
            turn.say("common.stale_button")
            return None
        if campaign.status is not CampaignStatus.RUNNING:
            turn.say("survey.closed", name=campaign.name)
            return self._leave_comment_step(turn, campaign)
        delivery = self._delivery(turn, campaign)
        if delivery is None:
            turn.say("survey.not_for_you")
            return None
        if delivery.finished_at is not None:
            turn.say("survey.already_done")
            return None
        if press.op == buttons.RATE:
            self._rate(turn, campaign, delivery, press)
        elif press.op == buttons.SKIP:
            return self._finish(turn, campaign, delivery, press.round, comment=None)
        self._show_next(turn, campaign, delivery, press.round)
        return None

    # -- the comment step (a flow the engine resumes with typed text) ------------------------------------

    def resume(self, turn: Turn) -> None:
        """The resident typed the comment."""
        campaign = turn.uow.surveys.get_campaign(campaign_id=int(turn.slots.get("campaign", 0)))
        delivery = self._delivery(turn, campaign) if campaign is not None else None
        if campaign is None or campaign.status is not CampaignStatus.RUNNING or delivery is None:
            turn.end_flow()
            turn.say("survey.closed", name=campaign.name if campaign else "")
            return
        if not turn.text:
            self.reprompt(turn)
            return
        round_ = str(turn.slots.get("round", buttons.FIRST))
        turn.end_flow()  # the engine resumes a conversation this step parked, once the flow has ended
        if delivery.finished_at is not None:
            turn.say("survey.already_done")
            return
        self._finish(turn, campaign, delivery, round_, comment=turn.text)

    def reprompt(self, turn: Turn) -> None:
        """Ask for the comment again, as a new message (the form message may be far up the chat)."""
        campaign_id = int(turn.slots.get("campaign", 0))
        round_ = str(turn.slots.get("round", buttons.FIRST))
        turn.say("survey.comment", buttons=((self._skip(turn, campaign_id, round_),),))

    # -- helpers -------------------------------------------------------------------------------------------

    def _delivery(self, turn: Turn, campaign: Campaign) -> Delivery | None:
        """The form of the presser's household, if it was sent to it."""
        household_id = turn.resident.household_id
        if household_id is None or campaign.id is None:
            return None
        delivery = turn.uow.surveys.find_delivery(campaign_id=campaign.id, household_id=household_id)
        return delivery if delivery is not None and delivery.status is DeliveryStatus.SENT else None

    def _rate(self, turn: Turn, campaign: Campaign, delivery: Delivery, press: SurveyPress) -> None:
        assert delivery.id is not None
        if press.dimension not in campaign.dimensions:
            turn.say("common.stale_button")
            return
        stored = turn.uow.surveys.record_answer(
            answer=Answer(
                delivery_id=delivery.id,
                dimension=press.dimension,
                score=press.score,
                resident_id=turn.resident.id,
                answered_at=turn.now,
            )
        )
        if not stored:
            turn.send(turn.message.chat_id, turn.t("survey.already_rated"), audience=ALERT)

    def _show_next(self, turn: Turn, campaign: Campaign, delivery: Delivery, round_: str) -> None:
        """Edit the form message into the first unanswered question, or the comment prompt."""
        assert campaign.id is not None and delivery.id is not None
        answered = turn.uow.surveys.form_answers(delivery_id=delivery.id)
        remaining = [d for d in campaign.dimensions if d not in answered]
        key = buttons.form_key(campaign.id, round_)
        if remaining:
            dimension = remaining[0]
            text = turn.t(
                "survey.question",
                name=campaign.name,
                index=len(campaign.dimensions) - len(remaining) + 1,
                count=len(campaign.dimensions),
                dimension=self._label(turn, dimension),
            )
            row = tuple(
                Button(
                    label=turn.t(f"survey.score.{score}"),
                    action=Action(
                        ActionKind.SURVEY, buttons.arg(campaign.id, round_, buttons.rating(dimension, score))
                    ),
                )
                for score in SCORES
            )
            # five labelled choices do not fit one row on a phone: best three, then the two others
            self._edit(turn, key, text, (row[:3], row[3:]))
            return
        turn.uow.surveys.mark_completed(delivery_id=delivery.id, now=turn.now)
        self._edit(turn, key, turn.t("survey.comment"), ((self._skip(turn, campaign.id, round_),),))
        self._enter_comment_step(turn, campaign.id, round_)

    def _enter_comment_step(self, turn: Turn, campaign_id: int, round_: str) -> None:
        """Typed text is the comment from now on; an open conversation waits (parked) until it is given."""
        if turn.flow == FlowName.SURVEY:
            turn.slots.update(campaign=campaign_id, round=round_)
            return
        parked = {"flow": turn.flow, "step": turn.step, "slots": turn.slots} if turn.flow else None
        turn.go(FlowName.SURVEY, SurveyStep.COMMENT, campaign=campaign_id, round=round_)
        if parked is not None:
            turn.slots[PARKED] = parked

    def _leave_comment_step(self, turn: Turn, campaign: Campaign) -> dict[str, Any] | None:
        """End this campaign's comment step, if the chat is in it; returns the conversation it parked."""
        if turn.flow != FlowName.SURVEY or turn.slots.get("campaign") != campaign.id:
            return None
        parked = turn.slots.get(PARKED)
        turn.end_flow()
        return parked if isinstance(parked, dict) else None

    def _finish(
        self, turn: Turn, campaign: Campaign, delivery: Delivery, round_: str, *, comment: str | None
    ) -> dict[str, Any] | None:
        assert campaign.id is not None and delivery.id is not None
        answered = turn.uow.surveys.form_answers(delivery_id=delivery.id)
        if any(d not in answered for d in campaign.dimensions):
            self._show_next(turn, campaign, delivery, round_)  # skip pressed on an old message: go on
            return None
        parked = self._leave_comment_step(turn, campaign)
        turn.uow.surveys.mark_completed(delivery_id=delivery.id, now=turn.now)
        if not turn.uow.surveys.mark_finished(delivery_id=delivery.id, comment=comment, now=turn.now):
            turn.say("survey.already_done")
            return parked
        key = buttons.form_key(campaign.id, round_)
        if comment is None:
            self._edit(turn, key, turn.t("survey.thanks"), ())
        else:
            self._edit(turn, key, turn.t("survey.comment_received"), ())
            turn.say("survey.thanks")
        return parked

    def _skip(self, turn: Turn, campaign_id: int, round_: str) -> Button:
        return turn.button("survey.skip", ActionKind.SURVEY, buttons.arg(campaign_id, round_, buttons.SKIP))

    def _label(self, turn: Turn, dimension: str) -> str:
        label = turn.site.survey.dimensions.get(dimension)
        return label.get(turn.lang) if label is not None else dimension

    def _edit(self, turn: Turn, key: str, text: str, rows: tuple[tuple[Button, ...], ...]) -> None:
        turn.send(turn.message.chat_id, text, buttons=rows, key=key, audience="resident")
