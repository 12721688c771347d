"""Checks for the medical and civil-status documents and the cards (beyond the ID card).

Each function takes plain values (strings as extracted; normalised or raw) and returns check
names. The names are stable; consumers may rely on them.

Vocabulary
----------
``certificate_number`` (disability certificate: 18-character ID number + category digit +
level digit)
    ``checksum_ok`` / ``checksum_failed`` – the ID part's GB 11643 check character;
    ``length_invalid`` – not 20 characters;
    ``certificate_matches_id`` / ``certificate_mismatch_id`` – the ID part equals the printed
    ``id_number`` (the check is put on both fields);
    ``category_matches_number`` / ``category_mismatch_number`` – the 19th digit is the printed
    ``disability_category`` (put on both); ``category_code_invalid`` – not 1–7;
    ``level_matches_number`` / ``level_mismatch_number`` – the 20th digit is the printed
    ``disability_level`` (put on both); ``level_code_invalid`` – not 1–4.
``card_number`` (bank card)
    ``luhn_ok`` / ``luhn_failed``; ``length_invalid`` – not 16–19 digits; ``issuer_unknown`` – it
    begins as no payment card of its length does (its first digits lost?).
dates
    ``date_in_future`` – after today; ``date_invalid`` – unreadable or impossible;
    ``death_after_birth`` / ``death_before_birth`` (on ``death_date``);
    ``issued_after_death`` / ``issued_before_death`` (on ``issue_date`` of a death certificate);
    ``discharge_after_admission`` / ``discharge_before_admission`` (on ``discharge_date``);
    ``issued_after_birth`` / ``issued_before_birth`` (disability certificate ``issue_date``);
    ``stay_matches_dates`` / ``stay_mismatch_dates`` – a discharge summary's ``length_of_stay``
    is the days from admission to discharge (or one more, the admission day counted) (put on
    all three); ``reported_after_collection`` / ``reported_before_collection`` /
    ``reported_long_after_collection`` – a lab report's ``report_date`` lies on or after its
    specimen's ``collection_date`` and within :data:`REPORT_WITHIN_DAYS` of it.
``relationship`` (household register)
    ``relationship_known`` – a term of GB/T 4761 or its usual short form (户主, 妻, 长子, 之子…);
    ``relationship_unknown`` – anything else (宁主 for 户主: a misreading).
``items`` (lab report)
    ``flags_match_ranges`` – every numeric result with a numeric reference range carries the
    flag the range implies; ``flag_mismatch_range`` – some item does not (a misread result,
    range or flag); ``flags_from_ranges`` – some flags were not read and are the ones the
    ranges imply (informational); ``item_result_missing`` – a row's result was not read;
    ``range_unreadable`` – a reference read as a bare number (9.50 for 9-50).
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from extract.checks.idnumber import validate
from extract.normalize import (
    DISABILITY_CATEGORIES,
    DISABILITY_LEVELS,
    normalize_disability_category,
    normalize_disability_level,
    normalize_id_number,
    parse_date,
)

FAILING_CHECKS: frozenset[str] = frozenset({
    "certificate_mismatch_id",
    "category_mismatch_number",
    "level_mismatch_number",
    "category_code_invalid",
    "level_code_invalid",
    "luhn_failed",
    "length_invalid",
    "checksum_failed",
    "date_in_future",
    "date_invalid",
    "death_before_birth",
    "issued_before_death",
    "discharge_before_admission",
    "stay_mismatch_dates",
    "reported_before_collection",
    "reported_long_after_collection",
    "issued_before_birth",
    "flag_mismatch_range",
    "item_result_missing",
    "range_unreadable",
    "relationship_unknown",
    "issuer_unknown",
})
SUPPORTING_CHECKS: frozenset[str] = frozenset({
    "certificate_matches_id",
    "category_matches_number",
    "level_matches_number",
    "luhn_ok",
    "flags_match_ranges",
})


# --------------------------------------------------------------------------- cards
def luhn_ok(digits: str) -> bool:
    if not digits or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def issuer_known(digits: str) -> bool:
    """Whether a card number begins as a payment card of its length does (ISO/IEC 7812: the
    first digit is the industry, the first ones the scheme; each scheme's numbers have their
    lengths): Mastercard 51-55 and 2221-2720, 16 digits; Visa 4, 13, 16 or 19; American
    Express 34 and 37, 15; UnionPay 62 (and 60, 65, 81), other cards of 3, 5, 6 and the banks'
    own cards before UnionPay (9558, 9559), 16 to 19. No card begins 0, 1 or 7, nor 2 or 8
    elsewhere. A number read with its first digits lost mostly fails (23692696… 17 digits long
    for 6223692696…: a Mastercard's 2369 with a digit too many)."""
    if not digits or not digits.isdigit():
        return False
    n, head = len(digits), digits[:4]
    if digits[0] == "2" or digits[:2] in ("51", "52", "53", "54", "55"):
        return n == 16 and (digits[0] == "5" or (len(head) == 4 and 2221 <= int(head) <= 2720))
    if digits[0] == "4":
        return n in (13, 16, 19)
    if digits[:2] in ("34", "37"):
        return n == 15
    if digits[0] in "3569" or digits[:2] == "81":
        return 16 <= n <= 19
    return False


def check_bank_card_number(number: Any) -> list[str]:
    t = re.sub(r"\D", "", str(number or ""))
    out = []
    if not 16 <= len(t) <= 19:
        out.append("length_invalid")
    out.append("luhn_ok" if luhn_ok(t) else "luhn_failed")
    if 16 <= len(t) <= 19 and not issuer_known(t):
        out.append("issuer_unknown")
    return out


# the social-security card's own number (卡号, the card identification code of the national
# standard's first and second generation cards): one capital letter and eight digits
SOCIAL_SECURITY_CARD_NUMBER = re.compile(r"[A-Z][0-9]{8}")


def check_social_security_card_number(number: Any) -> list[str]:
    """`card_number_format_ok` for a letter and eight digits, `length_invalid` otherwise (a
    digit lost or read twice: A3688403 for A36834037). Nothing here can repair it: the number
    has no check digit."""
    t = re.sub(r"\s", "", str(number or "")).upper()
    return ["card_number_format_ok"] if SOCIAL_SECURITY_CARD_NUMBER.fullmatch(t) else ["length_invalid"]


# --------------------------------------------------------------------------- disability
def check_disability_number(
    certificate_number: Any, id_number: Any = None, category: Any = None, level: Any = None
) -> dict[str, list[str]]:
    """Checks of a disability certificate's number against its ID part and the printed
    ID number, category and level. Returns checks per field name (only fields given)."""
    out: dict[str, list[str]] = {"certificate_number": []}
    cert = normalize_id_number(certificate_number) if isinstance(certificate_number, str) else None
    if not cert:
        return {}
    if len(cert) != 20:
        out["certificate_number"].append("length_invalid")
        return out
    idpart = cert[:18]
    v = validate(idpart)
    out["certificate_number"].append("checksum_ok" if v.kind != "invalid" and v.checksum_ok else "checksum_failed")
    idn = normalize_id_number(id_number) if isinstance(id_number, str) else None
    if idn:
        c = "certificate_matches_id" if idn == idpart else "certificate_mismatch_id"
        out["certificate_number"].append(c)
        out["id_number"] = [c]
    cat_d, lvl_d = cert[18], cert[19]
    if not (cat_d.isdigit() and int(cat_d) in DISABILITY_CATEGORIES):
        out["certificate_number"].append("category_code_invalid")
    elif category is not None:
        cat = normalize_disability_category(category) if isinstance(category, str) else None
        c = "category_matches_number" if cat == DISABILITY_CATEGORIES[int(cat_d)] else "category_mismatch_number"
        out["certificate_number"].append(c)
        out["disability_category"] = [c]
    if not (lvl_d.isdigit() and int(lvl_d) in DISABILITY_LEVELS):
        out["certificate_number"].append("level_code_invalid")
    elif level is not None:
        lvl = normalize_disability_level(level) if isinstance(level, str) else None
        c = "level_matches_number" if lvl == DISABILITY_LEVELS[int(lvl_d)] else "level_mismatch_number"
        out["certificate_number"].append(c)
        out["disability_level"] = [c]
    return out


def category_from_number(certificate_number: str) -> str | None:
    t = normalize_id_number(certificate_number) or ""
    return DISABILITY_CATEGORIES.get(int(t[18])) if len(t) == 20 and t[18].isdigit() else None


def level_from_number(certificate_number: str) -> str | None:
    t = normalize_id_number(certificate_number) or ""
    return DISABILITY_LEVELS.get(int(t[19])) if len(t) == 20 and t[19].isdigit() else None


# --------------------------------------------------------------------------- relationship
# 与户主关系 as household registers print it: the terms of GB/T 4761 (家庭关系代码) and their
# usual short forms (父, 母, 姐, 之子…). A value outside them is a misreading (宁主 for 户主).
_RELATIONS_BASE = (
    "户主 本人 配偶 夫 妻 子 独生子 长子 次子 三子 四子 五子 养子 继子 女婿 其他儿子 女 独生女 长女 次女 三女 四女 五女 "
    "养女 继女 儿媳 其他女儿 孙子 孙女 外孙子 外孙女 孙媳妇 外孙媳妇 孙女婿 外孙女婿 曾孙子 外曾孙子 曾孙女 外曾孙女 "
    "父母 父亲 母亲 父 母 公公 婆婆 岳父 岳母 继父 养父 继母 养母 祖父 祖母 外祖父 外祖母 兄弟姐妹 兄 哥 哥哥 嫂 嫂子 "
    "弟 弟弟 弟媳 姐 姐姐 姐夫 妹 妹妹 妹夫 伯父 伯母 叔父 婶母 舅父 舅母 姨父 姨母 姑父 姑母 堂兄弟 堂姐妹 表兄弟 "
    "表姐妹 侄子 侄女 外甥 外甥女 孙 外孙 儿子 女儿 其他 其他亲属 非亲属 保姆 亲属 非亲属关系 集体户 集体户口"
).split()
RELATIONSHIPS: frozenset[str] = frozenset(
    _RELATIONS_BASE
    + [f"{a}或{b}" for a, b in (("养子", "继子"), ("养女", "继女"), ("孙媳妇", "外孙媳妇"), ("孙女婿", "外孙女婿"),
                                ("曾孙子", "外曾孙子"), ("曾孙女", "外曾孙女"), ("继父", "养父"), ("继母", "养母"))]
    # 户主之子, 之妻: the relation said through the head of household
    + [p + r for p in ("之", "户主之", "户主的") for r in _RELATIONS_BASE if len(r) <= 2 and r not in ("户主", "本人")]
)


def check_relationship(value: Any) -> list[str]:
    """``relationship_known`` / ``relationship_unknown`` for a 与户主关系 value."""
    if not isinstance(value, str) or not value:
        return []
    t = re.sub(r"[\s:：,，、]", "", value)
    return ["relationship_known" if t in RELATIONSHIPS else "relationship_unknown"]


def nearest_relationship(value: Any) -> str | None:
    """A relationship read with one character wrong (系主, 产主, 户丰 for 户主): the only term of
    the list, as long, that differs from it in one character; ``None`` when no term or several
    do (a one-character value, 女 or 母, is never guessed). A value that is no term and lost one
    character at either end (主 for 户主: the 户 under a watermark's stroke) is the only term
    that is it with one more character at its start or end."""
    if not isinstance(value, str):
        return None
    t = re.sub(r"[\s:：,，、]", "", value)
    if not t or t in RELATIONSHIPS:
        return None
    near = [r for r in _RELATIONS_BASE if len(r) == len(t) and sum(a != b for a, b in zip(r, t)) == 1] if len(t) >= 2 else []
    if not near:
        near = [r for r in _RELATIONS_BASE if len(r) == len(t) + 1 and (r.startswith(t) or r.endswith(t))]
    return near[0] if len(near) == 1 else None


# --------------------------------------------------------------------------- dates
def check_date(value: Any, today: _dt.date | None = None) -> tuple[_dt.date | None, list[str]]:
    """A date value: parsed, with ``date_invalid`` or ``date_in_future`` when so.
    A year-month date (``2019-05``) is valid and compared by its first day."""
    today = today or _dt.date.today()
    if not isinstance(value, str) or not value:
        return None, ["date_invalid"]
    d = parse_date(value)
    if d is None and re.fullmatch(r"\d{4}-\d{2}", value):
        try:
            d = _dt.date(int(value[:4]), int(value[5:7]), 1)
        except ValueError:
            d = None
    if d is None:
        return None, ["date_invalid"]
    if d > today:
        return d, ["date_in_future"]
    return d, []


def order_check(earlier: _dt.date | None, later: _dt.date | None, ok: str, bad: str) -> list[str]:
    if earlier is None or later is None:
        return []
    return [ok if later >= earlier else bad]


# a laboratory reports within days of taking the specimen (a culture takes weeks; a report
# printed a year after its sample is a misread year: 2006/02/14 for 2026/02/14)
REPORT_WITHIN_DAYS = 62


def report_after_collection(collected: _dt.date | None, reported: _dt.date | None) -> list[str]:
    """A lab report's date against its specimen's collection date."""
    if collected is None or reported is None:
        return []
    if reported < collected:
        return ["reported_before_collection"]
    if (reported - collected).days > REPORT_WITHIN_DAYS:
        return ["reported_long_after_collection"]
    return ["reported_after_collection"]


def stay_check(admitted: _dt.date | None, discharged: _dt.date | None, days: Any) -> list[str]:
    """The printed length of stay against the two dates: hospitals count the days between them
    (出院日期 − 入院日期) or one more (both days counted). A misread digit in either date or in
    the days fails it."""
    if admitted is None or discharged is None or not isinstance(days, str) or not days.isdigit():
        return []
    diff = (discharged - admitted).days
    return ["stay_matches_dates" if int(days) in (diff, diff + 1) else "stay_mismatch_dates"]


# --------------------------------------------------------------------------- lab items
_NUM = r"[-+]?\d+(?:\.\d+)?"
_RANGE = re.compile(rf"^\s*({_NUM})\s*(?:-{{1,2}}|~|～|—|–|至)\s*({_NUM})\s*$")
_UPPER = re.compile(rf"^\s*(?:<|＜|≤|⩽|<=)\s*({_NUM})\s*$")
_LOWER = re.compile(rf"^\s*(?:>|＞|≥|⩾|>=)\s*({_NUM})\s*$")


# qualitative results (urine strips): negative and clearly positive readings; a weak positive
# (弱阳性, ±) is left undecided, laboratories differ on flagging it
_NEGATIVE = re.compile(r"^(?:阴性(?:\(-\)|（-）)?|\(?[-—－]\)?|neg(?:ative)?|normal)$", re.IGNORECASE)
_POSITIVE = re.compile(r"^(?:[1-4]?\+{1,4}|阳性(?:\(\+{1,4}\)|（\+{1,4}）)?|pos(?:itive)?)$", re.IGNORECASE)


def _qualitative_flag(result: str, reference_range: str) -> str | None:
    r, ref = re.sub(r"\s+", "", result), re.sub(r"\s+", "", reference_range)
    if not _NEGATIVE.match(ref):
        return None
    if _POSITIVE.match(r):
        return "↑"
    if _NEGATIVE.match(r):
        return ""
    return None


def expected_flag(result: Any, reference_range: Any) -> str | None:
    """The flag a result implies against its reference: a numeric result against a numeric
    range; a qualitative one against a negative reference (`2+` where `阴性` is expected is
    abnormal, `↑`). None when undecidable."""
    if not isinstance(result, str) or not isinstance(reference_range, str):
        return None
    m = re.fullmatch(rf"\s*({_NUM})\s*", result)
    if not m:
        return _qualitative_flag(result, reference_range)
    x = float(m.group(1))
    r = _RANGE.match(reference_range)
    if r:
        lo, hi = float(r.group(1)), float(r.group(2))
        if lo > hi:
            return None
        return "↑" if x > hi else "↓" if x < lo else ""
    r = _UPPER.match(reference_range)
    if r:
        return "↑" if x > float(r.group(1)) else None if x == float(r.group(1)) else ""
    r = _LOWER.match(reference_range)
    if r:
        return "↓" if x < float(r.group(1)) else None if x == float(r.group(1)) else ""
    return None


def check_lab_items(items: Any, derived: set[int] | frozenset[int] = frozenset()) -> list[str]:
    """Flags against ranges (items whose flag was derived from the range are not evidence),
    and items whose result was not read."""
    if not isinstance(items, list) or not items:
        return []
    out: list[str] = []
    if any(isinstance(it, dict) and not (it.get("result") or "").strip() for it in items):
        out.append("item_result_missing")
    if any(isinstance(it, dict) and re.fullmatch(r"\d+(?:\.\d+)?", str(it.get("reference_range") or "")) for it in items):
        # a reference that is a bare number is no range: its separator was read as a point or
        # lost (9-50 read 9.50)
        out.append("range_unreadable")
    if derived:
        out.append("flags_from_ranges")
    decided = 0
    for i, it in enumerate(items):
        if not isinstance(it, dict) or i in derived:
            continue
        exp = expected_flag(it.get("result"), it.get("reference_range"))
        if exp is None:
            continue
        decided += 1
        if exp != (it.get("flag") or ""):
            return out + ["flag_mismatch_range"]
    return out + (["flags_match_ranges"] if decided else [])
