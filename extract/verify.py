"""Checks stage: run a document type's checks, repair what the checks can repair uniquely,
give every field a calibrated confidence, and decide `needs_review`.

The checks for each document type are registered by the name its declaration gives in
`checks:`; a checker receives the extracted fields and adds check names to them (and may
repair values, keeping the printed text in `raw`).
"""
from __future__ import annotations

import re
from typing import Callable

from extract.confidence import evidence_score, field_confidence, value_kind
from extract.fields.base import ExtractedField
from schemas.doctypes import DocType
from schemas.result import DocumentResult, FieldResult

Checker = Callable[[dict[str, ExtractedField]], None]

# checks of any document type that mean "look at this" (on top of the checkers' own sets)
GENERIC_FAILING_CHECKS = frozenset({
    "traditional_chars", "value_may_be_incomplete", "pattern_mismatch", "repair_ambiguous",
    "place_unrecognised", "division_name_unknown", "name_length_unusual", "place_not_at_start",
    "address_ends_in_digit", "address_unfinished", "township_unknown", "repeated_character", "stray_mark",
    "pages_disagree",  # a document over several pages read two values of one field (extract/merge.py)
    "watermark_words",
    "option_list_incomplete",  # a choice among a list some of whose options were not read (extract/choices.py)
    "county_missing", "house_number_missing",  # an address with a part of its structure lost
    "place_prefix_missing",  # a place that begins below its province (extract/checks/divisions.py)
    "speck_in_number",  # 五组7.7号: a speck of toner, or a digit lost beside one?
    "branch_name_misread",  # 西安市公安局鄂邑分局: one character from the city's 鄠邑区
    "time_invalid",  # a date printed with a time no clock shows (2025/01/1615:75): its digits misread
    "division_name_misread",  # 凉山律族自治州中心医院: a division's full name read one character off
    "label_word_in_value",  # 建议专人陪护: the advice's first word, or its label with the colon lost? (schemas: opens_value)
    "digit_from_check_digit",  # a boxed digit the detector lost, the one the check character allows (extract/fields/rules.py)
})
# an address ending in a Chinese numeral after a village or a group (…河堡村十: 十组119号 lost)
_NUMERAL_END = re.compile(r"[村组队社区庄屯][一二三四五六七八九十]+$")
# how an address ends: a house or room number, a building, a group, a village, an estate
_FINAL = re.compile(r"[号室户组社队村屯庄楼栋幢座层元院舍寨堡场厂站所园苑居宅营里湾沟坪岭峪圩垸]$|[A-Za-z]$")
# a dot between two Han characters of an address, or between one and a number (村民组·4号)
_SPECK_IN_WORDS = re.compile(r"[\u4e00-\u9fff][.·•・∙`˙'][0-9\u4e00-\u9fff]|[0-9][.·•・∙`˙'][\u4e00-\u9fff]")
# a mark between two digits of an address's number (no address has a decimal point)
_SPECK_IN_NUMBER = re.compile(r"[0-9][.·,:;`•˙'][0-9]")
# words of the notes written or printed across copies (仅供办理…使用, 复印无效, 与原件一致, 再复印无效):
# in an address or an authority they are a watermark read into the value
WATERMARK_WORDS = re.compile(r"使用|复印|无效|仅供|原件|一致|办理")
# the characters of those notes (此复印件仅供社保业务使用, 再复印无效, 与原件一致): their pieces read
# after a value (汉此) or into a table's cells (业26, a row 供社保业 | 务)
COPY_NOTE_CHARS = frozenset("此复印件仅供社保业务办理使用无效与原一致再")
_STRAY_END = re.compile(r"^[^\w\u4e00-\u9fff(（]|[^\w\u4e00-\u9fff)）]$")
# a unit character read twice (3号号, 8组组); 营市街街道 is a real name, so not 街
_DOUBLED = re.compile(r"([号室栋幢楼组村镇乡县市区省路巷弄])\1")


