"""Document-type stage: score every declared type by its weighted titles, keywords and patterns.

Keywords are matched on the text with spaces removed, exactly or (for 5+ characters) with one
wrong character, so an OCR slip in a title does not lose the document. A title counts fully when
it is printed as a title (a large line near the top), half when it is only mentioned in the
text. Negative weights are evidence against a type (残疾人证 against the ID card).

Every declared type competes, also when only some are `allowed` (card regions): a region that
reads best as a page document (a disability certificate booklet) is `unknown` as a card.
The confidence is the winner's margin over the runner-up, squashed to [0, 1]; below the type's
`min_score`, or when two types score within `MIN_MARGIN` of each other, the document is
`unknown`.
"""
from __future__ import annotations

import math
import re
import statistics
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ocr.base import OcrLine
from schemas.doctypes import DocType, load_doctypes

MIN_MARGIN = 1.0  # best minus runner-up below this (both above their min_score): unsure
# keywords this long may match with one wrong character (four-character words are too alike:
# 出院诊断 / 入院诊断 / 医院诊断, 出院日期 / 出具日期)
FUZZY_MIN = 5


@dataclass
class Classification:
    type: str
    confidence: float
    scores: dict[str, float]


def _squeeze(text: str) -> str:
    """Text without spaces, NFKC-folded and in simplified characters: the recogniser reads
    both scripts and may give a calligraphic title in traditional ones (醫學诊斷证明書), while
    the types are declared in simplified. Character by character, from OpenCC's t2s character
    table (the opencc package's own data; its phrase-level converter, in pure Python, costs a
    third of a second a page here, and keywords need no phrases)."""
    return unicodedata.normalize("NFKC", re.sub(r"[\s\u3000]+", "", text)).translate(_t2s_chars())


@lru_cache(maxsize=1)
def _t2s_chars() -> dict[int, str]:
    from importlib.resources import files

    table: dict[int, str] = {}
    for row in (files("opencc") / "dictionary" / "TSCharacters.txt").read_text(encoding="utf-8").splitlines():
        trad, _, simp = row.partition("\t")
        if len(trad) == 1 and simp:
            table[ord(trad)] = simp.split()[0]
    return table


def _known_words() -> frozenset[str]:
    """Every keyword, title and label of every type: a fuzzy match that reads exactly as another
    known word (出具日期 against 出院日期) is that word, not a misread."""
    global _KNOWN
    if _KNOWN is None:
        words: set[str] = set()
        for dt in load_doctypes().values():
            words.update(_squeeze(k) for k in dt.classify.keywords)
            words.update(_squeeze(k) for k in dt.classify.titles)
            words.update(_squeeze(k) for k in dt.all_labels())
            words.update(_squeeze(k) for k in dt.other_labels)
        _KNOWN = frozenset(words)
    return _KNOWN


_KNOWN: frozenset[str] | None = None
_TITLES: frozenset[str] | None = None


def _all_titles() -> frozenset[str]:
    global _TITLES
    if _TITLES is None:
        _TITLES = frozenset(_squeeze(k) for dt in load_doctypes().values() for k in dt.classify.titles)
    return _TITLES


def _has_keyword(text: str, kw: str) -> bool:
    if kw in text:
        return True
    n = len(kw)
    if n < FUZZY_MIN:
        return False
    known = _known_words()
    for s in range(0, len(text) - n + 1):
        win = text[s : s + n]
        if sum(a != b for a, b in zip(win, kw)) <= 1 and win not in known and "|" not in win:
            return True
    return False


def title_lines(lines: list[OcrLine]) -> list[int]:
    """Lines printed as titles: clearly taller than the median line, in the top 40 % of the text,
    and the top line (a running header repeats the title on a continuation page)."""
    if not lines:
        return []
    hs = [l.height for l in lines if l.text.strip()]
    if not hs:
        return []
    med = statistics.median(hs)
    top = min(l.bbox[1] for l in lines)
    bottom = max(l.bbox[3] for l in lines)
    cut = top + 0.4 * max(1.0, bottom - top)
    out = [i for i, l in enumerate(lines) if l.height >= 1.25 * med and l.bbox[1] <= cut]
    order = sorted(range(len(lines)), key=lambda i: lines[i].bbox[1])
    if not out:  # all lines of one size (a PDF text layer, a card): the first two lines
        out = order[:2]
    elif order[0] not in out:  # the top line: a running header on a continuation page
        out.append(order[0])
    return out


def _squeeze_lines(text: str) -> str:
    """Each line without spaces; lines kept apart by `|` so that no keyword is read across two
    lines (a hospital name ending in 医院 above 诊断证明书 is not 院诊断)."""
    return "|".join(_squeeze(t) for t in text.split("\n"))


def score_text(text: str, dt: DocType, title_text: str | None = None) -> float:
    sq = _squeeze_lines(text)
    tt = _squeeze_lines(title_text) if title_text is not None else sq
    s = 0.0
    for kw, w in dt.classify.keywords.items():
        k = _squeeze(kw)
        if w >= 0:
            s += w if _has_keyword(sq, k) else 0.0
        elif _has_keyword(tt, k):  # evidence against
            s += w
        elif _has_keyword(sq, k):
            # another type's title only mentioned in the text ("详见出院记录") counts half
            s += 0.5 * w if k in _all_titles() else w
    s += sum(w for pat, w in dt.classify.patterns.items() if re.search(pat, sq))
    # titles: the best one counts (诊断证明书 and 诊断证明 are one piece of evidence)
    best = 0.0
    for kw, w in dt.classify.titles.items():
        k = _squeeze(kw)
        if _has_keyword(tt, k):
            best = max(best, w)
        elif _has_keyword(sq, k):
            best = max(best, 0.5 * w)
    return s + best


def classify_lines(lines: list[OcrLine], allowed: list[str] | None = None) -> Classification:
    text = "\n".join(l.text for l in lines)
    titles = "\n".join(lines[i].text for i in title_lines(lines))
    doctypes = load_doctypes()
    scores = {name: round(score_text(text, dt, titles), 3) for name, dt in doctypes.items()}
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked:
        return Classification("unknown", 1.0, scores)
    best, s1 = ranked[0]
    if s1 < doctypes[best].classify.min_score:
        return Classification("unknown", 1.0 - min(1.0, s1 / 6.0) * 0.5, scores)
    s2 = ranked[1][1] if len(ranked) > 1 else 0.0
    runner = ranked[1][0] if len(ranked) > 1 else None
    if runner is not None and s2 >= doctypes[runner].classify.min_score and s1 - s2 < MIN_MARGIN:
        return Classification("unknown", 0.5, scores)
    if allowed is not None and best not in allowed:
        return Classification("unknown", 1.0 - min(1.0, s1 / 6.0) * 0.5, scores)
    conf = 1.0 - math.exp(-(s1 - s2) / 2.0) * 0.9
    conf *= min(1.0, s1 / (2 * doctypes[best].classify.min_score)) ** 0.25
    return Classification(best, round(max(0.0, min(1.0, conf)), 4), scores)
