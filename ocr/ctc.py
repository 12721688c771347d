"""Greedy CTC decoding that keeps per-character probabilities and alternatives.

The engines' own decoders return one score per line; the ID-number repair and the confidence
calibration need, for each output character, its probability and the runner-up characters.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class DecodedLine:
    text: str
    score: float  # mean of the character probabilities (the engines' usual line score)
    char_probs: list[float]
    alternatives: list[list[tuple[str, float]]]  # per character: [(char, prob), ...] best first
    positions: list[float] | None = None  # per character: centre as a fraction of the model input width


def ctc_decode(probs: np.ndarray, charset: list[str], topk: int = 3, blank: int = 0) -> DecodedLine:
    """probs: (T, C) softmax output of one line; charset[i] is the character of class i."""
    best = probs.argmax(axis=1)
    chars: list[str] = []
    char_probs: list[float] = []
    alts: list[list[tuple[str, float]]] = []
    pos: list[float] = []
    T = max(1, len(best))
    prev = -1
    for t, c in enumerate(best):
        if c != blank and c != prev:
            pos.append((t + 0.5) / T)
            row = probs[t]
            order = np.argsort(row)[::-1][: topk + 1]
            cand = [(charset[i], float(row[i])) for i in order if i != blank and i < len(charset)][:topk]
            chars.append(charset[c] if c < len(charset) else "")
            char_probs.append(float(row[c]))
            alts.append(cand)
        prev = c
    text = "".join(chars)
    score = float(np.mean(char_probs)) if char_probs else 0.0
    return DecodedLine(text, score, char_probs, alts, pos)
