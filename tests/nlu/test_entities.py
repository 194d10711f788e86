from __future__ import annotations

import pytest

from dialogs.nlu.builtin import BuiltinNlu
from dialogs.nlu.entities import build_gazetteer, extract_phones, extract_rooms
from dialogs.nlu.normalize import normalise
from dialogs.nlu.timeparse import TimeExtractor
from tests.nlu.conftest import NOW


@pytest.mark.parametrize(
    ("text", "room"),
    [
        ("3栋2单元502厨房漏水", "3栋2单元502"),
        ("我住B座1203", "B座1203"),
        ("12-3-401的灯坏了", "12-3-401"),
        ("7幢602室门锁坏了", "7幢602室"),
        ("5号楼1单元301 电话13812345678", "5号楼1单元301"),
        ("3栋 2单元 502 漏水", "3栋2单元502"),
        ("room 502 toilet is blocked", "room502"),
    ],
)
def test_rooms_as_written_without_whitespace(text: str, room: str) -> None:
    assert [e.value for e in extract_rooms(text)] == [room]


def test_no_room_in_plain_text_or_phone() -> None:
    assert extract_rooms("厨房漏水了 快来") == []
    assert extract_rooms("电话 138-1234-5678") == []


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("电话13812345678", "13812345678"),
        ("call +86 138 1234 5678", "13812345678"),
        ("手机号 139-0011-2233", "13900112233"),
        ("座机 010-62345678", "01062345678"),
    ],
)
def test_phones_are_validated_and_normalised(text: str, digits: str) -> None:
    found = extract_phones(text)
    assert [e.value for e in found] == [digits]
    assert text[found[0].start : found[0].end].replace(" ", "").replace("-", "").endswith(digits[-8:])


def test_invalid_phone_like_numbers_are_not_phones() -> None:
    assert extract_phones("订单号 12345678901") == []  # no Chinese mobile starts with 12


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("明天下午三点来修", "2024-05-07T15:00:00"),
        ("明天上午可以吗", "2024-05-07T09:00:00"),
        ("后天晚上在家", "2024-05-08T19:00:00"),
        ("周五上午10点半", "2024-05-10T10:30:00"),
        ("今天下午3点", "2024-05-06T15:00:00"),
        ("can someone come tomorrow at 3pm", "2024-05-07T15:00:00"),
        ("next monday morning works", "2024-05-13T09:00:00"),
        ("tonight at 7", "2024-05-06T19:00:00"),
    ],
)
def test_datetimes_relative_to_now(text: str, value: str) -> None:
    found = TimeExtractor().extract(text, now=NOW)
    assert [e.value for e in found][:1] == [value]
    assert text[found[0].start : found[0].end]


def test_no_time_cue_means_no_parser_call() -> None:
    extractor = TimeExtractor()
    assert extractor.extract("厨房漏水了", now=NOW) == []
    assert extractor.extract("the sink is blocked", now=NOW) == []
    assert extractor._jionlp is None
    assert extractor._search_dates is None


def test_gazetteer_longest_match_gives_canonical_key(mini_nlu: BuiltinNlu) -> None:
    entities = mini_nlu.parse("帮我叫个出租车去机场，再送桶水", now=NOW).entities
    items = [
        (e.value, "帮我叫个出租车去机场，再送桶水"[e.start : e.end])
        for e in entities
        if e.entity == "service_item"
    ]
    assert items == [("taxi", "叫个出租车"), ("water_delivery", "送水")] or items == [
        ("taxi", "叫个出租车"),
        ("water_delivery", "桶水"),
    ]
    english = mini_nlu.parse("I need a cab, not a cabinet", now=NOW).entities
    assert [(e.entity, e.value, e.start) for e in english] == [("service_item", "taxi", 9)]


def test_parse_collects_all_entities_in_text_order(mini_nlu: BuiltinNlu) -> None:
    result = mini_nlu.parse("5号楼1单元301客厅的灯坏了，明天上午来，电话13812345678", now=NOW)
    assert [(e.entity, e.value) for e in result.entities] == [
        ("room", "5号楼1单元301"),
        ("repair_category", "lighting"),
        ("datetime", "2024-05-07T09:00:00"),
        ("phone", "13812345678"),
    ]


def test_normaliser_masks_numbers_and_folds_width() -> None:
    assert normalise("３栋２单元５０２ 漏水") == normalise("7幢602室 漏水")
    assert normalise("电话 13812345678") == normalise("电话 139-0011-2233")
    assert normalise("HELLO  World") == "hello world"


def test_the_gazetteer_trie_prefers_the_longest_surface_and_respects_latin_word_edges() -> None:
    gazetteer = build_gazetteer(
        "service_item",
        {
            "开锁": "lock",
            "开锁换芯": "lock_core",
            "ac": "aircon",
            "ac repair": "aircon_repair",
            "cab": "taxi",
        },
    )

    def found(text: str) -> list[tuple[str, int, int]]:
        return [(e.value, e.start, e.end) for e in gazetteer.extract(text)]

    assert found("帮我开锁换芯") == [("lock_core", 2, 6)]  # the longer surface wins at one start
    assert found("开锁换") == [("lock", 0, 2)]  # a longer surface begun but not finished falls back
    assert found("AC Repair please") == [("aircon_repair", 0, 9)]  # any case
    assert found("the ac is broken") == [("aircon", 4, 6)]
    assert found("a cabinet, a vacuum, tac") == []  # not inside longer Latin words
    assert found("cab开锁") == [("taxi", 0, 3), ("lock", 3, 5)]  # CJK next to Latin is a word edge
    assert build_gazetteer("service_item", {}).extract("开锁") == []
