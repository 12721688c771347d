"""Label-value pairing on ruled forms (household-register pages, degraded copies and photos):

- a two-line value centred on its label's row has its first line above the label's line;
- a multi-line value stops at a ruled row line of the form (the next row's label misread);
- a short label read with one wrong character the recogniser was unsure of still counts, when
  no other declared label is as near; a label cut short (用名) is never a value.

Synthetic OCR lines (no OCR) and one real-pipeline page. Development seeds only (< 1000, not
1 or 2)."""
from __future__ import annotations

import cv2
import numpy as np

from extract.fields.rules import _own_rows, _ruled_between
from extract.layout import OTHER, Span, Value, find_labels, label_piece, pair_values, span_of
from ocr.base import OcrLine
from tests.helpers import register_fields


def _line(text, x0, y0, x1, y1, confs=None, alts=None):
    return OcrLine(text, 0.99, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)], char_confidences=confs,
                   char_alternatives=alts)


HOUSEHOLD = {"name": ["姓名"], "birthplace": ["出生地"], "birth_date": ["出生日期"],
             "address": ["住址", "户籍地址"], "relationship": ["户主或与户主关系", "与户主关系"],
             "ethnicity": ["民族"], OTHER: ["曾用名", "籍贯", "户号", "户别", "宗教信仰"]}


def _pair(lines, multiline=None):
    labels = find_labels(lines, HOUSEHOLD)
    words = [w for ws in HOUSEHOLD.values() for w in ws]
    return pair_values(lines, labels, multiline=multiline or {}, label_words=words)


# --------------------------------------------------------------------------- line above
def _centred(first_box=(170, 316, 500, 352)):
    return [
        _line("姓名", 60, 250, 130, 287),
        _line("张三", 170, 250, 260, 287),
        _line("出生地", 60, 336, 160, 373),
        _line("内蒙古自治区呼和浩特市", *first_box),
        _line("土默特左旗", 170, 343, 320, 380),
    ]


def test_first_line_of_a_centred_value_above_the_label_is_joined_in_reading_order():
    vals = _pair(_centred(), {"birthplace": 2})
    assert vals["birthplace"].text == "内蒙古自治区呼和浩特市土默特左旗"
    assert vals["name"].text == "张三"
    # a single-line field takes the line level with its label only
    assert _pair(_centred())["birthplace"].text == "土默特左旗"


def test_a_line_above_that_does_not_reach_the_label_row_or_another_column_is_not_joined():
    # stacked on the value but above the label's height band: the row above
    assert _pair(_centred((170, 290, 500, 326)), {"birthplace": 2})["birthplace"].text == "土默特左旗"
    # level enough but starting in another column
    assert _pair(_centred((400, 316, 700, 352)), {"birthplace": 2})["birthplace"].text == "土默特左旗"
    # the value of the row above (its label left of it) is never taken
    lines = [
        _line("籍贯", 60, 300, 130, 337),
        _line("北京市", 170, 306, 280, 342),
        _line("出生地", 60, 336, 160, 373),
        _line("顺义区", 170, 343, 280, 380),
    ]
    assert _pair(lines, {"birthplace": 2})["birthplace"].text == "顺义区"


# --------------------------------------------------------------------------- label pieces
def test_a_label_cut_short_is_never_a_value():
    words = ["曾用名", "姓名", "医疗卫生机构盖章", "户主姓名"]
    assert label_piece("用名", words)
    assert label_piece("曾用：", words)
    assert not label_piece("医疗卫生机构", words)  # a value (an option of 死亡地点)
    assert not label_piece("户主", words)  # a relationship, half of 户主姓名
    assert not label_piece("张用名", words)
    lines = [_line("姓名", 60, 100, 130, 137), _line("用名", 60, 160, 130, 197)]
    assert "name" not in _pair(lines)


