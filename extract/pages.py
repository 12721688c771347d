"""Page preparation: image normalisation, quality warnings, skew and orientation, card regions.

Everything here is plain OpenCV (with the contrib fast line detector when present) + numpy, no
OCR, and works on downscaled copies so that one call costs milliseconds to a few tens of
milliseconds on a 2000 x 3000 page.

Coordinate conventions
----------------------
* Points are ``(x, y)`` in pixels, OpenCV style: the centre of pixel ``(i, j)`` is ``(j, i)``.
* Every transform returned here maps *original* coordinates to *new* coordinates:
  ``deskew`` and ``rotate90`` return a 2x3 affine matrix, ``warp_quad`` a 3x3 homography
  ``H`` (page -> crop) and its inverse ``H_inv`` (crop -> page).  ``map_points`` and ``map_bbox``
  accept either kind, so a box found on a crop or on a deskewed page is brought back to page
  pixels with ``map_bbox(H_inv, box)`` or ``map_bbox(invert_affine(M), box)``.
* Angles are in degrees, counter-clockwise as the image is displayed (the sign convention of
  ``cv2.getRotationMatrix2D``): a text line rising to the right has a positive skew.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

__all__ = [
    "CARD_ASPECT",
    "CardRegion",
    "QUALITY_WARNINGS",
    "deskew",
    "estimate_skew",
    "find_card_regions",
    "find_page_quad",
    "invert_affine",
    "map_bbox",
    "map_points",
    "page_warp_size",
    "quality_warnings",
    "rotate90",
    "text_orientation",
    "to_bgr",
    "warp_quad",
]

#: ISO/IEC 7810 ID-1: 85.6 x 54 mm.
CARD_ASPECT = 85.6 / 54.0
#: accepted long/short ratio of a found card after perspective correction.
CARD_ASPECT_RANGE = (1.45, 1.75)
#: the vocabulary of :func:`quality_warnings`, in the order they are reported.
QUALITY_WARNINGS = ("too_small", "too_dark", "low_contrast", "blurry", "glare")

# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------


def to_bgr(image) -> np.ndarray:
    """Return ``image`` as a C-contiguous uint8 BGR array (H x W x 3).

    Accepts numpy arrays (greyscale H x W or H x W x 1, grey + alpha, BGR, BGRA; uint8, uint16,
    other integer types, bool, float in 0..1 or 0..255), PIL images of any mode (palette ``P``,
    ``1``, ``L``, ``LA``, ``RGB``, ``RGBA``, ``I;16``, ``I``, ``F``, ``CMYK`` ...) and encoded image
    bytes.  Numpy colour arrays are taken to be in OpenCV (BGR / BGRA) order, PIL images in their
    own (RGB) order.  Transparent pixels are composited over white.  16-bit values are scaled
    down by 257 (values that all fit in 0..255 are kept as they are).  A uint8 BGR input is
    returned as is, not copied.
    """
    if isinstance(image, (bytes, bytearray, memoryview)):
        buf = np.frombuffer(image, np.uint8)
        arr = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
        if arr is None:
            raise ValueError("to_bgr: could not decode image bytes")
        return to_bgr(arr)
    if hasattr(image, "mode") and hasattr(image, "convert") and not isinstance(image, np.ndarray):
        return _pil_to_bgr(image)
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 3 and arr.dtype == np.uint8:
        return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise ValueError(f"to_bgr: unsupported image shape {arr.shape}")
    arr = _to_uint8(arr)
    if arr.ndim == 2:
        return cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR)
    c = arr.shape[2]
    if c == 1:
        return cv2.cvtColor(np.ascontiguousarray(arr[:, :, 0]), cv2.COLOR_GRAY2BGR)
    if c == 2:
        bgr = cv2.cvtColor(np.ascontiguousarray(arr[:, :, 0]), cv2.COLOR_GRAY2BGR)
        return _over_white(bgr, arr[:, :, 1])
    if c == 3:
        return np.ascontiguousarray(arr)
    if c == 4:
        arr = np.ascontiguousarray(arr)
        return _over_white(cv2.cvtColor(arr, cv2.COLOR_BGRA2BGR), cv2.extractChannel(arr, 3))
    raise ValueError(f"to_bgr: unsupported number of channels {c}")


def _to_uint8(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.integer):
        hi = int(arr.max()) if arr.size else 0
        lo = int(arr.min()) if arr.size else 0
        if lo >= 0 and hi <= 255:
            return arr.astype(np.uint8)
        if lo >= 0 and hi <= 65535:
            return (arr.astype(np.uint32) // 257).astype(np.uint8)
        a = arr.astype(np.float64)
        return np.clip((a - lo) * (255.0 / max(1, hi - lo)), 0, 255).astype(np.uint8)
    a = np.nan_to_num(arr.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
    if a.size and float(a.max()) <= 1.0 + 1e-6 and float(a.min()) >= -1e-6:
        a = a * 255.0
    return np.clip(a + 0.5, 0, 255).astype(np.uint8)


def _over_white(bgr: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite over white: 255 - (255 - bgr) * alpha / 255, in uint8 arithmetic."""
    alpha = np.ascontiguousarray(_to_uint8(alpha))
    if int(alpha.min()) == 255:
        return np.ascontiguousarray(bgr)
    inv = cv2.bitwise_not(np.ascontiguousarray(bgr))
    a3 = cv2.merge([alpha, alpha, alpha])
    return cv2.bitwise_not(cv2.multiply(inv, a3, scale=1.0 / 255.0))


def _pil_to_bgr(im) -> np.ndarray:
    mode = im.mode
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode == "PA":
        im = im.convert("RGBA")
    elif mode == "1":
        im = im.convert("L")
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        im = im.convert("RGB")
    elif mode == "RGBa":
        im = im.convert("RGBA")
    elif mode == "La":
        im = im.convert("LA")
    mode = im.mode
    arr = np.asarray(im)
    if mode == "RGB":
        return cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_RGB2BGR)
    if mode == "RGBA":
        bgr = cv2.cvtColor(np.ascontiguousarray(arr[:, :, :3]), cv2.COLOR_RGB2BGR)
        return _over_white(bgr, arr[:, :, 3])
    if mode == "RGBX":
        return cv2.cvtColor(np.ascontiguousarray(arr[:, :, :3]), cv2.COLOR_RGB2BGR)
    return to_bgr(arr)  # L, LA, I;16*, I, F


def _gray(image) -> np.ndarray:
    arr = image if isinstance(image, np.ndarray) else None
    if arr is not None and arr.ndim == 2 and arr.dtype == np.uint8:
        return arr
    if arr is not None and arr.ndim == 3 and arr.shape[2] == 1 and arr.dtype == np.uint8:
        return np.ascontiguousarray(arr[:, :, 0])
    return cv2.cvtColor(to_bgr(image), cv2.COLOR_BGR2GRAY)


def _downscale(img: np.ndarray, max_side: int) -> tuple[np.ndarray, float, float]:
    """Resize so that the longer side is at most ``max_side``; return (img, sx, sy).

    Halves with ``pyrDown`` while it can (much faster than INTER_AREA on big pages), then
    finishes with a bilinear (or, for less than a halving, area) resize.  Small-image coordinates map back as ``(x + 0.5) / sx - 0.5``."""
    h, w = img.shape[:2]
    s = max_side / max(h, w)
    if s >= 1.0:
        return img, 1.0, 1.0
    nw, nh = max(1, int(round(w * s))), max(1, int(round(h * s)))
    cur = img
    while cur.shape[1] >= 2 * nw + 2 and cur.shape[0] >= 2 * nh + 2:
        cur = cv2.pyrDown(cur)
    if cur.shape[1] != nw or cur.shape[0] != nh:
        # at most a factor 2 is left after pyrDown: bilinear is close to area averaging there
        interp = cv2.INTER_LINEAR if cur is not img else cv2.INTER_AREA
        cur = cv2.resize(cur, (nw, nh), interpolation=interp)
    return cur, nw / w, nh / h


def _hist_percentiles(g: np.ndarray, qs, mask: np.ndarray | None = None) -> np.ndarray:
    hist = cv2.calcHist([g], [0], mask, [256], [0, 256]).ravel()
    total = hist.sum()
    if total <= 0:
        return np.zeros(len(qs))
    cdf = np.cumsum(hist) / total
    return np.array([float(np.searchsorted(cdf, q / 100.0)) for q in qs])


def _odd(v: float, lo: int = 3) -> int:
    v = max(lo, int(round(v)))
    return v if v % 2 else v + 1


def invert_affine(M) -> np.ndarray:
    """Inverse of a 2x3 affine matrix (or of a 3x3 homography, returned 3x3)."""
    M = np.asarray(M, np.float64)
    if M.shape == (3, 3):
        return np.linalg.inv(M)
    return cv2.invertAffineTransform(M)


def map_points(H, pts) -> np.ndarray:
    """Apply a 2x3 affine matrix or a 3x3 homography to points; returns an N x 2 float64 array."""
    H = np.asarray(H, np.float64)
    p = np.asarray(pts, np.float64).reshape(-1, 2)
    if H.shape == (2, 3):
        return p @ H[:, :2].T + H[:, 2]
    if H.shape != (3, 3):
        raise ValueError(f"map_points: expected a 2x3 or 3x3 matrix, got {H.shape}")
    q = p @ H[:, :2].T + H[:, 2]
    w = q[:, 2:3]
    w = np.where(np.abs(w) < 1e-12, 1e-12, w)
    return q[:, :2] / w


def map_bbox(H, bbox) -> list[float]:
    """Map an axis-aligned box [x0, y0, x1, y1]: the bbox of its 4 transformed corners."""
    x0, y0, x1, y1 = (float(v) for v in bbox)
    q = map_points(H, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    return [float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max())]


# ---------------------------------------------------------------------------------------------
# text analysis shared by skew, orientation and quality
# ---------------------------------------------------------------------------------------------

_TEXT_SIDE = 1024  # analysis resolution (longer side) for skew / orientation / quality


@dataclass
class _Text:
    mask: np.ndarray  # uint8 0/255, text-like components only (at analysis scale)
    char: float  # typical character size in analysis pixels (0 when no text)
    n_comp: int  # number of text-like components


def _text_mask(g: np.ndarray) -> _Text:
    """Binary mask of dark, text-sized components of a (downscaled) grey page."""
    h, w = g.shape
    p5, p95 = _hist_percentiles(g, (5, 95))
    C = float(np.clip(0.12 * (p95 - p5), 6, 14))
    m = cv2.adaptiveThreshold(g, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                              _odd(max(h, w) / 33), C)
    n, lab, st, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    if n <= 1:
        return _Text(np.zeros_like(m), 0.0, 0)
    cw, ch, area = st[:, 2], st[:, 3], st[:, 4]
    lim = 0.12 * min(h, w)
    keep = (area >= 3) & (cw <= lim) & (ch <= lim) & (area <= 0.9 * cw * ch + 1)
    # a blob almost filling its box is a rule / filled box, unless it is small (a dot, a stroke)
    keep &= ~((area > 0.8 * cw * ch) & (np.minimum(cw, ch) > 8))
    keep[0] = False
    idx = np.nonzero(keep)[0]
    if len(idx) < 3:
        return _Text(np.zeros_like(m), 0.0, int(len(idx)))
    sizes = np.maximum(cw[idx], ch[idx]).astype(np.float64)
    # characters, not specks: weight by size so that fragments count less
    char = float(np.percentile(sizes[sizes >= 3], 65)) if np.any(sizes >= 3) else 0.0
    lut = np.zeros(n, np.uint8)
    lut[idx] = 255
    return _Text(lut[lab], char, int(len(idx)))


def _blob_shapes(binary: np.ndarray, min_len: float = 0.0):
    """Per blob (external contour of a connected component) at least about ``min_len`` long:
    (length, thickness, visual angle in degrees, area, cx, cy), from the second moments of the
    filled contour."""
    cs, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    n_min = max(2, int(1.4 * min_len))  # the outline of a blob L long has about 2 L pixels
    ms = [cv2.moments(c) for c in cs if len(c) >= n_min]
    if not ms:
        z = np.zeros(0)
        return z, z, z, z, z, z
    M = np.array([(m["m00"], m["m10"], m["m01"], m["mu20"], m["mu02"], m["mu11"]) for m in ms])
    a = M[:, 0]
    ok = a > 0
    M, a = M[ok], a[ok]
    if len(a) == 0:
        z = np.zeros(0)
        return z, z, z, z, z, z
    cx, cy = M[:, 1] / a, M[:, 2] / a
    mu20, mu02, mu11 = M[:, 3] / a + 1 / 12, M[:, 4] / a + 1 / 12, M[:, 5] / a
    tr = (mu20 + mu02) / 2
    d = np.sqrt(((mu20 - mu02) / 2) ** 2 + mu11 ** 2)
    l1, l2 = tr + d, np.maximum(tr - d, 1e-6)
    # a contour's area misses half of its boundary pixels; thickness and length get them back
    length = np.sqrt(12 * l1) + 1.0
    thick = np.sqrt(12 * l2) + 1.0
    theta = 0.5 * np.degrees(np.arctan2(2 * mu11, mu20 - mu02))  # image coords, y down
    return length, thick, -theta, a, cx, cy


def _line_blobs(mask: np.ndarray, k: int, vertical: bool, min_len: float = 0.0):
    kern = np.ones((k, 1) if vertical else (1, k), np.uint8)
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kern)
    return _blob_shapes(closed, min_len)


