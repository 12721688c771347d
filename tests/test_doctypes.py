"""Medical and civil-status document types (issue 4): the declarations, classification between
similar types, and field extraction on synthetic OCR lines for every key-value layout (label:
value on one line, value right of its label in a separate box, value below, spaced labels,
full/half-width colons, the fill-in sentence), seals and stamps kept out of values."""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from extract.checks.idnumber import check_char
from extract.classify import classify_lines
from extract.fields import get_extractor
from extract.pipeline import CARD_TYPES
from schemas.doctypes import load_doctypes
from schemas.result import DOCUMENT_TYPES
from tests.synthlines import L, width

PAGE = (1240, 1754)
CONTRACT = Path(__file__).resolve().parents[2] / "shared" / "contract" / "extraction-result.md"

NEW_TYPES = ["medical_certificate", "discharge_summary", "lab_report", "death_certificate",
             "disability_certificate", "household_register", "social_security_card", "bank_card"]


def make_id(division: str = "110105", birth: str = "19800101", seq: str = "123") -> str:
    first17 = division + birth + seq
    return first17 + check_char(first17)


def luhn_number(prefix: str = "622202123456789012") -> str:
    for d in "0123456789":
        n = prefix + d
        total = sum(int(c) if i % 2 == 0 else (2 * int(c) - 9 if int(c) > 4 else 2 * int(c))
                    for i, c in enumerate(reversed(n)))
        if total % 10 == 0:
            return n
    raise AssertionError


def lines_of(texts: list[str], x: float = 100, y0: float = 100, pitch: float = 50, h: float = 30):
    return [L(t, x, y0 + i * pitch, h) for i, t in enumerate(texts)]


def extract(doctype: str, lines, size=PAGE, image=None):
    dt = load_doctypes()[doctype]
    fields = get_extractor("rules").extract(dt, lines, size, image=image)
    return {k: f.value for k, f in fields.items()}


# --------------------------------------------------------------------------- declarations
def _contract_fields() -> dict[str, list[str]]:
    out = {}
    for line in CONTRACT.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`(\w+)`\s*\|[^|]*\|\s*(.+?)\s*\|\s*$", line)
        if m and m.group(1) != "unknown":
            names = re.sub(r"\(.*?\)", "", m.group(2))
            out[m.group(1)] = [n.strip() for n in names.split(",") if n.strip()]
    return out


def test_every_contract_type_is_declared_with_its_fields():
    dts = load_doctypes()
    contract = _contract_fields()
    assert set(NEW_TYPES) <= set(contract)
    for t, names in contract.items():
        assert t in dts, t
        declared = set(dts[t].fields)
        for spec in dts[t].fields.values():
            declared |= set(spec.split or [])
        assert set(names) <= declared, (t, set(names) - declared)
    assert set(dts) <= set(DOCUMENT_TYPES)


def test_card_types_are_cards_and_pages_are_pages():
    dts = load_doctypes()
    for t in NEW_TYPES:
        assert dts[t].layout == ("card" if t in CARD_TYPES else "page"), t
        assert dts[t].checks == t


@pytest.mark.parametrize("doctype,field,labels", [
    ("medical_certificate", "patient_name", ["姓名", "患者姓名", "病人姓名"]),
    ("medical_certificate", "department", ["科别", "科室", "就诊科室"]),
    ("medical_certificate", "record_number", ["门诊号", "住院号", "病历号", "ID号"]),
    ("medical_certificate", "diagnosis", ["诊断", "临床诊断", "诊断意见", "初步诊断"]),
    ("medical_certificate", "advice", ["建议", "处理意见", "医嘱"]),
    ("medical_certificate", "doctor", ["医师", "医生", "主治医师"]),
    ("discharge_summary", "discharge_date", ["出院日期"]),
    ("discharge_summary", "admission_date", ["入院日期"]),
    ("death_certificate", "death_date", ["死亡日期"]),
    ("death_certificate", "place_of_death", ["死亡地点"]),
    ("death_certificate", "id_number", ["证件号码", "身份证号", "公民身份号码"]),
    ("disability_certificate", "disability_category", ["残疾类别"]),
    ("disability_certificate", "disability_level", ["残疾等级"]),
    ("social_security_card", "social_security_number", ["社会保障号码"]),
    ("social_security_card", "card_number", ["卡号"]),
    ("social_security_card", "issue_date", ["发卡日期"]),
])
def test_label_synonyms(doctype, field, labels):
    assert set(labels) <= set(load_doctypes()[doctype].fields[field].labels)


