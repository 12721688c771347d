"""Ruled-grid forms that people fill in by hand: a grid helper and a pen.

:func:`draw_grid` draws rows of label and value cells (relative widths, per-row heights), shrinks or
wraps labels to fit, and writes values printed or "handwritten" (kai face, ballpoint ink, a wobble,
an offset from the cell's centre line).  Value cells with a ``key`` are recorded as fields.

Public API: :class:`Cell`, :class:`Pen`, :func:`draw_grid`, :func:`current_ethnicity`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import fonts as F
from ..people import HISTORICAL_ETHNIC_NAMES, Person
from .layout import Canvas, ink, union

__all__ = ["Cell", "Pen", "draw_grid", "current_ethnicity", "fit_font"]


def current_ethnicity(person: Person) -> str:
    """The ethnic group's present name (forms written today use it even when the ID card is old)."""
    if person.ethnicity_historical:
        for now, (old, _) in HISTORICAL_ETHNIC_NAMES.items():
            if old == person.ethnicity:
                return now
    return person.ethnicity


@dataclass
class Cell:
    text: str = ""
    w: float = 1.0                 # relative width within the row
    label: bool = True             # printed label (True) or filled value (False)
    key: str | None = None         # record a field under this key
    norm: object = None            # the field's normalised value (default: text)
    align: str = "l"               # l | c
    boxes: int = 0                 # value written one character per box (ID numbers), n boxes
    wrap: int = 1                  # value may wrap onto this many lines
    extra: dict = field(default_factory=dict)


class Pen:
    """How a form is filled: printed (``hand=False``) or by hand; fonts sized to the row height."""

    def __init__(self, rng: np.random.Generator, text: str, size: float, hand: bool,
                 label_spec: F.FontSpec | None = None, print_spec: F.FontSpec | None = None,
                 rule=(40, 40, 40), label_ink=(30, 30, 30)):
        self.rng = rng
        self.hand = hand
        self.size = size
        self.label_spec = label_spec or F.pick("serif" if rng.random() < 0.6 else "sans", rng, text, bold=False)
        if hand:
            self.value_spec = F.pick("kai", rng, text)
            self.value_ink = ink(rng, "blue" if rng.random() < 0.6 else "black")
            self.value_size = size * rng.uniform(1.05, 1.3)
        else:
            self.value_spec = print_spec or F.pick("sans" if rng.random() < 0.6 else "serif", rng, text, bold=False)
            self.value_ink = ink(rng, "print")
            self.value_size = size * rng.uniform(0.95, 1.1)
        self.rule = rule
        self.label_ink = label_ink

    def vfont(self, size: float | None = None):
        return F.load(self.value_spec, size or self.value_size)

    def lfont(self, size: float | None = None):
        return F.load(self.label_spec, size or self.size)

    def write(self, cv: Canvas, x: float, y: float, s: str, font=None, anchor: str = "ls", role: str | None = None):
        """Write a value at baseline ``y``; returns its ink bbox."""
        font = font or self.vfont()
        if self.hand:
            return cv.text(x + self.rng.normal(0, font.size * 0.1), y + self.rng.normal(0, font.size * 0.06), s,
                           font, self.value_ink, tracking=-font.size * self.rng.uniform(0.0, 0.06),
                           jitter=font.size * 0.05, rng=self.rng, anchor=anchor, role=role or "handwriting")
        return cv.text(x, y, s, font, self.value_ink, anchor=anchor, role=role or "value")


def fit_font(spec: F.FontSpec, text: str, size: float, max_w: float, min_size: float = 8.0):
    f = F.load(spec, size)
    while f.getlength(text) > max_w and size > min_size:
        size *= 0.93
        f = F.load(spec, size)
    return f


def _split_two(text: str, font, w: float) -> list[str]:
    if font.getlength(text) <= w:
        return [text]
    cut = len(text)
    while cut > 1 and font.getlength(text[:cut]) > w:
        cut -= 1
    return [text[:cut], text[cut:]]


