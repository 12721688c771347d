"""Checkers per document type: glue between the extracted fields and the check functions.

A checker is registered under the name a document type's declaration gives in `checks:`.
It adds check names to fields and may repair a value when the checks make the repair unique
(the printed text stays in `raw`, the repair is recorded in `notes["repair"]`).
"""
from __future__ import annotations

import datetime as _dt
import re

from extract.checks import divisions, ethnicity, idcard, records
from extract.checks.idnumber import validate
from extract.checks.repair import is_speck, repair_id_number
from extract.fields.base import ExtractedField
from extract.verify import COPY_NOTE_CHARS as _NOTE_CHARS, register_checker

# every check name that means "something is wrong": needs_review, confidence capped
FAILING_CHECKS: frozenset[str] = (
    frozenset(idcard.FAILING_CHECKS)
    | frozenset(records.FAILING_CHECKS)
    | frozenset({"repair_ambiguous", "luhn_failed", "certificate_mismatch_id", "pattern_mismatch"})
    | frozenset({"place_prefix_missing", "place_prefix_restored", "place_repaired", "place_name_cut",
                 "place_name_completed", "ethnicity_repaired",
                 "relationship_repaired", "validity_completed", "found_without_label", "readings_differ",
                 "validity_dates_run_together", "validity_date_digit_lost"})
)
SOFT_CHECKS: frozenset[str] = frozenset(idcard.SOFT_CHECKS)


def _values(fields: dict[str, ExtractedField]) -> dict[str, object]:
    return {k: f.value for k, f in fields.items() if f.value is not None}


def _apply(fields: dict[str, ExtractedField], checks: dict[str, list[str]]) -> None:
    for name, names in checks.items():
        if name in fields:
            fields[name].checks.extend(c for c in names if c not in fields[name].checks)


def repair_id_field(f: ExtractedField, printed_birth_date=None, printed_sex=None) -> None:
    """Repair a misread ID number in place when exactly one valid reading exists."""
    if f.value is None or validate(f.value).ok:
        return
    raw = f.raw
    if re.search(r"[|丨｜]", raw or "") and not re.search(r"[|丨｜]", str(f.value)):
        raw = str(f.value)  # digits in boxes: the box sides (read as |, not 1) were taken out
    rep = repair_id_number(raw, alternatives=f.alts, printed_birth_date=printed_birth_date, printed_sex=printed_sex)
    if rep.repaired:
        f.notes["repair"] = {"from": f.value, "edits": [list(e) for e in rep.edits], "reason": rep.reason}
        f.value = rep.value
        f.checks.append("repaired")
        # a repaired character is only as sure as the evidence for it: the checksum
        confs = list(f.char_confs)
        for pos, _, _ in rep.edits:
            if 0 <= pos < len(confs):
                confs[pos] = min(confs[pos], 0.9)
        f.char_confs = confs
    elif len(rep.candidates) > 1:
        f.checks.append("repair_ambiguous")
        f.notes["repair_candidates"] = rep.candidates


# ------------------------------------------------------------------ place values
def _id_code(fields: dict[str, ExtractedField], id_field: str = "id_number") -> str | None:
    """The division code of a structurally valid ID number on the same page, else None."""
    f = fields.get(id_field)
    if f is None or not isinstance(f.value, str) or not validate(f.value).ok:
        return None
    return f.value[:6]


def _replace_value(f: ExtractedField, value: str, check: str, edits: list[list] | None = None) -> None:
    prev = f.notes.get("repair")
    if prev and prev.get("reason") == check:
        # a second repair of the same kind: the value as read stays its origin
        f.notes["repair"] = {"from": prev["from"], "edits": prev["edits"] + (edits or []), "reason": check}
    else:
        f.notes["repair"] = {"from": f.value, "edits": edits or [], "reason": check}
    f.value = value
    if check not in f.checks:
        f.checks.append(check)


