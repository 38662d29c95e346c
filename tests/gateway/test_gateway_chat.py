"""POST /api/chat end to end: the real gateway (uvicorn) against a real fake Rasa server."""

from __future__ import annotations

import unicodedata
from typing import Any

from conftest import TEST_HOTLINE_NAME, TEST_LOCALITY, Gateway, MakeGateway, Served
from gateway_fakes import ScriptedTurn

from connectors import messages

QR = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQ"
    "DwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
HOTLINE_REPLY = {
    "text": messages.BOT_UNAVAILABLE.format(name=TEST_HOTLINE_NAME, number="0236.1022"),
    "buttons": [{"title": "Gọi 0236.1022", "phone": "02361022"}],
}


def hotline_body(
    intent: str | None = None, procedure: str | None = None, codes: list[str] | None = None
) -> dict[str, Any]:
    return {"replies": [HOTLINE_REPLY], "intent": intent, "procedure": procedure, "codes": codes or []}


def test_reply_with_buttons_and_image(gateway: Gateway, rasa: Served) -> None:
    rasa.fake.script["lam khai sinh can gi"] = ScriptedTurn(
        replies=[
            {
                "text": "Hồ sơ đăng ký khai sinh gồm: tờ khai, giấy chứng sinh.",
                "buttons": [
                    {"title": "Lệ phí", "payload": "/ask_fee"},
                    {"title": "Trang thủ tục", "payload": "https://dichvucong.gov.vn/p/1.001193"},
                    {"title": "Gọi tổng đài", "payload": "tel:0236.1022"},
                ],
            },
            {"image": QR},
        ],
        intent="ask_documents",
        procedure="khai-sinh",
    )
    response = gateway.chat("lam khai sinh can gi", sender_id="abc")
    assert response.status_code == 200
    assert response.json() == {
        "replies": [
            {
                "text": "Hồ sơ đăng ký khai sinh gồm: tờ khai, giấy chứng sinh.",
                "buttons": [
                    {"title": "Lệ phí", "payload": "/ask_fee"},
                    {"title": "Trang thủ tục", "url": "https://dichvucong.gov.vn/p/1.001193"},
                    {"title": "Gọi tổng đài", "phone": "02361022"},
                ],
            },
            {"image": QR},
        ],
        "intent": "ask_documents",
        "procedure": "khai-sinh",
        "codes": [],  # no turn summary named its codes (see test_every_answer_carries_codes)
    }
    assert rasa.fake.received == [
        {
            "sender": "api:abc",
            "message": "lam khai sinh can gi",
            "metadata": {"channel": "web", "locality": TEST_LOCALITY},
        }
    ]
    assert rasa.fake.tracker_requests == [("api:abc", {"include_events": "NONE"})]


def test_follow_up_reports_the_procedure_carried_over(gateway: Gateway, rasa: Served) -> None:
    rasa.fake.script["làm khai sinh cần gì"] = ScriptedTurn([{"text": "Cần tờ khai."}], "ask_documents", "khai-sinh")
    rasa.fake.script["thế lệ phí bao nhiêu"] = ScriptedTurn([{"text": "Miễn lệ phí."}], "ask_fee")
    first = gateway.chat("làm khai sinh cần gì").json()
    second = gateway.chat("thế lệ phí bao nhiêu").json()
    assert (first["intent"], first["procedure"]) == ("ask_documents", "khai-sinh")
    assert (second["intent"], second["procedure"]) == ("ask_fee", "khai-sinh")
    assert second["replies"] == [{"text": "Miễn lệ phí."}]
    # Another sender has no procedure yet.
    other = gateway.chat("thế lệ phí bao nhiêu", sender_id="u2").json()
    assert (other["intent"], other["procedure"]) == ("ask_fee", None)


def summary_turn(text: str, intent: str, procedure: str | None, codes: list[str]) -> ScriptedTurn:
    """What the action server answers: the reply, then its turn summary (actions/turn.py)."""
    summary = {"intent": intent, "confidence": 0.9, "procedure": procedure, "outcome": "answered", "codes": codes}
    return ScriptedTurn([{"text": text}, {"custom": {"trolyao_turn": summary}}], intent, procedure)


