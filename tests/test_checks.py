"""Tests for extract.checks (ID numbers, divisions, ethnicity, repair, ID card checks).

All ID numbers are synthetic: built here from a division code, a birth date and a sequence,
with the check character computed by our own check_char. No real personal data.
"""

from __future__ import annotations

import datetime as dt

import pytest

from extract.checks import divisions as D
from extract.checks import ethnicity as E
from extract.checks.idcard import (
    ALL_CHECKS,
    FAILING_CHECKS,
    SOFT_CHECKS,
    check_authority,
    check_back,
    check_front,
    check_id_number,
    validity_terms_for_age,
)
from extract.checks.idnumber import check_char, validate
from extract.checks.repair import MAX_CANDIDATES, repair_id_number

TODAY = dt.date(2026, 6, 1)


def make_id(division: str, birth: str, seq: str = "123") -> str:
    first17 = division + birth + seq
    return first17 + check_char(first17)


def make_id_with_check(division: str, birth: str, check: str) -> str:
    """A synthetic number whose check character is ``check`` (searching the sequence)."""
    for n in range(1000):
        idn = make_id(division, birth, f"{n:03d}")
        if idn[-1] == check:
            return idn
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- check_char / validate


def test_check_char_gb11643_example():
    # the worked example of GB 11643-1999 (a specimen number, not a person)
    assert check_char("11010519491231002") == "X"


def test_check_char_rejects_bad_input():
    for bad in ("1101051949123100", "110105194912310021", "1101051949123100A", None):
        with pytest.raises(ValueError):
            check_char(bad)  # type: ignore[arg-type]


def test_check_char_all_residues():
    seen = {make_id("440305", "19800115", f"{n:03d}")[-1] for n in range(200)}
    assert seen == set("0123456789X")


def test_validate_id18_ok():
    idn = make_id("440305", "19800115", "123")
    v = validate(idn, today=TODAY)
    assert v.ok and v.kind == "id18" and v.length == 18 and v.checksum_ok
    assert v.birth_date == dt.date(1980, 1, 15) and v.birth_date_valid
    assert v.sex == "男"  # 3 is odd
    assert v.division == "440305"


def test_validate_sex_from_17th_digit():
    assert validate(make_id("440305", "19800115", "124"), today=TODAY).sex == "女"
    assert validate(make_id("440305", "19800115", "131"), today=TODAY).sex == "男"


def test_validate_x_check_digit_upper_and_lower():
    idn = make_id_with_check("320102", "19900507", "X")
    assert idn.endswith("X")
    assert validate(idn, today=TODAY).ok
    v = validate(idn[:-1] + "x", today=TODAY)
    assert v.ok and v.value == idn


def test_validate_spaces_and_fullwidth():
    idn = make_id("440305", "19800115")
    spaced = " ".join([idn[:6], idn[6:14], idn[14:]])
    assert validate(spaced, today=TODAY).ok
    full = "".join(chr(ord(c) + 0xFEE0) for c in idn)
    assert validate(full, today=TODAY).ok


def test_validate_checksum_failed():
    idn = make_id("440305", "19800115")
    wrong = idn[:-1] + ("0" if idn[-1] != "0" else "1")
    v = validate(wrong, today=TODAY)
    assert not v.ok and v.checksum_ok is False and v.kind == "id18"
    assert v.birth_date == dt.date(1980, 1, 15)


def test_validate_17_digits_reported_as_printed():
    idn17 = make_id("440305", "19800115")[:17]
    v = validate(idn17, today=TODAY)
    assert not v.ok and v.kind == "invalid" and v.length == 17
    assert v.checksum_ok is False and v.value == idn17  # never padded


def test_validate_impossible_birth_date():
    idn = make_id("110105", "19490230")
    v = validate(idn, today=TODAY)
    assert v.checksum_ok is True and not v.birth_date_valid and v.birth_date is None and not v.ok


def test_validate_future_birth_date():
    idn = make_id("110105", "20300101")
    assert not validate(idn, today=TODAY).birth_date_valid


