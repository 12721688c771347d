"""Normal forms used to compare an extracted value with a golden value.

Both sides go through the same function, so that "張偉" and "张伟", "１９４９年１２月３１日" and
"1949-12-31", "蒙古族" and "蒙古" compare equal. The colleague-owned `extract.normalize` (dates,
sex, ethnicity, ID numbers, width) is used when it is importable and gives a well-formed answer;
the private fallbacks below keep the cross-check working (and tested) without it. Width and
whitespace are handled here (every space removed, also between Latin words: values compared
here are names, numbers and addresses), and traditional→simplified with OpenCC (t2s).
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

try:  # the shared normalisers, when they exist (extract/normalize.py)
    from extract import normalize as _ext  # type: ignore[attr-defined]
except Exception:  # pragma: no cover - depends on the colleague's module
    _ext = None


def _ext_call(name: str, value: Any, pattern: re.Pattern[str] | None = None) -> str | None:
    fn = getattr(_ext, name, None) if _ext is not None else None
    if fn is None:
        return None
    try:
        out = fn(value)
    except Exception:
        return None
    if not isinstance(out, str) or not out:
        return None
    if pattern is not None and not pattern.fullmatch(out):
        return None
    return out


# --------------------------------------------------------------------------- width, spaces, script
_WS = re.compile(r"\s+")


_HALFWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = 0x20


def to_halfwidth(text: str) -> str:
    """Full-width ASCII forms and U+3000 to ASCII (same mapping as extract.normalize, via
    str.translate: this runs on every value of every imported row)."""
    return text.translate(_HALFWIDTH)


def clean_spaces(text: str) -> str:
    return _WS.sub("", text)


@lru_cache(maxsize=1)
def _opencc():
    from opencc import OpenCC  # opencc-python-reimplemented

    return OpenCC("t2s")


@lru_cache(maxsize=1)
def _t2s_chars() -> frozenset[str]:
    """Every character that occurs in a key of OpenCC's t2s dictionaries: text without any of
    them converts to itself, so the (slow, pure-Python) converter is skipped."""
    import opencc

    base = Path(opencc.__file__).parent / "dictionary"
    chars: set[str] = set()
    for name in ("TSCharacters.txt", "TSPhrases.txt"):
        with open(base / name, encoding="utf-8") as fh:
            for line in fh:
                chars.update(line.split("\t", 1)[0])
    return frozenset(chars)


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    if not text or text.isascii():
        return text
    try:
        if _t2s_chars().isdisjoint(text):
            return text
    except OSError:  # pragma: no cover - a packaging without the text dictionaries
        pass
    return _opencc().convert(text)


_DOTS = re.compile(r"[·•・‧∙⋅．.]")


@lru_cache(maxsize=65536)
def norm_text(value: Any) -> str:
    """Width, NFKC-safe spaces and traditional→simplified: the common ground of every text field."""
    if value is None:
        return ""
    s = to_halfwidth(str(value))
    s = clean_spaces(s)
    return to_simplified(s)


def norm_name(value: Any) -> str:
    s = norm_text(value)
    return _DOTS.sub("·", s)


# --------------------------------------------------------------------------- ID numbers
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_ID18 = re.compile(r"[0-9]{17}[0-9X]")  # ASCII on purpose: \d also matches full-width digits
_ID15 = re.compile(r"[0-9]{15}")


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


_W17 = ID_WEIGHTS


def id_checksum_ok(id18: str) -> bool:
    """The GB 11643 check character. The same arithmetic as extract.checks.idnumber.check_char
    (tests assert they agree), inlined because it runs on every imported row. Division codes
    are not judged: old, abolished codes are legitimate."""
    if not id18 or not _ID18.fullmatch(id18):
        return False
    return ID_CHECK[sum(map(int.__mul__, map(int, id18[:17]), _W17)) % 11] == id18[17]


def norm_id(value: Any) -> str:
    """Upper case, half width, no spaces or dashes; a 15-digit number is upgraded to 18 (GB 11643)."""
    if value is None:
        return ""
    s = str(value)
    if _ID18.fullmatch(s):
        return s
    s = _ext_call("normalize_id_number", s) or to_halfwidth(s).upper()
    s = re.sub(r"[\s\-_]", "", s)
    if _ID15.fullmatch(s):
        body = s[:6] + "19" + s[6:]
        s = body + id_check_char(body)
    return s


def id_birth_date(id18: str) -> str | None:
    if not _ID18.fullmatch(id18):
        return None
    y, m, d = id18[6:10], id18[10:12], id18[12:14]
    try:
        date(int(y), int(m), int(d))
    except ValueError:
        return None
    return f"{y}-{m}-{d}"


def id_sex(id18: str) -> str | None:
    if not _ID18.fullmatch(id18):
        return None
    return "男" if int(id18[16]) % 2 else "女"


def norm_digits(value: Any) -> str:
    if value is None:
        return ""
    return re.sub(r"\D", "", to_halfwidth(str(value)))


# --------------------------------------------------------------------------- dates
_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5,
             "陆": 6, "柒": 7, "捌": 8, "玖": 9, "两": 2}
_DATE_PAT = re.compile(r"^(\d{4})\D{1,3}(\d{1,2})(?:\D{1,3}(\d{1,2}))?\D{0,2}$")
_DATE_ISO = re.compile(r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?")


def _cn_small(num: str) -> str:
    """'十二' → '12', '三十一' → '31', '二十' → '20', '十' → '10' (months, days)."""
    if num.isdigit():
        return num
    if "十" in num:
        a, _, b = num.partition("十")
        tens = _CN_DIGIT.get(a, 1) if a else 1
        ones = _CN_DIGIT.get(b, 0) if b else 0
        return str(tens * 10 + ones)
    return "".join(str(_CN_DIGIT[c]) for c in num if c in _CN_DIGIT)


def _cn_date(s: str) -> str:
    m = re.fullmatch(r"([〇○零O一二三四五六七八九\d]{4})年([〇一二三四五六七八九十\d]{1,3})月"
                     r"(?:([〇一二三四五六七八九十\d]{1,3})日?)?", s)
    if not m:
        return s
    year = "".join(str(_CN_DIGIT[c]) if c in _CN_DIGIT else c for c in m.group(1))
    out = f"{year}年{_cn_small(m.group(2))}月"
    if m.group(3):
        out += f"{_cn_small(m.group(3))}日"
    return out


@lru_cache(maxsize=65536)
def _norm_date_fallback(s: str) -> str | None:
    s = _cn_date(s)
    if re.fullmatch(r"\d{8}", s):
        y, mo, d = s[:4], s[4:6], s[6:]
    elif re.fullmatch(r"\d{6}", s):
        y, mo, d = s[:4], s[4:6], None
    else:
        m = _DATE_PAT.match(s)
        if not m:
            return None
        y, mo, d = m.group(1), m.group(2), m.group(3)
    try:
        if d is None:
            if not 1 <= int(mo) <= 12:
                return None
            return f"{y}-{int(mo):02d}"
        return date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        return None


def norm_date(value: Any) -> str:
    """`YYYY-MM-DD` (or `YYYY-MM`) from any printed form; the cleaned text when it is not a date."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    s = clean_spaces(to_halfwidth(str(value)))
    if _DATE_ISO.fullmatch(s):
        return s
    ext = _ext_call("normalize_date", s, _DATE_ISO)
    if ext:
        return ext
    return _norm_date_fallback(s) or s


