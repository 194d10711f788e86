"""Survey buttons survive Telegram's 64-byte callback data, and forged ones are refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.telegram.callbacks import pack_action, unpack_action
from dialogs.messages import Action, ActionKind
from dialogs.site import SurveyPolicy, load_site
from dialogs.survey import buttons


def test_every_rating_of_the_default_site_fits_a_callback_unchanged() -> None:
    for dimension in load_site().survey.dimensions:
        for score in (1, 5):
            action = Action(
                ActionKind.SURVEY, buttons.arg(9_999_999, buttons.REMINDER, buttons.rating(dimension, score))
            )
            assert unpack_action(pack_action(action)) == action
            press = buttons.parse(action.arg)
            assert press == buttons.SurveyPress(9_999_999, buttons.REMINDER, buttons.RATE, dimension, score)


@pytest.mark.parametrize("forged", ["", "x|s|go", "1|q|go", "1|s|heating=9", "1|s|heating=", "1|s|=5", "1|s"])
def test_malformed_arguments_are_refused(forged: str) -> None:
    assert buttons.parse(forged) is None


def test_dimension_keys_must_be_short_ascii_words() -> None:
    with pytest.raises(ValidationError, match="dimension key"):
        SurveyPolicy.model_validate({"dimensions": {"供暖": {"zh": "供暖", "en": "Heating"}}})
    with pytest.raises(ValidationError, match="dimension key"):
        SurveyPolicy.model_validate({"dimensions": {"a|b": {"zh": "x", "en": "x"}}})
    with pytest.raises(ValidationError, match="at least one"):
        SurveyPolicy.model_validate({"dimensions": {}})
