"""Turn a located value (spans of text) into a typed, normalised field value.

One converter per value type named in the document-type declarations; normalisers live in
extract/normalize.py so that every document type shares them.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Callable

from extract import normalize as N
from extract.checks.repair import is_speck
from extract.layout import Value

from .base import ExtractedField

_NAME_KEEP = re.compile(r"[\u3400-\u9fff\uf900-\ufaff·•A-Za-z]")


def _clean(text: str) -> str:
    return N.clean_spaces(N.to_halfwidth(text)) if text else ""


# a bullet or a speck before a value is no part of it (·建议休息 read from a dotted leader)
_BULLETS = "·•‧・∙●◦▪"


def conv_text(v: Value) -> str | None:
    t = (N.normalize_cn_text(v.text) or "").strip(" :：").lstrip(_BULLETS).strip()
    return t or None


def conv_name(v: Value) -> str | None:
    t = "".join(_NAME_KEEP.findall(v.text)).replace("•", "·")
    return t or None


def conv_sex(v: Value) -> str | None:
    return N.normalize_sex(_clean(v.text))


def to_simplified(text: str) -> str:
    from opencc import OpenCC

    global _T2S
    if _T2S is None:
        _T2S = OpenCC("t2s")
    return _T2S.convert(text)


_T2S = None


def conv_ethnicity(v: Value) -> str | None:
    # group names are printed simplified; a traditional form is the recogniser's, not the card's
    return N.normalize_ethnicity(to_simplified(_clean(v.text)))


def conv_date(v: Value) -> str | None:
    return N.normalize_date(v.text)


# a speck of toner read after an address's last unit (…5号·): no part of it
_ADDRESS_TAIL_SPECK = re.compile(r"(?<=[号室组村庄屯栋幢楼户])[·.。,，、'`˙•]+$")


# a speck read at the end of an address's line before the next line (云南省…州姚. / 安县…): an
# address has no full stop or comma inside it (a middle dot may be an estate's name: 万科·城市花园)
_LINE_END_SPECK = re.compile(r"(?<=[\u4e00-\u9fff])[.。,，'`˙•]+$")


def simplified_place(t: str) -> str:
    """Mainland addresses are printed in simplified characters: a traditional form (區, 號, 會)
    is the recogniser's; each becomes its simplified form, except characters that official
    division names are written with (乾 of 乾县 is no traditional 干). The checks see the change
    in `raw` (``traditional_chars``)."""
    from extract.checks.divisions import name_chars

    keep = name_chars()
    return "".join(ch if ch in keep or not "\u4e00" <= ch <= "\u9fff" else to_simplified(ch) for ch in t)


def conv_address(v: Value) -> str | None:
    parts = [_clean(s.text) for s in v.spans]
    parts = [_LINE_END_SPECK.sub("", p) if i < len(parts) - 1 else p for i, p in enumerate(parts)]
    t = simplified_place("".join(parts))
    t = _ADDRESS_TAIL_SPECK.sub("", t)
    return t or None


def conv_id_number(v: Value) -> str | None:
    t = N.normalize_id_number(v.text)
    if t and re.search(r"[|丨｜]", t):
        # digits printed one per box: the box sides read as | (a misread 1 leaves a wrong length)
        # (a speck in a box, 0., is the repair's to drop: it is counted out here)
        bare = re.sub(r"[|丨｜]", "", t)
        if len([ch for i, ch in enumerate(bare) if not is_speck(bare, i)]) in (15, 18, 20):
            t = bare
    return t or None


def conv_age(v: Value) -> str | None:
    return N.normalize_age(_clean(v.text))


def conv_text_block(v: Value) -> str | None:
    """Several lines of running text (advice), joined without a separator."""
    t = "".join(N.normalize_cn_text(s.text) or "" for s in v.spans).strip(" :：").lstrip(_BULLETS).strip()
    return t or None


_CIRCLED = {chr(0x2460 + i): f"({i + 1})" for i in range(20)}  # ① .. ⑳
# a list number: "1." "1、" "1," "1)" "(1)"; its digits are checked against the running count
_NUM_MARK = re.compile(r"\(\s*(\d{1,2})\s*\)|(?<![\d.])(\d{1,2})\s*[.、,)](?![.])")
_DIAG_TRIM = " 。.,，、;；:："


def _leading_number(t: str) -> tuple[int | None, str]:
    m = _NUM_MARK.match(t)
    if not m:
        return None, t
    return int(m.group(1) or m.group(2)), t[m.end():]


def _split_numbered(t: str, expect: int) -> tuple[list[str], int]:
    """Cut `t` at the list numbers `expect`, `expect`+1, … (2.2型糖尿病 keeps its 2)."""
    out, start, pos = [], 0, 0
    while True:
        m = None
        for cand in _NUM_MARK.finditer(t, pos):
            if int(cand.group(1) or cand.group(2)) == expect:
                m = cand
                break
        if m is None:
            break
        out.append(t[start:m.start()])
        start = pos = m.end()
        expect += 1
    out.append(t[start:])
    return out, expect


def _unopened(t: str) -> str:
    """`t` without closing brackets at its start, and without a closing bracket at its end
    that no opening one before it matches."""
    t = t.lstrip(")）")
    return t[:-1] if t[-1:] in ")）" and t.count(")") + t.count("）") > t.count("(") + t.count("（") else t


def split_diagnoses(parts: list[str]) -> list[str]:
    """Diagnoses from the lines of a diagnosis block, without their numbering.

    Numbered lists (1. / 1、 / (1) / ①): a line without a number continues the diagnosis
    above it. Unnumbered: each line is one diagnosis. `；` separates diagnoses anywhere."""
    out: list[str] = []
    numbered = None
    expect = 1
    for raw in parts:
        t = "".join(_CIRCLED.get(ch, ch) for ch in raw)
        t = (N.clean_spaces(N.to_halfwidth(t)) or "").strip()
        if not t:
            continue
        n, rest = _leading_number(t)
        if numbered is None:
            numbered = n is not None
        if n is not None:
            expect = n + 1
            pieces, expect = _split_numbered(rest, expect)
            out.extend(pieces)
        elif numbered and out:
            pieces, expect = _split_numbered(t, expect)
            out[-1] = out[-1] + pieces[0]
            out.extend(pieces[1:])
        else:
            out.append(t)
    final = []
    for d in out:
        # a semicolon between two diagnoses read as a colon (…肝炎：糖尿病…): no diagnosis holds one
        for seg in re.split(r"[;；]|(?<=[\u4e00-\u9fff)）])[:：](?=[\u4e00-\u9fff])", d):
            seg = (N.normalize_cn_text(seg) or "").strip(_DIAG_TRIM)
            # a bracket closing nothing at either end: what is left of a list number whose
            # opening faded (（1）read as ）), or a speck
            seg = _unopened(seg).strip(_DIAG_TRIM)
            if seg:
                final.append(seg)
    return final


def conv_diagnosis(v: Value) -> str | None:
    if v.source == "sentence":
        # running text (兹证明…诊断为：…): a line break is where the line was full, not a new
        # diagnosis; the sentence's own ；separate them
        return "；".join(split_diagnoses(["".join(sp.text for sp in v.spans)])) or None
    ds = split_diagnoses(diagnosis_parts(v)[0])
    return "；".join(ds) or None


# how sure a line without its number is to continue the diagnosis above it, when the line
# above stops short of the block's right edge (it may be a diagnosis whose number was not read)
UNSURE_CONTINUATION = 0.5


def diagnosis_parts(v: Value) -> tuple[list[str], bool]:
    """The lines of a diagnosis block, for :func:`split_diagnoses`, and whether one of them is
    unsure. In a numbered list a line without a number continues the diagnosis above it only
    if that one wrapped: Chinese text wraps at the right edge, so a line reaching further right
    than the line above shows that the line above did not wrap, and it starts a diagnosis
    whose number the OCR did not read (and the block's numbering is unsure). When the line
    above stops short of the block's right edge without that proof, the joining is unsure."""
    parts, unsure, numbered, prev = [], False, None, None
    boxes = [sp.bbox for sp in v.spans if sp.bbox]
    right = max((b[2] for b in boxes), default=0.0)
    for sp in v.spans:
        t = sp.text
        clean = (N.clean_spaces(N.to_halfwidth("".join(_CIRCLED.get(ch, ch) for ch in t))) or "").strip()
        if not clean:
            continue
        n, _ = _leading_number(clean)
        if numbered is None:
            numbered = n is not None
        if numbered and n is None and prev is not None and sp.bbox and prev.bbox:
            h = max(1.0, sp.bbox[3] - sp.bbox[1])
            if sp.bbox[2] > prev.bbox[2] + h:
                t = "；" + t
                unsure = True  # a number was lost: the block's other joins are no surer
            elif prev.bbox[2] < right - 2 * h:
                unsure = True
        parts.append(t)
        prev = sp
    return parts, unsure


def conv_disability_category(v: Value) -> str | None:
    return N.normalize_disability_category(_clean(v.text))


def conv_disability_level(v: Value) -> str | None:
    return N.normalize_disability_level(_clean(v.text))


def conv_amount(v: Value) -> str | None:
    return N.normalize_amount(v.text)


# a Chinese character the recogniser reads for a Latin capital printed before digits (the Y of
# a social security card number read as 丫): the capital (also for the patterns: fields/rules.py)
LATIN_LOOKALIKE = {"丫": "Y"}
_LATIN_BEFORE_DIGIT = re.compile(f"[{''.join(LATIN_LOOKALIKE)}](?=[0-9])")


def conv_card_number(v: Value) -> str | None:
    """A card number as printed, letters upper-case, spaces and dashes removed (A12345678)."""
    t = _LATIN_BEFORE_DIGIT.sub(lambda m: LATIN_LOOKALIKE[m.group()], N.to_halfwidth(v.text) or "")
    t = re.sub(r"[^0-9A-Za-z]", "", t).upper()
    return t if any(ch.isdigit() for ch in t) else None


_DIGIT_LOOKALIKE = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1", "i": "1"})


def conv_bank_card_number(v: Value) -> str | None:
    """Digits only (a bank card's groups joined; O/l read for 0/1 between digits)."""
    t = re.sub(r"[\s\u3000-]", "", N.to_halfwidth(v.text) or "").translate(_DIGIT_LOOKALIKE)
    t = re.sub(r"\D", "", t)
    return t or None


def conv_record_number(v: Value) -> str | None:
    """门诊号 / 住院号 as printed: half-width, no spaces, no surrounding punctuation."""
    t = re.sub(r"[\s\u3000]+", "", N.to_halfwidth(v.text) or "")
    m = re.search(r"[0-9A-Za-z][0-9A-Za-z\-]*", t)
    return m.group(0) if m else None


def conv_days(v: Value) -> str | None:
    """A number of days (住院天数 9天 -> 9)."""
    m = re.search(r"\d{1,4}", N.to_halfwidth(v.text) or "")
    if m is None:
        rep = repair_days(v.text)
        return rep[0] if rep else None
    return m.group(0) if m else None


_DAYS_LOOKALIKE = {"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "Z": "2", "z": "2", "S": "5",
                    "s": "5", "B": "8"}


def repair_days(text: str) -> tuple[str, dict] | None:
    """A number of days read with letters for digits (S天 is 5天): only letters that look like
    a digit, right before 天; the repair is recorded for the field's confidence."""
    t = N.to_halfwidth(text) or ""
    m = re.search(r"(?<![A-Za-z])([0-9OoDIl|ZzSsB]{1,3})\s*天", t)
    if not m or not any(ch in _DAYS_LOOKALIKE for ch in m.group(1)):
        return None
    val = "".join(_DAYS_LOOKALIKE.get(ch, ch) for ch in m.group(1))
    edits = [[m.start(1) + k, ch, _DAYS_LOOKALIKE[ch]] for k, ch in enumerate(m.group(1)) if ch in _DAYS_LOOKALIKE]
    return val, {"from": text, "edits": edits, "reason": "digit_lookalike"}


def conv_relationship(v: Value) -> str | None:
    t = re.sub(r"[^\u3400-\u9fff]", "", _clean(v.text))
    return t or None


# Single-character Chinese surnames in common use (the 百家姓 and the national surname
# statistics, about 450 of them: together nearly everyone), and the compound ones. A person's
# name read with a first character that is no surname is a misreading (a signature, a seal's
# ring across it) more often than a rare surname.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱丘江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
    "莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童"
    "凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明"
    "佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠"
    "豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫"
    "杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭"
    "由郗衣黎雒宋汝渠鄂融聂郦逄钭寿弓庾蓬牧隗山谷车侯宓蓬全郗班仰秋仲伊宫宁仇栾暴甘钭厉戎祖武符刘景詹束龙"
    "叶幸司韶郜黎蓟薄印宿白怀蒲邰从鄂索咸籍赖卓蔺屠蒙池乔阴郁胥能苍双闻莘党翟谭贡劳逄姬申扶堵冉宰郦雍却璩"
    "桑桂濮牛寿通边扈燕冀郏浦尚农温别庄晏柴瞿阎充慕连茹习宦艾鱼容向古易慎戈廖庾终暨居衡步都耿满弘匡国文寇"
    "广禄阙东殴殳沃利蔚越夔隆师巩厍聂晁勾敖融冷訾辛阚那简饶空曾毋沙乜养鞠须丰巢关蒯相查后荆红游竺权逯盖益"
    "桓公綦付禤"
)
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 夏侯 轩辕 端木 司徒 司空 独孤 南宫 西门 百里 "
    "呼延 万俟 闻人 澹台 公冶 太叔 申屠 钟离 宗政 濮阳 淳于 单于 赫连 第五 拓跋 完颜 爱新觉罗".split()
)