def place_repairs(fields: dict[str, ExtractedField], names: tuple[str, ...] = ("birthplace", "address"),
                  code6: str | None = None) -> None:
    """Place values against the official division list:

    - a value that begins below the province (``土默特左旗`` for 内蒙古自治区呼和浩特市土默特左旗:
      its first line lost) gets ``place_prefix_missing``; a birthplace must begin with its
      province, an address may begin at the city (深圳市南山区…) but not at the county. Where
      the names above are unique and agree with the ID number's division code, they are
      restored (``place_prefix_restored``); so is a birthplace in which no name is recognised
      that is the end of the ID number's place (``前旗`` with the code of 乌拉特前旗);
    - misread division names at the start (云南省红河哈尼族排族自治州… → …彝族自治州…) are
      repaired to the only nearest official chain (``place_repaired``);
    - a value that ends inside a division's name (…乌鲁木 for …乌鲁木齐市: its last line lost)
      gets ``place_name_cut``, and the name is completed where unique and in agreement with the
      ID number's code (``place_name_completed``).

    Every such value fails review (confidence capped): the repair is a proposal."""
    from rapidfuzz.distance import Levenshtein

    for name in names:
        f = fields.get(name)
        if f is None or f.source == "derived" or not isinstance(f.value, str) or not f.value:
            continue
        if name == "address" and (rest := divisions.strip_before_province(f.value, code6)) is not None:
            _replace_value(f, rest, "place_repaired")  # what stood before the province is no address
        if name == "birthplace" and (full := divisions.restore_from_code(f.value, code6)) is not None:
            f.checks.append("place_prefix_missing")
            _replace_value(f, full, "place_prefix_restored")
            continue
        if (full := divisions.restore_lost_start(f.value, code6)) is not None:
            f.checks.append("place_prefix_missing")
            _replace_value(f, full, "place_prefix_restored")
            continue
        if divisions.prefix_missing(f.value, county_only=name != "birthplace"):
            f.checks.append("place_prefix_missing")
            full = divisions.restore_prefix(f.value, code6)
            if full is not None:
                _replace_value(f, full, "place_prefix_restored")
            continue
        full = divisions.restore_city(f.value, code6)
        if full is not None:
            _replace_value(f, full, "place_repaired")
            continue
        for _ in range(2):
            # twice: a repair of the province (广西北族… → 壮族) may leave the city and county
            # misread; the ID number's chain then repairs those (精州市兼县 → 梧州市藤县)
            rep = divisions.repair_division_names(f.value, code6)
            if rep is None:
                break
            edits = [[i, rep.read[i], rep.chain[j]] for op, i, j in Levenshtein.editops(rep.read, rep.chain) if op == "replace"]
            _replace_value(f, rep.value, "place_repaired", edits)
        if divisions.tail_cut(f.value):
            f.checks.append("place_name_cut")
            full = divisions.complete_tail(f.value, code6)
            if full is not None:
                _replace_value(f, full, "place_name_completed")
        elif name == "address" and (full := divisions.restore_town_suffix(f.value, code6)) is not None:
            _replace_value(f, full, "place_repaired")
        elif name == "address" and (full := divisions.repair_township(f.value)) is not None:
            _replace_value(f, full, "place_repaired")


def ethnicity_repair(f: ExtractedField | None) -> None:
    """An ethnicity that is none of the 56 (``例`` for 侗): where the recogniser's alternatives
    for its characters give exactly one group's name, that name (``ethnicity_repaired``, a
    proposal for review)."""
    if f is None or not isinstance(f.value, str) or ethnicity.is_known(f.value) or ethnicity.is_other(f.value):
        return
    from extract.normalize import normalize_ethnicity

    # a group's name and then characters of a copy's note across it (汉此, 汉复印: 此复印件…)
    for k in range(len(f.value) - 1, 0, -1):
        head, tail = f.value[:k], f.value[k:]
        n = normalize_ethnicity(head)
        # or its 族 misread (汉旅): one Han character after a group's whole name
        misread_zu = k == len(f.value) - 1 and "\u4e00" <= tail <= "\u9fff"
        if n is not None and ethnicity.is_known(n, historical=False) and (
                all(ch in _NOTE_CHARS for ch in tail) or misread_zu):
            f.notes["repair"] = {"from": f.value, "edits": [], "reason": "ethnicity_repaired"}
            f.value = n
            f.checks.append("ethnicity_repaired")
            return
    if not f.alts or len(f.value) > 3:
        return
    found: set[str] = set()
    for s in _alternative_readings(f):
        n = normalize_ethnicity(s)
        if n is not None and ethnicity.is_known(n, historical=False):
            found.add(n)
    if len(found) == 1:
        f.notes["repair"] = {"from": f.value, "edits": [], "reason": "ethnicity_repaired"}
        f.value = found.pop()
        f.checks.append("ethnicity_repaired")


