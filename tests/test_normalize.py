"""Tests for extract.normalize (pure Python, fast)."""

from __future__ import annotations

import datetime as dt

import pytest

from extract import normalize as N


# --------------------------------------------------------------------------- basics


def test_to_halfwidth():
    assert N.to_halfwidth("１２３ＡＢＣｘ（）：") == "123ABCx():"
    assert N.to_halfwidth("张\u3000三") == "张 三"
    assert N.to_halfwidth("￥１２") == "￥12"
    assert N.to_halfwidth(None) is None


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("张 三", "张三"),
        ("张\u3000三", "张三"),
        ("  广东省 深圳市\u3000南山区  ", "广东省深圳市南山区"),
        ("Type  II 糖尿病", "Type II糖尿病"),
        ("IgA 肾病", "IgA肾病"),
        ("2020 年 1 月", "2020年1月"),
        ("a\tb", "a b"),
        ("", ""),
    ],
)
def test_clean_spaces(raw, expected):
    assert N.clean_spaces(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("十二", 12), ("三十一", 31), ("廿三", 23), ("一百零五", 105), ("壹仟贰佰", 1200),
     ("二〇二〇", 2020), ("12", 12), ("十", 10), ("一万二千", 12000), ("abc", None), ("", None)],
)
def test_cn_to_int(raw, expected):
    assert N.cn_to_int(raw) == expected


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2020年1月2日", "2020-01-02"),
        ("2020 年 1 月 2 日", "2020-01-02"),
        ("2020年 01月02 日", "2020-01-02"),
        ("2020.01.02", "2020-01-02"),
        ("2020-1-2", "2020-01-02"),
        ("2020/01/02", "2020-01-02"),
        ("20200102", "2020-01-02"),
        ("２０２０．０１．０２", "2020-01-02"),
        ("二〇二〇年一月二日", "2020-01-02"),
        ("二零二零年元月二日", "2020-01-02"),
        ("二〇二〇年十二月三十一日", "2020-12-31"),
        ("二〇二〇年正月廿一日", "2020-01-21"),
        ("2020年1月2号", "2020-01-02"),
        ("2O20.O1.02", "2020-01-02"),
        ("20l9年1月2日", "2019-01-02"),
        ("出生日期：1980年3月5日", "1980-03-05"),
        ("2020-01-02 10:30", "2020-01-02"),
        ("2020. 01 .02", "2020-01-02"),
        # a time read glued to its date (the space between them lost): day and hour two digits
        ("报告时间：2025-02-2309:02:00", "2025-02-23"),
        ("2026.01.1014:06", "2026-01-10"),
        # the day after a colon is no year-month (a misread separator: a repair, not a value)
        ("2025.02:23", None),
        ("2020年2月29日", "2020-02-29"),
        # a speck of toner read before or after a date word (dev seed 904 death degraded #0)
        ("2025.年4月26日·03:43", "2025-04-26"),
        ("2025年4·月26日", "2025-04-26"),
        ("2025年4月.26日", "2025-04-26"),
        # year and month only
        ("2020年1月", "2020-01"),
        ("2020.12", "2020-12"),
        ("二〇二〇年十二月", "2020-12"),
        # impossible or junk
        ("2020年2月30日", None),
        ("2019年2月29日", None),
        ("2020.13.01", None),
        ("19490230", None),
        ("2020年13月", None),
        ("abc", None),
        ("", None),
        ("12345", None),
        ("110105194912310021", None),
    ],
)
def test_normalize_date(raw, expected):
    assert N.normalize_date(raw) == expected


def test_normalize_date_accepts_date_objects():
    assert N.normalize_date(dt.date(2020, 1, 2)) == "2020-01-02"
    assert N.normalize_date(dt.datetime(2020, 1, 2, 8, 0)) == "2020-01-02"


def test_parse_date():
    assert N.parse_date("2020年1月2日") == dt.date(2020, 1, 2)
    assert N.parse_date("2020年1月") is None
    assert N.parse_date("2月30日") is None
    assert N.parse_date(None) is None


# --------------------------------------------------------------------------- person fields


