"""Field extraction of the page document types on constructed OCR lines: label pairing
(labels closed by a bracket, labels written with their colon, a bare 日期), marked options of
a printed list (drawn round, ticked with the box unread, cut into two OCR lines), lab tables
(name-only rows whose cells hold a lone dash, small dashes, qualitative flags, powers of ten
the OCR flattened or lost, a flag in a header-less column before the unit), a ruled box of a
form that is not a card, and the generator's truth for lab codes."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from extract.checks.records import expected_flag
from extract.classify import classify_lines
from extract.layout import find_labels
from extract.pipeline import CARD_TYPES
from extract.tables import clean_unit, find_tables, restore_lost_power, split_flag_unit, table_items
from schemas.doctypes import load_doctypes
from tests.synthlines import L, row
from tests.test_doctypes import luhn_number

PAGE = (1240, 1754)
TITLE = L("居民死亡医学证明(推断)书", 300, 40, 50)


def extract(doctype: str, lines, size=PAGE, image=None):
    from extract.fields import get_extractor

    dt = load_doctypes()[doctype]
    return {k: f.value for k, f in get_extractor("rules").extract(dt, lines, size, image=image).items()}


def fields(doctype: str, lines, size=PAGE, image=None):
    from extract.fields import get_extractor

    return get_extractor("rules").extract(load_doctypes()[doctype], lines, size, image=image)


def blank(w: int = PAGE[0], h: int = PAGE[1]) -> np.ndarray:
    return np.full((h, w, 3), 250, np.uint8)


# --------------------------------------------------------------------------- label pairing
def test_label_closed_by_a_bracket_is_a_label_even_run_into_its_value():
    lab = find_labels([L("引起(a)的疾病或情况(b)吸入性肺炎", 100, 100)], {"u": ["引起(a)的疾病或情况(b)"]})
    assert len(lab) == 1 and lab[0].strength == 1


def test_every_underlying_cause_is_collected_also_when_printed_right_after_its_label():
    lines = [TITLE, L("致死的主要疾病诊断：", 80, 600),
             L("Ⅰ.直接导致死亡的疾病或情况(a)窒息", 100, 660),
             L("引起(a)的疾病或情况 (b)吸入性肺炎", 100, 730),
             L("引起(b)的疾病或情况（c)", 100, 790), L("脑梗死后遗症", 500, 790),
             L("Ⅱ.其他疾病诊断帕金森病", 100, 850)]
    v = extract("death_certificate", lines)
    assert v["cause_of_death"] == "窒息"
    assert v["underlying_causes"] == "吸入性肺炎；脑梗死后遗症"


def test_a_piece_of_a_copy_note_in_an_empty_row_is_no_cause():
    # dev seed 902 death_certificate_degraded #0: 仅供 of 此复印件仅供社保业务使用 (written
    # across the page) read in row (d): underlying causes …；肺恶性肿瘤；仅供 at 0.99
    lines = [TITLE, L("致死的主要疾病诊断：", 80, 600),
             L("I.(a)直接死亡原因", 100, 660), L("呼吸循环衰竭", 520, 660),
             L("(b)引起(a)的疾病或情况", 100, 720), L("肺恶性肿瘤广泛转移", 520, 720),
             L("(c)引起(b)的疾病或情况", 100, 780), L("肺恶性肿瘤", 520, 780),
             L("(d)引起(c)的疾病或情况", 100, 840), L("仅供", 520, 830, 60),
             L("Ⅱ.其他疾病诊断", 100, 900), L("低蛋白血症", 520, 900)]
    v = extract("death_certificate", lines)
    assert v["underlying_causes"] == "肺恶性肿瘤广泛转移；肺恶性肿瘤"
    # a cause whose own name holds such characters stays
    lines[9] = L("无效腔通气", 520, 840)
    assert extract("death_certificate", lines)["underlying_causes"] == "肺恶性肿瘤广泛转移；肺恶性肿瘤；无效腔通气"


def test_an_interval_beside_an_unread_disease_is_no_cause_and_a_lost_row_is_flagged():
    """The disease of row (b) not read (faded): its row's interval (10年, in the next column) is
    no underlying cause (dev seed 720 death_certificate_degraded #8); a speck beside the label's
    bracket does not hide the label (#6); a row read empty before a filled one marks the value
    as maybe incomplete."""
    head = [TITLE, L("致死的主要疾病诊断", 200, 600), L("疾病名称（勿填写症状体征）", 560, 600),
            L("发病至死亡大概间隔时间", 930, 600)]
    lines = head + [
        L("I.(a) 直接死亡原因", 80, 660), L("慢性阻塞性肺疾病急性加重", 520, 660), L("5年", 910, 660),
        L("(b)引起（a)的疾病或情况", 80, 720), L("10年", 910, 720),
        L("(c） 引起（b）的疾病或情况", 80, 780),
        L("Ⅱ.其他疾病诊断", 80, 860)]
    out = fields("death_certificate", lines)
    assert out["cause_of_death"].value == "慢性阻塞性肺疾病急性加重"
    assert "underlying_causes" not in out
    # a layout that prints the word before the interval (dev seed 794 death #2: 间隔10余年
    # was taken for row (c)'s disease, with 0.99)
    lines = [(L("间隔10余年", 910, 720) if x.text == "10年" else x) for x in lines]
    out = fields("death_certificate", lines)
    assert "underlying_causes" not in out
    lines = head + [
        L("I.(a) 直接死亡原因", 80, 660), L("大面积脑梗死", 520, 660), L("3天", 910, 660),
        L("(b) 引起（a).的疾病或情况", 80, 720), L("心房颤动", 520, 720), L("1周", 910, 720),
        L("(c) 引起(b) 的疾病或情况", 80, 780), L("风湿性心脏病", 520, 780), L("5年", 910, 780),
        L("(d） 引起（c) 的疾病或情况", 80, 840),
        L("Ⅱ.其他疾病诊断", 80, 920)]
    out = fields("death_certificate", lines)
    assert out["underlying_causes"].value == "心房颤动；风湿性心脏病"
    assert "value_may_be_incomplete" not in out["underlying_causes"].checks  # (d) empty: the chain ended
    out = fields("death_certificate", [x for x in lines if x.text != "心房颤动"])  # row (b)'s disease lost
    assert out["underlying_causes"].value == "风湿性心脏病"
    assert "value_may_be_incomplete" in out["underlying_causes"].checks
    # the chain's last row with its interval read and its disease not (dev seed 906 death
    # degraded #1: a copy's note across row (c), 肝硬化失代偿期 alone at 0.99)
    out = fields("death_certificate", [x for x in lines if x.text != "风湿性心脏病"])
    assert out["underlying_causes"].value == "心房颤动"
    assert "value_may_be_incomplete" in out["underlying_causes"].checks


def test_a_chains_last_row_with_unread_print_flags_the_value():
    """Row (c)'s disease printed but not read (dev seed 730 death_certificate_degraded #8): the
    value read from (b) alone is maybe incomplete; an empty (d) row flags nothing."""
    lines = [TITLE, L("I.(a) 直接死亡原因", 80, 660), L("大面积脑梗死", 520, 660),
             L("(b) 引起（a)的疾病或情况", 80, 720), L("心房颤动", 520, 720),
             L("(c) 引起(b) 的疾病或情况", 80, 780),
             L("(d） 引起（c) 的疾病或情况", 80, 840), L("Ⅱ.其他疾病诊断", 80, 920)]
    img = blank()
    out = fields("death_certificate", lines, image=img)
    assert out["underlying_causes"].value == "心房颤动"
    assert "value_may_be_incomplete" not in out["underlying_causes"].checks
    cv2.putText(img, "XXXXXX", (520, 805), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (40, 40, 40), 3)  # row (c)'s print
    out = fields("death_certificate", lines, image=img)
    assert "value_may_be_incomplete" in out["underlying_causes"].checks


def test_institution_after_its_colon_and_the_place_option_of_the_same_name():
    lines = [TITLE, L("医疗卫生机构：张家口市宣化区人民医院", 66, 203), L("死者姓名", 64, 255), L("胡宏阳", 309, 256),
             L("死亡日期", 66, 364), L("2025年3月31日16时07分", 260, 370),
             L("死亡地点", 580, 364), L("医疗卫生机构", 825, 369)]
    v = extract("death_certificate", lines)
    assert v["institution"] == "张家口市宣化区人民医院"
    assert v["place_of_death"] == "医疗卫生机构"  # a bare 医疗卫生机构 is not the institution's label


def test_option_list_is_not_read_as_the_institution_label():
    lines = [TITLE, L("死者姓名", 64, 255), L("胡宏阳", 309, 256), L("死亡地点", 80, 400),
             L("□1.医疗卫生机构□2.来院途中 ☑3.家中", 260, 400)]
    v = extract("death_certificate", lines)
    assert "institution" not in v  # 医疗卫生机构□ is one character off 医疗卫生机构：, but the colon counts
    assert v["place_of_death"] == "家中"


def test_bare_date_label_by_the_signature_is_the_issue_date():
    lines = [TITLE, L("死者姓名", 64, 255), L("刘勇功", 309, 256), L("死亡日期", 86, 363),
             L("2026年11月17日23:11", 258, 370), L("发病日期：2026年11月1日", 86, 420),
             L("医师签名:", 85, 941), L("胡英瑗", 210, 930), L("日期：2026年11月20日", 722, 937)]
    v = extract("death_certificate", lines)
    assert v["issue_date"] == "2026-11-20" and v["death_date"] == "2026-11-17"
    lines = lines[:-1]  # no date by the signature: the onset date is not the issue date
    assert "issue_date" not in extract("death_certificate", lines)


def test_date_with_a_separator_not_read_is_repaired_but_not_confident():
    from extract.confidence import field_confidence

    lines = [TITLE, L("死者姓名", 64, 255), L("刘勇功", 309, 256), L("死亡日期", 86, 363), L("2024年12月1日", 258, 370),
             L("填报日期", 822, 1109), L("202412-03", 936, 1107)]
    f = fields("death_certificate", lines)["issue_date"]
    assert f.value == "2024-12-03" and f.notes["repair"]["reason"] == "date_separator"
    assert field_confidence("death_certificate", "issue_date", f) < 0.9
    lines[-1] = L("202413-03", 936, 1107)  # no valid reading: nothing
    assert "issue_date" not in extract("death_certificate", lines)
    # the day's separator read as a colon (dev seed 905 medical degraded #5: 2026.08:28, no
    # issue date at all): the date its declared pattern lets through, repaired
    lines = [L("诊断证明书", 430, 147), L("开具日期:", 691, 665), L("2026.08:28", 802, 661)]
    f = fields("medical_certificate", lines)["issue_date"]
    assert f.value == "2026-08-28" and f.notes["repair"]["reason"] == "date_separator"
    assert field_confidence("medical_certificate", "issue_date", f) < 0.9


@pytest.mark.parametrize("read", ["报告时间：202511.1412:20", "报告时间：2025:11.1412:20", "报告时间：2025.1114 12:20",
                                  "报告时间：2025.11:14 12:20"])
def test_report_time_with_a_separator_lost_and_the_time_glued_is_repaired_for_review(read):
    """Dev seeds 894-895: a lab report's 报告时间：2025.11.14 12:20 read with a separator lost or
    misread and the time run on (202511.1412:20, 2025:02.1116:21; dev seed 905 medical degraded
    #5: 2026.08:28, the second separator a colon, the date not found at all): the one date it can be,
    checked against the specimen's collection time printed beside it, and for review."""
    from extract.confidence import field_confidence

    lines = [L("检验报告单", 400, 40, 50), L("患者姓名：林秀英", 60, 160), L("采样时间：2025.11.1408:37", 60, 900),
             L(read, 700, 900)]
    fs = fields("lab_report", lines)
    f = fs["report_date"]
    assert f.value == "2025-11-14" and f.notes["repair"]["reason"] == "date_separator"
    assert fs["collection_date"].value == "2025-11-14"
    assert field_confidence("lab_report", "report_date", f) < 0.9


def test_card_number_whose_last_group_is_read_as_a_line_of_its_own():
    num = luhn_number("6210694996799401")  # 17 digits: 4 4 4 4 1
    card = (1012, 638)
    lines = [L("交通银行", 160, 60, 60), L("借记卡", 840, 70, 40), L(" ".join([num[:4], num[4:8], num[8:12], num[12:16]]), 80, 400, 48),
             L(num[16:], 620, 402, 44), L("银联", 830, 570, 40)]
    assert extract("bank_card", lines, size=card)["card_number"] == num
    # a number further away on the row is another thing, not the number's last group
    lines[3] = L(num[16:], 900, 402, 44)
    assert extract("bank_card", lines, size=card)["card_number"] == num[:16]


def test_id_number_is_not_run_on_into_the_age_next_to_it():
    idn = "420684196102239369"
    lines = [TITLE, L("死者姓名", 64, 250), L("徐莎娣", 230, 250), L("公民身份号码", 456, 310),
             L(idn, 650, 312), L("64", 960, 312), L("死亡日期", 474, 419), L("2025年06月20日", 637, 425)]
    assert extract("death_certificate", lines)["id_number"] == idn


# --------------------------------------------------------------------------- option lists
def _char_x(line, i: int) -> tuple[float, float]:
    x0, _, x1, _ = line.bbox
    c = x0 + line.char_positions[i] * (x1 - x0)
    h = line.bbox[3] - line.bbox[1]
    return c - 0.5 * h, c + 0.5 * h


def _draw_boxes(img, line, printed: str, box_at: dict[int, float] | None = None) -> dict[int, tuple[int, int, int, int]]:
    """Draw a □ for every box character of `line` (and at the x positions in `box_at`, the
    boxes the OCR did not read); returns their rectangles by option number."""
    y0, y1 = line.bbox[1], line.bbox[3]
    h = y1 - y0
    out = {}
    n = 0
    for i, ch in enumerate(line.text):
        if ch == "□":
            n += 1
            a, _ = _char_x(line, i)
            out[n] = (int(a + 0.15 * h), int(y0 + 0.15 * h), int(a + 0.85 * h), int(y0 + 0.85 * h))
    for k, x in (box_at or {}).items():
        out[k] = (int(x + 0.15 * h), int(y0 + 0.15 * h), int(x + 0.85 * h), int(y0 + 0.85 * h))
    for r in out.values():
        cv2.rectangle(img, r[:2], r[2:], (30, 30, 30), 1)
    return out


def _tick(img, r):
    x0, y0, x1, y1 = r
    s = x1 - x0
    cv2.line(img, (x0 + s // 6, y0 + s // 2), (x0 + s // 2, y1 - 2), (150, 40, 20), 2)
    cv2.line(img, (x0 + s // 2, y1 - 2), (x1 + s // 3, y0 - s // 2), (150, 40, 20), 2)


def test_ticked_option_whose_box_the_ocr_did_not_read():
    img = blank()
    # the OCR read "3.家中" without its box: the tick made it unreadable
    line = L("□1.医疗卫生机构 □2.来院途中 3.家中 □4.养老服务机构", 260, 400)
    i3 = line.text.index("3.")
    a3, _ = _char_x(line, i3)
    h = line.bbox[3] - line.bbox[1]
    boxes = _draw_boxes(img, line, line.text, {3: a3 - 0.55 * h - 0.5 * h})
    lines = [TITLE, L("死亡地点", 80, 400), line]
    assert "place_of_death" not in extract("death_certificate", lines, image=img)  # nothing marked yet
    _tick(img, boxes[3])
    assert extract("death_certificate", lines, image=img)["place_of_death"] == "家中"
    _tick(img, boxes[1])  # two ticked: not decidable, never a guess
    assert "place_of_death" not in extract("death_certificate", lines, image=img)


def test_option_drawn_round_on_the_second_line_of_a_list_the_ocr_cut_in_two():
    img = blank()
    first = L("□1.医疗卫生机构 □2.来院途中 □3.家中", 260, 400)
    second = L("□4.养老服务机构 □5.其他场所 □6.不详", first.bbox[2] + 30, 400)
    _draw_boxes(img, first, first.text)
    _draw_boxes(img, second, second.text)
    i = second.text.index("其")
    a, _ = _char_x(second, i)
    _, b = _char_x(second, i + 3)
    cy = int((second.bbox[1] + second.bbox[3]) / 2)
    cv2.ellipse(img, (int((a + b) / 2), cy), (int((b - a) / 2) + 12, 24), 0, 0, 360, (140, 40, 20), 2)
    lines = [TITLE, L("死亡地点", 80, 400), first, second]
    assert extract("death_certificate", lines, image=img)["place_of_death"] == "其他场所"


def test_option_drawn_round_cut_off_as_a_line_of_its_own_is_read_with_its_list():
    """Dev seed 872 death_certificate_clean #2: the first option, drawn round, detected as a
    line of its own (□1医疗卫生机构), the other five as the next line of its row. The value is the
    marked option, not the option's text with its box and number."""
    img = blank()
    first = L("□1医疗卫生机构", 260, 400)
    rest = L("□2.来院途中 □3.家中 □4.养老服务机构 □5.其他场所 □6.不详", first.bbox[2] - 1, 400)
    _draw_boxes(img, first, first.text)
    _draw_boxes(img, rest, rest.text)
    a, _ = _char_x(first, 2)
    _, b = _char_x(first, len(first.text) - 1)
    cy = int((first.bbox[1] + first.bbox[3]) / 2)
    cv2.ellipse(img, (int((a + b) / 2), cy), (int((b - a) / 2) + 12, 24), 0, 0, 360, (140, 40, 20), 2)
    lines = [TITLE, L("死亡地点", 80, 400), first, rest]
    assert extract("death_certificate", lines, image=img)["place_of_death"] == "医疗卫生机构"


def test_ruling_lines_through_the_options_are_not_marks():
    img = blank()
    line = L("□1.医疗卫生机构 □2.来院途中 □3.家中 □4.养老服务机构", 260, 400)
    _draw_boxes(img, line, line.text)
    y0, y1 = int(line.bbox[1]), int(line.bbox[3])
    cv2.line(img, (240, y0 - 8), (1200, y0 - 8), (20, 20, 20), 2)  # the row's rules
    cv2.line(img, (240, y1 + 8), (1200, y1 + 8), (20, 20, 20), 2)
    cv2.line(img, (255, y0 - 20), (255, y1 + 20), (20, 20, 20), 2)  # the cell's left rule
    lines = [TITLE, L("死亡地点", 80, 400), line]
    assert "place_of_death" not in extract("death_certificate", lines, image=img)


# --------------------------------------------------------------------------- classification
def test_ruled_box_of_a_form_is_not_an_id_card():
    # the OCR of a box of a death certificate's grid that was taken for a card: label tails
    block = [L("男", 720, 240), L("民族", 824, 242), L("汉族", 980, 238), L("证号", 638, 299),
             L("654203197209175773", 800, 303), L("地点", 638, 357), L("家中", 768, 354), L("号", 638, 438),
             L("程度", 638, 508), L("大学专科", 819, 510)]
    assert classify_lines(block, allowed=CARD_TYPES).type == "unknown"
    card = [L("姓名 王小明", 60, 40), L("性别 男  民族 汉", 60, 100), L("出生 1980年1月1日", 60, 160),
            L("住址 北京市东城区东华门街道1号", 60, 220), L("公民身份号码 110101198001010017", 60, 400)]
    assert classify_lines(card, allowed=CARD_TYPES).type == "id_card_front"


# --------------------------------------------------------------------------- lab tables
def _lab_field(lines, img):
    from extract.fields.rules import table_field

    return table_field(lines, load_doctypes()["lab_report"].fields["items"], img)


def _dash(img, x, y, w=4, h=2):
    img[y:y + h, x:x + w] = 60


def test_name_only_row_whose_cells_hold_a_dash_the_ocr_missed_is_an_item():
    img = np.full((500, 1000, 3), 252, np.uint8)
    lines = row([("项目", 60), ("结果", 400), ("参考值", 700)], 100)
    lines += row([("尿蛋白", 60)], 145)  # its "-" and "-" were not read
    lines += row([("尿葡萄糖", 60), ("阴性", 400)], 190)
    lines += row([("尿常规", 60)], 250)  # a section title: nothing in its cells
    lines += row([("尿酮体", 60), ("Neg", 400), ("Neg", 700)], 300)
    _dash(img, 405, 159)
    _dash(img, 705, 159)
    _dash(img, 705, 204)  # a small light dash: 4 x 2 pixels
    img[140:146, 430:436] = 60  # the descender of a letter of the row above reaching into the cell
    f = _lab_field(lines, img)
    got = [(it["name"], it["result"], it["reference_range"]) for it in f.value]
    assert got == [("尿蛋白", "-", "-"), ("尿葡萄糖", "阴性", "-"), ("尿酮体", "Neg", "Neg")]
    # without the image nothing can be said about the bare rows: they are not items
    assert [it["name"] for it in _lab_field(lines, None).value] == ["尿葡萄糖", "尿酮体"]


def test_qualitative_flag_from_a_negative_reference():
    assert expected_flag("2+", "-") == "↑" and expected_flag("1+", "Neg") == "↑"
    assert expected_flag("阳性", "阴性(-)") == "↑" and expected_flag("+++", "阴性") == "↑"
    assert expected_flag("阴性", "-") == "" and expected_flag("Neg", "阴性") == "" and expected_flag("-", "Neg") == ""
    assert expected_flag("弱阳性(±)", "阴性") is None  # laboratories differ on a weak positive
    assert expected_flag("2+", "") is None and expected_flag("阴性", "0-5") is None
    assert expected_flag("6.2", "3.5-5.5") == "↑"  # numeric ranges as before


def test_arrow_not_read_after_a_positive_result_is_derived_once_the_range_dash_is_found():
    img = np.full((400, 1000, 3), 252, np.uint8)
    lines = row([("项目", 60), ("结果", 400), ("参考值", 700)], 100)
    lines += row([("尿白细胞", 60), ("2+", 400)], 145)
    lines += row([("尿胆原", 60), ("阴性", 400)], 190)
    _dash(img, 705, 159, 6, 2)
    _dash(img, 705, 204, 6, 2)
    f = _lab_field(lines, img)
    assert [(it["reference_range"], it["flag"]) for it in f.value] == [("-", "↑"), ("-", "")]
    assert f.notes["derived_flags"] == [0]


def test_power_of_ten_printed_as_superscript():
    assert clean_unit("109/L") == "10⁹/L" and clean_unit("1012/L") == "10¹²/L"
    assert clean_unit("×109/L") == "×10⁹/L" and clean_unit("x1012/L") == "×10¹²/L"
    assert clean_unit("10^9/L") == "10^9/L" and clean_unit("10*12/L") == "10*12/L"  # printed flat: as printed
    assert restore_lost_power("10/L", "红细胞计数") == "10¹²/L"
    assert restore_lost_power("10/L", "中性粒细胞绝对值") == "10⁹/L"
    assert restore_lost_power("10/L", "血小板计数") == "10⁹/L"
    assert restore_lost_power("10/L", "红细胞压积") is None and restore_lost_power("g/L", "白细胞计数") is None


def test_lost_power_restored_in_the_table_but_not_confidently():
    from extract.confidence import field_confidence

    lines = row([("项目", 60), ("结果", 400), ("单位", 560), ("参考值", 700)], 100)
    lines += row([("白细胞计数", 60), ("6.98", 400), ("10/L", 560), ("3.50-9.50", 700)], 145)
    lines += row([("红细胞计数", 60), ("5.57", 400), ("1012/L", 560), ("4.30-5.80", 700)], 190)
    f = _lab_field(lines, None)
    assert [it["unit"] for it in f.value] == ["10⁹/L", "10¹²/L"]
    assert field_confidence("lab_report", "items", f) < 0.9


def test_flag_in_a_header_less_column_read_with_the_unit_after_a_space():
    assert split_flag_unit("H/μL") == ("↑", "/μL")
    assert split_flag_unit("L/L") == ("", "L/L")
    lines = row([("项目", 60), ("结果", 400), ("单位", 560), ("参考值", 700)], 100)
    lines += row([("红细胞(镜检)", 60), ("26.6", 400), ("H /μL", 520), ("0.0～25.0", 700)], 145)
    tables = find_tables(lines)
    (it,) = table_items(tables[0])
    assert it.value["unit"] == "/μL" and it.value["flag"] == "↑" and it.flag_source == "printed"


# --------------------------------------------------------------------------- generator truth
def test_lab_truth_holds_a_code_only_where_the_page_prints_a_code_column():
    from samples.generate import generate

    seen = set()
    for i in range(12):
        s = generate("lab_report_clean", 7, i)
        heads = {l["text"] for l in s.truth["lines"]}
        printed = bool(heads & {"缩写", "代号", "英文名称"})
        items = s.truth["documents"][0]["fields"]["items"]["value"]
        assert all(("code" in it) == printed for it in items), (i, printed)
        seen.add(printed)
    assert seen == {True, False}


# --------------------------------------------------------------------------- labels in running text
def test_label_inside_running_text_is_not_a_label():
    """上级医师查房：患者… / 11月1日主治医师查房：患者… in the course text: the doctor's label is
    a piece of a longer word there (glued to the Han characters before it, or heading a longer
    heading), never the physician's label; the signature line's label still counts."""
    course = [L("诊疗经过：入院后完善相关检查，予以抗感染治疗。", 100, 600),
              L("无明显并发症。11月1日主治医师查房：患者病情平稳", 100, 650),
              L("主治医师查房：患者诉疼痛较前减轻", 100, 700),
              L("上级医师查房：患者病情平稳，未诉特殊不适", 100, 750)]
    head = [L("出院记录", 500, 40, 50), L("姓名：张三", 100, 150), L("出院日期：2024年3月6日", 100, 200)]
    v = extract("discharge_summary", head + course)
    assert "doctor" not in v
    v = extract("discharge_summary", head + course + [L("经治医师：", 700, 1500), L("李四", 850, 1500)])
    assert v["doctor"] == "李四"
    v = extract("discharge_summary", head + course + [L("医师签名：王五", 700, 1500)])
    assert v["doctor"] == "王五"


def test_label_glued_after_a_value_still_counts():
    """OCR that dropped the spaces between the cells of a row: 姓名张三性别男年龄45岁 — each label
    follows the short value of the one before it."""
    lines = [L("出院记录", 500, 40, 50), L("姓名张三性别男年龄45岁", 100, 150), L("出院日期：2024年3月6日", 100, 200)]
    v = extract("discharge_summary", lines)
    assert v["sex"] == "男" and v["patient_name"] == "张三"


def test_line_that_is_only_another_label_is_not_a_value():
    """经治医师：(signature not read) 审核医师： — the next cell's label is not the doctor's name."""
    lines = [L("出院记录", 500, 40, 50), L("姓名：张三", 100, 150), L("出院日期：2024年3月6日", 100, 200),
             L("经治医师：", 458, 1500), L("审核医师：", 795, 1500)]
    assert "doctor" not in extract("discharge_summary", lines)
    assert "doctor" not in extract("medical_certificate", [L("诊断证明书", 420, 140, 55)] + lines[1:])
    assert find_labels([L("审核医生：", 100, 100)], {"doctor": ["医生"], "_other": ["审核医生"]})[0].field == "_other"
    # an undeclared one (复核医师：) too: the line is a label and its colon, no value
    undeclared = lines[:4] + [L("复核医师：", 795, 1500)]
    assert "doctor" not in extract("discharge_summary", undeclared)


# --------------------------------------------------------------------------- split labels, stamps
MC_TITLE = L("诊断证明书", 400, 60, 50)


def test_letter_spaced_label_read_as_two_boxes_is_one_label():
    from extract.confidence import field_confidence

    lines = [MC_TITLE, L("姓名：陈静丹", 137, 251), L("性别：女", 391, 249), L("年龄：87岁", 650, 250),
             L("临床诊断：", 136, 337), L("(1)偏瘫", 172, 369),
             # 日　期 read as two boxes, the date with one separator lost
             L("日", 600, 1242), L("期：", 635, 1242), L("202601.04", 705, 1238)]
    f = fields("medical_certificate", lines)
    assert f["issue_date"].value == "2026-01-04"
    assert field_confidence("medical_certificate", "issue_date", f["issue_date"]) < 0.9
    # the pieces are only joined where they make a label: two names side by side stay apart
    from extract.layout import join_split_labels

    two = [L("王", 100, 100), L("芳", 140, 100)]
    assert [l.text for l in join_split_labels(two, ["日期", "姓名"])] == ["王", "芳"]
    assert [l.text for l in join_split_labels([L("姓", 100, 100), L("名：王芳", 140, 100)], ["姓名"])] == ["姓\u3000名：王芳"]


def test_a_stamp_across_the_row_is_not_the_value_of_a_label():
    lines = [MC_TITLE, L("姓名：陈静丹", 137, 251), L("临床诊断：", 136, 337), L("(1)偏瘫", 172, 369),
             L("建议:", 135, 420), L("致", 688, 401, h=260), L("建议休息两周，门诊随诊。", 170, 454)]
    v = extract("medical_certificate", lines)
    assert v["advice"] == "建议休息两周，门诊随诊。"


def test_leading_bullet_is_not_part_of_the_advice():
    lines = [MC_TITLE, L("姓名：陈静丹", 137, 251), L("临床诊断：", 136, 337), L("(1)偏瘫", 172, 369),
             L("建议：·建议卧床休息，三个月后复查", 135, 420)]
    assert extract("medical_certificate", lines)["advice"] == "建议卧床休息，三个月后复查"


def test_address_continues_under_its_value_past_a_label_of_the_other_panel():
    # a booklet: the left panel's 发证机关 stands on the row of the address's second line
    lines = [L("中华人民共和国残疾人证", 200, 60, 40), L("姓名", 896, 761, 46), L("许锴文", 1056, 754, 50),
             L("住址", 893, 1321, 47), L("黑龙江省牡丹江市阳明区铁岭", 1050, 1320, 49),
             L("镇山长巷160号", 1054, 1366, 41), L("发证机关", 178, 1381, 42), L("丹江市残疾人联合会", 325, 1377, 50),
             L("监护人", 890, 1431, 48)]
    v = extract("disability_certificate", lines, size=(1600, 1800))
    assert v["address"] == "黑龙江省牡丹江市阳明区铁岭镇山长巷160号"
    # a label of the same block on that row (the next row of a grid) still ends the value
    lines[6] = L("监护人", 893, 1370, 40)
    lines = lines[:8]
    v = extract("disability_certificate", lines, size=(1600, 1800))
    assert v["address"] == "黑龙江省牡丹江市阳明区铁岭"


def test_days_read_with_a_letter_for_a_digit_is_repaired_but_not_confident():
    from extract.confidence import field_confidence
    from extract.fields.values import to_field
    from extract.layout import span_of, Value

    lines = [L("S天", 100, 100, conf=0.99)]
    f = to_field("days", Value([span_of(lines, 0, 0, 2)]))
    assert f.value == "5" and f.notes["repair"]["reason"] == "digit_lookalike"
    assert field_confidence("discharge_summary", "length_of_stay", f) < 0.99
    lines = [L("共住院天", 100, 100)]
    assert to_field("days", Value([span_of(lines, 0, 0, 4)])).value is None


def test_report_time_cut_after_the_day_still_gives_the_date():
    lines = [L("检验报告单", 300, 40, 50), L("姓名：张三", 60, 120),
             L("采样时间：2025.12.0710:34", 60, 900), L("报告时间：2025.12.084", 700, 900)]
    assert extract("lab_report", lines)["report_date"] == "2025-12-08"


def test_report_time_with_a_colon_for_its_second_dot_is_repaired_for_review():
    """Dev seed 793 lab #5: 报告时间：2025.02:2315:23:00 (a dot read as a colon, the time glued)."""
    from extract.confidence import field_confidence

    lines = [L("检验报告单", 300, 40, 50), L("姓名：张三", 60, 120), L("报告时间：2025.02:2315:23:00", 700, 900)]
    f = fields("lab_report", lines)["report_date"]
    assert f.value == "2025-02-23" and f.notes["repair"]["reason"] == "date_separator"
    assert field_confidence("lab_report", "report_date", f) < 0.9


def test_value_printed_a_little_above_its_label_line_is_its_value():
    lines = [L("常住人口登记卡", 400, 40, 50), L("姓名", 64, 200, 31), L("张三", 254, 200, 31),
             L("住址", 123, 1115, 31), L("河南省洛阳市栾川县石庙镇小坡村200号", 254, 1100, 26)]
    assert extract("household_register", lines)["address"] == "河南省洛阳市栾川县石庙镇小坡村200号"
    # the line belongs to the label whose row it overlaps more
    lines += [L("籍贯", 123, 1098, 28)]
    assert "address" not in extract("household_register", lines)


def test_a_watermark_across_an_address_cell_is_no_line_of_the_address():
    """Dev seed 893 household_register_degraded #11: 复印无效 stamped large across the 住址 cell
    (read 再有印无效, its box four rows high) sat at the value's left edge and was stacked into the
    address as its first line. A line far taller than the label is no line of the value."""
    lines = [L("常住人口登记卡", 400, 40, 50), L("姓名", 64, 200, 30), L("张三", 254, 200, 30),
             L("住址", 64, 1278, 30), L("北京市怀柔区怀北镇黄山峪村委会张口42号", 130, 1267, 54),
             L("再有印无效", 116, 1194, 117)]
    assert extract("household_register", lines)["address"] == "北京市怀柔区怀北镇黄山峪村委会张口42号"


def test_a_diagnosis_under_a_numbered_heading_ends_at_the_next_numbered_heading():
    """Dev seed 900 discharge degraded #1: 2.最后诊断： over its diagnosis (which starts a little
    left of the label), then 3.人院情况：患者因… (入 read 人, no label): the section after the
    label's own number ends the value; list items (1.…, 2.…, 3.…) have no colon after a word."""
    lines = [L("出院记录", 400, 40, 50), L("姓名：吴文之", 91, 213), L("2.最后诊断：", 92, 406, 42),
             L("慢性乙型病毒性肝炎", 68, 445, 36),
             L("3.人院情况：患者因反复胸闷，气促1周入院，既往有高血压病史3月", 68, 490, 36)]
    assert extract("discharge_summary", lines)["discharge_diagnosis"] == "慢性乙型病毒性肝炎"
    lines[3:] = [L("1.慢性乙型病毒性肝炎", 120, 445, 36), L("2.高血压病", 120, 485, 36), L("3.2型糖尿病", 120, 525, 36)]
    assert extract("discharge_summary", lines)["discharge_diagnosis"] == "慢性乙型病毒性肝炎；高血压病；2型糖尿病"


def test_a_seals_text_across_the_row_is_not_the_value_read_again():
    """Dev seed 900 medical degraded #6: 经治医师：赵树林 with the hospital seal's 南省人民医院 (a box
    two and a half lines tall) across the row: that was taken for the name read whole beside the
    label's line, and the doctor was the seal's text."""
    lines = [L("诊断证明书", 400, 40, 50), L("姓名：张三", 60, 160), L("经治医师：赵树林", 640, 506, 49),
             L("南省人民医院", 727, 414, 121)]
    assert extract("medical_certificate", lines)["doctor"] == "赵树林"


def test_a_line_before_item_one_is_no_diagnosis():
    """Dev seed 893 discharge degraded #6: a grey copy's seal (医务科) read on the row of
    入院诊断：, the list 1.… 2.… under it: no item of the list."""
    lines = [L("出院记录", 400, 40, 50), L("姓名：张三", 60, 120), L("一、入院诊断：", 88, 300),
             L("医务科", 511, 300), L("1.肺部感染", 124, 337), L("2.骨质疏松症", 123, 374), L("二、入院情况：略", 90, 420)]
    assert extract("discharge_summary", lines)["admission_diagnosis"] == "肺部感染；骨质疏松症"
    # an unnumbered first diagnosis followed by item 2 is the list's first item
    lines[3:6] = [L("肺部感染", 300, 300), L("2.骨质疏松症", 123, 337)]
    assert extract("discharge_summary", lines)["admission_diagnosis"] == "肺部感染；骨质疏松症"


def test_a_diagnosis_list_ends_at_the_next_section():
    """Dev seed 898 discharge degraded #0 and #8: the list ran on into the next section's text
    (its heading misread 三、人规情况 for 入院情况, or read as a label and stepped over)."""
    head = [L("出院记录", 400, 40, 50), L("姓名：张福生", 60, 120), L("一、入院诊断：", 448, 611, 33),
            L("(1) 腹股沟疝", 496, 649, 32), L("(2) 肝硬化失代偿期", 496, 684, 31)]
    # the heading read as a label, the paragraph under it at the list's left edge
    lines = head + [L("二、入院时主要症状及体征：", 449, 727, 35),
                    L("患者因言语不清1天入院，有吸烟史30余年，每日约20支。入院查体：T37.8℃", 486, 757, 38)]
    assert extract("discharge_summary", lines)["admission_diagnosis"] == "腹股沟疝；肝硬化失代偿期"
    # the heading misread (no label) and its text on the same line
    lines = head + [L("二、人规情况：患者因言语不清1天入院，有吸烟史30余年，每日约20支。", 470, 720, 32)]
    assert extract("discharge_summary", lines)["admission_diagnosis"] == "腹股沟疝；肝硬化失代偿期"


def test_diagnosis_whose_number_was_not_read_is_cut_where_the_line_above_did_not_wrap():
    from extract.confidence import field_confidence

    title = L("出院记录", 500, 60, 50)
    lines = [title, L("姓名：张三", 120, 150), L("出院诊断", 123, 534, 32), L("(1) 癫痫", 244, 534, 32),
             L("(2) 抑郁状态", 244, 572, 32), L("再生障碍性贫血", 277, 612, 32), L("双相情感障碍", 287, 648, 32)]
    f = fields("discharge_summary", lines)["discharge_diagnosis"]
    # 再生障碍性贫血 reaches further right than 抑郁状态: that line did not wrap
    assert f.value.startswith("癫痫；抑郁状态；再生障碍性贫血")
    assert field_confidence("discharge_summary", "discharge_diagnosis", f) < 0.9
    # a diagnosis wrapped at the right edge continues on the next line, confidently
    lines = [title, L("姓名：张三", 120, 150), L("出院诊断", 123, 534, 32),
             L("1. 高血压病3级（很高危）；2型糖尿病伴多个并发症；慢性肾脏", 244, 534, 32), L("病5期", 290, 572, 32),
             L("2. 冠状动脉粥样硬化性心脏病", 244, 610, 32)]
    f = fields("discharge_summary", lines)["discharge_diagnosis"]
    assert f.value == "高血压病3级（很高危）；2型糖尿病伴多个并发症；慢性肾脏病5期；冠状动脉粥样硬化性心脏病"
    assert field_confidence("discharge_summary", "discharge_diagnosis", f) > 0.9


def test_diagnosis_in_a_sentence_wrapped_over_two_lines_is_not_cut():
    lines = [L("疾病诊断证明书", 442, 132, 50),
             L("兹证明患者张三，性别男，45岁，于2025年3月2日在我院普外科就诊，经检查诊断为：胆囊结石伴慢性胆", 138, 295, 40),
             L("囊炎。建议：按时复诊，不适随诊。", 116, 355, 40)]
    assert extract("medical_certificate", lines)["diagnosis"] == "胆囊结石伴慢性胆囊炎"


def test_a_sentence_value_ends_where_its_paragraph_does():
    # dev seed 764 medical_certificate_degraded #5: 特此证明 lost under the seal, the advice ran
    # on over the date and the footnote five lines further down (a confident error)
    from extract.fields.rules import sentence_values

    dt = load_doctypes()["medical_certificate"]
    lines = [L("兹证明患者赵叶蕊，性别女，72岁，", 100, 300), L("经检查诊断为：心房颤动。建议：", 100, 350),
             L("长期服药，定期复查血糖", 100, 400), L("日期2026.04.25", 800, 650),
             L("注：本证明书需加盖医院诊断证明专用章方有效，涂改无效。", 100, 1800)]
    got = sentence_values(lines, dt)
    assert got["advice"].text == "长期服药，定期复查血糖"
    assert got["diagnosis"].text == "心房颤动"
    # lines of one paragraph still make one value
    lines[3] = L("日期2026.04.25", 800, 440)
    got = sentence_values(lines, dt)
    assert got["advice"].text.startswith("长期服药，定期复查血糖日期")


def test_death_certificate_id_number_whose_label_is_unread_is_the_checked_number_on_the_page():
    """Dev seed 765 death_certificate_degraded #1: 证件号码 read 4合29码, so the number beside it
    had no label. The one number on the page whose check digit holds is taken; one that fails
    its check digit, or two different valid numbers, are not."""
    from extract.fields.rules import RuleExtractor
    from schemas.doctypes import load_doctypes

    from tests.synthlines import L

    dt = load_doctypes()["death_certificate"]

    def page(*numbers):
        lines = [L("死者姓名", 20, 40), L("任玉兰", 160, 40), L("行政区划代码", 500, 10), L("321084", 700, 10)]
        for k, n in enumerate(numbers):
            lines += [L("4合29码", 20, 100 + 60 * k), L(n, 160, 100 + 60 * k)]
        return RuleExtractor().extract(dt, lines, (900, 400))

    assert page("321084193602075920")["id_number"].value == "321084193602075920"
    assert "id_number" not in page("321084193602075921")  # check digit fails
    assert "id_number" not in page("321084193602075920", "130303194201188832")  # two candidates


def test_a_number_in_boxes_with_a_speck_in_one_box_is_read_and_repaired():
    """Dev seed 902 death_certificate_degraded #7: the 证件号码 boxes read
    5|4|0|6|3 |0.|1 |9|5 … (a speck beside the 0): no pattern matched, the number was missing."""
    from extract.checks.documents import repair_id_field
    from extract.fields.rules import RuleExtractor
    from schemas.doctypes import load_doctypes

    dt = load_doctypes()["death_certificate"]
    lines = [L("死者姓名", 20, 40), L("周桂珍", 160, 40), L("证件号码.", 20, 100),
             L("5|4|0|6|3 |0.|1 |9|5 |7|1 |1|1 |4 9|3|6 |2", 160, 100)]
    f = RuleExtractor().extract(dt, lines, (1200, 400))["id_number"]
    assert f.value == "540630.195711149362"
    repair_id_field(f)
    assert f.value == "540630195711149362" and "repaired" in f.checks


def test_a_value_read_twice_takes_the_reading_that_holds_a_date():
    """Dev seed 765 death_certificate_degraded #6: the 填表日期's value read 202.10-05 in a tall
    box (a signature's stroke through it); read again, the same place gave 2025-10-05, but the
    first reading was paired and, holding no date, left the field empty. A line that holds no
    value of its field's kind gives way to another reading of the same place that does."""
    from extract.fields.rules import RuleExtractor
    from schemas.doctypes import load_doctypes

    from tests.synthlines import L

    dt = load_doctypes()["death_certificate"]
    first = L("202.10-05", 330, 92, h=60)
    lines = [L("医师签名", 20, 160), L("王娣", 160, 160), L("填表日期", 200, 100), first, L("2025-10-05", 334, 105)]
    out = RuleExtractor().extract(dt, lines, (700, 300))
    assert out["issue_date"].value == "2025-10-05"
    # a reading that holds no date either leaves the field empty
    lines[-1] = L("20.10-05", 334, 105)
    assert "issue_date" not in RuleExtractor().extract(dt, lines, (700, 300))


def _cause_page(value_line):
    from tests.synthlines import L

    return [L("死者姓名", 20, 20), L("王兰", 160, 20), L("I.(a)直接死亡原因", 20, 100), value_line, L("1天", 700, 100),
            L("(b)引起(a)的疾病或情况", 20, 160), L("高血压病3级", 400, 160), L("1周", 700, 160)]


def test_a_han_value_far_shorter_than_its_box_may_be_incomplete():
    """Dev seed 766 death_certificate_degraded #10: a handwritten stroke across 脑出血 made one
    tall box three characters wide, read 出 at 0.99. Han characters are about as wide as the
    text is tall: a box far wider than its characters took in characters that were not read."""
    from extract.fields.rules import RuleExtractor
    from schemas.doctypes import load_doctypes

    from tests.synthlines import L

    dt = load_doctypes()["death_certificate"]
    lost = L("出", 400, 100)
    lost.polygon = [(400, 92), (516, 92), (516, 157), (400, 157)]
    f = RuleExtractor().extract(dt, _cause_page(lost), (900, 300))["cause_of_death"]
    assert f.value == "出" and "value_may_be_incomplete" in f.checks
    f = RuleExtractor().extract(dt, _cause_page(L("脑出血", 400, 100)), (900, 300))["cause_of_death"]
    assert f.value == "脑出血" and "value_may_be_incomplete" not in f.checks


def test_a_speck_read_as_a_full_stop_after_a_han_value_is_dropped():
    """Dev seed 766 death_certificate_degraded #2, #6: a speck of toner after 恶病质 read as '.'."""
    from extract.fields.rules import RuleExtractor
    from schemas.doctypes import load_doctypes

    from tests.synthlines import L

    dt = load_doctypes()["death_certificate"]
    out = RuleExtractor().extract(dt, _cause_page(L("恶病质.", 400, 100)), (900, 300))
    assert out["cause_of_death"].value == "恶病质"
    out = RuleExtractor().extract(dt, _cause_page(L("2型糖尿病", 400, 100)), (900, 300))
    assert out["cause_of_death"].value == "2型糖尿病"


def test_a_label_with_a_speck_read_as_a_dot_at_its_lines_end_stands_as_a_label():
    """Dev seed 768 death_certificate_degraded #7: (c) 引起（b）的疾病或情况。 — a speck after the
    label read as 。 made it run into text, and it was dropped beside its field's labels that
    end their lines: 脑梗死后遗症 was lost and 吸入性肺炎 alone was sure at 0.99."""
    from extract.fields.rules import RuleExtractor
    from schemas.doctypes import load_doctypes

    from tests.synthlines import L

    lines = [L("I.(a)直接死亡原因", 20, 40), L("窒息", 400, 40),
             L("(b)引起(a)的疾病或情况", 20, 100), L("吸入性肺炎", 400, 100),
             L("(c)引起(b)的疾病或情况。", 20, 160), L("脑梗死后遗症", 400, 160),
             L("(d)引起(c)的疾病或情况", 20, 220)]
    out = RuleExtractor().extract(load_doctypes()["death_certificate"], lines, (900, 300))
    assert out["underlying_causes"].value == "吸入性肺炎；脑梗死后遗症"


def test_a_speck_inside_a_number_does_not_hide_it():
    """Dev seed 793 disability_certificate_degraded #1: 证号150922·19720810400443, a seal's dot
    read inside the number: found and read without it, and its check digit holds."""
    lines = [L("中华人民共和国残疾人证", 300, 40, 50), L("姓名 邹蕊秀", 60, 150), L("类别 肢体 等级 叁级", 60, 220),
             L("证号150922·19720810400443", 60, 400)]
    from extract.checks.documents import check_disability_certificate

    assert extract("disability_certificate", lines)["certificate_number"] == "150922·19720810400443"  # found

    fs = fields("disability_certificate", lines)
    check_disability_certificate(fs)
    f = fs["certificate_number"]
    assert f.value == "15092219720810400443" and "repaired" in f.checks and "checksum_ok" in f.checks
    assert f.notes["repair"]["reason"] == "specks_dropped"


def test_a_copier_streak_across_the_sheet_does_not_end_a_diagnosis_list():
    """Dev seed 794 discharge_summary_degraded #7: a faint streak across the whole sheet ran
    between the second and third discharge diagnoses and was taken for a form's rule (the
    value ended, 0.99 sure). A rule that runs through both margins is no form's; a rule that
    stops at the table still ends the value."""
    import cv2

    h = 22
    lines = [L("出院小结", 513, 136, 60), L("姓名：胡金凤 性别：女", 103, 226, h),
             L("二、出院诊断：癫痫", 103, 453, h), L("结肠癌术后化疗", 247, 490, h), L("胸腰椎压缩性骨折", 247, 529, h),
             L("三、入院时情况：", 103, 579, h)]
    img = blank()
    for ln in lines:  # ink where the lines are (the label column's ink check looks at it)
        x0, y0, x1, y1 = (int(v) for v in ln.bbox)
        cv2.rectangle(img, (x0 + 2, y0 + 6), (x1 - 2, y1 - 6), (40, 40, 40), -1)
    streak = img.copy()
    cv2.line(streak, (0, 518), (img.shape[1] - 1, 526), (200, 200, 200), 2)
    f = fields("discharge_summary", lines, image=streak)["discharge_diagnosis"]
    assert f.value == "癫痫；结肠癌术后化疗；胸腰椎压缩性骨折"
    ruled = img.copy()
    cv2.line(ruled, (90, 521), (1000, 521), (60, 60, 60), 2)
    f = fields("discharge_summary", lines, image=ruled)["discharge_diagnosis"]
    assert f.value == "癫痫；结肠癌术后化疗"


def test_a_card_numbers_latin_capital_read_as_a_chinese_lookalike():
    """Dev seed 795 social_security_card_clean #0: 社会保障卡号Y35704844 read with 丫 for Y; the
    number without its letter was 0.997 sure. The letter is kept, and the value is not sure."""
    from extract.confidence import field_confidence

    lines = [L("中华人民共和国社会保障卡", 130, 80, 60), L("姓名", 80, 375), L("李素", 288, 370),
             L("社会保障卡号丫35704844", 83, 501, confs=[0.99] * 6 + [0.45] + [0.99] * 8)]
    f = fields("social_security_card", lines, size=(1100, 700))["card_number"]
    assert f.value == "Y35704844"
    assert field_confidence("social_security_card", "card_number", f) < 0.9


def test_an_ethnicity_whose_label_was_lost_is_the_one_lone_group_name_on_the_page_for_review():
    """Dev seed 870 disability_certificate_degraded #9: a grey seal's ring across 民族 and
    出生年月日 on a copied booklet; 汉族 read alone. The one line of the page that is a group's
    name and 族, no label's and no other value's, is the ethnicity, flagged for review."""
    from extract.confidence import field_confidence

    lines = [TITLE, L("姓名", 100, 300), L("张美秀", 300, 300), L("性别", 100, 360), L("女", 300, 360),
             L("汉族", 300, 420), L("住址", 100, 540), L("河南省焦作市武陟县小董乡前庄店村八组62号", 300, 540)]
    fs = fields("disability_certificate", lines)
    f = fs["ethnicity"]
    assert f.value == "汉" and "found_without_label" in f.checks
    assert field_confidence("disability_certificate", "ethnicity", f) < 0.9
    # two such lines: which is whose is not known
    assert "ethnicity" not in fields("disability_certificate", lines + [L("回族", 300, 480)])
    # a value read beside its label stays the label's, unflagged
    fs = fields("disability_certificate", lines[:5] + [L("民族", 100, 420)] + lines[5:])
    assert fs["ethnicity"].value == "汉" and "found_without_label" not in fs["ethnicity"].checks


def test_a_character_read_twice_where_two_boxes_of_a_row_overlap_is_joined_once():
    """Dev seed 872 medical_certificate_degraded #1: the sentence's row detected as two boxes
    overlapping by a character: 老年病科就诊（ID号61065933 and 3），经检查诊断为. Joined, the record
    number read 610659333 at 0.998; the 3 both read in the overlap is one character."""
    from extract.fields.rules import _joined
    from tests.synthlines import L

    a = L("老年病科就诊（ID号61065933", 217, 395, 38)
    b = L("3），经检查诊断为:", a.bbox[2] - 20, 396, 36)
    text, where = _joined([a, b], [0, 1])
    assert "610659333" not in text and "61065933),经检查" in text
    # boxes that only touch, or overlap by less than half a character, keep every character
    b2 = L("3），经检查诊断为:", a.bbox[2] - 5, 396, 36)
    assert "610659333" in _joined([a, b2], [0, 1])[0]
    # an overlap over characters that differ is no repeat
    b3 = L("8），经检查诊断为:", a.bbox[2] - 20, 396, 36)
    assert "610659338" in _joined([a, b3], [0, 1])[0]


def test_a_date_whose_label_was_lost_is_the_one_lone_date_on_the_page_for_review():
    """Dev seed 908 death_certificate_degraded #6: the seal over 日期： by the signature, the date
    2025年10月31日 read alone. With the issue date the one date field not found and that date the
    one line of the page that is a date alone, it is the issue date, flagged for review."""
    from extract.confidence import field_confidence

    lines = [TITLE, L("死者姓名", 100, 200), L("覃敬敬", 300, 200), L("出生日期", 100, 260), L("2007年10月7日", 300, 260),
             L("死亡日期", 100, 320), L("2025年10月31日2时48分", 300, 320), L("医师签名：", 100, 800), L("王之若", 300, 800),
             L("2025年10月31日", 900, 790)]
    fs = fields("death_certificate", lines)
    f = fs["issue_date"]
    assert f.value == "2025-10-31" and "found_without_label" in f.checks
    assert field_confidence("death_certificate", "issue_date", f) < 0.9
    assert fs["death_date"].value == "2025-10-31" and fs["birth_date"].value == "2007-10-07"
    # two lone dates: which is the issue date is not known
    assert "issue_date" not in fields("death_certificate", lines + [L("2025-11-02", 900, 900)])
    # two date fields not found (the birth date's label lost as well): not told apart
    lost_birth = lines[:3] + [L("2007年10月7日", 300, 260)] + lines[5:]
    assert "issue_date" not in fields("death_certificate", lost_birth)
    # with its label, unflagged
    fs = fields("death_certificate", lines[:-1] + [L("日期：2025年10月31日", 820, 790)])
    assert fs["issue_date"].value == "2025-10-31" and "found_without_label" not in fs["issue_date"].checks


def test_a_numbered_list_with_print_unread_under_its_last_item_may_go_on():
    """Dev seed 909 discharge_summary_degraded #4: a grey seal over 3、老年性黄斑变性 under
    2、帕金森病; the detector found no line there and the diagnosis was 0.989 sure without its
    third item. Unread print right under a numbered list's last item says the list may go on."""
    from PIL import Image, ImageDraw, ImageFont

    from tests.conftest import CJK_FONT

    rows = [("入院诊断：1、脑出血后遗症", 100, 400), ("2、帕金森病", 244, 440), ("3、老年性黄斑变性", 244, 480),
            ("出院诊断：脑出血后遗症", 100, 560)]

    def page(drawn):
        img = Image.new("RGB", PAGE, (250, 250, 250))
        d = ImageDraw.Draw(img)
        font = ImageFont.truetype(CJK_FONT, 30)
        for text, x, y in drawn:  # the glyphs fill the lines' boxes (y to y + 30)
            d.text((x, y - 9), text, fill=(30, 30, 30), font=font)
        return cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)

    lines = [L("出院记录", 500, 100, 50)] + [L(t, x, y) for t, x, y in rows if not t.startswith("3")]
    f = fields("discharge_summary", lines, image=page(rows))["admission_diagnosis"]
    assert f.value == "脑出血后遗症；帕金森病" and "value_may_be_incomplete" in f.checks
    # the list ends where the print does
    f = fields("discharge_summary", lines, image=page([r for r in rows if not r[0].startswith("3")]))["admission_diagnosis"]
    assert f.value == "脑出血后遗症；帕金森病" and "value_may_be_incomplete" not in f.checks


def test_two_rows_one_character_values_boxed_as_one_line_standing_on_end_are_split():
    """Dev seed 911 disability_certificate_clean #3: 女 (性别) over 汉 (民族), close together,
    boxed as one line standing on end and read turned as 女汉: the ethnicity was lost on a clean
    page. A few Han characters in a box far taller than the page's lines and than it is wide
    are characters one under another, one line each."""
    import dataclasses

    stacked = dataclasses.replace(L("女汉", 255, 232), polygon=[(255, 232), (322, 232), (322, 372), (255, 372)])
    lines = [L("中华人民共和国残疾人证", 202, 61, 60), L("姓名", 74, 165, 54), L("马薇珠", 264, 166, 51),
             L("性别", 75, 241, 53), stacked, L("民族", 77, 318, 50), L("出生年月日", 81, 398, 41),
             L("1968-06-25", 267, 398, 41), L("类别", 74, 620, 53), L("精神", 257, 613, 57)]
    fs = fields("disability_certificate", lines, size=(959, 1355))
    assert fs["sex"].value == "女" and fs["ethnicity"].value == "汉"
    # a two-character value on one row, as tall as the page's lines, stays one line
    fs = fields("disability_certificate", lines[:4] + [L("女", 255, 241, 53), L("民族", 77, 318, 50), L("汉族", 257, 318, 50)]
                + lines[6:], size=(959, 1355))
    assert fs["ethnicity"].value == "汉" and fs["sex"].value == "女"


def test_an_address_whose_label_was_lost_is_the_one_lone_place_on_the_page_for_review():
    """Dev seed 911 disability_certificate_degraded #5: a 与原件相符 stamp over 住址 on a copied
    card, the address read whole on two lines without its label. The one line that begins with
    a province and, with the line continuing it, ends in a house number is the address."""
    from extract.confidence import field_confidence

    lines = [L("中华人民共和国残疾人证", 569, 593, 70), L("姓名", 695, 702, 36), L("刘蕊妹", 794, 696, 39),
             L("出生", 693, 769, 36), L("2007年9月29日", 790, 769, 40),
             L("吉林省长春市宽城区兴业街道红大街102号", 786, 847, 40), L("院16号楼4门1481号", 786, 889, 38),
             L("发证日期2010.09.01", 702, 940, 40)]
    fs = fields("disability_certificate", lines, size=(1656, 2341))
    f = fs["address"]
    assert f.value == "吉林省长春市宽城区兴业街道红大街102号院16号楼4门1481号" and "found_without_label" in f.checks
    assert field_confidence("disability_certificate", "address", f) < 0.9
    # two such lines: which is the address is not known
    assert "address" not in fields("disability_certificate", lines + [L("河北省沧州市献县郭庄镇后头村三组32号", 786, 1100, 40)],
                                   size=(1656, 2341))
    # an institution's name is no address
    assert "address" not in fields("disability_certificate", lines[:5] + [L("大庆市红岗区残疾人联合会", 786, 847, 40)] + lines[7:],
                                   size=(1656, 2341))


def test_a_field_declared_alone_is_the_one_lone_line_of_its_form_when_its_label_was_lost():
    """Dev seed 912 social_security_card_degraded #2: a seal over 社会保障卡号 on a copied card,
    read 社会保 (no label), H84897425 read beside it. A card number, declared `alone` as a letter
    and eight digits, is the card's one lone line of that form, flagged for review."""
    from extract.confidence import field_confidence

    lines = [L("中华人民共和国社会保障卡", 130, 60, 50), L("刘福生", 300, 250), L("社会保障号码", 80, 300),
             L("610303195503061019", 300, 300), L("社会保", 80, 350), L("H84897425", 300, 350),
             L("发卡日期", 80, 400), L("2020年02月", 300, 400)]
    fs = fields("social_security_card", lines, size=(1012, 638))
    f = fs["card_number"]
    assert f.value == "H84897425" and "found_without_label" in f.checks
    assert field_confidence("social_security_card", "card_number", f) < 0.9
    # two such lines: not told apart
    assert "card_number" not in fields("social_security_card", lines + [L("J12345678", 300, 500)], size=(1012, 638))
    # the social-security number (eighteen digits) is no card number
    assert "card_number" not in fields("social_security_card", lines[:5] + lines[6:], size=(1012, 638))