def _alternative_readings(f: ExtractedField) -> list[str]:
    """The texts the recogniser's alternatives for a short value's characters spell (the read
    character first, four per character, the first six characters, 256 readings at most)."""
    raw = f.raw or ""
    options: list[list[str]] = []
    for i, ch in enumerate(raw):
        alts = f.alts[i] if f.alts and i < len(f.alts) and f.alts[i] else []
        options.append(list(dict.fromkeys([ch] + [a for a, _ in alts])))
    stack = [""]
    for opts in options[:6]:
        stack = [s + o for s in stack for o in opts[:4]][:256]
    return stack


def _repaired_is_no_evidence(eth: ExtractedField | None) -> None:
    """A repaired ethnicity is known because it was chosen for being known: that is no check."""
    if eth is not None and "ethnicity_repaired" in eth.checks:
        eth.checks = [c for c in eth.checks if c != "ethnicity_known"]


@register_checker("id_card_front")
def check_id_front(fields: dict[str, ExtractedField]) -> None:
    idf = fields.get("id_number")
    bd = fields.get("birth_date")
    sx = fields.get("sex")
    if idf is not None:
        repair_id_field(idf, bd.value if bd else None, sx.value if sx else None)
    place_repairs(fields, ("address",), _id_code(fields))
    ethnicity_repair(fields.get("ethnicity"))
    _apply(fields, idcard.check_front(_values(fields)))
    _repaired_is_no_evidence(fields.get("ethnicity"))
    # birth date and sex printed but unreadable: fill them from a number that checks out
    if idf is not None and "checksum_ok" in idf.checks:
        chk = validate(idf.value)
        from extract.confidence import field_confidence

        idconf = field_confidence("id_card_front", "id_number", idf)
        if bd is None and chk.birth_date is not None:
            fields["birth_date"] = ExtractedField(
                chk.birth_date.isoformat(), "", idf.bbox, [], "derived", ["derived_from_id_number"], confidence=idconf
            )
        if sx is None and chk.sex:
            fields["sex"] = ExtractedField(chk.sex, "", idf.bbox, [], "derived", ["derived_from_id_number"], confidence=idconf)


@register_checker("id_card_back")
def check_id_back(fields: dict[str, ExtractedField]) -> None:
    auth = fields.get("issuing_authority")
    if auth is not None and (full := divisions.repair_branch(auth.value)) is not None:
        _replace_value(auth, full, "place_repaired")  # a district's name misread in the branch's
    elif auth is not None and (full := divisions.restore_authority_city(auth.value)) is not None:
        _replace_value(auth, full, "place_repaired")  # the city's first characters lost
    _apply(fields, idcard.check_back(_values(fields)))


def link_id_card_sides(front: dict, back: dict) -> list[str]:
    """Checks of a back that need the front (the holder's age at issue, the region).
    `front`/`back`: field name -> value. Returns per-field checks for the back."""
    return idcard.check_back(back, birth_date=front.get("birth_date"), id_number=front.get("id_number"), address=front.get("address"))


# ------------------------------------------------------------------ shared pieces
def _dates(fields: dict[str, ExtractedField], names: list[str], today: _dt.date | None = None) -> dict[str, _dt.date | None]:
    """Check each date field present (invalid, in the future); return the parsed dates."""
    out: dict[str, _dt.date | None] = {}
    for n in names:
        f = fields.get(n)
        if f is None or f.value is None:
            out[n] = None
            continue
        d, checks = records.check_date(f.value, today)
        _apply(fields, {n: checks})
        out[n] = d
    return out


def _person_checks(fields: dict[str, ExtractedField], id_field: str = "id_number", allow_15: bool = True,
                   doc_type: str = "id_card_front") -> None:
    """ID number (repair, checksum, region vs address), and sex / birth date / ethnicity
    against it: the ID card front's checks on any document that prints a person's number."""
    idf = fields.get(id_field)
    bd = fields.get("birth_date")
    sx = fields.get("sex")
    if idf is not None:
        repair_id_field(idf, bd.value if bd else None, sx.value if sx else None)
    place_repairs(fields, ("birthplace", "address"), _id_code(fields, id_field))
    vals = _values(fields)
    if id_field != "id_number":
        vals.pop("id_number", None)
        if id_field in vals:
            vals["id_number"] = vals.pop(id_field)
    checks = idcard.check_front(vals)
    if id_field != "id_number" and "id_number" in checks:
        checks[id_field] = checks.pop("id_number")
    if "id_number" in checks and allow_15 and idf is not None:
        # a 15-digit number is legitimate on paper records (old registrations)
        checks["id_number"] = idcard.check_id_number(idf.value, address=vals.get("address"), allow_15=True)
    _apply(fields, checks)
    _fill_from_id(fields, idf, doc_type, id_field)


