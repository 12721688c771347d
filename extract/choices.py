"""Printed option lists: "□1医疗卫生机构 □2.来院途中 □3.家中 …" with one option marked.

The value is the marked option's text. A mark read as text (☑ ■ √ ✓ ✔ before an option) decides;
otherwise, with the view image, the option drawn round (an ellipse) or ticked (a stroke over its
box) is the one with clearly the most ink around it. When nothing is marked clearly the value
is unknown (None): the list itself is never a value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from extract.layout import Value, char_boxes
from ocr.base import OcrLine

BOXES = "□☐▢口"
MARKS = "☑☒■√✓✔▣"
_OPTION = re.compile(rf"[{BOXES}{MARKS}]\s*(?:\d{{1,2}}\s*[.、．]?\s*)?([^\s{BOXES}{MARKS}]+)")


@dataclass
class Option:
    text: str
    marked_in_text: bool
    line: int
    start: int  # of the option's box character
    end: int


def parse_options(lines: list[OcrLine], v: Value) -> list[Option]:
    out = []
    for sp in v.spans:
        t = lines[sp.line].text
        for m in _OPTION.finditer(t, sp.start, sp.end):
            out.append(Option(m.group(1), t[m.start()] in MARKS, sp.line, m.start(), m.end()))
    return out


def is_option_list(text: str) -> bool:
    return sum(text.count(b) for b in BOXES + MARKS) >= 2


def _ring_ink(gray: np.ndarray, box: list[float], h: float) -> float:
    """Share of dark pixels in a band around `box` (an ellipse drawn round it, a tick)."""
    H, W = gray.shape
    x0, y0, x1, y1 = box
    px, py = 0.45 * h, 0.35 * h
    X0, Y0, X1, Y1 = int(max(0, x0 - px)), int(max(0, y0 - py)), int(min(W, x1 + px)), int(min(H, y1 + py))
    if X1 <= X0 or Y1 <= Y0:
        return 0.0
    outer = gray[Y0:Y1, X0:X1] < 128
    ix0, iy0, ix1, iy1 = int(x0 - X0 + 0.1 * h), int(y0 - Y0), int(x1 - X0 - 0.1 * h), int(y1 - Y0)
    band = outer.copy()
    band[max(0, iy0):max(0, iy1), max(0, ix0):max(0, ix1)] = False
    return float(band.mean())


def choose(lines: list[OcrLine], v: Value, image: np.ndarray | None) -> tuple[str | None, Value | None]:
    """The marked option's text and its place, or (None, None)."""
    opts = parse_options(lines, v)
    if len(opts) < 2:
        return None, None
    marked = [o for o in opts if o.marked_in_text]
    pick: Option | None = marked[0] if len(marked) == 1 else None
    if pick is None and image is not None:
        import cv2

        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        scores = []
        for o in opts:
            l = lines[o.line]
            xs = char_boxes(l)
            box = [xs[o.start][0], l.bbox[1], xs[o.end - 1][1], l.bbox[3]]
            scores.append(_ring_ink(gray, box, l.bbox[3] - l.bbox[1]))
        order = np.argsort(scores)[::-1]
        best, second = scores[order[0]], scores[order[1]]
        if best > 0.02 and best > 1.8 * max(second, 1e-3):
            pick = opts[int(order[0])]
    if pick is None:
        return None, None
    from extract.layout import span_of

    t = lines[pick.line].text
    a = pick.start + t[pick.start : pick.end].index(pick.text)
    return pick.text, Value([span_of(lines, pick.line, a, a + len(pick.text))], source=v.source)
