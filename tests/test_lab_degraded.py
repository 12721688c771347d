"""Degraded lab reports: misread item names snapped to the vocabulary of test names
(extract/data/lab_test_names.tsv) only where the match is close and unique, names that were not
read at all given by the row's unit and reference interval, misread units and abbreviations of
a known test, all at a confidence below the review threshold; and on the real pipeline (real
OCR on generated reports with known truth), no clean row made wrong and degraded rows made
right."""
from __future__ import annotations

import pytest

from extract.tables import (
    SNAP_CONF,
    clean_range,
    clean_unit,
    find_tables,
    guess_unit,
    lab_codes,
    lab_names,
    range_candidates,
    snap_name,
    split_glued_codes,
    table_items,
    usual_code,
    usual_unit,
)
from tests.synthlines import L, row, two_tables

# ------------------------------------------------------------------------ the vocabulary


def test_vocabulary_is_sizeable_and_covers_the_common_panels():
    names = lab_names()
    assert len(names) >= 400
    for n in ["白细胞计数", "血红蛋白", "尿蛋白", "丙氨酸氨基转移酶", "总胆红素", "肌酐", "胱抑素C", "总胆固醇",
              "低密度脂蛋白胆固醇", "钾", "氯", "凝血酶原时间", "促甲状腺激素", "甲胎蛋白", "糖类抗原19-9",
              "γ-谷氨酰转肽酶", "估算肾小球滤过率"]:
        assert n in names, n
    assert "g/L" in names["白蛋白"] and "LDL-C" in lab_codes()["低密度脂蛋白胆固醇"]


# ------------------------------------------------------------------------ snapping names


@pytest.mark.parametrize("read, unit, truth", [
    ("脱抑素C", "mg/L", "胱抑素C"),                   # one character misread
    ("估算育小球滤过率", "mL/min/1.73m2", "估算肾小球滤过率"),
    ("甘油三瓶", "mmol/L", "甘油三酯"),
    ("高密度脂蛋白群国醇", "mmol/L", "高密度脂蛋白胆固醇"),  # two of nine
    ("丙氨层氨基转移酶", "U/L", "丙氨酸氨基转移酶"),
])
def test_close_unique_misreading_is_snapped(read, unit, truth):
    s = snap_name(read, unit)
    assert s is not None and s.name == truth
    assert s.confidence <= SNAP_CONF[s.distance] < 0.9


@pytest.mark.parametrize("read, unit", [
    ("总删红工家", "μmol/L"),   # three of five characters wrong: too far
    ("网接导红术", "μmol/L"),   # as near to 间接胆红素 as to 直接胆红素
    ("自断白", "g/L"),          # 白蛋白, 球蛋白, 总蛋白: two of three wrong each
    ("尿", "μmol/L"),           # one character, no reference interval
    ("OMAN", "g/L"),            # no Chinese character
])
def test_far_or_ambiguous_misreading_is_refused(read, unit):
    assert snap_name(read, unit) is None


def test_tie_between_two_names_is_refused_unless_the_reference_interval_decides():
    # 满性磷酸酶 is one character from both 碱性磷酸酶 and 酸性磷酸酶 (both in U/L)
    assert snap_name("满性磷酸酶", "U/L") is None
    s = snap_name("满性磷酸酶", "U/L", reference_range="45-125")
    assert s is not None and s.name == "碱性磷酸酶" and s.confidence <= 0.6


def test_a_unit_the_test_is_never_reported_in_refuses_the_snap():
    assert snap_name("脱抑素C", "mg/L").name == "胱抑素C"
    assert snap_name("脱抑素C", "mmol/L") is None


def test_a_part_of_a_longer_name_is_not_completed():
    # 上皮细胞 is printed on urinalysis reports as well as 尿上皮细胞: a shorter name as read
    # is not taken for the longer one with characters lost
    vocab = {"尿上皮细胞": ("/μL",), "白蛋白": ("g/L",)}
    assert snap_name("上皮细胞", "/μL", vocab) is None
    assert snap_name("尿上皮细跑", "/μL", vocab).name == "尿上皮细胞"


def test_names_in_the_vocabulary_are_never_changed():
    for n in ["尿酸", "尿素", "钾", "总蛋白", "胱抑素C"]:
        assert snap_name(n, "mmol/L", reference_range="3.50-5.30") is None


def test_name_not_read_is_given_by_unit_and_reference_interval_only_when_unique():
    assert range_candidates("mmol/L", "3.50-5.30") == ["钾"]
    s = snap_name("", "mmol/L", reference_range="99.0--110.0")
    assert s is not None and s.name == "氯" and s.confidence <= 0.5
    assert snap_name("纳", "mmol/L", reference_range="137.0-147.0").name == "钠"
    # an interval no usual one fits, or another unit: nothing
    assert snap_name("", "mmol/L", reference_range="10.0-20.0") is None
    assert snap_name("", "U/L", reference_range="3.50-5.30") is None
    # an interval that fits two tests (ALT 9-50 and GGT 10-60 overlap): nothing
    assert len(range_candidates("U/L", "9-50")) > 1
    assert snap_name("", "U/L", reference_range="9-50") is None


# ------------------------------------------------------------------------ units, codes, ranges


