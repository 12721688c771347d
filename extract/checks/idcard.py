"""Consistency checks for the resident ID card (front: 人像面, back: 国徽面).

:func:`check_front` and :func:`check_back` take the extracted field values (plain strings, or
``{"value": …}`` dicts as in the extraction result; raw or normalised) and return, per field
present, the list of check names that apply. The names go into ``fields[name]["checks"]``
of the extraction result. They are stable; consumers may rely on them.

Check vocabulary
----------------

``id_number``
    ``checksum_ok`` / ``checksum_failed`` – GB 11643-1999 check character (an 18-character
    string that is not 17 digits + digit/X also gets ``checksum_failed``);
    ``length_invalid`` – not 18 characters (a 17-character print is reported as printed,
    never padded; a 15-digit number on an ID card front is ``length_invalid`` too, as
    second-generation cards always carry 18 characters);
    ``birth_date_invalid`` – the encoded birth date is impossible (19490230), before 1880 or
    in the future;
    ``region_matches_address`` – the division code's county (or city / municipality) is the
    one named in the address; ``region_province_only`` – same province, deeper names differ
    or cannot be confirmed (abolished/renumbered codes resolve only to their province);
    ``region_mismatch_address`` – the address is in another province (the code is the place
    of *first registration*: people move, so this is a plausibility warning, not an error);
    ``region_code_unknown`` – the first two digits are no province.
    No region check for HMT residence permits (810000/820000/830000) or when the address is
    absent or has no recognisable division name.
``birth_date``
    ``birth_date_matches_id`` / ``birth_date_mismatch_id`` (compared when the number encodes a
    valid date); ``date_invalid`` – unreadable, impossible, year-month only, or in the future.
``sex``
    ``sex_matches_id`` / ``sex_mismatch_id`` (parity of the 17th digit); ``sex_invalid`` –
    not readable as 男/女.
``ethnicity``
    ``ethnicity_known`` – one of the 56 groups; ``ethnicity_historical`` – 僮/崩龙/毛难;
    ``ethnicity_other`` – a legitimate non-group registration (穿青人, 未识别民族, 入籍…);
    ``ethnicity_unknown`` – anything else.
``address``
    ``address_region_ok`` – the leading province/city/county names form a valid hierarchy;
    ``address_region_mismatch`` – a province followed by a city/county of another province.
    Nothing when no division name is recognised.
``valid_from`` / ``valid_to`` (the order and length checks are put on both fields)
    ``validity_order_ok`` / ``validity_order_failed`` – valid_to after valid_from;
    ``validity_length_ok`` / ``validity_length_mismatch`` – the term is exactly 5/10/20 years
    (same month and day) or 长期, and fits the holder's age at issue (<16: 5; 16–25: 10;
    26–45: 20; ≥46: 长期) with ±1 year of age slack (a card renewed up to a few months
    before expiry is issued to a slightly younger holder). The age needs ``birth_date`` or an
    ``id_number``; without it only the term itself is checked (and 长期 is not checked);
    ``date_invalid`` – unreadable or impossible date (``valid_to`` also accepts 长期);
    ``valid_from_in_future`` – more than :data:`RENEWAL_LEAD_DAYS` days after today (a
    renewed card may start a few months after it is handed out);
    ``validity_expired`` (on ``valid_to``) – informational, the card has expired.
``issuing_authority``
    ``authority_region_ok`` – the authority (``XX市公安局XX分局``, ``XX县公安局``) is in the
    province of the ID number's division code or of the address; ``authority_region_mismatch``
    – it is recognisably elsewhere (plausibility warning: the code is the first registration);
    ``authority_region_unknown`` – no place recognised in the authority (or the code's
    province is unknown). Checked only when ``id_number`` or ``address`` is given.

Sets: :data:`FAILING_CHECKS` (something is wrong: set needs_review, lower confidence),
:data:`SOFT_CHECKS` (plausibility warnings that are often legitimate: lower confidence a
little, do not force review), :data:`ALL_CHECKS`.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Mapping

from extract.checks import divisions, ethnicity
from extract.checks.idnumber import IdCheck, validate
from extract.normalize import (
    LONG_TERM,
    normalize_date,
    normalize_ethnicity,
    normalize_id_number,
    normalize_sex,
    normalize_validity,
    parse_date,
    to_halfwidth,
)

__all__ = [
    "check_front",
    "check_back",
    "check_id_number",
    "check_authority",
    "birth_date_completed",
    "validity_terms_for_age",
    "age_on",
    "FAILING_CHECKS",
    "SOFT_CHECKS",
    "ALL_CHECKS",
    "RENEWAL_LEAD_DAYS",
]

RENEWAL_LEAD_DAYS = 100
AGE_SLACK_YEARS = 1

FAILING_CHECKS: frozenset[str] = frozenset({
    "checksum_failed",
    "length_invalid",
    "birth_date_invalid",
    "region_code_unknown",
    "birth_date_mismatch_id",
    "date_invalid",
    "sex_mismatch_id",
    "sex_invalid",
    "ethnicity_unknown",
    "address_region_mismatch",
    "validity_order_failed",
    "validity_length_mismatch",
    "valid_from_in_future",
})
SOFT_CHECKS: frozenset[str] = frozenset({
    "region_mismatch_address",
    "authority_region_mismatch",
})
ALL_CHECKS: frozenset[str] = FAILING_CHECKS | SOFT_CHECKS | frozenset({
    "checksum_ok",
    "region_matches_address",
    "region_province_only",
    "birth_date_matches_id",
    "sex_matches_id",
    "ethnicity_known",
    "ethnicity_historical",
    "ethnicity_other",
    "ethnicity_unknown",
    "address_region_ok",
    "validity_order_ok",
    "validity_length_ok",
    "validity_expired",
    "authority_region_ok",
    "authority_region_unknown",
})

_REGION_CHECK = {
    divisions.MATCH: "region_matches_address",
    divisions.PROVINCE_MATCH: "region_province_only",
    divisions.MISMATCH: "region_mismatch_address",
}


def _value(v: Any) -> Any:
    if isinstance(v, Mapping):
        v = v.get("value")
    if isinstance(v, str) and not v.strip():
        return None
    return v


def _present(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _value(v) for k, v in fields.items() if _value(v) is not None}


def age_on(birth: _dt.date, day: _dt.date) -> int:
    """Whole years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _term_for_age(age: int) -> int | str:
    if age < 16:
        return 5
    if age <= 25:
        return 10
    if age <= 45:
        return 20
    return LONG_TERM