# surnames read for a rarer surname one stroke away (佘 read 余, 亓 read 元, 仝 read 全, 郄 read 郗):
# a name read with the first is never certain. Only pairs whose common member is not among the
# most frequent surnames (王 for 玉 would send every 王 to review)
SURNAME_LOOKALIKES = {"余": "佘", "元": "亓", "全": "仝", "郗": "郄"}


def surname_known(name: str) -> bool | None:
    """Whether a Han name starts with a surname; None when the name is not a plain Han name
    of 2-4 characters (a minority name with ·, a Latin name: not for this check)."""
    if not name or not re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name):
        return None
    return name[0] in SURNAMES or any(name.startswith(c) for c in COMPOUND_SURNAMES)


CONVERTERS: dict[str, Callable[[Value], object]] = {
    "text": conv_text,
    "text_block": conv_text_block,
    "name": conv_name,
    "sex": conv_sex,
    "ethnicity": conv_ethnicity,
    "date": conv_date,
    "address": conv_address,
    "id_number": conv_id_number,
    "age": conv_age,
    "diagnosis": conv_diagnosis,
    "disability_category": conv_disability_category,
    "disability_level": conv_disability_level,
    "amount": conv_amount,
    "card_number": conv_card_number,
    "bank_card_number": conv_bank_card_number,
    "record_number": conv_record_number,
    "relationship": conv_relationship,
    "days": conv_days,
}


