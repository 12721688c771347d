"""Second-generation resident ID card (居民身份证), front (人像面) and back (国徽面).

``render_id_front(person, rng)`` / ``render_id_back(person, rng)`` return ``(image, truth)``:
an RGB uint8 card crop (ID-1, 85.6 × 54 mm, about 1012 × 638 px, ±30 %) and a
:class:`~samples.truth.Truth` with one document.  With ``alpha=True`` the image is RGBA
(transparent rounded corners) for composing onto pages and photos.

Layout positions are in millimetres on the card, converted with the pixel scale, and jittered a
little (plus a whole-print offset) so that no two cards are pixel-aligned.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .. import fonts as F
from ..people import Person
from .layout import Canvas, union

__all__ = ["render_id_front", "render_id_back", "CARD_MM", "card_size"]

CARD_MM = (85.6, 54.0)
BASE_WIDTH = 1012


def card_size(rng: np.random.Generator, width: int | None = None) -> tuple[int, int]:
    if width is None:
        width = int(round(BASE_WIDTH * rng.uniform(0.7, 1.3)))
    return int(width), int(round(width * CARD_MM[1] / CARD_MM[0]))


# ------------------------------------------------------------------------------------------
# backgrounds
# ------------------------------------------------------------------------------------------
def _guilloche(W: int, H: int, rng: np.random.Generator, back: bool) -> np.ndarray:
    """Light security background: tinted gradient, wavy line families and a rosette (float32 RGB).

    Computed at half resolution (speed) and upscaled, which also softens it like a real print.
    """
    w, h = (W + 1) // 2, (H + 1) // 2
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    k = w / 1012.0
    if back:
        c0 = np.array([246, 240, 236], np.float32) + rng.normal(0, 3, 3).astype(np.float32)
        c1 = np.array([236, 242, 248], np.float32) + rng.normal(0, 3, 3).astype(np.float32)
    else:
        c0 = np.array([240, 246, 246], np.float32) + rng.normal(0, 3, 3).astype(np.float32)
        c1 = np.array([248, 244, 238], np.float32) + rng.normal(0, 3, 3).astype(np.float32)
    t = (xx / w * rng.uniform(0.5, 1.0) + yy / h * rng.uniform(0.0, 0.5))[..., None]
    t = np.clip(t, 0, 1)
    img = c0 * (1 - t) + c1 * t
    palette = [(120, 170, 200), (150, 200, 170), (215, 160, 175), (170, 160, 215), (200, 190, 140)]
    for _ in range(int(rng.integers(3, 6))):
        col = np.array(palette[int(rng.integers(len(palette)))], np.float32)
        period = rng.uniform(5, 11) * k
        amp = rng.uniform(4, 22) * k
        fx = rng.uniform(0.006, 0.02) / k
        ph = rng.uniform(0, 2 * math.pi)
        ang = rng.uniform(-0.5, 0.5)
        u = yy * math.cos(ang) + xx * math.sin(ang)
        v = (u + amp * np.sin(xx * fx + ph + 0.003 * yy / k)) / period
        dist = np.abs(v - np.round(v)) * period
        lw = rng.uniform(0.45, 0.8) * max(0.7, 2 * k)
        m = np.clip(1.0 - dist / lw, 0, 1) * rng.uniform(0.10, 0.28)
        img = img * (1 - m[..., None]) + col * m[..., None]
    # rosette
    cx, cy = rng.uniform(0.3, 0.75) * w, rng.uniform(0.35, 0.7) * h
    r = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
    th = np.arctan2(yy - cy, xx - cx)
    p = rng.uniform(7, 12) * k
    v = (r + rng.uniform(4, 10) * k * np.sin(th * int(rng.integers(6, 16)))) / p
    dist = np.abs(v - np.round(v)) * p
    fade = np.clip(1.0 - r / (rng.uniform(0.35, 0.6) * w), 0, 1)
    m = np.clip(1.0 - dist / (0.6 * max(0.7, 2 * k)), 0, 1) * 0.18 * fade
    col = np.array(palette[int(rng.integers(len(palette)))], np.float32)
    img = img * (1 - m[..., None]) + col * m[..., None]
    return cv2.resize(img.astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)


def _rounded_alpha(w: int, h: int, radius: float) -> np.ndarray:
    a = Image.new("L", (w * 2, h * 2), 0)
    ImageDraw.Draw(a).rounded_rectangle([0, 0, w * 2 - 1, h * 2 - 1], radius=int(radius * 2), fill=255)
    return np.asarray(a.resize((w, h), Image.BILINEAR), dtype=np.uint8)


def _finish(canvas: Canvas, w: int, h: int, rng: np.random.Generator, alpha: bool, corner_bg):
    arr = canvas.to_array()
    # printing softness
    arr = cv2.GaussianBlur(arr, (0, 0), rng.uniform(0.3, 0.6) * max(1.0, w / 1012))
    a = _rounded_alpha(w, h, 3.18 * w / CARD_MM[0])
    if alpha:
        out = np.dstack([arr, a])
    else:
        bg = np.array(corner_bg, np.float32)[None, None, :]
        af = a[..., None].astype(np.float32) / 255
        out = (arr.astype(np.float32) * af + bg * (1 - af)).astype(np.uint8)
    t = canvas.truth()
    return out, t


def _label_color(rng):
    return (int(rng.uniform(20, 70)), int(rng.uniform(110, 160)), int(rng.uniform(180, 220)))


def _value_color(rng):
    v = int(rng.uniform(5, 35))
    return (v, v, int(v + rng.uniform(0, 10)))


# ------------------------------------------------------------------------------------------
# portrait and emblem placeholders
# ------------------------------------------------------------------------------------------
def _portrait(img: Image.Image, box, rng, sex: str):
    """A grey head-and-shoulders silhouette, clipped to ``box`` and softly blended in."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    w, h = x1 - x0, y1 - y0
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    cx = w * rng.uniform(0.46, 0.54)
    g = int(rng.uniform(85, 150))
    skin = (g + 30, g + 25, g + 20, 255)
    cloth = tuple(int(v) for v in rng.uniform(30, 110, 3)) + (255,)
    hair = (int(g * 0.3),) * 3 + (255,)
    sw = w * rng.uniform(0.42, 0.5)
    draw.ellipse([cx - sw, h * 0.74, cx + sw, h * 1.45], fill=cloth)
    draw.rectangle([cx - w * 0.09, h * 0.52, cx + w * 0.09, h * 0.8], fill=skin)
    hw, hh = w * rng.uniform(0.2, 0.24), h * rng.uniform(0.22, 0.26)
    hy = h * 0.37
    if sex == "女" and rng.random() < 0.7:
        draw.ellipse([cx - hw * 1.25, hy - hh * 1.15, cx + hw * 1.25, hy + hh * 1.6], fill=hair)
    draw.ellipse([cx - hw, hy - hh, cx + hw, hy + hh], fill=skin)
    draw.chord([cx - hw * 1.05, hy - hh * 1.12, cx + hw * 1.05, hy + hh * 0.5], 180, 360, fill=hair)
    arr = np.asarray(layer, dtype=np.float32)
    # shading: lighter towards the upper left, like studio light
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 1.0 + 0.25 * (1 - xx / w) * (1 - yy / h) - 0.1
    arr[..., :3] = np.clip(arr[..., :3] * shade[..., None], 0, 255)
    arr = cv2.GaussianBlur(arr, (0, 0), max(0.8, w / 300))
    a = arr[..., 3:4] / 255.0
    base = np.asarray(img, dtype=np.float32)[y0:y1, x0:x1]
    hh_, ww_ = base.shape[:2]
    out = base * (1 - a[:hh_, :ww_]) + arr[:hh_, :ww_, :3] * a[:hh_, :ww_]
    img.paste(Image.fromarray(np.clip(out, 0, 255).astype(np.uint8)), (x0, y0))