def test_every_answer_carries_codes(gateway: Gateway, rasa: Served) -> None:
    """CONTRACT.md section 6: `codes`, the official codes of the answer's procedure."""
    script = rasa.fake.script
    script["lệ phí khai sinh"] = summary_turn("Miễn lệ phí.", "ask_fee", "khai-sinh", ["1.001193"])
    script["mất sổ đỏ làm lại"] = summary_turn("Hồ sơ gồm...", "ask_documents", "1.013978", ["1.013978"])
    script["cảm ơn"] = ScriptedTurn([{"text": "Không có gì ạ."}], "thank")
    script["chào"] = ScriptedTurn([{"text": "Xin chào!"}], "greet", None)

    first = gateway.chat("lệ phí khai sinh", sender_id="codes-1").json()
    assert (first["procedure"], first["codes"]) == ("khai-sinh", ["1.001193"])
    assert first["replies"] == [{"text": "Miễn lệ phí."}]
    # A template answer has no summary: the codes of the carried-over procedure are those the
    # action server last gave for it, not read from content by the gateway.
    thanks = gateway.chat("cảm ơn", sender_id="codes-1").json()
    assert (thanks["intent"], thanks["procedure"], thanks["codes"]) == ("thank", "khai-sinh", ["1.001193"])
    # A rating never reaches Rasa and reports the same procedure and codes.
    rating = gateway.chat("#rating:up", sender_id="codes-1").json()
    assert (rating["procedure"], rating["codes"]) == ("khai-sinh", ["1.001193"])
    # A catalogue procedure without a slug is named by its official code.
    catalogue = gateway.chat("mất sổ đỏ làm lại", sender_id="codes-2").json()
    assert (catalogue["procedure"], catalogue["codes"]) == ("1.013978", ["1.013978"])
    # No procedure: an empty list, never a missing key.
    hello = gateway.chat("chào", sender_id="codes-3").json()
    assert (hello["procedure"], hello["codes"]) == (None, [])
    assert gateway.chat("", sender_id="codes-3").json()["codes"] == []


def test_a_procedure_no_summary_named_gets_the_codes_its_id_says(gateway: Gateway, rasa: Served) -> None:
    rasa.fake.script["tạm vắng"] = ScriptedTurn([{"text": "Báo tạm vắng..."}], "ask_procedure", "1.003677")
    rasa.fake.script["khai sinh"] = ScriptedTurn([{"text": "Khai sinh..."}], "ask_procedure", "khai-sinh")
    assert gateway.chat("tạm vắng", sender_id="ids-1").json()["codes"] == ["1.003677"]
    assert gateway.chat("khai sinh", sender_id="ids-2").json()["codes"] == []


def test_api_senders_cannot_reach_channel_conversations(gateway: Gateway, rasa: Served) -> None:
    # `channel` only picks the rendering: /api/chat ids never collide with Telegram/Zalo users.
    gateway.chat("xin chào", sender_id="42", channel="telegram")
    gateway.chat("xin chào", sender_id="42", channel="zalo")
    gateway.chat("xin chào", sender_id="a/b c%", channel="web")
    senders = [body["sender"] for body in rasa.fake.received]
    assert senders[:2] == ["api:42", "api:42"]
    assert senders[2].startswith("api:h") and "/" not in senders[2] and "%" not in senders[2]
    assert [body["metadata"]["channel"] for body in rasa.fake.received] == ["telegram", "zalo", "web"]


def test_empty_text_prompts_without_calling_rasa(gateway: Gateway, rasa: Served) -> None:
    for text in ["", "   \n\t  ", "\u200b"]:
        response = gateway.chat(text)
        assert response.status_code == 200
        assert response.json() == {
            "replies": [{"text": messages.EMPTY_TEXT}],
            "intent": None,
            "procedure": None,
            "codes": [],
        }
    assert rasa.fake.received == []