_LEADING_MARK = re.compile(r"^[\s\u3000]*(?:[(（]\s*\d{1,2}\s*[)）]|\d{1,2}\s*[.、，,)）．]|[\u2460-\u2473])[\s\u3000]*")


def _scored_confs(kind: str, v: Value) -> list[float]:
    """The character confidences that bear on the value: a diagnosis's list numbers do not."""
    if kind != "diagnosis":
        return v.confs
    out: list[float] = []
    for sp in v.spans:
        m = _LEADING_MARK.match(sp.text)
        out.extend(sp.confs[m.end():] if m else sp.confs)
    if out and diagnosis_parts(v)[1]:
        out.append(UNSURE_CONTINUATION)
    return out or v.confs


# a date with one of its two separators not read: 202412-03, 2024-1203; a time may follow glued
# to its two-digit day (202511.1412:20)
_GLUED_TIME_AFTER = r"(?:(?!\d)|(?<=\d\d)(?=\d{1,2}[:：时]))"
_LOST_SEPARATOR = re.compile(
    rf"(?<!\d)(\d{{4}})(?:(\d{{2}})([-./])(\d{{1,2}})|([-./])(\d{{2}})(\d{{2}})){_GLUED_TIME_AFTER}")


# a Chinese date whose 月 was lost: the year, 年, then the month's and the day's digits run together
_LOST_MONTH_DAY = re.compile(r"(?<!\d)(\d{4})年(\d{3,4})日?(?!\d)")