# --------------------------------------------------------------------------- short labels, fuzzy
def test_short_label_with_one_unsure_wrong_character():
    lines = [_line("户超地址", 50, 560, 110, 585, confs=[0.9, 0.13, 0.7, 0.99]),
             _line("北京市顺义区双丰街道", 130, 560, 500, 590)]
    labs = find_labels(lines, HOUSEHOLD)
    assert [(l.field, l.fuzzy) for l in labs] == [("address", True)]
    assert _pair(lines)["address"].text == "北京市顺义区双丰街道"
    # the same reading with a sure recogniser is another word, not this label
    sure = [_line("户超地址", 50, 560, 110, 585, confs=[0.99, 0.98, 0.99, 0.99])]
    assert find_labels(sure, HOUSEHOLD) == []
    # ... unless the recogniser offered the label's character
    alts = [[("户", 0.99)], [("超", 0.9), ("籍", 0.05)], [("地", 0.99)], [("址", 0.99)]]
    offered = [_line("户超地址", 50, 560, 110, 585, confs=[0.99, 0.9, 0.99, 0.99], alts=alts)]
    assert [l.field for l in find_labels(offered, HOUSEHOLD)] == ["address"]
    # two-character labels: only a line that is the label alone
    assert [l.field for l in find_labels([_line("姓书", 60, 80, 100, 106, confs=[0.7, 0.48])], HOUSEHOLD)] == ["name"]
    assert find_labels([_line("姓书张三", 60, 80, 200, 106, confs=[0.7, 0.48, 0.9, 0.9])], HOUSEHOLD) == []


def test_four_character_label_with_a_number_run_on():
    """Dev seed 898 disability photo #1: 发证口期2011年5月9日 (日 read 口, unsure, the date glued)."""
    dates = {"issue_date": ["发证日期", "签发日期"], "name": ["姓名"]}
    confs = [0.99, 0.99, 0.4] + [0.99] * 10
    labs = find_labels([_line("发证口期2011年5月9日", 79, 547, 280, 573, confs=confs)], dates)
    assert [(l.field, l.fuzzy) for l in labs] == [("issue_date", True)]
    # the label's last character lost (发证日, dev 898 disability photo #3), alone on its line
    labs = find_labels([_line("发证日", 67, 521, 114, 543)], dates)
    assert [(l.field, l.fuzzy) for l in labs] == [("issue_date", True)]
    assert find_labels([_line("出生日", 60, 80, 140, 106)], HOUSEHOLD) == []  # 出生日期 or 出生地?
    # a word run on, not a number: no label (a word of running text)
    assert find_labels([_line("发证口期已过", 79, 547, 200, 573, confs=[0.99, 0.99, 0.4, 0.9, 0.9, 0.9])], dates) == []


def test_a_label_with_an_inner_character_lost_and_its_colon():
    """Dev seed 915 death degraded #19: 填表期：2026年1月16日 (a thin 日 under a seal's rim lost,
    however sure the rest): the label by its colon, the date its value. Not when the rest is
    another label's too (出日期 of 出院日期 and 出具日期), nor without the colon."""
    dates = {"issue_date": ["填表日期", "填报日期"], "death_date": ["死亡日期"], OTHER: ["医师签名"]}
    line = _line("填表期：2026年1月16日", 814, 1422, 1053, 1481)
    labs = find_labels([line], dates)
    assert [(l.field, l.fuzzy, l.start, l.end) for l in labs] == [("issue_date", True, 0, 3)]
    assert find_labels([_line("填表期2026年1月16日", 814, 1422, 1053, 1481)], dates) == []
    both = {"discharge_date": ["出院日期"], OTHER: ["出具日期"]}
    assert find_labels([_line("出日期：2026年1月16日", 0, 0, 200, 30)], both) == []
    # a label's first character lost is no label: what is left begins other words too
    assert find_labels([_line("表日期：2026年1月16日", 0, 0, 200, 30)], dates) == []