def _direction_score(mask: np.ndarray, char: float, vertical: bool, kf: float) -> tuple[float, float]:
    """Total length of line-like blobs after closing along one direction, and their median angle."""
    k = max(2, int(round(kf * char)))
    length, thick, ang, area, _, _ = _line_blobs(mask, k, vertical, 2.5 * char)
    if length.size == 0:
        return 0.0, 0.0
    ref = 90.0 if vertical else 0.0
    dev = (ang - ref + 90.0) % 180.0 - 90.0
    ok = (length >= 3.0 * thick) & (length >= 2.5 * char) & (np.abs(dev) < 30) & \
         (thick <= 2.5 * char) & (area >= 0.35 * length * thick)
    if not np.any(ok):
        return 0.0, 0.0
    return float(length[ok].sum()), float(_weighted_median(dev[ok], length[ok]))


def _weighted_median(v: np.ndarray, w: np.ndarray) -> float:
    o = np.argsort(v)
    cw = np.cumsum(w[o])
    return float(v[o][np.searchsorted(cw, cw[-1] / 2.0)])


def _analyse_text(gray) -> tuple[_Text, np.ndarray]:
    g = _gray(gray)
    small, _, _ = _downscale(g, _TEXT_SIDE)
    return _text_mask(small), small


def _orientation_from(t: _Text) -> str:
    if t.char <= 0 or t.n_comp < 5:
        return "horizontal"
    votes = 0.0
    for kf in (0.45, 0.8):
        sh, _ = _direction_score(t.mask, t.char, False, kf)
        sv, _ = _direction_score(t.mask, t.char, True, kf)
        votes += (sv - sh) / max(sv + sh, 1e-6)
    return "vertical" if votes > 0.15 else "horizontal"


# ---------------------------------------------------------------------------------------------
# skew and orientation
# ---------------------------------------------------------------------------------------------


def text_orientation(gray) -> str:
    """``'horizontal'`` when text lines run left-right (page at 0 or 180 degrees), ``'vertical'``
    when they run top-bottom (page at 90 or 270).  Pages without detectable text: 'horizontal'.

    Decided from the shapes of line blobs: the text mask is closed along x and along y with a
    kernel shorter than the usual line gap, and the direction producing more long thin blobs
    wins.  Not meant for documents typeset vertically (traditional vertical Chinese)."""
    t, _ = _analyse_text(gray)
    return _orientation_from(t)


def estimate_skew(gray) -> float:
    """Dominant text-line angle in degrees, in (-20, 20), counter-clockwise positive.

    ``deskew(image, estimate_skew(gray))`` straightens the page.  Line blobs (text mask closed
    along the line direction) give a length-weighted median angle, refined by maximising the
    sharpness of the projection profile of the text pixels.  For a page whose lines run
    vertically (see :func:`text_orientation`) the deviation from vertical is returned, so
    deskew also straightens it.  Returns 0.0 when no text lines are found."""
    t, _ = _analyse_text(gray)
    if t.char <= 0 or t.n_comp < 5:
        return 0.0
    mask = t.mask
    if _orientation_from(t) == "vertical":
        # a quarter turn clockwise: a line at 90 + a degrees becomes a line at a degrees
        mask = np.ascontiguousarray(np.rot90(mask, -1))
    tot, coarse = _direction_score(mask, t.char, False, 1.2)
    if tot <= 0:
        return 0.0
    ys, xs = np.nonzero(mask)
    if xs.size > 60000:
        sel = np.random.default_rng(0).choice(xs.size, 60000, replace=False)
        xs, ys = xs[sel], ys[sel]
    xs = xs.astype(np.float64) - mask.shape[1] / 2
    ys = ys.astype(np.float64) - mask.shape[0] / 2
    bins = 2.0 * max(mask.shape)

    def sharpness(deg: float) -> float:
        r = math.radians(deg)
        v = np.rint(xs * math.sin(r) + ys * math.cos(r) + bins / 2).astype(np.int64)
        c = np.bincount(np.clip(v, 0, int(2 * bins)))
        return float(np.dot(c, c))

    def refine(best: float) -> float:
        for span, step in ((2.0, 0.5), (0.5, 0.1), (0.1, 0.025)):
            cands = best + np.arange(-span, span + 1e-9, step)
            best = float(max(cands, key=sharpness))
        return best

    # the blobs' median angle seeds the search; a level start competes with it, since a large
    # slanted stamp or watermark ("与原件一致" at 20°) can outweigh the printed lines' blobs
    best = max((refine(coarse), refine(0.0)), key=sharpness)
    return float(np.clip(best, -19.99, 19.99))


def _border_value(image: np.ndarray):
    b = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]], axis=0)
    med = np.median(b.reshape(b.shape[0], -1), axis=0)
    if image.ndim == 2:
        return float(med[0])
    return tuple(float(v) for v in med)