# a date whose second separator was read as a colon, a time perhaps glued after it
_COLON_SEPARATOR = re.compile(r"(?<!\d)(\d{4})([-./])(\d{1,2})[:;](\d{2})(?=\d{2}:|\D|$)")
# a date whose first separator was read as a colon (2025:02.11): no time has four digits before it
_COLON_FIRST = re.compile(r"(?<!\d)(\d{4})[:;](\d{1,2})([-./])(\d{1,2})(?:(?!\d)|(?<=\d\d)(?=\d{1,2}[:：时]))")


# a year in Chinese numerals read with three characters (its 〇 lost)
_CN_YEAR_SHORT = re.compile(r"(?<![一二三四五六七八九〇零○])([一二三四五六七八九〇零○]{3})年")


def repair_date_separator(text: str) -> tuple[str, dict] | None:
    """A date whose OCR lost one separator, when the digits allow one reading only: the date
    and the repair (for the field's notes: a repaired value is for a reviewer to confirm)."""
    t = N.to_halfwidth(text) or ""
    c = _COLON_SEPARATOR.search(t)
    if c:
        # the month and the day parted by a colon (2025.02:23): the year's separator misread
        val = N.normalize_date(f"{c.group(1)}{c.group(2)}{c.group(3)}{c.group(2)}{c.group(4)}")
        if val is not None:
            return val, {"from": text, "edits": [[c.start(4) - 1, ":", c.group(2)]], "reason": "date_separator"}
    z = _CN_YEAR_SHORT.search(t)
    if z:
        # 二〇二六年 read 二二六年 (the small 〇 lost): the one place for a 〇 that gives a year
        # not after this one (二二〇六 and 二二六〇 are no years yet)
        this_year = _dt.date.today().year
        found = set()
        for k in range(4):
            y = z.group(1)[:k] + "〇" + z.group(1)[k:]
            v = N.normalize_date(t[: z.start(1)] + y + t[z.end(1):])
            if v is not None and 1900 <= int(v[:4]) <= this_year:
                found.add((v, k))
        if len(found) == 1:
            v, k = found.pop()
            return v, {"from": text, "edits": [[z.start(1) + k, "", "〇"]], "reason": "date_separator"}
    c = _COLON_FIRST.search(t)
    if c:
        val = N.normalize_date(f"{c.group(1)}{c.group(3)}{c.group(2)}{c.group(3)}{c.group(4)}")
        if val is not None:
            return val, {"from": text, "edits": [[c.start(2) - 1, t[c.start(2) - 1], c.group(3)]], "reason": "date_separator"}
    y = _LOST_MONTH_DAY.search(t)
    if y:
        # 1939年1127: the faded 月 (and 日) lost; the one split of the digits that is a date
        ds = y.group(2)
        found = {(v, k) for k in (1, 2) if 1 <= len(ds) - k <= 2
                 for v in [N.normalize_date(f"{y.group(1)}年{ds[:k]}月{ds[k:]}日")] if v is not None}
        if len(found) == 1:
            v, k = found.pop()
            return v, {"from": text, "edits": [[y.start(2) + k, "", "月"]], "reason": "date_separator"}
        return None
    m = _LOST_SEPARATOR.search(t)
    if not m:
        return None
    if m.group(2):
        y, mo, sep, d, pos = m.group(1), m.group(2), m.group(3), m.group(4), m.start(2)
    else:
        y, sep, mo, d, pos = m.group(1), m.group(5), m.group(6), m.group(7), m.start(7)
    val = N.normalize_date(f"{y}{sep}{mo}{sep}{d}")
    if val is None:
        return None
    return val, {"from": text, "edits": [[pos, "", sep]], "reason": "date_separator"}