# --------------------------------------------------------------------------- classification
SAMPLES = {
    "medical_certificate": ["XX市人民医院", "诊断证明书", "姓名：张三 性别：男 年龄：45岁", "科别：内科 门诊号：123456",
                            "诊断：高血压病3级", "建议：休息一周", "医师：李四", "日期：2024年3月5日"],
    "discharge_summary": ["XX市人民医院", "出院记录", "姓名：张三 性别：男 年龄：45岁 住院号：123456",
                          "入院日期：2024年3月1日 出院日期：2024年3月10日 住院天数：9天", "入院诊断：1.高血压病3级",
                          "出院诊断：1.高血压病3级", "诊疗经过：予降压治疗", "出院医嘱：低盐饮食", "主治医师：李四"],
    "lab_report": ["XX市人民医院", "检验报告单", "姓名：张三 性别：男 年龄：45岁 标本种类：血清",
                   "项目 结果 单位 参考范围", "葡萄糖 5.1 mmol/L 3.9-6.1", "检验者：王五 审核者：赵六",
                   "报告时间：2024-03-05 10:20"],
    "death_certificate": ["居民死亡医学证明(推断)书", "死者姓名：张三 性别：男 民族：汉", f"证件号码：{make_id(birth='19400101')}",
                          "出生日期：1940年1月1日 死亡日期：2024年3月5日", "死亡地点：医疗卫生机构", "致死的主要疾病诊断",
                          "Ⅰ.(a)直接死亡原因：急性心肌梗死", "填表日期：2024年3月6日"],
    "disability_certificate": ["中华人民共和国残疾人证", "姓名：张三 性别：男", "民族：汉 出生日期：1980年1月1日",
                               f"身份证号：{make_id()}", f"残疾人证号：{make_id()}41", "残疾类别：肢体 残疾等级：一级",
                               "住址：北京市朝阳区XX路1号", "发证日期：2020年5月1日"],
    "household_register": ["常住人口登记卡", "姓名 张三 户主或与户主关系 户主", "曾用名", "性别 男 出生地 北京市",
                           "民族 汉 籍贯 北京市", "出生日期 1980年1月1日", f"公民身份证件编号 {make_id()}",
                           "服务处所", "何时由何地迁来本址", "承办人签章"],
    "social_security_card": ["中华人民共和国", "社会保障卡", "姓名 张三", f"社会保障号码 {make_id()}", "卡号 A12345678",
                             "发卡日期 2019年05月"],
    "bank_card": ["中国工商银行", " ".join(re.findall(".{1,4}", luhn_number())), "银联", "UnionPay"],
    "id_card_front": ["姓名 张三", "性别 男 民族 汉", "出生 1980年1月1日", "住址 北京市朝阳区XX路1号",
                      f"公民身份号码 {make_id()}"],
}


@pytest.mark.parametrize("doctype", list(SAMPLES))
def test_each_type_is_recognised(doctype):
    lines = lines_of(SAMPLES[doctype])
    t = 1 if doctype in ("medical_certificate", "discharge_summary", "lab_report") else 0  # the title line
    lines[t] = L(SAMPLES[doctype][t], 300, lines[t].bbox[1], 50)  # printed large
    c = classify_lines(lines)
    assert c.type == doctype, c.scores
    assert c.confidence > 0.8


@pytest.mark.parametrize("doctype,extra", [
    # a certificate that mentions the stay in hospital is still a certificate
    ("medical_certificate", ["于2024年3月1日入院，2024年3月10日出院", "出院诊断：高血压病3级"]),
    # a discharge summary that advises and diagnoses is still a discharge summary
    ("discharge_summary", ["诊断：高血压", "建议：休息两周", "特此证明"]),
    # a lab report names the clinical diagnosis and the physician
    ("lab_report", ["临床诊断：高血压", "送检医生：李四", "科别：内科"]),
    # a disability certificate prints everything an ID card front prints
    ("disability_certificate", ["公民身份号码", "住址：北京市"]),
    # a social security card prints the holder's ID number
    ("social_security_card", [make_id(), "中国建设银行"]),
])
def test_titles_and_keywords_win_over_similar_types(doctype, extra):
    c = classify_lines(lines_of(SAMPLES[doctype] + extra))
    assert c.type == doctype, c.scores


def test_title_printed_large_outweighs_a_mention():
    # 诊断证明书 as the title, 出院记录 only mentioned in the text
    lines = [L("XX医院", 400, 60, 50), L("诊断证明书", 400, 140, 55)] + lines_of(
        ["姓名：张三", "诊断：高血压", "详见出院记录", "入院日期：2024年3月1日"], y0=260)
    assert classify_lines(lines).type == "medical_certificate"


def test_disability_certificate_is_not_read_as_a_card():
    lines = lines_of(SAMPLES["disability_certificate"])
    assert classify_lines(lines, allowed=CARD_TYPES).type == "unknown"
    assert classify_lines(lines).type == "disability_certificate"


@pytest.mark.parametrize("texts", [
    ["会议纪要", "时间：2024年3月5日", "参会人员：张三、李四", "议题：预算"],
    [],
    # two titles, nothing else to tell them apart: unsure
    ["诊断证明书", "出院记录", "姓名：张三"],
])
def test_unknown_when_unsure(texts):
    assert classify_lines(lines_of(texts)).type == "unknown"