def test_unit_misreadings():
    assert clean_unit("umol/L") == "μmol/L" and clean_unit("/uL") == "/μL"
    assert guess_unit("U/") == "U/L" and guess_unit("mmol/t") == "mmol/L"
    assert guess_unit("×10~9/L") == "×10^9/L"
    assert guess_unit("%6") == "%" and guess_unit("%.") == "%" and guess_unit("%") is None
    assert guess_unit("mmol/L") is None and guess_unit("g/dL") is None
    assert guess_unit("10^9") == "10^9/L" and guess_unit("×10*12") == "×10*12/L"  # /L lost at the edge
    assert guess_unit("10^3") is None
    assert usual_unit("平均红细胞血红蛋白含量", "bg") == "pg"
    assert usual_unit("球蛋白", "B/L") == "g/L"
    assert usual_unit("球蛋白", "mg/L") is None  # a real unit read as printed is left alone
    assert usual_unit("总胆固醇", "WL") is None  # too far from mmol/L
    assert usual_unit("平均血红蛋白含量", "P8") == "pg"  # dev seed 893: a capital P and g read as 8
    # dev seed 918 lab #4: 直接胆红素's μmol/L read pmol/L (a real unit, never a bilirubin's)
    assert usual_unit("直接胆红素", "pmol/L") == "μmol/L"
    assert usual_unit("直接胆红素", "mmol/L") is None  # another prefix: as read
    # dev seed 893 clean #10: a per-cent sign's circles read oo, 8o, for a test reported only in %
    assert usual_unit("中性粒细胞百分比", "oo") == "%" and usual_unit("淋巴细胞百分比", "8o") == "%"
    # dev seed 902 degraded #5: the sign read 46 (0.64)
    assert usual_unit("淋巴细胞百分比", "46") == "%"
    assert usual_unit("血红蛋白", "46") is None  # a test reported in g/L: no guess


@pytest.mark.parametrize("cell, want", [
    # dev seeds 893 #11 and 895 #4: the gap between the unit and reference columns lost
    ("10^9/L3.50～9.50", ("", "10^9/L", "3.50～9.50")),
    ("fL82.0～100.0", ("", "fL", "82.0～100.0")),
    ("高%0.4～8.0", ("↑", "%", "0.4～8.0")),          # the flag mark too
    ("10°9/L3.50-9.50", ("", "10^9/L", "3.50-9.50")),  # the caret read as a degree sign
    ("%640.0-75.0", ("", "%", "40.0-75.0")),           # %6 is %: 640.0-75.0 is no range
    ("mmol/L<5.18", ("", "mmol/L", "<5.18")),
    ("mL/min/1.73m2≥90.0", ("", "mL/min/1.73m2", "≥90.0")),
    ("73m2≥90.0", None),                                # no unit before it
    ("3.5-5.5", None), ("阴性", None), ("R82.0-100.0", None),
])
def test_a_unit_and_its_reference_read_as_one_cell(cell, want):
    from extract.tables import split_unit_range

    assert split_unit_range(cell) == want


def test_unit_and_reference_in_one_cell_are_parted_in_the_items():
    data = [("1", "白细胞计数", "WBC", "4.98", "", "10^9/L3.50～9.50"),
            ("2", "嗜酸性粒细胞百分比", "EO%", "13.7", "", "高%0.4～8.0"),
            ("3", "血小板计数", "PLT", "138", "10^9/L125～350", "")]
    items = _items(_lines(data))
    got = [(it.value["unit"], it.value["reference_range"], it.value["flag"]) for it in items]
    assert got == [("10^9/L", "3.50～9.50", ""), ("%", "0.4～8.0", "↑"), ("10^9/L", "125～350", "")]


def test_a_decimal_point_read_as_a_comma():
    """Dev seeds 893-896: 39,7 beside 20.0-50.0; 1.003-1,030; 0,0-25.0."""
    from extract.tables import clean_range, comma_point

    assert comma_point("39,7", "20.0-50.0") == "39.7"
    assert comma_point("12,500", "4000-10000") is None  # a thousands separator maybe: as read
    assert comma_point("39,7", "20-50") is None
    # a colon read for the point (dev seed 904 lab degraded #5: 130:3 beside ≥90.0); a titre
    # (1:320 beside <1:100) is a ratio, as read
    assert comma_point("130:3", "≥90.0") == "130.3"
    assert comma_point("130：3", "90.0-200.0") == "130.3"
    assert comma_point("1:320", "<1:100") is None
    assert clean_range("1.003-1,030") == "1.003-1.030" and clean_range("0,0-25.0") == "0.0-25.0"
    assert clean_range("4,000-10,000") == "4,000-10,000"  # thousands, maybe: as read
    assert clean_range("8,50～5.30") == "8.50～5.30"
    assert clean_range("0,50-25.0") == "0,50-25.0"  # the bounds' decimals differ: as read
    # dev seed 896 #9: a mark after the range read as V; a point read as a colon, no separator
    assert clean_range("27.0-34.0V") == "27.0-34.0" and clean_range("82.0100:0") == "82.0100.0"
    assert clean_range("Neg") == "Neg"


def test_a_speck_before_a_range_or_a_dash_after_it_is_no_part_of_it():
    """Dev seed 902 lab degraded #7, #9: *0.85～1.51, *3.10-8.00, 20.0～40.0-."""
    from extract.tables import clean_range

    assert clean_range("*0.85～1.51") == "0.85～1.51" and clean_range("*3.10-8.00") == "3.10-8.00"
    assert clean_range("20.0～40.0-") == "20.0～40.0"
    for kept in ("<3.37", "≥1.04", "*", "3.5-", "阴性(-)"):
        assert clean_range(kept) == kept