_TIME = re.compile(r"(?<!\d)(\d{1,2})\s*[:：时]\s*(\d{1,2})(?!\d)")


def time_impossible(text: str) -> bool:
    """Does a date's text carry a time of day that no clock shows (15:75, 25时10分)?"""
    t = N._prepare_date_text(text) or ""
    return any(int(h) > 23 or int(m) > 59 for h, m in _TIME.findall(t))


def before_the_list(v: Value) -> Value:
    """A diagnosis block whose first line has no number and whose next line is item 1: that
    first line is no item of the list (a seal's 医务科 read on the label's row, right of
    入院诊断：, above 1.肺部感染 2.…): the value without it."""
    spans = [sp for sp in v.spans if sp.text.strip()]
    if v.source == "sentence" or len(spans) < 2:
        return v
    first, second = ((N.clean_spaces(N.to_halfwidth("".join(_CIRCLED.get(ch, ch) for ch in sp.text))) or "").strip()
                     for sp in spans[:2])
    if _leading_number(first)[0] is None and _leading_number(second)[0] == 1:
        return Value(spans[1:], source=v.source)
    return v


def to_field(kind: str, v: Value) -> ExtractedField:
    if kind == "diagnosis":
        v = before_the_list(v)
    conv = CONVERTERS.get(kind, conv_text)
    value = conv(v)
    notes: dict = {}
    if value is None and kind == "date":
        rep = repair_date_separator(v.text)
        if rep is not None:
            value, notes["repair"] = rep
    if kind == "days" and value is not None and not re.search(r"\d", v.text):
        rep = repair_days(v.text)
        if rep is not None:
            notes["repair"] = rep[1]
    checks = []
    if kind == "date" and value is not None and time_impossible(v.text):
        # the time printed with the date (报告时间：2025/01/1615:75) is no time of day: the
        # line's digits were misread, the date's among them maybe (01/10 read 01/16)
        checks.append("time_invalid")
    if kind == "name" and isinstance(value, str) and surname_known(value) is False:
        checks.append("surname_unknown")  # weighs against the value (extract/confidence.py)
    if kind == "name" and isinstance(value, str) and value[:1] in SURNAME_LOOKALIKES:
        checks.append("surname_lookalike")  # caps the value's confidence (extract/confidence.py)
    return ExtractedField(
        value=value,
        raw=v.text,
        bbox=v.bbox,
        char_confs=_scored_confs(kind, v),
        source=v.source,
        checks=checks,
        alts=v.alts,
        notes=notes,
    )


