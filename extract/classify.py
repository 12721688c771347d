"""Document-type stage: score every declared type by its weighted keywords and patterns.

Keywords are matched on the text with spaces removed, exactly or (for 4+ characters) with one
wrong character, so an OCR slip in a title does not lose the document. The confidence is the
winner's margin over the runner-up, squashed to [0, 1]; below the type's `min_score` the
document is `unknown`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ocr.base import OcrLine
from schemas.doctypes import DocType, load_doctypes


@dataclass
class Classification:
    type: str
    confidence: float
    scores: dict[str, float]


def _has_keyword(text: str, kw: str) -> bool:
    if kw in text:
        return True
    n = len(kw)
    if n < 4:
        return False
    for s in range(0, len(text) - n + 1):
        if sum(a != b for a, b in zip(text[s : s + n], kw)) <= 1:
            return True
    return False


def score_text(text: str, dt: DocType) -> float:
    sq = re.sub(r"[\s\u3000]+", "", text)
    s = sum(w for kw, w in dt.classify.keywords.items() if _has_keyword(sq, kw))
    s += sum(w for pat, w in dt.classify.patterns.items() if re.search(pat, sq))
    return s


def classify_lines(lines: list[OcrLine], allowed: list[str] | None = None) -> Classification:
    text = "\n".join(l.text for l in lines)
    doctypes = load_doctypes()
    scores = {name: score_text(text, dt) for name, dt in doctypes.items() if allowed is None or name in allowed}
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < doctypes[ranked[0][0]].classify.min_score:
        top = ranked[0][1] if ranked else 0.0
        return Classification("unknown", 1.0 - min(1.0, top / 6.0) * 0.5, scores)
    best, s1 = ranked[0]
    s2 = ranked[1][1] if len(ranked) > 1 else 0.0
    conf = 1.0 - math.exp(-(s1 - s2) / 2.0) * 0.9
    conf *= min(1.0, s1 / (2 * doctypes[best].classify.min_score)) ** 0.25
    return Classification(best, round(max(0.0, min(1.0, conf)), 4), scores)
