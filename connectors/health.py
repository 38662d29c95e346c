"""Health of the parts the gateway depends on: the Rasa server and the action server."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx

PROBE_TIMEOUT_S = 2.0


async def probe(http: httpx.AsyncClient, url: str, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """True when ``url`` answers 2xx within the timeout."""
    try:
        response = await http.get(url, timeout=timeout_s)
    except httpx.HTTPError:
        return False
    return response.is_success


async def check(http: httpx.AsyncClient, rasa_urls: Sequence[str], actions_url: str) -> tuple[bool, dict[str, Any]]:
    """Probe every Rasa process and the action server at once; (ok, the /health JSON body).

    Healthy while one Rasa process answers (the others' senders fail over to it); the body
    says "partial" and lists each process so that an operator sees the one that is down.
    """
    *rasa_up, actions_ok = await asyncio.gather(
        *(probe(http, f"{url}/") for url in rasa_urls), probe(http, f"{actions_url}/health")
    )
    rasa_ok = any(rasa_up)
    healthy = rasa_ok and actions_ok
    body: dict[str, Any] = {
        "status": "ok" if healthy and all(rasa_up) else "degraded",
        "rasa": "ok" if all(rasa_up) else "partial" if rasa_ok else "down",
        "actions": "ok" if actions_ok else "down",
    }
    if len(rasa_up) > 1:
        body["rasa_processes"] = ["ok" if up else "down" for up in rasa_up]
    return healthy, body