def validity_terms_for_age(age: int, slack: int = AGE_SLACK_YEARS) -> set[int | str]:
    """The legal terms (5, 10, 20 years or ``长期``) for an age at issue, ± ``slack`` years."""
    return {_term_for_age(a) for a in range(age - slack, age + slack + 1)}


def _add_years(d: _dt.date, years: int) -> set[_dt.date]:
    try:
        return {d.replace(year=d.year + years)}
    except ValueError:  # 29 February
        return {_dt.date(d.year + years, 2, 28), _dt.date(d.year + years, 3, 1)}


def _id_check(idn: Any, today: _dt.date) -> IdCheck | None:
    value = normalize_id_number(idn) if isinstance(idn, str) else None
    return validate(value, today=today) if value else None


# --------------------------------------------------------------------------- id number


def check_id_number(
    id_number: Any,
    address: Any = None,
    today: _dt.date | None = None,
    allow_15: bool = True,
) -> list[str]:
    """Checks on an ID number alone (and against an address), for any document type.

    ``allow_15=False`` reports a 15-digit number as ``length_invalid`` (ID card fronts)."""
    today = today or _dt.date.today()
    v = _id_check(id_number, today)
    if v is None:
        return ["length_invalid"]
    out: list[str] = []
    if v.kind == "invalid":
        out.append("checksum_failed" if v.length == 18 else "length_invalid")
        return out
    if v.kind == "id15" and not allow_15:
        return ["length_invalid"]
    if v.kind != "id15":
        out.append("checksum_ok" if v.checksum_ok else "checksum_failed")
    if not v.birth_date_valid:
        out.append("birth_date_invalid")
    if v.kind == "hmt_residence" or v.division is None:
        return out
    if divisions.province_of(v.division) is None:
        out.append("region_code_unknown")
    elif isinstance(address, str) and address.strip():
        result = divisions.match_address(v.division, address)
        if result in _REGION_CHECK:
            out.append(_REGION_CHECK[result])
    return out


