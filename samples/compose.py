"""Compositions: several documents on one page or photo, as people hand them in.

- :func:`a4_copy_both_sides`: both sides of one person's ID card photocopied on one A4 sheet
  (200 dpi, 1654 × 2339 px), in any real-life arrangement (front above back or the reverse, side
  by side, in the glass corner; one or both upside down; ±5° each), optional watermark across
  both, copier degradation, optional page rotation.
- :func:`two_cards_a4_copy`: two people's cards (both sides each) on one A4 copy.
- :func:`card_phone_photo`: one side of a card photographed on a table.

All return ``(RGB uint8 array, Truth)``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageDraw

from . import degrade as D
from . import fonts as F
from .people import Person, TODAY
from .render.idcard import CARD_MM, render_id_back, render_id_front
from .render.layout import ink
from .truth import Truth

__all__ = ["A4_200DPI", "a4_copy_both_sides", "two_cards_a4_copy", "card_phone_photo",
           "copier_edges", "card_placement_H", "LAYOUTS"]

A4_200DPI = (1654, 2339)
CARD_W_200DPI = CARD_MM[0] / 25.4 * 200  # 674 px at 1:1
LAYOUTS = ("stacked", "stacked_reversed", "side_by_side", "corner", "staggered")


def _paper(size, rng) -> np.ndarray:
    W, H = size
    v = rng.uniform(246, 255)
    return np.full((H, W, 3), int(v), np.uint8)


def card_placement_H(cw: int, ch: int, center, angle_deg: float) -> np.ndarray:
    """Homography putting a cw×ch card centred at ``center``, rotated clockwise by ``angle_deg``."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    T1 = np.array([[1, 0, -cw / 2], [0, 1, -ch / 2], [0, 0, 1]], float)
    R = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], float)
    T2 = np.array([[1, 0, center[0]], [0, 1, center[1]], [0, 0, 1]], float)
    return T2 @ R @ T1


def _fit_center(center, cw: int, ch: int, angle: float, W: int, H: int, margin: float):
    """Move ``center`` so that the rotated card lies inside the page with ``margin``."""
    q = np.array([[0, 0, 1], [cw, 0, 1], [cw, ch, 1], [0, ch, 1]], float) @ card_placement_H(cw, ch, center, angle).T
    q = q[:, :2]
    dx = max(0.0, margin - q[:, 0].min()) - max(0.0, q[:, 0].max() - (W - margin))
    dy = max(0.0, margin - q[:, 1].min()) - max(0.0, q[:, 1].max() - (H - margin))
    return (center[0] + dx, center[1] + dy)


def _place_card(page: np.ndarray, page_truth: Truth, rgba: np.ndarray, card_truth: Truth,
                center, angle: float, rng: np.random.Generator, outline: float) -> None:
    h, w = rgba.shape[:2]
    center = _fit_center(center, w, h, angle, page.shape[1], page.shape[0], margin=12.0)
    H = card_placement_H(w, h, center, angle)
    res = D.warp_into(page, rgba, H)
    if res is not None and outline > 0:
        wa, x0, y0 = res
        k = np.ones((3, 3), np.uint8)
        edge = (cv2.dilate(wa, k, iterations=2).astype(np.float32) - cv2.erode(wa, k).astype(np.float32)) / 255.0
        edge = cv2.GaussianBlur(edge, (0, 0), 1.0) * outline
        roi = page[y0:y0 + wa.shape[0], x0:x0 + wa.shape[1]].astype(np.float32)
        page[y0:y0 + wa.shape[0], x0:x0 + wa.shape[1]] = np.clip(roi * (1 - edge[..., None]), 0, 255).astype(np.uint8)
    page_truth.merge(card_truth, H)


def copier_edges(img: np.ndarray, truth: Truth, rng: np.random.Generator):
    """Dark bands and gradients along the sheet's edges (lid shadow, misfeed)."""
    out = img.astype(np.float32)
    h, w = out.shape[:2]
    for side in range(4):
        if rng.random() < 0.45:
            depth = int(rng.uniform(0.004, 0.03) * (w if side % 2 else h))
            if depth < 2:
                continue
            ramp = np.linspace(rng.uniform(0.25, 0.7), 1.0, depth, dtype=np.float32)
            if side == 0:
                out[:depth] *= ramp[:, None, None]
            elif side == 1:
                out[:, w - depth:] *= ramp[::-1][None, :, None]
            elif side == 2:
                out[h - depth:] *= ramp[::-1][:, None, None]
            else:
                out[:, :depth] *= ramp[None, :, None]
    return np.clip(out, 0, 255).astype(np.uint8), truth


