"""Languages: tags, detection, sentences and how long speech takes (pure)."""

from __future__ import annotations

import pytest
from vp_contracts.language import (
    check_tag,
    detect,
    display_width,
    expected_seconds,
    primary,
    sentences,
)

FOX_KO = "작은 여우가 안개 낀 숲에서 오래된 등불을 찾습니다. 등불이 밝게 빛나기 시작합니다. ..."


@pytest.mark.parametrize(
    ("texts", "language"),
    [
        (("여우와 등불", FOX_KO), "ko"),
        (("사막의 로봇", "A robot 로봇이 desert에서 걷습니다"), "ko"),  # English words mixed in
        (("狐とランタン", "小さな狐が古いランタンを見つけます。"), "ja"),
        (("狐狸和灯笼", "一只小狐狸在雾蒙蒙的森林里找到了一盏旧灯笼。"), "zh"),
        (("The fox and the lantern", "A small fox finds an old lantern."), "en"),
        (("El zorro", "Un zorro pequeño encuentra una linterna en el bosque."), "es"),
        (("Le renard", "Un petit renard trouve une lanterne dans la forêt."), "fr"),
        (("Lisa", "Con cáo nhỏ tìm thấy một chiếc đèn lồng cũ trong rừng sương mù."), "vi"),
        (("", ""), "en"),
    ],
)
def test_the_language_of_a_story_is_read_from_its_script_and_words(
    texts: tuple[str, str], language: str
) -> None:
    assert detect(*texts) == language


def test_sentences_end_at_western_and_cjk_punctuation() -> None:
    assert sentences(FOX_KO) == [
        "작은 여우가 안개 낀 숲에서 오래된 등불을 찾습니다.",
        "등불이 밝게 빛나기 시작합니다.",
    ]
    assert sentences("狐が光を見つけた。光が強くなる！「すごい」と言った。") == [
        "狐が光を見つけた。",
        "光が強くなる！",
        "「すごい」と言った。",
    ]
    assert sentences('It costs 3.5 coins. "Wow!" she said.\nThen home') == [
        "It costs 3.5 coins.",
        '"Wow!"',
        "she said.",
        "Then home",
    ]


def test_tags_are_checked_and_put_in_canonical_case() -> None:
    assert check_tag("EN-us") == "en-US" and check_tag("zh-hant") == "zh-Hant"
    assert primary("ko-KR") == "ko" and primary(None) == "en"
    with pytest.raises(ValueError, match="BCP 47"):
        check_tag("korean language")


def test_speech_takes_as_long_as_the_text_needs_in_each_language() -> None:
    assert 3 <= expected_seconds(sentences(FOX_KO)[0], "ko") <= 5
    assert 1.5 <= expected_seconds("A small fox finds an old lantern.", "en") <= 3.5
    mixed = expected_seconds("로봇이 desert에서 걷습니다", "ko")
    assert mixed > expected_seconds("로봇이 에서 걷습니다", "ko")


def test_wide_letters_take_twice_the_room_of_latin_ones() -> None:
    assert display_width("여우") == 2.0
    assert display_width("fox!") < 3
