"""What a message plainly says (tthc.citizen_words): a second aspect asked at once."""

from __future__ import annotations

import pytest

from tthc.citizen_words import other_aspect, says_small_talk_or_a_service


@pytest.mark.parametrize(
    ("intent", "text", "other"),
    [
        ("ask_documents", "lam cccd can giay to gi, nop o dau", "ask_where"),
        ("ask_where", "làm căn cước cần giấy tờ gì, nộp ở đâu", "ask_documents"),
        ("ask_documents", "cần giấy xác nhận độc thân để cưới vợ, xin ở đâu", "ask_where"),
        ("ask_fee", "lam ho chieu bao lau, le phi bao nhieu", "ask_processing_time"),
        ("ask_documents", "đăng ký kết hôn online được không", "ask_online"),
        # one aspect only, or the classifier's own
        ("ask_documents", "làm giấy khai sinh cần những gì", None),
        ("ask_where", "đăng ký tạm trú ở đâu", None),
        # "mất bao nhiêu" may be days or money; "mặt tiền" is no fee; a button's payload says nothing
        ("ask_documents", "đổi bằng lái mất bao nhiêu", None),
        ("ask_documents", "nhà mặt tiền cần giấy tờ gì", None),
        ("ask_documents", "ve lam dau nha chong, nhap ho khau can giay to gi", None),
        ("ask_documents", '/ask_documents{"procedure":"khai-sinh"}', None),
        # several others: the buttons offer them; no aspect intent: nothing added
        ("ask_documents", "cần giấy tờ gì, lệ phí bao nhiêu, mất mấy ngày", None),
        ("ask_procedure", "làm khai sinh ở đâu", None),
    ],
)
def test_a_second_aspect_is_added_only_when_the_message_plainly_asks_it(intent: str, text: str, other) -> None:
    assert other_aspect(intent, text) == other


@pytest.mark.parametrize(
    ("text", "small_talk"),
    [
        ("vâng", True),
        ("vang", True),
        ("dạ cho em hỏi", True),
        ("da vang cam on", True),
        ("bot ơi", True),
        ("ừ", True),
        # the same syllables with other accents are words of a question about a procedure
        ("đi xa khai báo tạm vắng", False),
        ("đã nộp hồ sơ đất", False),
        ("giấy phép mua bán vàng miếng", False),
        ("sữa bột cho trẻ em kê khai giá", False),
    ],
)
def test_a_short_cue_typed_with_other_accents_is_no_small_talk(text: str, small_talk: bool) -> None:
    assert says_small_talk_or_a_service(text) is small_talk