def test_validate_15_digits():
    v = validate("440305800115123", today=TODAY)
    assert v.ok and v.kind == "id15" and v.length == 15
    assert v.checksum_ok is None
    assert v.birth_date == dt.date(1980, 1, 15)
    assert v.sex == "男" and v.division == "440305"
    assert validate("440305800115124", today=TODAY).sex == "女"
    bad = validate("440305800230123", today=TODAY)
    assert bad.kind == "id15" and not bad.ok and not bad.birth_date_valid


@pytest.mark.parametrize("division", ["810000", "820000", "830000"])
def test_validate_hmt_residence_permit(division):
    v = validate(make_id(division, "19850310", "456"), today=TODAY)
    assert v.ok and v.kind == "hmt_residence" and v.division == division and v.sex == "女"


@pytest.mark.parametrize("junk", [None, "", "abc", "4403051980011512", "44030519800115123X9", "44O305198001151238"])
def test_validate_junk_is_invalid(junk):
    v = validate(junk, today=TODAY)
    assert not v.ok and v.kind == "invalid"


# --------------------------------------------------------------------------- divisions


def test_lookup_county():
    p = D.lookup("440305")
    assert (p.province, p.city, p.county) == ("广东省", "深圳市", "南山区")
    assert (p.province_code, p.city_code, p.county_code) == ("440000", "440300", "440305")
    assert p.exact


def test_lookup_municipality_districts():
    p = D.lookup("110105")
    assert p.province == "北京市" and p.city is None and p.county == "朝阳区"
    assert p.is_municipality
    # the old 市辖区 placeholder code resolves to the municipality itself
    p = D.lookup("110100")
    assert p is not None and p.province == "北京市" and p.city is None and p.county is None


def test_lookup_city_level_codes():
    p = D.lookup("440300")  # county part 00
    assert (p.province, p.city, p.county) == ("广东省", "深圳市", None)
    p = D.lookup("441900")  # prefecture-level city without counties
    assert (p.province, p.city, p.county) == ("广东省", "东莞市", None)
    p = D.lookup("429004")  # county-level city directly under the province
    assert (p.province, p.city, p.county) == ("湖北省", None, "仙桃市")
    p = D.lookup("440000")
    assert (p.province, p.city, p.county) == ("广东省", None, None)


def test_lookup_unknown_and_malformed():
    assert D.lookup("370181") is None  # 章丘市, renumbered 370114 (章丘区)
    assert D.lookup("990101") is None
    assert D.lookup("12ab") is None
    assert D.lookup(None) is None  # type: ignore[arg-type]


def test_round_trip_dates_and_ids():
    import random

    rng = random.Random(1234)
    forms = ["{y}年{m}月{d}日", "{y} 年 {m} 月 {d} 日", "{y}.{m:02d}.{d:02d}", "{y}-{m}-{d}",
             "{y}/{m:02d}/{d:02d}", "{y}{m:02d}{d:02d}"]
    for _ in range(300):
        day = dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(45000))
        form = rng.choice(forms)
        text = form.format(y=day.year, m=day.month, d=day.day)
        from extract.normalize import normalize_date

        assert normalize_date(text) == day.isoformat(), text
        idn = make_id("440305", day.strftime("%Y%m%d"), f"{rng.randrange(1000):03d}")
        v = validate(idn, today=TODAY)
        assert v.ok and v.birth_date == day


def test_lookup_accepts_full_id_number():
    assert D.lookup(make_id("440305", "19800115")).county == "南山区"


def test_province_of_abolished_code_still_resolves():
    assert D.lookup("370181") is None
    assert D.province_of("370181") == "山东省"
    assert D.province_of("510221") == "四川省"  # an old Sichuan code
    p = D.resolve("370181")
    assert p is not None and not p.exact and p.province == "山东省" and p.county is None


def test_province_of_special_prefixes():
    assert D.province_of("810000") == "香港特别行政区"
    assert D.province_of("820000") == "澳门特别行政区"
    assert D.province_of("830000").startswith("台湾")
    assert D.province_of("990000") is None
    assert D.province_of("x") is None
    assert D.province_of(None) is None  # type: ignore[arg-type]


