"""Field confidence = the probability that the value is exactly right.

1. A raw recogniser score from the characters the value was read from (the geometric mean and
   the minimum of the per-character probabilities: one doubtful character is enough to be wrong).
2. Evidence from checks, as data: an independent check that passes multiplies the probability
   of error by a factor (SUPPORTING).
3. Calibration: an isotonic map score -> P(correct), fitted on generated documents with known
   truth by `scripts/calibrate.py` (development seeds only, never the evaluation seed) and
   stored in calibration.json, one map per value kind. Without a map the score is used as is.
4. A failing check caps the confidence below the review threshold.
"""
from __future__ import annotations

import contextvars
import json
import math
import re
from functools import lru_cache
from pathlib import Path

from extract.fields.base import ExtractedField

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")

# check name -> factor on P(wrong) when the check passes (independent evidence)
SUPPORTING = {
    "checksum_ok": 0.15,
    "birth_date_matches_id": 0.1,
    "sex_matches_id": 0.3,
    "region_matches_address": 0.7,
    "ethnicity_known": 0.8,
    "validity_length_ok": 0.5,
    "luhn_ok": 0.15,
    "certificate_matches_id": 0.2,
    # the printed category / level agree with the digits of the certificate number
    "category_matches_number": 0.3,
    "level_matches_number": 0.3,
    # every lab result sits on the side of its reference range that its flag says
    "flags_match_ranges": 0.6,
    "place_recognised": 0.7,
    # dates that agree with each other (a stay's days; a report after its specimen)
    "stay_matches_dates": 0.5,
    "reported_after_collection": 0.7,
}
# check name -> factor on P(wrong) for plausibility warnings that do not fail the value
PENALISING = {
    "place_unrecognised": 4.0,
    "region_province_only": 1.5,
    "region_mismatch_address": 2.0,
    "authority_region_mismatch": 2.0,
    "reread": 2.0,
    # a page's value the detector did not find, recognised right of its label
    "reread_beside_label": 4.0,
    # a person's name whose first character is no surname (extract/fields/values.py)
    "surname_unknown": 3.0,
}
# a failing check caps the confidence at this value
FAILING_CAP = 0.5
# where a value was found: a label next to it is evidence that it is the whole value; a value
# taken from where the card layout puts it (template) or found by its pattern alone is less so
SOURCE_FACTOR = {"template": 4.0, "pattern": 2.0}
LOOKALIKES = {"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1", "i": "1",
              "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "x": "X", "×": "X"}
DERIVED_FACTOR = 0.98
ROMAN = re.compile("[\u2160-\u216b]")  # Ⅰ … Ⅻ: read as one another, see field_confidence
ROMAN_CAP = 0.85
REREAD_LONG_TEXT_CAP = 0.85
UNKNOWN_SURNAME_CAP = 0.85
# values a document states twice (an ID card's birth date and sex are in its number too): sure
# only when the two agree; with the number unread or invalid nothing confirms the reading
CROSS_CHECKED = {("id_card_front", "birth_date"): "birth_date_matches_id",
                 ("id_card_front", "sex"): "sex_matches_id"}
UNCONFIRMED_CAP = 0.85


def raw_score(confs: list[float]) -> float:
    if not confs:
        return 0.0
    logs = [math.log(max(1e-6, min(1.0, c))) for c in confs]
    geo = math.exp(sum(logs) / len(logs))
    return 0.5 * geo + 0.5 * min(confs)


@lru_cache(maxsize=1)
def _calibration() -> dict:
    if CALIBRATION_FILE.is_file():
        return json.loads(CALIBRATION_FILE.read_text())
    return {}


def value_kind(doc_type: str, field: str) -> str:
    """Fields grouped by how they are read; one calibration map per group."""
    if field in ("id_number", "social_security_number", "card_number", "certificate_number", "record_number"):
        return "digits"
    if "date" in field or field in ("valid_from", "valid_to"):
        return "date"
    if field in ("address", "place_of_death", "birthplace", "issuing_authority", "hospital", "institution"):
        return "long_text"
    if field in ("sex", "ethnicity", "disability_level", "disability_category", "relationship", "age"):
        return "short_code"
    if field == "items":
        return "table"
    return "text"


# the OCR engine whose scores are being calibrated (set by the pipeline for each file)
ENGINE: contextvars.ContextVar[str] = contextvars.ContextVar("matex_engine", default="rapidocr")


def calibrate(kind: str, raw: float) -> float:
    maps = _calibration().get(ENGINE.get()) or {}
    table = maps.get(kind) or maps.get("all")
    if table and "x" not in table:
        table = None
    if not table:
        return raw
    xs, ys = table["x"], table["y"]
    if raw <= xs[0]:
        # below every score seen while fitting: no evidence that it is as good as the lowest
        # block; fall off towards 0 rather than extend that block's rate (a kind whose every
        # fitted reading was right has a one-block map)
        return ys[0] * max(0.0, raw) / xs[0] if xs[0] > 0 else ys[0]
    if raw >= xs[-1]:
        return ys[-1]
    for i in range(1, len(xs)):
        if raw <= xs[i]:
            t = (raw - xs[i - 1]) / max(1e-9, xs[i] - xs[i - 1])
            return ys[i - 1] + t * (ys[i] - ys[i - 1])
    return ys[-1]


def evidence_score(f: ExtractedField) -> float:
    """The recogniser's score combined with the evidence of the checks (before calibration)."""
    cells = f.notes.get("cell_confs") if f.notes else None
    if cells:  # a table: as sure as its least sure cell
        err = 1.0 - min(raw_score(c) for c in cells)
    else:
        err = 1.0 - raw_score(f.char_confs)
    err *= SOURCE_FACTOR.get(f.source, 1.0)
    for c in f.checks:
        err *= SUPPORTING.get(c, 1.0) * PENALISING.get(c, 1.0)
    return max(0.0, 1.0 - err)


def field_confidence(doc_type: str, field: str, f: ExtractedField) -> float:
    if f.source == "derived":
        return max(0.0, min(0.999, f.confidence * DERIVED_FACTOR))
    from extract.verify import failing_checks

    FAILING_CHECKS = failing_checks()
    p = calibrate(value_kind(doc_type, field), evidence_score(f))
    rep = f.notes.get("repair")
    if rep:
        # a letter read where only one digit looks like it (O->0, I->1, B->8) is near-certain;
        # a digit chosen by the check character among several is for a reviewer to confirm
        # a speck read as punctuation between the digits and dropped is as sure as a look-alike
        from extract.checks.repair import SPECKS

        lookalike = all(
            (str(e[1]) in LOOKALIKES and LOOKALIKES[str(e[1])] == str(e[2])) or (str(e[2]) == "" and str(e[1]) in SPECKS)
            for e in rep.get("edits", [])
        )
        p = min(p, 0.97 if lookalike else 0.85)
    if "reread" in f.checks and value_kind(doc_type, field) == "long_text":
        # a long value put together from a re-read piece and the lines around it: the pieces'
        # scores say nothing of whether one of them lost or doubled a character at a seam
        p = min(p, REREAD_LONG_TEXT_CAP)
    if isinstance(f.value, str) and ROMAN.search(f.value):
        # Roman numerals are read as one another (Ⅳ as Ⅴ, Ⅲ as Ⅱ: a stroke lost in a blurred
        # copy), sure all the same, and a stage or grade (Ⅳ期, 心功能Ⅲ级) is what the claim turns on
        p = min(p, ROMAN_CAP)
    if "surname_lookalike" in f.checks:
        # a surname one stroke from a rarer one the recogniser reads as it (佘 as 余, 亓 as 元):
        # which of the two is printed, only a look at the image tells
        p = min(p, UNKNOWN_SURNAME_CAP)
    if "surname_unknown" in f.checks:
        # a first character that is none of the common surnames: a rare surname, or a misread
        # one (股松厚 for 殷松厚) that the recogniser is sure of; never "certain" either way
        p = min(p, UNKNOWN_SURNAME_CAP)
    confirm = CROSS_CHECKED.get((doc_type, field))
    if confirm is not None and confirm not in f.checks:
        p = min(p, UNCONFIRMED_CAP)
    if any(c in FAILING_CHECKS for c in f.checks):
        p = min(p, FAILING_CAP)
    return max(0.0, min(0.999, p))