def failing_checks() -> frozenset[str]:
    from extract.checks.documents import FAILING_CHECKS

    return FAILING_CHECKS | GENERIC_FAILING_CHECKS
_CHECKERS: dict[str, Checker] = {}


def register_checker(name: str):
    def deco(fn: Checker) -> Checker:
        _CHECKERS[name] = fn
        return fn

    return deco


def _load_checkers() -> None:
    if not _CHECKERS:
        from extract.checks import documents  # noqa: F401  (registers the checkers)


_DIVISION_TOKEN = re.compile(r"[\u4e00-\u9fff]{1,4}?(?:区|县|市|旗)")


def _place_at_start(text: str, cand) -> bool:
    for d in (cand.province, cand.city, cand.county):
        if d is not None and (text.startswith(d.name) or text.startswith(d.name[:2])):
            return True
    return False


# …区 words that are no division (三江社区卫生服务中心, 某某园区)
_NOT_A_DIVISION = re.compile(r"(?:社|小|园|景|矿|林|校|院|病|城|新)区$")


def _unknown_division_after(text: str, cand) -> bool:
    """The address names a county-level division (…区/县/市/旗) right after the deepest one
    recognised, and the official list has no such division there: a misread name."""
    if cand.county is not None:
        return False
    name = cand.deepest.name
    end = -1
    for k in range(len(name), 1, -1):  # 西安市, then 西安
        pos = text.find(name[:k])
        if pos >= 0:
            end = pos + k
            break
    if end < 0:
        return False
    rest = text[end:].lstrip("市省")
    m = _DIVISION_TOKEN.match(rest)
    return bool(m) and not _NOT_A_DIVISION.search(m.group())  # (安庆矿区卫生院: a mine's district)


# 号 (a house or building number) right after a character that is no numeral or letter
# (where 号 ends the address or a building, unit or room follows: in 银号镇 it is part of a name)
_NO_NUMBER = re.compile(r"(?<![0-9A-Za-z〇零一二三四五六七八九十百千甲乙丙丁之\-－—])号(?=$|[0-9楼院门室幢栋单附之（(])")


# fields holding the name of a hospital or another institution: many begin with the name of
# their city or prefecture (凉山彝族自治州中心医院)
INSTITUTION_FIELDS = frozenset({"hospital", "institution"})


# a name that begins with what reads as a division's (…县, …市, …区, …旗)
_LEADING_DIVISION = re.compile(r"[\u4e00-\u9fff]{2,5}?(?:县|市|区|旗)(?![乡镇街村])")


def _division_in_name(f: ExtractedField) -> None:
    """The division names an institution's name begins with, against the official list:

    - a short form and then the rest of the full name one character off (凉山律族自治州…): the
      official name is put in (`division_name_misread`);
    - a county-level name after the city that the city has not (秦皇岛市北载河区…), or a
      leading county or city the list has not at all (喝尔县医院): `division_name_unknown`;
    - a township the county has not (临澧县余市桥镇卫生院): `township_unknown`, and where one
      of the county's townships is one character away, that one is put in (`place_repaired`).

    Each is a proposal a reviewer confirms (the checks fail)."""
    from extract.checks.divisions import misread_full_name, parse_region, repair_township, township_status
    from extract.checks.documents import _replace_value

    def propose(value: str, reason: str) -> None:
        edits = [[k, a, b] for k, (a, b) in enumerate(zip(f.value, value)) if a != b] if len(value) == len(f.value) else []
        _replace_value(f, value, reason, edits)

    hit = misread_full_name(f.value)
    if hit is not None:
        read, official = hit
        i = f.value.find(read)
        f.checks.append("division_name_misread")
        if i >= 0:  # (read through punctuation the parse drops: flagged, not repaired)
            propose(f.value[:i] + official + f.value[i + len(read):], "division_name_misread")
        return
    rp = parse_region(f.value)
    if not rp.candidates and (m := _LEADING_DIVISION.match(f.value)) and not _NOT_A_DIVISION.search(m.group()):
        # 喝尔县医院: a county's name the list has not (噶尔县 misread)
        f.checks.append("division_name_unknown")
    elif rp.candidates and _unknown_division_after(f.value, rp.candidates[0]):
        f.checks.append("division_name_unknown")
    elif rp.candidates and rp.candidates[0].deepest.name in rp.text[: rp.end] and township_status(f.value) == "unknown":
        # (after a county named in full: 太平彝族苗族乡卫生院 names its township alone, and 太平
        # is no county's short form there)
        f.checks.append("township_unknown")
        if (full := repair_township(f.value)) is not None:
            propose(full, "place_repaired")


