"""Tables from text geometry (lab reports): header row -> columns, y-clusters -> rows.

1. Header: lines whose text is made only of header words (序号 项目 缩写 结果 提示 单位 参考范围 …,
   one column -> synonyms, from the document type) are header pieces; pieces on one row with
   at least three columns, among them the result and the name or code, form a header row.
   A column name met twice on one header row starts a second table printed beside the first
   (the page is split in the widest empty stripe between them).
2. Columns: boundaries between neighbouring header words, placed in the widest stripe that
   no data character covers (data are often wider than their header), or on a vertical ruling
   line when the table is ruled. A code column whose header word was not read is found as a
   stripe of abbreviations inside the result (or name) column, an empty stripe away from the rest.
3. Rows: every data line is cut into pieces at the column boundaries (by character positions,
   so a line the OCR merged over two cells is split again), pieces are clustered by height into
   rows, or assigned to the bands between horizontal ruling lines when the table is ruled.
   The table ends at a line with an end word (采样时间, 检验者 …; one character of a long one may
   be misread), a date with a time, or a large vertical gap.
4. Items: {name, code (when a code column exists), result, unit, reference_range, flag}; the
   flag comes from its own column or glued to the result (`2.11低`, `14 H`) and is normalised
   to `↑`, `↓` or ``. The ranges of a page share one separator: a range read with another one
   (`-` for `--`, a dot, none) takes the page's, at a low confidence (:func:`harmonize_ranges`).
5. Misreadings of a degraded copy, mended only where one answer fits, always at a confidence
   below the review threshold (a reviewer confirms; see :func:`snap_names`): an item name
   snapped to the vocabulary of test names (`extract/data/lab_test_names.tsv`) when the match
   is close and unique, with the row's unit and reference interval as supporting evidence
   (`extract/data/lab_reference_ranges.tsv`: a name not read at all, 钾 or 氯, is given by
   them alone when exactly one usual interval fits); a row number or a code column read into
   the names taken off; a unit or abbreviation one character off the test's usual one; a unit
   read without its last letter (`U/`); `阴性(一)` for `阴性(-)`; a faint lone `-` result.

Ruling lines are found with OpenCV (morphological opening of the binarised view with long
thin kernels) when an image is given.
"""
from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from extract.layout import char_boxes
from extract.verify import COPY_NOTE_CHARS
from ocr.base import OcrLine

DEFAULT_COLUMNS: dict[str, list[str]] = {
    "seq": ["序号", "序", "No", "NO", "No."],
    "name": ["项目名称", "检验项目", "检测项目", "项目", "中文名称", "名称"],
    "code": ["缩写", "代号", "英文名称", "英文缩写", "代码"],
    "result": ["结果", "检验结果", "测定结果", "检测结果"],
    "flag": ["提示", "标志", "异常提示", "状态"],
    "unit": ["单位"],
    "reference_range": ["参考范围", "参考值", "参考区间", "参考值范围", "生物参考区间"],
}
DEFAULT_END = ["采样时间", "接收时间", "报告时间", "检验者", "检验人", "检验医师", "审核者", "审核人", "审核医师",
               "备注", "注:", "本报告", "此结果", "本检验结果"]
ITEM_KEYS = ("name", "code", "result", "unit", "reference_range", "flag")

_UP = {"↑", "H", "HH", "高", "偏高", "个", "^", "▲", "↑↑", "升高", "†"}  # † and 个: ↑ misread
_DOWN = {"↓", "L", "LL", "低", "偏低", "▼", "↓↓", "降低"}
_GLUED_FLAG = re.compile(
    r"^(?P<r>.*?[\d)+])\s*(?P<f>↑↑|↓↓|↑|↓|HH|LL|H|L|偏高|偏低|高|低|个|▲|▼|†)$"  # 2.11低, 14 H, 1+↑, 184†
    r"|^(?P<r2>.*?\S)\s*(?P<f2>↑↑|↓↓|↑|↓)$"  # an arrow after any result: 阳性↑
)


def normalize_flag(s: str | None) -> str:
    """`↑`, `↓` or `` from H/L/高/低/↑/↓ (and 个, a common misreading of ↑)."""
    t = re.sub(r"[\s\u3000*]+", "", unicodedata.normalize("NFKC", s or "")).upper()
    if t in {x.upper() for x in _UP}:
        return "↑"
    if t in {x.upper() for x in _DOWN}:
        return "↓"
    return ""


def split_result_flag(s: str) -> tuple[str, str]:
    """`2.11低` -> (`2.11`, `↓`); `14 H` -> (`14`, `↑`); `阴性` -> (`阴性`, ``)."""
    t = s.strip()
    m = _GLUED_FLAG.match(t)
    if m:
        r, f = (m.group("r"), m.group("f")) if m.group("r") else (m.group("r2"), m.group("f2"))
        if r and r.strip():
            return r.strip(), normalize_flag(f)
    return t, ""


def _fold_cell(t: str) -> str:
    """Half-width digits, letters and ASCII punctuation; other characters as printed (～, ≥)."""
    out = []
    for ch in t:
        o = ord(ch)
        if ch.isspace() or ch == "\u3000":
            continue
        if 0xFF01 <= o <= 0xFF5D:  # full-width ASCII, but not ～ (FF5E)
            ch = chr(o - 0xFEE0)
        elif ch == "\u00b5":  # micro sign -> Greek mu
            ch = "μ"
        out.append(ch)
    return "".join(out)


_FLAG_PREFIX = re.compile(r"^(↑↑|↓↓|↑|↓|HH|LL|H|L|偏高|偏低|高|低)(?=[A-Za-zμ%×*0-9/])")
_KNOWN_UNITS_WITH_L = {"L/L", "L"}


def split_flag_unit(t: str) -> tuple[str, str]:
    """A flag printed in a column without a header lands in the unit's cell: `Hμmol/L` ->
    (`↑`, `μmol/L`). `L/L` (a haematocrit unit) stays a unit."""
    m = _FLAG_PREFIX.match(t)
    if not m or t in _KNOWN_UNITS_WITH_L:
        return "", t
    return normalize_flag(m.group(1)), t[m.end():]


def clean_name(t: str) -> str:
    t = _fold_cell(t)
    t = re.sub(r"^[.·,，、'`˙•:：;；]+(?=\S)", "", t)  # a speck before the name (.低密度脂蛋白胆固醇)
    return re.sub(r"^[yY](?=[-－])", "γ", t)  # γ-谷氨酰转肽酶: γ read as y


_NAME_THEN_NUMBER = re.compile(r"^(?P<n>.*[\u4e00-\u9fff)）])\s*(?P<r>\d+\.\d+|\d+)$")


def _result_in_name(name: str) -> tuple[str, str] | None:
    """A name cell that holds the result after the name (嗜碱性粒细胞百分比0.4): (name, result)
    when the number is a decimal or the name before it is a known test's (a name may end in a
    digit of its own: 维生素B12, 25-羟基维生素D3, which end in a letter before it anyway)."""
    m = _NAME_THEN_NUMBER.match(name or "")
    if not m:
        return None
    if "." in m.group("r") or clean_name(m.group("n")) in lab_names():
        return m.group("n"), m.group("r")
    return None


def strip_row_numbers(items: list) -> None:
    """A row's number read into its name's cell (12咖酸性粒细胞百分比: the No column not found,
    its digits glued to the name): cut off when it is the row's place in the table or counts on
    from the row above or up to the row below (a table continued in a second block starts at
    10); digits that are not (25-羟基维生素D, 1,25-…) stay."""
    nums = []
    for it in items:
        m = re.match(r"^(\d{1,3})[.、]?(?=[\u4e00-\u9fff])", it.value.get("name", ""))
        nums.append((int(m.group(1)), m.end()) if m else None)
    for i, it in enumerate(items):
        if nums[i] is None:
            continue
        n = nums[i][0]
        before = i > 0 and nums[i - 1] is not None and nums[i - 1][0] == n - 1
        after = i + 1 < len(items) and nums[i + 1] is not None and nums[i + 1][0] == n + 1
        if n == i + 1 or before or after:
            it.value["name"] = it.value["name"][nums[i][1]:]


def clean_range(t: str) -> str:
    """As printed; an ASCII ~ between numbers is the full-width ～ of Chinese reports. A range
    of two numbers does not end in a dot (a speck read after it: `4.30-5.80.`) nor holds a
    colon (a dot read as one: `20:0-50.0`), nor begins with * or ends in a dash (specks:
    `*3.10-8.00`, `20.0～40.0-`)."""
    t = fix_qualitative(re.sub(r"(?<=\d)~(?=\d)", "～", _fold_cell(t)))
    t = _strip_specks(t)
    u = re.sub(r"[-—–~～]$", "", re.sub(r"^\*(?=\d)", "", t))
    if u != t and _RANGE_SEP.match(u):
        return u  # a speck before the range read as * (*3.10-8.00), or a dash after it
    u = re.sub(r"(?<=\d)[:：](?=\d)", ".", t.rstrip(".,"))
    if u != t and (_RANGE_SEP.match(u) or _RANGE_NO_SEP.match(u)):
        return u  # (two decimals glued, 82.0100:0: harmonize_ranges parts them)
    u = re.sub(r"(?<=\d)[A-Za-z]$", "", t)
    if u != t and _RANGE_SEP.match(u):
        return u  # a mark after the range read as a letter (27.0-34.0V): no range ends in one
    # a decimal point read as a comma (8,50～5.30, 1.003-1,030): Chinese reports print points;
    # both bounds then have the same decimals
    u = re.sub(r"(?<=\d),(?=\d)", ".", t)
    m = _RANGE_SEP.match(u)
    if "." not in t and all(len(g) == 3 for g in re.findall(r"(?<=\d),(\d+)", t)):
        return t  # 4,000-10,000: thousands, maybe
    return u if u != t and m and _decimals(m.group("lo")) == _decimals(m.group("hi")) > 0 else t


def comma_point(res: str, reference_range: str) -> str | None:
    """A result read with a comma or a colon for its point (`39,7` beside 20.0-50.0, `130:3`
    beside ≥90.0): the number with a point when the digits after the mark are as many as the
    reference's decimals; else None (a titre, 1:320 beside <1:100, is a ratio: as read)."""
    m = re.fullmatch(r"(\d+)[,:：](\d+)", res or "")
    if not m or re.search(r"[:：]", reference_range or ""):
        return None
    bounds = re.findall(r"\d+(?:\.\d+)?", reference_range or "")
    k = len(m.group(2))
    return f"{m.group(1)}.{m.group(2)}" if bounds and all(_decimals(b) == k for b in bounds) else None


# a speck of toner read at either end of a number (.102, 316-354·): Chinese reports print a
# leading zero (0.17), so a number does not begin with a dot
_END_SPECKS = re.compile(r"^[.·•'`˙,]+(?=[0-9])|(?<=[0-9])[·•'`˙]+$")


def _strip_specks(t: str) -> str:
    return _END_SPECKS.sub("", t)


def clean_number(t: str) -> str:
    """A numeric result read with a speck before or after it (`3.7.`, `.102`), or with a piece of
    a copy's note before it (业26: 此复印件仅供社保业务使用 across the row): the number."""
    t = _strip_specks(t)
    m = re.fullmatch(r"([\u4e00-\u9fff]{1,2})([<>≤≥]?\d+(?:\.\d+)?)", t)
    if m and all(ch in COPY_NOTE_CHARS for ch in m.group(1)):
        t = m.group(2)
    return t[:-1] if re.fullmatch(r"[<>≤≥]?\d+(?:\.\d+)?[.,]", t) else t


# qualitative results and references as printed (the sign agrees with the word)
QUALITATIVE = ("阴性", "阳性", "弱阳性", "阴性(-)", "阳性(+)", "弱阳性(±)", "阳性(++)", "阳性(+++)", "阳性(++++)")
QUALITATIVE_EN = ("Neg", "Pos", "Negative", "Positive")


def snap_qualitative(t: str) -> str | None:
    """A qualitative word with one character misread (`明性(-)`) -> the one word it is one edit
    from (`阴性(-)`), or None (as read, not qualitative, or two as near: `明性`)."""
    if not t or t in QUALITATIVE or t in QUALITATIVE_EN:
        return None
    bare = re.sub(r"[.·,。'`]+$", "", t)
    if bare != t and bare in QUALITATIVE_EN:  # Neg. : a speck after the word
        return bare
    if re.fullmatch(r"[A-Za-z]{3,8}", t):
        # Neg read as Nog or Nieg: the same first letter, one edit
        en = [q for q in QUALITATIVE_EN if q[0] == t[0] and _edit_distance(t, q, 1) <= 1]
        return en[0] if len(en) == 1 else None
    if "性" not in t:
        return None
    near = [q for q in QUALITATIVE if _edit_distance(t, q, 1) <= 1]
    return near[0] if len(near) == 1 and len(t) >= 3 else None