def _fill_from_id(fields: dict[str, ExtractedField], idf: ExtractedField | None, doc_type: str, id_field: str) -> None:
    """Birth date and sex printed but not read (a pale label, a value without its label): the
    ones an 18-character number that checks out encodes, as derived values (as sure as the
    number); a 15-digit number's century is not certain and gives nothing."""
    if idf is None or "checksum_ok" not in idf.checks or not isinstance(idf.value, str) or len(idf.value) != 18:
        return
    chk = validate(idf.value)
    if not chk.ok:
        return
    from extract.confidence import field_confidence

    conf = None
    for name, val in (("birth_date", chk.birth_date.isoformat() if chk.birth_date else None), ("sex", chk.sex)):
        if name in fields or not val:
            continue
        if conf is None:
            conf = field_confidence(doc_type, id_field, idf)
        fields[name] = ExtractedField(val, "", idf.bbox, [], "derived", ["derived_from_id_number"], confidence=conf)


# ------------------------------------------------------------------ medical documents
@register_checker("medical_certificate")
def check_medical_certificate(fields: dict[str, ExtractedField]) -> None:
    _dates(fields, ["issue_date", "visit_date"])


@register_checker("discharge_summary")
def check_discharge_summary(fields: dict[str, ExtractedField]) -> None:
    d = _dates(fields, ["admission_date", "discharge_date"])
    c = records.order_check(d["admission_date"], d["discharge_date"], "discharge_after_admission", "discharge_before_admission")
    _apply(fields, {"discharge_date": c, "admission_date": c})
    if "discharge_before_admission" not in c:
        stay = fields.get("length_of_stay")
        s = records.stay_check(d["admission_date"], d["discharge_date"], stay.value if stay else None)
        _apply(fields, {"discharge_date": s, "admission_date": s, "length_of_stay": s})


@register_checker("lab_report")
def check_lab_report(fields: dict[str, ExtractedField]) -> None:
    d = _dates(fields, ["report_date", "collection_date"])
    c = records.report_after_collection(d["collection_date"], d["report_date"])
    _apply(fields, {"report_date": c, "collection_date": c})
    if "items" in fields:
        f = fields["items"]
        derived = frozenset(f.notes.get("derived_flags", ()))
        _apply(fields, {"items": records.check_lab_items(f.value, derived)})


# ------------------------------------------------------------------ civil status
@register_checker("death_certificate")
def check_death_certificate(fields: dict[str, ExtractedField]) -> None:
    _person_checks(fields, doc_type="death_certificate")
    d = _dates(fields, ["birth_date", "death_date", "issue_date"])
    _apply(fields, {"death_date": records.order_check(d["birth_date"], d["death_date"], "death_after_birth", "death_before_birth")})
    if d["birth_date"] is None and "id_number" in fields and "checksum_ok" in fields["id_number"].checks:
        b = validate(fields["id_number"].value).birth_date
        _apply(fields, {"death_date": records.order_check(b, d["death_date"], "death_after_birth", "death_before_birth")})
    _apply(fields, {"issue_date": records.order_check(d["death_date"], d["issue_date"], "issued_after_death", "issued_before_death")})


@register_checker("household_register")
def check_household_register(fields: dict[str, ExtractedField]) -> None:
    ethnicity_repair(fields.get("ethnicity"))
    _person_checks(fields, doc_type="household_register")
    rel = fields.get("relationship")
    if rel is not None and (near := records.nearest_relationship(rel.value)) is not None:
        # one character misread in a term of the list: the term, for a reviewer to confirm
        _replace_value(rel, near, "relationship_repaired")
    elif rel is not None and rel.alts and len(rel.value) <= 3 and records.check_relationship(rel.value) == ["relationship_unknown"] \
            and len(terms := {t for t in _alternative_readings(rel) if records.check_relationship(t) == ["relationship_known"]}) == 1:
        # no term as read, one among the recogniser's alternatives (交 read for 父, 父 its second
        # guess): that term, for a reviewer to confirm
        _replace_value(rel, terms.pop(), "relationship_repaired")
    elif rel is not None:
        _apply(fields, {"relationship": records.check_relationship(rel.value)})
    _repaired_is_no_evidence(fields.get("ethnicity"))


