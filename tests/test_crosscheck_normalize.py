"""Normal forms and value comparison used by the golden-record cross-check."""
import pytest

from crosscheck.address import compare_addresses, parse_address
from crosscheck.check import compare_value
from crosscheck.confusables import explain_edit
from crosscheck.normalize import norm_date, norm_ethnicity, norm_id, norm_name
from matex.privacy import mask_id, mask_name, redact


@pytest.mark.parametrize("printed", [
    "1949-12-31", "1949年12月31日", "1949 年 12 月 31 日", "1949.12.31", "1949/12/31", "19491231",
    "１９４９年１２月３１日", "一九四九年十二月三十一日",
])
def test_date_forms(printed):
    assert norm_date(printed) == "1949-12-31"
    assert compare_value("date", printed, "1949-12-31")["status"] == "match"


def test_year_month_and_bad_dates():
    assert norm_date("2001年10月") == "2001-10"
    assert compare_value("date", "1949-12-30", "1949-12-31")["status"] == "mismatch"


def test_traditional_name_and_spaces():
    assert norm_name("張 偉") == "张伟"
    r = compare_value("name", "劉德華", "刘德华")
    assert r["status"] == "match" and r["exact"]
    assert compare_value("name", "阿依古丽•买买提", "阿依古丽·买买提")["status"] == "match"
    assert compare_value("name", "刘德化", "刘德华")["status"] == "mismatch"


def test_former_name_matches_but_not_exact():
    r = compare_value("name", "王小花", "王芳", former_names=["王小花"])
    assert r["status"] == "match" and not r["exact"]


def test_full_width_id_and_15_digit_upgrade():
    assert norm_id("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"
    assert norm_id("110105 19491231 002x") == "11010519491231002X"
    from crosscheck.normalize import id_checksum_ok
    from crosscheck.synth import make_id
    good = make_id("110105", "1949-12-31", 2)
    full = "".join(chr(ord(c) + 0xFEE0) for c in good)
    assert norm_id(full) == good and not id_checksum_ok(full)
    # a 15-digit number is compared in its 18-character form
    assert compare_value("id", "110105491231002", "11010519491231002X")["status"] == "match"


def test_ethnicity_and_disability_forms():
    assert norm_ethnicity("蒙古族") == "蒙古"
    assert compare_value("ethnicity", "僮族", "壮")["status"] == "match"  # historical name
    assert compare_value("disability_level", "贰级", "二级")["status"] == "match"
    assert compare_value("disability_category", "肢体", "肢体残疾")["status"] == "match"
    assert compare_value("disability_level", "三级", "二级")["status"] == "mismatch"
    assert compare_value("sex", "男性", "男")["status"] == "match"


def test_missing_on_either_side():
    assert compare_value("name", None, "张三")["status"] == "missing"
    assert compare_value("date", "2020-01-01", None)["status"] == "missing"


def test_address_levels():
    full = "北京市朝阳区建国路1号"
    assert parse_address(full).county.code == "110105"
    # province left out: resolved with the golden side as a hint
    assert compare_addresses("朝阳区建国路1号", full).status == "match"
    # traditional script, full-width digits
    assert compare_addresses("廣東省廣州市天河區天河路１００號", "广东省广州市天河区天河路100号").exact
    # short forms of province and autonomous prefecture
    assert compare_addresses("延边州延吉市河南街1号", "吉林省延边朝鲜族自治州延吉市河南街1号").status == "match"
    assert compare_addresses("广西南宁市青秀区民族大道1号", "广西壮族自治区南宁市青秀区民族大道1号").status == "match"
    # division names are matched before t2s, which turns 乾縣 into 干县 (the county is 乾县)
    assert compare_addresses("陝西省咸陽市乾縣光明路7號", "陕西省咸阳市乾县光明路7号").status == "match"
    # 吉林 is a province's short form and the start of 吉林市: the reading with more levels wins
    assert compare_addresses("吉林市昌邑区朝阳路116号", "吉林省吉林市昌邑区朝阳路116号").status == "match"
    assert parse_address("云南大理州大理市人民路1号").county.name == "大理市"
    # a short form that starts a longer name is not taken (朝阳 of 朝阳区, 南京 of 南京路)
    assert parse_address("南京路1号").province is None
    # a different county is a mismatch whatever the street says
    c = compare_addresses("广东省广州市越秀区天河路100号", "广东省广州市天河区天河路100号")
    assert c.status == "mismatch" and c.levels["county"] == "mismatch"
    # same name, another province (朝阳区 of 长春 vs 北京)
    assert compare_addresses("吉林省长春市朝阳区建国路1号", full).status == "mismatch"
    # the rest fuzzy: a small slip matches, another street does not
    assert compare_addresses("北京市朝阳区建国路1号院", "北京市朝阳区建国路1号").status == "match"
    assert compare_addresses("北京市朝阳区中山大道88号", full).status == "mismatch"


def test_confusable_edits():
    assert explain_edit("张己", "张已")  # shapes
    assert "pinyin" in explain_edit("章伟", "张伟")[0]
    assert explain_edit("张伟", "李强") is None
    assert explain_edit("11010519491231002X", "110105194912310O2X".replace("O", "0")) is None  # equal
    # a single digit, explained by the check character only
    from crosscheck.normalize import id_checksum_ok
    from crosscheck.synth import make_id
    good = make_id("110105", "1949-12-31", 2)
    assert id_checksum_ok(good)
    bad = good[:14] + "4" + good[15:]  # 0 -> 4: not a confusable shape
    assert not id_checksum_ok(bad)
    assert explain_edit(bad, good) is None
    ev = explain_edit(bad, good, checksum=id_checksum_ok)
    assert ev and "check character" in ev[0]
    # two substitutions in a short value: not a small edit
    assert explain_edit("章己", "张已") is None


def test_privacy_masks():
    assert mask_id("110105194912310021") == "110105********0021"
    assert mask_name("张三") == "张*"
    assert "194912" not in redact("person 110105194912310021 not found")


def test_logs_are_masked(caplog):
    import logging

    import crosscheck  # noqa: F401  (installs the filters)
    from crosscheck.synth import make_id

    idn = make_id("110105", "1949-12-31", 2)
    with caplog.at_level(logging.INFO, logger="crosscheck.check"):
        logging.getLogger("crosscheck.check").info("looked up %s", idn)
    assert idn not in caplog.text and "110105********" in caplog.text


def test_checksum_agrees_with_extract_checks():
    from crosscheck.normalize import id_checksum_ok
    from crosscheck.synth import generate_people

    check_char = pytest.importorskip("extract.checks.idnumber").check_char
    for idn in generate_people(300, seed=11).cols["id_number"]:
        idn = str(idn)
        assert id_checksum_ok(idn) and check_char(idn[:17]) == idn[17]
        wrong = idn[:17] + ("0" if idn[17] != "0" else "1")
        assert not id_checksum_ok(wrong)