def deskew(image: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotate ``image`` by ``-angle`` degrees (undoing a skew of ``angle``) on an expanded canvas
    so that nothing is cut; the new border takes the median colour of the old border.

    Returns ``(image, M)`` with ``M`` the 2x3 matrix mapping original -> deskewed coordinates."""
    image = np.asarray(image)
    h, w = image.shape[:2]
    if abs(float(angle)) < 1e-6:
        return image.copy(), np.array([[1.0, 0, 0], [0, 1.0, 0]])
    M = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), -float(angle), 1.0)
    c, s = abs(M[0, 0]), abs(M[0, 1])
    nw = int(math.ceil(w * c + h * s - 1e-6))
    nh = int(math.ceil(w * s + h * c - 1e-6))
    M[0, 2] += (nw - w) / 2.0
    M[1, 2] += (nh - h) / 2.0
    out = cv2.warpAffine(image, M, (nw, nh), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=_border_value(image))
    return out, M


def rotate90(image: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rotate by ``k`` quarter turns counter-clockwise (as ``np.rot90``; k=1: 90 CCW, k=2: 180,
    k=3 or -1: 90 CW).  Returns ``(image, M)``, ``M`` the 2x3 matrix original -> rotated."""
    image = np.asarray(image)
    h, w = image.shape[:2]
    k %= 4
    if k == 0:
        return image.copy(), np.array([[1.0, 0, 0], [0, 1.0, 0]])
    if k == 1:
        out = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
        M = np.array([[0.0, 1, 0], [-1, 0, w - 1]])
    elif k == 2:
        out = cv2.rotate(image, cv2.ROTATE_180)
        M = np.array([[-1.0, 0, w - 1], [0, -1, h - 1]])
    else:
        out = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
        M = np.array([[0.0, -1, h - 1], [1, 0, 0]])
    return out, M


# ---------------------------------------------------------------------------------------------
# quality
# ---------------------------------------------------------------------------------------------

_MIN_SIDE = 300  # px: shorter side below this is too small whatever it shows
_MIN_TEXT = 9.0  # px: text lines lower than this are too small to read
_BLUR_H = 24.0  # px: text lines are brought to this height before measuring sharpness
_BLUR_LIMIT = 0.3  # Laplacian energy / gradient at text edges below which text is blurry


def _text_blocks(g: np.ndarray, blk: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-block standard deviation on a grid of blk x blk cells and the text-bearing cells."""
    h, w = g.shape
    gh, gw = max(1, h // blk), max(1, w // blk)
    gg = g[: gh * blk, : gw * blk].astype(np.float32)
    m1 = cv2.resize(gg, (gw, gh), interpolation=cv2.INTER_AREA)
    m2 = cv2.resize(gg * gg, (gw, gh), interpolation=cv2.INTER_AREA)
    sd = np.sqrt(np.maximum(m2 - m1 * m1, 0))
    thr = max(6.0, 0.45 * float(np.percentile(sd, 90)))
    return sd, sd >= thr


def quality_warnings(image_bgr) -> list[str]:
    """Image-quality warnings from ``QUALITY_WARNINGS`` (each at most once, in that order).

    * ``too_small``: the shorter side is under 300 px, or text lines are under ~9 px high.
    * ``too_dark``: the bright end of the luminance histogram (p90) is dark, or the mean is.
    * ``low_contrast``: p95 - p5 of luminance over the text-bearing blocks is small.
    * ``blurry``: Laplacian energy at text edges (RMS of the Laplacian over the gradient there)
      on text-bearing blocks cut from the page and resized so that text lines are ~24 px
      high; margins and blank paper do not count, nor does the text size or the resolution.
    * ``glare``: sizeable saturated near-white blobs surrounded by mid-tone content (a photo),
      not white paper.
    """
    img = to_bgr(image_bgr)
    H, W = img.shape[:2]
    out: list[str] = []
    small_bgr, sx, _ = _downscale(img, _TEXT_SIDE)
    g = cv2.cvtColor(small_bgr, cv2.COLOR_BGR2GRAY)
    p = _hist_percentiles(g, (5, 50, 90, 95))
    mean = float(g.mean())
    t = _text_mask(g)
    line_h = _line_height(t.mask) / sx if t.n_comp >= 8 else 0.0
    if line_h and line_h < 14 and sx < 1.0:  # small text: measure it at full resolution
        line_h = _line_height_fullres(img, t, sx) or line_h
    if min(H, W) < _MIN_SIDE:
        out.append("too_small")
    elif 0 < line_h < _MIN_TEXT:
        out.append("too_small")
    if p[2] < 100 or (mean < 70 and p[2] < 140):
        out.append("too_dark")
    blk = max(8, int(round(min(g.shape) / 24)))
    sd, txt = _text_blocks(g, blk)
    if txt.sum() >= 2:
        bm = np.zeros_like(g)
        gh, gw = txt.shape
        bm[: gh * blk, : gw * blk] = np.repeat(np.repeat(txt.astype(np.uint8) * 255, blk, 0), blk, 1)
        q5, q95 = _hist_percentiles(g, (5, 95), bm)
        spread = q95 - q5
    else:
        q1, q99 = _hist_percentiles(g, (1, 99))
        spread = q99 - q1
    if spread < 50:
        out.append("low_contrast")
    if line_h > 0 and txt.sum() >= 2:
        if _sharpness(img, txt, blk, sx, line_h) < _BLUR_LIMIT:
            out.append("blurry")
    if _has_glare(small_bgr, g):
        out.append("glare")
    return out


def _line_height(mask: np.ndarray) -> float:
    """Typical height of text lines (px) in a text mask: the thickness of the long blobs left
    by closing the mask along the lines (horizontal or vertical, whichever gives more)."""
    best = (0.0, 0.0)
    for vertical in (False, True):
        length, thick, ang, _, _, _ = _line_blobs(mask, 15, vertical, 8.0)
        if length.size == 0:
            continue
        dev = (ang - (90.0 if vertical else 0.0) + 90.0) % 180.0 - 90.0
        ok = (length >= 4 * thick) & (np.abs(dev) < 30) & (thick >= 2)
        if not np.any(ok):
            continue
        tot = float(length[ok].sum())
        if tot > best[0]:
            best = (tot, _weighted_median(thick[ok], length[ok]))
    return best[1]


def _line_height_fullres(img: np.ndarray, t: _Text, sx: float) -> float:
    """Line height measured on a full-resolution window where the text is densest."""
    H, W = img.shape[:2]
    win = 768
    dens = cv2.blur(t.mask.astype(np.float32), (31, 31))
    cy, cx = np.unravel_index(int(np.argmax(dens)), dens.shape)
    cx, cy = int(cx / sx), int(cy / sx)
    x0 = int(np.clip(cx - win // 2, 0, max(0, W - win)))
    y0 = int(np.clip(cy - win // 2, 0, max(0, H - win)))
    tt = _text_mask(cv2.cvtColor(img[y0:y0 + win, x0:x0 + win], cv2.COLOR_BGR2GRAY))
    return _line_height(tt.mask) if tt.n_comp >= 8 else 0.0


def _sharpness(img: np.ndarray, txt: np.ndarray, blk: int, sx: float, line_h: float) -> float:
    """Laplacian energy at edges over gradient there (~ 1 / edge width) on text-bearing blocks
    brought to text lines ~_BLUR_H px high (never enlarged); median over up to 16 blocks."""
    r = float(np.clip(_BLUR_H / max(line_h, 1.0), 0.05, 1.0))
    H, W = img.shape[:2]
    ys, xs = np.nonzero(txt)
    if len(ys) > 16:
        sel = np.linspace(0, len(ys) - 1, 16).round().astype(int)
        ys, xs = ys[sel], xs[sel]
    bs = blk / sx  # block size in page pixels
    vals = []
    for by, bx in zip(ys, xs):
        x0, y0 = int(bx * bs), int(by * bs)
        x1, y1 = int(min(W, (bx + 1) * bs)), int(min(H, (by + 1) * bs))
        patch = cv2.cvtColor(img[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
        if r < 1.0:
            patch = cv2.resize(patch, None, fx=r, fy=r, interpolation=cv2.INTER_AREA)
        if min(patch.shape) < 8:
            continue
        f = patch.astype(np.float32)
        gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
        G = cv2.magnitude(gx, gy)
        lap = cv2.Laplacian(f, cv2.CV_32F, ksize=3)
        edges = G >= 0.5 * float(np.percentile(G, 99))
        if int(edges.sum()) < 10 or float(G.max()) < 40:
            continue
        vals.append(math.sqrt(float((lap[edges] ** 2).mean())) / float(G[edges].mean()))
    if not vals:
        return 1.0
    return float(np.median(vals))


def _has_glare(small_bgr: np.ndarray, g: np.ndarray) -> bool:
    """A sizeable blob of clipped near-white pixels whose surroundings are mid-tone and which
    fades into them softly (a specular highlight), rather than white paper (most of a scan is
    near-white) or a white object whose outline is a sharp edge against a darker background."""
    h, w = g.shape
    b, gg, r = cv2.split(small_bgr)
    sat = (cv2.min(cv2.min(b, gg), r) >= 245).astype(np.uint8)
    frac = float(cv2.countNonZero(sat)) / sat.size
    if frac < 0.001 or frac > 0.3:  # nothing saturated, or white paper
        return False
    sat = cv2.morphologyEx(sat, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))  # text washed out
    sat = cv2.morphologyEx(sat, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, lab, st, _ = cv2.connectedComponentsWithStats(sat, connectivity=8)
    min_area = max(60, 0.001 * h * w)
    for i in range(1, n):
        x, y, bw, bh, area = st[i]
        if area < min_area or area > 0.25 * h * w:
            continue
        if area < 0.3 * bw * bh:  # strokes / outlines, not a blob
            continue
        r = int(max(4, 0.35 * math.sqrt(area)))
        x0, y0, x1, y1 = max(0, x - r), max(0, y - r), min(w, x + bw + r), min(h, y + bh + r)
        blob = (lab[y0:y1, x0:x1] == i).astype(np.uint8)
        dist = cv2.distanceTransform(1 - blob, cv2.DIST_L2, 3)
        ring = (dist > 0) & (dist <= r)
        if ring.sum() < 0.5 * area:  # the blob runs into the image border
            continue
        gv = g[y0:y1, x0:x1][ring]
        if float(np.median(gv)) > 235 or float((gv >= 245).mean()) >= 0.3:
            continue  # bright all round: white paper
        # the blob's outline: a highlight fades out, a white object ends at an edge
        gg = cv2.GaussianBlur(g[y0:y1, x0:x1], (3, 3), 0).astype(np.float32)
        grad = cv2.magnitude(cv2.Sobel(gg, cv2.CV_32F, 1, 0), cv2.Sobel(gg, cv2.CV_32F, 0, 1)) / 8
        edge = cv2.dilate(blob, np.ones((3, 3), np.uint8)) - blob
        eg = grad[edge > 0]
        if eg.size and float((eg >= 12).mean()) > 0.5:
            continue
        return True
    return False


# ---------------------------------------------------------------------------------------------
# card regions
# ---------------------------------------------------------------------------------------------


@dataclass
class CardRegion:
    """An ID-1 card found on a page.

    ``quad``: 4 x 2 float32 corners in page pixels, ordered TL, TR, BR, BL clockwise on screen
    with TL -> TR along a long side, as found (so :func:`warp_quad` gives a landscape crop,
    upright or upside down: deciding 0 / 180 is left to OCR); ``bbox``: [x0, y0, x1, y1]
    integer page pixels (x1, y1 exclusive), clipped to the image; ``score`` in [0, 1]: edge
    support all round, likeness of the sides, contrast and aspect (found cards: >= 0.6,
    typically 0.8-1.0; the whole-image fallback: 0.5); ``aspect``: long/short ratio after
    perspective correction; ``whole_image``: the image was taken as a card crop."""

    quad: np.ndarray
    bbox: list[int]
    score: float
    aspect: float
    whole_image: bool = field(default=False)

    def to_dict(self) -> dict:
        return {"quad": [[float(x), float(y)] for x, y in self.quad], "bbox": list(self.bbox),
                "score": float(self.score), "aspect": float(self.aspect),
                "whole_image": bool(self.whole_image)}


_CARD_SIDE = 960  # analysis resolution (longer side) for card finding


def _order_clockwise(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, np.float64).reshape(4, 2)
    c = q.mean(axis=0)
    ang = np.arctan2(q[:, 1] - c[1], q[:, 0] - c[0])  # y down: increasing = clockwise on screen
    return q[np.argsort(ang)]


def _order_card(q: np.ndarray) -> np.ndarray:
    """Clockwise TL, TR, BR, BL with TL -> TR a long side pointing rightwards (or upwards)."""
    q = _order_clockwise(q)
    best, key = 0, -1e18
    for i in range(4):
        a, b, c = q[i], q[(i + 1) % 4], q[(i + 2) % 4]
        d = b - a
        long_side = np.hypot(*d) + np.hypot(*(q[(i + 3) % 4] - c)) >= \
            np.hypot(*(c - b)) + np.hypot(*(q[(i + 3) % 4] - a))
        if not long_side:
            continue
        k = d[0] / (np.hypot(*d) + 1e-9) - 1e-3 * d[1]
        if k > key:
            best, key = i, k
    return np.roll(q, -best, axis=0)


def _quad_aspect(q: np.ndarray, f: float | None, centre: tuple[float, float]) -> tuple[float, float]:
    """(side-length aspect, camera-model aspect) of a quad ordered TL, TR, BR, BL; each is the
    ratio of the TL-TR side to the TL-BL side of the rectangle it images."""
    (x1, y1), (x2, y2), (x4, y4), (x3, y3) = [(float(p[0]), float(p[1])) for p in q]  # tl tr br bl
    wa = (math.hypot(x2 - x1, y2 - y1) + math.hypot(x4 - x3, y4 - y3)) / 2
    ha = (math.hypot(x3 - x1, y3 - y1) + math.hypot(x4 - x2, y4 - y2)) / 2
    side = wa / max(ha, 1e-9)
    # Zhang & He, "Whiteboard scanning and image enhancement": rectangle aspect from its image,
    # principal point at the centre, square pixels; focal length estimated or assumed.
    # m1 = tl, m2 = tr, m3 = bl, m4 = br (homogeneous, w = 1)

    def cross(a, b):
        return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])

    def dot(a, b):
        return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]

    m1, m2, m3, m4 = (x1, y1, 1.0), (x2, y2, 1.0), (x3, y3, 1.0), (x4, y4, 1.0)
    c14 = cross(m1, m4)
    d2 = dot(cross(m2, m4), m3)
    d3 = dot(cross(m3, m4), m2)
    if abs(d2) < 1e-12 or abs(d3) < 1e-12:
        return side, side
    k2 = dot(c14, m3) / d2
    k3 = dot(c14, m2) / d3
    n2 = (k2 * x2 - x1, k2 * y2 - y1, k2 - 1.0)
    n3 = (k3 * x3 - x1, k3 * y3 - y1, k3 - 1.0)
    u0, v0 = centre
    ff = None
    if abs(n2[2]) > 1e-9 and abs(n3[2]) > 1e-9:
        num = (n2[0] * n3[0] - (n2[0] * n3[2] + n2[2] * n3[0]) * u0 + n2[2] * n3[2] * u0 * u0) + \
              (n2[1] * n3[1] - (n2[1] * n3[2] + n2[2] * n3[1]) * v0 + n2[2] * n3[2] * v0 * v0)
        f2 = -num / (n2[2] * n3[2])
        if f2 > 0:
            ff = math.sqrt(f2)
    if ff is None or f is None or not (0.3 * f <= ff <= 5 * f):
        ff = f if f is not None else 1.0

    def norm2(n):  # |A^-1 n|^2 with A = [[f, 0, u0], [0, f, v0], [0, 0, 1]]
        a0 = (n[0] - u0 * n[2]) / ff
        a1 = (n[1] - v0 * n[2]) / ff
        return a0 * a0 + a1 * a1 + n[2] * n[2]

    den = norm2(n3)
    if not den > 0:
        return side, side
    cam = math.sqrt(max(norm2(n2) / den, 1e-12))
    if not math.isfinite(cam):
        cam = side
    return side, cam


def _perspective_strength(q: np.ndarray) -> float:
    """How far a quad is from a parallelogram: max |log| ratio of opposite side lengths."""
    tl, tr, br, bl = q
    r1 = np.hypot(*(tr - tl)) / max(np.hypot(*(br - bl)), 1e-9)
    r2 = np.hypot(*(bl - tl)) / max(np.hypot(*(br - tr)), 1e-9)
    return float(max(abs(math.log(max(r1, 1e-9))), abs(math.log(max(r2, 1e-9)))))


def _card_aspect(q: np.ndarray, shape) -> float:
    """Long/short aspect of the rectangle a quad (ordered) images; the estimate nearest to ID-1
    among a side-length and a pinhole-camera estimate."""
    h, w = shape[:2]
    side, cam = _quad_aspect(q, 0.85 * max(h, w), ((w - 1) / 2, (h - 1) / 2))
    ests = [max(v, 1 / v) for v in (side, cam) if v > 0 and np.isfinite(v)]
    if not ests:
        return 0.0
    return min(ests, key=lambda v: abs(math.log(v / CARD_ASPECT)))


def _gradients(small_bgr: np.ndarray, blur: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Luminance gradient in grey levels per pixel (after a light Gaussian).  Luminance only,
    so that the polarity of an edge (card brighter or darker than its surroundings) is the same
    all round; hue-only edges are left to the background-colour cue."""
    g = small_bgr if small_bgr.ndim == 2 else cv2.cvtColor(small_bgr, cv2.COLOR_BGR2GRAY)
    if blur:
        g = cv2.GaussianBlur(g, (5, 5), 1.0)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    return gx, gy


def _refine_many(Q: np.ndarray, gx: np.ndarray, gy: np.ndarray, reach: np.ndarray,
                 polarity: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Move each side of N clockwise quads (N x 4 x 2) to the straight edge it lies on, within
    +-reach px (N).  Per side: the offset where an edge of the quad's polarity (+1: brighter
    outside, -1: darker outside; decided from the sides' strongest edges when not given) runs
    along most of the side, then a robust line fit through the samples' edge positions; the
    corners are the intersections of neighbouring sides.

    Returns (quads N x 4 x 2, polarity N, ok N)."""
    N = len(Q)
    n_t, K = 32, 17
    kk = np.linspace(-1.0, 1.0, K)
    offs = kk[None, :] * reach[:, None]  # N x K
    d = np.roll(Q, -1, axis=1) - Q
    L = np.hypot(d[..., 0], d[..., 1])[..., None]
    u = d / np.maximum(L, 1e-9)
    nrm = np.stack([u[..., 1], -u[..., 0]], axis=-1)  # N x 4 x 2, outward
    ts = np.linspace(0.1, 0.9, n_t)
    P = Q[:, :, None, :] + ts[None, None, :, None] * d[:, :, None, :]  # N x 4 x T x 2
    O = offs[:, None, None, :]  # N x 1 x 1 x K
    X = (P[..., 0:1] + O * nrm[:, :, None, None, 0]).astype(np.float32)  # N x 4 x T x K
    Y = (P[..., 1:2] + O * nrm[:, :, None, None, 1]).astype(np.float32)
    Xr, Yr = X.reshape(N * 4, -1), Y.reshape(N * 4, -1)
    gxs = cv2.remap(gx, Xr, Yr, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).reshape(X.shape)
    gys = cv2.remap(gy, Xr, Yr, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).reshape(X.shape)
    proj = gxs * nrm[:, :, None, None, 0] + gys * nrm[:, :, None, None, 1]  # N x 4 x T x K
    if polarity is None:
        profs = proj.mean(axis=2)  # N x 4 x K
        pk = np.take_along_axis(profs, np.argmax(np.abs(profs), axis=2)[..., None], 2)[..., 0]
        polarity = np.where(pk.sum(axis=1) >= 0, 1.0, -1.0)
    pp = proj * polarity[:, None, None, None]
    # each side goes to the offset where an edge runs along most of it: capping the strength
    # favours a faint edge along the whole side over a strong partial one (a line of text)
    # and a slight preference for the outer of two edges (a card's outline, not a box or a
    # line of text inside it; a neighbouring card's facing edge has the other polarity)
    capped = np.minimum(pp, 5.0).mean(axis=2) + 0.2 * kk  # N x 4 x K
    j = np.argmax(capped, axis=2)  # N x 4
    pv = np.take_along_axis(capped, j[..., None], 2)[..., 0]
    o = np.take_along_axis(np.broadcast_to(offs[:, None, :], (N, 4, K)), j[..., None], 2)[..., 0]
    step = (2.0 * reach / (K - 1))[:, None, None, None]
    win = np.abs(offs[:, None, None, :] - o[..., None, None]) <= np.maximum(2.0, step) + 1e-6
    sub = np.where(win, pp, -np.inf)
    jj = np.argmax(sub, axis=3)  # N x 4 x T
    strength = np.take_along_axis(sub, jj[..., None], 3)[..., 0]
    oo = np.take_along_axis(np.broadcast_to(offs[:, None, None, :], sub.shape), jj[..., None], 3)[..., 0]
    good = strength >= np.maximum(2.0, 0.5 * pv)[..., None]
    few = good.sum(axis=2) < max(6, n_t // 4)  # N x 4
    oo = np.where(few[..., None], o[..., None], oo)
    wgt = np.where(few[..., None], 1.0, good.astype(np.float64))
    flat = pv < 1.0  # no edge at all: keep the side where it is
    oo = np.where(flat[..., None], 0.0, oo)
    wgt = np.where(flat[..., None], 1.0, wgt)
    pts = P + oo[..., None] * nrm[:, :, None, :]  # N x 4 x T x 2
    # weighted total least squares per side, twice (the second down-weights outliers)
    for _ in range(2):
        sw = np.maximum(wgt.sum(axis=2), 1e-9)[..., None]
        c = (pts * wgt[..., None]).sum(axis=2) / sw  # N x 4 x 2
        dd = pts - c[:, :, None, :]
        sxx = (wgt * dd[..., 0] ** 2).sum(axis=2)
        syy = (wgt * dd[..., 1] ** 2).sum(axis=2)
        sxy = (wgt * dd[..., 0] * dd[..., 1]).sum(axis=2)
        ang = 0.5 * np.arctan2(2 * sxy, sxx - syy)
        dirv = np.stack([np.cos(ang), np.sin(ang)], axis=-1)  # N x 4 x 2
        res = np.abs(dd[..., 0] * -dirv[..., None, 1] + dd[..., 1] * dirv[..., None, 0])
        wgt = wgt * np.where(res > 1.5, 1.5 / np.maximum(res, 1e-9), 1.0)
    # corners: intersection of side i-1 and side i
    p1, d1 = np.roll(c, 1, axis=1), np.roll(dirv, 1, axis=1)
    den = d1[..., 0] * dirv[..., 1] - d1[..., 1] * dirv[..., 0]
    ok_den = np.abs(den) > 1e-6
    den = np.where(ok_den, den, 1.0)
    t = ((c[..., 0] - p1[..., 0]) * dirv[..., 1] - (c[..., 1] - p1[..., 1]) * dirv[..., 0]) / den
    corners = p1 + t[..., None] * d1
    ok = ok_den.all(axis=1) & np.isfinite(corners).all(axis=(1, 2))
    return corners, polarity, ok


def _split_pair(q: np.ndarray) -> list[np.ndarray]:
    """A clockwise quad shaped like two ID-1 cards side by side or stacked (long/short about
    3.2 or 1.26) split across its long dimension into two halves."""
    d01 = np.hypot(*(q[1] - q[0])) + np.hypot(*(q[3] - q[2]))
    d12 = np.hypot(*(q[2] - q[1])) + np.hypot(*(q[0] - q[3]))
    ar = max(d01, d12) / max(min(d01, d12), 1e-9)
    if not (1.1 <= ar <= 1.42 or 2.6 <= ar <= 3.8):
        return []
    if d01 < d12:  # make q[0]->q[1] the long direction
        q = np.roll(q, -1, axis=0)
    m01, m32 = (q[0] + q[1]) / 2, (q[3] + q[2]) / 2
    return [np.array([q[0], m01, m32, q[3]]), np.array([m01, q[1], q[2], m32])]


def _side_support(Q: np.ndarray, gx, gy, small_f):
    """For N clockwise quads (N x 4 x 2): per side, the fraction of samples showing the side's
    edge (N x 4), per quad the median over sides of the colour difference between thin bands
    inside and outside (N), how alike the four sides' cross profiles are (N, -1..1), and how
    far the sides' edges run on past the corners (N, 0..1).

    The edge must be coherent: one polarity all round (the card brighter, or darker, than its
    surroundings), at one offset along each side (not the best of several nearby texture
    edges), and stronger than the gradients in bands a few pixels to either side, so that a
    quad drawn on a textured or printed background does not collect support."""
    N = len(Q)
    n_t = 48
    offs = np.array([-6, -5, -4, -3, -1, -0.5, 0, 0.5, 1, 3, 4, 5, 6, -7, 7], np.float64)
    d = np.roll(Q, -1, axis=1) - Q
    L = np.hypot(d[..., 0], d[..., 1])[..., None]
    u = d / np.maximum(L, 1e-9)
    nrm = np.stack([u[..., 1], -u[..., 0]], axis=-1)  # N x 4 x 2, outward
    ts = np.linspace(0.08, 0.92, n_t)
    P = Q[:, :, None, :] + ts[None, None, :, None] * d[:, :, None, :]  # N x 4 x T x 2
    X = (P[..., 0:1] + offs * nrm[:, :, None, None, 0]).astype(np.float32)  # N x 4 x T x O
    Y = (P[..., 1:2] + offs * nrm[:, :, None, None, 1]).astype(np.float32)
    Xr, Yr = X.reshape(X.shape[0] * 4, -1), Y.reshape(Y.shape[0] * 4, -1)

    def project(ax, ay):
        axs = cv2.remap(ax, Xr, Yr, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).reshape(X.shape)
        ays = cv2.remap(ay, Xr, Yr, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).reshape(X.shape)
        return axs * nrm[:, :, None, None, 0] + ays * nrm[:, :, None, None, 1]

    def threshold(pr):
        # typical gradient in the bands beside each side, the calmer of inside and outside (a
        # neighbouring card's edge may run just outside, text just inside)
        n = pr.shape[0]
        tex_in = np.median(np.abs(pr[..., :4]).reshape(n, 4, -1), axis=2)
        tex_out = np.median(np.abs(pr[..., 9:13]).reshape(n, 4, -1), axis=2)
        return np.maximum(1.2, 2.0 * np.minimum(tex_in, tex_out))

    proj = project(gx, gy)
    sgn = np.where(proj[..., 4:9].mean(axis=(1, 2, 3)) >= 0, 1.0, -1.0)
    thr = threshold(proj)

    def support(pol, proj=proj, thr=thr):
        c = proj[..., 4:9] * pol[:, None, None, None]  # N x 4 x T x 5 (offsets -1 .. 1)
        j = np.clip(np.argmax(c.mean(axis=2), axis=2), 1, 3)[..., None, None]  # +-0.5 px around
        jb = np.broadcast_to(j, c.shape[:3] + (1,))
        at = np.maximum(np.maximum(np.take_along_axis(c, jb - 1, 3), np.take_along_axis(c, jb, 3)),
                        np.take_along_axis(c, jb + 1, 3))[..., 0]  # N x 4 x T
        # a dashed or broken outline still counts: average over a few neighbouring samples
        at = cv2.blur(at.reshape(-1, at.shape[2]), (5, 1), borderType=cv2.BORDER_REFLECT).reshape(at.shape)
        return (at >= thr[..., None]).mean(axis=2)

    sup = support(sgn)
    # one side may show the other polarity: a thin outline merged with a darker band beside
    # it (a copier edge) on that side only
    other = support(-sgn)
    w = np.argmin(sup, axis=1)
    idx = np.arange(N)
    sup[idx, w] = np.maximum(sup[idx, w], other[idx, w])
    # colours at -7/-5 (inside) and 5/7 (outside), sampled at every other position
    sel = [13, 1, 11, 14]
    cx = np.ascontiguousarray(X[:, :, ::2][..., sel]).reshape(-1, 4)
    cy = np.ascontiguousarray(Y[:, :, ::2][..., sel]).reshape(-1, 4)
    cols = cv2.remap(small_f, cx, cy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    cols = cols.reshape(N, 4, -1, 4, 3)
    inside = cols[:, :, :, :2].mean(axis=(2, 3))  # N x 4 x 3
    outside = cols[:, :, :, 2:].mean(axis=(2, 3))
    diff = np.abs(inside - outside).max(axis=2)
    # the outline looks alike all round (one material boundary): correlate the sides' mean
    # cross profiles (offsets -6..6, polarity-signed), mean over the 6 pairs of sides
    # overshoot: does the side's edge run on past the corners (a copier streak, a page
    # border, a table rule, rather than a card's own outline)?
    ext = np.concatenate([np.linspace(-0.1, -0.02, 6), np.linspace(1.02, 1.1, 6)])
    PE = Q[:, :, None, :] + ext[None, None, :, None] * d[:, :, None, :]  # N x 4 x 12 x 2
    eo = np.array([-0.5, 0.0, 0.5])
    XE = (PE[..., 0:1] + eo * nrm[:, :, None, None, 0]).astype(np.float32)
    YE = (PE[..., 1:2] + eo * nrm[:, :, None, None, 1]).astype(np.float32)
    ge = (cv2.remap(gx, XE.reshape(-1, 3), YE.reshape(-1, 3), cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_CONSTANT, borderValue=0).reshape(XE.shape) * nrm[:, :, None, None, 0]
          + cv2.remap(gy, XE.reshape(-1, 3), YE.reshape(-1, 3), cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_CONSTANT, borderValue=0).reshape(XE.shape) * nrm[:, :, None, None, 1])
    ge = (ge * sgn[:, None, None, None]).max(axis=3)  # N x 4 x 12
    over = (ge >= np.maximum(thr, 2.0)[..., None]).reshape(N, 4, 2, 6).mean(axis=3)  # N x 4 x 2
    overshoot = over.max(axis=2).mean(axis=1)  # N
    order = np.argsort(offs[:13])
    pr = (proj[..., :13].mean(axis=2) * sgn[:, None, None])[..., order]  # N x 4 x 13
    pr = pr - pr.mean(axis=2, keepdims=True)
    pr = pr / np.maximum(np.linalg.norm(pr, axis=2, keepdims=True), 1e-6)
    cc = np.einsum("nik,njk->nij", pr, pr)
    alike = (cc.sum(axis=(1, 2)) - 4.0) / 12.0
    # ... allowing one odd side (the one that may show the other polarity)
    for k in range(4):
        keep = [i for i in range(4) if i != k]
        sub = cc[:, keep][:, :, keep]
        alike = np.maximum(alike, (sub.sum(axis=(1, 2)) - 3.0) / 6.0 - 0.1)
    return sup, np.median(diff, axis=1), alike, overshoot


def _quads_from_contours(contours, min_area: float, max_area: float) -> list[np.ndarray]:
    out = []
    for c in contours:
        if len(c) < 4:
            continue
        x, y, bw, bh = cv2.boundingRect(c)
        if bw * bh < min_area:
            continue
        hull = cv2.convexHull(c)
        ha = cv2.contourArea(hull)
        if ha < min_area or ha > max_area:
            continue
        peri = cv2.arcLength(hull, True)
        for eps in (0.02, 0.035, 0.06):
            ap = cv2.approxPolyDP(hull, eps * peri, True)
            if len(ap) == 4:
                out.append(ap.reshape(4, 2).astype(np.float64))
                break
        rect = cv2.minAreaRect(c)
        if cv2.contourArea(c) >= 0.5 * rect[1][0] * rect[1][1] or len(out) == 0:
            out.append(cv2.boxPoints(rect).astype(np.float64))
    return out


def _inner_rule(gray: np.ndarray, q: np.ndarray, lines) -> bool:
    """Whether a long thin dark straight line (a table or form rule) runs inside the quad,
    parallel to one of its sides and ending within it; cards have none (a magnetic stripe or a
    colour band is an edge between two tones, not a thin line; a copier streak runs on)."""
    c = q.mean(axis=0)
    inner = (c + 0.9 * (q - c)).astype(np.float32).reshape(-1, 1, 2)
    outer = (c + 1.06 * (q - c)).astype(np.float32).reshape(-1, 1, 2)
    d = np.roll(q, -1, axis=0) - q
    side_len = np.hypot(d[:, 0], d[:, 1])
    side_dir = d / np.maximum(side_len, 1e-9)[:, None]
    H, W = gray.shape
    for p0, u, t0, t1 in lines:
        L = t1 - t0
        mid = p0 + (t0 + t1) / 2 * u
        if cv2.pointPolygonTest(inner, (float(mid[0]), float(mid[1])), False) <= 0:
            continue
        cos = np.abs(side_dir @ u)
        k = int(np.argmax(cos))
        if cos[k] < 0.985 or L < 0.5 * side_len[k]:
            continue
        a, b = p0 + t0 * u, p0 + t1 * u
        if (cv2.pointPolygonTest(outer, (float(a[0]), float(a[1])), False) < 0 or
                cv2.pointPolygonTest(outer, (float(b[0]), float(b[1])), False) < 0):
            continue  # runs on beyond the quad: a copier streak, not a rule of this box
        n = np.array([-u[1], u[0]])
        prof = []
        for t in (0.3, 0.5, 0.7):
            pt = p0 + (t0 + t * L) * u
            vals = []
            for o in (-4, -3, -1, 0, 1, 3, 4):
                x, y = pt + o * n
                vals.append(float(gray[int(np.clip(round(y), 0, H - 1)), int(np.clip(round(x), 0, W - 1))]))
            prof.append(vals)
        prof = np.median(np.array(prof), axis=0)
        centre = prof[2:5].min()
        if centre < min(prof[:2].max(), prof[5:].max()) - 12:
            return True
    return False


def _margin_ink(ink: np.ndarray, q: np.ndarray) -> float:
    """Fraction of ink in the band 1.5-5 % of the short side inside a quad's outline: a card
    has a blank margin there (its printing starts further in); a block of text does not."""
    d = np.roll(q, -1, axis=0) - q
    short = float(min(np.hypot(d[:, 0], d[:, 1])))
    c = q.mean(axis=0)
    x0, y0 = np.floor(q.min(axis=0)).astype(int)
    x1, y1 = np.ceil(q.max(axis=0)).astype(int) + 1
    H, W = ink.shape
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
    if x1 <= x0 or y1 <= y0:
        return 0.0

    def inset(dist):  # move every side inwards by dist: shrink about the centre, side by side
        n = np.stack([d[:, 1], -d[:, 0]], axis=1) / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
        lines = [(q[i] - dist * n[i], d[i]) for i in range(4)]
        pts = []
        for i in range(4):
            (p1, d1), (p2, d2) = lines[i - 1], lines[i]
            den = d1[0] * d2[1] - d1[1] * d2[0]
            t = ((p2[0] - p1[0]) * d2[1] - (p2[1] - p1[1]) * d2[0]) / den if abs(den) > 1e-9 else 0.0
            pts.append(p1 + t * d1)
        return np.array(pts)

    m = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(m, np.round(inset(0.025 * short) - [x0, y0]).astype(np.int32), 1)
    cv2.fillConvexPoly(m, np.round(inset(0.07 * short) - [x0, y0]).astype(np.int32), 0)
    n = int(m.sum())
    return float((ink[y0:y1, x0:x1] & m).sum()) / max(n, 1)


def _ring_ink(ink: np.ndarray, outer: np.ndarray, inners: list[np.ndarray]) -> float:
    """Fraction of ink pixels inside ``outer`` but outside all ``inners`` (grown by 2 %)."""
    x0, y0 = np.floor(outer.min(axis=0)).astype(int)
    x1, y1 = np.ceil(outer.max(axis=0)).astype(int) + 1
    H, W = ink.shape
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    m = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(m, np.round(outer - [x0, y0]).astype(np.int32), 1)
    for q in inners:
        c = q.mean(axis=0)
        cv2.fillConvexPoly(m, np.round(c + 1.02 * (q - c) - [x0, y0]).astype(np.int32), 0)
    n = int(m.sum())
    return float((ink[y0:y1, x0:x1] & m).sum()) / max(n, 1)


def _ink_inside(ink: np.ndarray, q: np.ndarray) -> float:
    """Fraction of ink pixels inside a quad shrunk by 10 % towards its centre."""
    c = q.mean(axis=0)
    return _ring_ink(ink, c + 0.9 * (q - c), [])


def _poly_iou(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(IoU, intersection / smaller area) of two convex quads."""
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    inter, _ = cv2.intersectConvexConvex(a32, b32)
    aa, ab = abs(cv2.contourArea(a32)), abs(cv2.contourArea(b32))
    if inter <= 0 or aa <= 0 or ab <= 0:
        return 0.0, 0.0
    return inter / (aa + ab - inter), inter / min(aa, ab)


_FLD = None


def _fast_lines(gray: np.ndarray, min_len: float):
    """Straight segments (N x 1 x 4: x0, y0, x1, y1) from the fast line detector."""
    global _FLD
    try:
        if _FLD is None or _FLD[0] != int(min_len):
            _FLD = (int(min_len), cv2.ximgproc.createFastLineDetector(int(min_len), 1.414, 15, 30, 3, False))
        return _FLD[1].detect(gray)
    except (AttributeError, cv2.error):  # opencv without the contrib modules
        return None


def _long_lines(gray: np.ndarray, min_len: float):
    """Straight lines (point, unit direction, t0, t1) made of collinear fast-line segments."""
    segs = _fast_lines(gray, min_len)
    if segs is None or len(segs) == 0:
        return []
    segs = segs.reshape(-1, 4).astype(np.float64)
    lens = np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1])
    order = np.argsort(-lens)
    groups = []  # [p0, d, n, t0, t1, total]
    for i in order[:300]:
        x0, y0, x1, y1 = segs[i]
        L = lens[i]
        d = np.array([x1 - x0, y1 - y0]) / max(L, 1e-9)
        a, b = np.array([x0, y0]), np.array([x1, y1])
        for g in groups:
            p0, gd, gn = g[0], g[1], g[2]
            if abs(d[0] * gd[0] + d[1] * gd[1]) < 0.9986:  # more than 3 degrees apart
                continue
            if abs(np.dot(a - p0, gn)) > 2.5 or abs(np.dot(b - p0, gn)) > 2.5:
                continue
            ta, tb = sorted((float(np.dot(a - p0, gd)), float(np.dot(b - p0, gd))))
            gap = max(ta - g[4], g[3] - tb, 0.0)
            if gap > 0.6 * (g[4] - g[3]) + 10:
                continue
            g[3], g[4], g[5] = min(g[3], ta), max(g[4], tb), g[5] + L
            break
        else:
            groups.append([a, d, np.array([-d[1], d[0]]), 0.0, L, L])
    out = [(g[0], g[1], g[3], g[4]) for g in groups if g[5] >= 0.5 * min_len * 2]
    out.sort(key=lambda l: -(l[3] - l[2]))
    return out[:60]


def _order_clockwise_many(Q: np.ndarray) -> np.ndarray:
    """:func:`_order_clockwise` for N quads (N x 4 x 2)."""
    Q = np.asarray(Q, np.float64)
    c = Q.mean(axis=1, keepdims=True)
    ang = np.arctan2(Q[..., 1] - c[..., 1], Q[..., 0] - c[..., 0])
    return np.take_along_axis(Q, np.argsort(ang, axis=1)[..., None], 1)


def _shoelace(Q: np.ndarray) -> np.ndarray:
    """Signed areas of N polygons (N x K x 2)."""
    x, y = Q[..., 0], Q[..., 1]
    return 0.5 * (x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y).sum(axis=1)


def _prescreen_order(Q: np.ndarray, gx, gy) -> np.ndarray:
    """Indices of clockwise quads (N x 4 x 2), best first: the weakest sides' coherent edge
    evidence (one polarity, one offset within +-8 px, averaged along the side with the
    strength capped), a cheap ranking of hypotheses too many to refine."""
    n_t = 16
    offs = np.arange(-8.0, 8.01, 2.0)
    d = np.roll(Q, -1, axis=1) - Q
    L = np.hypot(d[..., 0], d[..., 1])[..., None]
    u = d / np.maximum(L, 1e-9)
    nrm = np.stack([u[..., 1], -u[..., 0]], axis=-1)  # N x 4 x 2
    ts = np.linspace(0.15, 0.85, n_t)
    P = Q[:, :, None, :] + ts[None, None, :, None] * d[:, :, None, :]  # N x 4 x T x 2
    X = (P[..., None, 0] + offs * nrm[:, :, None, None, 0]).astype(np.float32)
    Y = (P[..., None, 1] + offs * nrm[:, :, None, None, 1]).astype(np.float32)
    Xr, Yr = X.reshape(X.shape[0] * 4, -1), Y.reshape(Y.shape[0] * 4, -1)
    gxs = cv2.remap(gx, Xr, Yr, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).reshape(X.shape)
    gys = cv2.remap(gy, Xr, Yr, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).reshape(X.shape)
    proj = gxs * nrm[:, :, None, None, 0] + gys * nrm[:, :, None, None, 1]  # N x 4 x T x O
    pos = np.minimum(proj, 4.0).mean(axis=2).max(axis=2)  # N x 4, brighter outside
    neg = np.minimum(-proj, 4.0).mean(axis=2).max(axis=2)
    cov = np.where(pos.sum(axis=1, keepdims=True) >= neg.sum(axis=1, keepdims=True), pos, neg)
    cov.sort(axis=1)
    score = 0.4 * cov[:, 0] + 0.3 * cov[:, 1] + 0.3 * cov[:, 2:].mean(axis=1)
    return np.argsort(-score, kind="stable")


def _parallel_pairs(lines, min_short: float, max_side: float, limit: int = 600) -> list[np.ndarray]:
    """Card hypotheses from pairs of nearly parallel lines taken as opposite sides: the other
    two sides are lines across them at the distance the ID-1 aspect asks for, or else are
    placed from the lines' extents (then everything is refined)."""
    if len(lines) < 2:
        return []
    P0 = np.array([l[0] for l in lines], np.float64)
    D = np.array([l[1] for l in lines], np.float64)
    T0 = np.array([l[2] for l in lines], np.float64)
    T1 = np.array([l[3] for l in lines], np.float64)
    A = P0 + T0[:, None] * D
    B = P0 + T1[:, None] * D
    M = (A + B) / 2
    L = T1 - T0
    C = D @ D.T
    ii, jj = np.nonzero(np.triu(np.abs(C) >= 0.978, 1))  # within ~12 degrees
    if len(ii) == 0:
        return []
    order = np.argsort(-(L[ii] + L[jj]), kind="stable")[:300]
    ii, jj = ii[order], jj[order]
    # all pairs at once: common direction u, normal v, positions across (r) and along (t)
    sg = np.where(C[ii, jj] > 0, 1.0, -1.0)[:, None]
    U = D[ii] + sg * D[jj]
    U /= np.maximum(np.linalg.norm(U, axis=1, keepdims=True), 1e-9)
    V = np.stack([-U[:, 1], U[:, 0]], axis=1)
    ri = (M[ii] * V).sum(axis=1)
    rj = (M[jj] * V).sum(axis=1)
    sep = np.abs(ri - rj)
    tia = np.sort(np.stack([(A[ii] * U).sum(axis=1), (B[ii] * U).sum(axis=1)], axis=1), axis=1)
    tja = np.sort(np.stack([(A[jj] * U).sum(axis=1), (B[jj] * U).sum(axis=1)], axis=1), axis=1)
    overlap = np.minimum(tia[:, 1], tja[:, 1]) - np.maximum(tia[:, 0], tja[:, 0])
    keep = (sep >= min_short) & (sep <= max_side) & \
        (overlap >= 0.3 * np.minimum(tia[:, 1] - tia[:, 0], tja[:, 1] - tja[:, 0]))
    out = []
    for k in np.nonzero(keep)[0]:
        u, v = U[k], V[k]
        lo, hi = min(tia[k, 0], tja[k, 0]), max(tia[k, 1], tja[k, 1])
        Uext = hi - lo
        # lines across the pair that may close it: roughly perpendicular, spanning much of
        # the gap between the two, placed within the pair's extent (with some slack)
        rlo, rhi = min(ri[k], rj[k]), max(ri[k], rj[k])
        va, vb = A @ v, B @ v
        span = np.minimum(np.maximum(va, vb), rhi) - np.maximum(np.minimum(va, vb), rlo)
        pos = M @ u
        cross = (np.abs(D @ u) < 0.25) & (span >= 0.4 * sep[k]) & \
            (pos >= lo - 0.3 * Uext) & (pos <= hi + 0.3 * Uext)
        cpos = np.sort(pos[cross])
        for want in (sep[k] * CARD_ASPECT, sep[k] / CARD_ASPECT):
            if want < min_short:
                continue
            spans = []
            if len(cpos) >= 2:
                dd = cpos[None, :] - cpos[:, None]
                k1, k2 = np.nonzero((dd >= 0.85 * want) & (dd <= 1.18 * want))
                best = np.argsort(np.abs(dd[k1, k2] - want))[:3]
                spans = [(cpos[k1[b]], cpos[k2[b]]) for b in best]
            if not spans:
                if 0.75 * want <= Uext <= 1.33 * want:
                    spans.append((lo, hi))
                if abs(Uext - want) > 0.1 * want:
                    spans += [(lo, lo + want), (hi - want, hi)]
            for a_, b_ in spans:
                out.append(np.array([u * a_ + v * ri[k], u * b_ + v * ri[k], u * b_ + v * rj[k],
                                     u * a_ + v * rj[k]]))
        if len(out) >= limit:
            break
    return out


def _big_contours(mask: np.ndarray, min_area: float) -> list[np.ndarray]:
    """Contours of ``mask`` (outer boundaries of its blobs and the boundaries of the holes
    they enclose) that can enclose ``min_area``."""
    cs, _ = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    # a closed curve around area A has at least ~3.5 sqrt(A) boundary pixels (8-connected)
    min_len = 3.0 * math.sqrt(min_area)
    return [c for c in cs if len(c) >= min_len]


def _faint_lines(gray: np.ndarray, min_len: float) -> list:
    """Long thin dark lines running within ~10 degrees of the image axes, found after averaging
    along the axis (a faint, dashed or broken card outline on a photocopy, which no per-pixel
    edge detector sees at this scale).  Same format as :func:`_long_lines`."""
    out = []
    L = max(9, int(min_len * 0.5)) | 1
    for vertical in (False, True):
        g = gray.T if vertical else gray
        avg = cv2.blur(g, (L, 1))
        bh = cv2.morphologyEx(avg, cv2.MORPH_BLACKHAT, np.ones((5, 1), np.uint8))
        _, m = cv2.threshold(bh, 3, 255, cv2.THRESH_BINARY)
        length, thick, ang, area, cx, cy = _blob_shapes(m, min_len)
        if length.size == 0:
            continue
        ok = (length >= min_len) & (thick <= 4.0) & (np.abs(ang) <= 12) & (area >= 0.6 * length)
        for ln, a, x, y in zip(length[ok], ang[ok], cx[ok], cy[ok]):
            r = math.radians(-a)  # back to image coordinates (y down)
            d = np.array([math.cos(r), math.sin(r)])
            p0 = np.array([x, y])
            if vertical:
                d, p0 = d[::-1].copy(), p0[::-1].copy()
            out.append((p0, d, -ln / 2.0, ln / 2.0))
    return out


def _candidate_contours(small_bgr: np.ndarray, gx, gy, lines, cues) -> list[np.ndarray]:
    """Contours (analysis pixels) that may outline cards, from several cues: edge blobs and
    the cells they enclose (``canny``), cells between long straight lines (``lines``), and
    regions that differ from the background colour, at half resolution (``region``)."""
    h, w = small_bgr.shape[:2]
    min_area = 0.03 * h * w
    out: list[np.ndarray] = []
    if "canny" in cues:  # edges of the (smoothed) luminance gradient
        dx = np.clip(gx * 8, -32767, 32767).astype(np.int16)
        dy = np.clip(gy * 8, -32767, 32767).astype(np.int16)
        edges = cv2.dilate(cv2.Canny(dx, dy, 24, 64, L2gradient=True), np.ones((3, 3), np.uint8))
        out.extend(_big_contours(edges, min_area))
    if "lines" in cues and lines:
        # (3) cells between long straight lines (robust to text and watermarks touching a card
        # edge and to cards close together): merged collinear segments, extended to close
        # rounded corners and small breaks, drawn 4-connected so the cells stay apart
        card_short = math.sqrt(0.04 * h * w / CARD_ASPECT)
        canvas = np.zeros((h, w), np.uint8)
        for p0, d, t0, t1 in lines:
            ext = min(0.35 * card_short, max(5.0, 0.2 * (t1 - t0)))
            a = p0 + (t0 - ext) * d
            b = p0 + (t1 + ext) * d
            cv2.line(canvas, (int(round(a[0])), int(round(a[1]))), (int(round(b[0])), int(round(b[1]))),
                     255, 1, cv2.LINE_4)
        out.extend(_big_contours(canvas, min_area))
    if "region" in cues:
        # (4) regions that differ from the background colour (the border median, and the
        # commonest bright colour = paper), cleaned by morphology
        coarse = cv2.pyrDown(small_bgr)
        ch_, cw_ = coarse.shape[:2]
        f = w / cw_
        lab = cv2.cvtColor(cv2.GaussianBlur(coarse, (5, 5), 0), cv2.COLOR_BGR2LAB)
        bw = max(2, int(0.02 * min(ch_, cw_)))
        border = np.concatenate([lab[:bw].reshape(-1, 3), lab[-bw:].reshape(-1, 3),
                                 lab[:, :bw].reshape(-1, 3), lab[:, -bw:].reshape(-1, 3)])
        refs = [np.median(border[::3], axis=0)]
        sub = lab[::3, ::3].reshape(-1, 3)
        bright = sub[sub[:, 0] >= np.percentile(sub[:, 0], 80)]
        if len(bright):
            pap = np.median(bright, axis=0)
            if np.abs(pap - refs[0]).max() > 8:
                refs.append(pap)
        ko = np.ones((_odd(0.012 * min(ch_, cw_)),) * 2, np.uint8)
        kc = np.ones((_odd(0.03 * min(ch_, cw_)),) * 2, np.uint8)
        for ref in refs:
            diff = cv2.absdiff(lab, np.full_like(lab, 0) + np.clip(ref, 0, 255).astype(np.uint8))
            d8 = cv2.transform(diff, np.array([[2.0, 2.0, 2.0]]))  # 2 x L1 distance, saturating
            t, m = cv2.threshold(d8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            if t < 16:  # fewer than ~8 Lab units: no real colour difference
                continue
            m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, kc)
            m = cv2.morphologyEx(m, cv2.MORPH_OPEN, ko)
            out.extend(((c.astype(np.float32) + 0.5) * f - 0.5).astype(np.int32)
                       for c in _big_contours(m, min_area / f / f))
    return out


_CUES = ("canny", "lines", "faint", "region", "pairs")


def _card_candidates(img: np.ndarray, cues=_CUES, trace=None):
    """Scored card candidates (score, area, quad, aspect, strict, edge) in analysis pixels.

    ``trace``, when given, is called as trace(stage, quad, info) for debugging."""
    small, sx, sy = _downscale(img, _CARD_SIDE)
    h, w = small.shape[:2]
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    gx, gy = _gradients(small)
    small_f = small.astype(np.float32)
    area = float(h * w)
    min_area, max_area = 0.035 * area, 0.97 * area
    card_short = math.sqrt(0.04 * area / CARD_ASPECT)  # the smallest card accepted
    lines = []
    fld_lines = []
    if "pairs" in cues or "lines" in cues:  # thin outlines survive a small Gaussian, not a median
        fld_lines = _long_lines(cv2.GaussianBlur(gray, (3, 3), 0), 0.25 * card_short)
        lines = list(fld_lines)
        if "faint" in cues:
            lines += _faint_lines(gray, 0.35 * card_short)
    raw = _quads_from_contours(_candidate_contours(small, gx, gy, lines, cues), min_area, max_area)
    if "pairs" in cues:
        raw.extend(_parallel_pairs(lines, 0.8 * card_short, max(h, w)))
    # the most promising hypotheses, de-duplicated, go on to the (more costly) refinement
    uniq: list[np.ndarray] = []
    if raw:
        R = _order_clockwise_many(np.stack(raw))
        R = R[_prescreen_order(R, gx, gy)[:96]]
        size = np.sqrt(np.abs(_shoelace(R)) + 1.0)
        for i in range(len(R)):
            if uniq and float(np.abs(np.stack(uniq) - R[i]).max(axis=(1, 2)).min()) < 0.03 * size[i]:
                continue
            uniq.append(R[i])
            if len(uniq) >= 48:
                break
    work = []
    for q in uniq:
        d01 = np.hypot(*(q[1] - q[0])) + np.hypot(*(q[3] - q[2]))
        d12 = np.hypot(*(q[2] - q[1])) + np.hypot(*(q[0] - q[3]))
        ar = max(d01, d12) / max(min(d01, d12), 1e-9)
        if 1.2 <= ar <= 2.1:
            work.append((q, 0.05))
        work.extend((hq, 0.12) for hq in _split_pair(q))
    cands = []
    done: list[np.ndarray] = []
    # printed matter (strokes darker than their surroundings), without copier dust
    ink = (cv2.morphologyEx(cv2.medianBlur(gray, 3), cv2.MORPH_BLACKHAT, np.ones((7, 7), np.uint8))
           >= 16).astype(np.uint8)
    lo, hi = CARD_ASPECT_RANGE

    def reject(stage, q, info=None):
        if trace is not None:
            trace(stage, q, info)

    if not work:
        return cands, (h, w), sx, sy, ink
    Q = np.stack([q for q, _ in work])
    sides = np.hypot(*(np.roll(Q, -1, axis=1) - Q).transpose(2, 0, 1))  # N x 4
    reach = np.maximum(4.0, np.array([rf for _, rf in work]) * sides.min(axis=1))
    R1, pol, ok1 = _refine_many(Q, gx, gy, reach)
    R1 = np.stack([_order_clockwise(r) if k else q for r, q, k in zip(R1, Q, ok1)])
    R2, _, ok2 = _refine_many(R1, gx, gy, np.full(len(Q), 3.0), pol)
    pending = []
    page_like = 1.38 <= max(h, w) / min(h, w) <= 1.45  # an A-series sheet filling the image
    for q, r, k in zip(Q, R2, ok1 & ok2):
        if not k:
            reject("refine", q)
            continue
        r = _order_clockwise(r)
        if done and float(np.abs(np.stack(done) - r).max(axis=(1, 2)).min()) < 1.5:
            continue  # the same quad as one already judged
        done.append(r)
        r32 = r.astype(np.float32)
        a = abs(cv2.contourArea(r32))
        if not cv2.isContourConvex(r32.reshape(-1, 1, 2)) or a < 0.04 * area or a > 0.92 * area:
            reject("shape", r, a / area)
            continue
        if (r[:, 0].min() < -0.02 * w or r[:, 1].min() < -0.02 * h or
                r[:, 0].max() > 1.02 * w or r[:, 1].max() > 1.02 * h):
            reject("outside", r)
            continue
        # corner angles: a card seen in perspective stays a convex, not too skewed quad
        v1 = np.roll(r, 1, axis=0) - r
        v2 = np.roll(r, -1, axis=0) - r
        cosang = np.abs((v1 * v2).sum(axis=1)) / (np.hypot(v1[:, 0], v1[:, 1]) * np.hypot(v2[:, 0], v2[:, 1]) + 1e-9)
        if cosang.max() > 0.5:  # an interior angle outside 60..120 degrees
            reject("angles", r, cosang.max())
            continue
        oq = _order_card(r)
        asp = _card_aspect(oq, small.shape)
        # under perspective the aspect estimate (unknown camera) is loose: widen the range.  An
        # oblique view foreshortens one axis (by cos(tilt)) even without visible convergence, so
        # a large quad with a very clean outline may pass at 1.35..1.95 (checked below), but not
        # near sqrt(2), the aspect of A-series paper
        persp = _perspective_strength(oq)
        in_range = max(1.35, lo * math.exp(-1.5 * persp)) <= asp <= min(1.95, hi * math.exp(1.5 * persp))
        sheet_like = abs(asp - math.sqrt(2)) <= 0.03  # below the strict range anyway
        loose = 1.35 <= asp <= 1.95 and not sheet_like
        if not (in_range or loose) or (sheet_like and a > 0.25 * area):
            reject("aspect", r, asp)
            continue
        pending.append((r, a, asp, lo <= asp <= hi, in_range))
    if pending:
        sups, contrasts, alikes, overs = _side_support(np.stack([p[0] for p in pending]), gx, gy, small_f)
        for (r, a, asp, strict, in_range), sup, contrast, alike, over in zip(
                pending, sups, contrasts, alikes, overs):
            s0, s1, s2, s3 = np.sort(sup)
            if s0 < 0.35 or s1 < 0.6:  # a card's outline is visible on (nearly) all four sides
                reject("support", r, sup)
                continue
            if alike < 0.5:  # sides of different kinds: a page border, a card edge, text ...
                reject("alike", r, alike)
                continue
            if over > 0.6:  # the sides run on past the corners: table rules, streaks, borders
                reject("overshoot", r, over)
                continue
            if page_like and a > 0.25 * area:  # on a scanned A4 sheet a card is ~7.5 % of it
                reject("size", r, a / area)
                continue
            if _ink_inside(ink, r) < 0.01:  # blank paper or desk between lines, not a card
                reject("blank", r)
                continue
            if _margin_ink(ink, r) > 0.13:  # printing right up to the outline: a text block
                reject("margin", r)
                continue
            if _inner_rule(gray, r, fld_lines):  # a ruled box of a form or table
                reject("ruled", r)
                continue
            if not in_range and (s0 < 0.8 or a < 0.06 * area):
                reject("aspect", r, asp)
                continue
            edge = 0.45 * s0 + 0.25 * s1 + 0.15 * (s2 + s3)
            dev = min(1.0, abs(math.log(asp / CARD_ASPECT)) / math.log(hi / CARD_ASPECT))
            score = (0.6 * edge + 0.15 * max(0.0, float(alike)) + 0.1 * min(1.0, contrast / 20.0)
                     + 0.15 * (1.0 - dev) - 0.3 * float(over))
            if score < 0.6:
                reject("score", r, score)
                continue
            cands.append((float(score), a, r, asp, strict, float(edge)))
    return cands, (h, w), sx, sy, ink


def find_card_regions(image_bgr) -> list[CardRegion]:
    """ID-1 card shaped quadrilaterals (85.6 x 54 mm) on a page or photo.

    Meant for images expected to hold cards: A4 photocopies with one or two cards (any
    rotation, upside down, copier edges and streaks, watermark text across), phone photos of a
    card on a desk or fabric (perspective, uneven light), and an image that already is a card
    crop (one region covering the whole image, ``whole_image=True``, when the image has a card's
    aspect and no card is found inside it).  Regions are returned top to bottom, left to right.

    Works on a copy whose longer side is 960 px.  Hypotheses come from several cues: contours
    of Canny edges and of the cells they enclose (approxPolyDP, minAreaRect), cells between
    long straight lines (fast line detector, plus faint thin lines found by averaging along the
    image axes), pairs of parallel lines closed by crossing lines at the ID-1 aspect, and
    regions that differ from the background colour (Otsu on the Lab distance, morphology).
    Each side is then moved onto the straight edge it lies on (one polarity all round, robust
    line fit, corners from side intersections, so rounded corners and watermarks crossing an
    edge do not matter).  A hypothesis is kept when its aspect after perspective correction is
    1.45-1.75 (looser under perspective, or for a very clean outline), an edge runs along
    (nearly) all of its four sides, the sides look alike, they stop at the corners, it holds
    printed matter but none in a margin band just inside the outline, and no rule of a table
    runs inside it.  Nested and overlapping hypotheses are resolved by the ink between them and
    by score; cards may not overlap.  Halves of a hypothesis shaped like two cards side by side
    or stacked are tried too, so close cards are not merged.

    Not handled: cards whose copy shows no outline at all (found from content only), cards
    pushed into the copier's glass corner (outline merged with the sheet's edges), cards
    smaller than ~4 % of the image (e.g. both sides of an A4 copy photographed whole), cards
    told from a background only by hue.  Ruled boxes of forms and tables with a card's aspect
    are sometimes reported on other documents."""
    img = to_bgr(image_bgr)
    H, W = img.shape[:2]
    cands, (h, w), sx, sy, ink = _card_candidates(img)
    area = float(h * w)
    kept = _nms(cands, ink)
    if len(kept) == 2:
        kept = _twin_sizes(img, kept, cands)
    aspect_img = max(W, H) / min(W, H)
    regions: list[CardRegion] = []
    is_croplike = CARD_ASPECT_RANGE[0] <= aspect_img <= CARD_ASPECT_RANGE[1] + 0.05
    # an image of card shape is a card crop when no card is found inside it, or when what is
    # found leaves printed matter around it (boxes printed on the card, not a card on a desk)
    full = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float64)
    if is_croplike and (not kept or _ring_ink(ink, full, [c[2] for c in kept]) > 0.02) and \
            cv2.countNonZero(ink) >= 0.005 * area and _card_sized_text(img):
        q = np.array([[0, 0], [W - 1, 0], [W - 1, H - 1], [0, H - 1]], np.float64)
        q = _order_card(q)
        regions.append(CardRegion(q.astype(np.float32), [0, 0, W, H], 0.5, float(aspect_img), True))
        return regions
    for score, a, r, asp, _, _ in kept:
        q = (r + 0.5) / np.array([sx, sy]) - 0.5
        q = _order_card(q)
        x0, y0 = np.floor(q.min(axis=0)).astype(int)
        x1, y1 = np.ceil(q.max(axis=0)).astype(int)
        bbox = [int(max(0, x0)), int(max(0, y0)), int(min(W, x1 + 1)), int(min(H, y1 + 1))]
        regions.append(CardRegion(q.astype(np.float32), bbox, float(np.clip(score, 0, 1)), float(asp)))
    return sorted(regions, key=functools.cmp_to_key(_reading_order))


