"""Quality floors of the built-in model trained on the real `nlu_data/`.

The external set (shared/eval/external.jsonl) is for measuring only: nothing here trains on it or copies
from it. Floors sit a little below what was measured, so a regression fails the suite.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from dialogs.nlu.builtin import BuiltinNlu
from dialogs.nlu.evaluate import EvalItem, evaluate, load_eval_items, texts_of
from tests.nlu.conftest import EXTERNAL_EVAL, NOW

HELD_OUT_MACRO_F1_FLOOR = 0.92  # measured 0.954 on the 20% split
EXTERNAL_MACRO_F1_TARGET = 0.90  # the product target (issue 3); measured 0.909
EMERGENCY_RECALL_FLOOR = 0.98
CHINESE_SHARE_FLOOR = 0.75  # residents write mostly Chinese; the data must not drift towards English


def _external() -> list[EvalItem]:
    if not EXTERNAL_EVAL.is_file():
        pytest.skip(f"external evaluation set not found at {EXTERNAL_EVAL} (shared/ is not beside the repo)")
    return load_eval_items(EXTERNAL_EVAL)


def test_held_out_split_floor_and_emergency_recall(held_out: tuple[BuiltinNlu, list[EvalItem]]) -> None:
    model, items = held_out
    train_texts = {e.text for e in model.data.examples}
    assert not train_texts & {i.text for i in items}  # the split really holds those texts out
    report = evaluate(model, items, now=NOW)
    assert report.macro_f1 >= HELD_OUT_MACRO_F1_FLOOR
    recall = report.recall_of("emergency")
    assert recall is not None and recall >= EMERGENCY_RECALL_FLOOR


def test_emergency_recall_on_all_own_emergency_examples(real_nlu: BuiltinNlu) -> None:
    emergencies = [e.text for e in real_nlu.data.examples if e.intent == "emergency"]
    assert emergencies
    caught = sum(real_nlu.parse(text, now=NOW).intent.name == "emergency" for text in emergencies)
    assert caught / len(emergencies) >= EMERGENCY_RECALL_FLOOR


def test_external_macro_f1_target(real_nlu: BuiltinNlu) -> None:
    report = evaluate(real_nlu, _external(), now=NOW)
    assert report.macro_f1 >= EXTERNAL_MACRO_F1_TARGET
    recall = report.recall_of("emergency")
    assert recall is None or recall >= EMERGENCY_RECALL_FLOOR


def _loose(text: str) -> str:
    """Case, spacing and punctuation do not make a text new."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


def test_no_training_text_is_an_external_text(real_nlu: BuiltinNlu) -> None:
    external = {_loose(text) for text in texts_of(_external())}
    overlap = sorted({e.text for e in real_nlu.data.examples if _loose(e.text) in external})
    assert not overlap, f"training texts that are also external test texts: {overlap}"


def test_training_data_stays_mostly_chinese(real_nlu: BuiltinNlu) -> None:
    han = re.compile(r"[\u4e00-\u9fff]")
    examples = real_nlu.data.examples
    assert sum(bool(han.search(e.text)) for e in examples) / len(examples) >= CHINESE_SHARE_FLOOR
