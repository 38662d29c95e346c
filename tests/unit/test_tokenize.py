"""The tokenizer keeps exact offsets into the text as typed, whatever normalization does."""

from __future__ import annotations

import time

import pytest

from tthc.text.tokenize import MAX_TOKENS, keys, tokenize

SAMPLES = [
    "Làm giấy khai sinh cần những gì?",
    "lam cccd can gi ad",
    "đkkh có mất tiền k",
    "gks mất thì làm lại ntn vậy ạaaa",
    "Đa\u0306ng ky\u0301 ta\u0323m tru\u0301",  # decomposed accents: offsets must still hold
    "mã hồ sơ 000.00.31.H56-250602-0147",
    "<b>xin chào</b> 😀 hello bot",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_offsets_point_into_the_original_text(text: str) -> None:
    tokens = tokenize(text)
    assert tokens
    for token in tokens:
        assert text[token.start : token.end] == token.text
    starts = [t.start for t in tokens]
    assert starts == sorted(starts)


def test_teencode_expansion_keeps_one_token_per_typed_word() -> None:
    tokens = tokenize("đkkh ntn")
    assert [t.text for t in tokens] == ["đkkh", "ntn"]
    assert [t.key for t in tokens] == ["dang_ky_ket_hon", "nhu_the_nao"]


def test_accented_and_unaccented_share_keys() -> None:
    assert "can_cuoc_cong_dan" in keys("thủ tục cấp CCCD")
    assert "can_cuoc_cong_dan" in keys("thu tuc cap cccd")


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "!!!???", "12345"])
def test_odd_input_has_a_defined_result(text: str) -> None:
    tokens = tokenize(text)
    assert all(text[t.start : t.end] == t.text for t in tokens)


def test_ten_thousand_characters_are_bounded() -> None:
    text = "làm căn cước cần gì " * 500
    started = time.perf_counter()
    tokens = tokenize(text)
    assert len(tokens) <= MAX_TOKENS
    assert time.perf_counter() - started < 5