def test_a_four_character_label_alone_or_with_its_colon_may_be_less_unsure():
    """Dev seed 900 medical degraded #1 and #8: 主治医饰 alone in its cell (饰 at 0.64) and
    医生签学：慕客解放 (学 at 0.73): labels by their form. 医生签学 is one character from both
    医生签名 and 医生签字, the doctor's labels both: no rivals."""
    doctor = {"doctor": ["医生签名", "医生签字", "主治医师"], OTHER: ["上级医师"]}
    labs = find_labels([_line("主治医饰", 700, 794, 801, 834, confs=[0.99, 0.99, 0.99, 0.64])], doctor)
    assert [(l.field, l.fuzzy) for l in labs] == [("doctor", True)]
    line = _line("医生签学：慕客解放", 725, 619, 1028, 676, confs=[1.0, 0.98, 0.61, 0.73, 0.99, 0.99, 0.55, 1.0, 1.0])
    assert [l.field for l in find_labels([line], doctor)] == ["doctor"]
    # in running text (a word after it, no colon) the old doubt is needed
    assert find_labels([_line("主治医饰张三", 700, 794, 900, 834, confs=[0.99] * 3 + [0.64, 0.99, 0.99])], doctor) == []
    # a rival of another field one character away still refuses (上级医师 / 主级医师)
    assert find_labels([_line("主级医师", 700, 794, 801, 834, confs=[0.99, 0.5, 0.99, 0.99])], doctor) == []


def test_a_short_label_after_its_sections_number():
    """3.入院情汉： (a section's heading, its last character unsure): the label after the number."""
    heads = {"admission_diagnosis": ["入院诊断"], OTHER: ["入院情况", "治疗经过"]}
    line = _line("3.入院情汉：患者因胸闷入院", 68, 490, 500, 526, confs=[0.99] * 5 + [0.5] + [0.99] * 8)
    labs = find_labels([line], heads)
    assert [(l.field, l.label, l.start, l.fuzzy) for l in labs] == [(OTHER, "入院情况", 2, True)]


def test_short_fuzzy_label_must_be_unique_and_not_a_cut_longer_label():
    # 出生日 is 出生日期 cut short as much as 出生地 misread: no label
    labs = find_labels([_line("出生日", 60, 80, 140, 106, confs=[0.9, 0.9, 0.3])], HOUSEHOLD)
    assert [l.field for l in labs if l.field == "birthplace"] == []
    # 户主 is one character from 户号 and from 户别: no label (and a value: the relationship)
    assert find_labels([_line("户主", 60, 80, 110, 106, confs=[0.9, 0.3])], HOUSEHOLD) == []
    # 出院日期 / 出具日期 alike: a misread of one is never taken for the other when both are declared
    dates = {"discharge_date": ["出院日期"], OTHER: ["出具日期"]}
    assert find_labels([_line("出X日期", 0, 0, 100, 30, confs=[0.9, 0.2, 0.9, 0.9])], dates) == []
    # an exact occurrence elsewhere wins: the fuzzy one is dropped
    lines = [_line("姓名", 60, 80, 100, 106), _line("姓书", 60, 300, 100, 326, confs=[0.7, 0.48])]
    assert [(l.field, l.line) for l in find_labels(lines, HOUSEHOLD)] == [("name", 0)]
    # printed labels that are not extracted stand each for itself: 籍贯 read does not hide 宗教信仰
    # read with one unsure wrong character (it still ends values, it is never one)
    lines = [_line("籍贯", 60, 80, 100, 106), _line("宗教信抑", 60, 300, 140, 326, confs=[0.9, 0.9, 0.9, 0.3])]
    assert [(l.field, l.label, l.fuzzy) for l in find_labels(lines, HOUSEHOLD)] == [
        (OTHER, "籍贯", False), (OTHER, "宗教信仰", True)]


def test_long_label_with_a_second_wrong_character_offered_as_alternative():
    text = "户主维与产主关系"
    confs = [0.99, 0.93, 0.64, 0.87, 0.65, 0.98, 0.77, 0.93]
    alts = [[(c, 0.9)] for c in text]
    alts[4] = [("产", 0.65), ("户", 0.35)]
    labs = find_labels([_line(text, 285, 84, 388, 107, confs=confs, alts=alts)], HOUSEHOLD)
    assert [(l.field, l.label, l.start) for l in labs] == [("relationship", "户主或与户主关系", 0)]
    # without the alternative only the shorter label (one wrong character) is read out of it
    labs = find_labels([_line(text, 285, 84, 388, 107, confs=confs)], HOUSEHOLD)
    assert [(l.label, l.start) for l in labs] == [("与户主关系", 3)]
    # two wrong characters, neither offered: no label
    assert find_labels([_line("户主维与产王关系", 285, 84, 388, 107, confs=confs, alts=alts)], HOUSEHOLD) == []


