"""The three real processes answer real questions through the gateway's /api/chat (issue 2)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from connectors import messages
from tests.e2e.conftest import Client, reply_text

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev-conversations.yml"


def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}"


def test_health_reports_every_part(client: Client) -> None:
    status, body = client.get("/health")
    health = json.loads(body)
    assert status == 200, body
    assert (health["status"], health["rasa"], health["actions"]) == ("ok", "ok", "ok"), health
    assert set(health.get("rasa_processes", ["ok"])) == {"ok"}, health


def test_web_chat_page_is_served(client: Client) -> None:
    status, page = client.get("/")
    assert status == 200 and "Trợ lý ảo" in page and "<script" in page


def test_birth_registration_documents_then_fee(client: Client) -> None:
    who = sender()
    first = client.chat("làm giấy khai sinh cần những gì", who)
    assert (first["intent"], first["procedure"]) == ("ask_documents", "khai-sinh")
    assert "tờ khai" in reply_text(first).lower()
    pages = [b for r in first["replies"] for b in r.get("buttons") or [] if b.get("url")]
    assert any("dichvucong.gov.vn" in b["url"] and b["title"] == "Xem trên Cổng Dịch vụ công" for b in pages)
    second = client.chat("thế lệ phí bao nhiêu", who)
    assert (second["intent"], second["procedure"]) == ("ask_fee", "khai-sinh")
    assert "miễn" in reply_text(second).lower()


def test_unaccented_teencode_question(client: Client) -> None:
    body = client.chat("lam cccd can gi ad", sender())
    assert body["procedure"] == "can-cuoc"
    assert body["intent"] in {"ask_documents", "ask_procedure"}


def test_survey_link_and_qr_image(client: Client) -> None:
    body = client.chat("cho xin link khảo sát", sender(), channel="zalo")
    assert body["intent"] == "ask_survey"
    assert any(r.get("image", "").startswith("data:image/png;base64,") for r in body["replies"])
    assert "khaosathailong.danang.gov.vn" in reply_text(body)


# CONTRACT.md section 2: the one intent every message gets.
CONTRACT_INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "ask_procedure", "ask_documents", "ask_fee",
    "ask_processing_time", "ask_where", "ask_online", "ask_hotline", "ask_working_hours", "ask_survey",
    "give_feedback", "check_dossier_status", "book_appointment", "human_handoff", "out_of_scope",
}  # fmt: skip
# The first sentence of the gateway's own "busy / unavailable" notices (Rasa gave no answer).
BUSY = [notice.split(". ")[0].lower() for notice in (messages.BOT_UNAVAILABLE, messages.BOT_DELAYED)]


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_input_gets_the_prompt_without_asking_rasa(client: Client, text: str) -> None:
    body = client.chat(text, sender())
    assert (body["intent"], body["procedure"]) == (None, None)
    assert reply_text(body) == messages.EMPTY_TEXT


@pytest.mark.parametrize(
    ("text", "junk"),
    [("😀😀😀", True), ("làm căn cước " * 150, False), ("<script>alert(1)</script>", True), ("12345", True)],
    ids=["emoji", "long", "html", "digits"],
)
def test_bad_input_is_understood_by_the_bot_not_answered_by_the_fallback(client: Client, text: str, junk: bool) -> None:
    """The gateway answers 200 with the hotline when Rasa fails, so a reply alone proves nothing:
    the intent must come from Rasa, and the busy notice must be absent."""
    body = client.chat(text, sender())
    said = reply_text(body)
    assert body["replies"] and all(r.get("text") or r.get("image") for r in body["replies"])
    assert body["intent"] in CONTRACT_INTENTS, body
    assert not any(sentence in said.lower() for sentence in BUSY), said
    if junk:  # nothing in it names a procedure: no confident answer about one
        assert body["procedure"] is None, body


def test_officer_edit_is_live_within_five_seconds(client: Client, content_dir: Path) -> None:
    path = content_dir / "procedures" / "khai-sinh.yml"
    original = path.read_text(encoding="utf-8")
    marker = f"Mã kiểm thử {uuid.uuid4().hex[:6]}"
    question = "Ông bà đi làm khai sinh cho cháu được không?"
    edited = original.replace("Được. Nếu cha mẹ không đi được", f"{marker}. Nếu cha mẹ không đi được")
    assert edited != original
    try:
        path.write_text(edited, encoding="utf-8")
        deadline = time.monotonic() + 5
        seen = False
        while time.monotonic() < deadline and not seen:
            seen = marker in reply_text(client.chat(question, sender()))
            time.sleep(0.3)
        assert seen, "the edited FAQ answer did not reach /api/chat within 5 seconds"

        # A broken edit is refused and the last good content keeps answering.
        path.write_text(edited.replace("slug: khai-sinh", "slug: [broken"), encoding="utf-8")
        time.sleep(1.5)
        assert marker in reply_text(client.chat(question, sender()))
    finally:
        path.write_text(original, encoding="utf-8")


@pytest.mark.skipif(not EVAL.exists(), reason="the shared development set is not beside this checkout")
def test_development_conversations_pass(client: Client) -> None:
    from trolyao.evaluation.conversations import replay

    summary, _ = replay(EVAL, client.base_url)
    assert summary["failures"] == []
    assert summary["turns_passed"] == summary["turns"] > 0


def test_web_text_over_the_limit_is_refused_with_the_limit_said(client: Client) -> None:
    body = client.chat("làm căn cước " * 800, sender())
    assert (body["intent"], body["procedure"], body["codes"]) == (None, None, [])
    assert reply_text(body) == messages.TEXT_TOO_LONG.format(length="10.399", limit="2.000")
