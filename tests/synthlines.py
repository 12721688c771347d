"""Synthetic OCR lines for layout, table and extraction tests (no OCR engine needed).

`L("姓名：张三", x, y)` is one recognised line whose characters are `h` pixels wide (CJK) or
`h/2` (ASCII), left to right from `x`; `char_positions` are given as the engine gives them,
so that character-level geometry is exact.
"""
from __future__ import annotations

import math

from ocr.base import OcrLine


def char_width(ch: str, h: float) -> float:
    if ch in " ":
        return 0.5 * h
    return 0.55 * h if ord(ch) < 0x2000 or ch in "↑↓μ" else 1.0 * h


def L(text: str, x: float, y: float, h: float = 30.0, conf: float = 0.99, angle: float = 0.0,
      confs: list[float] | None = None) -> OcrLine:
    ws = [char_width(c, h) for c in text]
    w = max(1.0, sum(ws))
    centres, acc = [], 0.0
    for cw in ws:
        centres.append((acc + cw / 2) / w)
        acc += cw
    if angle:
        a = math.radians(angle)
        c, s = math.cos(a), math.sin(a)
        pts = [(0, 0), (w, 0), (w, h), (0, h)]
        poly = [(x + px * c - py * s, y + px * s + py * c) for px, py in pts]
    else:
        poly = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    return OcrLine(
        text=text,
        confidence=conf,
        polygon=poly,
        char_confidences=list(confs) if confs is not None else [conf] * len(text),
        char_positions=centres,
    )


def width(text: str, h: float = 30.0) -> float:
    return sum(char_width(c, h) for c in text)


def row(cells: list[tuple[str, float]], y: float, h: float = 30.0) -> list[OcrLine]:
    """One line per (text, x) cell, empty texts skipped."""
    return [L(t, x, y, h) for t, x in cells if t]


def merged(parts: list[tuple[str, float]], y: float, h: float = 30.0, conf: float = 0.99) -> OcrLine:
    """One OCR line read over several cells (no space between them): the characters keep their
    printed positions."""
    text = "".join(t for t, _ in parts)
    x0 = parts[0][1]
    centres = []
    for t, x in parts:
        acc = x
        for c in t:
            cw = char_width(c, h)
            centres.append(acc + cw / 2)
            acc += cw
    x1 = parts[-1][1] + width(parts[-1][0], h)
    w = x1 - x0
    return OcrLine(
        text=text,
        confidence=conf,
        polygon=[(x0, y), (x1, y), (x1, y + h), (x0, y + h)],
        char_confidences=[conf] * len(text),
        char_positions=[(c - x0) / w for c in centres],
    )


def two_tables(rows_l: list[tuple[str, ...]], rows_r: list[tuple[str, ...]], y: float = 100.0) -> list[OcrLine]:
    """Two lab tables side by side (项目 代号 结果 单位 参考值 each), their rows as given (name,
    code, result, unit, range), the right table's rows 2 px lower."""
    left = {"name": 40, "code": 230, "result": 330, "unit": 420, "range": 520}
    right = {k: v + 620 for k, v in left.items()}
    keys = ["name", "code", "result", "unit", "range"]
    hdr = {"name": "项目", "code": "代号", "result": "结果", "unit": "单位", "range": "参考值"}
    lines = row([(hdr[k], left[k]) for k in keys] + [(hdr[k], right[k]) for k in keys], y)
    for i, r in enumerate(rows_l):
        lines += row([(r[j], left[k]) for j, k in enumerate(keys)], y + 45 + 45 * i)
    for i, r in enumerate(rows_r):
        lines += row([(r[j], right[k]) for j, k in enumerate(keys)], y + 47 + 45 * i)
    return lines