# --------------------------------------------------------------------------- ruled rows
def _ruled_page(rule_x0: int | None, rule_y: int = 301):
    img = np.full((400, 700, 3), 228, np.uint8)
    if rule_x0 is not None:
        cv2.line(img, (rule_x0, rule_y), (690, rule_y), (150, 150, 150), 2)
    return img


def _spans():
    lines = [
        _line("出生地", 375, 247, 432, 276),
        _line("甘肃省兰州市红古区", 463, 263, 611, 290),
        _line("宗教位师", 368, 313, 440, 341),
    ]
    lab = find_labels(lines, {"birthplace": ["出生地"]})[0]
    return lines, lab, span_of(lines, 1, 0, 9), span_of(lines, 2, 0, 4)


def test_a_ruled_row_line_between_two_lines_of_a_value_ends_it():
    lines, lab, a, b = _spans()
    gray = _ruled_page(20).astype(np.float32).mean(axis=2)
    assert _ruled_between(gray, a, b, lab)
    v = _own_rows(lines, Value([a, b], "right"), lab, None, None, gray)
    assert v.text == "甘肃省兰州市红古区"
    # no rule: nothing to cut here
    plain = _ruled_page(None).astype(np.float32).mean(axis=2)
    assert not _ruled_between(plain, a, b, lab)
    assert _own_rows(lines, Value([a, b], "right"), lab, None, None, plain).text == "甘肃省兰州市红古区宗教位师"
    # a fill-in underline that starts after the label is no row line
    under = _ruled_page(455).astype(np.float32).mean(axis=2)
    assert not _ruled_between(under, a, b, lab)
    # a thick dark band (a character's body, a smudge) is no rule either
    smudge = _ruled_page(None)
    cv2.rectangle(smudge, (20, 292), (690, 312), (150, 150, 150), -1)
    assert not _ruled_between(smudge.astype(np.float32).mean(axis=2), a, b, lab)


def test_own_rows_keeps_the_line_level_with_the_label_before_a_line_above():
    lines = [
        _line("出生地", 73, 231, 131, 260),
        _line("新疆维吾尔自治区喀什", 167, 212, 343, 238),
        _line("地区泽普县", 167, 234, 261, 262),
    ]
    lab = find_labels(lines, {"birthplace": ["出生地"]})[0]
    up, level = span_of(lines, 1, 0, 10), span_of(lines, 2, 0, 5)
    assert _own_rows(lines, Value([up, level], "right"), lab, None, None).text == "新疆维吾尔自治区喀什地区泽普县"
    # a rule between them: the row above; the level line stays
    img = np.full((400, 700, 3), 228, np.uint8)
    cv2.line(img, (20, 236), (690, 236), (140, 140, 140), 2)
    gray = img.astype(np.float32).mean(axis=2)
    # the rule at 236 lies between the lines' middles only when they stand apart
    up2 = Span(up.line, up.start, up.end, up.text, [167, 200, 343, 226], up.confs)
    lines[1] = _line("新疆维吾尔自治区喀什", 167, 200, 343, 226)
    assert _own_rows(lines, Value([up2, level], "right"), lab, None, None, gray).text == "地区泽普县"


# --------------------------------------------------------------------------- real pipeline
def test_photo_page_two_line_values_centred_on_their_labels(pipeline):
    """household_register_photo, seed 151, page 1: the birthplace (新疆维吾尔自治区喀什 /
    地区泽普县) and the address are printed on two lines centred on their labels' rows, the
    first line above the label's line; both come out whole, and no field is a confident
    error."""
    fields, truth = register_fields(pipeline, "household_register_photo", 151, 1)
    assert fields["birthplace"]["value"] == "新疆维吾尔自治区喀什地区泽普县"
    assert fields["address"]["value"] == truth["address"]["value"]


# --------------------------------------------------------------------------- card templates
def _poly_line(poly, text):
    return OcrLine(text, 0.99, poly)