@pytest.mark.parametrize("title,doctype", [
    ("醫學诊斷证明書", "medical_certificate"), ("檢驗報告單", "lab_report"), ("出院記錄", "discharge_summary")])
def test_a_title_read_in_traditional_characters_counts(title, doctype):
    """A title in a calligraphic font, read partly in traditional characters (医学诊断证明书 read
    醫學诊斷证明書, the document unknown): the recogniser knows both scripts, the types are
    declared in simplified; text is compared in simplified."""
    lines = [L("石阡县中医医院", 400, 60, 50), L(title, 400, 140, 55)] + lines_of(
        ["姓名：马融", "性别:女", "年龄:29岁"], y0=260)
    assert classify_lines(lines).type == doctype


def test_one_misread_character_in_a_long_title_still_counts():
    lines = lines_of(["XX医院", "常住人口登记长", "姓名 张三", "户主或与户主关系 户主"])
    assert classify_lines(lines).type == "household_register"


# --------------------------------------------------------------------------- key-value layouts
def test_label_and_value_on_one_line_with_full_and_half_width_colons():
    lines = lines_of(["诊断证明书", "姓名：张三　性别:男　年龄：45岁", "科别:心内科　门诊号：MZ123456",
                      "诊断：高血压病3级", "建议：低盐饮食，规律服药。", "医师：李四", "日期：2024年3月5日"])
    v = extract("medical_certificate", lines)
    assert v["patient_name"] == "张三" and v["sex"] == "男" and v["age"] == "45"
    assert v["department"] == "心内科" and v["record_number"] == "MZ123456"
    assert v["diagnosis"] == "高血压病3级"
    assert v["advice"] == "低盐饮食，规律服药。"
    assert v["doctor"] == "李四" and v["issue_date"] == "2024-03-05"


def test_value_right_of_label_in_a_separate_box():
    # a ruled grid: every label and value its own OCR box
    cells = [("姓名", 100), ("王小明", 260), ("性别", 480), ("男", 640), ("年龄", 800), ("8个月", 960)]
    lines = [L("诊断证明书", 400, 40, 50)] + [L(t, x, 200) for t, x in cells]
    lines += [L("就诊科室", 100, 260), L("儿科", 260, 260), L("ID号", 480, 260), L("0012345", 640, 260)]
    v = extract("medical_certificate", lines)
    assert v["patient_name"] == "王小明" and v["sex"] == "男" and v["age"] == "8月"
    assert v["department"] == "儿科" and v["record_number"] == "0012345"


def test_value_below_its_label_over_several_lines():
    lines = [L("诊断证明书", 400, 40, 50), L("姓名：张三", 100, 150), L("诊断意见：", 100, 220),
             L("1.高血压病3级（很高危）", 160, 262), L("2.2型糖尿病", 160, 300),
             L("3.腰椎间盘突出症（L4/5）伴", 160, 338), L("神经根受压", 160, 376),
             L("处理意见：", 100, 450), L("建议休息两周。", 160, 492)]
    v = extract("medical_certificate", lines)
    assert v["diagnosis"] == "高血压病3级（很高危）；2型糖尿病；腰椎间盘突出症（L4/5）伴神经根受压"
    assert v["advice"] == "建议休息两周。"


def test_spaced_labels():
    lines = lines_of(["诊断证明书", "姓　名：张三", "性  别：女", "年　龄：7天", "科  别：新生儿科", "诊　断：新生儿黄疸"])
    v = extract("medical_certificate", lines)
    assert (v["patient_name"], v["sex"], v["age"], v["department"], v["diagnosis"]) == (
        "张三", "女", "7天", "新生儿科", "新生儿黄疸")


def test_unknown_label_ends_a_value():
    lines = lines_of(["检验报告单", "姓名：张三 性别：男", "科室：内科　床号：12　样本号：7", "标本：血清 临床诊断：高血压"])
    v = extract("lab_report", lines)
    assert v["department"] == "内科" and v["specimen"] == "血清"


def test_title_holding_a_label_gives_no_value():
    lines = lines_of(["疾病诊断证明书", "姓名：张三", "诊断：高血压病3级"])
    assert extract("medical_certificate", lines)["diagnosis"] == "高血压病3级"


def test_label_standing_alone_wins_over_the_same_word_starting_a_value():
    # grid: the cell "建议" and the advice "建议住院进一步治疗。" beside it
    lines = [L("诊断证明书", 400, 40, 50), L("姓名", 100, 150), L("张三", 260, 150), L("建议", 100, 300),
             L("建议住院进一步治疗。", 260, 300)]
    assert extract("medical_certificate", lines)["advice"] == "建议住院进一步治疗。"


