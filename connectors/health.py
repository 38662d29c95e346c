"""Health of the parts the gateway depends on: the Rasa server and the action server."""

from __future__ import annotations

import asyncio
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


async def check(
    http: httpx.AsyncClient, rasa_url: str, actions_url: str
) -> tuple[bool, dict[str, Any]]:
    """Probe both servers at once; (all ok, the /health JSON body)."""
    rasa_ok, actions_ok = await asyncio.gather(
        probe(http, f"{rasa_url}/"), probe(http, f"{actions_url}/health")
    )
    healthy = rasa_ok and actions_ok
    return healthy, {
        "status": "ok" if healthy else "degraded",
        "rasa": "ok" if rasa_ok else "down",
        "actions": "ok" if actions_ok else "down",
    }