def test_template_boxes_follow_the_print_of_a_card_cut_with_a_margin():
    """The name's label half lost under a watermark (姓 read alone) on a copy whose card outline
    was found a little off: the print lies ~35 px below where the template boxes put it. The
    template box is moved by the offset of the nearest value found by its label (dev seed 700
    id_front_copy #0); a line another value was read from is never taken."""
    from extract.fields.rules import RuleExtractor
    from schemas.doctypes import load_doctypes

    lines = [
        _poly_line([(190, 124), (332, 118), (334, 166), (192, 173)], "杨学军"),
        _poly_line([(91, 146), (123, 146), (123, 173), (91, 173)], "姓"),
        _poly_line([(310, 197), (457, 189), (459, 232), (313, 240)], "民族汉"),
        _poly_line([(92, 213), (171, 211), (172, 244), (94, 247)], "性.别"),
        _poly_line([(197, 268), (498, 256), (500, 297), (198, 310)], "1967年1月23日"),
        _poly_line([(96, 280), (180, 278), (181, 310), (97, 313)], "出生"),
    ]
    dt = load_doctypes()["id_card_front"]
    out = RuleExtractor().extract(dt, lines, (1012, 638))
    assert out["name"].value == "杨学军" and out["name"].source == "template"
    # without the anchoring values the box stays where the template says: nothing in it
    out = RuleExtractor().extract(dt, lines[:2], (1012, 638))
    assert "name" not in out


# --------------------------------------------------------------------------- overlapping boxes
def test_a_piece_of_the_value_in_the_labels_box_gives_way_to_the_value_read_whole():
    # dev seed 752 id_front_copy #27: 姓名's box ran into 胡 (read 古); 胡凤英 was read beside it
    lines = [_line("胡凤英", 192, 92, 340, 150), _line("姓名古", 81, 102, 220, 153),
             _line("民族汉", 333, 169, 490, 223)]
    got = _pair(lines)
    assert got["name"].text == "胡凤英"
    # a value on the label's own line with nothing over it stays
    lines = [_line("姓名胡凤英", 81, 102, 340, 153), _line("民族汉", 333, 169, 490, 223)]
    assert _pair(lines)["name"].text == "胡凤英"
    # a short line beside it that reads less does not displace the value
    lines = [_line("姓名胡凤英", 81, 102, 340, 153), _line("英", 300, 100, 345, 150)]
    assert _pair(lines)["name"].text == "胡凤英"


def test_a_value_below_a_label_that_belongs_to_the_label_left_of_it_is_not_taken():
    # dev seed 763 household_register_photo #4: 母 not read right of 户主或与户主关系; the 女
    # under it is 性别's value on the next row of the grid (it was a confident error)
    lines = [_line("户主或与户主关系", 864, 402, 1015, 431), _line("性别", 915, 479, 961, 508),
             _line("女", 1046, 484, 1071, 514)]
    labels = find_labels(lines, {**HOUSEHOLD, "sex": ["性别"]})
    got = pair_values(lines, labels)
    assert "relationship" not in got and got["sex"].text == "女"
    # a value under its label with no label beside it is still the label's
    lines = [_line("户主或与户主关系", 864, 402, 1015, 431), _line("母", 880, 440, 910, 470)]
    assert _pair(lines)["relationship"].text == "母"


# --------------------------------------------------------------------------- a label after a value
ID_FRONT = {"name": ["姓名"], "sex": ["性别"], "ethnicity": ["民族"], "birth_date": ["出生"], "address": ["住址"]}


def _pair_front(lines):
    labels = find_labels(lines, ID_FRONT)
    return labels, pair_values(lines, labels, multiline={}, label_words=[w for ws in ID_FRONT.values() for w in ws])


