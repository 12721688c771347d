"""Second look: where a card's value should be but the detector found no text line (a stamp,
a watermark or a fold across it), find the ink bands in that box and recognise them directly,
without detection. Where ink stays unread next to a value, say the value may be incomplete.
"""
from __future__ import annotations

import cv2
import numpy as np

from ocr.base import OcrEngine, OcrLine


def _ink_mask(gray: np.ndarray) -> np.ndarray:
    # dark strokes relative to the local background; pale label ink and light patterns drop out
    bg = cv2.medianBlur(gray, 31) if min(gray.shape[:2]) > 31 else np.full_like(gray, int(np.median(gray)))
    diff = cv2.subtract(bg, gray)
    return (diff > 45).astype(np.uint8)


def ink_bands(gray: np.ndarray, min_h: int = 8) -> list[tuple[int, int, int, int]]:
    """Text-like horizontal bands in a greyscale crop: (x0, y0, x1, y1)."""
    if gray.size == 0:
        return []
    m = _ink_mask(gray)
    rows = m.sum(axis=1)
    on = rows > max(2, 0.02 * m.shape[1])
    bands = []
    y = 0
    while y < len(on):
        if on[y]:
            y0 = y
            while y < len(on) and on[y]:
                y += 1
            if y - y0 >= min_h:
                cols = np.where(m[y0:y].sum(axis=0) > 0)[0]
                if len(cols):
                    bands.append((int(cols[0]), y0, int(cols[-1]) + 1, y))
        y += 1
    return bands


def ink_ratio(view: np.ndarray, box: list[float]) -> float:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    h, w = view.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return 0.0
    gray = cv2.cvtColor(view[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    return float(_ink_mask(gray).mean())


def _covered(box, lines: list[OcrLine]) -> bool:
    for l in lines:
        b = l.bbox
        ix = max(0.0, min(b[2], box[2]) - max(b[0], box[0]))
        iy = max(0.0, min(b[3], box[3]) - max(b[1], box[1]))
        area = (box[2] - box[0]) * (box[3] - box[1])
        if area > 0 and ix * iy / area > 0.3:
            return True
    return False


def reread_box(engine: OcrEngine, view: np.ndarray, box: list[float], existing: list[OcrLine], min_score: float = 0.5) -> list[OcrLine]:
    """Recognise the uncovered ink bands inside `box` (view pixels) as new lines."""
    h, w = view.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return []
    gray = cv2.cvtColor(view[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    crops, boxes = [], []
    for bx0, by0, bx1, by1 in ink_bands(gray):
        pad = max(2, (by1 - by0) // 4)
        gb = [x0 + bx0 - pad, y0 + by0 - pad, x0 + bx1 + pad, y0 + by1 + pad]
        gb = [max(0, gb[0]), max(0, gb[1]), min(w, gb[2]), min(h, gb[3])]
        if _covered(gb, existing) or (gb[2] - gb[0]) < 1.2 * (gb[3] - gb[1]):
            continue
        crops.append(view[gb[1] : gb[3], gb[0] : gb[2]])
        boxes.append(gb)
    out = []
    for gb, line in zip(boxes, engine.recognize_lines(crops) if crops else []):
        if not line.text.strip() or line.confidence < min_score:
            continue
        line.polygon = [(gb[0], gb[1]), (gb[2], gb[1]), (gb[2], gb[3]), (gb[0], gb[3])]
        out.append(line)
    return out


def unread_ink(view: np.ndarray, box: list[float], covered: list[list[float]], pad: int = 4) -> float:
    """Share of `box` (view pixels) that is ink outside every read line's box."""
    h, w = view.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return 0.0
    m = _ink_mask(cv2.cvtColor(view[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY))
    for b in covered:
        bx0, by0 = int(b[0]) - x0 - pad, int(b[1]) - y0 - pad
        bx1, by1 = int(b[2]) - x0 + pad, int(b[3]) - y0 + pad
        if bx1 <= 0 or by1 <= 0 or bx0 >= m.shape[1] or by0 >= m.shape[0]:
            continue
        m[max(0, by0) : max(0, by1), max(0, bx0) : max(0, bx1)] = 0
    # specks of toner are not characters: keep blobs of a character stroke's size
    n, _, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    keep = sum(int(stats[i, cv2.CC_STAT_AREA]) for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= 25)
    return keep / float(m.size)