def test_a_result_read_into_the_name_cell_is_parted():
    """Dev seed 894 #9: 嗜碱性粒细胞百分比0.4 read as one name, the result cell empty."""
    data = [("1", "嗜碱性粒细胞百分比0.4", "BASO%", "", "%", "0.0-1.0"),
            ("2", "白细胞计数", "WBC", "5.1", "10^9/L", "3.50-9.50"),
            ("3", "维生素B12", "VB12", "", "pmol/L", "133-675")]  # a name ending in digits: as read
    items = _items(_lines(data))
    assert [(it.value["name"], it.value["result"]) for it in items] == [
        ("嗜碱性粒细胞百分比", "0.4"), ("白细胞计数", "5.1"), ("维生素B12", "")]


def test_a_test_under_a_test_is_no_wrapped_name():
    """Dev seed 893 lab clean #6: 尿白细胞's lone "-" result unread, its name alone on its row
    was taken for the rest of the name above: 尿潜血尿白细胞 at 0.92. Two tests' names are two rows."""
    data = [("1", "尿潜血", "BLD", "阴性", "", "-"), ("", "尿白细胞", "", "", "", "")]
    names = [it.value["name"] for it in _items(_lines(data))]
    assert "尿潜血尿白细胞" not in names and names[0] == "尿潜血"
    # a long name wrapped onto a second line is still one name
    data = [("1", "低密度脂蛋白", "LDL-C", "2.74", "mmol/L", "<3.37"), ("", "胆固醇", "", "", "", "")]
    assert [it.value["name"] for it in _items(_lines(data))] == ["低密度脂蛋白胆固醇"]


def test_a_copys_note_across_the_table_is_no_row_and_no_part_of_a_result():
    """Dev seed 900 lab degraded #1, #2: 此复印件仅供社保业务使用 across the table: 业26 for 26,
    and a row 供社保业 | 务 of the note's pieces."""
    from extract.tables import clean_number

    assert clean_number("业26") == "26" and clean_number("阴性") == "阴性" and clean_number("高26") == "高26"
    data = [("1", "天门冬氨酸氨基转移酶", "AST", "26", "U/L", "15--40"), ("", "供社保业", "", "务", "", ""),
            ("2", "总胆红素", "TBIL", "6.7", "μmol/L", "0.0--21.0")]
    assert [it.value["name"] for it in _items(_lines(data))] == ["天门冬氨酸氨基转移酶", "总胆红素"]


def test_row_numbers_and_specks_read_into_names_are_cut_off():
    from extract.tables import Item, clean_name, strip_row_numbers

    assert clean_name(".低密度脂蛋白胆固醇") == "低密度脂蛋白胆固醇"
    names = ["10淋巴细胞百分比", "11单核细胞百分比", "12咖酸性粒顺胞百分比", "25-羟基维生素D", "1,25-二羟维生素D"]
    items = [Item({"name": n}, {}, [0, 0, 1, 1]) for n in names]
    strip_row_numbers(items)
    # a run counting on (a table continued from 1-9) is the rows' numbers; others are names
    assert [it.value["name"] for it in items] == ["淋巴细胞百分比", "单核细胞百分比", "咖酸性粒顺胞百分比",
                                                  "25-羟基维生素D", "1,25-二羟维生素D"]


def test_code_misreadings():
    assert usual_code("低密度脂蛋白胆固醇", "LDL-") == "LDL-C"
    assert usual_code("高密度脂蛋白胆固醇", "HOL-C") == "HDL-C"
    assert usual_code("白球比", "AIG") == "A/G"
    assert usual_code("低密度脂蛋白胆固醇", "LDL") is None  # a usual one as read
    assert usual_code("总蛋白", "ALB") is None  # another test's: not this one's misreading
    # dev seeds 894-895: an absolute count's # read as = (however surely): no code ends in =
    from extract.tables import _code

    assert _code("NEUT=") == "NEUT#" and usual_code("淋巴细胞绝对值", _code("LYNPH=")) == "LYMPH#"
    assert _code("A=B") == "A=B"
    assert _code("A/G.") == "A/G" and _code("TP,") == "TP"  # dev seed 900 #3: a speck after it
    # dev seed 894 #5: 白球比's A/G read AG (the anion gap's letters) with its slash lost
    from extract.tables import mark_lost_code

    assert mark_lost_code("白球比", "AG") == "A/G" and mark_lost_code("阴离子间隙", "AG") is None
    assert mark_lost_code("白球比", "A/G") is None and mark_lost_code("白球比", "XY") is None
    # dev seed 915 lab #2: 磷's P read .p (a speck before it, the letter's case)
    assert _code(".p") == "p" and mark_lost_code("磷", "p") == "P"
    assert mark_lost_code("尿酸碱度", "ph") is None  # PH and pH both usual: which one?


def test_a_speck_after_a_qualitative_word_is_not_part_of_it():
    from extract.tables import snap_qualitative

    assert snap_qualitative("Neg.") == "Neg"  # dev seed 791 lab #6
    assert snap_qualitative("Pos·") == "Pos"
    assert snap_qualitative("Neg") is None  # as printed
    assert snap_qualitative("Nag.") is None  # a speck and a misread letter: left as read


def test_qualitative_sign_read_as_the_character_one():
    assert clean_range("阴性(一)") == "阴性(-)" and clean_range("阴性（一）") == "阴性(-)"
    assert clean_range("3.5-5.3") == "3.5-5.3"


# ------------------------------------------------------------------------ in the table