# --------------------------------------------------------------------------- sex, ethnicity
_SEX = {"男": "男", "男性": "男", "M": "男", "MALE": "男", "1": "男",
        "女": "女", "女性": "女", "F": "女", "FEMALE": "女", "2": "女"}


@lru_cache(maxsize=4096)
def norm_sex(value: Any) -> str:
    s = norm_text(value).upper()
    if s in _SEX:
        return _SEX[s]
    return _ext_call("normalize_sex", s, re.compile("[男女]")) or s


# historical names printed on old cards (documents.md): compare under today's name
_ETHNIC_HISTORICAL = {"僮": "壮", "崩龙": "德昂", "毛难": "毛南"}


@lru_cache(maxsize=4096)
def norm_ethnicity(value: Any) -> str:
    """Without 族, and under today's name (僮 → 壮): an old card printing 僮 agrees with 壮."""
    s = norm_text(value)
    s = _ext_call("normalize_ethnicity", s) or s
    if s.endswith("族") and len(s) > 1:
        s = s[:-1]
    try:
        from extract.checks.ethnicity import canonical  # type: ignore

        c = canonical(s)
        if isinstance(c, str) and c:
            return c
    except Exception:
        pass
    return _ETHNIC_HISTORICAL.get(s, s)


# --------------------------------------------------------------------------- disability
DISABILITY_CATEGORIES = {"1": "视力残疾", "2": "听力残疾", "3": "言语残疾", "4": "肢体残疾",
                         "5": "智力残疾", "6": "精神残疾", "7": "多重残疾"}