def _emblem(draw: ImageDraw.ImageDraw, cx, cy, r, rng):
    red = (int(rng.uniform(190, 225)), int(rng.uniform(20, 50)), int(rng.uniform(30, 50)))
    gold = (int(rng.uniform(215, 240)), int(rng.uniform(170, 200)), int(rng.uniform(40, 90)))
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=gold)
    draw.ellipse([cx - r * 0.86, cy - r * 0.86, cx + r * 0.86, cy + r * 0.86], fill=red)
    # wheat-ear ring: small gold ovals round the rim
    for k in range(28):
        a = 2 * math.pi * k / 28
        px, py = cx + r * 0.78 * math.cos(a), cy + r * 0.78 * math.sin(a)
        draw.ellipse([px - r * 0.07, py - r * 0.07, px + r * 0.07, py + r * 0.07], fill=gold)

    def star(x, y, s, rot=0.0):
        pts = []
        for k in range(10):
            rad = s if k % 2 == 0 else s * 0.4
            a = -math.pi / 2 + rot + k * math.pi / 5
            pts.append((x + rad * math.cos(a), y + rad * math.sin(a)))
        draw.polygon(pts, fill=gold)
    star(cx, cy - r * 0.42, r * 0.2)
    for i, (dx, dy) in enumerate([(-0.42, -0.52), (-0.3, -0.25), (0.3, -0.25), (0.42, -0.52)]):
        star(cx + dx * r, cy + dy * r, r * 0.07, rot=0.3 * (i - 1.5))
    # gate (天安门) block and gear
    draw.rectangle([cx - r * 0.45, cy - r * 0.02, cx + r * 0.45, cy + r * 0.32], fill=gold)
    for k in range(5):
        gx = cx - r * 0.36 + k * r * 0.18
        draw.rectangle([gx - r * 0.04, cy + r * 0.12, gx + r * 0.04, cy + r * 0.32], fill=red)
    draw.polygon([(cx - r * 0.55, cy + r * 0.02), (cx + r * 0.55, cy + r * 0.02),
                  (cx + r * 0.4, cy - r * 0.1), (cx - r * 0.4, cy - r * 0.1)], fill=gold)
    draw.ellipse([cx - r * 0.22, cy + r * 0.42, cx + r * 0.22, cy + r * 0.86], fill=gold)
    draw.ellipse([cx - r * 0.1, cy + r * 0.54, cx + r * 0.1, cy + r * 0.74], fill=red)


