"""The content base: the checker's report, dated fees, and live reload (issue 3)."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from tthc.content import ContentBase, LiveContent, check_content
from tthc.content.check import _contract_slugs


def test_real_content_is_valid_and_complete(content: ContentBase) -> None:
    report = check_content(Path(__file__).resolve().parents[2] / "content")
    assert report.errors == []
    assert sorted(report.procedures) == sorted(_contract_slugs())
    assert len(report.procedures) == 33
    assert sorted(report.localities) == ["da-nang", "dak-lak", "hai-phong"]


def test_contract_copy_matches_the_shared_contract() -> None:
    ours = Path(__file__).resolve().parents[2] / "tthc" / "content" / "procedures.tsv"
    assert ours.is_file() and ours.read_text(encoding="utf-8").startswith("slug\t")
    shared = Path(__file__).resolve().parents[3] / "shared" / "contract" / "procedures.tsv"
    if not shared.exists():  # beside the checkout in CI (where a skip fails) and on developers' machines
        pytest.skip("../shared/contract/procedures.tsv is not beside this checkout: the copy is not compared")
    assert ours.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_a_broken_copy_reports_every_problem_with_its_line(content_copy: Path) -> None:
    ks = content_copy / "procedures" / "khai-sinh.yml"
    kh = content_copy / "procedures" / "ket-hon.yml"
    dn = content_copy / "localities" / "da-nang.yml"
    _replace(ks, "verified: true", "verified: có")  # not a boolean
    _replace(ks, "last_reviewed: 2026-11-23", "last_reviewed: 23/11/2026")  # not a date
    _replace(ks, "authority: ", "authority: Nộp tại UBND cấp huyện. ")  # district level
    _replace(kh, "slug: ket-hon", "slug: khai-sinh")  # duplicate slug, wrong file name
    _replace(dn, "url: https://khaosathailong.danang.gov.vn", "url: khaosathailong")  # not a URL
    _replace(dn, 'number: "1022"', 'number: "gọi 1022 nhé"')  # not a phone number
    (content_copy / "procedures" / "ho-ngheo.yml").unlink()  # a contract slug goes missing

    report = check_content(content_copy)
    found = {(e.file.split("/")[-1], e.line) for e in report.errors}
    assert ("khai-sinh.yml", _line_of(ks, "verified: có")) in found
    assert ("khai-sinh.yml", _line_of(ks, "last_reviewed: 23/11/2026")) in found
    assert ("khai-sinh.yml", _line_of(ks, "UBND cấp huyện")) in found
    assert ("ket-hon.yml", _line_of(kh, "slug: khai-sinh")) in found
    assert ("da-nang.yml", _line_of(dn, "url: khaosathailong")) in found
    assert ("da-nang.yml", _line_of(dn, "gọi 1022 nhé")) in found
    assert any("ho-ngheo" in e.message for e in report.errors)
    assert len(report.errors) >= 8  # every problem in one run, not just the first
    assert all(e.column >= 1 and e.message for e in report.errors)


def test_yaml_syntax_error_has_a_line(content_copy: Path) -> None:
    path = content_copy / "procedures" / "can-cuoc.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5] + ': "unclosed'
    path.write_text("\n".join(lines), encoding="utf-8")
    report = check_content(content_copy)
    errors = [e for e in report.errors if e.file.endswith("can-cuoc.yml")]
    assert errors and errors[0].line >= 6 and "YAML" in errors[0].message


def test_dated_fee_is_shown_only_while_in_force(content: ContentBase) -> None:
    proc = content.procedures["can-cuoc"]
    dated = [r for r in proc.fee_rates if r.valid_to]
    assert dated, "can-cuoc has the 50% rate of TT 64/2025 with its end date"
    end = max(r.valid_to for r in dated)
    during = {r.label for r in proc.rates_in_force(end)}
    after = {r.label for r in proc.rates_in_force(end + dt.timedelta(days=1))}
    assert any(r.label in during for r in dated)
    assert not any(r.label in after for r in dated)
    replaced = {r.replaces for r in dated if r.replaces}
    assert all(any(r.id == rid for r in proc.rates_in_force(end + dt.timedelta(days=1))) for rid in replaced)


def test_live_content_reloads_and_keeps_last_good(content_copy: Path) -> None:
    live = LiveContent(content_copy, poll_seconds=0)
    first = live.get()
    faq_file = content_copy / "procedures" / "khai-sinh.yml"
    _replace(faq_file, "Được. Nếu cha mẹ không đi được", "ĐÃ SỬA. Nếu cha mẹ không đi được")
    os.utime(faq_file, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    second = live.get()
    assert second is not first
    assert "ĐÃ SỬA" in second.procedures["khai-sinh"].faqs[1]["answer"]

    _replace(faq_file, "slug: khai-sinh", "slug: [broken")
    third = live.get()
    assert third is second  # the last good content stays live
    assert live.last_error is not None and live.last_error.report.errors
