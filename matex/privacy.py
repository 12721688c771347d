"""Personal data in logs and messages: ID numbers and names are masked before they are written.

    >>> mask_id("110105194912310021")
    '110105********0021'
    >>> mask_name("张三")
    '张*'
"""
from __future__ import annotations

import logging
import re

_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8}|\d{5})(\d{3}[\dXx]|\d{4})(?![0-9A-Za-z])")


def mask_id(id_number: object) -> str:
    """Keep the division code (6) and the last 4 characters; mask the birth date and the rest."""
    if id_number is None:
        return ""
    s = str(id_number).strip()
    if len(s) <= 4:
        return "*" * len(s)
    if len(s) < 11:
        return "*" * (len(s) - 4) + s[-4:]
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def mask_name(name: object) -> str:
    """Keep the first character (usually the surname): 张三 → 张*, 欧阳娜娜 → 欧***."""
    if not name:
        return ""
    s = str(name).strip()
    if len(s) <= 1:
        return "*"
    return s[0] + "*" * (len(s) - 1)


def redact(text: str) -> str:
    """Mask every 15- or 18-character ID number found in free text."""
    return _ID_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)


class RedactingFilter(logging.Filter):
    """A logging filter that masks ID numbers in every record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:
            return True
        red = redact(msg)
        if red != msg:
            record.msg, record.args = red, None
        return True


__all__ = ["mask_id", "mask_name", "redact", "RedactingFilter"]