def test_fill_in_sentence():
    lines = [L("朝阳市第一人民医院", 350, 60, 50), L("诊断证明书", 420, 140, 55),
             L("兹证明患者张三，性别男，45岁，于2024年3月5日在我院心血管内科就诊（门诊号", 100, 260),
             L("MZ00123），经检查诊断为：高血压病3级；2型糖尿病。建议：低盐饮食，规律服药。", 60, 320),
             L("特此证明。", 100, 380), L("医师：李四", 700, 500), L("日期：2024年3月6日", 700, 560)]
    v = extract("medical_certificate", lines)
    assert v["patient_name"] == "张三" and v["sex"] == "男" and v["age"] == "45"
    assert v["visit_date"] == "2024-03-05" and v["department"] == "心血管内科"
    assert v["record_number"] == "MZ00123"
    assert v["diagnosis"] == "高血压病3级；2型糖尿病"
    assert v["advice"] == "低盐饮食，规律服药"
    assert v["doctor"] == "李四" and v["issue_date"] == "2024-03-06"
    assert v["hospital"] == "朝阳市第一人民医院"


def test_fill_in_sentence_with_hand_filled_blanks_in_separate_boxes():
    y = 260
    parts = [("兹证明患者", False), ("王芳", True), ("，性别", False), ("女", True), ("，", False), ("8", True),
             ("岁，于", False), ("2024年3月5日", True), ("在我院", False), ("儿科", True), ("就诊", False)]
    lines, x = [], 100.0
    for t, hand in parts:
        lines.append(L(t, x, y + (4 if hand else 0), 36 if hand else 30))
        x += width(t, 36 if hand else 30) + (20 if hand else 4)
    lines = [L("诊断证明书", 420, 140, 55)] + lines + [L("经检查诊断为：急性支气管炎。", 100, 320)]
    v = extract("medical_certificate", lines)
    assert (v["patient_name"], v["sex"], v["age"], v["department"], v["diagnosis"]) == (
        "王芳", "女", "8", "儿科", "急性支气管炎")


def test_hospital_is_the_header_line():
    lines = [L("中山大学附属第一医院", 350, 60, 50), L("诊断证明书", 420, 140, 55)] + lines_of(
        ["姓名：张三", "诊断：高血压", "注：本证明需加盖医院诊断证明专用章方有效"], y0=1500)
    assert extract("medical_certificate", lines)["hospital"] == "中山大学附属第一医院"


# --------------------------------------------------------------------------- seals
def _seal_lines(cx: float, cy: float) -> list:
    """Pieces of a round seal as the OCR reads them: rotated arc pieces, the bottom text."""
    return [L("XX市人民", cx - 120, cy - 90, 28, angle=-35), L("医院", cx + 40, cy - 110, 28, angle=30),
            L("诊断证明专用章", cx - 100, cy + 40, 26)]


def test_seal_text_never_becomes_doctor_or_date():
    lines = [L("诊断证明书", 420, 140, 55), L("姓名：张三", 100, 250), L("诊断：高血压", 100, 310),
             L("医师：", 700, 500)] + _seal_lines(820, 540) + [L("日期：", 700, 580), L("2024年3月6日", 790, 580)]
    v = extract("medical_certificate", lines)
    assert "doctor" not in v  # the signature was not read: nothing rather than seal text
    assert v["issue_date"] == "2024-03-06"
    lines.append(L("李四", 790, 500))
    v = extract("medical_certificate", lines)
    assert v["doctor"] == "李四"
    assert all("章" not in str(x) and "医院" not in str(x) for k, x in v.items() if k != "hospital")


def test_red_seal_text_found_by_colour():
    img = np.full((PAGE[1], PAGE[0], 3), 250, np.uint8)
    # a red ring (the seal), red bottom text inside it, black text stamped over
    cv2.circle(img, (820, 560), 110, (40, 40, 200), 6)
    cv2.rectangle(img, (780, 600), (860, 626), (40, 40, 200), -1)
    cv2.rectangle(img, (700, 500), (880, 530), (20, 20, 20), -1)
    lines = [L("诊断证明书", 420, 140, 55), L("姓名：张三", 100, 250), L("医师：李四", 700, 500),
             L("门诊部", 780, 600, 26), L("日期：2024年3月6日", 100, 700)]
    from extract import seals

    dropped = seals.seal_lines(lines, img)
    assert [lines[i].text for i in dropped] == ["门诊部"]
    v = extract("medical_certificate", lines, image=img)
    assert v["doctor"] == "李四"
    # whitened for the OCR: the ring is gone, the black text stays
    clean = seals.remove_seals(img)
    assert seals.red_mask(clean).sum() < 0.05 * seals.red_mask(img).sum()
    assert (clean[505:525, 710:870] < 60).all()


def test_red_header_outside_a_seal_is_kept():
    img = np.full((PAGE[1], PAGE[0], 3), 250, np.uint8)
    cv2.rectangle(img, (350, 60), (800, 110), (40, 40, 180), -1)  # the hospital name in red
    lines = [L("雷山县人民医院", 350, 60, 50), L("诊断证明书", 420, 140, 55), L("姓名：张三", 100, 250)]
    from extract import seals

    assert not seals.seal_lines(lines, img)
    assert extract("medical_certificate", lines, image=img)["hospital"] == "雷山县人民医院"