def draw_grid(cv: Canvas, pen: Pen, x0: float, x1: float, y: float,
              rows: list[tuple[float, list[Cell]]], row_h: float, heavy: int = 2) -> tuple[float, dict]:
    """Draw ``rows`` = [(height multiple, [Cell, ...]), ...] from ``y``; returns (bottom, cell boxes).

    The returned dict maps ``(row, col)`` to the cell rectangle (for seals, signatures, marks).
    """
    rng = pen.rng
    W = x1 - x0
    cells_out: dict = {}
    yy = y
    cv.hline(x0, x1, yy, heavy, pen.rule)
    for ri, (mult, cells) in enumerate(rows):
        h = row_h * mult
        tot = sum(c.w for c in cells) or 1.0
        x = x0
        for ci, c in enumerate(cells):
            cw = W * c.w / tot
            cells_out[(ri, ci)] = (x, yy, x + cw, yy + h)
            if ci:
                cv.vline(x, yy, yy + h, 1, pen.rule)
            pad = max(4.0, pen.size * 0.3)
            if c.label and c.text:
                f = fit_font(pen.label_spec, c.text, pen.size, cw - 2 * pad, min_size=pen.size * 0.62)
                lines = [c.text]
                if f.getlength(c.text) > cw - 2 * pad:
                    f = F.load(pen.label_spec, pen.size * 0.8)
                    lines = _split_two(c.text, f, cw - 2 * pad)
                    if len(lines) > 1 and f.getlength(lines[1]) > cw - 2 * pad:
                        f = fit_font(pen.label_spec, lines[1], f.size, cw - 2 * pad, min_size=6)
                lh = f.size * 1.25
                base = yy + h / 2 - (len(lines) - 1) * lh / 2 + f.size * 0.36
                for k, s in enumerate(lines):
                    if c.align == "c":
                        cv.text(x + cw / 2, base + k * lh, s, f, pen.label_ink, anchor="ms", role="label")
                    else:
                        cv.text(x + pad, base + k * lh, s, f, pen.label_ink, role="label")
            elif not c.label and c.text:
                bb = _value_cell(cv, pen, c, x, yy, cw, h, pad)
                if c.key and bb is not None:
                    cv.field(c.key, c.norm if c.norm is not None else c.text, bb, **c.extra)
            x += cw
        yy += h
        cv.hline(x0, x1, yy, 1 if ri < len(rows) - 1 else heavy, pen.rule)
    cv.vline(x0, y, yy, heavy, pen.rule)
    cv.vline(x1, y, yy, heavy, pen.rule)
    return yy, cells_out


def _value_cell(cv: Canvas, pen: Pen, c: Cell, x: float, y: float, cw: float, h: float, pad: float):
    rng = pen.rng
    if c.boxes:
        n = c.boxes
        bw = cw / n
        for k in range(1, n):
            cv.vline(x + k * bw, y + h * 0.12, y + h * 0.88, 1, pen.rule)
        f = pen.vfont(min(pen.value_size, bw * 1.25))
        base = y + h / 2 + f.size * 0.36
        boxes = []
        for k, ch in enumerate(c.text[:n]):
            dx = rng.normal(0, bw * 0.06) if pen.hand else 0.0
            dy = rng.normal(0, f.size * 0.05) if pen.hand else 0.0
            bb = cv.text(x + (k + 0.5) * bw + dx, base + dy, ch, f, pen.value_ink, anchor="ms", record=False,
                         jitter=0.0)
            if bb:
                boxes.append(bb)
        if not boxes:
            return None
        bb = union(boxes)
        from ..truth import quad_from_bbox
        cv.doc.add_line(c.text, quad_from_bbox(bb), "handwriting" if pen.hand else "value")
        return bb
    avail = cw - 2 * pad
    f = pen.vfont()
    lines = [c.text]
    if f.getlength(c.text) > avail and c.wrap > 1:
        f = pen.vfont(min(pen.value_size, h / (c.wrap * 1.35)))
        lines = _split_two(c.text, f, avail * 0.98)
        if len(lines) > 1 and f.getlength(lines[1]) > avail:
            f = fit_font(pen.value_spec, max(lines, key=len), f.size, avail * 0.98)
            lines = _split_two(c.text, f, avail * 0.98)
    else:
        f = fit_font(pen.value_spec, c.text, f.size, avail)
    lh = f.size * 1.3
    base = y + h / 2 - (len(lines) - 1) * lh / 2 + f.size * 0.36
    if pen.hand:  # handwriting drifts: off the centre line, sometimes touching the rule
        base += rng.normal(0, h * 0.06)
        xoff = pad + rng.uniform(0, max(0.0, avail - max(f.getlength(s) for s in lines)) * 0.3)
    else:
        xoff = pad
    boxes = []
    for k, s in enumerate(lines):
        if c.align == "c" and len(lines) == 1:
            boxes.append(pen.write(cv, x + cw / 2, base, s, f, anchor="ms"))
        else:
            boxes.append(pen.write(cv, x + xoff, base + k * lh, s, f))
    boxes = [b for b in boxes if b is not None]
    return boxes if len(boxes) > 1 else (boxes[0] if boxes else None)