def test_indexes_are_cached():
    assert D._index() is D._index()
    D.lookup("440305")
    D.lookup("440305")
    assert D._lookup.cache_info().hits > 0


@pytest.mark.parametrize("junk", [None, 12, ["440305"], {}, "", "天河"])
def test_division_functions_never_raise(junk):
    assert D.lookup(junk) is None
    assert D.resolve(junk) is None
    D.province_of(junk)
    assert not D.parse_region(junk if isinstance(junk, str) else ["x"]).conflict
    assert D.match_address(junk, junk) in {"unknown_code", "unknown_address"}


@pytest.mark.parametrize(
    "code, address, expected",
    [
        ("440305", "广东省深圳市南山区粤海街道科技园路1号", "match"),
        ("440305", "广东深圳南山区科技园路1号", "match"),
        ("440305", "广东省深圳南山粤海街道", "match"),
        ("440305", "广东省深圳市福田区华强北路", "province_match"),
        ("440305", "广东省广州市天河区", "province_match"),
        ("440305", "湖南省长沙市岳麓区", "mismatch"),
        ("440305", "长沙市岳麓区麓山南路", "mismatch"),
        ("440300", "广东省深圳市南山区", "match"),
        ("441900", "广东省东莞市虎门镇", "match"),
        ("110105", "北京市朝阳区建国路88号", "match"),
        ("110105", "北京朝阳区建国路", "match"),
        ("110105", "北京市海淀区中关村", "province_match"),
        ("220104", "北京市朝阳区建国路88号", "mismatch"),
        ("220104", "吉林省长春市朝阳区", "match"),
        ("150102", "内蒙古呼和浩特市新城区", "match"),
        ("150102", "内蒙古自治区呼和浩特新城区", "match"),
        ("450103", "广西南宁市青秀区", "match"),
        ("450103", "广西壮族自治区南宁青秀", "match"),
        ("370181", "山东省济南市章丘区", "province_match"),  # abolished code
        ("370181", "河北省石家庄市", "mismatch"),
        ("990000", "广东省深圳市", "unknown_code"),
        ("440305", "某某路12号", "unknown_address"),
    ],
)
def test_match_address(code, address, expected):
    assert D.match_address(code, address) == expected


def test_parse_region_conflict_and_short_forms():
    r = D.parse_region("广东省杭州市西湖区")
    assert r.conflict
    r = D.parse_region("湖北省恩施州恩施市")
    assert not r.conflict and r.candidates[0].county.name == "恩施市"
    r = D.parse_region("住址：上海市浦东新区")
    assert r.candidates[0].county.name == "浦东新区"
    r = D.parse_region("朝阳区某某路")  # ambiguous without a province
    assert {c.province.name for c in r.candidates} >= {"北京市", "吉林省"}
    assert not D.parse_region("").candidates


# --------------------------------------------------------------------------- ethnicity


def test_ethnicity_groups():
    assert len(E.GROUPS) == 56
    for name in ("汉", "蒙古", "维吾尔", "土家", "柯尔克孜", "基诺"):
        assert E.is_known(name) and E.is_known(name + "族")
        assert E.canonical(name + "族") == name
    assert not E.is_known("汉人") and E.canonical("火星") is None


def test_ethnicity_historical_names():
    assert E.canonical("僮") == "壮" and E.canonical("僮族") == "壮"
    assert E.canonical("崩龙") == "德昂" and E.canonical("毛难族") == "毛南"
    assert E.is_historical("僮") and not E.is_historical("壮")
    assert E.is_known("僮") and not E.is_known("僮", historical=False)
    assert E.HISTORICAL["僮"] == ("壮", 1965)
    assert E.HISTORICAL["崩龙"] == ("德昂", 1985)
    assert E.HISTORICAL["毛难"] == ("毛南", 1986)


def test_ethnicity_other():
    assert E.is_other("穿青人") and not E.is_known("穿青人")


# --------------------------------------------------------------------------- repair

BASE = make_id("440305", "19800115", "123")


