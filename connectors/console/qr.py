"""QR codes at the counter ("mã QR phục vụ tra cứu TTHC"): officers choose procedures, what the
codes open (the web chat, or Telegram with a start parameter) and a layout, see the codes on
screen, and download an A4 PDF to print. Each code opens the assistant on its procedure, whose
overview is the first answer (tthc.deeplinks). The PDF is drawn by `trolyao qr` in the Rasa
venv (matplotlib), as the period report is.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from connectors.console.auth import ConsoleRefusal, current
from connectors.console.html import Markup, e, join, notice, page
from connectors.console.live import procedures
from connectors.settings import TELEGRAM
from tthc import deeplinks
from tthc.settings import child_env

logger = logging.getLogger(__name__)
audit = logging.getLogger("connectors.admin.audit")
PDF_TIMEOUT_S = 120
LAYOUT_NAMES = {"sheet": "Tờ thẻ QR (12 thủ tục mỗi trang, cắt rời)", "poster": "Áp phích cho một quầy"}
CHANNEL_NAMES = {"web": "Trang trò chuyện trên web (mở được bằng camera hoặc Zalo)", "telegram": "Telegram"}


def telegram_bot(request: Request) -> str:
    """The running Telegram bot's user name, if the channel is on and has asked Telegram."""
    channel = (getattr(request.app.state, "channels", None) or {}).get(TELEGRAM)
    try:
        return str(channel.app.bot.username or "") if channel is not None else ""
    except Exception:  # not initialized yet
        return ""


