from __future__ import annotations

from pathlib import Path

from dialogs.nlu.builtin import BuiltinNlu
from dialogs.nlu.classifier import cache_key
from dialogs.nlu.training_data import load_training_data
from tests.nlu.conftest import NOW


def test_second_load_uses_the_cache_and_changed_data_retrains(mini_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = BuiltinNlu.load(mini_copy, cache)
    assert first.train_report is not None
    assert first.train_report.examples == 30

    second = BuiltinNlu.load(mini_copy, cache)
    assert second.train_report is None  # loaded, not trained
    text = "卫生间水龙头坏了"
    assert second.parse(text, now=NOW).intent_ranking == first.parse(text, now=NOW).intent_ranking

    intents = mini_copy / "nlu" / "intents.yml"
    intents.write_text(intents.read_text(encoding="utf-8") + "    - text: 帮我订一束花\n", encoding="utf-8")
    third = BuiltinNlu.load(mini_copy, cache)
    assert third.train_report is not None
    assert third.train_report.examples == 31
    key = cache_key(load_training_data(mini_copy).content_hash)
    assert (cache / key / "model.npz").is_file()


def test_force_train_retrains_even_when_cached(mini_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    BuiltinNlu.load(mini_copy, cache)
    assert BuiltinNlu.load(mini_copy, cache, force_train=True).train_report is not None
    assert not [p for p in cache.iterdir() if p.name.startswith(".train-")]  # no staging left behind


def test_mini_model_learns_its_intents(mini_nlu: BuiltinNlu) -> None:
    assert mini_nlu.parse("谢谢你", now=NOW).intent.name == "thanks"
    ranking = mini_nlu.parse("hello", now=NOW).intent_ranking
    assert ranking[0].name == "greet"
    assert abs(sum(s.confidence for s in ranking) - 1.0) < 1e-5