def _great_wall(arr: np.ndarray, y0: float, y1: float, rng, k: float):
    """A faint Great-Wall-like skyline band across the back."""
    h, w = arr.shape[:2]
    layer = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(layer)
    n = 14
    xs = np.linspace(-0.05 * w, 1.05 * w, n)
    ys = y1 - (y1 - y0) * (0.3 + 0.7 * rng.random(n))
    pts = list(zip(xs.tolist(), ys.tolist()))
    d.polygon(pts + [(1.05 * w, y1 + 4 * k), (-0.05 * w, y1 + 4 * k)], fill=110)
    d.line(pts, fill=255, width=max(1, int(2 * k)))
    for x, y in pts[1:-1]:  # towers
        d.rectangle([x - 6 * k, y - 14 * k, x + 6 * k, y], fill=200)
    m = cv2.GaussianBlur(np.asarray(layer, np.float32) / 255.0, (0, 0), 1.2 * k) * rng.uniform(0.12, 0.22)
    col = np.array([(200, 120, 130), (120, 150, 200), (190, 160, 120)][int(rng.integers(3))], np.float32)
    arr[:] = arr * (1 - m[..., None]) + col * m[..., None]


# ------------------------------------------------------------------------------------------
# front
# ------------------------------------------------------------------------------------------
def _wrap(text: str, font, max_w: float, max_lines: int = 3) -> list[str] | None:
    lines, cur = [], ""
    i = 0
    while i < len(text):
        ch = text[i]
        # keep digit runs together where possible
        j = i
        while j < len(text) and text[j].isascii() and text[j].isalnum():
            j += 1
        tok = text[i:j] if j > i else ch
        if font.getlength(cur + tok) <= max_w:
            cur += tok
            i += len(tok)
            continue
        if not cur:  # token itself too long: break by character
            cur = ch
            i += 1
            continue
        lines.append(cur)
        cur = ""
    if cur:
        lines.append(cur)
    return lines if len(lines) <= max_lines else None