def test_a_label_after_the_value_of_a_label_standing_apart_on_its_row_counts():
    """An ID card's 性别 read as a box of its own and 男民族汉 as one line right of it: 民族 is
    the next cell's label (after the sex's short value), not a piece of running text."""
    lines = [_line("姓名", 97, 131, 165, 167), _line("梁青彩", 189, 123, 311, 175),
             _line("性别", 97, 199, 160, 231), _line("女民族汉", 182, 192, 422, 251),
             _line("出生", 93, 264, 157, 296), _line("1952年5月27日", 186, 260, 434, 310)]
    labels, vals = _pair_front(lines)
    assert {l.field for l in labels} == {"name", "sex", "ethnicity", "birth_date"}
    assert vals["ethnicity"].text == "汉"
    from extract.fields import get_extractor
    from schemas.doctypes import load_doctypes

    got = get_extractor("rules").extract(load_doctypes()["id_card_front"], lines, (860, 540))
    assert got["sex"].value == "女" and got["ethnicity"].value == "汉" and got["name"].value == "梁青彩"
    # inside running text it stays no label: more than a short value or a sentence before it,
    # or no label left of the line
    for text in ("她来自少数民族地区", "女，少数民族地区"):
        assert "ethnicity" not in {l.field for l in _pair_front([_line("性别", 97, 199, 160, 231),
                                                                 _line(text, 182, 192, 500, 251)])[0]}
    assert "ethnicity" not in {l.field for l in _pair_front([_line("女民族汉", 182, 192, 422, 251)])[0]}


# --------------------------------------------------------------------------- values at the top of their cells
def test_a_value_set_at_its_cells_top_belongs_to_the_nearer_label_of_its_row():
    """Dev seed 871 household_register_clean #3: the values printed at the top of their cells,
    the labels centred. 户主 overlaps 与户主关系's row by less than half and 姓名's a little more;
    but 与户主关系 stands between 姓名 and it: it is 与户主关系's value."""
    lines = [
        _line("姓名", 122, 158, 174, 200),
        _line("李伯", 238, 137, 300, 179),
        _line("与户主关系", 581, 161, 686, 196),
        _line("户主", 753, 139, 814, 178),
    ]
    vals = _pair(lines)
    assert vals["name"].text == "李伯"
    assert vals["relationship"].text == "户主"
    # a label between the two that does overlap the line more still takes it as its own
    lines = [
        _line("与户主关系", 300, 161, 405, 196),
        _line("姓名", 520, 139, 572, 178),
        _line("户主", 653, 139, 714, 178),
    ]
    assert "relationship" not in _pair(lines) or _pair(lines)["relationship"].text != "户主"


def test_a_rows_letter_read_as_a_capital_is_its_label():
    """Dev seed 918 death degraded #4: 引起（b）的疾病或情况（C） (the row's c read as C) was no
    label, its row under a stamp unnoticed, and the chain of causes one part short at 0.988."""
    causes = {"underlying_causes": ["引起(a)的疾病或情况(b)", "引起(b)的疾病或情况(c)"]}
    labs = find_labels([_line("引起（b）的疾病或情况（C）", 628, 680, 839, 713)], causes)
    assert [(l.field, l.fuzzy) for l in labs] == [("underlying_causes", False)]
    # a capital outside brackets is as read
    assert find_labels([_line("引起（b）的疾病或情况C", 628, 680, 839, 713)], causes) == []


def test_each_row_of_a_chain_stands_for_its_own_label():
    """Dev seed 919 death clean #5 and degraded #0: the (c) row's label read with a bracket
    twice (引起（b)）的疾病或情况) or one character wrong (引起（b)的板病或情况（c）) while the (b)
    row's was read exactly: for a field collected row by row (`each`), a near reading stands
    for its own row's label, not for the field. The chain had lost its last cause at 0.98."""
    causes = {"underlying_causes": ["引起(a)的疾病或情况(b)", "引起(b)的疾病或情况(c)"], OTHER: ["医师签名"]}
    lines = [_line("引起（a）的疾病或情况（b）感染性休克", 561, 561, 837, 591),
             _line("引起（b)的板病或情况（c）", 561, 596, 732, 621, confs=[0.9] * 6 + [0.5] + [0.9] * 6)]
    labs = find_labels(lines, causes, each={"underlying_causes"})
    assert [(l.field, l.line, l.fuzzy) for l in labs] == [("underlying_causes", 0, False), ("underlying_causes", 1, True)]
    # without `each`, one exact reading of the field drops the near one (single-valued fields)
    assert [l.line for l in find_labels(lines, causes)] == [0]
    doubled = [_line("(c)引起（b)）的疾病或情况", 91, 924, 350, 953)]
    labs = find_labels(doubled, {"underlying_causes": ["引起(b)的疾病或情况"]})
    assert [(l.field, l.fuzzy) for l in labs] == [("underlying_causes", False)]