def _handwritten_note(page: np.ndarray, truth: Truth, rng: np.random.Generator, person: Person,
                      x: float, y: float, size: float) -> None:
    """'与原件一致 张三 2025.3.1' written under the cards by the applicant."""
    d = TODAY.toordinal() - int(rng.integers(0, 600))
    import datetime as dt
    day = dt.date.fromordinal(d)
    text = ["与原件一致", "此复印件与原件相符", "本人身份证复印件", "仅供社保使用"][int(rng.integers(4))]
    text = f"{text} {person.name} {day.year}.{day.month}.{day.day}"
    spec = F.pick("kai", rng, text)
    font = F.load(spec, size)
    img = Image.fromarray(page)
    dr = ImageDraw.Draw(img)
    col = ink(rng, "blue" if rng.random() < 0.6 else "black")
    dr.text((x, y), text, font=font, fill=col, anchor="ls")
    b = font.getbbox(text, anchor="ls")
    page[:] = np.asarray(img)
    truth.add_page_line(text, [[x + b[0], y + b[1]], [x + b[2], y + b[1]], [x + b[2], y + b[3]],
                               [x + b[0], y + b[3]]], role="handwriting")


def _positions(layout: str, cw: float, ch: float, W: int, H: int, rng) -> list[tuple[float, float]]:
    jx = lambda: rng.normal(0, 12)  # noqa: E731
    if layout in ("stacked", "stacked_reversed"):
        top = rng.uniform(0.08, 0.3) * H + ch / 2
        gap = ch * rng.uniform(1.15, 1.6)
        x = W / 2 + rng.normal(0, W * 0.04)
        return [(x + jx(), top), (x + jx(), top + gap)]
    if layout == "side_by_side":
        y = rng.uniform(0.1, 0.4) * H + ch / 2
        gap = rng.uniform(0.04, 0.12) * cw
        return [(W / 2 - gap / 2 - cw / 2 + jx(), y + jx()), (W / 2 + gap / 2 + cw / 2 + jx(), y + jx())]
    if layout == "corner":  # card put in the glass corner, second one below
        m = rng.uniform(0.02, 0.06) * W
        return [(m + cw / 2, m + ch / 2), (m + cw / 2 + jx(), m + ch * 1.5 + rng.uniform(0.1, 0.4) * ch)]
    # staggered: one left-top, the other right-lower
    y0 = rng.uniform(0.1, 0.25) * H + ch / 2
    return [(W * 0.32 + jx(), y0), (W * 0.62 + jx(), y0 + ch * rng.uniform(1.2, 1.7))]


