from __future__ import annotations

import pytest

from dialogs.nlu.builtin import adjust_for_emergency
from dialogs.nlu.emergency import Verdict, check_emergency


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("厨房着火了！", "fire"),
        ("楼道里好多烟", "fire"),
        ("There is smoke coming from the basement", "fire"),
        ("闻到一股煤气味", "gas"),
        ("I smell gas in the hallway", "gas"),
        ("家里水漫出来了", "flood"),
        ("水管爆了", "flood"),
        ("the basement is flooded", "flood"),
        ("我被困在电梯里了", "trapped"),
        ("my kid is stuck in the elevator", "trapped"),
        ("老人在小区门口晕倒了", "injury"),
        ("someone collapsed in the lobby", "injury"),
        ("插座冒火花", "electrical"),
        ("the wires are sparking", "electrical"),
        ("上次修好了又爆管了", "flood"),
    ],
)
def test_danger_fires(text: str, rule: str) -> None:
    assert check_emergency(text).verdict is Verdict.EMERGENCY
    assert check_emergency(text).rule == rule


@pytest.mark.parametrize(
    "text",
    [
        "电梯停了 nobody inside",
        "电梯停了，里面没人",
        "the lift stopped but no one is inside",
        "上次漏水已经修好了",
        "the leak was fixed last week, thanks",
        "如果着火了怎么办",
        "没有燃气味",
        "fire drill next week?",
        "My neighbour is smoking on the stairs",
        "紧急联系人怎么改",
    ],
)
def test_guarded_cases_are_not_emergencies(text: str) -> None:
    assert check_emergency(text).verdict is Verdict.NOT_EMERGENCY


@pytest.mark.parametrize("text", ["厨房水龙头坏了", "the ceiling light is broken", "你好", "谢谢"])
def test_ordinary_messages_are_left_to_the_model(text: str) -> None:
    assert check_emergency(text).verdict is Verdict.UNDECIDED


def test_rule_moves_emergency_to_the_top_and_keeps_a_distribution() -> None:
    ranking = [("repair", 0.7), ("complaint", 0.2), ("emergency", 0.1)]
    adjusted = adjust_for_emergency("水管爆了", ranking)
    assert adjusted[0] == ("emergency", 0.9)
    assert sum(p for _, p in adjusted) == pytest.approx(1.0)
    assert [n for n, _ in adjusted] == ["emergency", "repair", "complaint"]


def test_guard_removes_a_model_emergency() -> None:
    ranking = [("emergency", 0.6), ("repair", 0.3), ("thanks", 0.1)]
    adjusted = adjust_for_emergency("上次漏水已经修好了", ranking)
    assert adjusted[0][0] == "repair"
    assert dict(adjusted)["emergency"] == 0.0
    assert sum(p for _, p in adjusted) == pytest.approx(1.0)


def test_undecided_leaves_the_ranking_alone() -> None:
    ranking = [("repair", 0.7), ("emergency", 0.3)]
    assert adjust_for_emergency("厨房水龙头坏了", ranking) == ranking


def test_real_model_obeys_the_guards(real_nlu: object) -> None:
    from dialogs.nlu.builtin import BuiltinNlu
    from tests.nlu.conftest import NOW

    assert isinstance(real_nlu, BuiltinNlu)
    for text in ("电梯停了 nobody inside", "上次漏水已经修好了"):
        assert real_nlu.parse(text, now=NOW).intent.name != "emergency", text
    for text in ("厨房着火了！", "I smell gas in the hallway", "我被困在电梯里了"):
        assert real_nlu.parse(text, now=NOW).intent.name == "emergency", text
