"""Value normalisers shared by every document type.

Every public function takes whatever the OCR produced (usually a ``str``; ``None`` and other
types are tolerated) and returns the canonical form defined in
``shared/contract/extraction-result.md``, or ``None`` when the text cannot be parsed.
None of them raises on junk input.

Normal forms:

- dates ``YYYY-MM-DD``; a date printed with year and month only ``YYYY-MM``
- sex ``男`` / ``女``
- ethnicity as printed without the trailing ``族`` (``汉``, ``蒙古``; historical names such as
  ``僮`` are kept as printed, see :mod:`extract.checks.ethnicity` for the canonical name)
- age: digits in years (``78``); months ``8月``; days ``20天``
- ID numbers upper-case, half-width, without whitespace (digits are never "fixed" here;
  see :mod:`extract.checks.repair`)
- amounts: a plain decimal string with two decimals (``1234.50``); arabic forms and Chinese
  (financial and ordinary) numerals are handled by a small built-in converter, no
  third-party package is needed
- validity ``(valid_from, valid_to)`` with ``valid_to`` a date or ``长期``
- disability category full name (``肢体残疾``) and level ``一级``…``四级``
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "to_halfwidth",
    "clean_spaces",
    "cn_to_int",
    "normalize_date",
    "parse_date",
    "normalize_sex",
    "normalize_ethnicity",
    "normalize_age",
    "normalize_id_number",
    "normalize_amount",
    "normalize_validity",
    "normalize_disability_category",
    "normalize_disability_level",
    "LONG_TERM",
    "DISABILITY_CATEGORIES",
    "DISABILITY_LEVELS",
]

LONG_TERM = "长期"

# --------------------------------------------------------------------------- basics

_WS_RE = re.compile(r"[\s\u3000\u00a0\u200b\u200c\u200d\ufeff]+")


def to_halfwidth(s: Any) -> str | None:
    """Full-width ASCII forms (U+FF01–U+FF5E) to ASCII and U+3000 to a plain space.

    Other characters (CJK, ``￥``) are kept. Returns ``None`` if ``s`` is not a string.
    """
    if not isinstance(s, str):
        return None
    out = []
    for ch in s:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        elif code == 0x3000:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


_CN_PUNCT = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "!": "！", "?": "？"}


def normalize_cn_text(s: Any) -> str | None:
    """Chinese running text (diagnoses, advice, names of places) in one normal form, whatever
    the OCR gave: full-width letters and digits to ASCII, whitespace removed except between
    Latin words, and the punctuation ``, ; : ( ) ! ?`` full-width as Chinese typesetting
    prints it (``高血压病3级(很高危)`` → ``高血压病3级（很高危）``), except between two ASCII
    letters or digits (``2,000``, ``10:30``)."""
    t = clean_spaces(to_halfwidth(s))
    if t is None:
        return None
    out = []
    for i, ch in enumerate(t):
        if ch in _CN_PUNCT:
            prev = t[i - 1] if i > 0 else ""
            nxt = t[i + 1] if i + 1 < len(t) else ""
            if not (prev.isascii() and prev.isalnum() and nxt.isascii() and nxt.isalnum()):
                ch = _CN_PUNCT[ch]
        out.append(ch)
    # a Roman numeral glyph read with a stray stroke after it or twice (心功能ⅢI级, ⅢⅢ级 for
    # Ⅲ级): Ⅲ followed by an I or a Ⅲ is no numeral at all (ⅡI might be Ⅲ, ⅠI Ⅱ: as read)
    t = _ROMAN_STRAY.sub("", "".join(out))
    # a stage, grade or type in Latin capitals between Chinese characters (肾病IV期, II型糖尿病)
    # is the Roman numeral the form prints: one normal form, the numeral's own character
    return _LATIN_ROMAN.sub(lambda m: _ROMAN_GLYPH[m.group(1)], t)


_ROMAN_STRAY = re.compile(r"(?<=Ⅲ)(?:[Il|](?![A-Za-z])|Ⅲ)")
_ROMAN_GLYPH = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ", "V": "Ⅴ", "VI": "Ⅵ", "VII": "Ⅶ", "VIII": "Ⅷ",
          "IX": "Ⅸ", "X": "Ⅹ", "XI": "Ⅺ", "XII": "Ⅻ"}
_LATIN_ROMAN = re.compile(r"(?<![A-Za-z0-9Ⅰ-Ⅻ])(XII|XI|IX|X|VIII|VII|VI|V|IV|III|II|I)(?=[期级度型类])")


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum() or ("\u00c0" <= ch <= "\u024f")


def clean_spaces(s: Any) -> str | None:
    """Remove whitespace (including U+3000 and zero-width spaces) except between Latin words.

    A whitespace run between two Latin letters/digits becomes one space (``IgA 肾病`` →
    ``IgA肾病``, ``Type II`` stays ``Type II``); every other run is removed
    (``张 三`` → ``张三``, ``2020 年`` → ``2020年``). Leading/trailing whitespace is stripped.
    """
    if not isinstance(s, str):
        return None

    def repl(m: re.Match[str]) -> str:
        start, end = m.start(), m.end()
        if start == 0 or end == len(s):
            return ""
        return " " if _is_latin(s[start - 1]) and _is_latin(s[end]) else ""

    return _WS_RE.sub(repl, s)


def _compact(s: Any) -> str | None:
    """Half-width, all whitespace removed."""
    t = to_halfwidth(s)
    if t is None:
        return None
    return _WS_RE.sub("", t)


# --------------------------------------------------------------------------- chinese numerals

_CN_DIGITS = {
    "〇": 0, "零": 0, "○": 0, "◯": 0, "Ｏ": 0, "洞": 0,
    "一": 1, "壹": 1, "幺": 1, "弌": 1,
    "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2, "弍": 2,
    "三": 3, "叁": 3, "參": 3, "弎": 3,
    "四": 4, "肆": 4,
    "五": 5, "伍": 5,
    "六": 6, "陆": 6, "陸": 6,
    "七": 7, "柒": 7,
    "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}
_CN_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_CN_TENS = {"廿": 20, "卅": 30, "卌": 40}


def _digit_value(ch: str) -> int | None:
    if ch.isascii() and ch.isdigit():
        return int(ch)
    return _CN_DIGITS.get(ch)


def cn_to_int(s: Any) -> int | None:
    """Chinese (ordinary or financial) or arabic integer text to ``int``; ``None`` on junk.

    ``十二`` → 12, ``三十一`` → 31, ``廿三`` → 23, ``一百零五`` → 105, ``壹仟贰佰`` → 1200,
    ``二〇二〇`` (digit by digit, no units) → 2020, ``12`` → 12.
    """
    if not isinstance(s, str):
        return None
    s = _compact(s) or ""
    if not s:
        return None
    if all(_digit_value(ch) is not None for ch in s):
        return int("".join(str(_digit_value(ch)) for ch in s))
    total = 0
    section = 0
    num: int | None = None
    for ch in s:
        d = _digit_value(ch)
        if d is not None:
            if num is not None and num != 0 and d != 0:
                return None  # two digits in a row without a unit ("二三十")
            num = d
        elif ch in _CN_TENS:
            section += _CN_TENS[ch]
            num = None
        elif ch in _CN_SMALL_UNITS:
            section += (1 if num is None else num) * _CN_SMALL_UNITS[ch]
            num = None
        elif ch in _CN_BIG_UNITS:
            total += (section + (num or 0)) * _CN_BIG_UNITS[ch]
            section = 0
            num = None
        else:
            return None
    return total + section + (num or 0)


# --------------------------------------------------------------------------- dates

# (a C is a 〇 read with its circle open: 二C二五)
_CN_YEAR_CHARS = "〇零○◯OoＯC0123456789一二三四五六七八九"
_CN_MONTH_CHARS = "元正一二三四五六七八九十0123456789"
_CN_DAY_CHARS = "一二三四五六七八九十廿卅0123456789"

_CN_YEAR_RE = re.compile(rf"([{_CN_YEAR_CHARS}]{{4}})(?=年)")
_CN_MONTH_RE = re.compile(rf"(?<=年)([{_CN_MONTH_CHARS}]{{1,3}})(?=月)")
_CN_DAY_RE = re.compile(rf"(?<=月)([{_CN_DAY_CHARS}]{{1,3}})(?=[日曰号號])")


def _cn_year(m: re.Match[str]) -> str:
    txt = m.group(1)
    out = []
    if "C" in txt and not any(c in "一二三四五六七八九〇零○◯" for c in txt):
        return txt  # a C among Arabic digits is no zero
    for ch in txt:
        if ch in "OoC":
            out.append("0")
            continue
        d = _digit_value(ch)
        if d is None:
            return txt
        out.append(str(d))
    return "".join(out)


def _cn_small(m: re.Match[str]) -> str:
    txt = m.group(1)
    if txt.isdigit() and txt.isascii():
        return txt
    if txt in ("元", "正"):
        return "1"
    v = cn_to_int(txt)
    return txt if v is None else str(v)


_DIGIT_O_RE = re.compile(r"(?<=\d)[Oo](?=[\d年月日.\-/])|(?<=[\d.\-/])[Oo](?=\d)")
_DIGIT_L_RE = re.compile(r"(?<=\d)[lI|](?=[\d年月日.\-/])|(?<=[\d.\-/])[lI|](?=\d)")


def _prepare_date_text(s: Any, keep_digit_spaces: bool = True) -> str | None:
    """Half-width, Chinese-numeral dates and O/l-for-0/1 noise fixed; whitespace removed
    except (with ``keep_digit_spaces``) one space between two digits (``2020-01-02 10:30``)."""
    t = to_halfwidth(s)
    if t is None:
        return None
    t = t.strip()

    def ws(m: re.Match[str]) -> str:
        before = t[m.start() - 1] if m.start() > 0 else ""
        after = t[m.end()] if m.end() < len(t) else ""
        return " " if keep_digit_spaces and before.isdigit() and after.isdigit() else ""

    t = _WS_RE.sub(ws, t)
    t = t.replace("號", "号")
    t = _CN_YEAR_RE.sub(_cn_year, t)
    t = _CN_MONTH_RE.sub(_cn_small, t)
    t = _CN_DAY_RE.sub(_cn_small, t)
    t = _DIGIT_O_RE.sub("0", t)
    t = _DIGIT_L_RE.sub("1", t)
    # a time read glued to its date (2025-02-2309:02:00): the day is two digits, the hour too
    t = _GLUED_TIME_RE.sub(r"\1 \2", t)
    return t


_GLUED_TIME_RE = re.compile(r"(?<!\d)(\d{4}[-./]\d{1,2}[-./]\d{2})(\d{2}:\d{2})")


_SEP = r"[.\-/。,_·．、 ]"
_DATE_SPECK = r"[.·•'`˙]?"  # a speck of toner read beside a date word (2025.年)
_FULL_DATE_RES = (
    re.compile(rf"(?<!\d)(\d{{4}}){_DATE_SPECK}年{_DATE_SPECK}(\d{{1,2}}){_DATE_SPECK}月{_DATE_SPECK}(\d{{1,2}})(?!\d)"),
    re.compile(rf"(?<!\d)(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"),
)
_YEAR_MONTH_RES = (
    re.compile(r"(?<!\d)(\d{4})年(\d{1,2})月"),
    re.compile(rf"(?<!\d)(\d{{4}}){_SEP}(\d{{1,2}})(?![\d.\-/]|[:;]\d)"),
)
_MIN_YEAR, _MAX_YEAR = 1800, 2200


def _ymd(y: str, m: str, d: str) -> str | None:
    try:
        year, month, day = int(y), int(m), int(d)
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            return None
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _ym(y: str, m: str) -> str | None:
    year, month = int(y), int(m)
    if not _MIN_YEAR <= year <= _MAX_YEAR or not 1 <= month <= 12:
        return None
    return f"{year:04d}-{month:02d}"


def normalize_date(s: Any) -> str | None:
    """Any common Chinese date form to ``YYYY-MM-DD`` (year+month only: ``YYYY-MM``).

    Accepts ``2020年1月2日``, ``2020 年 1 月 2 日``, ``2020.01.02``, ``2020-1-2``,
    ``2020/01/02``, ``20200102``, ``二〇二〇年一月二日``, ``二零二零年元月二日``,
    ``二〇二〇年十二月三十一日``, full-width digits, stray spaces, ``O``/``l`` read for
    ``0``/``1`` between digits, and surrounding text (the first date found is used).
    ``datetime.date`` objects are accepted too. An impossible date (``2月30日``) gives ``None``.
    """
    if isinstance(s, _dt.datetime):
        return s.date().isoformat()
    if isinstance(s, _dt.date):
        return s.isoformat()
    result = _find_date(_prepare_date_text(s))
    if result is None and isinstance(s, str) and re.search(r"\d\s+\d", s):
        # a stray space inside a number ("2020.0 1.02")
        result = _find_date(_prepare_date_text(s, keep_digit_spaces=False))
    return result


def _find_date(t: str | None) -> str | None:
    if not t:
        return None
    best: re.Match[str] | None = None
    for rx in _FULL_DATE_RES:
        m = rx.search(t)
        if m and (best is None or m.start() < best.start()):
            best = m
    if best is not None:
        return _ymd(*best.groups())
    for rx in _YEAR_MONTH_RES:
        m = rx.search(t)
        if m:
            return _ym(*m.groups())
    return None


def parse_date(s: Any) -> _dt.date | None:
    """Like :func:`normalize_date` but returns a ``datetime.date`` (``None`` for ``YYYY-MM``)."""
    v = normalize_date(s)
    if v is None or len(v) != 10:
        return None
    return _dt.date.fromisoformat(v)


# --------------------------------------------------------------------------- person fields

_SEX_WORDS = {
    "M": "男", "MALE": "男", "MAN": "男", "男": "男", "男性": "男", "男士": "男",
    "F": "女", "FEMALE": "女", "WOMAN": "女", "女": "女", "女性": "女", "女士": "女",
}


def normalize_sex(s: Any) -> str | None:
    """``男`` or ``女`` (accepts 男性/女性/M/F/Male/Female, a ``性别`` label, ``:``)."""
    t = _compact(s)
    if not t:
        return None
    t = re.sub(r"^(性别|性別|SEX)[:：]?", "", t, flags=re.I).strip(":：;；,，.。()（）")
    if not t:
        return None
    up = t.upper()
    if up in _SEX_WORDS:
        return _SEX_WORDS[up]
    has_m, has_f = "男" in t, "女" in t
    if has_m != has_f and len(t) <= 3:
        return "男" if has_m else "女"
    return None


_CJK_RE = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff]+$")


# what is left of the card's labels and the sex beside it when a label is half read
# ("民汉" for 民族 汉, "女民族汉" for 女 民族 汉)
_ETHNIC_LABEL_CHARS = frozenset("民族性别男女")
_MISREAD_LABEL = re.compile(r"[男女]?民.")


def _without_label_remnant(t: str) -> str:
    """An ethnicity that is no group name but ends in one after characters of the labels
    around it: the group name. Anything else is left as read (and fails its check)."""
    from extract.checks import ethnicity

    if ethnicity.is_known(t):
        return t
    for k in range(1, len(t)):
        head = t[:k]
        # the label's characters, or 民 and one more: the label with its 族 misread (民旅汉)
        if (set(head) <= _ETHNIC_LABEL_CHARS or _MISREAD_LABEL.fullmatch(head)) and ethnicity.is_known(t[k:]):
            return t[k:]
    return t


def normalize_ethnicity(s: Any) -> str | None:
    """Ethnicity as printed without the trailing ``族`` (``汉族`` → ``汉``, ``蒙古族`` → ``蒙古``).

    A leading ``民族`` label is dropped; historical names are kept as printed (``僮``).
    Anything that is not a run of CJK characters gives ``None``.
    """
    t = _compact(s)
    if not t:
        return None
    t = re.sub(r"^民族[:：]?", "", t).strip(":：;；,，.。")
    # a group name is Han characters only: Latin letters or digits at either end are specks
    # or a watermark's remnants (汉A)
    t = re.sub(r"^[0-9A-Za-z]+|[0-9A-Za-z]+$", "", t)
    if len(t) > 1 and t.endswith("族"):
        t = t[:-1]
    t = _without_label_remnant(t)
    if not t or not _CJK_RE.match(t) or t == "族":
        return None
    return t


_AGE_RE = re.compile(
    r"^(?P<num>\d{1,3}|[零〇一二两三四五六七八九十百]{1,5})"
    r"(?P<unit>周岁|岁|歲|YEARS?|YRS|YR|Y|个月|個月|月龄|月|MO|M|天|日|D)?"
)


def normalize_age(s: Any) -> str | None:
    """``78`` for ``78岁``/``78 岁``/``78周岁``/``78``/``七十八岁``; ``8月`` for ``8月``/``8个月``;
    ``20天`` for ``20天``/``20日``. ``1岁3个月`` gives ``1`` (whole years).

    Implausible values (over 150 years, over 36 months, over 366 days) give ``None``.
    """
    t = _compact(s)
    if not t:
        return None
    t = re.sub(r"^(年龄|年齡|AGE)[:：]?", "", t, flags=re.I)
    m = _AGE_RE.match(t.upper())
    if not m:
        return None
    num = m.group("num")
    value = int(num) if num.isdigit() else cn_to_int(num)
    if value is None:
        return None
    unit = m.group("unit") or ""
    if unit in ("个月", "個月", "月龄", "月", "MO") or (unit == "M" and m.end() == len(t)):
        return f"{value}月" if value <= 36 else None
    if unit in ("天", "日", "D"):
        return f"{value}天" if value <= 366 else None
    return str(value) if value <= 150 else None


def normalize_id_number(s: Any) -> str | None:
    """Upper-case, half-width, whitespace and ``-`` removed. Digits are never changed.

    Returns ``None`` for an empty string or one without any digit. (Specks read between the
    digits are the checkers' to drop, as a repair: extract/checks/repair.py.)
    """
    t = _compact(s)
    if not t:
        return None
    t = t.replace("-", "").upper()
    if not any(ch.isdigit() for ch in t):
        return None
    return t


# --------------------------------------------------------------------------- amounts

_CURRENCY_RE = re.compile(r"(人民币|RMB|CNY|[￥¥]|\(?大写\)?|\(?小写\)?|[:：])", re.I)
_ARABIC_AMOUNT_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_CN_AMOUNT_CHARS = set(_CN_DIGITS) | set(_CN_SMALL_UNITS) | set(_CN_BIG_UNITS) | set("元圆圓角分整正")
_CENT = Decimal("0.01")


_MAX_AMOUNT = Decimal(10) ** 15


def _money(d: Decimal) -> str | None:
    if not d.is_finite() or abs(d) >= _MAX_AMOUNT:
        return None
    return str(d.quantize(_CENT, rounding=ROUND_HALF_UP))


def _cn_amount(t: str) -> Decimal | None:
    t = t.rstrip("整正")
    if not t or any(ch not in _CN_AMOUNT_CHARS for ch in t):
        return None
    yuan_part, rest = t, ""
    for mark in ("元", "圆", "圓"):
        if mark in t:
            yuan_part, rest = t.split(mark, 1)
            break
    else:
        if "角" in t or "分" in t:  # 伍角, 伍角陆分
            yuan_part, rest = "", t
    total = Decimal(0)
    if yuan_part:
        v = cn_to_int(yuan_part)
        if v is None:
            return None
        total += v
    if rest:
        m = re.fullmatch(r"零?(?:(.)角)?零?(?:(.)分)?", rest)
        if not m:
            return None
        jiao, fen = m.groups()
        for ch, scale in ((jiao, Decimal("0.1")), (fen, Decimal("0.01"))):
            if ch is not None:
                d = _digit_value(ch)
                if d is None:
                    return None
                total += d * scale
    elif not yuan_part:
        return None
    return total


def normalize_amount(s: Any) -> str | None:
    """A money amount as a plain decimal string with two decimals.

    ``￥1,234.50`` → ``1234.50``; ``1234.5元`` → ``1234.50``; ``1.2万元`` → ``12000.00``;
    ``壹仟贰佰元整`` → ``1200.00``; ``壹仟贰佰叁拾肆元伍角`` → ``1234.50``. A single comma
    followed by one or two digits at the end is read as a decimal point (``12,5``).
    Chinese numerals use the built-in converter :func:`cn_to_int` (no ``cn2an`` needed).
    """
    if isinstance(s, (int, Decimal)) and not isinstance(s, bool):
        return _money(Decimal(s))
    if isinstance(s, float):
        return _money(Decimal(repr(s)))
    t = _compact(s)
    if not t:
        return None
    t = _CURRENCY_RE.sub("", t)
    if not t:
        return None
    m = _ARABIC_AMOUNT_RE.search(t)
    if m:
        num = m.group(0)
        if re.fullmatch(r"-?\d+,\d{1,2}", num):
            num = num.replace(",", ".")
        num = num.replace(",", "")
        try:
            value = Decimal(num)
        except InvalidOperation:
            return None
        tail = t[m.end():m.end() + 1]
        if tail in _CN_BIG_UNITS:
            value *= _CN_BIG_UNITS[tail]
        return _money(value)
    value = _cn_amount(t)
    return None if value is None else _money(value)


# --------------------------------------------------------------------------- validity

_VALIDITY_DATE_RE = re.compile(
    rf"(\d{{4}})(?:年(\d{{1,2}})月(\d{{1,2}})日?|{_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})|(\d{{2}})(\d{{2}}))"
)
_LONG_TERM_RE = re.compile(r"长期|長期|永久|长久")


def normalize_validity(s: Any) -> tuple[str | None, str | None]:
    """``有效期限`` text to ``(valid_from, valid_to)``; ``valid_to`` is a date or ``长期``.

    ``2015.03.12-2035.03.12``, ``2015.03.12-长期``, with ``-``/``—``/``－``/``~``/``至``/``到``
    separators (or none at all), ``YYYYMMDD`` or ``YYYY年M月D日`` dates. A part that cannot
    be read (or is an impossible date) is ``None``; junk gives ``(None, None)``.
    """
    t = _prepare_date_text(s, keep_digit_spaces=False)
    if not t:
        return (None, None)
    dates: list[tuple[int, int, str | None]] = []
    for m in _VALIDITY_DATE_RE.finditer(t):
        y, m1, d1, m2, d2, m3, d3 = m.groups()
        mo, da = (m1, d1) if m1 else (m2, d2) if m2 else (m3, d3)
        dates.append((m.start(), m.end(), _ymd(y, mo, da)))
    long_term = _LONG_TERM_RE.search(t)
    valid_from = dates[0][2] if dates else None
    valid_to: str | None = None
    if long_term and (not dates or long_term.start() >= dates[0][1]):
        valid_to = LONG_TERM
    elif len(dates) >= 2:
        valid_to = dates[1][2]
    return (valid_from, valid_to)


# --------------------------------------------------------------------------- disability

DISABILITY_CATEGORIES = {
    1: "视力残疾",
    2: "听力残疾",
    3: "言语残疾",
    4: "肢体残疾",
    5: "智力残疾",
    6: "精神残疾",
    7: "多重残疾",
}
_CATEGORY_ALIASES = {
    "视力": 1, "視力": 1, "盲": 1, "低视力": 1,
    "听力": 2, "聽力": 2, "聋": 2,
    "言语": 3, "語言": 3, "语言": 3, "言語": 3,
    "肢体": 4, "肢體": 4,
    "智力": 5,
    "精神": 6,
    "多重": 7,
}
DISABILITY_LEVELS = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
_ROMAN = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "I": 1, "II": 2, "III": 3, "IV": 4}


def normalize_disability_category(s: Any) -> str | None:
    """Full category name: ``肢体`` / ``肢体残疾`` / ``4`` → ``肢体残疾`` (1–7 per the certificate)."""
    t = _compact(s)
    if not t:
        return None
    t = re.sub(r"^(残疾类别|类别)[:：]?", "", t)
    if re.fullmatch(r"[1-7]", t):
        return DISABILITY_CATEGORIES[int(t)]
    core = t[:-2] if t.endswith(("残疾", "殘疾")) else t
    if core in _CATEGORY_ALIASES:
        return DISABILITY_CATEGORIES[_CATEGORY_ALIASES[core]]
    return None


def normalize_disability_level(s: Any) -> str | None:
    """``一级``…``四级`` from ``二级``/``贰级``/``2级``/``2``/``Ⅱ级``/``II级``."""
    t = _compact(s)
    if not t:
        return None
    t = re.sub(r"^(残疾等级|等级)[:：]?", "", t)
    core = t[:-1] if t.endswith(("级", "級")) else t
    if core.upper() in _ROMAN:
        n: int | None = _ROMAN[core.upper()]
    elif len(core) == 1:
        n = _digit_value(core)
    else:
        n = None
    if n in DISABILITY_LEVELS:
        return DISABILITY_LEVELS[n]
    return None