def _dims(q: np.ndarray) -> tuple[float, float]:
    """(long, short) mean side lengths of an ordered quad (TL -> TR a long side)."""
    tl, tr, br, bl = q
    return (float(np.hypot(*(tr - tl)) + np.hypot(*(br - bl))) / 2,
            float(np.hypot(*(bl - tl)) + np.hypot(*(br - tr))) / 2)


TWIN_TOL = 0.05  # relative size difference of two cards on one sheet taken as a misplaced side


def _twin_variants(q: np.ndarray, L: float, S: float) -> list[np.ndarray]:
    """Quads of size L x S made from the ordered quad ``q`` by moving, on each axis whose
    length differs from L (S) by over :data:`TWIN_TOL`, one of its two sides."""
    Lq, Sq = _dims(q)
    tl, tr, br, bl = q
    u = (tr - tl) + (br - bl)
    u = u / max(np.hypot(*u), 1e-9)
    v = (bl - tl) + (br - tr)
    v = v / max(np.hypot(*v), 1e-9)
    out = []
    # a piece of a card may be longer across than along it: both ways round
    for A, B in ((L, S), (S, L)):
        bad_a, bad_b = abs(Lq / A - 1) > TWIN_TOL, abs(Sq / B - 1) > TWIN_TOL
        A2, B2 = (A if bad_a else Lq), (B if bad_b else Sq)
        for keep_left in ((True, False) if bad_a else (True,)):
            for keep_top in ((True, False) if bad_b else (True,)):
                o = tl + (0.0 if keep_left else Lq - A2) * u + (0.0 if keep_top else Sq - B2) * v
                out.append(np.array([o, o + A2 * u, o + A2 * u + B2 * v, o + B2 * v]))
    return out


