"""Printed option lists: "□1医疗卫生机构 □2.来院途中 □3.家中 …" with one option marked.

The value is the marked option's text. A mark read as text (☑ ■ √ ✓ ✔ before an option) decides;
otherwise, with the view image: the one option drawn round (one stroke reaching round its
text), else the one ticked (ink inside its printed box, the other boxes empty), else the one with clearly the most ink around it. Ruling lines that cross
the measured area are left out. When nothing is marked clearly the value is unknown (None):
the list itself is never a value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from extract.layout import Value, char_boxes
from ocr.base import OcrLine

BOXES = "□☐▢口"
MARKS = "☑☒■√✓✔▣"
# an option: its head (box or mark, list number, punctuation; the OCR often drops a ticked
# box or reads only part of the head) and its text, which holds no digit: a digit is the next
# option's number whose box was not read (养老服务机构5其他场所6.不详)
_OPTION = re.compile(
    rf"(?P<head>[{BOXES}{MARKS}]?\s*(?:\d{{1,2}})?\s*[.、．]?\s*)(?P<text>[^\s{BOXES}{MARKS}\d.、．][^\s{BOXES}{MARKS}\d]*)"
)


@dataclass
class Option:
    text: str
    marked_in_text: bool
    line: int
    start: int  # of the option's head (its box character when read)
    end: int
    number: int | None = None  # the list number printed in its head (3 of □3.家中), when read


def parse_options(lines: list[OcrLine], v: Value) -> list[Option]:
    """The options of the list in the value's spans, each with a head: a box, a mark or a list
    number (□2.来院途中, 3.家中 with its ticked box not read, .来院途中)."""
    out = []
    lead = None  # headless text that opens the list
    for sp in v.spans:
        t = lines[sp.line].text
        for m in _OPTION.finditer(t, sp.start, sp.end):
            head = m.group("head")
            if not head.strip():
                if not out and lead is None and not t[sp.start:m.start()].strip():
                    lead = Option(m.group("text"), False, sp.line, m.start(), m.end())
                continue
            if not out and lead is not None and re.search(r"2", head) and lead.line == sp.line:
                out.append(lead)  # option 1, its head (a box drawn over) not read, before □2
            num = re.search(r"\d{1,2}", head)
            out.append(Option(m.group("text"), any(c in MARKS for c in head), sp.line, m.start(), m.end(),
                              int(num.group()) if num else None))
    return out


def options_missing(opts: list[Option]) -> bool:
    """Are options of a numbered list missing (1, 2, 4, 5, 6 read: the third's text lost under a
    seal)? The one ticked may be the one not read, so a choice among the rest is unsure."""
    nums = [o.number for o in opts if o.number is not None]
    if len(nums) < 2:
        return False
    return any(b - a > 1 for a, b in zip(nums, nums[1:])) or (nums[0] > 1 and len(nums) == len(opts))


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


def _ink_mask(gray: np.ndarray, box: list[float]) -> tuple[np.ndarray, int, int]:
    """Dark pixels in `box` (clipped to the image), ruling lines that cross the whole box
    (a table's row and column rules) taken out; with the box's top-left corner."""
    import cv2

    H, W = gray.shape
    X0, Y0 = int(max(0, box[0])), int(max(0, box[1]))
    X1, Y1 = int(min(W, box[2])), int(min(H, box[3]))
    if X1 - X0 < 3 or Y1 - Y0 < 3:
        return np.zeros((0, 0), np.uint8), X0, Y0
    m = (gray[Y0:Y1, X0:X1] < 128).astype(np.uint8)
    h, w = m.shape
    hor = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, int(0.9 * w)), 1)))
    ver = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(3, int(0.9 * h)))))
    return m & ~(hor | ver), X0, Y0


def _encircled(gray: np.ndarray, box: list[float], h: float) -> bool:
    """Is there a stroke drawn round `box` (the option's text): one connected piece of ink
    reaching past both ends of the text, about as tall as the line or taller, and wider than
    any one character?"""
    import cv2

    pad_x, pad_y = 0.9 * h, 0.6 * h
    m, X0, Y0 = _ink_mask(gray, [box[0] - pad_x, box[1] - pad_y, box[2] + pad_x, box[3] + pad_y])
    if m.size == 0:
        return False
    n, _, st, _ = cv2.connectedComponentsWithStats(m, 8)
    tx0, tx1 = box[0] - X0, box[2] - X0
    slack = 0.3 * h
    for i in range(1, n):
        x, y, w, hh, area = st[i]
        if hh >= 0.8 * h and w >= 1.3 * h and x <= tx0 + slack and x + w >= tx1 - slack and area >= 2 * h:
            return True
    return False


def _box_fill(gray: np.ndarray, box: list[float], h: float) -> float:
    """Share of the inside of an option's printed box (□, found in its head `box` as the
    largest piece of ink about one character square) that is inked: 0 for an empty box, more
    where a tick or a cross runs through it."""
    import cv2

    m, _, _ = _ink_mask(gray, [box[0], box[1] - 0.35 * h, box[2], box[3] + 0.2 * h])
    if m.size == 0:
        return 0.0
    n, _, st, _ = cv2.connectedComponentsWithStats(m, 8)
    best = None
    for i in range(1, n):
        x, y, w, hh, _ = st[i]
        if 0.45 * h <= w <= 1.4 * h and 0.45 * h <= hh <= 1.5 * h and (best is None or w * hh > best[2] * best[3]):
            best = (x, y, w, hh)
    if best is None:
        return 0.0
    x, y, w, hh = best
    side = min(w, hh)  # a tick rising over the box makes the piece taller than the box
    y_top = y + hh - side
    inner = m[int(y_top + 0.25 * side): int(y_top + 0.75 * side), int(x + 0.25 * w): int(x + 0.75 * w)]
    return float(inner.mean()) if inner.size else 0.0


def _marked_by_ink(lines: list[OcrLine], opts: list[Option], gray: np.ndarray) -> Option | None:
    """The option drawn round, else the one whose box holds clearly more ink than the others'
    (the boxes are the same printed glyph, so a tick shows), else the one with clearly the
    most ink in a band around it."""
    geo = []
    for o in opts:
        l = lines[o.line]
        xs = char_boxes(l)
        a = o.start + l.text[o.start : o.end].index(o.text)
        b = a + len(o.text)
        h = l.bbox[3] - l.bbox[1]
        geo.append((
            [xs[a][0], l.bbox[1], xs[b - 1][1], l.bbox[3]],  # the option's text
            # its head (box and number): measured the same way for every option, also where
            # the OCR did not read the box (a tick over it makes it unreadable)
            [xs[a][0] - 2.0 * h, l.bbox[1], xs[a][0] - 0.05 * h, l.bbox[3]],
            [xs[o.start][0], l.bbox[1], xs[b - 1][1], l.bbox[3]],  # both
            h,
        ))
    circled = [o for o, (tb, _, _, h) in zip(opts, geo) if _encircled(gray, tb, h)]
    if len(circled) == 1:
        return circled[0]
    if circled:
        return None  # several drawn round: not decidable
    fills = [_box_fill(gray, bb, h) for _, bb, _, h in geo]
    order = np.argsort(fills)[::-1]
    best, second = fills[order[0]], fills[order[1]]
    if best >= 0.05 and best >= 3 * second:  # one box ticked, the others empty
        return opts[int(order[0])]
    scores = [_ring_ink(gray, both, h) for _, _, both, h in geo]
    order = np.argsort(scores)[::-1]
    best, second = scores[order[0]], scores[order[1]]
    if best > 0.02 and best > 1.8 * max(second, 1e-3):
        return opts[int(order[0])]
    return None


def _region(gray: np.ndarray, lines: list[OcrLine], opts: list[Option]) -> tuple[int, int, int, int, float]:
    """The options' lines with a line height's margin (x0, y0, x1, y1), and that height."""
    ids = sorted({o.line for o in opts})
    h = max(lines[i].bbox[3] - lines[i].bbox[1] for i in ids)
    H, W = gray.shape[:2]
    x0 = int(max(0, min(lines[i].bbox[0] for i in ids) - h))
    y0 = int(max(0, min(lines[i].bbox[1] for i in ids) - h))
    x1 = int(min(W, max(lines[i].bbox[2] for i in ids) + h))
    y1 = int(min(H, max(lines[i].bbox[3] for i in ids) + h))
    return x0, y0, x1, y1, h


def _flattened(gray: np.ndarray, lines: list[OcrLine], opts: list[Option]) -> np.ndarray:
    """The options' region with its light made even: each pixel over the paper's brightness
    round it (the brightest within two line heights, smoothed), the paper white, so that a
    shadow or a lighting gradient across the list (paper darker than the fixed ink threshold)
    is paper, and its edge no stroke; the rest of the image as it is."""
    import cv2

    x0, y0, x1, y1, h = _region(gray, lines, opts)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return gray
    crop = gray[y0:y1, x0:x1]
    k = max(3, int(2 * h)) | 1
    paper = cv2.dilate(crop, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    paper = cv2.blur(paper.astype(np.float32), (k, k))
    if float(paper.min()) >= 0.9 * float(np.percentile(paper, 95)):
        return gray  # even light: as it is
    out = gray.copy()
    out[y0:y1, x0:x1] = np.clip(crop.astype(np.float32) * (255.0 / np.maximum(paper, 1.0)), 0, 255).astype(np.uint8)
    return out


def _stretched(gray: np.ndarray, lines: list[OcrLine], opts: list[Option]) -> np.ndarray:
    """A faded print (its darkest ink light grey, below the fixed ink threshold's reach) with
    its levels stretched: the darkest ink round the options to black, the paper to white. A
    print with dark ink, or too little contrast to tell ink from paper, is left as it is."""
    x0, y0, x1, y1, _ = _region(gray, lines, opts)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return gray
    ink, paper = np.percentile(gray[y0:y1, x0:x1], [1, 60])
    if ink < 110 or paper - ink < 40:
        return gray
    lut = np.clip((np.arange(256, dtype=np.float32) - ink) * 255.0 / (paper - ink), 0, 255).astype(np.uint8)
    return lut[gray]


def choose(lines: list[OcrLine], v: Value, image: np.ndarray | None) -> tuple[str | None, Value | None, bool]:
    """The marked option's text and its place, or (None, None, False); and whether the choice is
    unsure: made by the ink round the options of a list some of whose options were not read."""
    opts = parse_options(lines, v)
    if len(opts) < 2:
        return None, None, False
    marked = [o for o in opts if o.marked_in_text]
    pick: Option | None = marked[0] if len(marked) == 1 else None
    if pick is None and image is not None:
        import cv2

        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        pick = _marked_by_ink(lines, opts, _stretched(_flattened(gray, lines, opts), lines, opts))
    if pick is None:
        return None, None, False
    from extract.layout import span_of

    t = lines[pick.line].text
    a = pick.start + t[pick.start : pick.end].index(pick.text)
    unsure = not pick.marked_in_text and options_missing(opts)
    return pick.text, Value([span_of(lines, pick.line, a, a + len(pick.text))], source=v.source), unsure