def fix_qualitative(t: str) -> str:
    """The sign in brackets of a qualitative result or reference: `阴性(一)` is `阴性(-)` (the
    dash read as the character 一, or as a long dash), `阳性(十)` is `阳性(+)`."""
    t = re.sub(r"\((?:一|—|－|–|_)\)", "(-)", t)
    return re.sub(r"\(十\)", "(+)", t)


# units whose letter case the OCR may miss (p/P, f/F look alike): read case-insensitively
_UNITS = ["pg", "fL", "g/L", "g/dL", "mg/L", "mg/dL", "μg/L", "ng/mL", "pg/mL", "mmol/L", "μmol/L", "nmol/L",
          "pmol/L", "U/L", "IU/L", "mIU/L", "μIU/mL", "mIU/mL", "U/mL", "KU/L", "mm/h", "mmHg", "s", "%", "L/L",
          "mL/min", "mL/min/1.73m2", "mOsm/kg", "cells/μL", "/HP", "/LP", "/μL"]
_UNIT_CASE = {u.lower(): u for u in _UNITS}
# units a cell may be read as that say which tests the row can be (the vocabulary's units)
_KNOWN_UNITS = set(_UNITS) | {"10⁹/L", "10¹²/L", "10⁶/L", "×10⁹/L", "×10¹²/L", "×10^9/L", "×10^12/L"}


@lru_cache(maxsize=1)
def known_units() -> frozenset[str]:
    """The units above and every unit of the vocabulary of test names."""
    return frozenset(_KNOWN_UNITS | {u for us in lab_names().values() for u in us})
# a slash the OCR lost (gL for g/L): only where no other unit reads the same without it
_NO_SLASH: dict[str, str] = {}
for _u in _UNITS:
    _k = _u.lower().replace("/", "")
    if "/" in _u and _k not in _UNIT_CASE:
        _NO_SLASH[_k] = None if _k in _NO_SLASH else _u  # type: ignore[assignment]


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# a power of ten printed as a superscript and read on the line: 109/L is 10⁹/L (nobody prints
# a count per 109 litres); the powers that count units use
_FLAT_POWER = re.compile(r"^(?P<p>[×xX]?)10(?P<e>3|6|9|12)/(?P<t>L|mL|μL|l|ml|μl)$")
# an exponent with raised and flat digits mixed: 10¹2/L, 101²/L
_MIXED_POWER = re.compile(r"10((?=[0-9⁰¹²³⁴⁵⁶⁷⁸⁹]*[⁰¹²³⁴⁵⁶⁷⁸⁹])(?=[0-9⁰¹²³⁴⁵⁶⁷⁸⁹]*[0-9])[0-9⁰¹²³⁴⁵⁶⁷⁸⁹]{2})/")
# the superscript not read at all (10/L), or read as a speck (10·/L, 10'/L)
_LOST_POWER = re.compile(r"^(?P<p>[×xX]?)10[·.'`°˙‧∙•,0oO]?/(?P<t>L)$")  # 100/L: the raised 9 read as 0


def clean_unit(t: str) -> str:
    t = _fold_cell(t).rstrip(".,，。、")
    # a digit or mark and a speck before a known unit (1·×10^9/L): the unit
    m = re.match(r"^[0-9一]?[·•'`˙.]+(.+)$", t)
    if m and m.group(1) in known_units():
        return m.group(1)
    t = re.sub(r"μ+", "μ", t)
    # the micro sign read as a Latin u (umol/L, /uL)
    mu = re.sub(r"(?:^|(?<=/))u(?=[a-zA-Z])", "μ", t)
    if mu != t and mu.lower() in _UNIT_CASE:
        return _UNIT_CASE[mu.lower()]
    # an exponent read partly raised, partly on the line (10¹2/L): one superscript exponent
    t = _MIXED_POWER.sub(lambda m: "10" + m.group(1).translate(_SUPERSCRIPT) + "/", t)
    t = re.sub(r"(?<=[A-Za-zμ])1(?=[/A-Za-z]|$)", "l", t)
    if t.lower() in _UNIT_CASE:
        return _UNIT_CASE[t.lower()]
    m = _FLAT_POWER.match(t)
    if m:
        p = "×" if m.group("p") in ("x", "X", "×") else ""
        tail = m.group("t").replace("l", "L")
        return f"{p}10{m.group('e').translate(_SUPERSCRIPT)}/{tail}"
    if len(t) > 2 and t[1:].lower() in _UNIT_CASE and not _FLAG_PREFIX.match(t):
        # one mark before a known unit (an arrow of a header-less flag column read as 1 or 一,
        # a speck): the unit
        return _UNIT_CASE[t[1:].lower()]
    if re.search(r"[μmnpk]$", t) and (t + "L").lower() in _UNIT_CASE:
        return _UNIT_CASE[(t + "L").lower()]  # a unit cannot end in a prefix: /μ is /μL
    m = re.fullmatch(r"([×xX]?10(?:[\^*](?:9|12)|⁹|¹²))L", t)
    if m:  # a count unit with its slash lost (×10^9L): nobody prints a power of ten of litres
        return m.group(1) + "/L"
    return _NO_SLASH.get(t.lower()) or t


# how sure a unit is that was completed or corrected rather than read as printed
UNIT_GUESS_CONF = 0.6


def guess_unit(t: str) -> str | None:
    """A unit read with a character lost or misread where only one known unit fits: `U/`
    (the L lost at the cell's edge) -> `U/L`, `mmol/t` -> `mmol/L`, `×10~9/L` -> `×10^9/L`,
    `%6` -> `%`.
    None for a known unit, an empty one, or one that no rule completes."""
    if not t or t in known_units():
        return None
    if re.fullmatch(r"%[0-9A-Za-z.,·'`]", t):
        return "%"  # nothing follows a per-cent sign: a speck or the cell's border read after it
    if t.endswith("/") and (t + "L").lower() in _UNIT_CASE:
        return _UNIT_CASE[(t + "L").lower()]
    if re.fullmatch(r"×?10[\^*](?:9|12)", t):
        return t + "/L"  # a cell count's power of ten, its /L lost at the cell's edge (10^9)
    if len(t) > 2 and t[0] in "il1|I" and ("/" + t[1:]).lower() in _UNIT_CASE:
        return _UNIT_CASE[("/" + t[1:]).lower()]  # iμL: the slash read as a letter
    m = re.fullmatch(r"(.+/)[tI|l1]", t)
    if m and (m.group(1) + "L").lower() in _UNIT_CASE:
        return _UNIT_CASE[(m.group(1) + "L").lower()]
    m = re.fullmatch(r"([×xX]?)10[~\-ˆ＾°]([0-9]{1,2})/(L|mL|μL)", t)
    if m:
        return f"{m.group(1).replace('x', '×').replace('X', '×')}10^{m.group(2)}/{m.group(3)}"
    return None


# a unit and its reference read as one cell, the column gap between them lost on a blurred or
# downscaled page: the unit, then a range of two numbers or a bound after a comparison sign
_WHOLE_RANGE = re.compile(r"^(?P<lo>\d+(?:\.\d+)?)(?:-{1,2}|～|~|—{1,2}|–)(?P<hi>\d+(?:\.\d+)?)$")
_WHOLE_BOUND = re.compile(r"^(?:<|>|≤|≥|＜|＞|<=|>=)\d+(?:\.\d+)?$")
# a count unit printed with its power of ten (10^9/L, ×10*12/L, 10⁹/L)
_POWER_UNIT = re.compile(r"^[×]?10(?:[\^*]?\d{1,2}|[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})/(?:L|mL|μL)$")


def _unit_like(u: str) -> bool:
    """A known unit, a count unit with its power, or a short Latin word with a slash in it (a
    unit with a letter misread: B/L for g/L, which the test's usual unit may then settle)."""
    return u in known_units() or bool(_POWER_UNIT.match(u)) or (
        "/" in u and len(u) <= 10 and not re.search(r"[\u4e00-\u9fff\d.]$", u) and not re.search(r"[\u4e00-\u9fff]", u))


def split_unit_range(t: str) -> tuple[str, str, str] | None:
    """A unit and its reference read as one cell (`10^9/L3.50～9.50`, `fL82.0～100.0`, a flag
    before them: `高%0.4～8.0`): (flag, unit, reference range) for the first cut where what
    precedes is a unit (a flag mark before it allowed) and what follows a whole reference (a
    lower bound not above the upper one); None otherwise (`73m2≥90.0`: no unit)."""
    for k in range(1, len(t or "")):
        head, tail = t[:k], t[k:]
        m = _WHOLE_RANGE.match(tail)
        if not (m and float(m.group("lo")) <= float(m.group("hi")) or _WHOLE_BOUND.match(tail)):
            continue
        flag, head = split_flag_unit(head)
        unit = clean_unit(head)
        unit = guess_unit(unit) or unit
        if unit and _unit_like(unit):
            return flag, unit, clean_range(tail)
    return None


# how unsure the recogniser is of a last `1` that may be an arrow misread
ARROW_ONE_MAX_CONF = 0.8


def _decimals(t: str) -> int:
    return len(t.split(".")[1]) if "." in t else 0


def _pointed(digits: str, k: int) -> str | None:
    """Digits with a decimal point put `k` from their end (`182`, 1 -> `18.2`), or None when
    too short or when the number would begin with a 0 before more digits (`05.5`)."""
    if k < 1 or len(digits) <= k:
        return None
    cand = f"{digits[:-k]}.{digits[-k:]}"
    return None if len(cand.split(".")[0]) > 1 and cand[0] == "0" else cand


# how sure a result is whose decimal point was put back (below the review threshold)
POINT_LOST_CONF = 0.5


def point_lost(res: str, reference_range: str, flag: str) -> str | None:
    """A numeric result read without its decimal point (`182` for `18.2`, `132` for `1.32`),
    or None. The point is put where the reference's bounds have theirs (a result is printed
    with its reference's decimals) only when the page's own flag says so: the mark printed
    (`↓`) is the one the pointed result implies and not the one the read result does, or no
    mark was read and the pointed result lies inside the reference while the read one is out
    of it (a laboratory marks every result out of its range)."""
    from extract.checks.records import expected_flag

    m = _RANGE_SEP.match(reference_range or "")
    if not m or not re.fullmatch(r"\d{2,}", res or ""):
        return None
    k = _decimals(m.group("lo"))
    cand = _pointed(res, k) if _decimals(m.group("hi")) == k else None
    if cand is None:
        return None
    as_read, pointed = expected_flag(res, reference_range), expected_flag(cand, reference_range)
    if as_read is None or pointed is None or as_read == pointed:
        return None
    return cand if (flag or "") == pointed else None


# a whole number read this many times above its reference's upper bound, where the number
# without its last digit is near the range, had an arrow read as that digit (5021 for 502↑ in
# 125-350): no laboratory result is ten times out by chance more often than an arrow is misread
ARROW_JUMP = 3.0


def arrow_read_as_one(res: str, confs: list[float], reference_range: str) -> tuple[str, str] | None:
    """A flag arrow printed after the result (`6.90↑`, `3↓`, `2+↑`) read as a digit `1` or `8`
    (`6.901`, `46.78`, `31`, `2+1`): (the result without it, the flag) when the recogniser was
    unsure of that last digit, or it is a decimal's digit beyond the reference's decimals
    (`16.51` in 1.7～13.7, however sure), the result without it is outside its reference (the arrow is
    printed only then) and, for a decimal, has the reference's decimals where the result as read
    has more; a whole number when it is normal as read, or when it is :data:`ARROW_JUMP` times
    above the upper bound and the number without the digit lies nearer the range (5021 for
    502↑ in 125-350, not 11 in 3-9); else None."""
    from extract.checks.records import expected_flag

    if len(res) < 2 or res[-1] not in "18" or not confs:
        return None
    stripped = res[:-1]
    bounds = re.findall(r"\d+(?:\.\d+)?", reference_range)
    # a decimal with one digit more than its reference's bounds print, and the reference's
    # decimals without it: the decimals say what the recogniser, sure of a glued arrow's
    # stroke (16.5↑ read 16.51 at 0.99), does not
    by_decimals = bool(bounds) and re.fullmatch(r"\d+\.\d+", stripped) is not None \
        and _decimals(res) > _decimals(bounds[0]) == _decimals(stripped) == _decimals(bounds[-1])
    if confs[-1] >= ARROW_ONE_MAX_CONF and not by_decimals:
        return None
    if re.fullmatch(r"\d?\++", stripped):
        if res[-1] != "1":
            return None
        # 2+1: no qualitative result ends in a digit after its pluses
    elif re.fullmatch(r"\d+(?:\.\d+)?", stripped):
        if not bounds:
            return None
        if "." in res and not (_decimals(res) > _decimals(bounds[0]) == _decimals(stripped)):
            return None
        if "." not in res and expected_flag(res, reference_range) != "" and not _jumped(res, stripped, bounds):
            return None  # a whole number: one normal as read (31 in 7-45), or far out (5021), not 11 in 3-9
    else:
        return None
    flag = expected_flag(stripped, reference_range)
    return (stripped, flag) if flag else None


