"""GET / serves the self-contained Vietnamese web chat page."""

from __future__ import annotations

import re

from conftest import Gateway


def test_page_is_served(gateway: Gateway) -> None:
    response = gateway.client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert "<h1>Trợ lý ảo thủ tục hành chính</h1>" in html
    assert 'lang="vi"' in html and 'name="viewport"' in html
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == ["/static/chat.css", "/static/chat.js"]


def test_static_assets_are_served_and_local(gateway: Gateway) -> None:
    js = gateway.client.get("/static/chat.js")
    css = gateway.client.get("/static/chat.css")
    assert js.status_code == css.status_code == 200
    assert "javascript" in js.headers["content-type"]
    assert css.headers["content-type"].startswith("text/css")
    assert '"/api/chat"' in js.text and "localStorage" in js.text and "tel:" in js.text
    assert "innerHTML" not in js.text
    for text in (js.text, css.text):
        assert "@import" not in text and "cdn" not in text.lower()
