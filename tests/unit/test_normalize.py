"""Normalization regressions, in the language citizens type (see issue 4)."""

from __future__ import annotations

import pytest

from tthc.text.normalize import accent_key, normalize_text, normalize_word, strip_accents
from tthc.text.teencode import expand


@pytest.mark.parametrize(
    ("old", "new"),
    [("hoà", "hòa"), ("thuý", "thúy"), ("khoẻ", "khỏe"), ("Hoà", "hòa"), ("hoàn", "hoàn"), ("quý", "quý")],
)
def test_tone_mark_placement_is_canonical(old: str, new: str) -> None:
    assert normalize_word(old) == new


def test_decomposed_input_becomes_nfc() -> None:
    decomposed = "Đa\u0306ng ky\u0301"  # combining breve and acute, as some keyboards send
    assert normalize_text(decomposed) == "đăng ký"


def test_repeated_letters_collapse_but_numbers_stay() -> None:
    assert normalize_word("nhiuuuu") == "nhiu"
    assert normalize_word("alooo") == "alo"
    assert normalize_word("000") == "000"
    # a word without a vowel is an abbreviation: "pccc" (phòng cháy chữa cháy) is not "pc"
    assert normalize_word("pccc") == "pccc" and normalize_word("PCCC") == "pccc"


def test_accent_key() -> None:
    assert strip_accents("Đăng ký khai sinh") == "Dang ky khai sinh"
    assert accent_key("  Làm   CCCD ") == "lam cccd"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("k", "không"),
        ("ko", "không"),
        ("hok", "không"),
        ("dc", "được"),
        ("đc", "được"),
        ("j", "gì"),
        ("ntn", "như thế nào"),
        ("cccd", "căn cước công dân"),
        ("gks", "giấy khai sinh"),
        ("đkkh", "đăng ký kết hôn"),
        ("dkkh", "đăng ký kết hôn"),
        ("hkd", "hộ kinh doanh"),
        ("gplx", "giấy phép lái xe"),
        ("bhyt", "bảo hiểm y tế"),
        ("sđt", "số điện thoại"),
        ("stk", "số tài khoản"),
        ("mst", "mã số thuế"),
        ("ubnd", "ủy ban nhân dân"),
    ],
)
def test_teencode_dictionary(typed: str, meant: str) -> None:
    assert expand(normalize_word(typed)) == meant


def test_short_accented_words_are_not_teencode() -> None:
    # "à" and "ê" are interjections, not "anh"/"em"
    assert expand("à") == "à"
    assert expand("ê") == "ê"