_CATEGORY_BY_SHORT = {v[:2]: v for v in DISABILITY_CATEGORIES.values()}
DISABILITY_LEVELS = {"1": "一级", "2": "二级", "3": "三级", "4": "四级"}
_LEVEL_CHARS = {"一": "1", "壹": "1", "1": "1", "I": "1", "二": "2", "贰": "2", "2": "2", "II": "2",
                "三": "3", "叁": "3", "3": "3", "III": "3", "四": "4", "肆": "4", "4": "4", "IV": "4"}


@lru_cache(maxsize=4096)
def norm_disability_category(value: Any) -> str:
    s = norm_text(value)
    ext = _ext_call("normalize_disability_category", s)
    if ext in DISABILITY_CATEGORIES.values():
        return ext
    if s in DISABILITY_CATEGORIES:
        return DISABILITY_CATEGORIES[s]
    if s[:2] in _CATEGORY_BY_SHORT:
        return _CATEGORY_BY_SHORT[s[:2]]
    return s


@lru_cache(maxsize=4096)
def norm_disability_level(value: Any) -> str:
    ext = _ext_call("normalize_disability_level", norm_text(value))
    if ext in DISABILITY_LEVELS.values():
        return ext
    s = norm_text(value).upper()
    core = s[:-1] if s.endswith("级") else s
    if core in _LEVEL_CHARS:
        return DISABILITY_LEVELS[_LEVEL_CHARS[core]]
    return s


def category_code(category: str) -> str | None:
    for k, v in DISABILITY_CATEGORIES.items():
        if v == category:
            return k
    return None


def level_code(level: str) -> str | None:
    for k, v in DISABILITY_LEVELS.items():
        if v == level:
            return k
    return None


# --------------------------------------------------------------------------- registry
NORMALISERS = {
    "name": norm_name,
    "text": norm_text,
    "sex": norm_sex,
    "ethnicity": norm_ethnicity,
    "date": norm_date,
    "id": norm_id,
    "digits": norm_digits,
    "disability_category": norm_disability_category,
    "disability_level": norm_disability_level,
    "address": norm_text,
}


def normalise(kind: str, value: Any) -> str:
    if isinstance(value, (list, dict)):
        return ""
    return NORMALISERS.get(kind, norm_text)(value)


__all__ = [
    "to_halfwidth", "clean_spaces", "to_simplified", "norm_text", "norm_name", "norm_id",
    "norm_digits", "norm_date", "norm_sex", "norm_ethnicity", "norm_disability_category",
    "norm_disability_level", "id_checksum_ok", "id_check_char", "id_birth_date", "id_sex",
    "normalise", "NORMALISERS", "DISABILITY_CATEGORIES", "DISABILITY_LEVELS"
]