def _jumped(res: str, stripped: str, bounds: list[str]) -> bool:
    """Is the whole number `res` far above its reference's upper bound, and `stripped` nearer
    the range (by ratio)?"""
    import math

    hi = float(bounds[-1])
    lo = float(bounds[0]) if len(bounds) > 1 else 0.0
    r, s = float(res), float(stripped)
    if hi <= 0 or s <= 0 or r < ARROW_JUMP * hi:
        return False

    def off(v: float) -> float:
        return math.log(v / hi) if v > hi else math.log(lo / v) if lo > 0 and v < lo else 0.0

    return off(s) < off(r)


# blood cell counts per litre: the red cells in 10¹²/L, white cells, their kinds and the
# platelets in 10⁹/L (the units of every Chinese blood-count report)
_RBC_COUNT = re.compile(r"^红细胞(?:计数|数|总数)?$")
_CELL_COUNT = re.compile(r"(?:白细胞|血小板|粒细胞|淋巴细胞|单核细胞)(?:计数|数|总数|绝对值)$|^(?:白细胞|血小板)$")


def restore_lost_power(unit: str, name: str) -> str | None:
    """`10/L` (the superscript power not read) for a blood cell count: the power its unit
    always has (`10¹²/L` red cells, `10⁹/L` white cells and platelets); None otherwise."""
    m = _LOST_POWER.match(unit)
    if not m:
        return None
    p = "×" if m.group("p") in ("x", "X", "×") else ""
    if _RBC_COUNT.match(name):
        return f"{p}10¹²/L"
    if _CELL_COUNT.search(name):
        return f"{p}10⁹/L"
    return None


@dataclass
class Piece:
    """Part of one line that falls into one column."""

    line: int
    start: int
    end: int
    text: str
    bbox: list[float]
    confs: list[float]
    col: int = -1

    @property
    def cy(self) -> float:
        return (self.bbox[1] + self.bbox[3]) / 2

    @property
    def h(self) -> float:
        return self.bbox[3] - self.bbox[1]


@dataclass
class Table:
    keys: list[str]  # column keys, left to right
    bounds: list[float]  # len(keys)+1 x positions: column i is [bounds[i], bounds[i+1])
    header_bbox: list[float]
    rows: list[dict[str, list[Piece]]] = field(default_factory=list)
    ruled: bool = False

    @property
    def bbox(self) -> list[float]:
        bs = [self.header_bbox] + [p.bbox for r in self.rows for ps in r.values() for p in ps]
        return [min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs)]


@dataclass
class Rulings:
    horizontal: list[tuple[float, float, float]]  # (y, x0, x1)
    vertical: list[tuple[float, float, float]]  # (x, y0, y1)


def find_rulings(image: np.ndarray | None, line_height: float = 20.0) -> Rulings:
    """Horizontal and vertical ruling lines (morphological opening with long thin kernels)."""
    import cv2

    if image is None:
        return Rulings([], [])
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    bw = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    H, W = bw.shape
    hl = max(25, int(3.0 * line_height))
    vl = max(15, int(1.4 * line_height))
    hmask = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (hl, 1)))
    vmask = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, vl)))
    hor, ver = [], []
    n, _, st, _ = cv2.connectedComponentsWithStats(hmask, 8)
    for i in range(1, n):
        x, y, w, h, _ = st[i]
        if w >= hl and h <= max(6, line_height * 0.3):
            hor.append((y + h / 2.0, float(x), float(x + w)))
    n, _, st, _ = cv2.connectedComponentsWithStats(vmask, 8)
    for i in range(1, n):
        x, y, w, h, _ = st[i]
        if h >= vl and w <= max(6, line_height * 0.3):
            ver.append((x + w / 2.0, float(y), float(y + h)))
    return Rulings(sorted(hor), sorted(ver))


# ------------------------------------------------------------------------------- header
# punctuation and specks of toner read between or beside a header's words (·结果)
_HEADER_SPECKS = ":：.、|·•‧∙˙`'‘’,，;；"


def _segment(sq: str, vocab: list[tuple[str, str]]) -> list[tuple[str, int, int]] | None:
    """Cut `sq` entirely into header words (longest first); None when it cannot be."""
    out, i = [], 0
    while i < len(sq):
        if sq[i] in _HEADER_SPECKS:
            i += 1
            continue
        for word, key in vocab:
            if sq.startswith(word, i):
                out.append((key, i, i + len(word)))
                i += len(word)
                break
        else:
            return None
    return out or None


@dataclass
class _HeaderWord:
    key: str
    line: int
    x0: float
    x1: float
    y0: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


def _header_words(lines: list[OcrLine], columns: dict[str, list[str]]) -> list[_HeaderWord]:
    vocab = sorted(
        ((unicodedata.normalize("NFKC", w).replace(" ", ""), k) for k, ws in columns.items() for w in ws),
        key=lambda kv: -len(kv[0]),
    )
    out = []
    for li, l in enumerate(lines):
        pos = [i for i, ch in enumerate(l.text) if not (ch.isspace() or ch == "\u3000")]
        sq = "".join(unicodedata.normalize("NFKC", l.text[i])[:1] for i in pos)
        seg = _segment(sq, vocab)
        if not seg:
            continue
        xs = char_boxes(l)
        for key, a, b in seg:
            out.append(_HeaderWord(key, li, xs[pos[a]][0], xs[pos[b - 1]][1], l.bbox[1], l.bbox[3]))
    return out


def _header_rows(words: list[_HeaderWord]) -> list[list[_HeaderWord]]:
    words = sorted(words, key=lambda w: (w.y0 + w.y1) / 2)
    rows: list[list[_HeaderWord]] = []
    for w in words:
        cy, h = (w.y0 + w.y1) / 2, w.y1 - w.y0
        if rows:
            r = rows[-1]
            rcy = statistics.mean((x.y0 + x.y1) / 2 for x in r)
            if abs(cy - rcy) < 0.6 * h:
                r.append(w)
                continue
        rows.append([w])
    out = []
    for r in rows:
        r.sort(key=lambda w: w.x0)
        keys = {w.key for w in r}
        if len(keys) >= 3 and "result" in keys and ({"name", "code"} & keys):
            out.append(r)
    return out


def _split_groups(row: list[_HeaderWord]) -> list[list[_HeaderWord]]:
    groups: list[list[_HeaderWord]] = [[]]
    seen: set[str] = set()
    for w in row:
        if w.key in seen:
            groups.append([])
            seen = set()
        groups[-1].append(w)
        seen.add(w.key)
    return [g for g in groups if len({w.key for w in g}) >= 3 and "result" in {w.key for w in g}]


# ------------------------------------------------------------------------------- geometry
def _is_space(ch: str) -> bool:
    return ch.isspace() or ch == "\u3000"


def _char_extents(l: OcrLine) -> list[tuple[float, float]]:
    """Each character's x-extent: its cell from `char_boxes`, tightened to about one character
    width around its centre (a character next to a wide gap does not own the gap)."""
    h = max(1.0, l.bbox[3] - l.bbox[1])
    out = []
    for ch, (a, b) in zip(l.text, char_boxes(l)):
        c = (a + b) / 2
        if b - a > 1.3 * h:  # the cell spans a gap: re-centre on the character
            c = _centre(l, len(out))
        hw = 0.5 * h if ord(ch) > 0x2000 else 0.3 * h
        out.append((max(a, c - hw), min(b, c + hw)))
    return out


def _centre(l: OcrLine, i: int) -> float:
    x0, _, x1, _ = l.bbox
    n = max(1, len(l.text))
    if l.char_positions and len(l.char_positions) == len(l.text):
        return x0 + l.char_positions[i] * (x1 - x0)
    return x0 + (i + 0.5) * (x1 - x0) / n


def _tokens(l: OcrLine) -> list[tuple[int, int, float, float]]:
    """Runs of non-space characters of a line: (start, end, x0, x1). A run is also cut where
    two neighbouring characters stand far apart (the OCR joined two cells without a space)."""
    xs = _char_extents(l)
    centres = [_centre(l, i) for i in range(len(l.text))]
    far = 1.8 * max(1.0, l.bbox[3] - l.bbox[1])
    out, i, n = [], 0, len(l.text)
    while i < n:
        if _is_space(l.text[i]):
            i += 1
            continue
        j = i + 1
        while j < n and not _is_space(l.text[j]) and centres[j] - centres[j - 1] <= far:
            j += 1
        out.append((i, j, xs[i][0], xs[j - 1][1]))
        i = j
    return out


def _coverage(lines: list[OcrLine], ids: list[int], x0: float, x1: float) -> np.ndarray:
    """How many text tokens cover each pixel column of [x0, x1)."""
    n = max(1, int(np.ceil(x1 - x0)))
    cnt = np.zeros(n, np.int32)
    for li in ids:
        for _, _, a, b in _tokens(lines[li]):
            ia, ib = int(max(0, np.floor(a - x0))), int(min(n, np.ceil(b - x0)))
            if ib > ia:
                cnt[ia:ib] += 1
    return cnt


def _best_cut(cnt: np.ndarray, x0: float, lo: float, hi: float) -> float | None:
    """The middle of the widest stretch of least coverage in [lo, hi]."""
    ia, ib = int(max(0, np.floor(lo - x0))), int(min(len(cnt), np.ceil(hi - x0)))
    if ib - ia < 1:
        return None
    seg = cnt[ia:ib]
    m = seg.min()
    best, bl, run = None, 0, None
    for k, v in enumerate(seg):
        if v == m:
            run = k if run is None else run
            if k - run + 1 > bl:
                bl, best = k - run + 1, (run, k)
        else:
            run = None
    if best is None:
        return None
    return x0 + ia + (best[0] + best[1] + 1) / 2.0


def _column_of(cx: float, bounds: list[float]) -> int:
    for c in range(len(bounds) - 1):
        if bounds[c] <= cx < bounds[c + 1]:
            return c
    return -1


def _pieces(lines: list[OcrLine], li: int, bounds: list[float], rules: list[float] = ()) -> list[Piece]:
    """Cut a line into column pieces: a space-separated token lying mostly in one column goes
    there whole (a unit overflowing into the next column), others are cut by their
    characters' centres (cells the OCR read as one run; always across a ruling line)."""
    l = lines[li]
    xs = _char_extents(l)
    confs = (
        list(l.char_confidences) if l.char_confidences and len(l.char_confidences) == len(l.text) else [l.confidence] * len(l.text)
    )
    runs: list[list[int]] = []  # [col, start, end]
    for s, e, a, b in _tokens(l):
        w = max(1e-6, b - a)
        overlaps = [max(0.0, min(b, bounds[c + 1]) - max(a, bounds[c])) for c in range(len(bounds) - 1)]
        best = int(np.argmax(overlaps)) if overlaps else -1
        crosses_rule = any(a + 2 < x < b - 2 for x in rules)
        if best >= 0 and overlaps[best] >= 0.7 * w and not crosses_rule:
            parts = [(best, s, e)]
        else:
            parts = []
            for i in range(s, e):
                c = _column_of((xs[i][0] + xs[i][1]) / 2, bounds)
                if parts and parts[-1][0] == c:
                    parts[-1] = (c, parts[-1][1], i + 1)
                else:
                    parts.append((c, i, i + 1))
        for c, ps, pe in parts:
            if runs and runs[-1][0] == c:
                runs[-1][2] = pe
            else:
                runs.append([c, ps, pe])
    pieces = []
    for col, s, e in runs:
        if col < 0:
            continue
        bx = [xs[s][0], l.bbox[1], xs[e - 1][1], l.bbox[3]]
        pieces.append(Piece(li, s, e, l.text[s:e], bx, [c for c, ch in zip(confs[s:e], l.text[s:e]) if not _is_space(ch)], col))
    return pieces


def _cluster_rows(pieces: list[Piece]) -> list[list[Piece]]:
    if not pieces:
        return []
    med_h = statistics.median(p.h for p in pieces)
    rows: list[list[Piece]] = []
    for p in sorted(pieces, key=lambda p: p.cy):
        if rows:
            rcy = statistics.mean(q.cy for q in rows[-1])
            if abs(p.cy - rcy) < 0.5 * med_h:
                rows[-1].append(p)
                continue
        rows.append([p])
    return rows


