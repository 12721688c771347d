"""A small drawing helper that records ground truth while it draws.

Every renderer (ID card, certificate, lab report, and later death certificate, disability card,
household register, social-security card, bank card, discharge summary) draws through a
:class:`Canvas`: ``text`` / ``label_value`` / ``table`` / ``seal`` / ``signature`` put pixels on the
page and, at the same time, add the printed line (text + quad) to the :class:`~samples.truth.Doc`
and return the ink bbox, which the renderer passes to ``field`` to record a typed field.

Coordinates: pixels, origin top-left; ``y`` given to ``text`` is the baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .. import fonts as F
from ..truth import Doc, Truth, quad_from_bbox

__all__ = ["Canvas", "Col", "Run", "fit_columns", "union", "draw_seal", "blend_multiply", "ink"]

BBox = tuple[float, float, float, float]


def union(boxes) -> BBox:
    boxes = [b for b in boxes if b is not None]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def ink(rng: np.random.Generator, kind: str = "black") -> tuple[int, int, int]:
    """A slightly varied ink colour: black, print, blue (ballpoint), red."""
    j = lambda a, s: int(np.clip(a + rng.normal(0, s), 0, 255))  # noqa: E731
    if kind == "blue":
        return (j(25, 10), j(40, 12), j(140, 20))
    if kind == "red":
        return (j(205, 12), j(30, 10), j(35, 10))
    if kind == "print":
        v = j(30, 8)
        return (v, v, v)
    v = j(18, 6)
    return (v, v, j(22, 6))


def blend_multiply(base: np.ndarray, alpha: np.ndarray, color, x: int, y: int) -> None:
    """Multiply-blend a coloured stamp (``alpha`` in 0..1, h×w) into ``base`` (RGB uint8) at x,y."""
    h, w = alpha.shape
    H, W = base.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    a = alpha[y0 - y:y1 - y, x0 - x:x1 - x, None].astype(np.float32)
    c = np.asarray(color, dtype=np.float32)[None, None, :] / 255.0
    roi = base[y0:y1, x0:x1].astype(np.float32)
    roi *= (1.0 - a) + a * c
    base[y0:y1, x0:x1] = np.clip(roi, 0, 255).astype(np.uint8)


def blend_over(base: np.ndarray, alpha: np.ndarray, color, x: int, y: int) -> None:
    """Normal alpha blending of a flat colour through ``alpha`` (0..1)."""
    h, w = alpha.shape
    H, W = base.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    a = alpha[y0 - y:y1 - y, x0 - x:x1 - x, None].astype(np.float32)
    c = np.asarray(color, dtype=np.float32)[None, None, :]
    roi = base[y0:y1, x0:x1].astype(np.float32)
    base[y0:y1, x0:x1] = np.clip(roi * (1 - a) + c * a, 0, 255).astype(np.uint8)


def draw_seal(rng: np.random.Generator, radius: float, arc_text: str, bottom_text: str = "",
              font_spec: F.FontSpec | None = None, star: bool = True,
              oval: bool = False) -> np.ndarray:
    """An official round seal as an alpha mask (float32 0..1), size about 2*radius+4."""
    r = float(radius)
    size = int(2 * r + 6)
    S = 2  # supersample
    img = Image.new("L", (size * S, size * S), 0)
    d = ImageDraw.Draw(img)
    c = size * S / 2
    R = r * S
    ring = max(2.0, R / rng.uniform(14, 20))
    ry = R * (0.72 if oval else 1.0)
    d.ellipse([c - R, c - ry, c + R, c + ry], outline=255, width=int(round(ring)))
    if font_spec is None:
        font_spec = F.pick("serif", rng, arc_text + bottom_text)
    font_spec = F.covering(font_spec, arc_text + bottom_text)
    n = len(arc_text)
    if n:
        fs = R * min(0.30, 4.3 / max(n, 6))
        font = F.load(font_spec, fs)
        span = math.radians(min(250.0, 20.0 * n + 40))
        rt = R - ring * 1.4 - fs * 0.62
        for i, ch in enumerate(arc_text):
            th = -span / 2 + span * (i + 0.5) / n
            g = Image.new("L", (int(fs * 1.6), int(fs * 1.6)), 0)
            ImageDraw.Draw(g).text((g.width / 2, g.height / 2), ch, font=font, fill=255, anchor="mm")
            g = g.rotate(-math.degrees(th), resample=Image.BICUBIC)
            px = c + rt * math.sin(th) * (1.0 if not oval else 1.0)
            py = c - rt * math.cos(th) * (0.72 if oval else 1.0)
            img.paste(255, (int(px - g.width / 2), int(py - g.height / 2)), g)
    if star:
        sr = R * 0.26
        pts = []
        for k in range(10):
            rad = sr if k % 2 == 0 else sr * 0.40
            a = -math.pi / 2 + k * math.pi / 5
            pts.append((c + rad * math.cos(a), c + rad * math.sin(a) - (0 if not bottom_text else R * 0.05)))
        d.polygon(pts, fill=255)
    if bottom_text:
        fs2 = R * min(0.2, 1.5 / max(len(bottom_text), 4))
        f2 = F.load(font_spec, fs2)
        d.text((c, c + R * 0.50), bottom_text, font=f2, fill=255, anchor="mm")
    a = np.asarray(img.resize((size, size), Image.BILINEAR), dtype=np.float32) / 255.0
    # patchy ink: low-frequency strength variation plus speckle
    lo = rng.uniform(0.45, 1.0, size=(6, 6)).astype(np.float32)
    lo = cv2.resize(lo, (size, size), interpolation=cv2.INTER_CUBIC)
    speck = (rng.random((size, size)) > rng.uniform(0.0, 0.12)).astype(np.float32)
    a = a * np.clip(lo, 0.25, 1.0) * speck * rng.uniform(0.7, 0.95)
    a = cv2.GaussianBlur(a, (0, 0), 0.6)
    return np.clip(a, 0, 1)


@dataclass
class Col:
    header: str
    width: float
    align: str = "l"   # l | c | r
    key: str = ""


def fit_columns(cols: list[Col], rows: list[list[str]], font, hfont, total_w: float,
                pad: float = 6.0) -> tuple[list[Col], bool]:
    """Widths from the widest cell (+2·pad) of each column, spread to ``total_w``.

    Returns (new columns, fits); ``fits`` is False when the content needs more than ``total_w``.
    The extra room goes to columns in proportion to their original (nominal) widths.
    """
    need = []
    for ci, c in enumerate(cols):
        w = hfont.getlength(c.header) if c.header else 0.0
        for r in rows:
            if ci < len(r) and r[ci]:
                w = max(w, font.getlength(r[ci]))
        need.append(w + 2 * pad)
    total_need = sum(need)
    if total_need > total_w:
        return cols, False
    nominal = sum(c.width for c in cols) or 1.0
    extra = total_w - total_need
    return [Col(c.header, n + extra * c.width / nominal, c.align, c.key)
            for c, n in zip(cols, need)], True


class Canvas:
    """An RGB page that draws text and records what it drew into a :class:`Doc`."""

    def __init__(self, image: np.ndarray | Image.Image | tuple[int, int], doc_type: str,
                 bg=(255, 255, 255)):
        if isinstance(image, tuple):
            self.img = Image.new("RGB", image, bg)
        elif isinstance(image, np.ndarray):
            self.img = Image.fromarray(image.astype(np.uint8), "RGB")
        else:
            self.img = image.convert("RGB")
        self.draw = ImageDraw.Draw(self.img)
        W, H = self.img.size
        self.doc = Doc(doc_type, quad_from_bbox((0, 0, W, H)))
        self._stamps: list[tuple[np.ndarray, tuple, int, int, str]] = []

    @property
    def size(self) -> tuple[int, int]:
        return self.img.size

    # -- text -----------------------------------------------------------------------------
    @staticmethod
    def text_width(s: str, font, tracking: float = 0.0) -> float:
        if not s:
            return 0.0
        if tracking == 0:
            return float(font.getlength(s))
        return float(sum(font.getlength(ch) for ch in s) + tracking * (len(s) - 1))

    def text(self, x: float, y: float, s: str, font, fill=(20, 20, 20), *, tracking: float = 0.0,
             role: str = "value", record: bool = True, record_text: str | None = None,
             anchor: str = "ls", jitter: float = 0.0, rng: np.random.Generator | None = None,
             ) -> BBox | None:
        """Draw ``s`` with its baseline at ``y`` (anchor 'ls') and return its ink bbox.

        ``anchor`` may be 'ms' (x is the centre) or 'rs' (x is the right end).
        ``jitter`` (px, needs ``rng``) moves each character a little (handwriting, bad printing).
        """
        if not s:
            return None
        w = self.text_width(s, font, tracking)
        if anchor == "ms":
            x = x - w / 2
        elif anchor == "rs":
            x = x - w
        boxes = []
        if tracking == 0 and jitter == 0:
            self.draw.text((x, y), s, font=font, fill=fill, anchor="ls")
            b = font.getbbox(s, anchor="ls")
            boxes.append((x + b[0], y + b[1], x + b[2], y + b[3]))
        else:
            cx = x
            for ch in s:
                dx = dy = 0.0
                if jitter and rng is not None:
                    dx, dy = rng.normal(0, jitter * 0.4), rng.normal(0, jitter)
                if not ch.isspace():
                    self.draw.text((cx + dx, y + dy), ch, font=font, fill=fill, anchor="ls")
                    b = font.getbbox(ch, anchor="ls")
                    boxes.append((cx + dx + b[0], y + dy + b[1], cx + dx + b[2], y + dy + b[3]))
                cx += font.getlength(ch) + tracking
        if not boxes:
            return None
        bb = union(boxes)
        if record:
            self.doc.add_line(record_text if record_text is not None else s, quad_from_bbox(bb), role)
        return bb

    def label_value(self, x: float, y: float, label: str, value: str, lfont, vfont, *,
                    lfill=(20, 20, 20), vfill=(20, 20, 20), gap: float = 0.0,
                    ltracking: float = 0.0, vtracking: float = 0.0, joined: bool = False,
                    underline: float = 0.0, underline_fill=(40, 40, 40)) -> tuple[BBox | None, BBox | None, float]:
        """Label then value on one baseline; returns (label bbox, value bbox, x after value).

        ``joined``: label and value form one printed line ("姓名：张三") and are recorded as one
        line; otherwise as two.  ``underline``: draw a rule of that length under the value.
        """
        lb = self.text(x, y, label, lfont, lfill, tracking=ltracking, role="label", record=not joined)
        lx = x + self.text_width(label, lfont, ltracking) + gap
        vb = self.text(lx, y, value, vfont, vfill, tracking=vtracking, role="value", record=not joined)
        end = lx + self.text_width(value, vfont, vtracking)
        if joined and (lb or vb):
            self.doc.add_line(label + value, quad_from_bbox(union([lb, vb])), "value")
        if underline:
            uy = y + max(2.0, vfont.size * 0.18)
            self.draw.line([(lx - 2, uy), (lx + underline, uy)], fill=underline_fill, width=1)
            end = max(end, lx + underline)
        return lb, vb, end

    def field(self, key: str, value, boxes, **extra) -> None:
        boxes = [b for b in (boxes if isinstance(boxes, list) else [boxes]) if b is not None]
        if not boxes:
            return
        self.doc.set_field(key, value, [quad_from_bbox(b) for b in boxes], **extra)

    # -- lines and tables ----------------------------------------------------------------
    def hline(self, x0, x1, y, width=1, fill=(30, 30, 30)):
        self.draw.line([(x0, y), (x1, y)], fill=fill, width=int(width))

    def vline(self, x, y0, y1, width=1, fill=(30, 30, 30)):
        self.draw.line([(x, y0), (x, y1)], fill=fill, width=int(width))

    def table(self, x: float, y: float, cols: list[Col], rows: list[list[str]], font, hfont, *,
              row_h: float, header_h: float | None = None, style: str = "three",
              fill=(20, 20, 20), rule_fill=(40, 40, 40), cell_fills: dict | None = None,
              pad: float = 6.0) -> dict:
        """Draw a table; returns {'bbox', 'header_bbox', 'row_bboxes', 'cells'} (cells[r][c] bbox|None).

        style: 'grid' (all rules), 'three' (三线表: top, under header, bottom), 'lines' (a rule
        under every row), 'none' (no rules).
        """
        header_h = header_h or row_h
        W = sum(c.width for c in cols)
        xs = [x]
        for c in cols:
            xs.append(xs[-1] + c.width)
        heavy = 2 if style in ("three", "grid") else 1
        hb_list = []
        base = y + header_h * 0.5 + hfont.size * 0.36
        for ci, c in enumerate(cols):
            if not c.header:
                continue
            tx, anc = self._cell_x(xs[ci], xs[ci + 1], c.align, pad)
            hb_list.append(self.text(tx, base, c.header, hfont, fill, role="header", anchor=anc))
        if style != "none":
            self.hline(x, x + W, y, heavy, rule_fill)
            self.hline(x, x + W, y + header_h, 1, rule_fill)
        cells = []
        row_boxes = []
        yy = y + header_h
        for ri, row in enumerate(rows):
            base = yy + row_h * 0.5 + font.size * 0.36
            rc = []
            for ci, c in enumerate(cols):
                s = row[ci] if ci < len(row) else ""
                tx, anc = self._cell_x(xs[ci], xs[ci + 1], c.align, pad)
                f = (cell_fills or {}).get((ri, ci), fill)
                rc.append(self.text(tx, base, s, font, f, role="table", anchor=anc) if s else None)
            cells.append(rc)
            row_boxes.append((x, yy, x + W, yy + row_h))
            yy += row_h
            if style == "lines" or style == "grid":
                self.hline(x, x + W, yy, 1, rule_fill)
        if style in ("three",):
            self.hline(x, x + W, yy, heavy, rule_fill)
        if style == "grid":
            for xv in xs:
                self.vline(xv, y, yy, 1, rule_fill)
        return {"bbox": (x, y, x + W, yy), "header_bbox": union(hb_list) if hb_list else None,
                "row_bboxes": row_boxes, "cells": cells, "xs": xs, "bottom": yy}

    @staticmethod
    def _cell_x(x0, x1, align, pad):
        if align == "c":
            return (x0 + x1) / 2, "ms"
        if align == "r":
            return x1 - pad, "rs"
        return x0 + pad, "ls"

    # -- seals, signatures ----------------------------------------------------------------
    def seal(self, rng: np.random.Generator, cx: float, cy: float, radius: float, arc_text: str,
             bottom_text: str = "", color=None, record: bool = True, oval: bool = False) -> BBox:
        """A red round seal (multiply-blended over what is below); recorded as role 'seal'."""
        a = draw_seal(rng, radius, arc_text, bottom_text, oval=oval)
        if color is None:
            color = ink(rng, "red")
        h, w = a.shape
        x, y = int(cx - w / 2), int(cy - h / 2)
        self._stamps.append((a, tuple(color), x, y, "multiply"))
        bb = (float(x), float(y), float(x + w), float(y + h))
        if record:
            self.doc.add_line(arc_text + bottom_text, quad_from_bbox(bb), "seal")
        return bb

    def signature(self, rng: np.random.Generator, x: float, y: float, name: str, size: float,
                  color=None, role: str = "handwriting") -> BBox | None:
        """A handwritten-looking name in the kai font, baseline ``y``."""
        spec = F.pick("kai", rng, name)
        font = F.load(spec, size * rng.uniform(0.95, 1.25))
        color = color or ink(rng, "blue" if rng.random() < 0.45 else "black")
        return self.text(x, y, name, font, color, tracking=-size * rng.uniform(0.0, 0.12),
                         jitter=size * 0.06, rng=rng, role=role)

    # -- finishing ------------------------------------------------------------------------
    def to_array(self) -> np.ndarray:
        arr = np.asarray(self.img, dtype=np.uint8).copy()
        for a, color, x, y, mode in self._stamps:
            (blend_multiply if mode == "multiply" else blend_over)(arr, a, color, x, y)
        return arr

    def truth(self) -> Truth:
        W, H = self.img.size
        t = Truth(W, H)
        t.add_doc(self.doc)
        return t


@dataclass
class Run:
    """A piece of running text for :meth:`Canvas.flow` (a fill-in sentence)."""
    text: str
    font: object
    fill: tuple = (20, 20, 20)
    key: str | None = None        # record the run's boxes under this field key
    underline: bool = False       # draw a fill-in rule under the run
    pad: float = 0.0              # blank space (px) on both sides of the run, inside the rule
    jitter: float = 0.0           # handwriting wobble (px)


def _flow(self: Canvas, x0: float, y: float, max_w: float, runs: list[Run], line_h: float,
          rng: np.random.Generator | None = None, role: str = "value",
          rule_fill=(40, 40, 40)) -> tuple[float, dict[str, list[BBox]]]:
    """Lay out ``runs`` as a wrapped paragraph starting at baseline ``y``.

    Records one truth line per visual line (text of all runs on it) and returns
    (baseline of the last line, {field key: [bbox per visual line piece]}).
    """
    x = x0
    line_text, line_boxes = "", []
    keyed: dict[str, list[BBox]] = {}
    piece: dict[str, list[BBox]] = {}

    def close_line():
        nonlocal line_text, line_boxes
        if line_boxes:
            self.doc.add_line(line_text, quad_from_bbox(union(line_boxes)), role)
        line_text, line_boxes = "", []
        for k, bs in piece.items():
            if bs:
                keyed.setdefault(k, []).append(union(bs))
        piece.clear()

    for run in runs:
        font = run.font
        if run.pad:
            if x + run.pad > x0 + max_w:
                close_line()
                x, y = x0, y + line_h
            ux0 = x
            x += run.pad
        else:
            ux0 = x
        if run.text == "\n":
            close_line()
            x, y = x0, y + line_h
            continue
        for ch in run.text:
            cw = font.getlength(ch)
            if x + cw > x0 + max_w:
                if run.underline:
                    self.hline(ux0, x, y + font.size * 0.2, 1, rule_fill)
                close_line()
                x, y = x0, y + line_h
                ux0 = x
            dy = float(rng.normal(0, run.jitter)) if (run.jitter and rng is not None) else 0.0
            if not ch.isspace():
                self.draw.text((x, y + dy), ch, font=font, fill=run.fill, anchor="ls")
                b = font.getbbox(ch, anchor="ls")
                bb = (x + b[0], y + dy + b[1], x + b[2], y + dy + b[3])
                line_boxes.append(bb)
                if run.key:
                    piece.setdefault(run.key, []).append(bb)
            line_text += ch
            x += cw
        if run.pad:
            x += run.pad
        if run.underline:
            self.hline(ux0, x, y + font.size * 0.2, 1, rule_fill)
    close_line()
    return y, keyed


Canvas.flow = _flow  # type: ignore[attr-defined]