def render_id_front(person: Person, rng: np.random.Generator, width: int | None = None,
                    alpha: bool = False, corner_bg=(252, 252, 252)):
    """Render the 人像面; returns (RGB or RGBA uint8 array, Truth with one 'id_card_front')."""
    w, h = card_size(rng, width)
    mm = w / CARD_MM[0]
    bg = _guilloche(w, h, rng, back=False)
    cv = Canvas(np.clip(bg, 0, 255).astype(np.uint8), "id_card_front")
    ox, oy = rng.normal(0, 0.5, 2) * mm  # whole-print offset
    J = lambda s=0.25: float(rng.normal(0, s) * mm)  # noqa: E731

    serif = rng.random() < 0.25
    vspec = F.pick("serif" if serif else "sans", rng, person.name + person.address + person.ethnicity)
    lspec = F.pick("sans", rng, "姓名性别民族出生住址公民身份号码")
    nspec = F.pick("ocrb", rng)
    lsize = rng.uniform(2.2, 2.6) * mm
    vsize = rng.uniform(3.0, 3.35) * mm
    lfont = F.load(lspec, lsize)
    vfont = F.load(vspec, vsize)
    nfont = F.load(F.covering(vspec, person.name), vsize * rng.uniform(1.08, 1.2))
    lcol, vcol = _label_color(rng), _value_color(rng)
    lx = (rng.uniform(5.0, 6.5)) * mm + ox
    vx = lx + rng.uniform(9.0, 10.0) * mm
    track_l = lsize * rng.uniform(0.5, 0.9)

    def label(x, y, s):
        return cv.text(x, y, s, lfont, lcol, tracking=track_l if len(s) == 2 else lsize * 0.02,
                       role="label", record_text=s)

    y = rng.uniform(9.3, 10.5) * mm + oy
    label(lx, y, "姓名")
    nb = cv.text(vx + J(), y + J(0.15), person.name, nfont, vcol,
                 tracking=nfont.size * rng.uniform(0.0, 0.15))
    cv.field("name", person.name, nb)

    y += rng.uniform(6.5, 7.2) * mm
    label(lx, y, "性别")
    sb = cv.text(vx + J(0.15), y, person.sex, vfont, vcol)
    cv.field("sex", person.sex, sb)
    ex = lx + rng.uniform(20.5, 22.5) * mm
    label(ex, y, "民族")
    eb = cv.text(ex + rng.uniform(9.0, 10.0) * mm + J(0.15), y, person.ethnicity, vfont, vcol)
    cv.field("ethnicity", person.ethnicity, eb)

    y += rng.uniform(6.5, 7.2) * mm
    label(lx, y, "出生")
    b = person.birth_date
    g = vsize * rng.uniform(0.25, 0.5)
    x = vx + J(0.15)
    parts = []
    dfont = vfont
    for tok, slot in ((f"{b.year}", None), ("年", None), (f"{b.month}", 2), ("月", None),
                      (f"{b.day}", 2), ("日", None)):
        parts.append(cv.text(x, y, tok, dfont, vcol, record=False))
        adv = dfont.getlength(tok)
        if slot:
            adv = max(adv, dfont.getlength("0" * slot) * rng.uniform(0.6, 1.0))
        x += adv + g
    bb = union(parts)
    cv.doc.add_line(f"{b.year}年{b.month}月{b.day}日", _q(bb), "value")
    cv.field("birth_date", b.isoformat(), bb)

    y += rng.uniform(6.5, 7.2) * mm
    label(lx, y, "住址")
    avail = (52.5 * mm + ox) - vx
    s = vsize
    lines = None
    while lines is None:
        afont = F.load(vspec, s)
        lines = _wrap(person.address, afont, min(avail, 11.2 * s))
        s *= 0.94
    pitch = afont.size * rng.uniform(1.3, 1.45)
    aboxes = []
    for i, ln in enumerate(lines):
        aboxes.append(cv.text(vx + J(0.1), y + i * pitch, ln, afont, vcol))
    cv.field("address", person.address, aboxes)

    # number line
    yn = rng.uniform(47.5, 49.0) * mm + oy
    label(lx, yn, "公民身份号码")
    nx0 = lx + rng.uniform(20.5, 22.5) * mm
    nx1 = rng.uniform(79.5, 82.0) * mm + ox
    # OCR-B digits, wide spacing: the 18 characters fill [nx0, nx1] with 10–35 % extra pitch
    unit = F.load(nspec, 100).getlength("0") / 100.0          # advance per pixel of font size
    size = min(rng.uniform(3.9, 4.6) * mm, (nx1 - nx0) / (18 * unit * rng.uniform(1.1, 1.35)))
    numfont = F.load(nspec, size)
    tw = numfont.getlength(person.id_number)
    trk = max(0.0, (nx1 - nx0 - tw) / 17)
    ib = cv.text(nx0, yn + J(0.1), person.id_number, numfont, vcol, tracking=trk)
    cv.field("id_number", person.id_number, ib)

    # portrait
    px0 = rng.uniform(53.0, 55.0) * mm + ox
    py0 = rng.uniform(5.5, 7.5) * mm + oy
    _portrait(cv.img, (px0, py0, min(w - 2, px0 + 26 * mm), py0 + 32.5 * mm), rng, person.sex)
    cv.doc.meta = {"width_mm": CARD_MM[0], "px_per_mm": round(mm, 3)}
    return _finish(cv, w, h, rng, alpha, corner_bg)


def _q(bb):
    from ..truth import quad_from_bbox
    return quad_from_bbox(bb)


