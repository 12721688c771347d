"""Degradations: composable ``f(img, truth, rng, **kw) -> (img, truth)``.

``img`` is an RGB (or RGBA, for ``phone_photo``/``place``) uint8 array; ``truth`` is a
:class:`~samples.truth.Truth` whose points are mapped through every geometric change (rotation,
perspective, scaling, placement), so its boxes stay on the pixels.  Photometric ones leave it alone
(``seal`` and ``watermark`` add printed lines with roles 'seal' / 'watermark').

Geometric: ``rotate``, ``perspective``, ``downscale``, ``phone_photo``, ``place``.
Photometric: ``photocopy``, ``blur``, ``jpeg``, ``low_contrast``, ``noise``, ``shadow``.
Additive print: ``seal``, ``watermark``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageDraw

from . import fonts as F
from .render.layout import blend_multiply, blend_over, draw_seal, ink
from .truth import Truth

__all__ = ["rotate", "perspective", "downscale", "phone_photo", "place", "photocopy", "blur",
           "jpeg", "low_contrast", "noise", "shadow", "seal", "watermark", "warp_into",
           "WATERMARK_TEXTS", "background_texture"]

WATERMARK_TEXTS = ["复印无效", "仅供社保待遇申领使用", "与原件一致", "仅供办理养老保险待遇使用",
                   "此复印件仅供社保业务使用", "再复印无效", "与原件相符", "仅供参保登记使用"]


def _rgb(img: np.ndarray) -> np.ndarray:
    return img[..., :3] if img.ndim == 3 and img.shape[2] == 4 else img


def _border_colour(img: np.ndarray) -> tuple[int, int, int]:
    im = _rgb(img)
    edge = np.concatenate([im[0], im[-1], im[:, 0], im[:, -1]]).reshape(-1, 3)
    return tuple(int(v) for v in np.median(edge, axis=0))


# ------------------------------------------------------------------------------------------
# geometric
# ------------------------------------------------------------------------------------------
def rotate(img, truth: Truth, rng: np.random.Generator, quarter: int | None = None,
           skew: float | None = None, fill=None, max_skew: float = 7.0):
    """Rotate clockwise by ``90*quarter + skew`` degrees, expanding the canvas.

    Defaults: random quarter turn (0/90/180/270) and skew uniform in ±``max_skew``.
    """
    if quarter is None:
        quarter = int(rng.integers(0, 4))
    if skew is None:
        skew = float(rng.uniform(-max_skew, max_skew))
    angle = 90.0 * (quarter % 4) + skew
    h, w = img.shape[:2]
    if fill is None:
        fill = _border_colour(img)
    if abs(skew) < 1e-9:
        # exact quarter turns without resampling (edge coordinates: a pixel spans [i, i+1))
        k = quarter % 4
        out = np.ascontiguousarray(np.rot90(img, -k))
        if k == 0:
            M = np.eye(3)
        elif k == 1:
            M = np.array([[0, -1, h], [1, 0, 0], [0, 0, 1]], float)
        elif k == 2:
            M = np.array([[-1, 0, w], [0, -1, h], [0, 0, 1]], float)
        else:
            M = np.array([[0, 1, 0], [-1, 0, w], [0, 0, 1]], float)
        truth.apply_homography(M, (out.shape[1], out.shape[0]))
        return out, truth
    a = math.radians(angle)
    c, s = abs(math.cos(a)), abs(math.sin(a))
    nw, nh = int(math.ceil(w * c + h * s)), int(math.ceil(w * s + h * c))
    M = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    M[0, 2] += nw / 2 - w / 2
    M[1, 2] += nh / 2 - h / 2
    bv = tuple(fill) + ((0,) if img.shape[2] == 4 else ())
    out = cv2.warpAffine(img, M, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=bv)
    truth.apply_homography(M, (nw, nh))
    return out, truth


def perspective(img, truth: Truth, rng: np.random.Generator, strength: float = 0.06, fill=None):
    """Random keystone: each corner moves inward by up to ``strength`` of the size."""
    h, w = img.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    d = rng.uniform(0, strength, size=(4, 2)) * np.array([w, h])
    dst = np.float32([[d[0, 0], d[0, 1]], [w - d[1, 0], d[1, 1]], [w - d[2, 0], h - d[2, 1]],
                      [d[3, 0], h - d[3, 1]]])
    H = cv2.getPerspectiveTransform(src, dst)
    if fill is None:
        fill = _border_colour(img)
    out = cv2.warpPerspective(img, H, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=tuple(fill))
    truth.apply_homography(H, (w, h))
    return out, truth


def downscale(img, truth: Truth, rng: np.random.Generator, factor: float | None = None,
              up_again: bool = False):
    """Shrink by ``factor`` (default 0.4–0.75); ``up_again`` resizes back (lost detail, same size)."""
    if factor is None:
        factor = float(rng.uniform(0.4, 0.75))
    h, w = img.shape[:2]
    nw, nh = max(8, int(round(w * factor))), max(8, int(round(h * factor)))
    small = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
    if up_again:
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), truth
    truth.apply_homography(np.diag([nw / w, nh / h, 1.0]), (nw, nh))
    return small, truth


def warp_into(dst: np.ndarray, src: np.ndarray, H: np.ndarray, alpha: np.ndarray | None = None,
              interp=cv2.INTER_LINEAR) -> np.ndarray:
    """Warp ``src`` (RGB or RGBA) by homography ``H`` (src -> dst coords) and alpha-blend it into
    ``dst`` in place; only the bounding box of the warped source is processed.  Returns the
    warped alpha mask in dst coordinates of that box (for shadows), as (mask, x0, y0)."""
    H = np.asarray(H, dtype=np.float64)
    if H.shape == (2, 3):
        H = np.vstack([H, [0, 0, 1]])
    sh, sw = src.shape[:2]
    corners = np.array([[0, 0, 1], [sw, 0, 1], [sw, sh, 1], [0, sh, 1]], float) @ H.T
    corners = corners[:, :2] / corners[:, 2:3]
    Dh, Dw = dst.shape[:2]
    x0 = int(max(0, math.floor(corners[:, 0].min()) - 2))
    y0 = int(max(0, math.floor(corners[:, 1].min()) - 2))
    x1 = int(min(Dw, math.ceil(corners[:, 0].max()) + 2))
    y1 = int(min(Dh, math.ceil(corners[:, 1].max()) + 2))
    if x1 <= x0 or y1 <= y0:
        return None
    T = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], float) @ H
    rgb = _rgb(src)
    if alpha is None:
        alpha = src[..., 3] if (src.ndim == 3 and src.shape[2] == 4) else np.full((sh, sw), 255, np.uint8)
    wr = cv2.warpPerspective(rgb, T, (x1 - x0, y1 - y0), flags=interp, borderMode=cv2.BORDER_CONSTANT)
    wa = cv2.warpPerspective(alpha, T, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    a = wa[..., None].astype(np.float32) / 255.0
    roi = dst[y0:y1, x0:x1, :3].astype(np.float32)
    dst[y0:y1, x0:x1, :3] = np.clip(roi * (1 - a) + wr.astype(np.float32) * a, 0, 255).astype(np.uint8)
    return wa, x0, y0


def background_texture(w: int, h: int, rng: np.random.Generator, kind: str | None = None) -> np.ndarray:
    """Procedural surface under a phone photo: wood, desk, fabric, paper pile, glass desk."""
    kind = kind or ["wood", "desk", "fabric", "paper", "dark"][int(rng.integers(5))]
    sw, shh = max(8, w // 4), max(8, h // 4)
    yy, xx = np.mgrid[0:shh, 0:sw].astype(np.float32)
    if kind == "wood":
        base = np.array(rng.uniform([120, 75, 40], [200, 150, 100]), np.float32)
        n = cv2.resize(rng.random((6, 40)).astype(np.float32), (sw, shh), interpolation=cv2.INTER_CUBIC)
        g = np.sin(yy / rng.uniform(3, 8) + 6 * n + 2 * np.sin(xx / rng.uniform(30, 90))) * 0.5 + 0.5
        img = base[None, None, :] * (0.75 + 0.3 * g[..., None])
    elif kind == "fabric":
        base = np.array(rng.uniform(40, 200, 3), np.float32)
        p = rng.uniform(2.0, 4.0)
        g = (np.sin(xx * p) * np.sin(yy * p)) * 0.5 + 0.5
        img = base[None, None, :] * (0.85 + 0.2 * g[..., None])
    elif kind == "paper":
        base = np.array(rng.uniform(200, 235, 3), np.float32)
        img = np.broadcast_to(base, (shh, sw, 3)).copy()
        for _ in range(3):  # other sheets lying around
            x0, y0 = rng.uniform(-0.2, 0.8) * sw, rng.uniform(-0.2, 0.8) * shh
            cv2.fillConvexPoly(img, np.int32([[x0, y0], [x0 + sw * 0.5, y0 + rng.uniform(-10, 10)],
                                              [x0 + sw * 0.5, y0 + shh * 0.6], [x0, y0 + shh * 0.6]]),
                               tuple(float(v) for v in rng.uniform(225, 250, 3)))
    elif kind == "dark":
        base = np.array(rng.uniform(20, 70, 3), np.float32)
        img = np.broadcast_to(base, (shh, sw, 3)).copy()
    else:  # desk: plain laminate
        base = np.array(rng.uniform(90, 220, 3), np.float32)
        img = np.broadcast_to(base, (shh, sw, 3)).copy()
    low = cv2.resize(rng.uniform(0.85, 1.1, (4, 4)).astype(np.float32), (sw, shh), interpolation=cv2.INTER_CUBIC)
    img = img.astype(np.float32) * low[..., None] + _normal(rng, (shh, sw, 1)) * 3.0
    img = cv2.resize(np.clip(img, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)
    return img


def place(img, truth: Truth, canvas: np.ndarray, H: np.ndarray):
    """Warp ``img`` (RGB/RGBA) into ``canvas`` (RGB, modified) by homography ``H``; truth follows."""
    warp_into(canvas, img, H)
    truth.apply_homography(H, (canvas.shape[1], canvas.shape[0]))
    return canvas, truth


def phone_photo(img, truth: Truth, rng: np.random.Generator, out_long: int | None = None,
                fill: float | None = None, max_tilt: float = 0.08, max_rot: float = 12.0,
                bg_kind: str | None = None, glare: bool | None = None):
    """Photograph the document: textured background, perspective, lighting, defocus, noise, glare.

    ``fill``: fraction of the frame's short side taken by the document (default 0.55–0.88).
    """
    sh, sw = img.shape[:2]
    doc_landscape = sw >= sh
    landscape = doc_landscape if rng.random() < 0.85 else not doc_landscape
    if out_long is None:
        out_long = int(rng.uniform(1280, 1800) if doc_landscape else rng.uniform(1500, 2000))
    ratio = rng.choice([4 / 3, 16 / 9, 3 / 2])
    W, Hh = (out_long, int(out_long / ratio)) if landscape else (int(out_long / ratio), out_long)
    bg = background_texture(W, Hh, rng, bg_kind)
    fill = fill if fill is not None else float(rng.uniform(0.55, 0.88))
    # document size on the frame
    scale = min(W * fill / sw, Hh * fill / sh)
    dw, dh = sw * scale, sh * scale
    rot = math.radians(rng.uniform(-max_rot, max_rot))
    cx = W / 2 + rng.uniform(-0.5, 0.5) * max(0, W - dw * 1.1) * 0.8
    cy = Hh / 2 + rng.uniform(-0.5, 0.5) * max(0, Hh - dh * 1.1) * 0.8
    base = np.array([[-dw / 2, -dh / 2], [dw / 2, -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]])
    R = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
    pts = base @ R.T + [cx, cy]
    # keystone: shrink one side (camera tilt)
    t = rng.uniform(0, max_tilt)
    side = int(rng.integers(4))
    a, b = side, (side + 1) % 4
    mid = (pts[a] + pts[b]) / 2
    pts[a] = pts[a] + (mid - pts[a]) * t
    pts[b] = pts[b] + (mid - pts[b]) * t
    pts += rng.normal(0, 0.01 * min(dw, dh), size=(4, 2))
    # keep inside the frame
    lo = pts.min(axis=0)
    hi = pts.max(axis=0)
    shift = np.maximum(0, 4 - lo) - np.maximum(0, hi - np.array([W - 5, Hh - 5]))
    pts += shift
    pts = np.clip(pts, 2, [W - 3, Hh - 3])
    Hm = cv2.getPerspectiveTransform(np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]]), np.float32(pts))
    # soft shadow under the document
    if img.ndim == 3 and img.shape[2] == 4:
        alpha = img[..., 3]
    else:
        alpha = np.full((sh, sw), 255, np.uint8)
    off = rng.uniform(3, 12, 2) * (W / 1500)
    Hs = np.array([[1, 0, off[0]], [0, 1, off[1]], [0, 0, 1]]) @ Hm
    # everything smooth (shadow, light field) is computed at quarter resolution
    q = 4
    Qd = np.diag([1 / q, 1 / q, 1.0])
    qs = (W // q + 1, Hh // q + 1)
    sm = cv2.warpPerspective(alpha, Qd @ Hs, qs, flags=cv2.INTER_LINEAR).astype(np.float32) / 255.0
    dm = cv2.warpPerspective(alpha, Qd @ Hm, qs, flags=cv2.INTER_LINEAR).astype(np.float32) / 255.0
    k = int(max(3, W / 120 / q)) | 1
    sm = cv2.GaussianBlur(sm, (k, k), 0) * float(rng.uniform(0.25, 0.55))
    dm = cv2.GaussianBlur(dm, (0, 0), 1.2)  # no quarter-resolution staircase at the edge
    shade = 1.0 - sm * (1.0 - dm)
    warp_into(bg, img, Hm, alpha=alpha)
    truth.apply_homography(Hm, (W, Hh))
    # uneven light (smooth random field) and colour cast
    grid = rng.uniform(0.6, 1.12, (3, 3)).astype(np.float32)
    light = cv2.resize(grid, qs, interpolation=cv2.INTER_CUBIC) * shade
    light = cv2.resize(light, (W, Hh), interpolation=cv2.INTER_LINEAR)
    cast = np.array([rng.uniform(0.93, 1.05), 1.0, rng.uniform(0.88, 1.05)], np.float32)
    out = bg.astype(np.float32)
    out *= light[..., None]
    out *= cast
    if glare if glare is not None else rng.random() < 0.35:
        # specular glare is additive: it washes text out towards white
        gx, gy = rng.uniform(0.2, 0.8) * W / q, rng.uniform(0.2, 0.8) * Hh / q
        rx, ry = rng.uniform(0.04, 0.16) * W / q, rng.uniform(0.03, 0.12) * Hh / q
        yy, xx = np.mgrid[0:light.shape[0], 0:light.shape[1]].astype(np.float32)
        gmask = np.exp(-(((xx - gx) / rx) ** 2 + ((yy - gy) / ry) ** 2))
        gmask = cv2.resize(gmask * float(rng.uniform(90, 230)), (W, Hh), interpolation=cv2.INTER_LINEAR)
        out += gmask[..., None]
    np.clip(out, 0, 255, out=out)
    sigma_b = float(rng.uniform(0.4, 1.6))
    if rng.random() < 0.15:
        out8, _ = blur(out.astype(np.uint8), truth, rng, sigma=sigma_b, kind="motion")
        out = out8.astype(np.float32)
    else:
        out = cv2.GaussianBlur(out, (0, 0), sigma_b)
    _add_noise_f32(out, rng, float(rng.uniform(2, 7)), chroma=True)
    return out.astype(np.uint8), truth


_NORMAL_LUT = None


def _normal(rng: np.random.Generator, shape) -> np.ndarray:
    """Fast approximately-normal float32 noise (256-level quantiles of N(0,1))."""
    global _NORMAL_LUT
    if _NORMAL_LUT is None:
        from statistics import NormalDist
        nd = NormalDist()
        _NORMAL_LUT = np.array([nd.inv_cdf((i + 0.5) / 256) for i in range(256)], np.float32)
    n = int(np.prod(shape))
    return _NORMAL_LUT[np.frombuffer(rng.bytes(n), np.uint8)].reshape(shape)


def _add_noise_f32(out: np.ndarray, rng, sigma: float, chroma: bool = True) -> None:
    """In place: luminance noise at full resolution, colour noise at half; clips to 0..255."""
    h, w = out.shape[:2]
    z = _normal(rng, (h, w))
    z *= sigma
    if out.ndim == 3:
        out += z[..., None]
        if chroma and out.shape[2] == 3:
            c = _normal(rng, (h // 2 + 1, w // 2 + 1, 3))
            c *= sigma * 0.4
            out += cv2.resize(c, (w, h), interpolation=cv2.INTER_NEAREST)
    else:
        out += z
    np.clip(out, 0, 255, out=out)


# ------------------------------------------------------------------------------------------
# photometric
# ------------------------------------------------------------------------------------------
def noise(img, truth, rng, sigma: float = 4.0, chroma: bool = True):
    out = _rgb(img).astype(np.float32)
    _add_noise_f32(out, rng, sigma, chroma)
    return out.astype(np.uint8), truth


def blur(img, truth, rng, sigma: float | None = None, kind: str = "gauss"):
    im = _rgb(img)
    if sigma is None:
        sigma = float(rng.uniform(0.6, 2.0))
    if kind == "motion":
        L = max(3, int(sigma * 4)) | 1
        k = np.zeros((L, L), np.float32)
        k[L // 2, :] = 1
        M = cv2.getRotationMatrix2D((L / 2 - 0.5, L / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
        k = cv2.warpAffine(k, M, (L, L))
        k /= max(k.sum(), 1e-6)
        return cv2.filter2D(im, -1, k), truth
    return cv2.GaussianBlur(im, (0, 0), sigma), truth


def jpeg(img, truth, rng, quality: int | None = None):
    if quality is None:
        quality = int(rng.integers(30, 81))
    im = _rgb(img)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(np.ascontiguousarray(im), cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    out = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return out, truth


def low_contrast(img, truth, rng, factor: float | None = None):
    """Washed-out: compress the range towards a light grey, lift blacks."""
    if factor is None:
        factor = float(rng.uniform(0.35, 0.6))
    im = _rgb(img).astype(np.float32)
    mid = rng.uniform(150, 200)
    out = mid + (im - mid) * factor + rng.uniform(0, 25)
    return np.clip(out, 0, 255).astype(np.uint8), truth


def shadow(img, truth, rng, strength: float | None = None):
    """A soft straight-edged shadow (hand, phone) over part of the image."""
    im = _rgb(img).astype(np.float32)
    h, w = im.shape[:2]
    strength = strength if strength is not None else float(rng.uniform(0.25, 0.55))
    mask = np.zeros((h, w), np.float32)
    p = rng.uniform([0, 0], [w, h], size=(2, 2))
    cx, cy = rng.choice([0, w]), rng.choice([0, h])
    poly = np.int32([[cx, cy], p[0], p[1]])
    cv2.fillConvexPoly(mask, np.int32([[cx, cy], [p[0][0], cy], p[0], p[1], [cx, p[1][1]]]), 1.0)
    k = int(max(w, h) / 25) | 1
    mask = cv2.GaussianBlur(mask, (k, k), 0)
    del poly
    return np.clip(im * (1 - strength * mask[..., None]), 0, 255).astype(np.uint8), truth


def photocopy(img, truth, rng, strength: float | None = None):
    """Copier look: greyscale, crushed contrast (pale colours vanish), toner specks, streaks, blur."""
    s = strength if strength is not None else float(rng.uniform(0.4, 1.0))
    im = _rgb(img)
    g = cv2.cvtColor(np.ascontiguousarray(im), cv2.COLOR_RGB2GRAY).astype(np.float32)
    white = rng.uniform(215, 245) - 35 * s * rng.random()
    black = rng.uniform(30, 70) + 30 * s * rng.random()
    g = (g - black) / max(10.0, white - black)
    g = np.clip(g, 0, 1) ** rng.uniform(0.8, 1.6)
    paper = rng.uniform(225, 250)
    toner = rng.uniform(10, 45)
    g = toner + g * (paper - toner)
    h, w = g.shape
    # background grain (low-res, upsampled) and fine noise
    grain = cv2.resize(_normal(rng, (h // 3 + 1, w // 3 + 1)), (w, h), interpolation=cv2.INTER_LINEAR)
    g += grain * float(rng.uniform(2, 6) * s)
    _add_noise_f32(g, rng, float(rng.uniform(1, 4)), chroma=False)
    # toner specks
    n = int(rng.uniform(50, 400) * s * (h * w) / 2e6)
    if n:
        ys, xs = rng.integers(0, h, n), rng.integers(0, w, n)
        rs = rng.uniform(0.5, 2.2, n)
        for y, x, r in zip(ys, xs, rs):
            cv2.circle(g, (int(x), int(y)), int(r), float(rng.uniform(toner, paper * 0.6)), -1)
    # streaks along the paper path (vertical) and drum marks
    for _ in range(int(rng.integers(0, 4) * (s > 0.3))):
        x = int(rng.integers(0, w))
        ww = int(rng.integers(1, 4))
        dv = rng.uniform(-70, 30)
        g[:, x:x + ww] += dv * rng.uniform(0.3, 1.0)
    if rng.random() < 0.3 * s:
        y = int(rng.integers(0, h))
        g[y:y + int(rng.integers(2, 8)), :] -= rng.uniform(10, 40)
    g = cv2.GaussianBlur(g, (0, 0), rng.uniform(0.4, 0.9))
    g = np.clip(g, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.repeat(g[..., None], 3, axis=2)), truth


# ------------------------------------------------------------------------------------------
# additive print: seals and watermarks
# ------------------------------------------------------------------------------------------
def _target_box(truth: Truth, rng) -> tuple[float, float, float, float]:
    """A random printed line of a random document (fallback: the image centre)."""
    lines = [ln for d in truth.docs for ln in d.lines if ln.role in ("value", "label", "table")]
    if not lines:
        return (truth.width * 0.4, truth.height * 0.4, truth.width * 0.6, truth.height * 0.6)
    q = lines[int(rng.integers(len(lines)))].quad
    return (q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max())


def seal(img, truth: Truth, rng: np.random.Generator, text: str | None = None,
         radius: float | None = None, center=None):
    """A red round stamp over some text (e.g. a unit's 社保业务专用章 on a copy)."""
    out = np.ascontiguousarray(_rgb(img).copy())
    text = text or ["社会保险事业管理中心", "人力资源和社会保障局", "街道社区服务中心",
                    "村民委员会", "社会保险经办机构"][int(rng.integers(5))]
    bottom = ["业务专用章", "审核专用章", "", "证明专用章"][int(rng.integers(4))]
    if radius is None:
        radius = min(truth.width, truth.height) * rng.uniform(0.06, 0.12)
    if center is None:
        b = _target_box(truth, rng)
        center = ((b[0] + b[2]) / 2 + rng.normal(0, radius * 0.3), (b[1] + b[3]) / 2 + rng.normal(0, radius * 0.3))
    a = draw_seal(rng, radius, text, bottom)
    h, w = a.shape
    x = int(min(max(center[0] - w / 2, 1), truth.width - w - 2))
    y = int(min(max(center[1] - h / 2, 1), truth.height - h - 2))
    blend_multiply(out, a, ink(rng, "red"), x, y)
    truth.add_page_line(text + bottom, [[x, y], [x + w, y], [x + w, y + h], [x, y + h]], role="seal")
    return out, truth


def watermark(img, truth: Truth, rng: np.random.Generator, text: str | None = None,
              style: str | None = None, region=None, angle: float | None = None,
              color=None, opacity: float | None = None):
    """Diagonal text across the document(s): 'print' (semi-transparent grey/red/blue type),
    'hand' (ballpoint handwriting) or 'stamp' (red text in a rectangular frame)."""
    out = np.ascontiguousarray(_rgb(img).copy())
    text = text or WATERMARK_TEXTS[int(rng.integers(len(WATERMARK_TEXTS)))]
    style = style or ["print", "print", "hand", "stamp"][int(rng.integers(4))]
    if region is None:
        if truth.docs:
            pts = np.vstack([d.quad for d in truth.docs])
            region = (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())
        else:
            region = (0, 0, truth.width, truth.height)
    rx0, ry0, rx1, ry1 = region
    rw, rh = rx1 - rx0, ry1 - ry0
    if angle is None:
        angle = float(rng.uniform(15, 40) * (1 if rng.random() < 0.7 else -1))
    if style == "hand":
        spec = F.pick("kai", rng, text)
        color = color or ink(rng, "blue" if rng.random() < 0.6 else "black")
        opacity = opacity if opacity is not None else rng.uniform(0.75, 0.95)
    elif style == "stamp":
        spec = F.pick("serif" if rng.random() < 0.5 else "sans", rng, text, bold=True)
        color = color or ink(rng, "red")
        opacity = opacity if opacity is not None else rng.uniform(0.6, 0.9)
        angle = angle * 0.5
    else:
        spec = F.pick("sans" if rng.random() < 0.6 else "serif", rng, text, bold=rng.random() < 0.5)
        color = color or [(120, 120, 120), (200, 40, 40), (40, 70, 180)][int(rng.integers(3))]
        opacity = opacity if opacity is not None else rng.uniform(0.2, 0.45)
    # size: span most of the region's diagonal; shrink until the text lies inside the image
    diag = math.hypot(rw, rh)
    target = diag * {"print": rng.uniform(0.45, 0.8), "hand": rng.uniform(0.25, 0.45),
                     "stamp": rng.uniform(0.25, 0.4)}[style]
    size = max(12.0, target / max(1, len(text)))
    cx = rx0 + rw / 2 + rng.normal(0, rw * 0.08)
    cy = ry0 + rh / 2 + rng.normal(0, rh * 0.08)
    for _ in range(12):
        font = F.load(spec, size)
        tw = font.getlength(text)
        pad = int(size * 0.4)
        bx0, by0, bx1, by1 = font.getbbox(text, anchor="ls")
        Wm, Hm = int(tw + 2 * pad), int((by1 - by0) + 2 * pad)
        M = cv2.getRotationMatrix2D((Wm / 2, Hm / 2), angle, 1.0)  # counter-clockwise by angle
        a = math.radians(angle)
        nw = int(abs(Wm * math.cos(a)) + abs(Hm * math.sin(a))) + 2
        nh = int(abs(Wm * math.sin(a)) + abs(Hm * math.cos(a))) + 2
        M[0, 2] += nw / 2 - Wm / 2
        M[1, 2] += nh / 2 - Hm / 2
        # keep the centre such that the box fits, if it can
        cx = min(max(cx, nw / 2 + 2), truth.width - nw / 2 - 2) if nw < truth.width - 4 else truth.width / 2
        cy = min(max(cy, nh / 2 + 2), truth.height - nh / 2 - 2) if nh < truth.height - 4 else truth.height / 2
        x, y = int(cx - nw / 2), int(cy - nh / 2)
        q = np.array([[pad + bx0, pad], [pad + bx1, pad], [pad + bx1, pad + by1 - by0],
                      [pad + bx0, pad + by1 - by0]], float)
        q = np.hstack([q, np.ones((4, 1))]) @ M.T + [x, y]
        if (q[:, 0].min() >= 0 and q[:, 1].min() >= 0 and q[:, 0].max() <= truth.width - 1
                and q[:, 1].max() <= truth.height - 1) or size <= 12:
            break
        size *= 0.85
    layer = Image.new("L", (Wm, Hm), 0)
    d = ImageDraw.Draw(layer)
    d.text((pad, pad - by0), text, font=font, fill=255, anchor="ls")
    if style == "stamp":
        d.rectangle([2, 2, Wm - 3, Hm - 3], outline=255, width=max(2, int(size / 10)))
    m = np.asarray(layer, np.float32) / 255.0
    if style != "print":  # uneven ink
        lo = cv2.resize(rng.uniform(0.5, 1.0, (3, 8)).astype(np.float32), (Wm, Hm), interpolation=cv2.INTER_CUBIC)
        m *= np.clip(lo, 0, 1)
    rm = cv2.warpAffine(m, M, (nw, nh), flags=cv2.INTER_LINEAR) * opacity
    (blend_multiply if style in ("hand", "stamp") else blend_over)(out, rm, color, x, y)
    truth.add_page_line(text, q, role="watermark")
    return out, truth