COLS = {"seq": 60, "name": 120, "code": 420, "result": 560, "unit": 740, "range": 900}
HEADER = [("序号", 60), ("项目名称", 120), ("缩写", 420), ("结果", 560), ("单位", 740), ("参考范围", 900)]


def _lines(data, confs=0.6, header=HEADER, keys=("seq", "name", "code", "result", "unit", "range")):
    lines = row(header, 200)
    for i, rec in enumerate(data):
        y = 200 + (i + 1) * 45
        for k, txt in zip(keys, rec):
            if not txt:
                continue
            c = confs if k == "name" else 0.99
            lines.append(L(txt, COLS[k], y, confs=[c] * len(txt)))
    return lines


DATA = [
    ("1", "脱抑素C", "CysC", "0.98", "mg/L", "0.59-1.03"),
    ("2", "", "K", "4.90", "mmol/L", "3.50-5.30"),
    ("3", "满性磷酸酶", "ALP", "90", "U/L", "45-125"),
    ("4", "网接导红术", "IBIL", "11.8", "μmol/L", "1.7-13.7"),
    ("5", "低密度脂蛋白胆固醇", "LDL-", "2.74", "mmol/L", "<3.37"),
]


def _items(lines, snap=True):
    return [it for tb in find_tables(lines) for it in table_items(tb, snap=snap)]


def test_rows_snapped_in_the_table_and_confidence_capped():
    items = _items(_lines(DATA))
    names = [it.value["name"] for it in items]
    assert names == ["胱抑素C", "钾", "碱性磷酸酶", "网接导红术", "低密度脂蛋白胆固醇"]
    assert items[4].value["code"] == "LDL-C"
    for it in items[:3]:
        assert it.snapped_from != it.value["name"]
        assert min(it.cell_confs["name"]) < 0.9  # never surer than a snap allows
    assert items[3].snapped_from == ""  # ambiguous: left as read
    assert [it.value["name"] for it in _items(_lines(DATA), snap=False)][:3] == ["脱抑素C", "", "满性磷酸酶"]


def test_names_read_surely_are_not_snapped():
    # a printed name outside the vocabulary, read with sure characters, stays as printed
    data = [("1", "胶抑素C", "CysC", "0.98", "mg/L", "0.59-1.03"), ("2", "尿素", "UREA", "5.1", "mmol/L", "3.1-8.0"),
            ("3", "肌酐", "CREA", "70", "μmol/L", "57-111")]
    items = _items(_lines(data, confs=0.995))
    assert items[0].value["name"] == "胶抑素C"
    items = _items(_lines(data, confs=0.6))
    assert items[0].value["name"] == "胱抑素C"


def test_row_number_read_into_the_name_is_taken_off():
    header = [("项目名称", 120), ("缩写", 420), ("结果", 560), ("单位", 740), ("参考范围", 900)]
    data = [("12总胆固醇", "TC", "6.60", "mmol/L", "<5.18"), ("13甘油三酯", "TG", "1.21", "mmol/L", "<1.70"),
            ("14高密度脂蛋白胆固醇", "HDL-C", "1.59", "mmol/L", ">1.04")]
    items = _items(_lines(data, header=header, keys=("name", "code", "result", "unit", "range")))
    assert [it.value["name"] for it in items] == ["总胆固醇", "甘油三酯", "高密度脂蛋白胆固醇"]


def test_codes_glued_to_names_become_a_code_column():
    header = [("项目名称", 120), ("结果", 560), ("单位", 740), ("参考范围", 900)]
    data = [("总蛋白TP", "75.4", "g/L", "65.0-85.0"), ("白蛋白ALB", "50.1", "g/L", "40.0-55.0"),
            ("球蛋白GLB", "25.3", "g/L", "20.0-40.0"), ("胱抑素C", "0.9", "mg/L", "0.59-1.03")]
    items = _items(_lines(data, header=header, keys=("name", "result", "unit", "range")))
    assert [(it.value["name"], it.value["code"]) for it in items] == [
        ("总蛋白", "TP"), ("白蛋白", "ALB"), ("球蛋白", "GLB"), ("胱抑素C", "")]
    assert list(items[0].value) == ["name", "code", "result", "unit", "reference_range", "flag"]


def test_names_ending_in_latin_letters_are_not_split():
    # 免疫球蛋白G, 补体C3: test names, not a glued code column
    header = [("项目名称", 120), ("结果", 560), ("单位", 740), ("参考范围", 900)]
    data = [("免疫球蛋白G", "12", "g/L", "7.0-16.0"), ("免疫球蛋白A", "2", "g/L", "0.7-4.0"),
            ("补体C3", "1.1", "g/L", "0.9-1.8"), ("补体C4", "0.2", "g/L", "0.1-0.4")]
    tbs = find_tables(_lines(data, header=header, keys=("name", "result", "unit", "range")))
    items = [it for tb in tbs for it in table_items(tb)]
    assert not split_glued_codes(items)
    assert [it.value["name"] for it in items] == ["免疫球蛋白G", "免疫球蛋白A", "补体C3", "补体C4"]
    assert "code" not in items[0].value


# ------------------------------------------------------------------------ real pipeline, real OCR


