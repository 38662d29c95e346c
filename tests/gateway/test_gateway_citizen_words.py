"""A citizen's words are never dropped, and a number typed back is never ambiguous (issue 15):
a Telegram update python-telegram-bot cannot parse is read from its JSON; numbered lines on
text-only channels continue across the messages of one answer, so the rating prompt after an
answer's options does not reuse their numbers."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from conftest import Gateway, MakeGateway, Served, telegram_settings, wait_ready, zalo_bot_settings
from gateway_fakes import ScriptedTurn
from test_gateway_telegram import HEADER, text_update
from test_gateway_zalo_bot import HEADER as ZALO_BOT_HEADER
from test_gateway_zalo_bot import update

from connectors import messages
from connectors.channels.telegram import incoming_from_json
from connectors.replies import Button, Reply, render

# A real sticker update from an older Bot API: no is_video and no type, which
# python-telegram-bot 22 requires (it raises TypeError on it).
OLD_STICKER: dict[str, Any] = {
    "update_id": 900,
    "message": {
        "message_id": 31,
        "date": 1718000000,
        "chat": {"id": 777, "first_name": "Lan", "type": "private"},
        "from": {"id": 777, "is_bot": False, "first_name": "Lan", "language_code": "vi"},
        "sticker": {
            "width": 512, "height": 512, "emoji": "👍", "set_name": "HotCherry", "is_animated": False,
            "file_id": "CAACAgIAAxkBAAIBY2ZZ", "file_unique_id": "AgADdQADwDZPEw", "file_size": 21000,
        },
    },
}  # fmt: skip


@pytest.fixture
def tg(make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served) -> Gateway:
    gateway = make_gateway(rasa.url, actions.url, **telegram_settings(telegram_api))
    wait_ready(gateway, "telegram")
    return gateway


def with_old_sticker(update_id: int, **message: Any) -> dict[str, Any]:
    """An update the library cannot parse (its old sticker), carrying ``message`` fields too."""
    body = {**OLD_STICKER, "update_id": update_id}
    body["message"] = {**OLD_STICKER["message"], **message}
    return body


def test_an_update_the_library_cannot_parse_still_gets_its_answer(
    tg: Gateway, rasa: Served, telegram_api: Served
) -> None:
    assert tg.post("/webhooks/telegram", OLD_STICKER, HEADER).json() == {"ok": True}
    [reply] = telegram_api.fake.wait_count(1, "sendMessage")
    assert reply.params == {"chat_id": "777", "text": messages.UNSUPPORTED_STICKER}
    assert rasa.fake.received == []


def test_the_words_of_an_unparseable_update_go_to_rasa(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    tg.post("/webhooks/telegram", with_old_sticker(901, caption="lệ phí khai sinh"), HEADER)
    tg.post("/webhooks/telegram", with_old_sticker(902, text="/start"), HEADER)
    telegram_api.fake.wait_count(2, "sendMessage")
    assert rasa.fake.texts() == ["lệ phí khai sinh", "/greet"]
    assert [b["sender"] for b in rasa.fake.received] == ["tg:777", "tg:777"]


def test_a_payload_without_a_chat_is_acknowledged_and_logged(
    tg: Gateway, rasa: Served, telegram_api: Served, caplog: pytest.LogCaptureFixture
) -> None:
    no_chat = {"update_id": 903, "message": {"message_id": 1, "sticker": {"file_id": "x"}}}
    with caplog.at_level(logging.WARNING, logger="connectors"):
        assert tg.post("/webhooks/telegram", no_chat, HEADER).json() == {"ok": True}
        tg.post("/webhooks/telegram", text_update(904, "sau"), HEADER)  # a marker after it
        telegram_api.fake.wait_count(1, "sendMessage")
    assert rasa.fake.texts() == ["sau"]
    assert any("without a private chat ignored" in r.getMessage() for r in caplog.records)


def test_a_photo_caption_is_the_citizens_question(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    photo = text_update(905, "")
    del photo["message"]["text"]
    photo["message"]["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
    photo["message"]["caption"] = "giấy này nộp ở đâu"
    tg.post("/webhooks/telegram", photo, HEADER)
    telegram_api.fake.wait_count(1, "sendMessage")
    assert rasa.fake.texts() == ["giấy này nộp ở đâu"]


def test_incoming_from_json_reads_chat_text_or_kind() -> None:
    def lookup(short_id: str) -> str | None:
        return {"c:abc": "/ask_fee"}.get(short_id)

    sticker = incoming_from_json(OLD_STICKER, lookup)
    assert sticker is not None and (sticker.user_id, sticker.message_id, sticker.kind) == ("777", "900", "sticker")
    captioned = incoming_from_json(with_old_sticker(1, caption="  hỏi  "), lookup)
    assert captioned is not None and (captioned.kind, captioned.text) == ("text", "  hỏi  ")
    group = with_old_sticker(2, chat={"id": -5, "type": "group"}, text="x")
    assert incoming_from_json(group, lookup) is None
    query = {"update_id": 3, "callback_query": {"id": "q", "data": "c:abc", "message": OLD_STICKER["message"]}}
    button = incoming_from_json(query, lookup)
    assert button is not None and (button.text, button.user_id) == ("/ask_fee", "777")
    query["callback_query"]["data"] = "c:gone"
    expired = incoming_from_json(query, lookup)
    assert expired is not None and expired.kind == "expired"
    assert incoming_from_json({"update_id": 4}, lookup) is None


# --- numbered lines -----------------------------------------------------------------------------

RATING = {"text": "Câu trả lời có hữu ích với bạn không?",
          "buttons": [{"title": "👍 Hữu ích", "payload": "#rating:up"},
                      {"title": "👎 Chưa hữu ích", "payload": "#rating:down"}]}  # fmt: skip
ASPECTS = {"text": "Bạn muốn biết thêm?",
           "buttons": [{"title": "Lệ phí", "payload": "/ask_fee"},
                       {"title": "Thời hạn", "payload": "/ask_processing_time"}]}  # fmt: skip


def test_numbering_continues_across_the_messages_of_one_answer() -> None:
    aspects = Reply(text="Bạn muốn biết thêm?", buttons=[Button("Lệ phí", "/ask_fee"), Button("Thời hạn", "/t")])
    rating = Reply(text="Hữu ích không?", buttons=[Button("👍", "#rating:up"), Button("👎", "#rating:down")])
    first, second = render([aspects, rating], "zalo-bot")
    assert first.text == "Bạn muốn biết thêm?\n\n1. Lệ phí\n2. Thời hạn"
    assert second.text == "Hữu ích không?\n\n3. 👍\n4. 👎"
    assert [o.number for o in first.options + second.options] == [1, 2, 3, 4]
    alone = render([Reply(text="Gọi:", buttons=[Button("Gọi 1022", phone="1022")])], "zalo-bot")
    assert alone[0].text == "Gọi:\n\nGọi 1022" and alone[0].options[0].number is None


@pytest.fixture
def bot(make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_bot_api: Served) -> Gateway:
    gateway = make_gateway(rasa.url, actions.url, **zalo_bot_settings(zalo_bot_api))
    wait_ready(gateway, "zalo-bot")
    return gateway


def test_zalo_bot_a_number_picks_the_answers_option_not_the_rating(
    bot: Gateway, rasa: Served, zalo_bot_api: Served
) -> None:
    rasa.fake.script["khai sinh"] = ScriptedTurn([ASPECTS, RATING], "ask_procedure")
    bot.post("/webhooks/zalo-bot", update("m1", "khai sinh"), ZALO_BOT_HEADER)
    zalo_bot_api.fake.wait_count(2, "sendMessage")
    assert zalo_bot_api.fake.texts() == [
        "Bạn muốn biết thêm?\n\n1. Lệ phí\n2. Thời hạn",
        "Câu trả lời có hữu ích với bạn không?\n\n3. 👍 Hữu ích\n4. 👎 Chưa hữu ích",
    ]
    bot.post("/webhooks/zalo-bot", update("m2", "1"), ZALO_BOT_HEADER)  # the fee, as the issue asks
    zalo_bot_api.fake.wait_count(3, "sendMessage")
    bot.post("/webhooks/zalo-bot", update("m3", "khai sinh"), ZALO_BOT_HEADER)
    zalo_bot_api.fake.wait_count(5, "sendMessage")
    bot.post("/webhooks/zalo-bot", update("m4", "3"), ZALO_BOT_HEADER)  # the rating this time
    zalo_bot_api.fake.wait_count(6, "sendMessage")
    assert rasa.fake.texts() == ["khai sinh", "/ask_fee", "khai sinh"]  # a rating never reaches Rasa
    assert zalo_bot_api.fake.texts()[-1] == messages.RATING_THANKS