# ------------------------------------------------------------------------------- main
def find_tables(
    lines: list[OcrLine],
    columns: dict[str, list[str]] | None = None,
    image: np.ndarray | None = None,
    end: list[str] | None = None,
) -> list[Table]:
    """Every table in reading order (top to bottom, left to right)."""
    columns = columns or DEFAULT_COLUMNS
    end_words = [unicodedata.normalize("NFKC", w).replace(" ", "") for w in (end if end is not None else DEFAULT_END)]
    words = _header_words(lines, columns)
    header_rows = _header_rows(words)
    if not header_rows:
        return []
    hs = [l.height for l in lines if l.text.strip()]
    med_h = statistics.median(hs) if hs else 20.0
    rulings = find_rulings(image, med_h) if image is not None else Rulings([], [])
    page_x1 = max(l.bbox[2] for l in lines)
    page_x0 = min(l.bbox[0] for l in lines)
    tables: list[Table] = []
    for hi, row in enumerate(header_rows):
        groups = _split_groups(row)
        if not groups:
            continue
        hy0 = min(w.y0 for w in row)
        hy1 = max(w.y1 for w in row)
        # vertical extent: down to the next header row, an end word or a large gap
        y_limit = header_rows[hi + 1][0].y0 - 0.2 * med_h if hi + 1 < len(header_rows) else float("inf")
        header_lines = {w.line for w in row}
        below = [
            li for li, l in enumerate(lines)
            if li not in header_lines and (l.bbox[1] + l.bbox[3]) / 2 > hy1 - 0.2 * med_h and l.bbox[1] < y_limit
        ]
        below.sort(key=lambda li: lines[li].bbox[1])
        body: list[int] = []
        last_bottom = hy1
        for li in below:
            l = lines[li]
            sq = unicodedata.normalize("NFKC", re.sub(r"[\s\u3000]+", "", l.text))
            if _is_end_line(sq, end_words):
                break
            if l.bbox[1] - last_bottom > 3.5 * med_h and body:
                break
            body.append(li)
            last_bottom = max(last_bottom, l.bbox[3])
        # split the page between tables printed side by side
        splits = [page_x0 - 1.0]
        for ga, gb in zip(groups, groups[1:]):
            lo, hi_x = ga[-1].cx, gb[0].x0
            cnt = _coverage(lines, body, lo, hi_x)
            x = _best_cut(cnt, lo, max(lo, ga[-1].x1), hi_x)
            splits.append(x if x is not None else (ga[-1].x1 + gb[0].x0) / 2)
        splits.append(page_x1 + 1.0)
        for gi, g in enumerate(groups):
            left, right = splits[gi], splits[gi + 1]
            ids = [li for li in body if lines[li].bbox[2] > left and lines[li].bbox[0] < right]
            cnt = _coverage(lines, ids, left, right)
            vx = [
                v[0] for v in rulings.vertical
                if left <= v[0] <= right and v[1] <= hy1 and v[2] >= hy0
            ]
            bounds = [left]
            for wa, wb in zip(g, g[1:]):
                rv = [x for x in vx if wa.cx < x < wb.cx]
                if rv:  # a ruling line between the two header words
                    bounds.append(min(rv, key=lambda x: abs(x - (wa.x1 + wb.x0) / 2)))
                    continue
                x = _best_cut(cnt, left, wa.cx, wb.cx)
                if x is None:
                    x = (wa.x1 + wb.x0) / 2
                bounds.append(x)
            bounds.append(right)
            keys = [w.key for w in g]
            if not vx:
                keys, bounds = _headerless_code(lines, ids, keys, bounds, med_h)
            unread = [li for li, l in enumerate(lines) if li not in header_lines and l.text.strip()
                      and hy0 - 0.2 * med_h <= (l.bbox[1] + l.bbox[3]) / 2 <= hy1 + 0.2 * med_h
                      and g[-1].x1 + 0.5 * med_h < l.bbox[0] < right]
            if unread:
                keys, bounds = _headerless_range(lines, ids, keys, bounds, g[-1].x1, med_h, vx)
            tb = Table(keys, bounds, [g[0].x0, hy0, g[-1].x1, hy1], ruled=bool(vx))
            pieces = [p for li in ids for p in _pieces(lines, li, bounds, vx)]
            rc = tb.keys.index("result") if "result" in tb.keys else -1
            rows = _rows(pieces, rulings, left, right, hy1, med_h, rc)
            for r in rows:
                cells: dict[str, list[Piece]] = {}
                for p in sorted(r, key=lambda p: (p.bbox[0], p.bbox[1])):
                    cells.setdefault(tb.keys[p.col], []).append(p)
                tb.rows.append(cells)
            tables.append(tb)
    return tables


_CODE_LIKE = re.compile(r"^[A-Za-zαβγ][A-Za-z0-9αβγ\-%#/()+.]*$")


def _headerless_code(lines: list[OcrLine], ids: list[int], keys: list[str], bounds: list[float],
                     med_h: float) -> tuple[list[str], list[float]]:
    """A code column whose header word was not read: its abbreviations (WBC, ALT) fall into the
    result column (or the name column) as a stripe of their own, an empty stripe away from the
    column's other text. The column is split there and the stripe becomes the code column."""
    if "code" in keys:
        return keys, bounds
    for key, code_side in (("result", 0), ("name", 1)):
        if key not in keys:
            continue
        c = keys.index(key)
        x0, x1 = bounds[c], bounds[c + 1]
        toks = []  # (x0, x1, text, line)
        for li in ids:
            l = lines[li]
            for s, e, a, b in _tokens(l):
                if x0 <= (a + b) / 2 < x1:
                    toks.append((a, b, l.text[s:e], li))
        if len(toks) < 6:
            continue
        cnt = _coverage_of(toks, x0, x1)
        # the widest empty stripe between the column's text (not its margins)
        cut = _best_cut(cnt, x0, min(t[0] for t in toks) + 1, max(t[1] for t in toks) - 1)
        if cut is None or cnt[int(cut - x0)] != 0:
            continue
        # the empty stripe must be wide (a gap between columns, not between words)
        z = np.flatnonzero(cnt != 0)
        ci = int(cut - x0)
        lo_i, hi_i = z[z < ci], z[z > ci]
        if not len(lo_i) or not len(hi_i) or hi_i[0] - lo_i[-1] < 1.2 * med_h:
            continue
        left = [t for t in toks if t[1] <= cut]
        right = [t for t in toks if t[0] >= cut]
        codes, values = (left, right) if code_side == 0 else (right, left)
        if len(codes) < 3 or len(values) < 3:
            continue
        if sum(bool(_CODE_LIKE.match(_fold_cell(t[2]))) for t in codes) < 0.8 * len(codes):
            continue
        if code_side == 1 and sum(bool(re.search(r"[\u4e00-\u9fff]", t[2])) for t in values) < 0.8 * len(values):
            continue  # a name column: names on the left, codes on the right
        if code_side == 0 and sum(bool(_CODE_LIKE.match(_fold_cell(t[2]))) for t in values) > 0.5 * len(values):
            continue  # both stripes read like codes: not a code column beside the results
        if code_side == 0:
            return keys[:c] + ["code"] + keys[c:], bounds[: c + 1] + [cut] + bounds[c + 1:]
        return keys[: c + 1] + ["code"] + keys[c + 1:], bounds[: c + 1] + [cut] + bounds[c + 1:]
    return keys, bounds


# what a reference cell holds: an interval, a bound, a qualitative word or a dash
_RANGE_LIKE = re.compile(r"^(?:[<>≤≥]?\d+(?:\.\d+)?(?:(?:-{1,2}|～|~|—{1,2}|–)\d+(?:\.\d+)?)?|.?性.*|[-—]|Neg\w*)$")


def _headerless_range(lines: list[OcrLine], ids: list[int], keys: list[str], bounds: list[float],
                      head_x1: float, med_h: float, rules: list[float] = ()) -> tuple[list[str], list[float]]:
    """A reference column whose header word was misread (参考范围 read as two other characters,
    a line on the header row right of the last header word): its ranges fall into the last
    column (the unit's) as a stripe of their own, beginning right of that column's header word
    and an empty stripe away from the units. The column is split there (on a ruling line in
    that stripe, if any) and the stripe becomes the reference column."""
    if "reference_range" in keys or keys[-1] not in ("unit", "flag"):
        return keys, bounds
    x0, x1 = bounds[-2], bounds[-1]
    toks = []  # (x0, x1, text)
    for li in ids:
        l = lines[li]
        for s, e, a, b in _tokens(l):
            if x0 <= (a + b) / 2 < x1:
                toks.append((a, b, _fold_cell(l.text[s:e])))
    far = [t for t in toks if t[0] > head_x1 + med_h]
    near = [t for t in toks if t[0] <= head_x1 + med_h]
    if len(far) < 3 or sum(bool(_RANGE_LIKE.match(t[2])) for t in far) < 0.6 * len(far):
        return keys, bounds
    lo = max([t[1] for t in near], default=head_x1)
    hi = min(t[0] for t in far)
    if hi - lo < 0.5 * med_h:
        return keys, bounds  # the two stripes touch: one column's text
    cut = (max(lo, head_x1) + hi) / 2
    rv = [x for x in rules if lo < x < hi]  # a ruling line between them
    if rv:
        cut = min(rv, key=lambda x: abs(x - cut))
    return keys + ["reference_range"], bounds[:-1] + [cut, x1]


def _coverage_of(toks: list[tuple], x0: float, x1: float) -> np.ndarray:
    n = max(1, int(np.ceil(x1 - x0)))
    cnt = np.zeros(n, np.int32)
    for a, b, *_ in toks:
        ia, ib = int(max(0, np.floor(a - x0))), int(min(n, np.ceil(b - x0)))
        if ib > ia:
            cnt[ia:ib] += 1
    return cnt


_DATETIME = re.compile(r"\d{4}[-./年]\d{1,2}[-./月]\d{1,2}日?\D{0,2}\d{1,2}[:：]\d{2}")


def _is_end_line(sq: str, end_words: list[str]) -> bool:
    """A line that ends the table: an end word (采样时间, 检验者 …; one character of a word of
    four or more may be misread: 模收时间), or a date with a time (no result cell holds one)."""
    if any(w and w in sq for w in end_words):
        return True
    for w in end_words:
        n = len(w)
        if n < 4 or len(sq) < n:
            continue
        for i in range(0, len(sq) - n + 1):
            if sum(a != b for a, b in zip(sq[i:i + n], w)) <= 1:
                return True
    return bool(_DATETIME.search(sq))


def _rows(pieces: list[Piece], rulings: Rulings, left: float, right: float, top: float, med_h: float,
          result_col: int = -1) -> list[list[Piece]]:
    """Rows: the bands between horizontal ruling lines when the table is ruled row by row (a
    band then holds a wrapped name whole), else clusters of pieces by height."""
    rows = _cluster_rows(pieces)
    hor = [y for y, span in _joined_rules(rulings.horizontal, left, right, 0.15 * med_h)
           if y > top - 0.3 * med_h and span > 0.5 * (right - left)]
    if len(hor) >= 3:
        bands = [(a, b) for a, b in zip(hor, hor[1:]) if b - a > 0.6 * med_h]
        out: list[list[Piece]] = [[] for _ in bands]
        for p in pieces:
            for bi, (a, b) in enumerate(bands):
                if a <= p.cy < b:
                    out[bi].append(p)
                    break
        # a band holding two results is not a row (a three-line table's body between two rules)
        fine = all(len(_cluster_rows([p for p in r if p.col == result_col])) <= 1 for r in out)
        if bands and fine and sum(len(r) for r in out) >= 0.8 * len(pieces):
            # text outside every band (below the table's bottom rule) is not the table's
            return [r for r in out if r]
    return rows


def _joined_rules(horizontal: list[tuple[float, float, float]], left: float, right: float,
                  tol: float) -> list[tuple[float, float]]:
    """Horizontal rules as (y, length within [left, right]), sorted by y: the pieces of one rule
    at about the same height (a faded copy breaks a rule into segments) joined, their lengths
    counted once where they overlap."""
    segs = sorted((y, max(a, left), min(b, right)) for y, a, b in horizontal if min(b, right) > max(a, left))
    groups: list[list[tuple[float, float, float]]] = []
    for sg in segs:
        if groups and sg[0] - groups[-1][-1][0] <= tol:
            groups[-1].append(sg)
        else:
            groups.append([sg])
    out = []
    for g in groups:
        span, end = 0.0, -np.inf
        for _, a, b in sorted(g, key=lambda t: t[1]):
            if b > end:
                span += b - max(a, end)
                end = b
        longest = max(g, key=lambda t: t[2] - t[1])
        out.append((longest[0], span))
    return out


def _cell(ps: list[Piece] | None) -> tuple[str, list[float], list[float] | None]:
    if not ps:
        return "", [], None
    text = " ".join(p.text.strip() for p in ps)
    confs = [c for p in ps for c in p.confs]
    bs = [p.bbox for p in ps]
    return text, confs, [min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs)]


@dataclass
class Item:
    value: dict[str, str]
    cell_confs: dict[str, list[float]]
    bbox: list[float]
    flag_source: str = "printed"  # printed | derived (from the range: no mark was read) | none
    cell_boxes: dict[str, list[float]] = field(default_factory=dict)
    # a row of which only the name was read (`keep_bare`): an item only if its cells turn out
    # to hold something (a lone "-" the OCR missed), else a section title
    bare: bool = False
    snapped_from: str = ""  # the name as read, when it was snapped to the vocabulary
    unit_guessed: bool = False  # the unit was completed or corrected (:func:`guess_unit`), not read so


