"""Seals, stamps and diagonal marks: text that must never become a field value.

A hospital's red seal (诊断证明专用章, its name on an arc) is often stamped over the date or the
signature; a copy may carry a diagonal "复印无效" or a red framed stamp. OCR reads pieces of
them as lines. A line is seal text when

- it is short and names a seal (专用章, 公章, 印章 …), or
- it is clearly rotated (arc pieces, diagonal watermarks): the top edge of its box is more than
  :data:`MAX_ANGLE` degrees off the horizontal of an upright view, or
- (with the image) its ink is mostly red and it lies inside a red, roughly round blob (a seal);
  a hospital name printed in red in the header is not inside a seal and stays.

The classifier still sees every line (a seal's 诊断证明专用章 is good evidence for the type);
only field extraction works on the lines that remain.
"""
from __future__ import annotations

import math
import re

import numpy as np

from ocr.base import OcrLine

SEAL_WORDS = re.compile(r"专用章|公章|印章|财务章|合同章|业务章|用章$|专用.?$|^[\u4e00-\u9fff]{0,4}章$")
MAX_SEAL_TEXT = 12  # a longer line that mentions a seal is a note ("需加盖…专用章方有效")
MAX_ANGLE = 12.0
RED_SHARE = 0.7


def is_seal_text(text: str) -> bool:
    t = re.sub(r"[\s\u3000]+", "", text)
    return 0 < len(t) <= MAX_SEAL_TEXT and bool(SEAL_WORDS.search(t))


def line_angle(line: OcrLine) -> float:
    """Angle in degrees (0 = horizontal) of the top edge of a line's polygon."""
    p = line.polygon
    if len(p) < 2:
        return 0.0
    (x0, y0), (x1, y1) = p[0], p[1]
    a = math.degrees(math.atan2(y1 - y0, x1 - x0))
    a = (a + 180.0) % 360.0 - 180.0
    # a polygon listed from another corner: fold to the nearest multiple of 90
    return abs(((a + 45.0) % 90.0) - 45.0) if abs(a) > 45 else abs(a)


def is_rotated(line: OcrLine, max_angle: float = MAX_ANGLE) -> bool:
    if len(line.text.strip()) <= 1:  # one character: its box angle means little
        return False
    return line_angle(line) > max_angle


def red_mask(image: np.ndarray) -> np.ndarray:
    """Pixels of red ink (BGR image): red clearly above green and blue."""
    if image is None or image.ndim != 3 or image.shape[2] < 3:
        return np.zeros(image.shape[:2] if image is not None else (0, 0), bool)
    b = image[..., 0].astype(np.int16)
    g = image[..., 1].astype(np.int16)
    r = image[..., 2].astype(np.int16)
    return (r - np.maximum(g, b) > 45) & (r > 90)


def ink_mask(image: np.ndarray) -> np.ndarray:
    gray = image.mean(axis=2) if image.ndim == 3 else image.astype(np.float32)
    return (gray < 170) | red_mask(image)


def colored_ink_mask(image: np.ndarray) -> np.ndarray:
    """Pixels of coloured ink (any hue: red seals, blue or violet pen): clearly saturated and
    not as light as the paper. Black and grey print, and pale card backgrounds, are not in it."""
    import cv2

    if image is None or image.ndim != 3 or image.shape[2] < 3:
        return np.zeros(image.shape[:2] if image is not None else (0, 0), bool)
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    s, v = hsv[..., 1], hsv[..., 2]
    strong = (s > 70) & (v > 50) & (v < 250)
    # a pale mark (a semi-transparent printed 仅供…使用): clearly coloured, and much lighter in its
    # brightest channel than in grey, so that a colour dropout takes it for paper
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.int16)
    pale = (s > 25) & (v.astype(np.int16) - gray > 20) & (v < 250)
    return strong | pale


def _box_mask(shape, boxes) -> np.ndarray:
    H, W = shape[:2]
    inside = np.zeros((H, W), bool)
    for x0, y0, x1, y1 in boxes:
        inside[max(0, int(y0)) : min(H, int(y1)), max(0, int(x0)) : min(W, int(x1))] = True
    return inside


