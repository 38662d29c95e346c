"""Reply model: conversion from Rasa and per-channel rendering (pure functions)."""

from __future__ import annotations

import pytest

from connectors.replies import Button, Reply, from_rasa, render
from connectors.textsplit import measure, split_text


def test_from_rasa_button_conventions() -> None:
    [reply] = from_rasa(
        [
            {
                "recipient_id": "web:u1",
                "text": "Chọn:",
                "buttons": [
                    {"title": "Lệ phí", "payload": "/ask_fee"},
                    {"title": "Có", "payload": "có"},
                    {"title": "Cổng DVC", "payload": "https://dichvucong.gov.vn"},
                    {"title": "Trang", "payload": "HTTP://example.vn/a"},
                    {"title": "Gọi", "payload": "tel:0236.1022"},
                    {"title": "Gọi quốc tế", "payload": "tel:+84 236 1022"},
                    {"title": "Link", "url": "https://gopy.danang.gov.vn", "type": "web_url"},
                    {"title": "Xấu", "url": "javascript:alert(1)"},
                    {"title": "Rỗng"},
                    {"payload": "/greet"},
                    "not a button",
                ],
            }
        ]
    )
    assert reply.text == "Chọn:"
    assert reply.buttons == [
        Button("Lệ phí", payload="/ask_fee"),
        Button("Có", payload="có"),
        Button("Cổng DVC", url="https://dichvucong.gov.vn"),
        Button("Trang", url="HTTP://example.vn/a"),
        Button("Gọi", phone="02361022"),
        Button("Gọi quốc tế", phone="+842361022"),
        Button("Link", url="https://gopy.danang.gov.vn"),
        Button("/greet", payload="/greet"),
    ]


def test_from_rasa_images_custom_and_junk() -> None:
    replies = from_rasa(
        [
            {"image": "https://example.vn/qr.png"},
            {"image": "data:image/png;base64,AAAA"},
            {"image": "javascript:alert(1)"},
            {
                "custom": {
                    "text": "Quét mã QR",
                    "image": "data:image/svg+xml;base64,PHN2Zz4=",
                    "buttons": [{"title": "Mở", "payload": "https://khaosat.vn"}],
                }
            },
            {"custom": {"foo": "bar"}},
            {"text": "   "},
            {"text": "Thu\u0309 tu\u0323c"},
            "junk",
            None,
        ]
    )
    assert [r.to_dict() for r in replies] == [
        {"image": "https://example.vn/qr.png"},
        {"image": "data:image/png;base64,AAAA"},
        {
            "text": "Quét mã QR",
            "buttons": [{"title": "Mở", "url": "https://khaosat.vn"}],
            "image": "data:image/svg+xml;base64,PHN2Zz4=",
        },
        {"text": "Thủ tục"},
    ]


def test_web_rendering_changes_nothing() -> None:
    long = Reply(text="x " * 10_000, buttons=[Button(f"B{i}", payload=str(i)) for i in range(9)])
    assert render([long], "web") == [long]


def test_unknown_channel_is_refused() -> None:
    with pytest.raises(KeyError):
        render([Reply(text="a")], "facebook")


def paragraphs(count: int, words: int) -> list[str]:
    return [f"Đoạn {i}. " + " ".join(["chữ"] * words) for i in range(count)]


def test_telegram_splits_on_paragraphs_under_4096() -> None:
    parts = paragraphs(6, 373)  # 1,499 characters each: two fit in a message, three do not
    text = "\n\n".join(parts)
    buttons = [Button("Lệ phí", payload="/ask_fee")]
    out = render([Reply(text=text, buttons=buttons)], "telegram")
    assert [r.text for r in out] == [
        f"{parts[0]}\n\n{parts[1]}",
        f"{parts[2]}\n\n{parts[3]}",
        f"{parts[4]}\n\n{parts[5]}",
    ]
    assert all(measure(r.text or "") < 4096 for r in out)
    assert [r.buttons for r in out] == [[], [], buttons]  # buttons stay with the last part


def test_zalo_splits_long_paragraph_on_sentences() -> None:
    sentence = "Người dân nộp hồ sơ tại Trung tâm Phục vụ hành chính công. "
    text = sentence * 80  # one paragraph of ~4700 characters
    out = render([Reply(text=text)], "zalo")
    assert len(out) == 3
    for reply in out:
        assert reply.text is not None and len(reply.text) < 2000
        assert reply.text.startswith("Người dân") and reply.text.endswith("công.")
    assert " ".join(r.text or "" for r in out) == text.strip()


