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
    bands = []
    for y0, y in _inked_rows(m):
        if y - y0 >= min_h:
            cols = np.where(m[y0:y].sum(axis=0) > 0)[0]
            if len(cols):
                bands.append((int(cols[0]), y0, int(cols[-1]) + 1, y))
    return bands


def _inked_rows(m: np.ndarray) -> list[tuple[int, int]]:
    """Runs (start, end) of the rows of an ink mask that hold more than a speck of ink."""
    on = m.sum(axis=1) > max(2, 0.02 * m.shape[1])
    edges = np.flatnonzero(np.diff(np.concatenate(([0], on.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def _split_tall(bands: list[tuple[int, int, int, int]], gray: np.ndarray, line_h: float) -> list[tuple[int, int, int, int]]:
    """Bands taller than two lines' worth of print (two lines of an address joined by a
    watermark's strokes between them) cut into strips of about one line each, at the rows of
    least ink near the even cuts. `line_h`: the view's typical line box height (0: no cut); a
    line's ink is about 0.6 of its box."""
    if line_h <= 0:
        return bands
    m = _ink_mask(gray) if bands else None
    ink_h = 0.6 * line_h
    out = []
    for x0, y0, x1, y1 in bands:
        n = int(round((y1 - y0) / (1.3 * ink_h)))
        if (y1 - y0) < 1.8 * ink_h or n < 2:
            out.append((x0, y0, x1, y1))
            continue
        rows = m[y0:y1, x0:x1].sum(axis=1)
        cuts = [y0]
        step = (y1 - y0) / n
        for k in range(1, n):
            c = int(round(k * step))
            lo, hi = max(1, c - int(0.3 * step)), min(len(rows) - 1, c + int(0.3 * step))
            cuts.append(y0 + lo + int(np.argmin(rows[lo:hi + 1])))
        # only where the rows between are nearly empty: a tall handwritten name has no such gap
        if any(rows[c - y0] > 0.4 * np.median(rows) for c in cuts[1:]):
            # a stamp's frame or a block of print joining the rows over part of the width: the
            # rows as the strips beside it show them
            out += _rows_by_strips(m, (x0, y0, x1, y1), ink_h) or [(x0, y0, x1, y1)]
            continue
        cuts.append(y1)
        out += [(x0, a, x1, b) for a, b in zip(cuts, cuts[1:]) if b - a >= 8]
    return out


STRIPS = 4  # vertical strips a tall band is looked at in (:func:`_rows_by_strips`)


def _rows_by_strips(m: np.ndarray, band: tuple[int, int, int, int], ink_h: float) -> list[tuple[int, int, int, int]]:
    """Rows of print inside a tall band that no empty row cuts (a stamp's frame across a card's
    number, a dark logo beside its name): looked at in vertical strips, the part of a row
    outside the stamp stands apart; the runs of line height found in any strip, merged where
    they overlap, are the rows (full band width). [] when no strip shows one."""
    x0, y0, x1, y1 = band
    w = x1 - x0
    runs: list[tuple[int, int]] = []
    for k in range(STRIPS):
        a, b = x0 + k * w // STRIPS, x0 + (k + 1) * w // STRIPS
        runs += [(y0 + s0, y0 + e) for s0, e in _inked_rows(m[y0:y1, a:b]) if 0.5 * ink_h <= e - s0 <= 2.6 * ink_h]
    rows_out: list[list[int]] = []
    for a, b in sorted(runs):
        if rows_out and a < rows_out[-1][1] and max(b, rows_out[-1][1]) - rows_out[-1][0] <= 2.6 * ink_h:
            rows_out[-1][1] = max(b, rows_out[-1][1])
        elif not rows_out or a >= rows_out[-1][1]:
            rows_out.append([a, b])
    return [(x0, a, x1, b) for a, b in rows_out]


def ink_ratio(view: np.ndarray, box: list[float]) -> float:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    h, w = view.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return 0.0
    gray = cv2.cvtColor(view[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    return float(_ink_mask(gray).mean())


def _unread_runs(band: list[int], lines: list[OcrLine], max_h: float | None = None) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of the parts of the band's width that no read line of about the
    band's height covers (a line counts where it overlaps half the band's height or the line's
    own, and is at most `max_h` tall, by default twice the band's height). A part next to a read line is the rest of
    that line's row: it takes the line's top and bottom (the band may have grown over a
    watermark above or below the print); a part is padded off the read line by a quarter of
    the line's height."""
    x0, y0, x1, y1 = band
    bh = max(1, y1 - y0)
    tall = max_h or 2.0 * bh  # a line taller than this reads something else across the band
    free = np.ones(max(0, x1 - x0), bool)
    rows = []
    for l in lines:
        b = l.bbox
        lh = b[3] - b[1]
        iy = min(b[3], y1) - max(b[1], y0)
        if iy < 0.5 * min(bh, lh) or lh > tall:
            continue
        pad = int(lh // 4)
        a, e = int(b[0]) - x0 - pad, int(np.ceil(b[2])) - x0 + pad
        free[max(0, a) : max(0, e)] = False
        rows.append(b)
    out, i = [], 0
    while i < len(free):
        if free[i]:
            j = i
            while j < len(free) and free[j]:
                j += 1
            rx0, rx1 = x0 + i, x0 + j
            ty0, ty1 = y0, y1
            if rows:  # the nearest read line of the band gives the row
                nb = min(rows, key=lambda b: max(b[0] - rx1, rx0 - b[2], 0.0))
                ty0, ty1 = max(y0, int(nb[1])), min(y1, int(np.ceil(nb[3])))
            out.append((rx0, ty0, rx1, ty1))
            i = j
        else:
            i += 1
    return out


def reread_box(engine: OcrEngine, view: np.ndarray, box: list[float], existing: list[OcrLine], min_score: float = 0.5) -> list[OcrLine]:
    """Recognise the uncovered ink bands inside `box` (view pixels) as new lines."""
    h, w = view.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return []
    gray = cv2.cvtColor(view[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    crops, boxes = [], []
    med_h = float(np.median([l.bbox[3] - l.bbox[1] for l in existing])) if existing else 0.0
    for bx0, by0, bx1, by1 in _split_tall(ink_bands(gray), gray, med_h):
        pad = max(2, (by1 - by0) // 4)
        band = [x0 + bx0 - pad, y0 + by0 - pad, x0 + bx1 + pad, y0 + by1 + pad]
        band = [max(0, band[0]), max(0, band[1]), min(w, band[2]), min(h, band[3])]
        # the parts of the band that no line of its own height has read: a line much taller
        # than the band (a watermark or a stamp read across it) does not stand for its text,
        # and a line read over part of it (the rest hidden under a watermark) only for that part
        # a line of text is at most about twice as tall as the view's typical line or the
        # band's ink (one row of characters may show as two bands: their tops and bottoms)
        for gb in _unread_runs(band, existing, 2.0 * max(med_h, by1 - by0)):
            gb = list(gb)
            if (gb[2] - gb[0]) < 1.2 * (gb[3] - gb[1]):
                continue
            m = _ink_mask(cv2.cvtColor(view[gb[1] : gb[3], gb[0] : gb[2]], cv2.COLOR_BGR2GRAY))
            if m.sum() < 0.02 * m.size:
                continue
            crops.append(view[gb[1] : gb[3], gb[0] : gb[2]])
            boxes.append(gb)
    out = []
    if not crops:
        return out
    # each crop also with its paler ink whitened (a grey watermark or a stamp over black
    # print): the reading the recogniser is surest of is kept
    variants = [[c] + [_darkest_ink(c, k) for k in DARK_LEVELS] for c in crops]
    flat = [v for vs in variants for v in vs]
    read = engine.recognize_lines(flat)
    n = len(DARK_LEVELS) + 1
    for i, gb in enumerate(boxes):
        cands = [l for l in read[i * n : (i + 1) * n] if l.text.strip()]
        if not cands:
            continue
        line = max(cands, key=lambda l: l.confidence)
        if line.confidence < min_score:
            continue
        line.polygon = [(gb[0], gb[1]), (gb[2], gb[1]), (gb[2], gb[3]), (gb[0], gb[3])]
        out.append(line)
    return out


DARK_LEVELS = (0.15,)  # keep ink darker than stroke + k x (paper - stroke)


def _darkest_ink(crop: np.ndarray, k: float) -> np.ndarray:
    """The crop with everything paler than its darkest strokes (by ``k`` of the way from the
    strokes' grey to the paper's) set to the paper's grey."""
    g = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    stroke, paper = np.percentile(g, 2), np.percentile(g, 90)
    t = stroke + k * max(0.0, paper - stroke)
    out = np.where(g <= t, g, np.uint8(paper)).astype(np.uint8)
    return cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)


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