def _code(t: str) -> str:
    t = _fold_cell(t)
    # an abbreviation's O read as 0 between a capital and a non-digit: E0% -> EO%, MON0 -> MONO
    # (a real zero follows a digit or precedes one: CO2, D10)
    t = re.sub(r"(?<=[A-Z])0(?=[^0-9]|$)", "O", t)
    # an absolute count's # read as = (NEUT=, LYMPH=): no abbreviation ends in =
    t = re.sub(r"(?<=[A-Za-z])[=≠]$", "#", t)
    t = re.sub(r"(?<=[A-Za-z0-9#%])[.,·。、'`]+$", "", t)  # a speck after it (A/G.)
    t = re.sub(r"^[.,·。、'`]+(?=[A-Za-z])", "", t)  # or before it (.P)
    if t.upper() in ("HBALC", "HBAIC"):  # glycated haemoglobin: 1 read as l or I
        return "HbA1c"
    return "Cl" if t == "C1" else t  # chloride: l read as 1


def table_items(tb: Table, derive_flags: bool = True, keep_bare: bool = False, snap: bool = True) -> list[Item]:
    """The rows of a table as items.

    A row without a result is a section title or a wrapped name (appended to the row above
    when it follows closely), unless it has a code, unit or range: then it is an item whose
    result was not read (result ``""``). With `keep_bare`, a name-only row that does not
    continue the row above is kept as a `bare` item, for :func:`check_cells` to look at its
    cells (see :func:`drop_bare`). When no flag mark was read and the result lies outside
    its reference (a numeric range; a negative reference for a qualitative result), the flag
    is the one the reference implies (`flag_source` "derived"): OCR often misses a small
    arrow. With `snap`, misread names are snapped to the vocabulary of test names once the
    rows are whole (:func:`snap_names`)."""
    from extract.checks.records import expected_flag

    has_code = "code" in tb.keys
    items: list[Item] = []
    last_bottom = None
    for cells in tb.rows:
        name, nconf, nb = _cell(cells.get("name"))
        result, rconf, rb = _cell(cells.get("result"))
        if not result and (glued := _result_in_name(name)):
            # the result read into the name's cell (the gap between them lost): parted
            name, result = glued
            nconf, rconf = nconf[: len(name)], nconf[len(name):] + [UNIT_GUESS_CONF]
        boxes = [p.bbox for ps in cells.values() for p in ps]
        if not boxes:
            continue
        top = min(b[1] for b in boxes)
        bottom = max(b[3] for b in boxes)
        others = [k for k in ("code", "unit", "reference_range") if cells.get(k)]
        if not result and not others:
            h = bottom - top
            two_tests = clean_name(name) in lab_names() and items and items[-1].value.get("name") in lab_names()
            if name and items and last_bottom is not None and top - last_bottom < 0.6 * h and len(cells) == 1 \
                    and not two_tests:
                # the rest of the name above, wrapped (not a test of its own under a test: 尿潜血
                # then 尿白细胞, its lone "-" result unread, is no name 尿潜血尿白细胞)
                it = items[-1]
                it.value["name"] += clean_name(name)
                it.cell_confs["name"] = it.cell_confs.get("name", []) + nconf
            elif keep_bare and name and len(cells) == 1:
                v0 = {"name": clean_name(name)}
                if has_code:
                    v0["code"] = ""
                v0.update({"result": "", "unit": "", "reference_range": "", "flag": ""})
                items.append(Item(v0, {"name": nconf, "result": [0.0]}, [min(b[0] for b in boxes), top,
                                  max(b[2] for b in boxes), bottom], "none", bare=True))
                last_bottom = bottom
            continue
        if not name and not cells.get("code"):
            continue
        row_text = "".join(p.text for ps in cells.values() for p in ps)
        if row_text.strip() and all(ch in COPY_NOTE_CHARS or ch.isspace() for ch in row_text):
            continue  # a copy's note across the table (供社保业 | 务), no row of it
        code, cconf, _ = _cell(cells.get("code"))
        unit, uconf, _ = _cell(cells.get("unit"))
        rng, gconf, _ = _cell(cells.get("reference_range"))
        flag_txt, fconf, _ = _cell(cells.get("flag"))
        res, glued = split_result_flag(_fold_cell(result))
        unit_txt = clean_unit(unit)
        flag = normalize_flag(flag_txt) if flag_txt else glued
        if "flag" not in tb.keys:
            # a flag column without a header word: its marks sit in the unit's cell
            uflag, rest = split_flag_unit(unit_txt)
            if not flag and uflag:
                flag, unit_txt = uflag, clean_unit(rest)
            elif normalize_flag(unit_txt) and not flag:
                flag, unit_txt = normalize_flag(unit_txt), ""
        guessed = guess_unit(unit_txt)
        if guessed:
            unit_txt = guessed
            uconf = uconf + [UNIT_GUESS_CONF]
        res = clean_number(fix_qualitative(res))
        q = snap_qualitative(res)
        if q:
            res, rconf = q, rconf + [UNIT_GUESS_CONF]
        if len(res) > 1 and res[-1] in "←→" and not glued:
            # a flag arrow read sideways: no result ends in one; the flag is the reference's
            res = res[:-1].rstrip()
            rconf = rconf + [UNIT_GUESS_CONF]
        restored = restore_lost_power(unit_txt, clean_name(name))
        if restored:
            unit_txt = restored
            uconf = uconf + [0.6]  # the power is inferred, not read
        range_txt = clean_range(rng)
        if not unit_txt and (both := split_unit_range(range_txt)):
            # the unit read into the reference's cell (the gap between the columns lost)
            uflag, unit_txt, range_txt = both
            unit, uconf, flag = unit_txt, gconf + [UNIT_GUESS_CONF], flag or uflag
        elif not range_txt and (both := split_unit_range(unit_txt)):
            # the reference read into the unit's cell (or its column's header not read)
            uflag, unit_txt, range_txt = both
            rng, gconf, flag = range_txt, uconf + [UNIT_GUESS_CONF], flag or uflag
        elif not range_txt and _WHOLE_RANGE.match(unit_txt):
            # the reference alone in the unit's column (its cell empty): a reference, no unit
            rng, range_txt, gconf, unit, unit_txt, uconf = unit, unit_txt, uconf + [UNIT_GUESS_CONF], "", "", []
        q = snap_qualitative(range_txt)
        if q:
            range_txt, gconf = q, gconf + [UNIT_GUESS_CONF]
        source = "printed" if flag else "none"
        if (pointed := comma_point(res, range_txt)) is not None:
            res, rconf = pointed, rconf + [UNIT_GUESS_CONF]
        if (pointed := point_lost(res, range_txt, flag)) is not None:
            res, rconf = pointed, rconf + [POINT_LOST_CONF]
        if not flag and (arrow := arrow_read_as_one(res, rconf, range_txt)):
            # a flag arrow after the result read as a digit 1: the result without it, the flag
            # its reference gives
            res, flag = arrow
            rconf, source = rconf + [UNIT_GUESS_CONF], "derived"
        if not flag and derive_flags:
            exp = expected_flag(res, range_txt)
            if exp:
                flag, source = exp, "derived"
        v: dict[str, str] = {"name": clean_name(name)}
        if has_code:
            v["code"] = _code(code)
        v.update({"result": res, "unit": unit_txt, "reference_range": range_txt, "flag": flag})
        cc = {"name": nconf, "result": rconf or [0.0]}
        if has_code:
            cc["code"] = cconf
        if unit:
            cc["unit"] = uconf
        if rng:
            cc["reference_range"] = gconf
        if flag_txt:
            cc["flag"] = fconf
        cb = {k: _cell(cells.get(k))[2] for k in ("result", "unit", "reference_range", "flag", "code") if cells.get(k)}
        items.append(Item(v, cc, [min(b[0] for b in boxes), top, max(b[2] for b in boxes), bottom], source, cb,
                          unit_guessed=bool(guessed)))
        last_bottom = bottom
    strip_row_numbers(items)
    if snap:
        if not has_code:
            split_glued_codes(items) or codes_before_results(items)
        snap_names(items)
        for it in items:
            if it.snapped_from and (restored := restore_lost_power(it.value.get("unit", ""), it.value["name"])):
                it.value["unit"] = restored
                it.cell_confs["unit"] = it.cell_confs.get("unit", []) + [0.6]
        harmonize_power_units(items)
    return items


# ------------------------------------------------------------------------------- item names
LAB_NAMES_FILE = Path(__file__).resolve().parent / "data" / "lab_test_names.tsv"
# how sure a name is that was snapped to the vocabulary, by edits: a cell score this low keeps
# the items field below 0.9 after calibration even with its checks passing (the characters
# read were not these: a reviewer confirms the snap)
SNAP_CONF = {1: 0.6, 2: 0.5, 3: 0.4}
# a snap that the row's reference interval had to settle (two names as near, or a short name)
SNAP_RANGE_CONF = 0.5
# a name whose every character the recogniser was this sure of is left as read (a printed
# name not in the vocabulary, one character from a name in it, is not snapped)
SNAP_MAX_READ_CONF = 0.97


@lru_cache(maxsize=1)
def _lab_vocabulary() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    out: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    if not LAB_NAMES_FILE.is_file():
        return out
    for raw in LAB_NAMES_FILE.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        name, units, codes = (raw.split("\t") + ["", ""])[:3]
        name = clean_name(name.strip())
        if name:
            out[name] = (tuple(u.strip() for u in units.split(",") if u.strip()),
                         tuple(_fold_cell(c.strip()) for c in codes.split(",") if c.strip()))
    return out


@lru_cache(maxsize=1)
def lab_names() -> dict[str, tuple[str, ...]]:
    """The vocabulary of laboratory test names: name -> the units it is usually reported in."""
    return {k: v[0] for k, v in _lab_vocabulary().items()}