def _twin_sizes(img: np.ndarray, kept: list, cands: list) -> list:
    """Two cards on one flat sheet (a copy or a scan of an A-series page) are, nearly always,
    the two sides of one card copied at one scale: the same size. When one outline has the ID-1 aspect and clean edges and the other
    differs in size (one of its sides sits on an inner line: a band of print, a fold, a
    stamp's frame), move that side to where the first card's size puts it, on whichever end
    the edges support best. Kept only when the moved outline is supported all round and
    overlaps neither the other card nor the image border."""
    (c0, c1) = kept
    strong, weak = (c0, c1) if (c0[4], c0[5]) >= (c1[4], c1[5]) else (c1, c0)
    if not strong[4] or strong[5] < 0.85:
        return kept
    # a flat sheet, scanned or copied whole (a photographed sheet shows nearer cards larger)
    H, W = img.shape[:2]
    if not 1.38 <= max(H, W) / min(H, W) <= 1.45 or _perspective_strength(_order_card(strong[2])) > 0.03:
        return kept
    Ls, Ss = _dims(_order_card(strong[2]))
    Lw, Sw = _dims(_order_card(weak[2]))
    if abs(Lw / Ls - 1) <= TWIN_TOL and abs(Sw / Ss - 1) <= TWIN_TOL:
        return kept
    # the weak outline and the other hypotheses on the same card, each with its sides moved
    variants = []
    for c in cands:
        if c is weak or (_poly_iou(c[2], weak[2])[1] > 0.5 and _poly_iou(c[2], strong[2])[1] < 0.08):
            variants.extend(_twin_variants(_order_card(c[2]), Ls, Ss))
    small, _, _ = _downscale(img, _CARD_SIDE)
    h, w = small.shape[:2]
    gx, gy = _gradients(small)
    if not variants:
        return kept
    V = np.stack([_order_clockwise(q) for q in variants])
    # each moved side onto the edge it lies near (the size taken over is only as exact as
    # the other card's outline)
    R, _, ok = _refine_many(V, gx, gy, np.full(len(V), max(3.0, 0.04 * Ss)))
    V = np.stack([_order_clockwise(r) if k else q for r, q, k in zip(R, V, ok)])
    sups, _, alikes, overs = _side_support(V, gx, gy, small.astype(np.float32))
    best, best_key = None, None
    for q, sup, alike, over in zip(V, sups, alikes, overs):
        s0, s1 = np.sort(sup)[:2]
        if s0 < 0.35 or s1 < 0.6 or over > 0.6:
            continue
        Lq, Sq = _dims(_order_card(q))
        if abs(Lq / Ls - 1) > 2 * TWIN_TOL or abs(Sq / Ss - 1) > 2 * TWIN_TOL:
            continue
        if q[:, 0].min() < -0.01 * w or q[:, 1].min() < -0.01 * h or q[:, 0].max() > 1.01 * w or \
                q[:, 1].max() > 1.01 * h:
            continue
        iou, iom = _poly_iou(q, strong[2])
        if iou > 0.3 or iom > 0.08:
            continue
        key = (float(sup.sum()), float(alike))
        if best_key is None or key > best_key:
            best, best_key = q, key
    if best is None:
        return kept
    a = abs(cv2.contourArea(best.astype(np.float32)))
    asp = _card_aspect(_order_card(best), small.shape)
    lo, hi = CARD_ASPECT_RANGE
    fixed = (max(weak[0], 0.6), a, best, asp, lo <= asp <= hi, best_key[0] / 4.0)
    return [c if c is not weak else fixed for c in kept]


