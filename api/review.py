"""Review logic on result dicts: how risky a result is, and reviewer corrections as new versions.

Risk (the queue's order, riskiest first) =
    (1 - lowest field confidence)
  + 0.25 per failing check (checksum_failed, birth_date_mismatch_id, …) and per cross-check mismatch
  + 0.5 when the file has errors, + 0.25 per document of unknown type.
"""
from __future__ import annotations

import copy
import datetime as _dt
from typing import Any

try:  # the checks that mean "something is wrong" (extract/checks); a fallback pattern otherwise
    from extract.checks.documents import FAILING_CHECKS as _FAILING
except Exception:  # pragma: no cover
    _FAILING = frozenset()

_FAIL_WORDS = ("_failed", "_mismatch", "_invalid", "_unknown")


def is_failing(check: str) -> bool:
    return check in _FAILING or any(check.endswith(w) or w + "_" in check for w in _FAIL_WORDS)


def summarize(result: dict[str, Any]) -> dict[str, Any]:
    docs = result.get("documents") or []
    errors = result.get("errors") or []
    confs: list[float] = []
    failing = 0
    unknown = 0
    for d in docs:
        if d.get("type") == "unknown":
            unknown += 1
        for f in (d.get("fields") or {}).values():
            c = f.get("confidence")
            if isinstance(c, (int, float)):
                confs.append(float(c))
            failing += sum(1 for ch in f.get("checks") or [] if is_failing(ch))
        cc = d.get("crosscheck") or {}
        if cc.get("status") == "mismatch":
            failing += max(1, sum(1 for v in (cc.get("fields") or {}).values() if v == "mismatch"))
    min_conf = min(confs) if confs else 0.0
    needs = bool(errors) or not docs or any(d.get("needs_review") for d in docs)
    risk = (1.0 - min_conf) + 0.25 * failing + (0.5 if errors else 0.0) + 0.25 * unknown
    return {
        "min_conf": round(min_conf, 4),
        "failing_checks": failing,
        "risk": round(risk, 4),
        "needs_review": needs,
        "doc_types": ",".join(d.get("type", "unknown") for d in docs)[:300],
    }


class CorrectionError(ValueError):
    pass


def _iso(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).isoformat(timespec="seconds")


def apply_changes(
    result: dict[str, Any], changes: list[dict[str, Any]], actor: str, at: float, threshold: float = 0.9
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A new result with reviewer values; returns it and the list of real changes.

    A change is `{"document": i, "field": name, "value": v}`; an empty value removes the field
    (absent means absent). A corrected field gets confidence 1.0, `corrected: true`, who and when,
    and the machine's value in `machine_value` (the machine result itself stays version 1).
    """
    new = copy.deepcopy(result)
    docs = new.get("documents") or []
    applied = []
    for ch in changes:
        i = ch.get("document", 0)
        name = ch.get("field")
        if not isinstance(i, int) or not 0 <= i < len(docs):
            raise CorrectionError(f"no document {i!r} in this result")
        if not isinstance(name, str) or not name or len(name) > 64:
            raise CorrectionError("field must be a field name")
        value = ch.get("value")
        if isinstance(value, str):
            value = value.strip()
        doc = docs[i]
        fields = doc.setdefault("fields", {})
        old = fields.get(name)
        old_value = old.get("value") if old else None
        if value in (None, ""):
            if old is None:
                continue
            del fields[name]
        else:
            if old is not None and old.get("value") == value:
                continue
            f = dict(old) if old else {"bbox": None, "page": doc.get("page", 1), "raw": None, "checks": []}
            if "machine_value" not in f and old is not None and not old.get("corrected"):
                f["machine_value"] = old_value
            f.update(value=value, confidence=1.0, corrected=True, corrected_by=actor, corrected_at=_iso(at))
            fields[name] = f
        applied.append({"document": i, "field": name, "old": old_value, "new": value})
    for doc in docs:
        low = [n for n, f in (doc.get("fields") or {}).items() if float(f.get("confidence", 0)) < threshold]
        if doc.get("type") != "unknown" and not low and doc.get("needs_review") and applied:
            reasons = [r for r in doc.get("review_reasons") or [] if r.split(":", 1)[0] not in
                       {c["field"] for c in applied}]
            doc["review_reasons"] = reasons
            if not reasons:
                doc["needs_review"] = False
    return new, applied


def set_decision(result: dict[str, Any], decision: str, actor: str, at: float, reason: str | None) -> dict[str, Any]:
    new = copy.deepcopy(result)
    new["review"] = {"status": decision, "by": actor, "at": _iso(at), **({"reason": reason} if reason else {})}
    if decision == "approved":
        for d in new.get("documents") or []:
            d["needs_review"] = False
    return new
