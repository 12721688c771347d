"""Metrics against truth: character accuracy of text lines, field exact match, confident
errors (wrong value with confidence >= 0.9), expected calibration error."""
from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

CONFIDENT = 0.9


def _centre_in(b, box, pad=0.0) -> bool:
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return box[0] - pad <= cx <= box[2] + pad and box[1] - pad <= cy <= box[3] + pad


def _squeeze(s: str) -> str:
    return "".join(s.split())


def char_errors(pred_lines: list[dict], truth_lines: list[dict]) -> tuple[int, int]:
    """(edit distance, truth characters) over a page. Each truth line is compared with the
    predicted text whose characters fall inside the truth line's box (a predicted line that
    merges a label and its value is split by character position)."""
    dist = tot = 0
    for t in truth_lines:
        tb = t["bbox"]
        h = tb[3] - tb[1]
        got = []
        for p in pred_lines:
            pb = p["bbox"]
            if pb[3] < tb[1] - 0.3 * h or pb[1] > tb[3] + 0.3 * h:
                continue
            pcy = (pb[1] + pb[3]) / 2
            if not (tb[1] - 0.3 * h <= pcy <= tb[3] + 0.3 * h):
                continue
            text = p["text"]
            n = max(1, len(text))
            w = pb[2] - pb[0]
            chars = [ch for i, ch in enumerate(text) if tb[0] - 0.5 * h <= pb[0] + (i + 0.5) * w / n <= tb[2] + 0.5 * h]
            if chars:
                got.append((pb[0], "".join(chars)))
        pred = _squeeze("".join(s for _, s in sorted(got)))
        truth = _squeeze(t["text"])
        dist += Levenshtein.distance(pred, truth)
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