@pytest.mark.parametrize("text,seal", [("XX医院诊断证明专用章", True), ("检验专用章", True), ("公章", True),
                                       ("注：本证明书需加盖医院诊断证明专用章方有效，涂改无效。", False),
                                       ("日期：2024年3月5日", False)])
def test_seal_words(text, seal):
    from extract.seals import is_seal_text

    assert is_seal_text(text) is seal


# --------------------------------------------------------------------------- other types
def test_discharge_summary_fields():
    lines = lines_of(["漳州市人民医院", "出院记录", "姓名：张三 性别：男 年龄：68岁 科室：心内科 住院号：ZY0012",
                      "入院日期：2024-03-01 09:30 出院日期：2024-03-10 住院天数：9天",
                      "入院诊断：1.冠心病 2.高血压病3级", "出院诊断：", "1.冠状动脉粥样硬化性心脏病", "2.高血压病3级",
                      "诊疗经过：予抗血小板治疗", "经治医师：李四", "主治医师：王五"])
    v = extract("discharge_summary", lines)
    assert v["admission_date"] == "2024-03-01" and v["discharge_date"] == "2024-03-10"
    assert v["admission_diagnosis"] == "冠心病；高血压病3级"
    assert v["discharge_diagnosis"] == "冠状动脉粥样硬化性心脏病；高血压病3级"
    # the doctor is the record's writer (经治医师), not the attending who countersigns it
    assert v["department"] == "心内科" and v["record_number"] == "ZY0012" and v["doctor"] == "李四"
    assert v["hospital"] == "漳州市人民医院"


def test_death_certificate_fields():
    idn = make_id(birth="19400101")
    lines = lines_of(["居民死亡医学证明(推断)书", "死者姓名：张三 性别：男 民族：汉族",
                      f"有效身份证件类别：身份证 证件号码：{idn}", "出生日期：1940年1月1日 死亡日期：2024年3月5日10时",
                      "死亡地点：医疗卫生机构", "致死的主要疾病诊断",
                      "Ⅰ.(a)直接死亡原因：急性心肌梗死", "(b)引起(a)的疾病或情况：冠状动脉粥样硬化性心脏病",
                      "(c)引起(b)的疾病或情况：高血压病", "医疗卫生机构名称：漳州市人民医院", "填表日期：2024年3月6日"])
    v = extract("death_certificate", lines)
    assert v["deceased_name"] == "张三" and v["sex"] == "男" and v["ethnicity"] == "汉"
    assert v["id_number"] == idn and v["birth_date"] == "1940-01-01" and v["death_date"] == "2024-03-05"
    assert v["place_of_death"] == "医疗卫生机构"
    assert v["cause_of_death"] == "急性心肌梗死"
    assert v["underlying_causes"] == "冠状动脉粥样硬化性心脏病；高血压病"
    assert v["institution"] == "漳州市人民医院" and v["issue_date"] == "2024-03-06"


def test_disability_certificate_fields():
    idn = make_id()
    lines = lines_of(["中华人民共和国残疾人证", "姓名：张三 性别：男", "民族：汉 出生日期：1980年1月1日",
                      f"身份证号：{idn}", f"残疾人证号：{idn}42", "残疾类别：肢体 残疾等级：贰级",
                      "住址：北京市朝阳区XX路1号", "发证日期：2020年5月1日"])
    v = extract("disability_certificate", lines)
    assert v["id_number"] == idn and v["certificate_number"] == idn + "42"
    assert v["disability_category"] == "肢体残疾" and v["disability_level"] == "二级"
    assert v["name"] == "张三" and v["birth_date"] == "1980-01-01" and v["issue_date"] == "2020-05-01"
    assert v["address"] == "北京市朝阳区XX路1号"


def test_household_register_grid():
    idn = make_id()
    y = 200
    lines = [L("常住人口登记卡", 420, 80, 55)]
    grid = [[("姓名", 100), ("张三", 260), ("户主或与户主关系", 520), ("长子", 820)],
            [("曾用名", 100), ("性别", 520), ("男", 820)],
            [("出生地", 100), ("北京市朝阳区", 260), ("民族", 520), ("汉", 820)],
            [("出生日期", 100), ("1980年1月1日", 260), ("籍贯", 520), ("北京市", 820)],
            [("公民身份证件编号", 100), (idn, 400)],
            [("住址", 100), ("北京市朝阳区XX路1号", 260)]]
    for r in grid:
        lines += [L(t, x, y) for t, x in r]
        y += 60
    v = extract("household_register", lines)
    assert v["name"] == "张三" and v["relationship"] == "长子" and v["sex"] == "男" and v["ethnicity"] == "汉"
    assert v["birthplace"] == "北京市朝阳区" and v["birth_date"] == "1980-01-01" and v["id_number"] == idn
    assert v["address"] == "北京市朝阳区XX路1号"