def _generic_checks(dt: DocType, fields: dict[str, ExtractedField]) -> None:
    """Checks that apply to a value type in every document type."""
    from extract.fields.values import simplified_place, to_simplified

    for name, f in fields.items():
        spec = dt.fields.get(name)
        if spec is None or not isinstance(f.value, str):
            continue
        if spec.type == "address" or name in ("issuing_authority", "birthplace"):
            # addresses and authorities begin with a place name: a value that starts with none
            # has probably lost its beginning (or is not what it seems)
            from extract.checks.divisions import parse_region

            rp = parse_region(f.value)
            f.checks.append("place_recognised" if rp.candidates else "place_unrecognised")
            if rp.candidates and _unknown_division_after(f.value, rp.candidates[0]):
                f.checks.append("division_name_unknown")
            if rp.candidates and not _place_at_start(f.value, rp.candidates[0]):
                f.checks.append("place_not_at_start")  # something (a label's remnant?) precedes it
            if spec.type == "address" and (f.value[-1:].isdigit() or _NUMERAL_END.search(f.value)):
                f.checks.append("address_ends_in_digit")  # 27幢1593 -> 1593号 lost its last character?
            elif spec.type == "address" and rp.candidates and rp.end < len(rp.text) and not _FINAL.search(f.value):
                # …文昌大道街道青阳南: an address ends in a house, a room, a group or a village;
                # one ending inside a name has lost its last line
                f.checks.append("address_unfinished")
            elif spec.type == "address" and rp.candidates and rp.end >= len(rp.text) and (
                    name == "address" or f.value[-1] not in "省市区县旗州盟"):
                # 新疆维吾尔自治区吐鲁番: nothing after the division names (a residence address
                # goes down to a street or a village), or the last name cut short
                f.checks.append("address_unfinished")
            if spec.type == "address":
                from extract.checks.divisions import township_status

                ts = township_status(f.value)
                if ts is not None:  # the official township list of the county (MCA level 4)
                    f.checks.append(f"township_{ts}")
                if _DOUBLED.search(f.value):
                    f.checks.append("repeated_character")  # 3号号: a character read twice at a seam?
                from extract.checks.divisions import county_missing, prefix_missing

                if county_missing(f.value):
                    f.checks.append("county_missing")  # 成都市街道…: the district lost in the reading?
                if prefix_missing(f.value, county_only=True):
                    # 土默特左旗塔布赛乡…: an address may begin at the city, hardly at the county
                    f.checks.append("place_prefix_missing")
                if _NO_NUMBER.search(f.value):
                    f.checks.append("house_number_missing")  # 金大街号: the number before 号 lost?
                if _SPECK_IN_NUMBER.search(f.value):
                    f.checks.append("speck_in_number")
                if _SPECK_IN_WORDS.search(f.value):
                    # 郝北·镇: a speck of toner, or an estate's middle dot (碧桂园·凤凰城)? a reviewer sees
                    f.checks.append("stray_mark")
        if name in INSTITUTION_FIELDS:
            _division_in_name(f)
        if name == "issuing_authority":
            from extract.checks.divisions import branch_misread

            if branch_misread(f.value):
                f.checks.append("branch_name_misread")
        if spec.type == "address" or name in ("issuing_authority", "birthplace"):
            if _STRAY_END.search(f.value):
                f.checks.append("stray_mark")  # a dot or dash of noise at either end
            if WATERMARK_WORDS.search(f.value):
                f.checks.append("watermark_words")
        if spec.type == "name" and (len(f.value) < 2 or (len(f.value) >= 5 and "·" not in f.value)):
            f.checks.append("name_length_unusual")  # Han names have 2-4 characters
        if spec.type == "address" and f.raw and simplified_place(f.raw) != f.raw:
            f.checks.append("traditional_chars")  # read in traditional forms: simplified, for review
        if spec.type == "name" and to_simplified(f.value) != f.value:
            # mainland documents print simplified names; a traditional character is more
            # often a misreading than the printed form: a reviewer decides
            f.checks.append("traditional_chars")
        if spec.pattern and spec.type not in ("id_number",) and not re.fullmatch(spec.pattern, f.value):
            f.checks.append("pattern_mismatch")


