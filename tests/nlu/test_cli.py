from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.nlu_cli import default_data_dir, nlu
from tests.nlu.conftest import MINI_DATA, REPO


def _args(cache: Path, *extra: str) -> list[str]:
    return [*extra, "--data-dir", str(MINI_DATA), "--cache-dir", str(cache)]


def test_parse_writes_one_rasa_json_object_per_line(nlu_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRONTDESK_NLU", raising=False)
    result = CliRunner().invoke(
        nlu,
        ["parse", *_args(nlu_cache), "--now", "2024-05-06T10:00:00+08:00"],
        input="3栋2单元502厨房漏水 明天上午来\n\nthank you\n",
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2  # the blank line is skipped
    first = json.loads(lines[0])
    assert set(first) == {"text", "intent", "intent_ranking", "entities"}
    assert first["text"] == "3栋2单元502厨房漏水 明天上午来"
    assert "3栋2单元502" in lines[0]  # ensure_ascii=False: Chinese stays readable
    assert set(first["intent"]) == {"name", "confidence"}
    assert first["intent"]["name"] == "repair"
    assert {e["entity"]: e["value"] for e in first["entities"]} == {
        "room": "3栋2单元502",
        "repair_category": "plumbing",
        "datetime": "2024-05-07T09:00:00",
    }
    assert set(first["entities"][0]) == {"entity", "value", "start", "end", "extractor", "confidence_entity"}
    assert json.loads(lines[1])["intent"]["name"] == "thanks"


def test_parse_rejects_a_bad_now(nlu_cache: Path) -> None:
    result = CliRunner().invoke(nlu, ["parse", *_args(nlu_cache), "--now", "tomorrow"], input="hi\n")
    assert result.exit_code != 0
    assert "ISO 8601" in result.output


def test_train_reports_counts(tmp_path: Path) -> None:
    result = CliRunner().invoke(nlu, ["train", *_args(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "30 examples, 5 intents" in result.output


def test_evaluate_a_test_file(nlu_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRONTDESK_NLU", raising=False)
    test_file = tmp_path / "t.jsonl"
    rows = [
        {"text": "多谢", "intent": "thanks", "entities": {}},
        {"text": "hi", "intent": "greet", "entities": {}},
    ]
    test_file.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = CliRunner().invoke(nlu, ["evaluate", str(test_file), *_args(nlu_cache)])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output
    assert "thanks" in result.output


@pytest.mark.parametrize("command", ["parse", "train", "evaluate", "benchmark"])
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(nlu, [command, "--help"])
    assert result.exit_code == 0
    assert "--data-dir" in result.output and "--cache-dir" in result.output


def test_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FRONTDESK_NLU_DATA", raising=False)
    assert default_data_dir() == REPO / "nlu_data"
    monkeypatch.setenv("FRONTDESK_NLU_DATA", str(tmp_path))
    assert default_data_dir() == tmp_path