def test_ten_thousand_characters_are_capped_outside_the_web_page(gateway: Gateway, rasa: Served) -> None:
    text = ("thủ tục đăng ký khai sinh cho con " * 400)[:10_000]
    response = gateway.chat(text, channel="telegram")
    assert response.status_code == 200
    assert response.json()["replies"][0]["text"].startswith("Bạn hỏi: thủ tục")
    sent = rasa.fake.received[0]["message"]
    assert 1900 <= len(sent) <= 2000
    assert text.startswith(sent)
    assert not sent.endswith(" ")


def test_ten_thousand_characters_without_spaces(gateway: Gateway, rasa: Served) -> None:
    response = gateway.chat("a" * 10_000, channel="zalo")
    assert response.status_code == 200
    assert rasa.fake.received[0]["message"] == "a" * 2000


def test_web_text_over_the_limit_is_refused_with_the_limit_said(gateway: Gateway, rasa: Served) -> None:
    """Issue 13: the page's text is never cut silently; over the limit, nothing reaches Rasa and
    the answer says the length and the limit (the page says the same before sending)."""
    response = gateway.chat("x" * 5000)
    assert response.status_code == 200  # an answer like any other, for clients replaying tests
    body = response.json()
    sentence = messages.TEXT_TOO_LONG.format(length="5.000", limit="2.000")
    assert body["replies"] == [{"text": sentence}] and body["error"] == sentence
    assert (body["intent"], body["procedure"], body["codes"], body["max_chars"]) == (None, None, [], 2000)
    assert "2.000 ký tự" in sentence and unicodedata.is_normalized("NFC", sentence)
    # At the limit (counted after NFC, without outer spaces) it is answered as usual.
    decomposed = unicodedata.normalize("NFD", "ệ") * 2000  # 4000 code points before NFC
    assert gateway.chat(f"  {decomposed}  ").status_code == 200
    assert gateway.chat("y" * 2001).json()["error"] == messages.TEXT_TOO_LONG.format(length="2.001", limit="2.000")
    assert rasa.fake.texts() == [unicodedata.normalize("NFC", decomposed)]


def test_emoji_only_is_forwarded(gateway: Gateway, rasa: Served) -> None:
    rasa.fake.script["👍🙏"] = ScriptedTurn([{"text": "Cảm ơn bạn!"}], "thank")
    response = gateway.chat("  👍🙏 ")
    assert response.json() == {
        "replies": [{"text": "Cảm ơn bạn!"}],
        "intent": "thank",
        "procedure": None,
        "codes": [],
    }
    assert rasa.fake.received[0]["message"] == "👍🙏"


def test_text_is_normalized_to_nfc(gateway: Gateway, rasa: Served) -> None:
    decomposed = unicodedata.normalize("NFD", "Thủ tục kết hôn")
    assert decomposed != "Thủ tục kết hôn"
    gateway.chat(decomposed)
    assert rasa.fake.received[0]["message"] == "Thủ tục kết hôn"


