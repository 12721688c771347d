"""Ground truth that follows the pixels.

Every position is stored as a quadrilateral (4 points, in the document's own reading order:
top-left, top-right, bottom-right, bottom-left of the upright text), so that any geometric
transform (homography, rotation, remap) can be applied exactly to the points; axis-aligned
``bbox`` values are only computed when the truth is written out (bbox of the transformed quad).

Public API: :class:`Truth`, :class:`Doc`, :class:`Line`, :class:`Field`, :func:`quad_from_bbox`,
:func:`bbox_of`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = ["Truth", "Doc", "Line", "Field", "quad_from_bbox", "bbox_of"]


def quad_from_bbox(b) -> np.ndarray:
    x0, y0, x1, y1 = (float(v) for v in b)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)


def bbox_of(points: np.ndarray) -> list[float]:
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return [float(p[:, 0].min()), float(p[:, 1].min()), float(p[:, 0].max()), float(p[:, 1].max())]


@dataclass
class Line:
    text: str
    quad: np.ndarray
    role: str = "value"   # label | value | title | header | table | handwriting | seal | watermark | footer


@dataclass
class Field:
    value: Any
    quads: list[np.ndarray]
    extra: dict[str, Any] = field(default_factory=dict)   # e.g. per-item quads for lab items


@dataclass
class Doc:
    type: str
    quad: np.ndarray
    fields: dict[str, Field] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def add_line(self, text: str, quad, role: str = "value") -> Line:
        ln = Line(text, np.asarray(quad, dtype=np.float64).reshape(4, 2), role)
        self.lines.append(ln)
        return ln

    def set_field(self, key: str, value: Any, quads, **extra) -> Field:
        qs = [np.asarray(q, dtype=np.float64).reshape(4, 2) for q in quads]
        f = Field(value, qs, dict(extra))
        self.fields[key] = f
        return f

    # -- geometry -------------------------------------------------------------------------
    def _all_arrays(self):
        yield self, "quad"
        for ln in self.lines:
            yield ln, "quad"
        for f in self.fields.values():
            for i in range(len(f.quads)):
                yield (f.quads, i), None
            for k, v in f.extra.items():
                if k.endswith("_quads"):
                    for i in range(len(v)):
                        yield (v, i), None

    def map(self, fn: Callable[[np.ndarray], np.ndarray]) -> None:
        for obj, attr in self._all_arrays():
            if attr is None:
                seq, i = obj
                seq[i] = fn(seq[i])
            else:
                setattr(obj, attr, fn(getattr(obj, attr)))

    @property
    def angle(self) -> float:
        """Clockwise angle (degrees, image coordinates) of the document's top edge."""
        (x0, y0), (x1, y1) = self.quad[0], self.quad[1]
        return math.degrees(math.atan2(y1 - y0, x1 - x0)) % 360.0

    @property
    def rotation(self) -> int:
        return int(round(self.angle / 90.0)) % 4 * 90


class Truth:
    """Documents and printed lines of one image."""

    def __init__(self, width: int, height: int):
        self.width = int(width)
        self.height = int(height)
        self.docs: list[Doc] = []
        self.page_lines: list[Line] = []   # printed text that belongs to no document (watermarks)
        self.meta: dict[str, Any] = {}

    # -- building -------------------------------------------------------------------------
    def add_doc(self, doc: Doc) -> Doc:
        self.docs.append(doc)
        return doc

    def add_page_line(self, text: str, quad, role: str = "watermark") -> None:
        self.page_lines.append(Line(text, np.asarray(quad, dtype=np.float64).reshape(4, 2), role))

    def copy(self) -> "Truth":
        import copy
        return copy.deepcopy(self)

    # -- geometry -------------------------------------------------------------------------
    def map_points(self, fn: Callable[[np.ndarray], np.ndarray], new_size: tuple[int, int]) -> "Truth":
        """Apply ``fn`` (N×2 array -> N×2 array) to every point; ``new_size`` is (w, h)."""
        for d in self.docs:
            d.map(fn)
        for ln in self.page_lines:
            ln.quad = fn(ln.quad)
        self.width, self.height = int(new_size[0]), int(new_size[1])
        return self

    def apply_homography(self, H: np.ndarray, new_size: tuple[int, int]) -> "Truth":
        H = np.asarray(H, dtype=np.float64)
        if H.shape == (2, 3):
            H = np.vstack([H, [0.0, 0.0, 1.0]])

        def fn(p):
            p = np.asarray(p, dtype=np.float64).reshape(-1, 2)
            q = np.hstack([p, np.ones((len(p), 1))]) @ H.T
            return q[:, :2] / q[:, 2:3]
        return self.map_points(fn, new_size)

    def merge(self, other: "Truth", H: np.ndarray | None = None) -> "Truth":
        """Add ``other``'s documents and page lines, mapped by ``H`` (into this image)."""
        o = other.copy()
        if H is not None:
            o.apply_homography(H, (self.width, self.height))
        self.docs.extend(o.docs)
        self.page_lines.extend(o.page_lines)
        return self

    # -- output ---------------------------------------------------------------------------
    def _clip_bbox(self, b: list[float]) -> list[int]:
        x0, y0, x1, y1 = b
        W, H = self.width, self.height
        return [int(max(0, min(W - 1, math.floor(x0)))), int(max(0, min(H - 1, math.floor(y0)))),
                int(max(0, min(W - 1, math.ceil(x1)))), int(max(0, min(H - 1, math.ceil(y1))))]

    @staticmethod
    def _quad_out(q: np.ndarray) -> list[list[float]]:
        return [[round(float(x), 1), round(float(y), 1)] for x, y in np.asarray(q).reshape(4, 2)]

    def to_dict(self, **head) -> dict[str, Any]:
        docs_out = []
        lines_out = []
        for di, d in enumerate(self.docs):
            fields = {}
            for k, f in d.fields.items():
                pts = np.vstack(f.quads) if f.quads else d.quad
                fo: dict[str, Any] = {"value": f.value, "bbox": self._clip_bbox(bbox_of(pts))}
                fo["quads"] = [self._quad_out(q) for q in f.quads]
                for ek, ev in f.extra.items():
                    if ek.endswith("_quads"):
                        fo[ek[:-6] + "_bboxes"] = [self._clip_bbox(bbox_of(q)) for q in ev]
                    else:
                        fo[ek] = ev
                fields[k] = fo
            docs_out.append({
                "type": d.type,
                "region": self._clip_bbox(bbox_of(d.quad)),
                "quad": self._quad_out(d.quad),
                "rotation": d.rotation,
                "angle": round(d.angle, 2),
                "fields": fields,
                **({"meta": d.meta} if d.meta else {}),
            })
            for ln in d.lines:
                lines_out.append({"text": ln.text, "bbox": self._clip_bbox(bbox_of(ln.quad)),
                                  "quad": self._quad_out(ln.quad), "role": ln.role, "doc": di})
        for ln in self.page_lines:
            lines_out.append({"text": ln.text, "bbox": self._clip_bbox(bbox_of(ln.quad)),
                              "quad": self._quad_out(ln.quad), "role": ln.role, "doc": None})
        out = dict(head)
        out.update({"width": self.width, "height": self.height, "documents": docs_out,
                    "lines": lines_out})
        if self.meta:
            out["meta"] = self.meta
        return out
