"""Shared NLU fixtures: one trained model per session (real data), and the small fixture data."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dialogs.nlu.builtin import BuiltinNlu
from dialogs.nlu.evaluate import EvalItem, held_out_split
from dialogs.nlu.training_data import load_training_data

REPO = Path(__file__).resolve().parents[2]
REAL_DATA = REPO / "nlu_data"
MINI_DATA = Path(__file__).resolve().parent / "fixtures" / "mini"
EXTERNAL_EVAL = REPO.parent / "shared" / "eval" / "external.jsonl"
NOW = datetime(2024, 5, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday


@pytest.fixture(scope="session")
def nlu_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def real_nlu(nlu_cache: Path) -> BuiltinNlu:
    if not any(REAL_DATA.glob("nlu/*.yml")):
        pytest.skip("nlu_data/ has no training data yet")
    return BuiltinNlu.load(REAL_DATA, nlu_cache)


@pytest.fixture(scope="session")
def held_out(nlu_cache: Path) -> tuple[BuiltinNlu, list[EvalItem]]:
    if not any(REAL_DATA.glob("nlu/*.yml")):
        pytest.skip("nlu_data/ has no training data yet")
    train, items = held_out_split(load_training_data(REAL_DATA))
    return BuiltinNlu.from_data(train, nlu_cache), items


@pytest.fixture(scope="session")
def mini_nlu(nlu_cache: Path) -> BuiltinNlu:
    return BuiltinNlu.load(MINI_DATA, nlu_cache)


@pytest.fixture()
def mini_copy(tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "data"
    shutil.copytree(MINI_DATA, target)
    yield target