def test_social_security_card_fields():
    idn = make_id()
    lines = [L("中华人民共和国", 300, 40, 40), L("社会保障卡", 360, 90, 50), L("姓名", 60, 250, 26),
             L("张三", 200, 250, 30), L("社会保障号码", 60, 320, 26), L(idn, 240, 320, 30), L("卡号", 60, 390, 26),
             L("A12345678", 200, 390, 30), L("发卡日期", 60, 460, 26), L("2019年05月", 200, 460, 30)]
    v = extract("social_security_card", lines, size=(1012, 638))
    assert v == {"name": "张三", "social_security_number": idn, "card_number": "A12345678", "issue_date": "2019-05"}


def test_bank_card_number_in_groups():
    n = luhn_number()
    groups = re.findall(".{1,4}", n)
    lines = [L("中国工商银行", 60, 60, 40)] + [L(g, 80 + i * 160, 330, 50) for i, g in enumerate(groups)] + [
        L("银联", 850, 520, 40)]
    v = extract("bank_card", lines, size=(1012, 638))
    assert v == {"bank": "中国工商银行", "card_number": n}


# --------------------------------------------------------------------------- converters
@pytest.mark.parametrize("parts,expected", [
    (["1.高血压病3级 2.2型糖尿病"], "高血压病3级；2型糖尿病"),
    (["(1) 2型糖尿病", "(2) 肺源性心脏病"], "2型糖尿病；肺源性心脏病"),
    (["1、高血压", "2、肺结节0.5cm"], "高血压；肺结节0.5cm"),
    (["高血压病3级；2型糖尿病。"], "高血压病3级；2型糖尿病"),
    (["高血压病3级", "2型糖尿病"], "高血压病3级；2型糖尿病"),
    (["①高血压 ②糖尿病"], "高血压；糖尿病"),
    (["1.心功能Ⅲ级(NYHA分级)"], "心功能Ⅲ级（NYHA分级）"),
    # the semicolon between two diagnoses read as a colon (seed 15000 medical_certificate_degraded #0)
    (["慢性乙型病毒性肝炎：糖尿病周围神经病变"], "慢性乙型病毒性肝炎；糖尿病周围神经病变"),
    # a list number whose opening faded: its closing bracket alone (dev seed 905 discharge
    # degraded #0: ）陈旧性心肌梗死 at 0.99)
    (["）陈旧性心肌梗死"], "陈旧性心肌梗死"),
    ([")高血压", "(2)糖尿病"], "高血压；糖尿病"),
    (["心功能Ⅲ级(NYHA分级)）"], "心功能Ⅲ级（NYHA分级）"),
])
def test_diagnoses_joined_without_numbering(parts, expected):
    from extract.fields.values import split_diagnoses

    assert "；".join(split_diagnoses(parts)) == expected


@pytest.mark.parametrize("kind,text,value", [
    ("age", "78岁", "78"), ("age", "78", "78"), ("age", "8个月", "8月"), ("age", "20天", "20天"),
    ("age", "七十八岁", "78"),
    ("disability_category", "肢体", "肢体残疾"), ("disability_category", "视力残疾", "视力残疾"),
    ("disability_category", "4", "肢体残疾"),
    ("disability_level", "贰级", "二级"), ("disability_level", "一级", "一级"), ("disability_level", "Ⅲ级", "三级"),
    ("amount", "￥1,234.50", "1234.50"), ("amount", "壹仟贰佰元整", "1200.00"),
    ("bank_card_number", "6222 0212 3456 789O 128", "6222021234567890128"),
    ("card_number", "a 1234 5678", "A12345678"),
    ("record_number", "：MZ 00123）", "MZ00123"),
    ("text_block", "建议休息两周,门诊随诊。", "建议休息两周，门诊随诊。"),
])
def test_converters(kind, text, value):
    from extract.fields.values import to_field
    from extract.layout import Value, span_of

    line = L(text, 0, 0)
    v = Value([span_of([line], 0, 0, len(text))])
    assert to_field(kind, v).value == value


# --------------------------------------------------------------------------- printed forms
def test_discharge_narrative_sentence():
    lines = lines_of(["江西省人民医院", "出院小结", "姓名:张桂英 性别:女 年龄:76岁 科别:神经内科 住院号:ZY804971892",
                      "患者张桂英，女，76岁，因“多饮、多尿、消瘦3月”于2026年10月6日入院，于2026年10月15日出院，共住院9天",
                      "一、入院诊断:1. 帕金森病"])
    x1 = 100 + width("一、入院诊断:")
    lines += [L("2. 高血压病3级（很高危）", x1, 350)] + lines_of(
        ["二、入院情况：患者因“多饮”入院。", "四、出院诊断:", "1. 帕金森病", "住院医师：邵杰伟 主治医师：刘慧梦",
         "日期:2026年10月15日"], y0=400)
    v = extract("discharge_summary", lines)
    assert v["admission_date"] == "2026-10-06" and v["discharge_date"] == "2026-10-15"
    assert v["length_of_stay"] == "9"
    assert v["admission_diagnosis"] == "帕金森病；高血压病3级（很高危）"
    assert v["discharge_diagnosis"] == "帕金森病"
    assert v["doctor"] == "邵杰伟"