def test_repair_valid_input_unchanged():
    r = repair_id_number(BASE, today=TODAY)
    assert r.value == BASE and not r.repaired and r.reason == "valid"
    x = make_id_with_check("320102", "19900507", "X")
    r = repair_id_number(x[:-1] + "x", today=TODAY)
    assert r.value == x and not r.repaired


def test_repair_unique_confusable_accepted():
    pos0 = BASE.index("0")
    raw = BASE[:pos0] + "O" + BASE[pos0 + 1:]
    r = repair_id_number(raw, today=TODAY)
    assert r.repaired and r.value == BASE and r.candidates == [BASE]
    assert r.edits == [(pos0, "O", "0")]


@pytest.mark.parametrize("digit, letters", [("1", "Il|i丨"), ("5", "Ss"), ("8", "B"), ("2", "Zz")])
def test_repair_confusable_table(digit, letters):
    # digits 1, 5, 8 in the sequence; 2 in the birth year
    idn = make_id("440305", "19800115", "158") if digit in "158" else make_id("440305", "19820115", "123")
    pos = idn.index(digit, 14) if digit in "158" else idn.index(digit)
    for letter in letters:
        raw = idn[:pos] + letter + idn[pos + 1:]
        r = repair_id_number(raw, today=TODAY)
        assert r.repaired and r.value == idn, (letter, r)


def test_repair_unknown_junk_char_is_an_erasure():
    raw = BASE[:15] + "?" + BASE[16:]
    r = repair_id_number(raw, today=TODAY)
    assert r.repaired and r.value == BASE


def test_repair_x_only_in_last_position():
    raw = BASE[:15] + "X" + BASE[16:]  # X in the middle is junk: an erasure
    r = repair_id_number(raw, today=TODAY)
    assert r.repaired and r.value == BASE
    # an alternative "X" is never tried before the last position
    broken = BASE[:15] + ("7" if BASE[15] != "7" else "1") + BASE[16:]
    alts = [[("X", 0.9)] for _ in range(18)]
    r = repair_id_number(broken, alternatives=alts, today=TODAY)
    assert all("X" not in c[:17] for c in r.candidates)


def _second_fix(broken: str, avoid: int) -> tuple[int, str]:
    """A position and digit (in the sequence part) that also make ``broken`` valid."""
    for pos in (14, 15, 16):
        if pos == avoid:
            continue
        for d in "0123456789":
            cand = broken[:pos] + d + broken[pos + 1:]
            if d != broken[pos] and check_char(cand[:17]) == cand[17]:
                return pos, d
    raise AssertionError("no second fix")


def test_repair_alternatives_used_and_ambiguity_refused():
    wrong_digit = "7" if BASE[15] != "7" else "1"
    broken = BASE[:15] + wrong_digit + BASE[16:]
    assert not validate(broken, today=TODAY).ok

    # the recogniser offers the true digit at position 15: unique repair
    alts = [[] for _ in range(18)]
    alts[15] = [(wrong_digit, 0.6), (BASE[15], 0.3)]
    r = repair_id_number(broken, alternatives=alts, today=TODAY)
    assert r.repaired and r.value == BASE and r.edits == [(15, wrong_digit, BASE[15])]

    # a second alternative elsewhere that also satisfies the checksum: refuse
    pos2, d2 = _second_fix(broken, avoid=15)
    other = broken[:pos2] + d2 + broken[pos2 + 1:]
    alts[pos2] = [(broken[pos2], 0.7), (d2, 0.2)]
    r = repair_id_number(broken, alternatives=alts, today=TODAY)
    assert not r.repaired and r.reason == "ambiguous"
    assert r.value == broken
    assert sorted(r.candidates) == sorted([BASE, other])

    # the printed sex can break the tie when the candidates differ in the 17th digit's parity
    if pos2 == 16 and (int(d2) % 2) != (int(BASE[16]) % 2):
        r = repair_id_number(broken, alternatives=alts, printed_sex="男", today=TODAY)
        assert r.repaired and r.value == BASE


def test_repair_without_evidence_does_not_guess():
    broken = BASE[:15] + ("7" if BASE[15] != "7" else "1") + BASE[16:]
    r = repair_id_number(broken, today=TODAY)
    assert not r.repaired and r.value == broken and r.reason == "no_candidate"