def split_validity(v: Value) -> dict[str, ExtractedField]:
    """有效期限 2015.03.12-2035.03.12 (or -长期) -> valid_from, valid_to."""
    out: dict[str, ExtractedField] = {}
    pair = N.normalize_validity(v.text)
    if not pair:
        return out
    frm, to = pair
    text = v.text
    m = re.search(r"[-—－~至]", text)
    cut = m.start() if m else len(text) // 2
    confs = v.confs
    bbox = v.bbox
    left_box = right_box = bbox
    if len(v.spans) == 1 and bbox is not None:
        from extract.layout import char_boxes  # noqa: F401  (geometry of the single span)

        x0, y0, x1, y1 = bbox
        frac = cut / max(1, len(text))
        left_box = [x0, y0, x0 + frac * (x1 - x0), y1]
        right_box = [x0 + frac * (x1 - x0), y0, x1, y1]
    if frm:
        out["valid_from"] = ExtractedField(frm, text[:cut], left_box, confs[:cut], v.source)
        t = N._prepare_date_text(text, keep_digit_spaces=False) or ""
        first = N._VALIDITY_DATE_RE.search(t)
        if first is not None and t[first.end() : first.end() + 1].isdigit():
            # 2023.12.24033.12.21 (2023.12.21-2033.12.21 with "1-2" read as one 4): the first
            # date runs on into digits, where its day ends is a guess
            out["valid_from"].checks.append("validity_dates_run_together")
        elif first is not None and first.group(4) and min(len(first.group(4)), len(first.group(5))) < 2:
            # 2021.10.2b长期 (2021.10.20-长期, 0 and the dash read as one letter): a validity
            # prints its month and day with two digits each; one digit is one lost
            out["valid_from"].checks.append("validity_date_digit_lost")
    if to:
        out["valid_to"] = ExtractedField(to, text[cut + 1 :], right_box, confs[cut + 1 :], v.source)
    elif frm and (half := re.search(r"(?<=\d)\W*(?:[长長]|[^\W\d]?期)\W*$", text)) is not None:
        # 2023.06.10长, 2023.01.22-機期: half of 长期 read (the end of a validity is a date or
        # 长期; a stroke over 长 made it another character), for review
        k = half.start()
        out["valid_to"] = ExtractedField(N.LONG_TERM, text[k:], right_box, confs[k:], v.source,
                                         checks=["validity_completed"])
    elif frm and (end := _validity_end_from_start(frm, text[cut + 1 :])) is not None:
        # 2026.08.09-2046.08.0: the end date's last digits lost (a stroke across them); the
        # end is the start 5, 10 or 20 years on, and what was read picks one term: for review
        out["valid_to"] = ExtractedField(end, text[cut + 1 :], right_box, confs[cut + 1 :], v.source,
                                         checks=["validity_completed"])
    return out


def _validity_end_from_start(frm: str, tail: str) -> str | None:
    """The end date a validity's start gives (the same day 5, 10 or 20 years on) of which the
    read `tail` (digits and dots) is the beginning, its year and month at least, when exactly
    one term fits; None otherwise."""
    if re.search(r"[^\d\s.．,·-]", tail):
        return None
    digits = re.sub(r"\D", "", tail)
    if len(digits) < 6 or len(digits) >= 8:
        return None
    y, m, d = (int(x) for x in frm.split("-"))
    fits = {f"{y + n:04d}-{m:02d}-{d:02d}" for n in (5, 10, 20) if f"{y + n:04d}{m:02d}{d:02d}".startswith(digits)}
    if len(fits) != 1 or (m, d) == (2, 29):  # a 29 February start: the end's day is a guess
        return None
    return fits.pop()