def test_a_value_ends_where_the_next_label_line_begins():
    lines = [L("诊断证明书", 400, 40, 50), L("疾病诊断：", 100, 200), L("1.高血压病3级", 120, 240),
             L("2.高脂血症", 120, 272), L("建议:", 90, 306), L("注意休息，避免劳累。", 110, 338)]
    v = extract("medical_certificate", lines)
    assert v["diagnosis"] == "高血压病3级；高脂血症" and v["advice"] == "注意休息，避免劳累。"


def test_continuation_page_with_running_header_is_recognised():
    lines = lines_of(["伊犁哈萨克自治州妇幼保健院出院小结", "姓名:郭朗", "住院号码:87812167", "3.如有不适，及时就诊。",
                      "医生签名：王滢", "第2页"], h=26)
    assert classify_lines(lines).type == "discharge_summary"
    assert extract("discharge_summary", lines)["hospital"] == "伊犁哈萨克自治州妇幼保健院"


def test_id_number_printed_one_digit_per_box():
    idn = make_id(division="360728", birth="19820921")
    lines = [L("居民死亡医学证明(推断)书", 300, 40, 50), L("死者姓名", 80, 200), L("方艳", 260, 200),
             L("身份证号码", 460, 260), L(f"{idn[0]} |{idn[1]}|{idn[2]}|{idn[3]}|", 620, 262),
             L(idn[4:8], 760, 260), L(" ".join(idn[8:]), 860, 262), L("死亡日期", 80, 320), L("2024年3月5日", 260, 320)]
    v = extract("death_certificate", lines)
    assert v["id_number"] == idn and v["deceased_name"] == "方艳"


def test_marked_option_of_a_printed_list():
    img = np.full((PAGE[1], PAGE[0], 3), 250, np.uint8)
    opts = "□1医疗卫生机构 □2.来院途中 □3.家中 □4.养老服务机构"
    line = L(opts, 260, 400)
    xs = line.char_positions
    x0, x1 = line.bbox[0], line.bbox[2]
    a = x0 + xs[opts.index("来")] * (x1 - x0) - 15
    b = x0 + xs[opts.index("中", opts.index("来"))] * (x1 - x0) + 15
    cv2.ellipse(img, (int((a + b) / 2), 415), (int((b - a) / 2) + 6, 24), 0, 0, 360, (20, 20, 20), 2)
    lines = [L("居民死亡医学证明(推断)书", 300, 40, 50), L("死亡地点", 80, 400), line]
    assert extract("death_certificate", lines, image=img)["place_of_death"] == "来院途中"
    # nothing marked: the list itself is never the value
    assert "place_of_death" not in extract("death_certificate", lines, image=np.full_like(img, 250))
    # a mark read as text
    lines[-1] = L("□1医疗卫生机构 □2.来院途中 ☑3.家中 □4.养老服务机构", 260, 400)
    assert extract("death_certificate", lines)["place_of_death"] == "家中"


def test_value_wrapped_inside_its_cell():
    lines = [L("常住人口登记卡", 300, 40, 50), L("姓名", 110, 160), L("刘红瑞", 250, 160), L("出生地", 104, 314, 40),
             L("内蒙古自治区锡林郭勒", 238, 299, 36), L("盟", 230, 331, 38), L("籍贯", 114, 393),
             L("内蒙古自治区太仆寺旗", 237, 393)]
    v = extract("household_register", lines)
    assert v["birthplace"] == "内蒙古自治区锡林郭勒盟"


def test_disability_card_without_a_printed_id_number():
    idn = make_id(division="610523", birth="19430619", seq="836")
    lines = lines_of(["中华人民共和国残疾人证", "姓名 刘韵黛", "性别女 民族汉", "出生 1943年6月19日", "类别肢体残疾等级叁级",
                      "住址 陕西省渭南市大荔县段家镇", "发证日期 2010年3月18日", f"证号{idn}43"])
    from extract.verify import finalize_document
    from schemas.result import DocumentResult

    dt_ = load_doctypes()["disability_certificate"]
    fields = get_extractor("rules").extract(dt_, lines, PAGE)
    doc = DocumentResult(type="disability_certificate", confidence=0.99)
    finalize_document(doc, dt_, fields, 1, lambda b: b, 0.9)
    assert doc.fields["id_number"].value == idn
    assert "derived_from_certificate_number" in doc.fields["id_number"].checks
    assert doc.fields["disability_level"].value == "三级"
    assert "level_matches_number" in doc.fields["disability_level"].checks