def test_repair_two_erasures_ambiguous_then_printed_birth_date_decides():
    raw = BASE[:4] + "?" + BASE[5:8] + "?" + BASE[9:]
    r = repair_id_number(raw, today=TODAY)
    assert not r.repaired and r.reason == "ambiguous" and BASE in r.candidates and len(r.candidates) > 1
    r = repair_id_number(raw, printed_birth_date="1980年1月15日", today=TODAY)
    assert r.repaired and r.value == BASE


def test_repair_printed_birth_date_digits_are_candidates():
    broken = BASE[:8] + "6" + BASE[9:]  # 1960 instead of 1980
    r = repair_id_number(broken, printed_birth_date="1980-01-15", today=TODAY)
    assert r.repaired and r.value == BASE


def test_repair_rejects_candidate_disagreeing_with_printed_data():
    pos0 = BASE.index("0")
    raw = BASE[:pos0] + "O" + BASE[pos0 + 1:]
    r = repair_id_number(raw, printed_birth_date="1981-01-15", today=TODAY)
    assert not r.repaired
    r = repair_id_number(raw, printed_sex="女", today=TODAY)  # BASE is male
    assert not r.repaired


def test_repair_never_pads_17_digits():
    raw = BASE[:17]
    r = repair_id_number(raw, today=TODAY)
    assert not r.repaired and r.value == raw and r.reason == "length" and r.candidates == []
    r = repair_id_number(raw, alternatives=[[("0", 0.5)]] * 17, printed_birth_date="1980-01-15", today=TODAY)
    assert not r.repaired and r.value == raw


def test_repair_too_many_errors_and_bounded():
    raw = "4403O5I98OO115I238"
    r = repair_id_number(raw, today=TODAY)
    assert not r.repaired and r.reason == "too_many_errors"
    # alternatives everywhere: the search stays bounded and is decided or refused
    alts = [[(d, 0.1) for d in "0123456789"] for _ in range(18)]
    broken = BASE[:15] + ("7" if BASE[15] != "7" else "1") + BASE[16:]
    r = repair_id_number(broken, alternatives=alts, today=TODAY)
    assert not r.repaired and r.reason == "ambiguous"
    assert MAX_CANDIDATES <= 10000


def test_repair_alternatives_aligned_with_spaced_raw():
    pos0 = BASE.index("0")
    broken = BASE[:pos0] + "8" + BASE[pos0 + 1:]
    spaced = broken[:6] + " " + broken[6:]
    alts = [[] for _ in spaced]
    alts[pos0 if pos0 < 6 else pos0 + 1] = [("8", 0.5), ("0", 0.4)]
    r = repair_id_number(spaced, alternatives=alts, today=TODAY)
    assert r.repaired and r.value == BASE


def test_repair_junk_input():
    for junk in (None, "", "   ", 123):
        r = repair_id_number(junk, today=TODAY)
        assert not r.repaired


# --------------------------------------------------------------------------- id card front


def _front(**over):
    idn = make_id("440305", "19800115", "123")
    f = {
        "name": "测试",
        "sex": "男",
        "ethnicity": "汉",
        "birth_date": "1980年1月15日",
        "address": "广东省深圳市南山区科技园路1号",
        "id_number": idn,
    }
    f.update(over)
    return f


def test_front_all_ok():
    c = check_front(_front(), today=TODAY)
    assert c["id_number"] == ["checksum_ok", "region_matches_address"]
    assert c["birth_date"] == ["birth_date_matches_id"]
    assert c["sex"] == ["sex_matches_id"]
    assert c["ethnicity"] == ["ethnicity_known"]
    assert c["address"] == ["address_region_ok"]
    assert c["name"] == []
    assert not any(n in FAILING_CHECKS for names in c.values() for n in names)


def test_front_accepts_result_style_fields_and_skips_absent():
    f = {k: {"value": v, "confidence": 0.9} for k, v in _front().items()}
    f["address"] = {"value": None}
    c = check_front(f, today=TODAY)
    assert "address" not in c and c["id_number"] == ["checksum_ok"]


