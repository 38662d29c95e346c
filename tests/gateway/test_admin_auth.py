"""Every /admin route refuses a caller without credentials. The routes are read from the app
itself, so a route added later is checked without anyone remembering to add it here."""

from __future__ import annotations

import re

import pytest
from conftest import Gateway, MakeGateway, Served, officer_settings
from fastapi.routing import iter_route_contexts

# Open on purpose: the login form and its post (which needs its own CSRF cookie), and /admin
# itself, which only redirects to the dashboard (checked below like every other page).
PUBLIC = {("GET", "/admin/login"), ("POST", "/admin/login"), ("GET", "/admin")}
_PARAM = re.compile(r"\{[^}]+\}")


def admin_calls(gateway: Gateway) -> list[tuple[str, str, str]]:
    """(method, route path, a concrete URL) for every /admin route of the app, those of the
    included routers too (FastAPI keeps them nested: ``iter_route_contexts`` flattens)."""
    calls = []
    for context in iter_route_contexts(gateway.app.routes):
        path = context.path or ""
        if path == "/admin" or path.startswith("/admin/"):
            methods = getattr(context, "methods", None) or {"GET"}  # a mount: at least GET
            url = _PARAM.sub("1", path)
            calls += [(method, path, url) for method in sorted(set(methods) - {"HEAD"})]
    return calls


@pytest.fixture
def officers(make_gateway: MakeGateway, rasa: Served) -> Gateway:
    return make_gateway(rasa.url, **officer_settings())


def test_the_route_list_is_real(officers: Gateway) -> None:
    paths = {path for _, path, _ in admin_calls(officers)}
    # Not vacuous: the known API and console routes are found, and the open ones still exist.
    assert {"/admin/api/tickets", "/admin/api/handoffs/{handoff_id}/reply", "/admin/dashboard"} <= paths
    assert PUBLIC.issubset((method, path) for method, path, _ in admin_calls(officers))


def open_doors(gateway: Gateway, credentials: dict[str, str]) -> tuple[int, list[str]]:
    """(routes checked, those that did not refuse) for a caller with these credentials."""
    checked, failures = 0, []
    for method, path, url in admin_calls(gateway):
        if (method, path) in PUBLIC:
            continue
        response = gateway.client.request(
            method, url, headers={**credentials, "Content-Type": "application/json"}, content=b"{}"
        )
        if path.startswith("/admin/api/"):
            refused = response.status_code == 401 and response.headers.get("WWW-Authenticate") == "Bearer"
        else:
            # Console pages: the browser is sent to the login page (or refused outright).
            to_login = response.status_code == 303 and response.headers.get("location") == "/admin/login"
            refused = to_login or response.status_code in (401, 403)
        if not refused:
            failures.append(f"{method} {url} -> {response.status_code} {response.text[:200]}")
        checked += 1
    return checked, failures


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Cookie": "trolyao_console=forged-session-token"},
    ],
    ids=["none", "wrong-bearer", "basic", "forged-cookie"],
)
def test_every_admin_route_refuses_without_credentials(officers: Gateway, credentials: dict[str, str]) -> None:
    checked, failures = open_doors(officers, credentials)
    assert failures == []
    assert checked >= 20


def test_a_route_added_without_auth_is_caught(officers: Gateway) -> None:
    async def leak() -> dict[str, str]:
        return {"secret": "data"}

    officers.app.add_api_route("/admin/api/leak", leak)  # as a careless future change would
    officers.app.add_api_route("/admin/leak-page", leak)
    _, failures = open_doors(officers, {})
    assert [failure.split(" -> ")[0] for failure in failures] == ["GET /admin/api/leak", "GET /admin/leak-page"]


def test_admin_api_is_off_without_a_token(make_gateway: MakeGateway, rasa: Served) -> None:
    gateway = make_gateway(rasa.url)
    for method, path, url in admin_calls(gateway):
        if path.startswith("/admin/api/"):
            response = gateway.client.request(method, url, headers={"Authorization": "Bearer x"})
            assert response.status_code == 503, f"{method} {url} -> {response.status_code}"


def test_the_open_routes_show_nothing(officers: Gateway) -> None:
    login = officers.client.get("/admin/login")
    assert login.status_code == 200 and 'name="password"' in login.text
    assert officers.client.get("/admin").headers["location"] == "/admin/dashboard"
    # A login post without the login form's CSRF cookie is refused before any password check.
    refused = officers.client.post("/admin/login", data={"name": "a", "password": "b", "csrf": "x"})
    assert refused.status_code == 403
