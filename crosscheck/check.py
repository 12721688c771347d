"""Cross-check extracted documents against the golden record of the person they name.

`check_result(result, store)` fills each document's `crosscheck` (contract:
`{"status": "match|mismatch|not_found|skipped", "fields": {name: "match|mismatch|missing"}}`)
and adds, as extra keys: `matched_by` (id_number | name_birth_date | case), `person` (masked ID
of the golden record), `reasons` (one line per mismatch/missing/not_found) and `details`
(per field: similarity, exact, reason, confidence before the check).

Confidence rule (documented, deterministic, idempotent: always computed from the confidence the
field had before the first cross-check, kept in the field's extra key `confidence_before_golden`):
- agreement: only when the values are *exactly* equal after normalisation and the field was not
  the key the record was found by (that agreement would be circular):
  c' = max(c, min(0.995, 1 - (1 - c) * 0.5))  — the residual error is halved, not wiped out, because a
  document and a golden record are not fully independent witnesses (both may come from the same
  registration) and the golden record itself can be stale.
- disagreement: c' = min(0.89, c * (1 - g) / (c * (1 - g) + (1 - c))) with g = 0.9, the
  posterior that the OCR value is right when a golden record that is right 90% of the time
  disagrees, capped just under the review threshold (0.90) so a person looks at every
  disagreement; `needs_review` is set on the document.
- missing: unchanged.

Assisted correction: a mismatching field below the review threshold whose golden value is a
small OCR-plausible edit away (see confusables.py) gets `suggestion = {value, source: "golden",
evidence}`. `value` is never overwritten.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from matex.privacy import mask_id
from schemas.result import REVIEW_THRESHOLD, CrossCheck, DocumentResult, ExtractionResult, FieldResult

from .address import compare_addresses
from .confusables import explain_edit
from .models import DocSpec, FieldMap, default_fieldmap
from .normalize import id_checksum_ok, norm_date, norm_id, norm_name, normalise

log = logging.getLogger(__name__)

AGREE_CAP = 0.995
AGREE_FACTOR = 0.5
GOLDEN_RELIABILITY = 0.9
DISAGREE_CAP = round(REVIEW_THRESHOLD - 0.01, 4)
BASE_KEY = "confidence_before_golden"


def agree_confidence(c: float) -> float:
    # never lowers a confidence that is already above the cap
    return max(c, min(AGREE_CAP, 1.0 - (1.0 - c) * AGREE_FACTOR))


def disagree_confidence(c: float) -> float:
    g = GOLDEN_RELIABILITY
    den = c * (1 - g) + (1 - c)
    post = c * (1 - g) / den if den > 0 else 0.0
    return round(min(DISAGREE_CAP, post), 4)


# --------------------------------------------------------------------------- comparing one value
def compare_value(kind: str, doc_value: Any, golden_value: Any,
                  former_names: Sequence[str] = ()) -> dict[str, Any]:
    """→ {status: match|mismatch|missing, exact, similarity, reason, doc, golden (normalised)}"""
    d = normalise(kind, doc_value)
    g = normalise(kind, golden_value)
    if not d or not g:
        side = "document" if not d else "golden record"
        return {"status": "missing", "exact": False, "similarity": None,
                "reason": f"absent from the {side}", "doc": d, "golden": g}
    if kind == "address":
        cmp = compare_addresses(str(doc_value), str(golden_value))
        return {"status": cmp.status, "exact": cmp.exact, "similarity": round(cmp.similarity, 3),
                "reason": cmp.reason, "levels": cmp.levels, "doc": d, "golden": g}
    if d == g:
        return {"status": "match", "exact": True, "similarity": 1.0,
                "reason": "equal after normalisation", "doc": d, "golden": g}
    if kind == "name" and d in {norm_name(x) for x in former_names or ()}:
        return {"status": "match", "exact": False, "similarity": 1.0,
                "reason": "equals a former name (曾用名) in the golden record", "doc": d, "golden": g}
    sim = round(fuzz.ratio(d, g) / 100.0, 3)
    reason = "differs from the golden record"
    if kind in ("id", "digits", "date"):
        dist = Levenshtein.distance(d, g)
        reason = f"{dist} character{'s' if dist != 1 else ''} differ{'s' if dist == 1 else ''}"
    elif kind == "name":
        reason = f"name differs (similarity {sim:.2f})"
    return {"status": "mismatch", "exact": False, "similarity": sim, "reason": reason,
            "doc": d, "golden": g}


# --------------------------------------------------------------------------- locating the person
def _field_value(doc: DocumentResult, name: str | None) -> Any:
    if not name:
        return None
    f = doc.fields.get(name)
    if f is None or isinstance(f.value, (list, dict)):
        return None
    v = f.value
    return v if v not in ("", None) else None


def _golden_fields_needed(spec: DocSpec, fmap: FieldMap, extra: Sequence[str] = ()) -> tuple[str, ...]:
    need = ["id_number", "name", "birth_date"]
    for gf in spec.fields.values():
        need.append(gf)
        if gf == "name":
            need.append("former_names")
        fb = fmap.golden_fallback.get(gf)
        if fb:
            need.append(fb)
    need.extend(extra)
    return tuple(dict.fromkeys(need))


def locate_person(doc: DocumentResult, spec: DocSpec, store: Any, fields: Sequence[str]
                  ) -> tuple[dict[str, Any] | None, str | None, str]:
    """(golden record, matched_by, reason). By the ID number when it is readable (passes its check
    character); otherwise, or when not found by it, by name + birth date (unique, or the one whose
    ID number is closest to the document's)."""
    raw_id = _field_value(doc, spec.keys.get("id_number"))
    idn = norm_id(raw_id) if raw_id is not None else ""
    reasons = []
    if idn:
        if len(idn) == 18 and id_checksum_ok(idn):
            person = store.get(idn, fields)
            if person is not None:
                return person, "id_number", ""
            reasons.append(f"no golden record for ID {mask_id(idn)}")
        else:
            reasons.append("ID number unreadable (fails its check character)")
    name = _field_value(doc, spec.keys.get("name"))
    bd = _field_value(doc, spec.keys.get("birth_date"))
    if bd is None and idn:
        from .normalize import id_birth_date
        bd = id_birth_date(idn) if len(idn) == 18 else None
    if name is not None and bd is not None:
        cands = store.find(str(name), norm_date(bd), fields)
        if len(cands) == 1:
            return cands[0], "name_birth_date", "; ".join(reasons)
        if len(cands) > 1:
            if idn:
                best = sorted(cands, key=lambda c: Levenshtein.distance(idn, c["id_number"]))
                if Levenshtein.distance(idn, best[0]["id_number"]) <= 2 and (
                        len(best) == 1 or Levenshtein.distance(idn, best[1]["id_number"]) > 2):
                    return best[0], "name_birth_date", "; ".join(reasons)
            reasons.append(f"{len(cands)} golden records share this name and birth date")
        else:
            reasons.append("no golden record with this name and birth date")
    elif not idn:
        return None, None, "no identifying field (ID number, or name and birth date) to look up"
    return None, None, "; ".join(reasons)


# --------------------------------------------------------------------------- one document
def _set_confidence(f: FieldResult, new: float) -> None:
    f.confidence = round(max(0.0, min(1.0, new)), 4)


def _base_confidence(f: FieldResult) -> float:
    extra = f.model_extra or {}
    if BASE_KEY in extra:
        return float(extra[BASE_KEY])
    setattr(f, BASE_KEY, f.confidence)
    return f.confidence


def _clear_previous(doc: DocumentResult) -> None:
    """Undo an earlier cross-check of this document (so that a re-run is idempotent)."""
    for f in doc.fields.values():
        extra = f.model_extra or {}
        if BASE_KEY in extra:
            f.confidence = float(extra[BASE_KEY])
        if "suggestion" in extra:
            del f.__pydantic_extra__["suggestion"]
        f.checks = [c for c in f.checks if not c.startswith("golden_")]


def _skip(doc: DocumentResult, reason: str) -> DocumentResult:
    doc.crosscheck = CrossCheck(status="skipped", fields={}, reasons=[reason])
    return doc


def check_document(doc: DocumentResult, store: Any, *, person_id: str | None = None,
                   fieldmap: FieldMap | None = None,
                   person: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Fill `doc.crosscheck`; return the golden record used (only the fields compared), or None.
    `person_id` / `person` name the person when the document itself cannot (a bank card in a case)."""
    fmap = fieldmap or default_fieldmap()
    spec = fmap.documents.get(doc.type)
    _clear_previous(doc)
    if spec is None or not spec.golden:
        _skip(doc, f"document type {doc.type!r} is not checked against golden records")
        return None
    present = {df: gf for df, gf in spec.fields.items() if _field_value(doc, df) is not None}
    if not present:
        _skip(doc, "none of the fields checked for this document type was extracted")
        return None
    fields = _golden_fields_needed(spec, fmap)
    matched_by, why = None, ""
    if person is not None:
        matched_by = "case"
    elif person_id is not None and not any(spec.keys.get(k) and _field_value(doc, spec.keys[k])
                                           is not None for k in ("id_number", "name")):
        try:
            person = store.get(person_id, fields)
        except Exception as exc:  # a store that is down must not break extraction
            log.warning("golden store unavailable: %s", type(exc).__name__)
            return _skip(doc, f"golden store unavailable ({type(exc).__name__})") and None
        matched_by = "case"
        why = "" if person else "the case's person has no golden record"
    elif not spec.keys:
        _skip(doc, "this document names no one: checked only within a case")
        return None
    else:
        try:
            person, matched_by, why = locate_person(doc, spec, store, fields)
        except Exception as exc:
            log.warning("golden store unavailable: %s", type(exc).__name__)
            _skip(doc, f"golden store unavailable ({type(exc).__name__})")
            return None
        if matched_by is None and person is None and why.startswith("no identifying field"):
            _skip(doc, why)
            return None
    if person is None:
        doc.crosscheck = CrossCheck(status="not_found", fields={}, reasons=[why or "not found"])
        doc.needs_review = True
        return None

    key_fields = set()
    if matched_by == "id_number":
        key_fields.add(spec.keys.get("id_number"))
    elif matched_by == "name_birth_date":
        key_fields.update({spec.keys.get("name"), spec.keys.get("birth_date")})

    statuses: dict[str, str] = {}
    details: dict[str, Any] = {}
    reasons: list[str] = []
    any_mismatch = False
    for df, gf in spec.fields.items():
        kind = fmap.compare.get(gf, "text")
        gval = person.get(gf)
        if (gval in (None, "", [])) and gf in fmap.golden_fallback:
            gval = person.get(fmap.golden_fallback[gf])
        dval = _field_value(doc, df)
        if dval is None and df not in doc.fields:
            if gval in (None, ""):
                continue  # neither side has it: nothing to say
        cmp = compare_value(kind, dval, gval, person.get("former_names") or ())
        st = cmp["status"]
        statuses[df] = st
        det = {"status": st, "reason": cmp["reason"], "similarity": cmp["similarity"],
               "exact": cmp["exact"]}
        if "levels" in cmp:
            det["levels"] = cmp["levels"]
        f = doc.fields.get(df)
        if f is not None and st != "missing":
            base = _base_confidence(f)
            det["confidence_before"] = base
            if st == "match":
                f.checks.append("golden_match")
                if cmp["exact"] and df not in key_fields:
                    _set_confidence(f, agree_confidence(base))
            else:
                f.checks.append("golden_mismatch")
                _set_confidence(f, disagree_confidence(base))
                doc.needs_review = True
                if base < REVIEW_THRESHOLD:
                    check = id_checksum_ok if kind == "id" else None
                    ev = explain_edit(cmp["doc"], cmp["golden"], checksum=check)
                    if ev:
                        setattr(f, "suggestion", {
                            "value": cmp["golden"], "source": "golden",
                            "evidence": f"confidence {base:.2f} < {REVIEW_THRESHOLD:.2f}; " + "; ".join(ev)})
                        det["suggested"] = True
        if st == "mismatch":
            any_mismatch = True
            reasons.append(f"{df}: {cmp['reason']}")
        elif st == "missing":
            reasons.append(f"{df}: {cmp['reason']}")
        elif cmp["reason"] and not cmp["exact"]:
            reasons.append(f"{df}: {cmp['reason']}")
        details[df] = det
    if why:
        reasons.insert(0, why)
    doc.crosscheck = CrossCheck(
        status="mismatch" if any_mismatch else "match", fields=statuses,
        matched_by=matched_by, person=mask_id(person.get("id_number")), reasons=reasons,
        details=details)
    return person


def check_result(result: ExtractionResult, store: Any, *, fieldmap: FieldMap | None = None,
                 person_id: str | None = None) -> ExtractionResult:
    """Cross-check every document of `result` against `store`; mutates and returns `result`."""
    for doc in result.documents:
        check_document(doc, store, fieldmap=fieldmap, person_id=person_id)
    return result


__all__ = ["check_result", "check_document", "compare_value", "locate_person", "agree_confidence",
           "disagree_confidence"]