@lru_cache(maxsize=1)
def lab_codes() -> dict[str, tuple[str, ...]]:
    """name -> its usual abbreviations (`低密度脂蛋白胆固醇` -> (`LDL-C`, `LDL`))."""
    return {k: v[1] for k, v in _lab_vocabulary().items()}


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of two short strings, `limit + 1` once it is known to exceed `limit`
    (rapidfuzz's, with its cutoff)."""
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(a, b, score_cutoff=limit)


def _allowed_edits(n: int) -> int:
    """Edits a misread name of a vocabulary name `n` characters long may carry and still be
    recognised: one up to five characters, two up to nine, three beyond."""
    return 1 if n <= 5 else 2 if n <= 9 else 3


_CJK = re.compile(r"[\u4e00-\u9fff]")


LAB_RANGES_FILE = Path(__file__).resolve().parent / "data" / "lab_reference_ranges.tsv"
# how sure a name is that only the row's unit and reference range gave (no character read)
RANGE_NAME_CONF = 0.4


@lru_cache(maxsize=1)
def lab_ranges() -> list[tuple[str, str, tuple[float, float], tuple[float, float]]]:
    """Usual reference intervals: (name, unit or "", (lower bound from, to), (upper from, to))."""
    out = []
    if not LAB_RANGES_FILE.is_file():
        return out
    for raw in LAB_RANGES_FILE.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        name, unit, lo, hi = raw.split("\t")
        a, b = (float(x) for x in lo.split(".."))
        c, d = (float(x) for x in hi.split(".."))
        out.append((clean_name(name), "" if unit == "-" else unit, (a, b), (c, d)))
    return out


def _unit_fits(read: str, unit: str) -> bool:
    """The unit read is `unit`, or a misreading of it (one character off, and not itself another
    known unit)."""
    if read == unit:
        return True
    if not read or not unit or read in known_units():
        return False
    return len(read) >= 2 and _edit_distance(read, unit, 1) <= 1


def range_candidates(unit: str, reference_range: str) -> list[str]:
    """The names (from :func:`lab_ranges`) whose usual reference interval and unit the row's
    fit: `mmol/L` and `3.50-5.30` -> [`钾`]. Empty when the range is not `lo SEP hi`."""
    m = _RANGE_SEP.match(reference_range or "")
    if not m:
        return []
    lo, hi = float(m.group("lo")), float(m.group("hi"))
    return [
        name for name, u, (a, b), (c, d) in lab_ranges()
        if a <= lo <= b and c <= hi <= d and _unit_fits(unit, u)
    ]


@dataclass
class Snap:
    name: str  # the vocabulary name
    distance: int  # edits from the name read
    confidence: float  # how sure the snapped name is (never above SNAP_CONF[distance])


def snap_name(read: str, unit: str = "", vocab: dict[str, tuple[str, ...]] | None = None,
              reference_range: str = "") -> Snap | None:
    """The vocabulary name a misread item name stands for, or None.

    Only a close and unique match is taken: the nearest names within the edits allowed for
    their length (:func:`_allowed_edits`); at least two characters read as printed, and more
    characters right than wrong; when several names are as near, the row's unit (read and
    known) decides when exactly one of them is reported in it, else nothing is snapped. A
    name already in the vocabulary, or without a Chinese character, is left alone; a unit
    read that none of a candidate's usual units is refuses it."""
    vocab = lab_names() if vocab is None else vocab
    t = clean_name(read)
    if t in vocab:
        return None
    by_range = range_candidates(unit, reference_range) if reference_range else []
    if not _CJK.search(t) or (len(t) == 1 and t not in vocab):
        # no name read (a one-character name the detector missed), or a mark or one wrong
        # character: only the unit and the reference interval can say which test it is
        if len(by_range) == 1:
            return Snap(by_range[0], max(len(t), len(by_range[0])), RANGE_NAME_CONF)
        return None
    near = _nearest(t, vocab, by_range, unit)
    if near is not None:
        return near
    if by_range:
        # the reference interval names the test: one edit more than the name alone allows,
        # among the tests whose interval it is
        near = _nearest(t, {v: vocab.get(v, ()) for v in by_range}, by_range, unit, slack=1)
        if near is not None:
            right = max(len(t), len(near.name)) - near.distance
            rivals = any(_edit_distance(t, v, near.distance) <= near.distance for v in vocab if v != near.name)
            if right >= 2 and right > near.distance and not rivals:
                return Snap(near.name, near.distance, min(near.confidence, RANGE_NAME_CONF))
    return None


def _nearest(t: str, vocab: dict[str, tuple[str, ...]], by_range: list[str], unit: str = "",
             slack: int = 0) -> Snap | None:
    best: list[tuple[int, str]] = []
    bd = 99
    for v in vocab:
        lim = _allowed_edits(len(v)) + slack
        d = _edit_distance(t, v, min(lim, bd))
        if d > lim or d > bd:
            continue
        if d < bd:
            bd, best = d, []
        best.append((d, v))
    if not best:
        return None
    unit_known = bool(unit) and unit in known_units()
    conf = SNAP_CONF.get(bd, min(SNAP_CONF.values()))
    ranged = False
    if unit_known:
        # the row's unit is not one the test is reported in: not that test
        best = [(d, v) for d, v in best if not vocab[v] or unit in vocab[v]]
    if len(best) > 1 and unit_known:
        with_unit = [(d, v) for d, v in best if unit in vocab[v]]
        if len(with_unit) == 1:
            best = with_unit
    if len(best) > 1 and by_range:
        # as near as each other: the reference interval printed decides
        in_range = [(d, v) for d, v in best if v in by_range]
        if len(in_range) == 1:
            best, ranged = in_range, True
    if len(best) != 1:
        return None
    name = best[0][1]
    if len(t) >= 2 and t in name:
        # a part of a longer name as read (上皮细胞 of 尿上皮细胞): a shorter name printed, more
        # likely than characters lost whole
        return None
    # characters right: the longer length less the edits; at least two, and most of the name,
    # unless the reference interval names the test too
    right = max(len(t), len(name)) - bd
    if right < 2 or right <= bd:
        if name not in by_range or right < 1:
            return None
        ranged = True
    return Snap(name, bd, min(conf, SNAP_RANGE_CONF) if ranged else conf)


def snap_names(items: list[Item], vocab: dict[str, tuple[str, ...]] | None = None) -> None:
    """Item names misread (`满性磷酸酶`) snapped to the vocabulary (`碱性磷酸酶`) where the
    match is close and unique (:func:`snap_name`) and the recogniser was not sure of the name
    as read; the snapped name's confidence is at most :data:`SNAP_CONF` of its distance (the
    characters read are kept in the confidences: a snap never makes a row surer than it was)."""
    vocab = lab_names() if vocab is None else vocab
    for it in items:
        if it.bare:
            continue
        read = it.value.get("name", "")
        confs = it.cell_confs.get("name") or []
        m = _SEQ_GLUED.match(read)
        if m and clean_name(read) not in vocab:
            rest = read[m.end():]
            if clean_name(rest) in vocab or snap_name(rest, it.value.get("unit", ""), vocab,
                                                     it.value.get("reference_range", "")):
                # the row's number read into its name (the number column was not found)
                it.value["name"] = read = clean_name(rest)
                confs = list(confs) + [SEQ_STRIP_CONF]
                it.cell_confs["name"] = confs
                it.snapped_from = m.group(0) + rest
        if len(read) > 1 and confs and min(confs) >= SNAP_MAX_READ_CONF:
            continue
        s = snap_name(read, it.value.get("unit", ""), vocab, it.value.get("reference_range", ""))
        if s is not None:
            it.value["name"] = s.name
            it.cell_confs["name"] = list(confs) + [s.confidence]
            it.snapped_from = read
    for it in items:
        # a unit misread (`UA`, `bg`, `mimol/L`) of a test whose usual unit is near it; read
        # surely or not (a blurred mm read as wa with 0.99): no unit is written so
        u = usual_unit(it.value.get("name", ""), it.value.get("unit", ""), vocab)
        if u is not None and not it.bare:
            it.value["unit"] = u
            it.cell_confs["unit"] = it.cell_confs.get("unit", []) + [USUAL_UNIT_CONF]
    codes = lab_codes()
    for it in items:
        # an abbreviation misread (`LDL-`, `HOL-C`, `AIG`) of the test's usual one
        if it.bare or "code" not in it.value:
            continue
        cc = it.cell_confs.get("code") or []
        c = None if it.snapped_from else mark_lost_code(it.value.get("name", ""), it.value["code"], codes)
        if c is None and cc and min(cc) >= SNAP_MAX_READ_CONF and not it.value["code"].endswith("-"):
            continue  # (an abbreviation does not end in a hyphen: its end was lost, however sure)
        c = c or usual_code(it.value.get("name", ""), it.value["code"], codes)
        if c is not None:
            it.value["code"] = c
            it.cell_confs["code"] = list(cc) + [USUAL_CODE_CONF]


# (with the dot or comma printed after it, or a speck read as one: 13·甘油三酯, 2。高密度…)
_SEQ_GLUED = re.compile(r"^\d{1,3}[.·•。、,，:：]?(?=[\u4e00-\u9fff])")
# how sure a name is from which a row number read into it was taken off
SEQ_STRIP_CONF = 0.8
# how sure an abbreviation is that was taken from the test's usual ones
USUAL_CODE_CONF = 0.6


@lru_cache(maxsize=1)
def known_codes() -> frozenset[str]:
    return frozenset(c for cs in lab_codes().values() for c in cs)


def mark_lost_code(name: str, read: str, codes: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """The usual abbreviation of the test `name` that `read` is with its thin mark lost (`AG`
    for 白球比's `A/G`, `NEUT` for `NEUT#`) or in other letter case (`p` for 磷's `P`), however surely the letters were read and even when
    the letters alone are another test's (AG: the anion gap's); the row's name says which test
    it is. None when it is one of the test's own, or when none or two fit."""
    codes = lab_codes() if codes is None else codes
    usual = codes.get(name) or ()
    if not read or read in usual:
        return None
    fits = [c for c in usual if c != read and (re.sub(r"[/\-#%]", "", c) == read or c.casefold() == read.casefold())]
    return fits[0] if len(fits) == 1 else None


def usual_code(name: str, read: str, codes: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """The usual abbreviation of the test `name` that the code `read` is one character off
    (`LDL-` -> `LDL-C`, `AIG` -> `A/G`), or None: an abbreviation that is some test's as read is
    left alone, and two as near refuse."""
    codes = lab_codes() if codes is None else codes
    usual = codes.get(name) or ()
    if not read or not usual or read in usual or read in known_codes():
        return None
    for a, b in (("ll", "H"), ("II", "H"), ("l1", "H"), ("0", "O")):
        # H read as two strokes (pll for pH), O as 0
        if a in read and read.replace(a, b) in usual:
            return read.replace(a, b)
    scored = sorted((_edit_distance(read, c, 1), c) for c in usual)
    d, c = scored[0]
    if read.endswith("-"):
        # the end lost (`LDL-`): the usual abbreviations that go on from it
        cont = [x for x in usual if x.startswith(read) and len(x) == len(read) + 1]
        if len(cont) == 1:
            return cont[0]
    if d > 1 or len(c) < 2 or (len(scored) > 1 and scored[1][0] == d):
        return None
    return c


_CODE_GLUED = re.compile(r"^(?P<n>.*[\u4e00-\u9fff)）])(?P<c>[A-Za-z][A-Za-z0-9#%/+\-]*)$")


def _with_code(value: dict[str, str], name: str, code: str) -> dict[str, str]:
    """An item's cells with its name and a code column first (the order a table prints them)."""
    return {"name": name, "code": code, **{k: v for k, v in value.items() if k not in ("name", "code")}}


def split_glued_codes(items: list[Item]) -> bool:
    """A code column the header did not show and the OCR read into the names (`总蛋白TP`):
    when most rows' names end in an abbreviation of the vocabulary (and are no test name as
    read), every row gets a `code` (`""` where none was glued). True when split."""
    vocab, known = lab_names(), known_codes()
    rows = [it for it in items if not it.bare]
    splits = {}
    for k, it in enumerate(rows):
        name = it.value.get("name", "")
        m = _CODE_GLUED.match(name)
        if m and clean_name(name) not in vocab:
            n, c = m.group("n"), _code(m.group("c"))
            if c in known or (clean_name(n) in vocab and usual_code(clean_name(n), c)):
                splits[k] = (n, c)
    if len(rows) < 3 or len(splits) < 0.6 * len(rows):
        return False
    for k, it in enumerate(rows):
        name, code = splits.get(k, (it.value.get("name", ""), ""))
        it.value = _with_code(it.value, name, code)
        if k in splits:
            it.cell_confs["code"] = [USUAL_CODE_CONF]
    return True


_CODE_BEFORE = re.compile(r"^(?P<c>[A-Za-z](?:[A-Za-z0-9#%\-]*?[A-Za-z#%])?)(?P<r>[<>≤≥]?\d+(?:\.\d+)?)$")


def codes_before_results(items: list[Item]) -> bool:
    """A code column the header did not show and the OCR read into the results (`UREA5.48`,
    `CysC0.55`): when half the rows' results begin with an abbreviation of the vocabulary (the
    code of that row's test, or a known one), every result that begins with letters has them
    cut off as its code (at a low confidence: the split is inferred). True when split."""
    vocab, known = lab_names(), known_codes()
    rows = [it for it in items if not it.bare]
    cut = {}
    sure = 0
    for k, it in enumerate(rows):
        m = _CODE_BEFORE.match(it.value.get("result", ""))
        if m is None:
            continue
        c = _code(m.group("c"))
        name = clean_name(it.value.get("name", ""))
        if c in known or (name in vocab and usual_code(name, c)):
            sure += 1
        cut[k] = (c, m.group("r"))
    if len(rows) < 3 or sure < 0.5 * len(rows):
        return False
    for k, it in enumerate(rows):
        code, res = cut.get(k, ("", it.value.get("result", "")))
        it.value = _with_code(it.value, it.value.get("name", ""), code)
        it.value["result"] = res
        if k in cut:
            it.cell_confs["code"] = [USUAL_CODE_CONF]
            it.cell_confs["result"] = it.cell_confs.get("result", []) + [USUAL_CODE_CONF]
    return True


# how sure a unit is that was taken from the test's usual units (the characters read were others)
USUAL_UNIT_CONF = 0.5


def usual_unit(name: str, read: str, vocab: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """The usual unit of the test `name` (:func:`lab_names`) that the unit `read` is a misreading
    of, or None: `read` is no known unit and holds no power of ten, one usual unit is nearest,
    one edit away, or two when it is at least three characters long and `read` begins alike;
    its last four characters read as printed, the beginning not (one character fewer at most,
    two more); a μ read as p, when the test is never reported in the p unit (pmol/L for
    μmol/L); one character, or two that are the sign doubled or split (`%%`, `96`), read for a test
    reported in `%`; letters alone for a test reported in one
    unit only (see the rule's comment)."""
    vocab = lab_names() if vocab is None else vocab
    units = vocab.get(name) or ()
    if read and read in known_units() and read not in units and read[:1] == "p":
        # a μ read as p (pmol/L for a bilirubin's μmol/L): another known unit, but never this
        # test's, and its one usual unit differs in that prefix alone
        if "μ" + read[1:] in units:
            return "μ" + read[1:]
    if not read or not units or read in known_units() or read in units or re.search(r"10|\^", read):
        return None
    # letter case aside (p/P, f/F look alike: P8 for pg)
    scored = sorted((_edit_distance(read.lower(), u.lower(), 2), u) for u in units)
    d, u = scored[0]
    if len(scored) > 1 and scored[1][0] == d:
        return None
    if d <= 1 and len(u) >= 2 or d == 2 and len(u) >= 3 and read[0].lower() == u[0].lower():
        return u
    tail = [u for u in units if len(u) >= 4 and read.endswith(u[-4:]) and len(u) - 1 <= len(read) <= len(u) + 2]
    if len(tail) == 1:
        # the unit's end read as printed and its beginning not (waol/L, :.mg/L): a blurred
        # copy's mm run together
        return tail[0]
    if "%" in units and len(read) == 1:
        # one mark in the unit's cell of a test reported in per cent: the % misread (2, 6, f)
        return "%"
    if "%" in units and re.fullmatch(r"[%96oO0]{2}", read) and ("%" in read or read in ("96", "06", "0o")):
        # the % read as two marks: doubled (%%), or its circles as digits (96)
        return "%"
    if units == ("%",) and (re.fullmatch(r"[oO08]{2}", read) and re.search(r"[oO]", read)
                            or re.fullmatch(r"[9460][60oO8]", read)):
        # a test reported only in per cent: its sign's two circles read as letters (oo, 8o),
        # or the sign as two digits, its slash and upper circle one, its lower circle a 6, 0
        # or 8 (46)
        return "%"
    if len(units) == 1 and re.fullmatch(r"[A-Za-z]{2,6}", read) and len(read) <= len(u) and (
            len(u) == 2 and re.fullmatch(r"[A-Za-z]{2}", u) or len(u) >= 4 and read[0] == u[0]):
        # the one unit the test is reported in, read beyond an edit or two: a two-letter unit
        # read as two other letters (fL as nt, pg as DE), a longer one that begins alike and
        # lost its slash (mmol/L as mn, mmg)
        return u
    return None


# a count unit as printed: a power of ten with a caret, a star or raised, with or without ×
_POWER_STYLED = re.compile(r"^(?P<p>×?)10(?:(?P<s>[\^*])(?P<e>9|12)|(?P<r>⁹|¹²))/(?P<t>L)$")
# a count unit read with marks misread (×10"9/L, -10°9/L, -10~9/1, 10°0/): `10`, one to three
# characters of the power, a slash, a litre or nothing
_POWER_DAMAGED = re.compile(r"^(?P<p>[×xX\-—~*·.]?)10(?P<m>[^/]{0,3})/(?P<t>[LlI1|t]?)$")
_RAISED = {"⁹": "9", "¹²": "12"}


def _power_style(unit: str) -> tuple[str, str] | None:
    """(`×` or ``, `^`, `*` or `raised`) of a count unit as printed, or None."""
    m = _POWER_STYLED.match(unit)
    if not m:
        return None
    return m.group("p"), m.group("s") or "raised"


def _power_exponent(mid: str, name: str) -> str | None:
    """The power of ten a damaged count unit stands for: `9` or `12` as read among its marks,
    else the one the test's usual unit has (`10¹²/L` for red cells)."""
    digits = "".join(_RAISED.get(ch, ch) for ch in mid if ch.isdigit() or ch in "⁹¹²")
    digits = digits.replace("¹²", "12")
    if digits in ("9", "12"):
        return digits
    exps = {e for u in (lab_names().get(name) or ()) for raw, e in _RAISED.items() if f"10{raw}/" in u}
    if len(exps) == 1:
        return exps.pop()
    if _RBC_COUNT.match(name):
        return "12"
    if _CELL_COUNT.search(name):
        return "9"
    return None


def harmonize_power_units(items: list[Item]) -> None:
    """One report prints its count units in one style (`10^9/L`, `×10^9/L`, `10*9/L`, `10⁹/L`):
    where more rows read a unit in one style than twice as many as in all others (one is
    enough where no other is read), a count unit read
    with its marks damaged (`-10°9/L`, `×10"9/L`, `10°0/`) or in another style (`10⁹/L` from
    `109/L`, the caret lost) is written in that style, with the power read (9 or 12) or the
    test's usual one, at a low confidence (:data:`UNIT_GUESS_CONF`)."""
    styles: dict[tuple[str, str], int] = {}
    for it in items:
        # a unit written from a guess (10°12/L taken for 10^12/L) shows no style: the page's
        # own reading of the others decides
        st = None if it.unit_guessed else _power_style(it.value.get("unit", ""))
        if st:
            styles[st] = styles.get(st, 0) + 1
    if not styles:
        _own_style_powers(items)
        return
    (pre, sep), n = max(styles.items(), key=lambda kv: kv[1])
    if n <= 2 * (sum(styles.values()) - n):
        return
    for it in items:
        unit = it.value.get("unit", "")
        if not unit or (_power_style(unit) == (pre, sep) and not it.unit_guessed) or it.bare:
            continue
        m = _POWER_STYLED.match(unit)
        if m:
            e = m.group("e") or _RAISED[m.group("r")]
        else:
            m = _POWER_DAMAGED.match(unit)
            if not m:
                continue
            e = _power_exponent(m.group("m"), it.value.get("name", ""))
            if e is None:
                continue
        power = {"9": "⁹", "12": "¹²"}[e] if sep == "raised" else sep + e
        it.value["unit"] = f"{pre}10{power}/L"
        it.cell_confs["unit"] = it.cell_confs.get("unit", []) + [UNIT_GUESS_CONF]


def _own_style_powers(items: list[Item]) -> None:
    """A report whose only count unit is damaged (`10*0/L`: no power of ten is 0): its own
    mark (`*` or `^`) kept, the power read (9 or 12) or the test's usual one, at a low
    confidence."""
    for it in items:
        m = _POWER_DAMAGED.match(it.value.get("unit", ""))
        if not m or it.bare or m.group("t") != "L":
            continue
        marks = [ch for ch in m.group("m") if ch in "^*"]
        if len(marks) != 1 or len(m.group("m")) != 2:
            continue
        e = _power_exponent(m.group("m"), it.value.get("name", ""))
        if e is None:
            continue
        it.value["unit"] = f"{m.group('p') if m.group('p') == '×' else ''}10{marks[0]}{e}/L"
        it.cell_confs["unit"] = it.cell_confs.get("unit", []) + [UNIT_GUESS_CONF]


def drop_bare(items: list[Item]) -> list[Item]:
    """Bare rows (`table_items(keep_bare=True)`) whose result and range cells stayed empty
    are section titles, not items."""
    return [it for it in items if not it.bare or it.value.get("result") or it.value.get("reference_range")]


_NUM = r"\d+(?:\.\d+)?"
_RANGE_SEP = re.compile(rf"^(?P<lo>{_NUM})(?P<sep>-{{1,2}}|～|~|—{{1,2}}|–)(?P<hi>{_NUM})$")
# the separator's marks misread as others (3.50~-5.30), or a dash with a speck beside it read
# as a colon or a star (20.0-:50.0, 40.0-*50.0)
_RANGE_MIXED_SEP = re.compile(rf"^(?P<lo>{_NUM})(?:[-~～—–]{{2,3}}|[-~～—–][:*·'`]|[:*·'`.][-~～—–])(?P<hi>{_NUM})$")
_RANGE_NO_SEP = re.compile(r"^(?P<lo>\d+\.\d+)(?P<hi>\d+\.\d+)$")
# how sure a separator taken from the rest of the column is (below the review threshold)
HARMONIZED_CONF = 0.6


def harmonize_ranges(items: list[Item]) -> None:
    """One table prints all its numeric ranges with one separator (`3.5-5.5`, `3.5--5.5`,
    `3.5～5.5`): the OCR confuses them (`--` read as `-`, `～` as `-`) or drops one between two
    decimals (`0.48.0` for `0.4-8.0`). Where a clear majority of the table's `lo SEP hi` ranges
    share a separator, a range with another one (or none, when the digits split one way only)
    takes the majority's, with a low confidence: a reviewer confirms it. A double dash read
    twice or more among single ones is the table's separator (the OCR merges two dashes, it
    does not split one); so are tildes that outnumber the dashes among them (a blurred ～ reads
    as -, a - never as ～). A lower bound read above the upper one gets its lost point back
    (`200-50.0`), as does an upper one (`20.0-400`); a range read as digits alone is cut where
    the result's decimals say (`74125` beside `9.1`, `1060` beside `51`), when one cut only
    fits, and a whole-number range whose separator was read as a point is parted there
    (`9.50` beside `32`)."""
    seps: dict[str, int] = {}
    for it in items:
        m = _RANGE_SEP.match(it.value.get("reference_range", ""))
        if m:
            seps[m.group("sep")] = seps.get(m.group("sep"), 0) + 1
    total = sum(seps.values())
    if total < 3:
        return
    sep, n = max(seps.items(), key=lambda kv: kv[1])
    doubled = {"-": "--", "—": "——"}
    for one, two in doubled.items():
        # two dashes run together read as one, never one as two: a table that shows the
        # double form twice prints it everywhere
        if seps.get(two, 0) >= 2 and set(seps) <= {one, two}:
            sep, n = two, total
        elif seps.get(two, 0) == 1 and set(seps) == {one, two}:
            return  # one double dash among single ones: a speck beside a dash, or the print's? as read
    # a wave blurred flat reads as a dash, a dash never grows a wave: a table of tildes with
    # dashes among them needs a bare majority, any other mix a clear one
    waves = sep == "～" and set(seps) <= {"～", "-"}
    if n < 3 or (n <= 0.5 * total if waves else n < 0.7 * total):
        return
    for it in items:
        rng = it.value.get("reference_range", "")
        m = _RANGE_SEP.match(rng)
        lost = _dot_lost(m.group("lo"), m.group("hi")) if m else None
        lost_hi = _dot_lost_above(m.group("lo"), m.group("hi")) if m else None
        if lost is not None:
            new = f"{lost}{sep}{m.group('hi')}"
        elif lost_hi is not None:
            new = f"{m.group('lo')}{sep}{lost_hi}"
        elif m and m.group("sep") != sep:
            new = f"{m.group('lo')}{sep}{m.group('hi')}"
        elif not m and _RANGE_MIXED_SEP.match(rng):
            # the separator's marks misread as others (3.50~-5.30 for 3.50--5.30)
            m3 = _RANGE_MIXED_SEP.match(rng)
            new = f"{m3.group('lo')}{sep}{m3.group('hi')}"
        elif re.fullmatch(r"\d{3,}", rng):
            # the separator and both points lost (74125 for 7.4-12.5): the one split whose
            # bounds carry the result's decimals, the lower below the upper
            split = _split_digits(rng, _decimals(it.value.get("result", "")))
            if split is None:
                continue
            new = f"{split[0]}{sep}{split[1]}"
        elif (whole := _point_for_separator(rng, it.value.get("result", ""))) is not None:
            new = f"{whole[0]}{sep}{whole[1]}"
        else:
            # two decimals glued (0.48.0), or the separator read as a dot (0.0.6.8): the only
            # split that gives two decimals printed alike
            m2 = _RANGE_NO_SEP.match(rng)
            split = _split_decimals(rng) if m2 else None
            if split is None and re.fullmatch(r"\d+(?:\.\d+){3}|\d+\.\d+\.\d+", rng):
                cands = [x for k, ch in enumerate(rng) if ch == "." for x in [_two_decimals(rng[:k], rng[k + 1:])] if x]
                split = cands[0] if len(cands) == 1 else None
            if split is None:
                continue
            new = f"{split[0]}{sep}{split[1]}"
        it.value["reference_range"] = new
        it.cell_confs["reference_range"] = it.cell_confs.get("reference_range", []) + [HARMONIZED_CONF]


# a range's separator this many digit steps wide or wider (from the lower bound's last digit to
# the upper bound's first, the median over the table's rows) is a full-width character (～, an
# em wide: about two digits) that the recogniser read as a dash; a dash (half-width, or two)
# leaves about two steps. Measured on the page's own print, so the font's size does not matter.
FULL_WIDTH_GAP = 2.45
_DASH_RANGE = re.compile(r"^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$")


def full_width_separator(lines: list[OcrLine], boxes: list[list[float]], items: list[Item]) -> None:
    """Ranges read with one dash whose separator is as wide as a full-width ～ (see
    :data:`FULL_WIDTH_GAP`): written with ～, at the harmonised ranges' low confidence (an em
    dash, rarer in ranges, would look the same: a reviewer confirms). All of a table's ranges
    read with a dash: by the median over its rows. Some read with ～ and the others with a
    dash: each of those by its own width (a little less wide suffices: the page prints ～)."""
    ranges = [it.value.get("reference_range", "") for it in items]
    seps = {m.group("sep") for r in ranges if (m := _RANGE_SEP.match(r))}
    if not seps <= {"-", "～"} or "-" not in seps:
        return
    gaps: dict[str, list[float]] = {}
    for l in lines:
        cx, cy = (l.bbox[0] + l.bbox[2]) / 2, (l.bbox[1] + l.bbox[3]) / 2
        m = _DASH_RANGE.match(l.text.strip())
        if not m or l.text != l.text.strip() or not any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes):
            continue
        i, j = m.end(1) - 1, m.start(2)
        if i < 1:
            continue
        cs = [(a + b) / 2 for a, b in _char_extents(l)]
        pitch = (cs[i] - cs[0]) / i
        if pitch > 0:
            gaps.setdefault(l.text, []).append((cs[j] - cs[i]) / pitch)
    if "～" in seps:
        wide = {t for t, g in gaps.items() if min(g) >= FULL_WIDTH_GAP - 0.15}
    else:
        every = [g for gs in gaps.values() for g in gs]
        if sum(1 for r in ranges if _DASH_RANGE.match(r)) < 5 or len(every) < 5 or statistics.median(every) < FULL_WIDTH_GAP:
            return
        wide = set(gaps) | {r for r in ranges if _DASH_RANGE.match(r)}
    for it in items:
        r = it.value.get("reference_range", "")
        m = _DASH_RANGE.match(r)
        if m and r in wide:
            it.value["reference_range"] = f"{m.group(1)}～{m.group(2)}"
            it.cell_confs["reference_range"] = it.cell_confs.get("reference_range", []) + [HARMONIZED_CONF]


def _dot_lost(lo: str, hi: str) -> str | None:
    """The lower bound with its decimal point put back, when it was lost: read without one, it
    is not below the upper bound, and with as many decimals as the upper one it is
    (`200--50.0` for `20.0--50.0`). Otherwise None."""
    if "." in lo or "." not in hi or float(lo) < float(hi):
        return None
    cand = _pointed(lo, _decimals(hi))
    return cand if cand is not None and float(cand) < float(hi) else None


def _dot_lost_above(lo: str, hi: str) -> str | None:
    """The upper bound with its decimal point put back, when it was lost: the lower bound has
    decimals, the upper none, and with as many it is still above the lower one (`20.0-400`
    for `20.0-40.0`: a range prints both bounds alike). Otherwise None."""
    if "." not in lo or "." in hi:
        return None
    cand = _pointed(hi, _decimals(lo))
    return cand if cand is not None and float(lo) < float(cand) else None


def _point_for_separator(rng: str, result: str) -> tuple[str, str] | None:
    """A range of whole numbers whose separator was read as a point (`9.50` for `9-50` beside a
    whole result): its two bounds, when the upper one is the longer or as long, of two
    digits at least, and above the lower one (`3.5` stays: a lost part, not a dash). None
    otherwise."""
    m = re.fullmatch(r"(\d+)\.(\d+)", rng)
    if not m or not re.fullmatch(r"\d+", result or ""):
        return None
    lo, hi = m.groups()
    if len(hi) < 2 or len(hi) < len(lo) or hi[0] == "0" or (len(lo) > 1 and lo[0] == "0") or int(lo) >= int(hi):
        return None
    return lo, hi


def _split_digits(t: str, k: int) -> tuple[str, str] | None:
    """Digits of a range read with no separator and no points (`74125`), cut into two bounds
    of `k` decimals each (`7.4`, `12.5`) when exactly one cut gives a lower bound below the
    upper one (`1060` for 10-60 when `k` is 0: no bound begins with a 0 before more digits);
    None when no cut or several do."""
    out = []
    for i in range(k + 1, len(t) - k):
        if k < 1:
            a, b = t[:i], t[i:]
            if any(len(x) > 1 and x[0] == "0" for x in (a, b)):
                continue
        else:
            a, b = _pointed(t[:i], k), _pointed(t[i:], k)
        if a is not None and b is not None and float(a) < float(b):
            out.append((a, b))
    return out[0] if len(out) == 1 else None


def _two_decimals(a: str, b: str) -> tuple[str, str] | None:
    """(a, b) when both are decimals with as many fraction digits, a below b."""
    if re.fullmatch(r"\d+\.\d+", a) and re.fullmatch(r"\d+\.\d+", b) and \
            len(a.split(".")[1]) == len(b.split(".")[1]) and not (len(b.split(".")[0]) > 1 and b[0] == "0") \
            and float(a) < float(b):
        return a, b
    return None


def _split_decimals(t: str) -> tuple[str, str] | None:
    """`0.48.0` -> (`0.4`, `8.0`) when exactly one split gives two decimals whose fractions are
    as long as each other (a table's ranges print both bounds with the same decimals) and the
    lower bound below the upper."""
    out = []
    for k in range(1, len(t)):
        a, b = t[:k], t[k:]
        if re.fullmatch(r"\d+\.\d+", a) and re.fullmatch(r"\d+\.\d+", b) and \
                len(a.split(".")[1]) == len(b.split(".")[1]) and not (len(b.split(".")[0]) > 1 and b[0] == "0") \
                and float(a) < float(b):
            out.append((a, b))
    return out[0] if len(out) == 1 else None


MISSING_UNIT_CONF = 0.5


def missing_units(items: list[Item]) -> None:
    """A unit cell read empty on a row of a numeric test that is reported with a unit, in a
    table whose rows mostly read theirs (a faint % lost): the test's one usual unit, or (more
    than one usual unit, or a count unit printed in the report's own style) the empty cell
    made unsure. Both for a reviewer to confirm."""
    numeric = [it for it in items if not it.bare and re.fullmatch(r"[<>≤≥]?\d+(?:\.\d+)?", it.value.get("result", ""))]
    if len(numeric) < 3 or sum(bool(it.value.get("unit")) for it in numeric) < 0.6 * len(numeric):
        return
    vocab = lab_names()
    for it in numeric:
        units = tuple(u for u in vocab.get(it.value.get("name", ""), ()) if u)
        if it.value.get("unit") or not units:
            continue
        if len(units) == 1 and "10" not in units[0]:  # a count unit's style is the report's own
            it.value["unit"] = units[0]
        it.cell_confs["unit"] = it.cell_confs.get("unit", []) + [MISSING_UNIT_CONF]


def derive_missing_flags(items: list[Item]) -> None:
    """Flags that no mark gave, from the reference, once the cells are final (a range "-"
    found in the ink after the items were built)."""
    from extract.checks.records import expected_flag

    for it in items:
        if it.flag_source == "none" and not it.value.get("flag"):
            exp = expected_flag(it.value.get("result", ""), it.value.get("reference_range", ""))
            if exp:
                it.value["flag"], it.flag_source = exp, "derived"


def _dash_in(gray: np.ndarray, x0: float, y0: float, x1: float, y1: float, faint: bool = False,
             small: bool = False) -> bool:
    """Is the only mark in this box a short horizontal stroke (a printed "-")? With `faint`, ink
    half as dark as the box's darkest mark counts (a pale copy on a tinted paper). With `small`
    (the faint look's threshold, dark or pale): a dash that a blurred, downscaled page left a
    few pixels wide and about as tall counts when it lies at the row's mid-height, where a dash
    sits (a full stop or a speck of dust lies anywhere); marks above or below that band (a
    ruling line's broken pieces, the row above's descenders) are left out."""
    if small:
        faint = True
    import cv2

    H, W = gray.shape
    a, b, c, d = int(max(0, x0)), int(max(0, y0)), int(min(W, x1)), int(min(H, y1))
    if c - a < 4 or d - b < 4:
        return False
    roi = gray[b:d, a:c].astype(np.float32)
    paper = float(np.percentile(roi, 90))
    delta = 60.0
    if faint:
        delta = max(25.0, 0.5 * (paper - float(roi.min())))
        if delta >= 60.0 and not small:
            return False  # not faint: the plain look has decided (a small mark: its shape has not)
    crop = (roi < paper - delta).astype(np.uint8)
    n, _, st, _ = cv2.connectedComponentsWithStats(crop, 8)
    ch, cw = crop.shape
    # specks aside, ruling lines crossing the cell, strokes cut by its top or bottom edge (a
    # descender of the row above, an ascender of the row below) and by its left or right edge
    # (the last letter of the cell before, reached by the box's lead over the border)
    blobs = [st[i] for i in range(1, n) if st[i][4] >= 3 and st[i][2] < 0.8 * cw and st[i][3] < 0.8 * ch
             and st[i][1] > 0 and st[i][1] + st[i][3] < ch and st[i][0] > 0 and st[i][0] + st[i][2] < cw]
    hh = d - b
    if small:
        blobs = [bl for bl in blobs if SMALL_DASH_BAND[0] * ch <= bl[1] + bl[3] / 2 <= SMALL_DASH_BAND[1] * ch]
        if len(blobs) != 1:
            return False
        _, _, w, h, _ = blobs[0]
        return w >= h and h <= 0.12 * hh and 3 <= w <= 0.6 * hh
    if len(blobs) != 1:
        return False
    _, _, w, h, _ = blobs[0]
    # a dash in a small light font is only a few pixels long (4 x 2 at 150 dpi)
    return w >= 1.8 * h and h <= 0.3 * hh and max(3, 0.07 * hh) <= w <= 1.5 * hh


def _blobs(gray: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float, float, float]]:
    """Ink blobs (page x0, y0, x1, y1) in a box, specks and ruling lines crossing it left out."""
    import cv2

    H, W = gray.shape
    a, b, c, d = int(max(0, x0)), int(max(0, y0)), int(min(W, x1)), int(min(H, y1))
    if c - a < 4 or d - b < 4:
        return []
    roi = gray[b:d, a:c].astype(np.float32)
    crop = (roi < float(np.percentile(roi, 90)) - 60).astype(np.uint8)
    ch, cw = crop.shape
    # a ruling line that print touches (g/L on the row's top rule) would join the print into one
    # component as wide as the cell: the lines' pixels go first
    hk = cv2.getStructuringElement(cv2.MORPH_RECT, (max(8, int(0.8 * cw)), 1))
    vk = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(8, int(0.9 * ch))))
    rules = cv2.morphologyEx(crop, cv2.MORPH_OPEN, hk) | cv2.morphologyEx(crop, cv2.MORPH_OPEN, vk)
    crop = crop & (1 - rules)
    n, _, st, _ = cv2.connectedComponentsWithStats(crop, 8)
    return [
        (a + st[i][0], b + st[i][1], a + st[i][0] + st[i][2], b + st[i][1] + st[i][3])
        for i in range(1, n)
        if st[i][4] >= 6 and st[i][2] < 0.8 * cw and st[i][3] < 0.8 * ch
    ]


