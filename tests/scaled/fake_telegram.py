"""A recording stand-in for the Telegram Bot API (stdlib only: the tests run in the Rasa env).

The gateways call it for getMe, setWebhook and sendMessage/sendPhoto; it records every call.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


class FakeTelegram:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1000)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._answer(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._answer(self.rfile.read(length))

            def _answer(self, body: bytes) -> None:
                path = urlsplit(self.path)
                method = path.path.rsplit("/", 1)[-1]
                params: dict[str, Any] = dict(parse_qsl(path.query))
                ctype = self.headers.get("Content-Type", "")
                if body and ctype.startswith("application/json"):
                    params.update(json.loads(body))
                elif body and ctype.startswith("application/x-www-form-urlencoded"):
                    params.update(parse_qsl(body.decode("utf-8")))
                result = fake.answer(method, params)
                data = json.dumps({"ok": True, "result": result}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        with self._lock:
            self.calls.append((method, params))
        if method == "getMe":
            return {
                "id": 4242,
                "is_bot": True,
                "first_name": "Trợ lý",
                "username": "trolyao_scaled_bot",
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method in ("sendMessage", "sendPhoto"):
            message: dict[str, Any] = {"message_id": next(self._ids), "date": int(time.time()),
                                       "chat": {"id": int(params.get("chat_id") or 0), "type": "private"}}  # fmt: skip
            if method == "sendMessage":
                message["text"] = params.get("text", "")
            return message
        return True

    def sent_to(self, chat_id: int) -> list[str]:
        with self._lock:
            return [
                p.get("text") or p.get("caption") or ""
                for m, p in self.calls
                if m in ("sendMessage", "sendPhoto") and str(p.get("chat_id")) == str(chat_id)
            ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    """A private text message as Telegram posts it to the webhook."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id % 100000,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Dân"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Dân"},
            "text": text,
        },
    }