def _run_and_capture(pipeline, kind, seed, idx, monkeypatch):
    """Run the real pipeline on a generated report; keep what the table stage was given."""
    import extract.fields.rules as R
    from samples.generate import encode, generate

    seen = {}
    orig = R.table_field

    def wrap(lines, spec, image):
        seen["args"] = (lines, spec, image)
        return orig(lines, spec, image)

    monkeypatch.setattr(R, "table_field", wrap)
    s = generate(kind, seed, idx)
    data, ext = encode(s)
    result = pipeline.extract_bytes(data, "x" + ext)
    truth = s.truth["documents"][0]["fields"]["items"]["value"]
    return result, seen["args"], truth


def _rows_right(got, truth):
    keys = ("name", "result", "unit", "reference_range", "flag")
    return [all(g.get(k, "") == t.get(k, "") for k in keys) for g, t in zip(got, truth)]


@pytest.mark.slow
def test_pipeline_clean_lab_report_stays_exact(pipeline, monkeypatch):
    result, _, truth = _run_and_capture(pipeline, "lab_report_clean", 101, 1, monkeypatch)
    doc = result.documents[0] if hasattr(result, "documents") else result["documents"][0]
    items = doc.fields["items"] if hasattr(doc, "fields") else doc["fields"]["items"]
    got = items.value if hasattr(items, "value") else items["value"]
    assert got == truth


@pytest.mark.slow
def test_pipeline_degraded_lab_report_names_snapped_never_made_wrong(pipeline, monkeypatch):
    import extract.fields.rules as R

    _, (lines, spec, image), truth = _run_and_capture(pipeline, "lab_report_degraded", 131, 2, monkeypatch)
    tables = find_tables(lines, spec.columns, image=image, end=spec.end)
    plain = [it.value for tb in tables for it in table_items(tb, snap=False)]
    snapped = [it for tb in tables for it in table_items(tb, snap=True)]
    assert len(plain) == len(snapped) == len(truth)
    before, after = _rows_right(plain, truth), _rows_right([it.value for it in snapped], truth)
    # no row that was right is made wrong, and the misread names of this report are mended
    assert all(a for b, a in zip(before, after) if b)
    assert sum(after) > sum(before)
    for it, t in zip(snapped, truth):
        if it.snapped_from:
            assert it.value["name"] == t["name"], (it.snapped_from, it.value["name"], t["name"])
            assert min(it.cell_confs["name"]) < 0.9
    f = R.table_field(lines, spec, image)
    from extract.confidence import field_confidence

    assert f is not None and field_confidence("lab_report", "items", f) < 0.9


@pytest.mark.parametrize("fn, raw, want", [
    ("clean_number", ".102", "102"),        # a speck before a result (reports print 0.17, not .17)
    ("clean_number", ".0.17", "0.17"),
    ("clean_number", "3.7.", "3.7"),
    ("clean_range", ".40.0～75.0", "40.0～75.0"),
    ("clean_range", "316-354·", "316-354"),
    ("clean_range", "<5.0", "<5.0"),
    ("clean_unit", "1·×10^9/L", "×10^9/L"),  # a mark and a speck before a known unit
    ("clean_unit", "g/L", "g/L"),
])
def test_specks_at_the_ends_of_cells_are_dropped(fn, raw, want):
    from extract import tables

    assert getattr(tables, fn)(raw) == want


def test_row_number_with_its_dot_read_into_the_name_is_taken_off():
    header = [("项目名称", 120), ("缩写", 420), ("结果", 560), ("单位", 740), ("参考范围", 900)]
    data = [("12总胆固醇", "TC", "6.60", "mmol/L", "<5.18"), ("13·甘油三酯", "TG", "1.21", "mmol/L", "<1.70"),
            ("2。高密度脂蛋白胆固醇", "HDL-C", "1.59", "mmol/L", ">1.04"), ("25-羟基维生素D", "", "30", "ng/mL", "30-100")]
    items = _items(_lines(data, header=header, keys=("name", "code", "result", "unit", "range")))
    assert [it.value["name"] for it in items] == ["总胆固醇", "甘油三酯", "高密度脂蛋白胆固醇", "25-羟基维生素D"]
    assert all(min(it.cell_confs["name"]) < 0.9 for it in items[:3])


@pytest.mark.parametrize("name, read, want", [
    ("单核细胞百分比", "2", "%"),       # a per-cent sign read as one digit or letter
    ("嗜酸性粒细胞百分比", "f", "%"),
    ("红细胞压积", "6", "%"),           # (% or L/L: one mark is no L/L)
    ("平均红细胞体积", "nt", "fL"),     # the one two-letter unit of the test, read as two others
    ("平均血红蛋白含量", "DE", "pg"),
    ("低密度脂蛋白胆固醇", "mn", "mmol/L"),  # the one long unit, its slash lost, begun alike
    ("尿素", "mmg", "mmol/L"),
    ("低密度脂蛋白胆固醇", "meciA", "mmol/L"),
    ("单核细胞百分比", "%%", "%"),      # the sign doubled (dev seed 791 lab #9)
    ("淋巴细胞百分比", "96", "%"),      # its two circles read as digits (dev seed 791 lab #3)
    ("尿素", "waol/L", "mmol/L"),       # a blurred copy's mm run together, the end read (793 #1)
    ("钾", "saol/L", "mmol/L"),
    ("胱抑素C", ":.mg/L", "mg/L"),      # specks before the unit (793 #2)
    ("估算肾小球滤过率", "1mL/win/1.73m2", "mL/min/1.73m2"),
])
def test_unit_misread_beyond_an_edit_of_a_test_with_one_usual_unit(name, read, want):
    assert usual_unit(name, read) == want