# ------------------------------------------------------------------------------------------
# back
# ------------------------------------------------------------------------------------------
def _period(person: Person, rng: np.random.Generator) -> str:
    a = person.valid_from
    s = f"{a.year}.{a.month:02d}.{a.day:02d}"
    if isinstance(person.valid_to, str):
        return s + "-" + person.valid_to
    b = person.valid_to
    return s + "-" + f"{b.year}.{b.month:02d}.{b.day:02d}"


def render_id_back(person: Person, rng: np.random.Generator, width: int | None = None,
                   alpha: bool = False, corner_bg=(252, 252, 252)):
    """Render the 国徽面; returns (RGB or RGBA uint8 array, Truth with one 'id_card_back')."""
    w, h = card_size(rng, width)
    mm = w / CARD_MM[0]
    bg = _guilloche(w, h, rng, back=True)
    _great_wall(bg, rng.uniform(26, 30) * mm, rng.uniform(35, 38) * mm, rng, mm / 11.82)
    cv = Canvas(np.clip(bg, 0, 255).astype(np.uint8), "id_card_back")
    ox, oy = rng.normal(0, 0.5, 2) * mm

    _emblem(cv.draw, rng.uniform(13.5, 15.5) * mm + ox, rng.uniform(13.0, 15.0) * mm + oy,
            rng.uniform(8.3, 9.3) * mm, rng)
    tspec = F.pick("sans", rng, "中华人民共和国居民身份证", bold=rng.random() < 0.6)
    tcol = _value_color(rng)
    x0t = rng.uniform(28.5, 31.0) * mm + ox
    x1t = rng.uniform(76.5, 80.0) * mm + ox
    f1 = F.load(tspec, rng.uniform(4.2, 4.8) * mm)
    trk1 = (x1t - x0t - f1.getlength("中华人民共和国")) / 6
    cv.text(x0t, rng.uniform(12.5, 14.0) * mm + oy, "中华人民共和国", f1, tcol, tracking=trk1,
            role="title")
    f2 = F.load(tspec, rng.uniform(7.0, 7.8) * mm)
    trk2 = (x1t - x0t - f2.getlength("居民身份证")) / 4
    cv.text(x0t, rng.uniform(23.5, 25.5) * mm + oy, "居民身份证", f2, tcol, tracking=trk2, role="title")

    lspec = F.pick("sans", rng, "签发机关有效期限")
    vspec = F.pick("serif" if rng.random() < 0.25 else "sans", rng, person.issuing_authority + "长期")
    lsize = rng.uniform(2.2, 2.6) * mm
    vsize = rng.uniform(3.0, 3.35) * mm
    lfont, vfont = F.load(lspec, lsize), F.load(vspec, vsize)
    lcol = _label_color(rng) if rng.random() < 0.5 else tcol
    vcol = _value_color(rng)
    lx = rng.uniform(12.5, 14.5) * mm + ox
    vx = lx + rng.uniform(15.5, 16.5) * mm
    trk = lsize * rng.uniform(0.1, 0.3)
    y = rng.uniform(42.5, 44.5) * mm + oy
    cv.text(lx, y, "签发机关", lfont, lcol, tracking=trk, role="label")
    af = vfont
    while vx + af.getlength(person.issuing_authority) > w - 3 * mm and af.size > 8:
        af = F.load(vspec, af.size * 0.94)
    ab = cv.text(vx, y, person.issuing_authority, af, vcol)
    cv.field("issuing_authority", person.issuing_authority, ab)
    y += rng.uniform(6.0, 6.8) * mm
    cv.text(lx, y, "有效期限", lfont, lcol, tracking=trk, role="label")
    period = _period(person, rng)
    pb = cv.text(vx, y, period, vfont, vcol, tracking=vsize * rng.uniform(0.0, 0.06))
    # fields: split bboxes of the two halves
    left = period.split("-")[0]
    frac = vfont.getlength(left) / max(1.0, vfont.getlength(period))
    x0, y0, x1, y1 = pb
    xm = x0 + (x1 - x0) * frac
    cv.field("valid_from", person.valid_from.isoformat(), (x0, y0, xm, y1))
    vt = person.valid_to if isinstance(person.valid_to, str) else person.valid_to.isoformat()
    xs = x0 + (x1 - x0) * (vfont.getlength(left + "-") / max(1.0, vfont.getlength(period)))
    cv.field("valid_to", vt, (xs, y0, x1, y1))
    cv.doc.meta = {"width_mm": CARD_MM[0], "px_per_mm": round(mm, 3)}
    return _finish(cv, w, h, rng, alpha, corner_bg)