def colored_ink_share(image: np.ndarray, boxes=None) -> float:
    """Share of coloured-ink pixels (inside `boxes` when given)."""
    m = colored_ink_mask(image)
    if boxes is not None:
        inside = _box_mask(image.shape, boxes)
        return float(m[inside].mean()) if inside.any() else 0.0
    return float(m.mean()) if m.size else 0.0


# a blue mark whose ink is dark even in its own colour's channel (a ballpoint's: its median
# brightest channel under DARK_INK of the paper): at or above OWN_INK of that a pixel is the
# mark's ink alone (a red stamp's ink lets the red through: its rule is the paper's)
DARK_INK = 0.7
OWN_INK = 0.85


def suppress_colored_ink(image: np.ndarray, boxes=None) -> np.ndarray:
    """The image with coloured ink (inside `boxes` when given) whitened to the paper's tone;
    black strokes under the ink stay dark (they are not saturated), so a value stamped or
    written over reads again. For documents whose values are printed in black
    (`printed_ink: black`); their labels may be coloured, so pass the value boxes."""
    import cv2

    m = colored_ink_mask(image)
    if boxes is not None:
        m &= _box_mask(image.shape, boxes)
    if not m.any():
        return image
    m = cv2.dilate(m.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0  # the ink's blended rim
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    paper = float(np.percentile(gray[~m], 90)) if (~m).any() else 255.0
    out = image.copy()
    # a colour dropout: each masked pixel as light as its brightest channel (the ink of the
    # mark is light there; print under a semi-transparent mark stays darker, where whitening
    # would have cut it away), and what is then nearly paper is paper
    mx = image.max(axis=2)
    # the mark's own ink is as light as its brightest channel is in most of its pixels (a red
    # stamp's red channel: paper; a blue pen's blue channel: mid-grey); print under it darker
    own = float(np.median(mx[m]))
    blue = float(np.median(image[..., 0][m].astype(np.int16) - image[..., 2][m].astype(np.int16))) > 0
    light = mx >= (OWN_INK * own if blue and own < DARK_INK * paper else 0.8 * paper)
    out[m & light] = int(paper)
    dark = m & ~light
    out[dark] = mx[dark][:, None]
    return out


# A seal's ring is thin: about R/20..R/14 printed (under a twentieth of its radius as red ink,
# a tenth blurred); a bank's round logo is a thick ring or a filled mark (a fifth of its radius
# or more), a glyph of a red name is strokes, not a ring.
MAX_RING_THICKNESS = 0.12  # of the radius, for a closed rim
MAX_ARC_THICKNESS = 0.16  # for a broken one (patchy ink, a seal in pieces): measured less surely
CLOSED_RIM = 0.6  # share of the rays that meet the rim (:func:`ring_profile`)
MIN_DARK_UNDER = 0.03  # share of a blob's box in dark print that is not red: a stamp over text


def _dark_share(img: np.ndarray, red: np.ndarray, box) -> float:
    """Share of the box (x, y, w, h) in dark ink that is not red (black print under a stamp)."""
    x, y, w, h = (int(v) for v in box)
    crop = img[y : y + h, x : x + w]
    if not crop.size:
        return 0.0
    gray = crop.astype(np.float32).mean(axis=2)
    paper = float(np.percentile(gray, 90))
    # dark and grey (not a saturated colour): print, in a photo grey rather than black
    grey = crop.max(axis=2).astype(np.int16) - crop.min(axis=2).astype(np.int16) < 40
    return float(((gray < 0.62 * paper) & grey & ~red[y : y + h, x : x + w]).mean())


def _in_red_text_row(stats: np.ndarray, i: int, min_glyphs: int = 3) -> bool:
    """Whether blob `i` of the components' `stats` stands in a horizontal row of red glyphs:
    at least `min_glyphs` blobs of about its height, centred on its row, each close beside the
    next (red printed text: a bank's or a hospital's name). A seal stands alone, or broken into
    two pieces by patchy ink."""

    def beside(p, q) -> bool:
        x, y, w, h = (float(v) for v in stats[p][:4])
        x2, y2, w2, h2 = (float(v) for v in stats[q][:4])
        if not 0.6 * h <= h2 <= 1.4 * h or abs(y2 + h2 / 2 - (y + h / 2)) > 0.25 * h:
            return False
        gap = max(x2 - (x + w), x - (x2 + w2))
        return -0.05 * h <= gap < 0.6 * h  # beside it, not overlapping it

    row, todo = {i}, [i]
    while todo and len(row) < min_glyphs:
        p = todo.pop()
        for q in range(1, len(stats)):
            if q not in row and beside(p, q):
                row.add(q)
                todo.append(q)
    return len(row) >= min_glyphs


def ring_profile(mask: np.ndarray, box: tuple[int, int, int, int], rays: int = 48) -> tuple[float, float]:
    """(cover, thickness) of the blob in `box` (x, y, w, h) of a boolean ink `mask`, seen along
    rays from the box's centre: `cover` is the share of rays whose first ink coming in from
    outside lies at the rim (beyond 0.78 of the ellipse inscribed in the box), `thickness` the
    median length of that first run of ink, as a share of the radius along the ray. A seal's
    ring is thin (under :data:`MAX_RING_THICKNESS`, however patchy or broken its ink: cover
    varies); a filled disc or mark has thickness near 1, a thick logo ring a seventh or more."""
    x, y, w, h = (float(v) for v in box)
    cx, cy, rx, ry = x + w / 2.0, y + h / 2.0, max(1.0, w / 2.0), max(1.0, h / 2.0)
    H, W = mask.shape[:2]
    hits, runs = 0, []
    for k in range(rays):
        a = 2 * math.pi * k / rays
        dx, dy = math.cos(a), math.sin(a)
        R = 1.0 / math.sqrt((dx / rx) ** 2 + (dy / ry) ** 2)
        steps = np.arange(1.12 * R, 0.0, -0.5)
        xs = np.clip(np.round(cx + dx * steps).astype(int), 0, W - 1)
        ys = np.clip(np.round(cy + dy * steps).astype(int), 0, H - 1)
        v = mask[ys, xs]
        on = np.flatnonzero(v)
        if not len(on) or steps[on[0]] < 0.78 * R:
            continue
        hits += 1
        i0 = int(on[0])
        off = np.flatnonzero(~v[i0:])
        j = i0 + (int(off[0]) if len(off) else len(v) - i0)
        runs.append((steps[i0] - steps[j - 1] + 0.5) / R)
    return hits / rays, (float(np.median(runs)) if runs else 1.0)


def seal_regions(image: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Boxes (x0, y0, x1, y1) of red, roughly round blobs as large as a seal, whose rim is a
    thin ring (:func:`ring_profile`): a bank's round logo next to its red name (a thick ring
    round a square, a filled disc) is no seal, and whitening it would cut the name."""
    import cv2

    if image is None or image.ndim != 3:
        return []
    H, W = image.shape[:2]
    scale = 1.0
    img = image
    if max(H, W) > 1400:
        scale = 1400.0 / max(H, W)
        img = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    lo = 0.06 * min(img.shape[:2])
    hi = 0.5 * min(img.shape[:2])
    k = max(3, int(round(min(img.shape[:2]) * 0.008)))
    out: list[tuple[int, int, int, int]] = []
    # clearly red ink first; then, where no seal was found so, red ink against the paper's own
    # tint (a faded or blurred stamp whose ring breaks into pieces when only clear red counts)
    for raw in (red_mask(img), None):
        if raw is None:
            if out:
                break
            raw = faint_red_mask(img)
        m = raw.astype(np.uint8) * 255
        if not m.any():
            continue
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)), iterations=2)
        n, _, stats, _ = cv2.connectedComponentsWithStats(m, 8)
        for i in range(1, n):
            x, y, w, h, area = stats[i]
            if w < lo or h < lo or max(w, h) > hi or not (0.55 <= w / max(1, h) <= 1.8):
                continue
            # a ring with text and a star: neither a few stray pixels nor a filled red area
            # (a red bank card, a red header band)
            if not 0.04 * w * h <= area <= 0.5 * w * h:
                continue
            cover, thick = ring_profile(raw, (x, y, w, h))
            ring = thick <= (MAX_RING_THICKNESS if cover >= CLOSED_RIM else MAX_ARC_THICKNESS)
            # not a seal's thin ring (a logo's thick ring or filled mark, 招商银行's), or a glyph of
            # a red name printed in a row (行 of 中国银行): whitened only when it lies over black
            # print (the glyphs of a 复印无效 stamp over an ID number), which the OCR then reads
            if (not ring or _in_red_text_row(stats, i)) and _dark_share(img, raw, (x, y, w, h)) < MIN_DARK_UNDER:
                continue
            out.append(_grown(img, (x, y, w, h), hi))
    return [(x / scale, y / scale, (x + w) / scale, (y + h) / scale) for x, y, w, h in out]


def faint_red_mask(image: np.ndarray) -> np.ndarray:
    """Pixels of red ink however faint, against the paper's own tint (a photo's paper is grey,
    pink or yellow): red above green and blue by :data:`FAINT_RED` once the paper is white."""
    n = image.astype(np.float32) * (255.0 / _paper_tint(image[::4, ::4]))
    return ((n[..., 2] - np.maximum(n[..., 0], n[..., 1])) > FAINT_RED + 10) & (n[..., 2] > 120)


FAINT_RED = 20  # red over green and blue by this much: a seal's faint or worn ink


def _grown(img: np.ndarray, box, hi: float) -> tuple[int, int, int, int]:
    """The seal's box (x, y, w, h) grown over its fainter ink: a worn or pale stamp shows
    only part of its ring as clearly red, and the rest of it (and the star, the arc of text)
    stays over the print unless the whole round blob is taken. The blob of faint red ink
    around the clearly red part, if it is about as round and not larger than a seal."""
    import cv2

    x, y, w, h = (int(v) for v in box)
    H, W = img.shape[:2]
    pad = int(0.6 * max(w, h))
    a, b, c, d = max(0, x - pad), max(0, y - pad), min(W, x + w + pad), min(H, y + h + pad)
    crop = img[b:d, a:c]
    roi = crop.astype(np.float32) * (255.0 / _paper_tint(crop))  # against the paper's tint
    faint = ((roi[..., 2] - np.maximum(roi[..., 0], roi[..., 1])) > FAINT_RED).astype(np.uint8) * 255
    k = max(3, int(round(min(H, W) * 0.008)))
    faint = cv2.morphologyEx(faint, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)), iterations=2)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(faint, 8)
    core = lab[y - b : y - b + h, x - a : x - a + w]
    ids = [i for i in np.unique(core) if i > 0 and stats[i, cv2.CC_STAT_AREA] > 0.02 * w * h]
    if not ids:
        return x, y, w, h
    gx0 = min([x - a] + [int(stats[i, 0]) for i in ids])
    gy0 = min([y - b] + [int(stats[i, 1]) for i in ids])
    gx1 = max([x - a + w] + [int(stats[i, 0] + stats[i, 2]) for i in ids])
    gy1 = max([y - b + h] + [int(stats[i, 1] + stats[i, 3]) for i in ids])
    gw, gh = gx1 - gx0, gy1 - gy0
    if max(gw, gh) > hi or not (0.75 <= gw / max(1, gh) <= 1.33) or gw * gh > 2.5 * w * h:
        return x, y, w, h
    return a + gx0, b + gy0, gw, gh


def red_share(image: np.ndarray, bbox: list[float]) -> float:
    """Share of red among the ink pixels inside `bbox`."""
    H, W = image.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in bbox)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    crop = image[y0:y1, x0:x1]
    ink = ink_mask(crop)
    n = int(ink.sum())
    if n < 10:
        return 0.0
    return float((red_mask(crop) & ink).sum()) / n


def seal_lines(lines: list[OcrLine], image: np.ndarray | None = None) -> set[int]:
    """Indices of the lines that are seal or stamp text."""
    out = {i for i, l in enumerate(lines) if is_seal_text(l.text) or is_rotated(l)}
    if image is not None and image.ndim == 3 and len(lines):
        regions = seal_regions(image)
        if regions:
            clean, paper = None, 255.0
            for i, l in enumerate(lines):
                if i in out:
                    continue
                x0, y0, x1, y1 = l.bbox
                cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
                inside = any(r[0] <= cx <= r[2] and r[1] <= cy <= r[3] for r in regions)
                if inside and red_share(image, l.bbox) >= RED_SHARE:
                    if clean is None:
                        clean = remove_seals(image, regions)
                        paper = float(np.percentile(clean[::4, ::4].mean(axis=2), 90))
                    # pale print under a seal looks red too: what stays once the seal's ink is
                    # whitened is print, and the line is that print's
                    if _print_share(clean, l.bbox, paper) < PRINT_UNDER_SEAL:
                        out.add(i)
    return out


PRINT_UNDER_SEAL = 0.04  # share of a line's box in grey ink once the seal's red is whitened


def grey_ink_share(image: np.ndarray, box: list[float], paper: float, dark: float, spread: int, min_side: int) -> float:
    """Share of `box` (clipped to the image) in unsaturated ink darker than `dark` x `paper`
    (colour channels within `spread` of each other: print or a black pen, not a red seal);
    0 for a box under `min_side` pixels either way."""
    H, W = image.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
    if x1 - x0 < min_side or y1 - y0 < min_side:
        return 0.0
    crop = image[y0:y1, x0:x1]
    if crop.ndim == 3:
        gray = crop.astype(np.float32).mean(axis=2)
        grey = (crop.max(axis=2).astype(np.int16) - crop.min(axis=2).astype(np.int16)) < spread
    else:
        gray, grey = crop.astype(np.float32), np.ones(crop.shape, bool)
    return float(((gray < dark * paper) & grey).mean())


def _print_share(image: np.ndarray, bbox: list[float], paper: float) -> float:
    return grey_ink_share(image, bbox, paper, dark=0.75, spread=40, min_side=2)


def without_seals(lines: list[OcrLine], image: np.ndarray | None = None) -> list[OcrLine]:
    drop = seal_lines(lines, image)
    out = []
    for i, l in enumerate(lines):
        if i not in drop:
            out.append(l)
        elif (kept := print_before_seal(l, image)) is not None:
            out.append(kept)
    return out


# a line read as print followed by a seal's horizontal words (小儿肺炎 + 务专用章 of 业务专用章)
_SEAL_TAIL = re.compile(r"^(?P<pre>.{2,})(?P<seal>专用章|公章|印章)$")
# the seal part's ink is redder than the print part's (red over green and blue, in levels:
# a pale, copied seal's red is faint, and the paper's tint reddens print a little too) by this
# much, and the print part's at most this share of the seal part's
SEAL_TAIL_RED = 12.0
PRINT_RED = 0.6


def _redness(image: np.ndarray, box) -> float | None:
    """Mean red excess (R - max(G, B)) of the ink in a box: pixels 40 levels darker than its
    paper. None when the box holds too little ink."""
    H, W = image.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    crop = image[max(0, y0):min(H, y1), max(0, x0):min(W, x1)].astype(np.int16)
    if crop.size == 0:
        return None
    gray = crop.mean(axis=2)
    ink = gray < np.percentile(gray, 90) - 40
    if ink.sum() < 10:
        return None
    red = crop[..., 2] - np.maximum(crop[..., 0], crop[..., 1])
    return float(red[ink].mean())


def print_before_seal(line: OcrLine, image: np.ndarray | None) -> OcrLine | None:
    """The print part of a line the recogniser ran on into a seal's words: the characters
    before the seal's words, when the image shows them in dark ink and the seal's words in red
    (a seal stamped beside a diagnosis, its 业务专用章 level with the line). Where the seal's
    words begin (业务专用章, 诊断证明专用章) is where the ink turns red most. Else None."""
    m = _SEAL_TAIL.match(line.text)
    if m is None or image is None or image.ndim != 3 or is_rotated(line):
        return None
    x0, y0, x1, y1 = line.bbox
    n = len(line.text)
    best = None
    for k in range(len(m.group("pre")), 1, -1):
        if n - k > len(m.group("seal")) + 4:
            break
        # the seal's words are CJK characters of the print's size: the cut in proportion (the
        # recogniser's character positions drift over a run-on line)
        cut = x0 + (x1 - x0) * k / n
        pre, tail = _redness(image, [x0, y0, cut, y1]), _redness(image, [cut, y0, x1, y1])
        if pre is None or tail is None or tail - pre < SEAL_TAIL_RED or pre > PRINT_RED * tail:
            continue
        if best is None or tail - pre > best[0]:
            best = (tail - pre, k, cut)
    if best is None:
        return None
    _, k, cut = best
    w = max(1.0, x1 - x0)
    return OcrLine(
        text=line.text[:k],
        confidence=line.confidence,
        polygon=[(x0, y0), (cut, y0), (cut, y1), (x0, y1)],
        char_confidences=line.char_confidences[:k] if line.char_confidences else None,
        char_alternatives=line.char_alternatives[:k] if line.char_alternatives else None,
        char_positions=[min(1.0, p * w / max(1.0, cut - x0)) for p in line.char_positions[:k]] if line.char_positions else None,
    )


RIM_EXCESS = 12  # red over green and blue by this much, next to red ink: the seal's rim


# Under red ink the red channel shows what lies beneath (red ink passes red light): the seal's
# own ink is about as bright as the paper in it, print under the seal stays dark. Red-channel
# values below UNDER_DARK x paper are print (kept as they are); above UNDER_PALE x paper, the
# seal's ink (whitened to the paper); between, a ramp (the blended edges of print under ink).
UNDER_DARK = 0.78
UNDER_PALE = 0.92


DENSE_RED = (0.4, 0.5)  # red above green and blue by these shares of the paper: surely seal ink


def _paper_tint(roi: np.ndarray) -> np.ndarray:
    """The paper's colour (B, G, R) in a crop: the median of its brighter part (the paper, not
    the ink), per channel."""
    f = roi.reshape(-1, roi.shape[-1]).astype(np.float32)
    lum = f.mean(axis=1)
    bright = f[lum >= np.percentile(lum, 30)] if len(f) > 16 else f
    return np.maximum(1.0, np.median(bright, axis=0))[:3]


def _under_red(r: np.ndarray, paper: float) -> np.ndarray:
    """The grey of what lies under red ink, from the red channel `r` (int16) of its pixels."""
    lo, hi = UNDER_DARK * paper, UNDER_PALE * paper
    rf = r.astype(np.float32)
    t = np.clip((rf - lo) / max(1.0, hi - lo), 0.0, 1.0)
    return np.clip(rf + t * (paper - rf), 0, 255).astype(np.uint8)


def remove_seals(image: np.ndarray, regions: list[tuple[float, float, float, float]] | None = None) -> np.ndarray:
    """The image with the red ink of seals whitened (inside the seal blobs only, so a header
    printed in red stays): text stamped over keeps its black or blue strokes, and the OCR
    reads it instead of the seal. Returns the image itself when there is no seal."""
    import cv2

    if image is None or image.ndim != 3:
        return image
    regions = seal_regions(image) if regions is None else regions
    if not regions:
        return image
    out = image.copy()
    H, W = image.shape[:2]
    for x0, y0, x1, y1 in regions:
        pad = 0.05 * max(x1 - x0, y1 - y0)
        a, b = int(max(0, x0 - pad)), int(max(0, y0 - pad))
        c, d = int(min(W, x1 + pad)), int(min(H, y1 + pad))
        roi = out[b:d, a:c]
        if not roi.size:
            continue
        # the red channel of red ink is as bright as the paper; dark ink stays dark in it
        m = red_mask(roi)
        # colours as seen against the paper's own tint (a photo's paper is grey, pink or
        # yellow): the seal's pale rim and worn ink (blended with the paper), which the detector
        # otherwise still sees as strokes next to the text. Inside a seal's blob any reddish
        # pixel is its ink: what lies under it is kept by _under_red, which whitens only what
        # is as bright as the paper in the red channel.
        tint = _paper_tint(roi)
        n = roi.astype(np.float32) * (255.0 / tint)
        r = n[..., 2]
        strong = m.copy()
        m |= (r - np.maximum(n[..., 0], n[..., 1])) > RIM_EXCESS
        # how much red light the seal's ink itself lets through (a photo's red ink is darker
        # than the paper even in the red channel): the red channel divided by it is what lies
        # under the ink
        through = float(np.clip(np.median(r[strong]) / 255.0, 0.5, 1.0)) if strong.sum() > 20 else 1.0
        u = _under_red(np.minimum(255.0, r / through), 255.0).astype(np.float32) / 255.0
        # dense seal ink (strokes printed over each other) is darker in the red channel too,
        # but it stays strongly red; print under ink loses its redness with its brightness
        sat = (r - np.maximum(n[..., 0], n[..., 1])) / 255.0
        u = np.maximum(u, np.clip((sat - DENSE_RED[0]) / (DENSE_RED[1] - DENSE_RED[0]), 0.0, 1.0))
        roi[m] = np.clip(u[m][:, None] * tint[None, :], 0, 255).astype(np.uint8)
    return out