@pytest.mark.parametrize("name, read", [
    ("单核细胞百分比", "%"),        # as printed
    ("总胆固醇", "WL"),             # begins otherwise
    ("血红蛋白", "2"),              # g/L: one mark is not its unit
    ("总胆固醇", "mg/dL"),          # another known unit as read
    ("肌酐", "mmolL"),              # μmol/L only: begins otherwise
    ("不在词表", "2"),
    ("血红蛋白", "96"),             # two digits in the unit of a test not in per cent
    ("单核细胞百分比", "99"),       # no circle, no sign
    ("肌酐", "mmol/L"),             # another known unit, as read, whatever its end
    ("尿素", "ol/L"),               # too little read to say
])
def test_unit_not_guessed_without_the_tests_usual_unit_near(name, read):
    assert usual_unit(name, read) is None


def _unit_items(units, names=None):
    from extract.tables import Item

    names = names or ["白细胞计数"] * len(units)
    return [Item({"name": n, "result": "1.0", "unit": u, "reference_range": "", "flag": ""},
                 {"unit": [0.95]}, [0, 0, 1, 1]) for n, u in zip(names, units)]


def test_count_units_take_the_reports_style():
    from extract.tables import harmonize_power_units

    names = ["白细胞计数", "红细胞计数", "血小板计数", "中性粒细胞绝对值", "淋巴细胞绝对值", "嗜酸性粒细胞绝对值",
             "血红蛋白", "单核细胞百分比", "嗜碱性粒细胞绝对值"]
    items = _unit_items(["10*9/L", "10°12/L", "10*9/L", "10⁹/L", "-10°0/", "×10\"9/L", "g/L", "%", "10*9/L"], names)
    harmonize_power_units(items)
    assert [it.value["unit"] for it in items] == ["10*9/L", "10*12/L", "10*9/L", "10*9/L", "10*9/L", "10*9/L",
                                                  "g/L", "%", "10*9/L"]
    for k in (1, 3, 4, 5):
        assert min(items[k].cell_confs["unit"]) < 0.9
    assert items[0].cell_confs["unit"] == [0.95]
    items = _unit_items(["×10^9/L", "-10~9/1", "×10^12/L"], ["白细胞计数", "血小板计数", "红细胞计数"])
    harmonize_power_units(items)
    assert [it.value["unit"] for it in items] == ["×10^9/L", "×10^9/L", "×10^12/L"]


def test_two_tables_of_one_page_share_their_count_units_style():
    # dev seed 902 degraded #5: 10*9/L in the left table's first row and twice in the right,
    # 10°12/L (taken for 10^12/L) in the left's second: one style per page, not per table
    from extract.fields import get_extractor
    from schemas.doctypes import load_doctypes

    rows_l = [("白细胞计数", "WBC", "3.03", "10*9/L", "3.50-9.50"), ("红细胞计数", "RBC", "4.81", "10°12/L", "4.30-5.80")]
    rows_r = [("中性粒细胞绝对值", "NEUT#", "2.1", "10*9/L", "1.80-6.30"), ("淋巴细胞绝对值", "LYMPH#", "1.2", "10*9/L", "1.10-3.20")]
    lines = [L("医学检验报告单", 400, 20, 40)] + two_tables(rows_l, rows_r)
    got = get_extractor("rules").extract(load_doctypes()["lab_report"], lines, (1300, 900))["items"].value
    assert [it["unit"] for it in got] == ["10*9/L", "10*12/L", "10*9/L", "10*9/L"]


def test_count_units_guessed_from_damaged_marks_do_not_outvote_those_read():
    """Dev seed 917 lab degraded #7: 10*9/L read twice, 10°12/L and 10°9/L (twice) completed to
    10^…: the guesses are no votes for ^; the two units read whole give the report's style."""
    from extract.tables import harmonize_power_units

    data = [("1", "白细胞计数", "WBC", "5.1", "10*9/L", "3.50-9.50"),
            ("2", "红细胞计数", "RBC", "4.82", "10°12/L", "4.30-5.80"),
            ("3", "中性粒细胞绝对值", "NEUT#", "4.41", "10°9/L", "1.80-6.30"),
            ("4", "淋巴细胞绝对值", "LYMPH#", "0.78", "10°9/L", "1.10-3.20"),
            ("5", "血小板计数", "PLT", "152", "10*9/L", "125-350")]
    items = _items(_lines(data, confs=0.99))
    harmonize_power_units(items)
    assert [it.value["unit"] for it in items] == ["10*9/L", "10*12/L", "10*9/L", "10*9/L", "10*9/L"]
    assert min(items[1].cell_confs["unit"]) < 0.9 and min(items[0].cell_confs["unit"]) > 0.9


def test_count_units_without_a_clear_style_stay_as_read():
    from extract.tables import harmonize_power_units

    # two styles as often: no style is the report's
    for units in (["10*9/L", "10^9/L", "10°9/L", "-10°12/L"], ["10*9/L", "10*9/L", "10^9/L", "10^9/L", "10°9/L"]):
        items = _unit_items(units)
        harmonize_power_units(items)
        assert [it.value["unit"] for it in items] == units
    # a damaged power whose exponent neither the marks nor the test name give
    items = _unit_items(["10*9/L", "10*9/L", "10°0/"], ["白细胞计数", "白细胞计数", "某某"])
    harmonize_power_units(items)
    assert items[2].value["unit"] == "10°0/"