def _complete_birth_date(fields: dict[str, ExtractedField]) -> None:
    """An ID card's birth date read incompletely (``1967年8月``: the day lost to a stain) that
    agrees with the date of a number that checks out: the number's date, as a value derived
    from it (as sure as the number), the printed text kept in `raw`."""
    from extract.checks.idcard import birth_date_completed

    bd, idf = fields.get("birth_date"), fields.get("id_number")
    if bd is None or idf is None or "checksum_ok" not in idf.checks or bd.source == "derived":
        return
    full = birth_date_completed(bd.value, idf.value)
    if full is None:
        return
    idconf = field_confidence("id_card_front", "id_number", idf)
    bd.notes["completed"] = {"from": bd.value, "reason": "completed_from_id_number"}
    bd.value = full
    bd.source = "derived"
    bd.confidence = idconf
    bd.checks = [c for c in bd.checks if c != "date_invalid"] + ["completed_from_id_number", "birth_date_matches_id"]


# a document most of whose fields are unread or unsure: the recogniser struggled with the
# page, and the few values it read surely are no surer than this (a 6 read as 8 with 0.92 on a
# page where nine of eleven fields were lost). A value a check digit verifies keeps its own only
# when something else confirms it too: a check digit catches every single misread digit but
# passes one double misreading in ten or eleven, and on such a page two digits go wrong at once
# (dev seed 870 household_register_photo #1: 370982…146916 read 370082…142916, checksum_ok, 0.998)
HARD_PAGE_SHARE = 0.5
HARD_PAGE_MIN = 3
HARD_PAGE_CAP = 0.85
_VERIFIED = {"checksum_ok", "luhn_ok"}
_CONFIRMED = {"region_matches_address", "certificate_matches_id"}


def _confirmed(name: str, fields: dict[str, ExtractedField]) -> bool:
    """A value a check digit verifies and something independent confirms: its division code
    is the address's county, the certificate number holds it, or (an ID number) the printed
    birth date, read on its own, is the one it encodes."""
    f = fields[name]
    if not _VERIFIED & set(f.checks):
        return False
    if _CONFIRMED & set(f.checks):
        return True
    return name == "id_number" and any(
        "birth_date_matches_id" in g.checks and g.source != "derived" for g in fields.values())


def _hard_page_cap(dt: DocType, fields: dict[str, ExtractedField], threshold: float, small_print: bool = False) -> None:
    """Cap the confidences of a hard-to-read document's fields (see :data:`HARD_PAGE_CAP`):
    at least half of its fields found below the review threshold or required and missing,
    three at least; or its print too small to read surely (`small_print`: the page's text
    lines under ~9 px high, where the recogniser misreads digits with 0.99: dev seed 905 lab
    #2's record number 22676935 read 22678905). The capped fields are marked `page_hard_to_read`."""
    found = [f for f in fields.values() if f.source != "derived"]
    unsure = sum(1 for f in found if f.confidence < threshold)
    missing = sum(1 for n, spec in dt.fields.items() if spec.required and n not in fields)
    trouble = unsure + missing
    if not small_print and (trouble < HARD_PAGE_MIN or trouble < HARD_PAGE_SHARE * (len(found) + missing)):
        return
    for name, f in fields.items():
        if f.confidence > HARD_PAGE_CAP and not _confirmed(name, fields):
            f.confidence = HARD_PAGE_CAP
            f.checks.append("page_hard_to_read")


