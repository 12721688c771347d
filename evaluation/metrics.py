"""Metrics against truth: character accuracy of text lines, field exact match, confident
errors (wrong value with confidence >= 0.9), expected calibration error."""
from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

CONFIDENT = 0.9


def _squeeze(s: str) -> str:
    return "".join(s.split())


def char_errors(pred_lines: list[dict], truth_lines: list[dict]) -> tuple[int, int]:
    """(edit distance, truth characters) over a page. Each truth line is compared with the text
    of the predicted lines whose boxes overlap it (at least 30% of the smaller box); when that
    text is longer (a label and its value read as one line), with its best-matching part.
    Works whatever way the document lies on the page."""
    from rapidfuzz import fuzz

    dist = tot = 0
    for t in truth_lines:
        tb = t["bbox"]
        truth = _squeeze(t["text"])
        if not truth:
            continue
        got = []
        for p in pred_lines:
            pb = p["bbox"]
            ix = max(0.0, min(tb[2], pb[2]) - max(tb[0], pb[0]))
            iy = max(0.0, min(tb[3], pb[3]) - max(tb[1], pb[1]))
            small = min((tb[2] - tb[0]) * (tb[3] - tb[1]), (pb[2] - pb[0]) * (pb[3] - pb[1]))
            if small > 0 and ix * iy / small >= 0.3:
                got.append(_squeeze(p["text"]))
        cand = "".join(got)
        if len(cand) > len(truth):
            al = fuzz.partial_ratio_alignment(truth, cand)
            cand = cand[al.dest_start : al.dest_end]
        dist += Levenshtein.distance(cand, truth)
        tot += len(truth)
    return dist, tot


def norm_value(v) -> str:
    if isinstance(v, list):
        return repr(v)
    return _squeeze(str(v)) if v is not None else ""


@dataclass
class FieldTally:
    total: int = 0
    correct: int = 0
    missing: int = 0
    confident_errors: int = 0
    flagged_wrong: int = 0  # wrong and below the threshold: a reviewer sees it
    pairs: list[tuple[float, bool]] = field(default_factory=list)  # (confidence, correct)

    def add(self, truth, pred: dict | None) -> bool:
        self.total += 1
        if pred is None:
            self.missing += 1
            self.pairs.append((0.0, False))
            return False
        ok = norm_value(pred.get("value")) == norm_value(truth)
        c = float(pred.get("confidence", 0.0))
        self.pairs.append((c, ok))
        if ok:
            self.correct += 1
        elif c >= CONFIDENT:
            self.confident_errors += 1
        else:
            self.flagged_wrong += 1
        return ok

    def merge(self, other: "FieldTally") -> None:
        self.total += other.total
        self.correct += other.correct
        self.missing += other.missing
        self.confident_errors += other.confident_errors
        self.flagged_wrong += other.flagged_wrong
        self.pairs.extend(other.pairs)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def confident_error_rate(self) -> float:
        return self.confident_errors / self.total if self.total else 0.0


def ece(pairs: list[tuple[float, bool]], bins: int = 10) -> float:
    """Expected calibration error of (confidence, correct) pairs."""
    if not pairs:
        return 0.0
    tot = len(pairs)
    err = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = [(c, ok) for c, ok in pairs if (lo <= c < hi) or (b == bins - 1 and c == 1.0)]
        if not sel:
            continue
        conf = sum(c for c, _ in sel) / len(sel)
        acc = sum(1 for _, ok in sel if ok) / len(sel)
        err += len(sel) / tot * abs(conf - acc)
    return err