URINE = [
    ("尿蛋白", "PRO", "++", "", "阴性"), ("尿葡萄糖", "GLU", "-", "", "阴性"), ("尿酮体", "KET", "Neg", "", "阴性"),
    ("红细胞(镜检)", "RBC", "21.6", "/μL", "0.0-25.0"), ("白细胞(镜检)", "WBC", "21.8", "/μL", "0.0-28.0"),
    ("酸碱度", "pH", "7.3", "", "4.5-8.0"),
]


def test_reference_column_whose_header_was_misread_is_split_from_the_units():
    keys = ("name", "code", "result", "unit", "range")
    header = [("项目名称", 120), ("代号", 420), ("结果", 560), ("单位", 740), ("乘体", 900)]  # 参考范围 misread
    items = _items(_lines(URINE, header=header, keys=keys))
    assert [(it.value["unit"], it.value["reference_range"]) for it in items] == [
        (u, r) for *_, u, r in URINE]
    # nothing read on the header row right of 单位: the last column stays the units', except
    # that a numeric reference in it (glued to a unit, or alone: no unit reads 4.5-8.0) is a
    # reference; a word (阴性) is left where it was read
    header = [("项目名称", 120), ("代号", 420), ("结果", 560), ("单位", 740)]
    items = _items(_lines(URINE, header=header, keys=keys))
    assert [(it.value["unit"], it.value["reference_range"]) for it in items] == [
        ("阴性", ""), ("阴性", ""), ("阴性", ""), ("/μL", "0.0-25.0"), ("/μL", "0.0-28.0"), ("", "4.5-8.0")]


def test_units_right_of_their_header_are_not_taken_for_a_reference_column():
    keys = ("name", "code", "result", "unit")
    header = [("项目名称", 120), ("代号", 420), ("结果", 560), ("单位", 740), ("乘体", 900)]
    data = [("白蛋白", "ALB", "40", "g/L"), ("钾", "K", "4.1", "mmol/L"), ("肌酐", "CREA", "70", "μmol/L"),
            ("尿酸", "UA", "300", "μmol/L")]
    lines = _lines(data, header=header, keys=keys)
    for l in lines:  # the units printed far right in their column
        if l.text in ("g/L", "mmol/L", "μmol/L"):
            l.polygon = [(x + 160, y) for x, y in l.polygon]
    items = _items(lines)
    assert [it.value["unit"] for it in items] == ["g/L", "mmol/L", "μmol/L", "μmol/L"]
    assert all(not it.value["reference_range"] for it in items)


@pytest.mark.parametrize("res, last_conf, rng, want", [
    ("6.901", 0.68, "3.90～6.10", ("6.90", "↑")),   # 6.90↑: one decimal more than the reference's
    ("64.61", 0.61, "40.0-55.0", ("64.6", "↑")),
    ("31", 0.76, "7-45", ("3", "↓")),             # 3↓
    ("2+1", 0.61, "Neg", ("2+", "↑")),             # 2+↑
    ("31", 0.95, "7-45", None),                    # a 1 read surely is a 1
    ("11", 0.6, "3-9", None),                      # abnormal as read: its arrow was lost, not read
    ("6.91", 0.6, "3.90～6.10", None),              # the reference's decimals as read
    ("4.51", 0.6, "3.5-9.5", None),                 # 4.5 is normal: no arrow printed
    ("阴性1", 0.6, "阴性", None),
    # dev seeds 893-894: the arrow read as an 8, and whole numbers far above their range
    ("46.78", 0.53, "35.0-45.0", ("46.7", "↑")),
    ("12.68", 0.57, "3.0-10.0", ("12.6", "↑")),
    ("5021", 0.58, "125-350", ("502", "↑")),
    ("4011", 0.60, "155～357", ("401", "↑")),
    ("5021", 0.95, "125-350", None),                # an 1 read surely
    ("418", 0.6, "125-350", None),                  # 41↓ or 418↑? not far out as read: as read
    ("2+8", 0.6, "Neg", None),
    # dev seed 915: an arrow glued to the result read surely as its last digit; the
    # reference's decimals say it is none
    ("16.51", 0.99, "1.7～13.7", ("16.5", "↑")),
    ("11.101", 0.99, "3.10～8.00", ("11.10", "↑")),
    ("16.51", 0.99, "1.7～13.70", None),            # bounds printed with unlike decimals: as read
    ("4.51", 0.99, "3.5-9.5", None),                # normal without it: as read
    ("5021", 0.99, "125-350", None),                # a whole number read surely: as read
])
def test_flag_arrow_read_as_a_one_after_the_result(res, last_conf, rng, want):
    from extract.tables import arrow_read_as_one

    assert arrow_read_as_one(res, [0.99] * (len(res) - 1) + [last_conf], rng) == want


def test_a_lone_dash_beside_the_last_letter_of_the_cell_before():
    """Dev seed 791 lab #6: the result cell's box reaches over its left border (a cell's text
    may start on it) and took in the O of URO from the code cell; a stroke cut by the box's
    side is the neighbour's, and the lone "-" is still seen."""
    import cv2
    import numpy as np

    from extract.tables import _dash_in

    g = np.full((60, 160), 240, np.uint8)
    cv2.line(g, (30, 0), (30, 59), 80, 2)                 # the cells' border
    cv2.ellipse(g, (18, 30), (8, 11), 0, 0, 360, 60, 2)  # the O of the code cell
    cv2.line(g, (50, 31), (56, 31), 70, 2)               # the dash
    assert _dash_in(g, 20, 5, 150, 55)
    cv2.putText(g, "3", (90, 42), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 60, 2)
    assert not _dash_in(g, 20, 5, 150, 55)  # a digit beside the dash: not a lone dash


