"""Citizen ID numbers (GB 11643-1999).

18 characters: 6-digit division code (of the first registration), 8-digit birth date,
3-digit sequence (odd = male), 1 check character (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
sum mod 11 → ``1 0 X 9 8 7 6 5 4 3 2``). Old 15-digit numbers: 6 division + ``YYMMDD``
(19YY) + 3 sequence, no check character. Residence permits of Hong Kong, Macao and Taiwan
residents use 810000 / 820000 / 830000 as the division part.

:func:`validate` never pads, truncates or corrects a number: a 17-character print is
reported as printed, with ``ok=False`` and ``kind='invalid'``.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from extract.normalize import normalize_id_number

__all__ = ["WEIGHTS", "CHECK_CHARS", "HMT_DIVISIONS", "IdCheck", "check_char", "validate", "birth_date_of"]

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
HMT_DIVISIONS = frozenset({"810000", "820000", "830000"})
MIN_BIRTH_YEAR = 1880

_ID18_RE = re.compile(r"^\d{17}[\dX]$")
_ID15_RE = re.compile(r"^\d{15}$")


def check_char(first17: str) -> str:
    """The check character for the first 17 digits. Raises ``ValueError`` if they are not 17 digits."""
    if not isinstance(first17, str) or len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"check_char needs exactly 17 ASCII digits, got {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class IdCheck:
    """Result of :func:`validate`.

    ok: the number is structurally valid (18: checksum and birth date; 15: birth date).
    length: number of characters as printed (after removing whitespace).
    checksum_ok: True/False for 18-character numbers, None for 15-digit ones (no check
        character), False for anything else.
    birth_date / birth_date_valid: the date encoded in the number (None if impossible).
    sex: '男' / '女' from the parity of the sequence's last digit (17th of 18, 15th of 15).
    division: the 6-digit division code as printed (None if the number is malformed).
    kind: 'id18' | 'id15' | 'hmt_residence' | 'invalid'.
    value: the number in its normal form (upper-case, no spaces), as printed otherwise.
    """

    ok: bool
    length: int
    checksum_ok: bool | None
    birth_date: _dt.date | None
    birth_date_valid: bool
    sex: str | None
    division: str | None
    kind: str
    value: str = ""


def _date_or_none(y: int, m: int, d: int, today: _dt.date) -> _dt.date | None:
    try:
        date = _dt.date(y, m, d)
    except ValueError:
        return None
    if date.year < MIN_BIRTH_YEAR or date > today:
        return None
    return date


def birth_date_of(idn: str, today: _dt.date | None = None) -> _dt.date | None:
    """The valid birth date encoded in an 18- or 15-digit number, else None."""
    return validate(idn, today=today).birth_date


def validate(idn: str | None, today: _dt.date | None = None) -> IdCheck:
    """Structural validation of an ID number as printed. Never raises.

    ``today`` (default: the current date) bounds the birth date: a birth date after it, or
    before 1880, is invalid.
    """
    today = today or _dt.date.today()
    value = normalize_id_number(idn) or (idn if isinstance(idn, str) else "")
    n = len(value)
    if _ID18_RE.match(value):
        checksum = check_char(value[:17]) == value[17]
        birth = _date_or_none(int(value[6:10]), int(value[10:12]), int(value[12:14]), today)
        division = value[:6]
        kind = "hmt_residence" if division in HMT_DIVISIONS else "id18"
        return IdCheck(
            ok=checksum and birth is not None,
            length=n,
            checksum_ok=checksum,
            birth_date=birth,
            birth_date_valid=birth is not None,
            sex="男" if int(value[16]) % 2 else "女",
            division=division,
            kind=kind,
            value=value,
        )
    if _ID15_RE.match(value):
        birth = _date_or_none(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]), today)
        return IdCheck(
            ok=birth is not None,
            length=n,
            checksum_ok=None,
            birth_date=birth,
            birth_date_valid=birth is not None,
            sex="男" if int(value[14]) % 2 else "女",
            division=value[:6],
            kind="id15",
            value=value,
        )
    return IdCheck(
        ok=False,
        length=n,
        checksum_ok=False,
        birth_date=None,
        birth_date_valid=False,
        sex=None,
        division=None,
        kind="invalid",
        value=value,
    )