def _public(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host in ("localhost", ""):
        return False
    try:
        address = ip_address(host)
    except ValueError:
        return True
    return not (address.is_loopback or address.is_private)


class Choice:
    """What the officer asked for, checked."""

    def __init__(self, request: Request, params: Any, procs: dict[str, Any]) -> None:
        self.layout = params.get("layout") if params.get("layout") in LAYOUT_NAMES else "sheet"
        self.channel = params.get("channel") if params.get("channel") in CHANNEL_NAMES else "web"
        self.web_url = (params.get("web_url") or str(request.base_url)).strip().rstrip("/")[:200]
        self.bot = (params.get("bot") or telegram_bot(request)).strip().lstrip("@")[:40]
        self.counter = (params.get("counter") or "").strip()[:120]
        chosen = [slug for slug in params.getlist("p") if slug in procs]
        self.slugs = chosen or sorted(procs, key=lambda slug: procs[slug].name)
        self.chosen = set(chosen)

    def problem(self) -> str | None:
        if self.channel == "web" and not self.web_url.startswith(("http://", "https://")):
            return "Địa chỉ trang trò chuyện phải bắt đầu bằng http:// hoặc https://."
        if self.channel == "telegram" and not deeplinks.TELEGRAM_BOT.match(self.bot):
            return "Hãy nhập tên bot Telegram (5-32 chữ cái, số hoặc dấu gạch dưới, ví dụ TroLyAoDaNangBot)."
        return None

    def link(self, slug: str) -> str:
        return deeplinks.link(self.channel, slug, base_url=self.web_url, bot=self.bot)


def _form(choice: Choice, procs: dict[str, Any]) -> str:
    def options(names: dict[str, str], chosen: str) -> str:
        return "".join(
            f'<label class="inline"><input type="radio" name="{"layout" if names is LAYOUT_NAMES else "channel"}" '
            f'value="{key}"{" checked" if key == chosen else ""}> {e(label)}</label>'
            for key, label in names.items()
        )

    boxes = "".join(
        f'<label class="inline"><input type="checkbox" name="p" value="{e(slug)}"'
        f"{' checked' if slug in choice.chosen else ''}> {e(p.name)}</label>"
        for slug, p in sorted(procs.items(), key=lambda kv: kv[1].name)
    )
    return (
        '<form method="get" action="/admin/qr" class="card qr-form">'
        f"<fieldset><legend>Kiểu in</legend>{options(LAYOUT_NAMES, choice.layout)}</fieldset>"
        f"<fieldset><legend>Mã QR mở</legend>{options(CHANNEL_NAMES, choice.channel)}</fieldset>"
        f'<label>Địa chỉ trang trò chuyện <input name="web_url" value="{e(choice.web_url)}" maxlength="200"></label>'
        f'<label>Tên bot Telegram <input name="bot" value="{e(choice.bot)}" maxlength="40"></label>'
        f'<label>Tên quầy (tiêu đề áp phích) <input name="counter" value="{e(choice.counter)}" maxlength="120" '
        'placeholder="Quầy số 3 - Tư pháp, hộ tịch"></label>'
        f'<fieldset class="procedures"><legend>Thủ tục (không chọn: in tất cả)</legend>{boxes}</fieldset>'
        '<div class="filters"><button type="submit">Xem trước</button>'
        '<button type="submit" formaction="/admin/qr.pdf">Tải tệp PDF để in</button></div></form>'
    )


def _preview(choice: Choice, procs: dict[str, Any]) -> str:
    import segno

    cards = "".join(
        f'<li class="card qr-card">{segno.make(choice.link(slug), error="m").svg_inline(scale=4, omitsize=True)}'
        f"<strong>{e(procs[slug].name)}</strong><code>{e(choice.link(slug))}</code></li>"
        for slug in choice.slugs
    )
    return f'<h2>Xem trước ({len(choice.slugs)} mã)</h2><ol class="qr-cards">{cards}</ol>'


async def qr_page(request: Request) -> HTMLResponse:
    session = await current(request)
    procs = procedures(request)
    choice = Choice(request, request.query_params, procs)
    problem = choice.problem()
    warning = ""
    if choice.channel == "web" and not problem and not _public(choice.web_url):
        warning = notice("Địa chỉ này chỉ mở được trên máy chủ hoặc mạng nội bộ: hãy nhập địa chỉ công khai của "
                         "trang trò chuyện trước khi in.", "error")  # fmt: skip
    body = join([
        '<p class="muted">Mỗi mã QR mở trợ lý ảo đúng thủ tục đó: câu trả lời đầu tiên là phần giới thiệu thủ tục '
        "(hồ sơ, lệ phí, thời hạn, nơi nộp bấm tiếp). Zalo không cho gắn thủ tục vào đường dẫn Official Account; "
        "người dùng Zalo quét mã của trang trò chuyện bằng Zalo và trang mở ngay trong Zalo.</p>",
        _form(choice, procs),
        notice(problem, "error") if problem else warning,
        "" if problem else _preview(choice, procs),
    ])  # fmt: skip
    return page("Mã QR tại quầy", Markup(body), session.officer, session.csrf)


async def qr_pdf(request: Request) -> Response:
    session = await current(request)
    procs = procedures(request)
    choice = Choice(request, request.query_params, procs)
    problem = choice.problem()
    if problem:
        raise ConsoleRefusal(422, problem)
    body = await make_sheet(request, choice)
    audit.info("console: QR %s (%s, %d procedures) printed by %r", choice.layout, choice.channel,
               len(choice.slugs), session.officer.name)  # fmt: skip
    name = f"ma-qr-{choice.layout}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(body, media_type="application/pdf", headers=headers)


def sheet_command(choice: Choice, settings: Any, output: Path) -> list[str]:
    """The `trolyao qr` command line for the choice."""
    argv = [*settings.report_command, "qr", "--output", str(output), "--layout", choice.layout,
            "--channel", choice.channel, "--locality", settings.locality]  # fmt: skip
    argv += ["--web-url", choice.web_url] if choice.channel == "web" else ["--telegram-bot", choice.bot]
    if choice.counter:
        argv += ["--counter", choice.counter]
    for slug in choice.slugs:
        argv += ["--slug", slug]
    return argv


async def make_sheet(request: Request, choice: Choice) -> bytes:
    """Run `trolyao qr` (Rasa venv) into a temp file, on the console's content."""
    settings = request.app.state.settings
    with tempfile.TemporaryDirectory(prefix="trolyao-qr-") as folder:
        output = Path(folder) / "qr.pdf"
        env = child_env(TROLYAO_CONTENT_DIR=str(settings.content_dir), MPLCONFIGDIR=folder)
        process = await asyncio.create_subprocess_exec(
            *sheet_command(choice, settings, output), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=env,
        )  # fmt: skip
        try:
            _, err = await asyncio.wait_for(process.communicate(), PDF_TIMEOUT_S)
        except asyncio.TimeoutError:
            process.kill()
            raise ConsoleRefusal(504, "Tạo tệp mã QR quá lâu; hãy chọn ít thủ tục hơn.") from None
        if process.returncode != 0 or not output.exists():
            logger.error("console: QR sheet failed (%s): %s", process.returncode, err.decode(errors="replace")[-2000:])
            raise ConsoleRefusal(500, "Không tạo được tệp mã QR; xem nhật ký máy chủ.")
        return output.read_bytes()


def router() -> APIRouter:
    routes = APIRouter(prefix="/admin", include_in_schema=False)
    routes.add_api_route("/qr", qr_page, methods=["GET"])
    routes.add_api_route("/qr.pdf", qr_pdf, methods=["GET"])
    return routes