@pytest.mark.parametrize("res, rng, flag, want", [
    ("182", "0.0--21.0", "", "18.2"),      # no mark printed: the pointed result is in range (793 #4)
    ("303", "27.0-34.0", "", "30.3"),
    ("132", "1.80-6.30", "↓", "1.32"),     # the printed ↓ is the pointed result's (793 #5)
    ("182", "0.0--21.0", "↑", None),       # the printed ↑ is the read result's: as read
    ("411", "155-357", "↑", None),         # a range without decimals says nothing of points
    ("661", "4.0-6.0", "↑", None),         # 66.1 is as high as 661: no evidence
    ("18.2", "0.0--21.0", "", None),       # read with its point
    ("5", "1.0-9.0", "", None),            # one digit cannot have lost a point before it
])
def test_a_results_lost_point_is_put_back_only_when_the_flag_says_so(res, rng, flag, want):
    from extract.tables import point_lost

    assert point_lost(res, rng, flag) == want


def test_a_reports_only_count_unit_damaged_keeps_its_own_mark():
    """Dev seed 793 lab #0: 血小板计数's 10*9/L read 10*0/L, the report's only count unit (no
    style to follow): its own * kept, the power the test's (9), for review."""
    from extract.tables import Item, harmonize_power_units

    def items(unit):
        return [Item({"name": "血小板计数", "unit": unit, "result": "227"}, {"unit": [0.99]}, [0, 0, 1, 1]),
                Item({"name": "血红蛋白", "unit": "g/L", "result": "161"}, {"unit": [0.99]}, [0, 0, 1, 1])]

    its = items("10*0/L")
    harmonize_power_units(its)
    assert [it.value["unit"] for it in its] == ["10*9/L", "g/L"]
    assert min(its[0].cell_confs["unit"]) < 0.9 and min(its[1].cell_confs["unit"]) > 0.9
    for unread in ("10**/L", "10*0/"):  # no power, or no litre: as read
        its = items(unread)
        harmonize_power_units(its)
        assert its[0].value["unit"] == unread


def test_an_empty_unit_cell_of_a_test_reported_with_a_unit():
    """Dev seed 795 lab #3: 嗜酸性粒细胞百分比's % not read, the items 0.92 sure. In a table whose
    rows read their units, the test's one usual unit is put in, for review; a count unit (its
    style is the report's) or a test reported without a unit is left as read."""
    from extract.tables import Item, missing_units

    def item(name, result, unit):
        return Item({"name": name, "result": result, "unit": unit, "reference_range": "", "flag": ""},
                    {"unit": [0.99]} if unit else {}, [0, 0, 1, 1])

    items = [item("白细胞计数", "6.1", "10^9/L"), item("中性粒细胞百分比", "60.2", "%"), item("淋巴细胞百分比", "30.1", "%"),
             item("嗜酸性粒细胞百分比", "6.7", ""), item("红细胞计数", "4.5", ""), item("尿比重", "1.020", ""),
             item("血红蛋白", "135", "g/L"), item("平均红细胞体积", "90.1", "fL"), item("血小板计数", "230", "10^9/L")]
    missing_units(items)
    assert [it.value["unit"] for it in items][:6] == ["10^9/L", "%", "%", "%", "", ""]
    assert items[3].cell_confs["unit"] == [0.5] and items[4].cell_confs["unit"] == [0.5]
    assert "unit" not in items[5].cell_confs and min(items[1].cell_confs["unit"]) > 0.9
    # a table whose rows mostly read no unit: nothing is put in
    few = [item("嗜酸性粒细胞百分比", "6.7", ""), item("白球比", "1.5", ""), item("尿比重", "1.020", ""), item("钾", "4.1", "mmol/L")]
    missing_units(few)
    assert few[0].value["unit"] == ""


def test_a_full_width_tilde_read_as_a_dash_is_seen_by_its_width():
    """Dev seed 900 lab degraded #4 and #7: 3.50～9.50 read 3.50-9.50 on every row (or on some):
    the separator spans about three digit steps, where a dash leaves about two."""
    from extract.tables import Item, full_width_separator
    from tests.synthlines import L

    def page(sep: str, n: int = 6):
        texts = [f"{lo}{sep}{hi}" for lo, hi in (("3.50", "9.50"), ("115", "150"), ("35.0", "45.0"), ("82.0", "100.0"),
                                                 ("27.0", "34.0"), ("316", "354"), ("125", "350"))[:n]]
        lines = [L(t, 900, 100 + 40 * k) for k, t in enumerate(texts)]
        items = [Item({"name": "x", "reference_range": t.replace("～", "-")}, {}, [0, 0, 1, 1]) for t in texts]
        return lines, items

    lines, items = page("～")  # printed ～ (a full-width character: one em), read "-"
    for l in lines:
        l.text = l.text.replace("～", "-")  # the recogniser's reading, the geometry the print's
    full_width_separator(lines, [[0, 0, 2000, 2000]], items)
    assert all("～" in it.value["reference_range"] for it in items)
    assert all(it.cell_confs["reference_range"][-1] < 0.9 for it in items)
    lines, items = page("-")  # printed and read "-": left alone
    full_width_separator(lines, [[0, 0, 2000, 2000]], items)
    assert all("-" in it.value["reference_range"] for it in items)