def test_front_mismatches():
    c = check_front(_front(sex="女", birth_date="1980年1月16日", address="湖南省长沙市岳麓区"), today=TODAY)
    assert c["sex"] == ["sex_mismatch_id"]
    assert c["birth_date"] == ["birth_date_mismatch_id"]
    assert c["id_number"] == ["checksum_ok", "region_mismatch_address"]
    assert "region_mismatch_address" in SOFT_CHECKS and "region_mismatch_address" not in FAILING_CHECKS


def test_front_region_province_only_and_unknown_code():
    c = check_front(_front(address="广东省广州市天河区"), today=TODAY)
    assert c["id_number"] == ["checksum_ok", "region_province_only"]
    idn = make_id("990101", "19800115")
    c = check_front(_front(id_number=idn), today=TODAY)
    assert c["id_number"] == ["checksum_ok", "region_code_unknown"]


def test_front_abolished_code():
    idn = make_id("370181", "19800115")
    c = check_front(_front(id_number=idn, address="山东省济南市章丘区"), today=TODAY)
    assert c["id_number"] == ["checksum_ok", "region_province_only"]


def test_front_checksum_and_length():
    idn = make_id("440305", "19800115")
    wrong = idn[:-1] + ("0" if idn[-1] != "0" else "1")
    c = check_front(_front(id_number=wrong), today=TODAY)
    assert "checksum_failed" in c["id_number"]
    c = check_front(_front(id_number=idn[:17]), today=TODAY)
    assert c["id_number"] == ["length_invalid"]
    c = check_front(_front(id_number="440305800115123"), today=TODAY)  # 15 digits on a card
    assert c["id_number"] == ["length_invalid"]
    c = check_front(_front(id_number="44O305198001151238"), today=TODAY)
    assert c["id_number"] == ["checksum_failed"]


def test_front_x_check_digit():
    idn = make_id_with_check("440305", "19800115", "X")
    seq_sex = "男" if int(idn[16]) % 2 else "女"
    c = check_front(_front(id_number=idn.lower(), sex=seq_sex), today=TODAY)
    assert c["id_number"][0] == "checksum_ok" and c["sex"] == ["sex_matches_id"]


def test_front_impossible_dates():
    idn = make_id("110105", "19490230")
    c = check_front(_front(id_number=idn, birth_date="1949年2月30日", address="北京市朝阳区"), today=TODAY)
    assert c["id_number"] == ["checksum_ok", "birth_date_invalid", "region_matches_address"]
    assert c["birth_date"] == ["date_invalid"]
    c = check_front(_front(birth_date="2030年1月1日"), today=TODAY)
    assert c["birth_date"] == ["date_invalid"]


def test_front_sex_and_ethnicity_values():
    c = check_front(_front(sex="?", ethnicity="僮"), today=TODAY)
    assert c["sex"] == ["sex_invalid"] and c["ethnicity"] == ["ethnicity_historical"]
    assert check_front(_front(ethnicity="蒙古族"), today=TODAY)["ethnicity"] == ["ethnicity_known"]
    assert check_front(_front(ethnicity="火星"), today=TODAY)["ethnicity"] == ["ethnicity_unknown"]
    assert check_front(_front(ethnicity="穿青人"), today=TODAY)["ethnicity"] == ["ethnicity_other"]


def test_front_address_conflict():
    c = check_front(_front(address="广东省杭州市西湖区"), today=TODAY)
    assert c["address"] == ["address_region_mismatch"]


def test_front_hmt_permit_has_no_region_check():
    idn = make_id("810000", "19850310", "457")
    c = check_front(_front(id_number=idn, birth_date="1985年3月10日"), today=TODAY)
    assert c["id_number"] == ["checksum_ok"]
    assert c["birth_date"] == ["birth_date_matches_id"]


def test_check_id_number_15_digits_allowed_elsewhere():
    assert check_id_number("440305800115123", address="广东省深圳市南山区", today=TODAY) == ["region_matches_address"]
    assert check_id_number("440305800230123", today=TODAY) == ["birth_date_invalid"]