def finalize_document(
    doc: DocumentResult,
    dt: DocType,
    fields: dict[str, ExtractedField],
    page_no: int,
    to_page_bbox: Callable[[list[float]], list[float]],
    threshold: float,
    debug: bool = False,
) -> None:
    _load_checkers()
    if dt.checks and dt.checks in _CHECKERS:
        _CHECKERS[dt.checks](fields)
    if dt.checks == "id_card_front":
        _complete_birth_date(fields)
    _generic_checks(dt, fields)
    FAILING_CHECKS = failing_checks()
    for f_name, f in fields.items():
        f.confidence = field_confidence(dt.type, f_name, f)
    # (a card prints small by nature: its own checks weigh its values)
    _hard_page_cap(dt, fields, threshold, small_print=dt.layout == "page" and "too_small" in doc.warnings)
    for name, f in fields.items():
        doc.fields[name] = FieldResult(
            value=f.value,
            confidence=round(f.confidence, 4),
            bbox=to_page_bbox(f.bbox) if f.bbox else None,
            page=page_no,
            raw=f.raw,
            checks=list(dict.fromkeys(f.checks)),
            source=f.source,
            **({"repair": f.notes["repair"]} if "repair" in f.notes else {}),
            **({"score": round(evidence_score(f), 5), "kind": value_kind(dt.type, name)} if debug and f.source != "derived" else {}),
        )
    # the unrounded confidences decide, as the field values were computed
    set_review(doc, dt, threshold, FAILING_CHECKS, {name: f.confidence for name, f in fields.items()})


def set_review(doc: DocumentResult, dt: DocType, threshold: float, failing: frozenset[str],
               confidences: dict[str, float] | None = None) -> None:
    """`needs_review` and `review_reasons` from a document's fields: a failing check, a field
    below the threshold, a required field missing, or an unsure document type."""
    reasons: list[str] = []
    for name, f in doc.fields.items():
        bad = [c for c in f.checks if c in failing]
        conf = confidences[name] if confidences and name in confidences else f.confidence
        if bad:
            reasons.append(f"{name}: {', '.join(dict.fromkeys(bad))}")
        elif conf < threshold:
            reasons.append(f"{name}: confidence {conf:.2f} below {threshold}")
    for req in dt.required_fields():
        if req not in doc.fields:
            reasons.append(f"{req}: missing")
    if doc.confidence < threshold:
        reasons.append(f"document type confidence {doc.confidence:.2f} below {threshold}")
    doc.needs_review = bool(reasons)
    doc.review_reasons = reasons  # type: ignore[attr-defined]


def link_documents(docs: list[DocumentResult], threshold: float) -> None:
    """Checks across documents of one file: an ID card's back against its front (the
    holder's age at issue fixes the validity term; the authority's region)."""
    from extract.checks.documents import link_id_card_sides

    fronts = [d for d in docs if d.type == "id_card_front"]
    backs = [d for d in docs if d.type == "id_card_back"]
    if len(fronts) != 1 or len(backs) != 1:
        return  # several people's cards: no safe pairing
    front = {k: f.value for k, f in fronts[0].fields.items()}
    back = backs[0]
    failing = failing_checks()
    added = link_id_card_sides(front, {k: f.value for k, f in back.fields.items()})
    for name, names in added.items():
        f = back.fields.get(name)
        if f is None:
            continue
        new = [c for c in names if c not in f.checks]
        f.checks.extend(new)
        bad = [c for c in new if c in failing]
        if bad:
            f.confidence = min(f.confidence, 0.5)
            back.needs_review = True
            reasons = getattr(back, "review_reasons", None) or []
            reasons.append(f"{name}: {', '.join(bad)} (against the front)")
            back.review_reasons = reasons  # type: ignore[attr-defined]