# --------------------------------------------------------------------------- front


def check_front(fields: Mapping[str, Any], today: _dt.date | None = None) -> dict[str, list[str]]:
    """Checks for an ``id_card_front``: name, sex, ethnicity, birth_date, address, id_number.

    Returns one entry per field present (possibly an empty list); see the module docstring.
    """
    today = today or _dt.date.today()
    f = _present(fields)
    out: dict[str, list[str]] = {k: [] for k in f}
    idv = _id_check(f.get("id_number"), today)
    address = f.get("address") if isinstance(f.get("address"), str) else None

    if "id_number" in f:
        out["id_number"] = check_id_number(f["id_number"], address=address, today=today, allow_15=False)
    id_birth = idv.birth_date if idv is not None and idv.kind != "invalid" else None
    id_sex = idv.sex if idv is not None and idv.kind != "invalid" else None

    if "birth_date" in f:
        d = parse_date(f["birth_date"])
        if d is None or d > today:
            out["birth_date"].append("date_invalid")
        elif id_birth is not None:
            out["birth_date"].append("birth_date_matches_id" if d == id_birth else "birth_date_mismatch_id")

    if "sex" in f:
        sex = normalize_sex(f["sex"])
        if sex is None:
            out["sex"].append("sex_invalid")
        elif id_sex is not None:
            out["sex"].append("sex_matches_id" if sex == id_sex else "sex_mismatch_id")

    if "ethnicity" in f:
        out["ethnicity"].append(_ethnicity_check(f["ethnicity"]))

    if address is not None:
        parsed = divisions.parse_region(address)
        if parsed.conflict:
            out["address"].append("address_region_mismatch")
        elif parsed.candidates:
            out["address"].append("address_region_ok")
    return out


def birth_date_completed(birth_date: Any, id_number: Any, today: _dt.date | None = None) -> str | None:
    """The full birth date when the one read is incomplete (``1967-08``, ``1967``: the day or
    month lost to a stain or a fold; a card always prints all three) and what was read agrees
    with the date a valid ID number encodes; ``None`` otherwise (a full date, a disagreement,
    an invalid number)."""
    today = today or _dt.date.today()
    idv = _id_check(id_number, today)
    if idv is None or not idv.ok or idv.kind != "id18" or idv.birth_date is None:
        return None
    t = normalize_date(birth_date) if isinstance(birth_date, str) else None
    if t is None:
        m = re.match(r"^\D*(\d{4})\s*年?\D*$", to_halfwidth(birth_date) or "") if isinstance(birth_date, str) else None
        t = m.group(1) if m else None
    if t is None or len(t) == 10:
        return None
    full = idv.birth_date.isoformat()
    return full if full.startswith(t) else None


def _ethnicity_check(value: Any) -> str:
    name = normalize_ethnicity(value) if isinstance(value, str) else None
    if name is None:
        return "ethnicity_unknown"
    if ethnicity.is_historical(name):
        return "ethnicity_historical"
    if ethnicity.is_known(name, historical=False):
        return "ethnicity_known"
    if ethnicity.is_other(name):
        return "ethnicity_other"
    return "ethnicity_unknown"


# --------------------------------------------------------------------------- back

_LONG_TERM_RE = re.compile(r"^(长期|長期|永久)$")


def _valid_to(value: Any) -> str | None:
    if isinstance(value, str):
        t = "".join((to_halfwidth(value) or "").split())
        if _LONG_TERM_RE.match(t):
            return LONG_TERM
    v = normalize_date(value)
    return v if v is not None and len(v) == 10 else None


def _birth(birth_date: Any, id_number: Any, today: _dt.date) -> _dt.date | None:
    if isinstance(birth_date, _dt.date):
        return birth_date
    if birth_date is not None:
        d = parse_date(birth_date)
        if d is not None:
            return d
    v = _id_check(id_number, today)
    return v.birth_date if v is not None else None