@pytest.mark.parametrize(
    "raw, expected",
    [("男", "男"), ("女", "女"), ("男性", "男"), ("女性", "女"), ("M", "男"), ("F", "女"),
     ("m", "男"), ("female", "女"), (" 男 ", "男"), ("性别：女", "女"), ("Ｍ", "男"),
     ("男女", None), ("X", None), ("", None), (None, None)],
)
def test_normalize_sex(raw, expected):
    assert N.normalize_sex(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("汉族", "汉"), ("汉", "汉"), ("蒙古族", "蒙古"), ("维吾尔族", "维吾尔"), ("僮族", "僮"),
     ("民族：回族", "回"), (" 土家族 ", "土家"), ("族", None), ("", None), ("Han", None), (None, None),
     # a half-read label (and the sex beside it) before the group name
     ("民汉", "汉"), ("民土家", "土家"), ("女民族汉", "汉"), ("族回族", "回"), ("民旅汉", "汉"), ("汉A", "汉"), ("1回", "回"),
     # not a label's characters: left as read, to fail the ethnicity check
     ("例", "例"), ("大汉", "大汉")],
)
def test_normalize_ethnicity(raw, expected):
    assert N.normalize_ethnicity(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("78岁", "78"), ("78 岁", "78"), ("78", "78"), ("78周岁", "78"), ("七十八岁", "78"),
     ("年龄：65岁", "65"), ("8月", "8月"), ("8个月", "8月"), ("8 个月", "8月"), ("20天", "20天"),
     ("20日", "20天"), ("1岁3个月", "1"), ("0岁", "0"), ("78Y", "78"), ("200岁", None),
     ("abc", None), ("", None), (None, None)],
)
def test_normalize_age(raw, expected):
    assert N.normalize_age(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("11010519491231002x", "11010519491231002X"), ("1101 0519 4912 3100 2X", "11010519491231002X"),
     ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"), ("4403O5", "4403O5"),
     # a speck between digits stays: dropping it is a checker's repair (extract/checks/repair.py)
     ("150922·19720810400443", "150922·19720810400443"),
     ("", None), ("abc", None), (None, None)],
)
def test_normalize_id_number(raw, expected):
    assert N.normalize_id_number(raw) == expected


def test_normalize_id_number_never_pads():
    assert N.normalize_id_number("11010519491231002") == "11010519491231002"


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("￥1,234.50", "1234.50"),
        ("¥1,234.5", "1234.50"),
        ("1234.5元", "1234.50"),
        ("1234元", "1234.00"),
        ("人民币 12,345,678.9 元", "12345678.90"),
        ("RMB 100", "100.00"),
        ("1.2万元", "12000.00"),
        ("12,5", "12.50"),
        ("壹仟贰佰元整", "1200.00"),
        ("壹仟贰佰", "1200.00"),
        ("壹仟贰佰叁拾肆元伍角", "1234.50"),
        ("壹仟贰佰叁拾肆元伍角陆分", "1234.56"),
        ("叁万零伍拾元整", "30050.00"),
        ("伍角", "0.50"),
        ("人民币（大写）壹佰元整", "100.00"),
        ("１２３４．５", "1234.50"),
        ("abc", None),
        ("", None),
        ("元整", None),
    ],
)
def test_normalize_amount(raw, expected):
    assert N.normalize_amount(raw) == expected


# --------------------------------------------------------------------------- validity


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2015.03.12-2035.03.12", ("2015-03-12", "2035-03-12")),
        ("2015.03.12-长期", ("2015-03-12", "长期")),
        ("2015.03.12—2035.03.12", ("2015-03-12", "2035-03-12")),
        ("2015.03.12－2035.03.12", ("2015-03-12", "2035-03-12")),
        ("2015.03.12至2035.03.12", ("2015-03-12", "2035-03-12")),
        ("2015.03.12 至 长期", ("2015-03-12", "长期")),
        ("2015-03-12-2035-03-12", ("2015-03-12", "2035-03-12")),
        ("20150312-20350312", ("2015-03-12", "2035-03-12")),
        ("2015.03.122035.03.12", ("2015-03-12", "2035-03-12")),
        ("有效期限 2015.03.12 - 2035.03.12", ("2015-03-12", "2035-03-12")),
        ("2015年3月12日至2035年3月12日", ("2015-03-12", "2035-03-12")),
        ("2015.02.30-2035.02.30", (None, None)),
        ("2015.03.12-", ("2015-03-12", None)),
        ("长期", (None, "长期")),
        ("abc", (None, None)),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_normalize_validity(raw, expected):
    assert N.normalize_validity(raw) == expected


# --------------------------------------------------------------------------- disability


@pytest.mark.parametrize(
    "raw, expected",
    [("肢体", "肢体残疾"), ("肢体残疾", "肢体残疾"), ("视力", "视力残疾"), ("听力残疾", "听力残疾"),
     ("言语", "言语残疾"), ("智力", "智力残疾"), ("精神", "精神残疾"), ("多重", "多重残疾"),
     ("4", "肢体残疾"), ("7", "多重残疾"), ("8", None), ("其他", None), ("", None)],
)
def test_normalize_disability_category(raw, expected):
    assert N.normalize_disability_category(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("贰级", "二级"), ("2级", "二级"), ("二级", "二级"), ("壹级", "一级"), ("肆级", "四级"),
     ("三级", "三级"), ("Ⅱ级", "二级"), ("III级", "三级"), ("2", "二级"), ("五级", None),
     ("0级", None), ("", None)],
)
def test_normalize_disability_level(raw, expected):
    assert N.normalize_disability_level(raw) == expected


