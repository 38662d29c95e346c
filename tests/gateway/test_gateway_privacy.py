"""mask_pii: phone numbers and ID numbers never reach the logs."""

from __future__ import annotations

import io
import logging

import pytest

from tthc.privacy import PiiMaskingFormatter, mask_pii


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("số của tôi 0912345678 nhé", "số của tôi *******678 nhé"),
        ("sđt 0912.345.678", "sđt ****.***.678"),
        ("gọi 0912-345-678", "gọi ****-***-678"),
        ("+84912345678", "+********678"),
        ("84 912 345 678", "** *** *** 678"),
        ("máy bàn 0236 3831 022", "máy bàn **** **** 022"),
        ("CCCD 001203012345", "CCCD *********345"),
        ("cccd 001 203 012 345", "cccd *** *** *** 345"),
        ("CMND 123456789.", "CMND ******789."),
        ("hai số 0912345678,0987654321", "hai số *******678,*******321"),
        ("telegram:123456789", "telegram:******789"),
    ],
)
def test_masks_phones_and_ids(text: str, masked: str) -> None:
    assert mask_pii(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "tổng đài 1022 hoặc 0236.1022",
        "lệ phí 50.000 đồng, phạt 1.500.000.000 đồng",
        "mã hồ sơ 000.00.25.H17-250101-0001",
        "năm 2025, ngày 01/07/2025",
        "mã thủ tục 1.001193",
        "số 12345678",  # 8 digits: neither a phone nor an ID
        "1234567890123",  # 13 digits
    ],
)
def test_leaves_other_numbers(text: str) -> None:
    assert mask_pii(text) == text


def test_formatter_masks_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PiiMaskingFormatter("%(message)s"))
    logger = logging.getLogger("tests.gateway.privacy")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("user said %s", "sđt 0912345678")
        try:
            raise ValueError("cccd 001203012345")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "user said sđt *******678" in output
    assert "ValueError: cccd *********345" in output
    assert "0912345678" not in output and "001203012345" not in output