def test_split_text_falls_back_to_words_then_characters() -> None:
    assert split_text("một hai ba bốn", 7) == ["một hai", "ba bốn"]
    assert split_text("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert split_text("  ", 10) == []
    assert split_text("ngắn", 10) == ["ngắn"]


def test_split_text_counts_emoji_as_two_units() -> None:
    chunks = split_text("😀" * 5, 4)
    assert chunks == ["😀😀", "😀😀", "😀"]


def test_zalo_degrades_extra_buttons_to_numbered_lines() -> None:
    buttons = [Button(f"Thủ tục {i}", payload=f"/p{i}") for i in range(1, 6)] + [
        Button("Cổng DVC", url="https://dichvucong.gov.vn"),
        Button("Gọi 1022", phone="1022"),
        Button("Tổng đài", phone="02361022"),
    ]
    [reply] = render([Reply(text="Chọn:", buttons=buttons)], "zalo")
    assert reply.buttons == buttons[:5]
    assert reply.text == (
        "Chọn:\n\nLựa chọn khác:\n1. Cổng DVC: https://dichvucong.gov.vn\n2. Gọi 1022\n3. Tổng đài: 02361022"
    )


def test_zalo_keeps_five_buttons_exactly() -> None:
    buttons = [Button(f"B{i}", payload=f"/p{i}") for i in range(5)]
    assert render([Reply(text="Chọn:", buttons=buttons)], "zalo") == [Reply(text="Chọn:", buttons=buttons)]


def test_telegram_keeps_image_with_short_caption_and_separates_long_one() -> None:
    short = render([Reply(text="Quét mã QR để khảo sát", image="https://x.vn/qr.png")], "telegram")
    assert short == [Reply(text="Quét mã QR để khảo sát", image="https://x.vn/qr.png")]
    long = render([Reply(text="chữ " * 400, image="https://x.vn/qr.png")], "telegram")
    assert long[0] == Reply(image="https://x.vn/qr.png")
    assert long[1].image is None and long[1].text == ("chữ " * 400).strip()


def test_image_only_and_buttons_only_replies_survive() -> None:
    only_image = Reply(image="data:image/png;base64,AAAA")
    only_buttons = Reply(buttons=[Button("Có", payload="/affirm")])
    for channel in ("web", "telegram", "zalo"):
        assert render([only_image, only_buttons], channel) == [only_image, only_buttons]


def test_reply_dict_has_only_used_keys() -> None:
    assert Reply(text="a").to_dict() == {"text": "a"}
    assert Reply(buttons=[Button("Gọi", phone="1022")]).to_dict() == {"buttons": [{"title": "Gọi", "phone": "1022"}]}


def test_messaging_apps_get_consecutive_text_replies_as_one_message() -> None:
    answer = Reply(text="Hồ sơ gồm tờ khai và giấy chứng sinh.")
    footer = Reply(text="Nguồn: dichvucong.gov.vn")
    rating = Reply(text="Câu trả lời có hữu ích không?", buttons=[Button("Có", payload="/rate_up")])
    for channel in ("telegram", "zalo", "zalo-bot"):
        rendered = render([answer, footer, rating], channel)
        assert len(rendered) == 1, channel
        assert rendered[0].text.startswith(answer.text)
        assert footer.text in rendered[0].text and rating.text in rendered[0].text
    assert render([answer, footer, rating], "telegram")[0].buttons == rating.buttons
    # The web page keeps one bubble per reply.
    assert len(render([answer, footer, rating], "web")) == 3


def test_replies_are_not_joined_past_the_limit_or_across_images_and_buttons() -> None:
    long = Reply(text="x" * 1500)
    assert len(render([long, long], "zalo")) == 2  # 3002 > 1999
    assert len(render([long, long], "telegram")) == 1  # fits 4095
    qr = Reply(text="Quét mã", image="data:image/png;base64,AAAA")
    assert len(render([Reply(text="Khảo sát:"), qr], "telegram")) == 2
    asked = Reply(text="Bạn hỏi thủ tục nào?", buttons=[Button("Khai sinh", payload="/x")])
    assert len(render([asked, Reply(text="Hoặc gọi 1022")], "telegram")) == 2
