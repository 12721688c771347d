"""Checkers per document type: glue between the extracted fields and the check functions.

A checker is registered under the name a document type's declaration gives in `checks:`.
It adds check names to fields and may repair a value when the checks make the repair unique
(the printed text stays in `raw`, the repair is recorded in `notes["repair"]`).
"""
from __future__ import annotations

from extract.checks import idcard
from extract.checks.idnumber import validate
from extract.checks.repair import repair_id_number
from extract.fields.base import ExtractedField
from extract.verify import register_checker

# every check name that means "something is wrong": needs_review, confidence capped
FAILING_CHECKS: frozenset[str] = frozenset(idcard.FAILING_CHECKS) | frozenset(
    {"repair_ambiguous", "luhn_failed", "certificate_mismatch_id", "pattern_mismatch"}
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
    rep = repair_id_number(f.raw, alternatives=f.alts, printed_birth_date=printed_birth_date, printed_sex=printed_sex)
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


@register_checker("id_card_front")
def check_id_front(fields: dict[str, ExtractedField]) -> None:
    idf = fields.get("id_number")
    bd = fields.get("birth_date")
    sx = fields.get("sex")
    if idf is not None:
        repair_id_field(idf, bd.value if bd else None, sx.value if sx else None)
    _apply(fields, idcard.check_front(_values(fields)))
    # birth date and sex printed but unreadable: fill them from a number that checks out
    if idf is not None and "checksum_ok" in idf.checks:
        chk = validate(idf.value)
        from extract.confidence import field_confidence

        idconf = field_confidence("id_card_front", "id_number", idf)
        if bd is None and chk.birth_date is not None:
            fields["birth_date"] = ExtractedField(
                chk.birth_date.isoformat(), "", None, [], "derived", ["derived_from_id_number"], confidence=idconf
            )
        if sx is None and chk.sex:
            fields["sex"] = ExtractedField(chk.sex, "", None, [], "derived", ["derived_from_id_number"], confidence=idconf)


@register_checker("id_card_back")
def check_id_back(fields: dict[str, ExtractedField]) -> None:
    _apply(fields, idcard.check_back(_values(fields)))


def link_id_card_sides(front: dict, back: dict) -> list[str]:
    """Checks of a back that need the front (the holder's age at issue, the region).
    `front`/`back`: field name -> value. Returns per-field checks for the back."""
    return idcard.check_back(back, birth_date=front.get("birth_date"), id_number=front.get("id_number"), address=front.get("address"))
