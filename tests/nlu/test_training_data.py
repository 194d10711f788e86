from __future__ import annotations

from pathlib import Path

from dialogs.nlu.training_data import EntitySpan, load_training_data, parse_annotated
from tests.nlu.conftest import MINI_DATA


def test_markup_is_stripped_and_spans_point_into_the_plain_text() -> None:
    text, spans = parse_annotated(
        '[3栋2单元502](room)厨房[漏水]{"entity": "repair_category", "value": "plumbing"}'
    )
    assert text == "3栋2单元502厨房漏水"
    assert spans == (
        EntitySpan("room", "3栋2单元502", 0, 8),
        EntitySpan("repair_category", "plumbing", 10, 12),
    )
    assert text[spans[1].start : spans[1].end] == "漏水"


def test_short_value_form_and_list_form() -> None:
    text, spans = parse_annotated(
        '客厅的[灯](repair_category:lighting)坏了 [打车][{"entity": "service_item", "value": "taxi"}]'
    )
    assert text == "客厅的灯坏了 打车"
    assert [(s.entity, s.value, text[s.start : s.end]) for s in spans] == [
        ("repair_category", "lighting", "灯"),
        ("service_item", "taxi", "打车"),
    ]


def test_text_without_markup_is_unchanged() -> None:
    assert parse_annotated("马桶堵了 [急]") == ("马桶堵了 [急]", ())


def test_directory_loading_reads_intents_synonyms_lookups_regexes() -> None:
    data = load_training_data(MINI_DATA)
    assert set(data.intents) == {"greet", "thanks", "repair", "emergency", "service_order"}
    assert any(e.text == "帮我叫个出租车" and e.intent == "service_order" for e in data.examples)
    assert {s.value for s in data.synonyms} == {"water_delivery", "taxi"}
    assert data.lookups[0].name == "service_item"
    assert data.regexes[0].patterns == (r"1[3-9]\d{9}",)
    synonyms = data.synonym_map()
    assert synonyms["cab"] == "taxi"
    assert synonyms["叫个出租车"] == "taxi"  # from an annotated span whose value differs from its text


def test_content_hash_changes_with_the_data(tmp_path: Path) -> None:
    source = MINI_DATA / "nlu" / "intents.yml"
    copy = tmp_path / "intents.yml"
    copy.write_bytes(source.read_bytes())
    first = load_training_data(copy).content_hash
    assert load_training_data(copy).content_hash == first
    copy.write_text(source.read_text(encoding="utf-8") + "    - 早上好\n", encoding="utf-8")
    changed = load_training_data(copy)
    assert changed.content_hash != first
    assert changed.examples[-1].text == "早上好"