def _card_sized_text(img: np.ndarray) -> bool:
    """False when an image reads like a page of a document rather than a card filling it:
    many text components, in lines under ~1.8 % of the short side (on a card: 3.5-6 %)."""
    small, sx, _ = _downscale(img, _TEXT_SIDE)
    t = _text_mask(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
    if t.n_comp < 150:
        return True
    # a card's guilloche breaks up into many short dashes: specks, not characters (they made a
    # clean card's "lines" 3 px high); what is left of the mask are the characters
    n, lab, st, _ = cv2.connectedComponentsWithStats(t.mask, connectivity=8)
    big = np.maximum(st[:, 2], st[:, 3]) >= CARD_TEXT_SPECK * min(small.shape[:2])
    big[0] = False
    if int(big.sum()) < 150:
        return True
    lh = _line_height(np.where(big[lab], np.uint8(255), np.uint8(0)))
    return lh <= 0 or lh >= 0.018 * min(small.shape[:2])


CARD_TEXT_SPECK = 0.012  # a mark under this share of the short side is no character (_card_sized_text)


def _nms(cands, ink: np.ndarray | None = None):
    """Non-maximum suppression of (score, area, quad, aspect, strict, edge) candidates.

    Nested pairs first: when good candidates lie inside a bigger one, the ink between them
    decides: a blank ring means a sheet (or a false frame) holding cards, and the outer one
    goes; printed matter around them means a card holding boxes or halves of itself, and the
    inner ones go (unless they score far better).  Then greedy NMS by score, where cards may
    not overlap; of two outlines of one card, the one with more complete edges is kept."""
    cands = sorted(cands, key=lambda c: -c[0])
    n = len(cands)
    dropped = [False] * n
    inner: list[list[int]] = [[] for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if i != j and cands[j][1] < 0.55 * cands[i][1] and cands[j][0] >= 0.5:
                if _poly_iou(cands[i][2], cands[j][2])[1] > 0.9:
                    inner[i].append(j)
    for i in range(n):
        if not inner[i]:
            continue
        sep = []
        for j in sorted(inner[i], key=lambda j: -cands[j][0]):
            if all(_poly_iou(cands[j][2], cands[k][2])[0] < 0.3 for k in sep):
                sep.append(j)
        if ink is not None:
            sheet = _ring_ink(ink, cands[i][2], [cands[j][2] for j in sep]) < 0.005
        else:
            sheet = len(sep) >= 2 or min(cands[j][1] for j in sep) < 0.12 * cands[i][1]
        if sheet or max(cands[j][0] for j in sep) > cands[i][0] + 0.2:
            dropped[i] = True
        else:
            for j in inner[i]:
                dropped[j] = True
    kept = []
    for i, c in enumerate(cands):
        if dropped[i]:
            continue
        clash = False
        for n, k in enumerate(kept):
            iou, iom = _poly_iou(c[2], k[2])
            if iou > 0.3 or iom > 0.08:  # cards do not overlap (nor cut through each other)
                clash = True
                # two outlines of one card: the one whose edges are more complete is right,
                # unless only the other has the card's aspect (a strong inner line, a fold or
                # the edge of a band of print, closes a cleaner but too narrow quad)
                if iou > 0.6 and c[5] > k[5] + 0.08 and (c[4] or not k[4]):
                    kept[n] = c
                break
        if not clash:
            kept.append(c)
    return kept


def _reading_order(a: CardRegion, b: CardRegion) -> int:
    ay, by_ = (a.bbox[1] + a.bbox[3]) / 2, (b.bbox[1] + b.bbox[3]) / 2
    ah, bh = a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1]
    if abs(ay - by_) > 0.5 * min(ah, bh):
        return -1 if ay < by_ else 1
    ax, bx = (a.bbox[0] + a.bbox[2]) / 2, (b.bbox[0] + b.bbox[2]) / 2
    return -1 if ax < bx else (1 if ax > bx else 0)


def warp_quad(image: np.ndarray, quad, out_width: int = 1012,
              out_height: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Perspective-correct the quad (TL, TR, BR, BL) to ``out_width`` x ``out_height`` (default
    round(out_width/1.585), an ID-1 card; a page: :func:`page_warp_size`).

    Returns ``(crop, H, H_inv)``: ``H`` maps page -> crop coordinates, ``H_inv`` crop -> page."""
    image = np.asarray(image)
    ow = int(out_width)
    oh = int(out_height) if out_height else int(round(ow / CARD_ASPECT))
    src = np.asarray(quad, np.float32).reshape(4, 2)
    dst = np.array([[0, 0], [ow - 1, 0], [ow - 1, oh - 1], [0, oh - 1]], np.float32)
    Hm = cv2.getPerspectiveTransform(src, dst).astype(np.float64)
    crop = cv2.warpPerspective(image, Hm, (ow, oh), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
    return crop, Hm, np.linalg.inv(Hm)


# ---------------------------------------------------------------------------------------------
# whole pages photographed: the sheet's outline
# ---------------------------------------------------------------------------------------------

_PAGE_SIDE = 800  # analysis resolution (longer side) for page finding
#: accepted long/short ratio of a found page after perspective correction (A-series 1.414,
#: US letter 1.294; not ID-1 cards, 1.585, which are also told apart by their text size)
PAGE_ASPECT_RANGE = (1.2, 1.52)
#: smallest accepted page, as a fraction of the image area
PAGE_MIN_AREA = 0.15


def _page_candidate_contours(small: np.ndarray) -> list[np.ndarray]:
    """Outlines of regions that may be the sheet: Canny edges (closed by dilation), the
    brighter-than-surroundings region (text closed away, Otsu) and the region whose colour
    differs from the image border's."""
    g = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    h, w = g.shape
    gb = cv2.GaussianBlur(g, (5, 5), 0)
    out: list[np.ndarray] = []
    med = float(np.median(gb))
    for lo_f in (0.66, 0.33):
        e = cv2.Canny(gb, max(5.0, lo_f * med * 0.5), max(15.0, lo_f * med))
        e = cv2.dilate(e, np.ones((3, 3), np.uint8), iterations=2)
        cs, _ = cv2.findContours(e, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        out.extend(cs)
    # paper is light: close the text away, then Otsu on brightness
    k = _odd(0.02 * max(h, w))
    closed = cv2.morphologyEx(gb, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    _, m = cv2.threshold(closed, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    cs, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    out.extend(cs)
    # colour unlike the border's (Lab distance), for backgrounds as light as the paper
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (5, 5), 0), cv2.COLOR_BGR2LAB).astype(np.float32)
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]], axis=0)
    ref = np.median(border, axis=0)
    d = np.sqrt(((lab - ref) ** 2).sum(axis=2))
    d8 = np.clip(d * (255.0 / max(1.0, float(np.percentile(d, 99)))), 0, 255).astype(np.uint8)
    d8 = cv2.morphologyEx(d8, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    _, m2 = cv2.threshold(d8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    m2 = cv2.morphologyEx(m2, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    cs, _ = cv2.findContours(m2, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    out.extend(cs)
    return out


def _quad_of_contour(c: np.ndarray) -> np.ndarray | None:
    """A 4-corner approximation of a contour's convex hull, each side refitted to the contour
    points along it (so corners are not cut by the polygon approximation)."""
    hull = cv2.convexHull(c)
    peri = cv2.arcLength(hull, True)
    q = None
    for eps in (0.01, 0.02, 0.03, 0.05, 0.08):
        a = cv2.approxPolyDP(hull, eps * peri, True)
        if len(a) == 4:
            q = a.reshape(4, 2).astype(np.float64)
            break
        if len(a) < 4:
            break
    if q is None:
        return None
    q = _order_clockwise(q)
    pts = c.reshape(-1, 2).astype(np.float64)
    lines = []
    for i in range(4):
        a, b = q[i], q[(i + 1) % 4]
        d = b - a
        L = float(np.hypot(*d))
        if L < 1:
            return None
        u = d / L
        nrm = np.array([-u[1], u[0]])
        rel = pts - a
        t = rel @ u
        off = rel @ nrm
        sel = (t > 0.1 * L) & (t < 0.9 * L) & (np.abs(off) < max(2.0, 0.02 * L))
        if sel.sum() >= 10:
            vx, vy, x0, y0 = cv2.fitLine(pts[sel].astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
            lines.append((np.array([x0, y0], np.float64), np.array([vx, vy], np.float64)))
        else:
            lines.append((a, u))
    return _corners(lines)


def _side_contrast(lab: np.ndarray, q: np.ndarray, off: float) -> np.ndarray:
    """Per side: the Lab distance between points just inside and just outside it that 3/4 of
    the side exceed (NaN for
    a side with no room outside it, along the image border)."""
    h, w = lab.shape[:2]
    c = q.mean(axis=0)
    res = np.zeros(4)
    for i in range(4):
        a, b = q[i], q[(i + 1) % 4]
        t = np.linspace(0.1, 0.9, 24)[:, None]
        p = a + (b - a) * t
        d = b - a
        nrm = np.array([-d[1], d[0]]) / max(1e-9, float(np.hypot(*d)))
        if np.dot(c - (a + b) / 2, nrm) < 0:
            nrm = -nrm  # pointing inwards
        pin = np.rint(p + off * nrm).astype(int)
        pout = np.rint(p - off * nrm).astype(int)
        ok = ((pout[:, 0] >= 0) & (pout[:, 0] < w) & (pout[:, 1] >= 0) & (pout[:, 1] < h) &
              (pin[:, 0] >= 0) & (pin[:, 0] < w) & (pin[:, 1] >= 0) & (pin[:, 1] < h))
        if ok.sum() < 6:
            res[i] = np.nan  # a side along the image border: nothing outside to compare with
            continue
        vi = lab[pin[ok, 1], pin[ok, 0]]
        vo = lab[pout[ok, 1], pout[ok, 0]]
        res[i] = float(np.percentile(np.sqrt(((vi - vo) ** 2).sum(axis=1)), 25))  # (nearly) all along
    return res


def _line_quads(small: np.ndarray, per_axis: int = 7) -> list[np.ndarray]:
    """Quads bounded by two roughly horizontal and two roughly vertical long straight edges
    (the longest few of each), for sheets whose outline does not close into one contour."""
    h, w = small.shape[:2]
    g = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (3, 3), 0)
    lines = _long_lines(g, 0.12 * min(h, w))
    hor = [l for l in lines if abs(l[1][0]) >= abs(l[1][1]) and l[3] - l[2] >= 0.2 * w][:per_axis]
    ver = [l for l in lines if abs(l[1][0]) < abs(l[1][1]) and l[3] - l[2] >= 0.2 * h][:per_axis]

    def cross(l1, l2):
        (p1, d1, _, _), (p2, d2, _, _) = l1, l2
        A = np.array([d1, -d2]).T
        if abs(np.linalg.det(A)) < 1e-6:
            return None
        t = np.linalg.solve(A, p2 - p1)
        return p1 + t[0] * d1

    def level(l, axis):  # the line's position across its direction (y of a horizontal line)
        return float(l[0][axis] + l[1][axis] * (0.5 * (l[2] + l[3])))

    out = []
    for i in range(len(hor)):
        for j in range(i + 1, len(hor)):
            top, bot = sorted((hor[i], hor[j]), key=lambda l: level(l, 1))
            if level(bot, 1) - level(top, 1) < 0.3 * h:
                continue
            for k in range(len(ver)):
                for m in range(k + 1, len(ver)):
                    left, right = sorted((ver[k], ver[m]), key=lambda l: level(l, 0))
                    if level(right, 0) - level(left, 0) < 0.2 * w:
                        continue
                    c = [cross(top, left), cross(top, right), cross(bot, right), cross(bot, left)]
                    if any(p is None for p in c):
                        continue
                    out.append(np.array(c, np.float64))
    return out


def _side_cuts_text(tmask: np.ndarray, q: np.ndarray, width: float) -> bool:
    """Does a side of the quad run through printed matter?  The strip just inside each side
    (``width`` px) should be about as blank as a page margin: its ink density is compared with
    the density over the whole quad."""
    inside = np.zeros_like(tmask)
    cv2.fillConvexPoly(inside, np.rint(q).astype(np.int32), 255)
    a_in = cv2.countNonZero(inside)
    d_in = cv2.countNonZero(cv2.bitwise_and(tmask, inside)) / max(1, a_in)
    if d_in <= 0:
        return False
    band = np.zeros_like(tmask)
    for i in range(4):
        band[:] = 0
        cv2.line(band, tuple(int(v) for v in np.rint(q[i])), tuple(int(v) for v in np.rint(q[(i + 1) % 4])),
                 255, max(1, int(round(2 * width))))
        band = cv2.bitwise_and(band, inside)
        n = cv2.countNonZero(band)
        if n and cv2.countNonZero(cv2.bitwise_and(tmask, band)) / n > 2.5 * d_in:
            return True
    return False


def _order_page(q: np.ndarray) -> np.ndarray:
    """Clockwise from the corner nearest the image's top-left (TL, TR, BR, BL as it lies)."""
    q = _order_clockwise(q)
    i = int(np.argmin(q[:, 0] + q[:, 1]))
    return np.roll(q, -i, axis=0)


def _corners(lines) -> np.ndarray | None:
    """Corners of a quadrilateral from its four sides, each a (point, direction) line: corner i
    is where side i-1 meets side i. None when two neighbouring sides are parallel."""
    r = np.zeros((4, 2))
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        A = np.array([d1, -d2]).T
        if abs(np.linalg.det(A)) < 1e-9:
            return None
        s = np.linalg.solve(A, p2 - p1)
        r[i] = p1 + s[0] * d1
    return r


def find_page_quad(image) -> np.ndarray | None:
    """The four corners (4 x 2 float32, TL, TR, BR, BL as the page lies in the image, original
    pixels) of a sheet of paper photographed on a background, or None.

    Hypotheses are the convex 4-corner outlines of regions found by edges (Canny, closed by
    dilation), by brightness (paper lighter than its surroundings) and by colour (unlike the
    image border), sides refitted to the outline; when none passes, quads bounded by pairs of
    long straight edges (faint or broken outlines, a shadow across the sheet).  The accepted
    quad's sides are finally moved onto the strongest edge nearby at full resolution.  A quad is accepted only when it looks
    like a page photo: convex, at least :data:`PAGE_MIN_AREA` of the image, interior angles
    60-120 degrees, not touching the image border with all four corners (a scan or a crop
    needs no warp), a page-like aspect after perspective correction, a visible contrast across
    at least three of its sides (a ruled table box inside a page has paper on both sides), text
    lines small for its size (an ID card's are not) and little printed matter outside it.
    Works on a copy whose longer side is 800 px (~40-55 ms CPU on a 2-3 Mpx photo)."""
    img = to_bgr(image)
    H0, W0 = img.shape[:2]
    if min(H0, W0) < 64:
        return None
    small, sx, sy = _downscale(img, _PAGE_SIDE)
    h, w = small.shape[:2]
    area = float(h * w)
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (5, 5), 0), cv2.COLOR_BGR2LAB).astype(np.float32)
    off = max(3.0, 0.012 * max(h, w))
    best, best_key = None, -1.0
    seen: list[np.ndarray] = []
    tmask = _text_mask(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)).mask
    def judge(q: np.ndarray | None) -> None:
        nonlocal best, best_key
        if q is None:
            return
        if seen and float(np.abs(np.stack(seen) - q).max(axis=(1, 2)).min()) < 2.0:
            return
        seen.append(q)
        q32 = q.astype(np.float32)
        a = abs(cv2.contourArea(q32))
        if a < PAGE_MIN_AREA * area or a > 0.98 * area or not cv2.isContourConvex(q32.reshape(-1, 1, 2)):
            return
        if (q[:, 0].min() < -0.02 * w or q[:, 1].min() < -0.02 * h or
                q[:, 0].max() > 1.02 * w or q[:, 1].max() > 1.02 * h):
            return
        m = 0.015 * max(h, w)
        at_border = (q[:, 0] < m) | (q[:, 0] > w - 1 - m) | (q[:, 1] < m) | (q[:, 1] > h - 1 - m)
        if at_border.all():
            return
        v1 = np.roll(q, 1, axis=0) - q
        v2 = np.roll(q, -1, axis=0) - q
        cosang = np.abs((v1 * v2).sum(axis=1)) / (np.hypot(v1[:, 0], v1[:, 1]) * np.hypot(v2[:, 0], v2[:, 1]) + 1e-9)
        if cosang.max() > 0.5:
            return
        oq = _order_page(q)
        side, cam = _quad_aspect(oq, 0.85 * max(h, w), ((w - 1) / 2, (h - 1) / 2))
        asps = [max(v, 1 / v) for v in (side, cam) if v > 0 and np.isfinite(v)]
        lo, hi = PAGE_ASPECT_RANGE
        if not any(lo <= v <= hi for v in asps):
            return
        con = _side_contrast(lab, q, off)
        # every side with room outside it shows the sheet's edge (a side at the image border
        # has no outside); at least three sides do
        seen_sides = con[np.isfinite(con)]
        if len(seen_sides) < 3 or float(seen_sides.min()) < 8.0:
            return
        if _side_cuts_text(tmask, q, 2.0 * off):  # a sheet has blank margins; a shadow has not
            return
        key = a / area * min(1.0, float(seen_sides.min()) / 20.0)
        if key > best_key:
            best, best_key = oq, key

    for c in _page_candidate_contours(small):
        if cv2.contourArea(cv2.convexHull(c)) >= PAGE_MIN_AREA * area:
            judge(_quad_of_contour(c))
    if best is None:  # faint or broken outline: quads from long straight edges
        for q in _line_quads(small):
            judge(q)
    if best is None:
        return None
    if not _page_text_ok(small, best):
        return None
    q = (best + 0.5) / np.array([sx, sy]) - 0.5
    q = _refine_page_sides(img, q, reach=4.0 / min(sx, sy))
    return q.astype(np.float32)


def _refine_page_sides(img: np.ndarray, q: np.ndarray, reach: float) -> np.ndarray:
    """Move each side onto the strongest edge within ``reach`` px of it (full resolution,
    sub-pixel), with a robust line fit; corners are the intersections of the refitted sides.
    A side without a clear edge (or at the image border) stays as it was."""
    H, W = img.shape[:2]
    x0, y0 = np.floor(np.maximum(q.min(axis=0) - reach - 4, 0)).astype(int)
    x1, y1 = np.ceil(np.minimum(q.max(axis=0) + reach + 4, [W - 1, H - 1])).astype(int)
    g = cv2.cvtColor(np.ascontiguousarray(img[y0:y1 + 1, x0:x1 + 1]), cv2.COLOR_BGR2GRAY)
    g = cv2.GaussianBlur(g, (0, 0), 1.5).astype(np.float32)
    c = q.mean(axis=0)
    steps = np.arange(-reach, reach + 1e-9, 0.5, dtype=np.float32)
    lines = []
    for i in range(4):
        a, b = q[i], q[(i + 1) % 4]
        d = b - a
        L = float(np.hypot(*d))
        u = d / max(L, 1e-9)
        nrm = np.array([-u[1], u[0]])
        if np.dot(c - (a + b) / 2, nrm) < 0:
            nrm = -nrm
        t = np.linspace(0.08, 0.92, 48)[:, None]
        base = a + d * t  # 48 x 2
        pts = base[:, None, :] + steps[None, :, None] * nrm  # 48 x K x 2
        mx = (pts[..., 0] - x0).astype(np.float32)
        my = (pts[..., 1] - y0).astype(np.float32)
        prof = cv2.remap(g, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0)
        inside_img = (pts[..., 0] >= 0) & (pts[..., 0] <= W - 1) & (pts[..., 1] >= 0) & (pts[..., 1] <= H - 1)
        ok_rows = inside_img.all(axis=1)
        der = np.abs(np.diff(prof, axis=1))  # 48 x (K-1)
        k = der.argmax(axis=1)
        strong = der[np.arange(len(k)), k] >= 1.5
        sel = ok_rows & strong & (k > 0) & (k < der.shape[1] - 1)
        if sel.sum() < 12:
            lines.append((a, u))
            continue
        # sub-pixel peak (parabola through the three derivative values around the maximum)
        r = np.arange(len(k))[sel]
        kk = k[sel]
        ym, y0_, yp = der[r, kk - 1], der[r, kk], der[r, kk + 1]
        den = ym - 2 * y0_ + yp
        frac = np.where(np.abs(den) > 1e-6, 0.5 * (ym - yp) / den, 0.0)
        off = steps[0] + 0.5 * (kk + 0.5 + np.clip(frac, -0.5, 0.5))
        p = base[sel] + off[:, None] * nrm
        vx, vy, px, py = cv2.fitLine(p.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([px, py], np.float64), np.array([vx, vy], np.float64)))
    out = _corners(lines)
    if out is None:
        return q
    if np.abs(out - q).max() > 3 * reach:
        return q
    return out


