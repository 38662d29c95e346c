"""Bookings as a spreadsheet for the counters: CSV (UTF-8 with BOM, for Excel) or xlsx.

Cells a citizen typed are neutralised so that a spreadsheet never runs them as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from tthc.privacy import mask_digits, mask_pii
from tthc.records import Booking

COLUMNS = [
    ("code", "Mã lịch hẹn"),
    ("day", "Ngày"),
    ("slot", "Giờ"),
    ("centre", "Nơi tiếp nhận"),
    ("procedure", "Thủ tục"),
    ("name", "Họ và tên"),
    ("phone", "Số điện thoại"),
    ("status", "Trạng thái"),
    ("channel", "Kênh"),
    ("created_at", "Đặt lúc"),
]
STATUS_LABELS = {"booked": "Đã đặt", "cancelled": "Đã hủy"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: str) -> str:
    """Text that no spreadsheet reads as a formula (OWASP CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def booking_row(booking: Booking, unmasked: bool = False) -> dict[str, Any]:
    """One booking for officers; the phone number masked unless asked otherwise."""
    return {
        "code": booking.code,
        "day": booking.day.isoformat(),
        "slot": booking.slot,
        "centre": booking.centre,
        "procedure": booking.procedure,
        "name": booking.name,
        "phone": booking.phone if unmasked else mask_phone(booking.phone),
        "status": booking.status,
        "channel": booking.channel,
        "created_at": booking.created_at.isoformat(sep=" "),
    }


def mask_phone(phone: str | None) -> str | None:
    """All digits but the last three hidden, whatever the number looks like."""
    if not phone:
        return phone
    masked = mask_pii(phone)
    return masked if masked != phone else mask_digits(phone)


def _cells(row: dict[str, Any]) -> list[str]:
    values = []
    for key, _ in COLUMNS:
        value = row[key]
        if key == "status":
            value = STATUS_LABELS.get(value, value)
        values.append(str(value if value is not None else ""))
    return values


def to_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in COLUMNS])
    for row in rows:
        writer.writerow([safe_cell(value) for value in _cells(row)])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Sequence[dict[str, Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Lịch hẹn"
    sheet.append([title for _, title in COLUMNS])
    for row in rows:
        sheet.append(_cells(row))
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # openpyxl takes "=..." for a formula: keep it text
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJ", (12, 12, 8, 32, 24, 24, 14, 10, 10, 20)):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