# --------------------------------------------------------------------------- id card back

VF = dt.date(2015, 3, 12)


def _back(valid_to: str, valid_from: str = "2015.03.12", **kw):
    return check_back({"valid_from": valid_from, "valid_to": valid_to}, today=TODAY, **kw)


def _length(res) -> str:
    return [c for c in res["valid_to"] if c.startswith("validity_length")][0]


@pytest.mark.parametrize(
    "age, valid_to, expected",
    [
        (10, "2020.03.12", "validity_length_ok"),
        (10, "2025.03.12", "validity_length_mismatch"),
        (15, "2020.03.12", "validity_length_ok"),
        (15, "2025.03.12", "validity_length_ok"),  # slack: 16 next year
        (15, "2035.03.12", "validity_length_mismatch"),
        (16, "2025.03.12", "validity_length_ok"),
        (16, "2020.03.12", "validity_length_ok"),  # slack: 15 a year ago
        (17, "2020.03.12", "validity_length_mismatch"),
        (25, "2025.03.12", "validity_length_ok"),
        (25, "2035.03.12", "validity_length_ok"),  # slack
        (26, "2035.03.12", "validity_length_ok"),
        (26, "2025.03.12", "validity_length_ok"),  # slack
        (27, "2025.03.12", "validity_length_mismatch"),
        (45, "2035.03.12", "validity_length_ok"),
        (45, "长期", "validity_length_ok"),  # slack
        (44, "长期", "validity_length_mismatch"),
        (46, "长期", "validity_length_ok"),
        (46, "2035.03.12", "validity_length_ok"),  # slack
        (47, "2035.03.12", "validity_length_mismatch"),
        (70, "长期", "validity_length_ok"),
    ],
)
def test_validity_length_at_age_boundaries(age, valid_to, expected):
    birth = dt.date(VF.year - age, 1, 20)  # turned `age` in January, before VF
    assert _length(_back(valid_to, birth_date=birth)) == expected


def test_validity_age_from_id_number():
    idn = make_id("440305", "19800115")  # 35 at 2015-03-12 -> 20 years
    assert _length(_back("2035.03.12", id_number=idn)) == "validity_length_ok"
    assert _length(_back("长期", id_number=idn)) == "validity_length_mismatch"
    assert _length(_back("2035.03.12", birth_date="1980年1月15日")) == "validity_length_ok"


def test_validity_terms_for_age():
    assert validity_terms_for_age(15) == {5, 10}
    assert validity_terms_for_age(30) == {20}
    assert validity_terms_for_age(46) == {20, "长期"}
    assert validity_terms_for_age(46, slack=0) == {"长期"}


def test_validity_without_age():
    r = _back("2035.03.12")
    assert r["valid_from"] == ["validity_order_ok", "validity_length_ok"]
    assert r["valid_to"] == ["validity_order_ok", "validity_length_ok"]
    r = _back("2034.03.12")  # 19 years: no legal term
    assert "validity_length_mismatch" in r["valid_to"]
    r = _back("2035.03.13")  # day differs
    assert "validity_length_mismatch" in r["valid_to"]
    r = _back("长期")
    assert r["valid_to"] == ["validity_order_ok"]


def test_validity_order_failed_and_invalid_dates():
    r = _back("2005.03.12")
    assert "validity_order_failed" in r["valid_from"] and "validity_order_failed" in r["valid_to"]
    r = _back("2035.02.30")
    assert r["valid_to"] == ["date_invalid"]
    r = _back("2035.03.12", valid_from="2015.02.30")
    assert r["valid_from"] == ["date_invalid"]
    r = _back("不详")
    assert r["valid_to"] == ["date_invalid"]


def test_validity_leap_day():
    r = _back("2036.02.29", valid_from="2016.02.29")
    assert "validity_length_ok" in r["valid_to"]
    r = _back("2021.02.28", valid_from="2016.02.29")
    assert "validity_length_ok" in r["valid_to"]