def test_household_grid_is_not_an_id_card():
    lines = lines_of(["姓名 罗先伯", "与户主关系 夫", "曾用名", "性别 男", "出生地 福建省三明市清流县", "民族 汉", "籍贯 福建省清流县",
                      "出生日期 1932年7月6日", f"公民身份号码 {make_id()}"])
    assert classify_lines(lines, allowed=CARD_TYPES).type == "unknown"
    assert classify_lines(lines).type == "household_register"


def test_patient_block_of_a_certificate_is_not_an_id_card():
    # the block under a certificate's title, as a text cluster of its own
    lines = lines_of(["姓名：黄堃静  性别：女  年龄：93", "就诊科室：内科  门诊号：123456  民族：汉", "诊断：", "1.高血压病"])
    assert classify_lines(lines).type != "id_card_front"
    assert classify_lines(lines, allowed=CARD_TYPES).type == "unknown"


def test_coloured_ink_is_whitened_inside_value_boxes_only():
    from extract import seals

    img = np.full((300, 600, 3), 235, np.uint8)
    cv2.putText(img, "NAME", (10, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (200, 120, 40), 3)  # a blue label
    cv2.putText(img, "ZHANG", (200, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (20, 20, 20), 3)  # the black value
    cv2.rectangle(img, (180, 20), (420, 90), (40, 40, 200), 4)  # a red stamp frame over the value
    box = [(170, 10, 450, 100)]
    assert seals.colored_ink_share(img, box) > 0.02
    out = seals.suppress_colored_ink(img, box)
    assert seals.colored_ink_share(out, box) < 0.001
    black = img.max(axis=2) < 60
    assert (out[black] < 60).all()  # black strokes kept, also where the frame crosses them
    assert (out[:, :170] == img[:, :170]).all()  # the label outside the value boxes untouched


# --------------------------------------------------------------------------- logos are no seals
def _red_logo_and_name(filled: bool) -> tuple[np.ndarray, list]:
    """A card-sized image: a red round logo (a filled disc, or a thick ring round a square)
    beside the bank's name, black text below it."""
    img = np.full((640, 1010, 3), 245, np.uint8)
    red = (40, 40, 200)
    if filled:
        cv2.circle(img, (110, 100), 38, red, -1)
    else:
        cv2.circle(img, (110, 100), 34, red, 8)
        cv2.rectangle(img, (97, 87), (123, 113), red, -1)
    for k in range(4):  # four red glyph-sized marks: the name
        cv2.rectangle(img, (170 + 50 * k, 78), (210 + 50 * k, 122), red, 5)
        cv2.line(img, (170 + 50 * k, 100), (210 + 50 * k, 100), red, 5)
    cv2.putText(img, "CHINA MERCHANTS BANK", (170, 160), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (20, 20, 20), 2)
    return img, [L("招商银行", 170, 78, 44), L("CHINA MERCHANTS BANK", 170, 135, 28)]


@pytest.mark.parametrize("filled", [True, False])
def test_round_logo_beside_a_name_is_no_seal(filled):
    from extract import seals

    img, lines = _red_logo_and_name(filled)
    assert seals.seal_regions(img) == []
    assert seals.remove_seals(img) is img  # nothing whitened: the red name stays whole
    assert not seals.seal_lines(lines, img)


def test_thin_ring_seal_is_still_a_seal_and_a_logo_ring_is_not():
    from extract import seals

    img = np.full((PAGE[1], PAGE[0], 3), 250, np.uint8)
    cv2.circle(img, (820, 560), 110, (40, 40, 200), 6)  # a seal: ring R/18
    cv2.circle(img, (300, 300), 90, (40, 40, 200), 24)  # a logo: ring R/4
    regions = seals.seal_regions(img)
    assert len(regions) == 1 and regions[0][0] < 820 < regions[0][2]
    cover, thick = seals.ring_profile(seals.red_mask(img), (700, 440, 240, 240))
    assert cover > 0.9 and thick < seals.MAX_RING_THICKNESS


@pytest.mark.parametrize("seed", [128, 424])
def test_generated_bank_card_logo_and_name_are_no_seal(seed):
    """bank_card_clean seeds whose logo, or a glyph of the red bank name (行), were taken for
    seals: whitening cut the name (招商银 / 中国银)."""
    from extract import seals
    from samples.generate import generate

    s = generate("bank_card_clean", seed, 0)
    assert seals.seal_regions(s.image) == []


def test_generated_bank_card_reads_its_bank_name(pipeline):
    from samples.generate import generate

    s = generate("bank_card_clean", 128, 0)
    ok, buf = cv2.imencode(".png", s.image)
    res = pipeline.extract_bytes(buf.tobytes())
    truth = s.truth["documents"][0]["fields"]["bank"]["value"]
    docs = [d for d in res.documents if d.type == "bank_card"]
    assert docs and docs[0].fields["bank"].value == truth
