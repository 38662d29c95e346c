"""`trolyao bench-outage`: the counting of a run (no timing) and the fake platform going down."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from unittest import mock

import pytest

from trolyao.bench.outage import Window, markdown, queue_depth, summarize
from trolyao.bench.webhooks import TELEGRAM, FakeBotApi, WebhookResult


def _result(**fields: object) -> WebhookResult:
    result = WebhookResult(requests=10, latencies_ms=[300.0] * 7 + [61_000.0, 59_500.0, 6_000.0])
    for name, value in fields.items():
        setattr(result, name, value)
    return result


WINDOW = Window(down_at=100.0, up_at=160.0, drained_at=163.5, peak_depth=8)


def test_every_answer_after_the_outage_once_is_ok() -> None:
    row = summarize(_result(), WINDOW)
    assert (row["sent"], row["delivered"], row["lost"], row["duplicates"]) == (10, 10, 0, 0)
    assert row["held_by_outage"] == 3  # slower than 5 s: they waited for the platform
    assert row["longest_delay_s"] == 61.0
    assert (row["outage_s"], row["drain_s"], row["peak_queue_depth"]) == (60.0, 3.5, 8)
    assert row["ok"] is True


@pytest.mark.parametrize(
    ("fields", "window"),
    [
        ({"latencies_ms": [300.0] * 8 + [61_000.0], "timeouts": 1, "errors": 1}, WINDOW),  # one lost
        ({"duplicates": 1, "errors": 1}, WINDOW),  # one answer sent twice
        ({"latencies_ms": [300.0] * 9, "refused": 1, "errors": 1}, WINDOW),  # webhook refused
        ({}, Window(100.0, 160.0, None, 8)),  # the queue never emptied
        ({"latencies_ms": [300.0] * 10}, WINDOW),  # nothing waited: the outage held nothing
        ({"latencies_ms": [300.0] * 8 + [61_000.0]}, WINDOW),  # counts do not add up
    ],
)
def test_a_loss_a_duplicate_or_an_undrained_queue_fails(fields: dict[str, object], window: Window) -> None:
    row = summarize(_result(**fields), window)
    assert row["ok"] is False


def test_lost_counts_the_unanswered_and_markdown_shows_it() -> None:
    row = summarize(_result(latencies_ms=[300.0] * 8, timeouts=2), WINDOW)
    assert (row["delivered"], row["lost"]) == (8, 2)
    table = markdown([{"channel": "Telegram", "senders": 8, **row}])
    assert "| Telegram | 8 | 10 | 8 | 2 | 0 | 0 | 0.3 | 8 | 3.5 |" in table


def test_an_empty_run_is_not_ok() -> None:
    row = summarize(WebhookResult(), Window())
    assert row["longest_delay_s"] is None and row["ok"] is False


def test_queue_depth_reads_health_even_when_unhealthy() -> None:
    ok = io.BytesIO(json.dumps({"outbound": {"depth": 4, "oldest_age_s": 2.0}}).encode())
    with mock.patch.object(urllib.request, "urlopen", return_value=ok):
        assert queue_depth("http://127.0.0.1:1") == 4
    body = io.BytesIO(json.dumps({"outbound": {"depth": 0}}).encode())
    unhealthy = urllib.error.HTTPError("http://127.0.0.1:1/health", 503, "x", {}, body)  # type: ignore[arg-type]
    with mock.patch.object(urllib.request, "urlopen", side_effect=unhealthy):
        assert queue_depth("http://127.0.0.1:1") == 0
    with mock.patch.object(urllib.request, "urlopen", side_effect=ConnectionRefusedError()):
        assert queue_depth("http://127.0.0.1:1") is None


def _get_me(fake: FakeBotApi) -> int:
    with urllib.request.urlopen(f"{fake.url}/bot{fake.token}/getMe", timeout=5) as response:
        return response.status


def test_the_fake_platform_refuses_connections_while_down_and_returns_on_its_port() -> None:
    with FakeBotApi(TELEGRAM) as fake:
        port = fake.port
        assert _get_me(fake) == 200
        fake.go_down()
        with pytest.raises(urllib.error.URLError) as refused:
            _get_me(fake)
        assert isinstance(refused.value.reason, ConnectionRefusedError)
        fake.come_back()
        assert fake.port == port and _get_me(fake) == 200