def drop_number_specks(f: ExtractedField | None, length: int) -> None:
    """Specks of toner or a seal's dots read between a number's characters (150922·1972…, the
    ID repair's specks: extract/checks/repair.py): dropped when the number then has its
    printed length, recorded as a repair (`specks_dropped`)."""
    if f is None or not isinstance(f.value, str):
        return
    v = f.value
    specks = [i for i in range(len(v)) if is_speck(v, i)]
    if not specks or len(v) - len(specks) != length:
        return
    f.notes["repair"] = {"from": v, "edits": [[i, v[i], ""] for i in specks], "reason": "specks_dropped"}
    f.value = "".join(ch for i, ch in enumerate(v) if i not in set(specks))
    f.checks.append("repaired")


def one_number_read_twice(idf: ExtractedField | None, cert: ExtractedField | None) -> None:
    """A disability certificate prints the holder's ID number twice: on its own and as the
    certificate number's first 18 characters. When one reading checks out (its check digit)
    and the other does not, one character apart, the failing one is the misread: it takes the
    other's character, as a recorded repair (a digit chosen so is for a reviewer to confirm)."""
    if idf is None or cert is None or not isinstance(idf.value, str) or not isinstance(cert.value, str):
        return
    idv, cv = idf.value, cert.value
    if len(idv) != 18 or len(cv) != 20:
        return
    diff = [i for i in range(18) if idv[i] != cv[i]]
    if len(diff) != 1:
        return
    i = diff[0]
    id_ok, cert_ok = validate(idv).ok, validate(cv[:18]).ok
    if id_ok and not cert_ok:
        _replace_value(cert, idv + cv[18:], "repaired_from_id_number", [[i, cv[i], idv[i]]])
    elif cert_ok and not id_ok:
        _replace_value(idf, cv[:18], "repaired_from_certificate_number", [[i, idv[i], cv[i]]])


@register_checker("disability_certificate")
def check_disability_certificate(fields: dict[str, ExtractedField]) -> None:
    cert = fields.get("certificate_number")
    drop_number_specks(cert, 20)
    one_number_read_twice(fields.get("id_number"), cert)
    if "id_number" not in fields and cert is not None and isinstance(cert.value, str) and len(cert.value) == 20:
        # the card form prints no ID number: it is the certificate number's first 18 characters
        idpart = cert.value[:18]
        if validate(idpart).ok:
            from extract.confidence import field_confidence

            conf = field_confidence("disability_certificate", "certificate_number", cert)
            fields["id_number"] = ExtractedField(
                idpart, "", cert.bbox, [], "derived", ["derived_from_certificate_number"], confidence=conf
            )
    _person_checks(fields, allow_15=False, doc_type="disability_certificate")
    if cert is not None and cert.value:
        v = _values(fields)
        _apply(
            fields,
            records.check_disability_number(
                cert.value, v.get("id_number"), v.get("disability_category"), v.get("disability_level")
            ),
        )
        # category / level printed but unreadable: fill them from a number that checks out
        if "checksum_ok" in cert.checks and "certificate_mismatch_id" not in cert.checks:
            from extract.confidence import field_confidence

            conf = field_confidence("disability_certificate", "certificate_number", cert)
            for name, fn in (("disability_category", records.category_from_number), ("disability_level", records.level_from_number)):
                if name not in fields and fn(cert.value):
                    fields[name] = ExtractedField(fn(cert.value), "", None, [], "derived", ["derived_from_certificate_number"], confidence=conf)
    d = _dates(fields, ["birth_date", "issue_date"])
    birth = d["birth_date"]
    if birth is None and "id_number" in fields and "checksum_ok" in fields["id_number"].checks:
        birth = validate(fields["id_number"].value).birth_date
    _apply(fields, {"issue_date": records.order_check(birth, d["issue_date"], "issued_after_birth", "issued_before_birth")})


# ------------------------------------------------------------------ cards
@register_checker("social_security_card")
def check_social_security_card(fields: dict[str, ExtractedField]) -> None:
    f = fields.get("social_security_number")
    if f is not None:
        repair_id_field(f)
        _apply(fields, {"social_security_number": idcard.check_id_number(f.value, allow_15=False)})
    f = fields.get("card_number")
    if f is not None and f.value:
        _apply(fields, {"card_number": records.check_social_security_card_number(f.value)})
    _dates(fields, ["issue_date"])


@register_checker("bank_card")
def check_bank_card(fields: dict[str, ExtractedField]) -> None:
    f = fields.get("card_number")
    if f is not None and f.value:
        _apply(fields, {"card_number": records.check_bank_card_number(f.value)})
