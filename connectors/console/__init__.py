"""The officers' web console under /admin (server-rendered HTML, Vietnamese, no script).

    install(app)      the pages, their error pages and the login throttle

The JSON API for scripts stays under /admin/api (connectors/admin.py).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from connectors.console import catalogue, content, handoffs, qr, quality, views
from connectors.console.auth import ConsoleRefusal, LoginRequired, LoginThrottle, current
from connectors.console.html import notice, page


async def _login_required(_: Request, exc: Exception) -> Response:
    return RedirectResponse("/admin/login", status_code=303)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleRefusal)
    officer = csrf = None
    try:
        session = await current(request)
        officer, csrf = session.officer, session.csrf
    except Exception:  # the error page never needs a session
        pass
    return page("Không thực hiện được", notice(exc.message, "error"), officer, csrf or "", status_code=exc.status_code)


def install(app: FastAPI) -> None:
    app.state.console_throttle = LoginThrottle()
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(ConsoleRefusal, _refused)
    app.include_router(views.router())
    app.include_router(handoffs.router())
    app.include_router(content.router())
    app.include_router(quality.router())
    app.include_router(qr.router())
    app.include_router(catalogue.router())