# how sure a "-" is that was found as a faint stroke only
FAINT_DASH_CONF = 0.6
# a dash found as a small mark at the row's mid-height only (:func:`_dash_in` with `small`)
SMALL_DASH_CONF = 0.5
SMALL_DASH_BAND = (0.3, 0.75)  # of the cell's box height (the row's text box, padded)
# the name too: a one-character name (钾, 氯) that the detector missed leaves its cell empty
CHECKED_CELLS = ("result", "flag", "unit", "reference_range", "code", "name")


def _qualitative_row(it: Item) -> bool:
    """Is the row a qualitative test's: its result a word or a sign (阴性, Neg, -, +), no number?"""
    res = it.value.get("result", "")
    return res in QUALITATIVE or res in QUALITATIVE_EN or bool(re.fullmatch(r"[-±]|\d?\+{1,4}", res)) \
        or snap_qualitative(res) is not None


def check_cells(tb: Table, items: list[Item], image: np.ndarray | None) -> None:
    """Compare the cells with the ink printed in them (the view image, seals whitened):

    - an empty result or range cell holding only a short stroke is "-" (urine tests print it
      for negative; the OCR's detector misses a lone dash);
    - ink in a cell that no read text covers (an empty cell with something in it, an arrow
      after the result that was not read) makes that cell's confidence low: the items go to
      review instead of being confidently incomplete."""
    if image is None or not items:
        return
    gray = image if image.ndim == 2 else image.mean(axis=2).astype(np.uint8)
    for key in CHECKED_CELLS:
        if key not in tb.keys:
            continue
        c = tb.keys.index(key)
        x0, x1 = tb.bounds[c], tb.bounds[c + 1]
        for it in items:
            y0, y1 = it.bbox[1], it.bbox[3]
            hh = y1 - y0
            pad, lead = 0.1 * hh, 0.4 * hh  # a cell's text may start on its border
            text = it.value.get(key) if key != "flag" else it.value.get("flag") if "flag" in it.cell_boxes else ""
            if not text:
                if key in ("result", "reference_range") and _dash_in(gray, x0 - lead, y0 - pad, x1 - 3, y1 + pad):
                    it.value[key] = "-"
                    it.cell_confs[key] = [0.85]
                elif key == "result" and _dash_in(gray, x0 - lead, y0 - pad, x1 - 3, y1 + pad, faint=True):
                    # a result is never empty: a faint lone stroke in its cell is the "-" printed
                    it.value[key] = "-"
                    it.cell_confs[key] = [FAINT_DASH_CONF]
                elif (key == "result" or key == "reference_range" and _qualitative_row(it)) and \
                        _dash_in(gray, x0 - lead, y0 - pad, x1 - 3, y1 + pad, small=True):
                    # a blurred, downscaled page's dash: a result is never empty, and a
                    # qualitative test's reference (阴性, Neg, -) is printed as "-"
                    it.value[key] = "-"
                    it.cell_confs[key] = [SMALL_DASH_CONF]
                elif _blobs(gray, x0 + 3, y0, x1 - 3, y1):
                    it.cell_confs[key] = [0.3]  # something is printed there that was not read
                    units = lab_names().get(it.value.get("name", "")) or ()
                    numeric = re.fullmatch(r"[<>≤≥]?\d+(?:\.\d+)?", it.value.get("result", "")) and \
                        re.search(r"\d", it.value.get("reference_range", ""))
                    if key == "unit" and len(units) == 1 and numeric:
                        # the unit printed and not read: the one this test is reported in
                        it.value["unit"] = units[0]
                continue
            box = it.cell_boxes.get(key)
            if box is None:
                continue
            gap = 0.35 * hh
            stray = [
                bl for bl in _blobs(gray, x0 + 3, y0, x1 - 3, y1)
                if bl[0] > box[2] + gap or bl[2] < box[0] - gap
            ]
            if stray:
                it.cell_confs[key] = it.cell_confs.get(key, []) + [0.3]