def _page_text_ok(small: np.ndarray, q: np.ndarray) -> bool:
    """Text inside the quad, sized like a page's (lines under ~3 % of its short side), and
    not much printed matter outside it."""
    g = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    t = _text_mask(g)
    if t.n_comp < 10:
        return False
    inside = np.zeros_like(g)
    cv2.fillConvexPoly(inside, np.rint(q).astype(np.int32), 255)
    n_in = cv2.countNonZero(cv2.bitwise_and(t.mask, inside))
    n_out = cv2.countNonZero(cv2.bitwise_and(t.mask, cv2.bitwise_not(inside)))
    a_in = max(1, cv2.countNonZero(inside))
    a_out = max(1, inside.size - a_in)
    if n_in == 0 or (n_out / a_out) > 2.0 * (n_in / a_in):  # (textured backgrounds are ink-like)
        return False
    short = min(np.hypot(*(q[1] - q[0])), np.hypot(*(q[2] - q[1])))
    lh = _line_height(cv2.bitwise_and(t.mask, inside))
    return 0 < lh < 0.03 * short


def page_warp_size(quad) -> tuple[int, int]:
    """(width, height) of the rectangle a page quad (TL, TR, BR, BL) is warped to: the longer
    of each pair of opposite sides, so the page keeps (about) its resolution."""
    q = np.asarray(quad, np.float64).reshape(4, 2)
    wt = max(np.hypot(*(q[1] - q[0])), np.hypot(*(q[2] - q[3])))
    ht = max(np.hypot(*(q[3] - q[0])), np.hypot(*(q[2] - q[1])))
    return max(8, int(round(wt))), max(8, int(round(ht)))