def a4_copy_both_sides(person: Person, rng: np.random.Generator, layout: str | None = None,
                       flips: tuple[bool, bool] | None = None, watermark: bool | None = None,
                       page_quarter: int | None = None, scale: float | None = None,
                       degrade: bool = True):
    """Both sides of ``person``'s card photocopied on one A4 page (200 dpi).

    ``flips``: (front upside down, back upside down); ``page_quarter``: final clockwise quarter
    turns of the whole sheet (2 = the sheet fed upside down).
    """
    W, Hh = A4_200DPI
    layout = layout or LAYOUTS[int(rng.integers(len(LAYOUTS)))]
    if scale is None:
        scale = float(rng.uniform(1.0, 1.55)) if layout != "side_by_side" else float(rng.uniform(0.95, 1.1))
    cw = int(round(CARD_W_200DPI * scale))
    page = _paper((W, Hh), rng)
    truth = Truth(W, Hh)
    fr, ft = render_id_front(person, rng, width=cw, alpha=True)
    br, bt = render_id_back(person, rng, width=cw, alpha=True)
    ch = fr.shape[0]
    pos = _positions(layout, cw, ch, W, Hh, rng)
    cards = [(fr, ft), (br, bt)]
    if layout == "stacked_reversed" or (layout != "stacked" and rng.random() < 0.25):
        cards = cards[::-1]
    if flips is None:
        flips = (bool(rng.random() < 0.12), bool(rng.random() < 0.12))
    flip_map = {"id_card_front": flips[0], "id_card_back": flips[1]}
    outline = float(rng.uniform(0.0, 0.6))
    for (rgba, t), c in zip(cards, pos):
        ang = float(rng.uniform(-5, 5)) + (180.0 if flip_map[t.docs[0].type] else 0.0)
        _place_card(page, truth, rgba, t, c, ang, rng, outline)
    if watermark is None:
        watermark = rng.random() < 0.7
    if watermark:
        page, truth = D.watermark(page, truth, rng)
    if rng.random() < 0.3:
        pts = np.vstack([d.quad for d in truth.docs])
        yb = min(Hh - 60, pts[:, 1].max() + rng.uniform(60, 160))
        _handwritten_note(page, truth, rng, person, pts[:, 0].min() + rng.uniform(0, 80), yb,
                          rng.uniform(40, 60))
    if degrade:
        page, truth = D.photocopy(page, truth, rng)
        page, truth = copier_edges(page, truth, rng)
        if rng.random() < 0.5:  # slight feed skew
            page, truth = D.rotate(page, truth, rng, quarter=0, skew=float(rng.uniform(-1.5, 1.5)))
    if page_quarter is None:
        page_quarter = int(rng.choice([0, 0, 0, 0, 0, 2, 1, 3]))
    if page_quarter:
        page, truth = D.rotate(page, truth, rng, quarter=page_quarter, skew=0.0)
    truth.meta.update({"layout": layout, "card_scale": round(scale, 3), "flips": list(flips),
                       "page_quarter": page_quarter})
    return page, truth


def two_cards_a4_copy(persons: list[Person], rng: np.random.Generator, degrade: bool = True):
    """Two people's cards on one sheet: one row per person, front and back side by side."""
    W, Hh = A4_200DPI
    scale = float(rng.uniform(0.95, 1.12))
    cw = int(round(CARD_W_200DPI * scale))
    page = _paper((W, Hh), rng)
    truth = Truth(W, Hh)
    y = rng.uniform(0.06, 0.15) * Hh
    gap = rng.uniform(0.04, 0.1) * cw
    outline = float(rng.uniform(0.0, 0.5))
    for i, p in enumerate(persons[:2]):
        fr, ft = render_id_front(p, rng, width=cw, alpha=True)
        br, bt = render_id_back(p, rng, width=cw, alpha=True)
        ch = fr.shape[0]
        for t in (ft, bt):
            t.docs[0].meta["person"] = i
        yc = y + ch / 2
        _place_card(page, truth, fr, ft, (W / 2 - gap / 2 - cw / 2 + rng.normal(0, 8), yc),
                    float(rng.uniform(-3, 3)), rng, outline)
        _place_card(page, truth, br, bt, (W / 2 + gap / 2 + cw / 2 + rng.normal(0, 8), yc + rng.normal(0, 8)),
                    float(rng.uniform(-3, 3)) + (180 if rng.random() < 0.08 else 0), rng, outline)
        y += ch * rng.uniform(1.3, 1.8)
    if rng.random() < 0.5:
        page, truth = D.watermark(page, truth, rng)
    if degrade:
        page, truth = D.photocopy(page, truth, rng)
        page, truth = copier_edges(page, truth, rng)
    return page, truth


def card_phone_photo(person: Person, rng: np.random.Generator, side: str = "front"):
    """One side of the card photographed on a surface (perspective, light, blur, noise, glare)."""
    render = render_id_front if side == "front" else render_id_back
    rgba, t = render(person, rng, alpha=True)
    img, t = D.phone_photo(rgba, t, rng, fill=float(rng.uniform(0.45, 0.85)), max_rot=15.0,
                           max_tilt=0.12)
    if rng.random() < 0.2:  # phone held sideways / card upside down
        img, t = D.rotate(img, t, rng, quarter=int(rng.choice([1, 2, 3])), skew=0.0)
    return img, t