def test_lone_surrogate_does_not_crash(gateway: Gateway, rasa: Served) -> None:
    raw = b'{"sender_id": "u1", "text": "xin ch\\u00e0o \\ud83d", "channel": "web"}'
    response = gateway.client.post("/api/chat", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert rasa.fake.received[0]["message"] == "xin chào"


def test_rasa_down_answers_the_hotline(gateway: Gateway, rasa: Served) -> None:
    rasa.stop()
    response = gateway.chat("lệ phí khai sinh")
    assert response.status_code == 200
    assert response.json() == hotline_body()


def test_rasa_empty_answer_gives_the_hotline(gateway: Gateway, rasa: Served) -> None:
    rasa.fake.script["lệ phí khai sinh"] = ScriptedTurn([], "ask_fee", "khai-sinh")
    response = gateway.chat("lệ phí khai sinh")
    assert response.status_code == 200
    assert response.json() == hotline_body("ask_fee", "khai-sinh")


def test_rasa_loading_503_gives_the_hotline(gateway: Gateway, rasa: Served) -> None:
    rasa.fake.rest_status = 503
    response = gateway.chat("lệ phí khai sinh")
    assert response.status_code == 200
    assert response.json() == hotline_body()


def test_rasa_timeout_gives_the_hotline(make_gateway: MakeGateway, rasa: Served) -> None:
    gateway = make_gateway(rasa.url, rasa_timeout_s=0.5)
    gate = rasa.fake.hold("lệ phí khai sinh")  # Rasa gets the message and never answers it
    response = gateway.chat("lệ phí khai sinh")
    # An answer while Rasa still holds the message: the gateway's timeout gave it, whatever the load.
    assert not gate.is_set() and rasa.fake.texts() == ["lệ phí khai sinh"]
    assert response.status_code == 200
    assert response.json() == hotline_body()


def test_tracker_failure_keeps_the_replies(gateway: Gateway, rasa: Served) -> None:
    rasa.fake.tracker_status = 500
    response = gateway.chat("xin chào")
    assert response.status_code == 200
    assert response.json() == {
        "replies": [{"text": "Bạn hỏi: xin chào"}],
        "intent": None,
        "procedure": None,
        "codes": [],
    }


def test_unexpected_error_still_answers_200_in_vietnamese(gateway: Gateway) -> None:
    class Broken:
        async def send(self, *args: Any) -> None:
            raise RuntimeError("boom")

    gateway.app.state.rasa = Broken()
    response = gateway.chat("xin chào")
    assert response.status_code == 200
    assert response.json() == hotline_body()
    assert "Traceback" not in response.text and "boom" not in response.text


def test_unknown_channel_is_422_in_vietnamese(gateway: Gateway, rasa: Served) -> None:
    response = gateway.chat("xin chào", channel="facebook")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == messages.INVALID_REQUEST
    assert body["details"] == [{"field": "channel", "message": messages.UNKNOWN_CHANNEL}]
    assert rasa.fake.received == []


def test_invalid_bodies_are_422_in_vietnamese(gateway: Gateway) -> None:
    bad_json = gateway.client.post("/api/chat", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 422
    assert bad_json.json()["details"][0]["message"] == messages.INVALID_JSON
    missing = gateway.client.post("/api/chat", json={"text": "xin chào"})
    assert missing.status_code == 422
    assert missing.json()["details"] == [
        {"field": "sender_id", "message": messages.FIELD_MISSING.format(field="sender_id")}
    ]


def test_unknown_route_is_404_in_vietnamese(gateway: Gateway) -> None:
    response = gateway.client.get("/khong-co")
    assert response.status_code == 404
    assert response.json() == {"error": messages.NOT_FOUND}


def test_telegram_rendering_moves_phone_buttons_into_text(gateway: Gateway, rasa: Served) -> None:
    rasa.fake.script["số tổng đài"] = ScriptedTurn(
        [
            {
                "text": "Bạn có thể gọi tổng đài.",
                "buttons": [
                    {"title": "Gọi 0236.1022", "payload": "tel:0236.1022"},
                    {"title": "Khảo sát", "payload": "https://khaosathailong.danang.gov.vn"},
                ],
            }
        ],
        "ask_hotline",
    )
    body = gateway.chat("số tổng đài", channel="telegram").json()
    assert body["replies"] == [
        {
            "text": "Bạn có thể gọi tổng đài.\n\nLựa chọn khác:\nGọi 0236.1022",
            "buttons": [{"title": "Khảo sát", "url": "https://khaosathailong.danang.gov.vn"}],
        }
    ]


def test_zalo_rendering_keeps_five_buttons(gateway: Gateway, rasa: Served) -> None:
    buttons = [{"title": f"Thủ tục {i}", "payload": f"/ask_procedure{i}"} for i in range(1, 8)]
    rasa.fake.script["thủ tục"] = ScriptedTurn([{"text": "Chọn thủ tục:", "buttons": buttons}], "ask_procedure")
    body = gateway.chat("thủ tục", channel="zalo").json()
    [reply] = body["replies"]
    assert [b["title"] for b in reply["buttons"]] == [f"Thủ tục {i}" for i in range(1, 6)]
    assert reply["text"] == "Chọn thủ tục:\n\nLựa chọn khác:\n1. Thủ tục 6\n2. Thủ tục 7"