def test_valid_from_in_future_allows_early_renewal():
    soon = TODAY + dt.timedelta(days=60)  # renewed card, starts when the old one expires
    r = _back(soon.replace(year=soon.year + 20).strftime("%Y.%m.%d"), valid_from=soon.strftime("%Y.%m.%d"))
    assert "valid_from_in_future" not in r["valid_from"]
    late = TODAY + dt.timedelta(days=400)
    r = _back(late.replace(year=late.year + 20).strftime("%Y.%m.%d"), valid_from=late.strftime("%Y.%m.%d"))
    assert "valid_from_in_future" in r["valid_from"]


def test_validity_expired_is_informational():
    r = _back("2020.03.12", valid_from="2010.03.12")
    assert "validity_expired" in r["valid_to"] and "validity_expired" not in FAILING_CHECKS


def test_back_combined_validity_field():
    r = check_back({"validity": "2015.03.12-2035.03.12"}, today=TODAY)
    assert r["valid_to"] == ["validity_order_ok", "validity_length_ok"] and "validity" not in r


def test_authority_region():
    idn = make_id("440305", "19800115")
    assert check_authority("深圳市公安局南山分局", id_number=idn, today=TODAY) == ["authority_region_ok"]
    assert check_authority("广州市公安局天河分局", id_number=idn, today=TODAY) == ["authority_region_ok"]
    assert check_authority("杭州市公安局西湖分局", id_number=idn, today=TODAY) == ["authority_region_mismatch"]
    assert check_authority("长沙县公安局", id_number=idn, today=TODAY) == ["authority_region_mismatch"]
    assert check_authority("长沙县公安局", id_number=idn, address="湖南省长沙市长沙县", today=TODAY) == [
        "authority_region_ok"
    ]
    assert check_authority("公安局", id_number=idn, today=TODAY) == ["authority_region_unknown"]
    assert check_authority("北京市公安局朝阳分局", id_number=make_id("110105", "19800115"), today=TODAY) == [
        "authority_region_ok"
    ]
    idn_old = make_id("370181", "19800115")  # abolished code: province still known
    assert check_authority("济南市公安局章丘分局", id_number=idn_old, today=TODAY) == ["authority_region_ok"]
    assert check_authority("深圳市公安局南山分局", today=TODAY) == []  # nothing to compare with


def test_back_authority_via_check_back():
    idn = make_id("440305", "19800115")
    r = check_back({"issuing_authority": "深圳市公安局南山分局", "valid_from": "2015.03.12", "valid_to": "2035.03.12"},
                   id_number=idn, today=TODAY)
    assert r["issuing_authority"] == ["authority_region_ok"]
    r = check_back({"issuing_authority": "深圳市公安局南山分局"}, today=TODAY)
    assert r["issuing_authority"] == []


# --------------------------------------------------------------------------- vocabulary


def test_every_emitted_check_is_in_the_vocabulary():
    emitted = set()
    for f in (_front(), _front(sex="女", address="湖南省长沙市"), _front(id_number="123"),
              _front(ethnicity="僮", address="广东省杭州市")):
        for names in check_front(f, today=TODAY).values():
            emitted |= set(names)
    for vt in ("2035.03.12", "长期", "2005.03.12", "bad"):
        for names in _back(vt, birth_date="1980-01-15").values():
            emitted |= set(names)
    assert emitted <= ALL_CHECKS
    assert FAILING_CHECKS <= ALL_CHECKS and SOFT_CHECKS <= ALL_CHECKS
    assert not FAILING_CHECKS & SOFT_CHECKS
    assert {"checksum_failed", "length_invalid", "birth_date_invalid", "birth_date_mismatch_id",
            "sex_mismatch_id", "validity_order_failed", "validity_length_mismatch",
            "valid_from_in_future", "date_invalid"} <= FAILING_CHECKS
    assert not {"checksum_ok", "region_matches_address", "ethnicity_known", "ethnicity_historical",
                "validity_length_ok", "authority_region_ok"} & FAILING_CHECKS


def test_authority_named_after_gongan_county():
    idn = make_id("421022", "19800115")  # 公安县, 湖北省荆州市
    assert check_authority("公安县公安局", id_number=idn, today=TODAY) == ["authority_region_ok"]