# --------------------------------------------------------------------------- junk never raises

_FUNCS = [
    N.to_halfwidth, N.clean_spaces, N.cn_to_int, N.normalize_date, N.parse_date, N.normalize_sex,
    N.normalize_ethnicity, N.normalize_age, N.normalize_id_number, N.normalize_amount,
    N.normalize_validity, N.normalize_disability_category, N.normalize_disability_level,
]
_JUNK = [None, 0, 3.5, [], {}, object(), "", " ", "\x00\x01", "？？？", "年月日", "-.-/", "9" * 200,
         "二" * 50, "元角分", "长期长期", "\u3000", "🙂", "2020年", "十百千万亿"]


@pytest.mark.parametrize("func", _FUNCS, ids=lambda f: f.__name__)
def test_never_raises_on_junk(func):
    for junk in _JUNK:
        func(junk)


def test_stray_stroke_after_roman_three_is_dropped():
    from extract.normalize import normalize_cn_text

    assert normalize_cn_text("心功能ⅢI级（NYHA分级）") == "心功能Ⅲ级（NYHA分级）"
    assert normalize_cn_text("心功能ⅢⅢ级") == "心功能Ⅲ级"
    assert normalize_cn_text("ⅡI级") == "ⅡI级"  # might be Ⅲ: as read
    assert normalize_cn_text("ⅢIgA肾病") == "ⅢIgA肾病"


def test_latin_capitals_for_a_stage_or_type_become_the_roman_numeral():
    from extract.normalize import normalize_cn_text as n

    assert n("糖尿病肾病IV期") == n("糖尿病肾病Ⅳ期") == "糖尿病肾病Ⅳ期"
    assert n("II型糖尿病") == "Ⅱ型糖尿病" and n("心功能III级") == "心功能Ⅲ级"
    # not inside a Latin word or after a digit, and not before other characters
    assert n("HIV型") == "HIV型" and n("维生素D缺乏") == "维生素D缺乏" and n("高血压病3级") == "高血压病3级"
    assert n("IV") == "IV"


def test_a_colon_read_between_month_and_day_is_repaired_for_review():
    """Dev seed 793 lab #5: 报告时间：2025.02:2315:23:00 (a dot read as a colon, the time glued)."""
    from extract.fields.values import repair_date_separator

    val, rep = repair_date_separator("2025.02:2315:23:00")
    assert val == "2025-02-23" and rep["reason"] == "date_separator" and rep["edits"] == [[7, ":", "."]]
    assert repair_date_separator("2025.02:31") is None  # no 31 February: nothing to repair to


def test_a_chinese_numeral_year_that_lost_its_zero_is_repaired_when_one_place_fits():
    """Dev seed 898 medical degraded #0: 开具日期：二〇二六年六月三日 read 二二六年六月三日. Of
    the four places for the 〇 only one gives a year not after this one; two (一九九年: 1909 or
    1990) give none."""
    from extract.fields.values import repair_date_separator

    val, rep = repair_date_separator("二二六年六月三日")
    assert val == "2026-06-03" and rep["edits"] == [[1, "", "〇"]]
    assert repair_date_separator("一九九年五月三日") is None
    assert repair_date_separator("二〇二六年六月三日") is None  # nothing to repair


def test_a_chinese_numeral_zero_read_as_c():
    """Dev seed 900 medical degraded #7: 二〇二五年六月四日 read 二C二五年六月四日."""
    from extract.normalize import normalize_date

    assert normalize_date("二C二五年六月四日") == "2025-06-04"
    assert normalize_date("2C25年6月4日") is None  # among Arabic digits a C is no zero


def test_a_chinese_date_that_lost_its_month_character_is_repaired_when_one_split_is_a_date():
    """Dev seed 872 household_register_degraded #0: a faded 1939年11月27日 read 1939年1127. The
    digits after 年 split one way only into a month and a day: that date, for review. Two
    ways (年111: 1-11 or 11-1), or too few digits to tell a day from a year-month, nothing."""
    from extract.fields.values import repair_date_separator

    val, rep = repair_date_separator("1939年1127")
    assert val == "1939-11-27" and rep["reason"] == "date_separator" and rep["edits"] == [[7, "", "月"]]
    assert repair_date_separator("2020年131")[0] == "2020-01-31"  # 13-1 is no date
    assert repair_date_separator("2020年111") is None
    assert repair_date_separator("2020年12") is None
    assert repair_date_separator("2020年1340") is None
