"""QR codes at the counter (`trolyao qr`): links that open the assistant on one procedure, and
A4 sheets and posters whose codes a decoder (zbar) reads back to those links, with no text
off the page. Issue #13."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from trolyao.cli import main
from tthc import deeplinks

ZBAR, POPPLER = shutil.which("zbarimg"), shutil.which("pdftoppm")
needs_tools = pytest.mark.skipif(
    not (ZBAR and POPPLER and shutil.which("pdftotext")),
    reason="zbarimg (Debian zbar-tools) or poppler-utils missing: apt-get install zbar-tools poppler-utils",
)


def test_links_open_the_assistant_on_one_procedure() -> None:
    assert deeplinks.web_link("https://tro-ly.example.vn/", "khai-sinh") == "https://tro-ly.example.vn/?p=khai-sinh"
    assert deeplinks.telegram_link("@TroLyAoBot", "khai-sinh") == "https://t.me/TroLyAoBot?start=khai-sinh"
    assert deeplinks.overview_message("khai-sinh") == '/ask_procedure{"procedure":"khai-sinh"}'
    assert deeplinks.procedure_from_start("ket-hon") == "ket-hon"
    for bad in ("", "Khai Sinh", "../x", "a" * 65, 'x"}'):
        assert deeplinks.procedure_from_start(bad) is None
        with pytest.raises(ValueError):
            deeplinks.web_link("https://x.vn", bad)
    with pytest.raises(ValueError):
        deeplinks.telegram_link("a b", "khai-sinh")


def decode(pdf: Path) -> list[str]:
    subprocess.run([POPPLER, "-png", "-r", "150", str(pdf), str(pdf.with_suffix(""))], check=True)
    found: list[str] = []
    for png in sorted(pdf.parent.glob(pdf.stem + "*.png")):
        argv = [ZBAR, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)]
        out = subprocess.run(argv, capture_output=True, text=True)
        found += out.stdout.split()
    return found


@needs_tools
def test_a_sheet_of_every_procedure_decodes_to_their_links(tmp_path: Path) -> None:
    from tthc.content import load_content
    from tthc.paths import CONTENT

    out = tmp_path / "the.pdf"
    assert main(["qr", "--output", str(out), "--web-url", "https://tro-ly.example.vn", "--locality", "da-nang"]) == 0
    procedures = load_content(CONTENT, with_catalogue=False).procedures
    assert sorted(decode(out)) == sorted(deeplinks.web_link("https://tro-ly.example.vn", s) for s in procedures)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Đăng ký khai sinh" in text and f"Trang 1/{-(-len(procedures) // 12)}" in text
    assert_inside_pages(out)


@needs_tools
def test_a_telegram_poster_for_one_counter(tmp_path: Path) -> None:
    out = tmp_path / "poster.pdf"
    argv = ["qr", "--output", str(out), "--layout", "poster", "--channel", "telegram", "--telegram-bot", "TroLyAoBot",
            "--counter", "Quầy số 3 - Tư pháp, hộ tịch", "--slug", "khai-sinh", "--slug", "ket-hon"]  # fmt: skip
    assert main(argv) == 0
    assert sorted(decode(out)) == ["https://t.me/TroLyAoBot?start=ket-hon", "https://t.me/TroLyAoBot?start=khai-sinh"]
    text = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout.split())
    assert "Quầy số 3 - Tư pháp, hộ tịch" in text and "Đăng ký kết hôn" in text
    assert_inside_pages(out)


def test_unknown_procedures_and_missing_addresses_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["qr", "--output", str(tmp_path / "x.pdf"), "--slug", "khong-co", "--web-url", "https://x.vn"]) == 2
    assert "Không có thủ tục: khong-co" in capsys.readouterr().err
    assert main(["qr", "--output", str(tmp_path / "x.pdf"), "--channel", "telegram"]) == 2
    assert "--telegram-bot" in capsys.readouterr().err


def assert_inside_pages(pdf: Path) -> None:
    from tests.unit.test_reports import pdf_words

    for page, width, height, words in pdf_words(pdf):
        outside = [w for w, (x0, y0, x1, y1) in words if x0 < 0 or y0 < 0 or x1 > width or y1 > height]
        assert not outside, f"page {page}: {outside[:5]}"