def _authority_place(text: str) -> divisions.RegionParse:
    t = "".join((to_halfwidth(text) or "").split())
    m = re.search(r"公安(?:局|分局|厅|处)", t)  # "公安县公安局": the county is 公安县
    prefix = t[: m.start()] if m else t
    return divisions.parse_region(prefix)


def check_authority(
    authority: Any,
    id_number: Any = None,
    address: Any = None,
    today: _dt.date | None = None,
) -> list[str]:
    """``authority_region_*`` for an issuing authority against the ID number's division code
    (not for HMT residence permits) and/or the address. ``[]`` without either reference."""
    today = today or _dt.date.today()
    if not isinstance(authority, str) or not authority.strip():
        return []
    ref_provinces: set[str] = set()
    have_ref = False
    v = _id_check(id_number, today)
    if v is not None and v.kind in ("id18", "id15") and v.division:
        have_ref = True
        path = divisions.resolve(v.division)
        if path is not None:
            ref_provinces.add(path.province_code)
    if isinstance(address, str) and address.strip():
        have_ref = True
        ref_provinces |= divisions.parse_region(address).provinces
    if not have_ref:
        return []
    place = _authority_place(authority)
    if not place.candidates or not ref_provinces:
        return ["authority_region_unknown"]
    if place.provinces & ref_provinces:
        return ["authority_region_ok"]
    return ["authority_region_mismatch"]


def check_back(
    fields: Mapping[str, Any],
    birth_date: Any = None,
    id_number: Any = None,
    address: Any = None,
    today: _dt.date | None = None,
) -> dict[str, list[str]]:
    """Checks for an ``id_card_back``: issuing_authority, valid_from, valid_to.

    ``birth_date`` (date or text) or ``id_number`` (from the front of the same card) give the
    holder's age at issue; ``id_number`` / ``address`` are the references for the issuing
    authority. A combined ``validity`` field (``2015.03.12-2035.03.12``) is split when
    ``valid_from``/``valid_to`` are absent. Returns one entry per field present.
    """
    today = today or _dt.date.today()
    f = _present(fields)
    if "validity" in f and "valid_from" not in f and "valid_to" not in f:
        vf_text, vt_text = normalize_validity(f.pop("validity"))
        f["valid_from"] = vf_text or "?"  # "?" reports the unreadable part as date_invalid
        f["valid_to"] = vt_text or "?"
    out: dict[str, list[str]] = {k: [] for k in f}

    if "issuing_authority" in f:
        out["issuing_authority"] = check_authority(f["issuing_authority"], id_number, address, today)

    vf = vt = None
    if "valid_from" in f:
        vf = parse_date(f["valid_from"])
        if vf is None:
            out["valid_from"].append("date_invalid")
        elif (vf - today).days > RENEWAL_LEAD_DAYS:
            out["valid_from"].append("valid_from_in_future")
    if "valid_to" in f:
        vt_norm = _valid_to(f["valid_to"])
        if vt_norm is None:
            out["valid_to"].append("date_invalid")
        else:
            vt = LONG_TERM if vt_norm == LONG_TERM else _dt.date.fromisoformat(vt_norm)
            if isinstance(vt, _dt.date) and vt < today:
                out["valid_to"].append("validity_expired")

    if vf is None or vt is None:
        return out
    shared: list[str] = []
    if isinstance(vt, _dt.date):
        shared.append("validity_order_ok" if vt > vf else "validity_order_failed")
    else:
        shared.append("validity_order_ok")

    birth = _birth(birth_date, id_number, today)
    if isinstance(vt, _dt.date):
        term = next((n for n in (5, 10, 20) if vt in _add_years(vf, n)), None)
        if term is None:
            shared.append("validity_length_mismatch")
        elif birth is not None:
            ok = vf >= birth and term in validity_terms_for_age(age_on(birth, vf))
            shared.append("validity_length_ok" if ok else "validity_length_mismatch")
        else:
            shared.append("validity_length_ok")
    elif birth is not None:
        ok = vf >= birth and LONG_TERM in validity_terms_for_age(age_on(birth, vf))
        shared.append("validity_length_ok" if ok else "validity_length_mismatch")

    for k in ("valid_from", "valid_to"):
        out[k].extend(shared)
    return out
