"""Multi-page claim PDFs with exact truth, with or without a text layer.

    from samples.pdfs import make_pdf, generate_pdf, PDF_KINDS
    data, truth = make_pdf(["id_both_a4_copy", "medical_certificate_clean"], seed=5, index=0,
                           text_layer=[False, True])
    s = generate_pdf("claim_pdf_mixed", seed=5, index=0)     # s.data: PDF bytes, s.truth: dict

Every page is an image kind of :data:`samples.generate.KINDS` rendered for one claimant (the same
:class:`~samples.people.Person` on every page), fitted to A4 (the long side is 297 mm) and embedded
as a JPEG.  Truth is in pixels of the page as the extractor renders it: **200 dpi** (bbox in pixels
= points × 200/72), so an A4 page is 1654 × 2339 px.  The page size in points is chosen so that
pypdfium2 renders exactly that many pixels.

Text layer (``text_layer=True`` for a page): every printed truth line with role label, value,
title, header, table or footer is written as invisible text (PDF text render mode 3, as OCR'd scans
and many e-documents carry it) in WenQuanYi Zen Hei, one ``Tj`` per truth line: font size = the
line's ink height, horizontal scaling = the line's ink width, baseline such that the PDF glyph box
(pdfminer/pdfplumber: descent .. descent + size) equals the truth box.  So pdfplumber's characters
of a line, joined, equal the truth ``text`` and their union box equals its ``bbox`` (to a pixel or
two).  Handwriting, seals and watermarks are not in the layer (truth lines carry
``"text_layer": true/false`` on text-layer pages).

Truth::

    {"kind", "seed", "index", "name", "generator_version",
     "pages": N, "dpi": 200, "text_layer": "none" | "all" | "some",
     "page_info": [{"page": 1, "width": 1654, "height": 2339, "width_pt", "height_pt",
                    "text_layer": false, "source_kind": "id_both_a4_copy", "scale": 1.0}, ...],
     "documents": [{..., "page": 1, "pages": [1], "fields": {"name": {..., "page": 1}}}, ...],
     "lines": [{..., "page": 1, "doc": 0}, ...]}

A document printed over several pages (a two-page 出院记录) is one entry: ``page`` is its first page,
``pages`` all of them, ``regions`` one ``{"page", "region", "quad"}`` per page, every field carries
the ``page`` it is printed on (a field repeated in a running header keeps its first page).

Kinds (:data:`PDF_KINDS`): ``claim_pdf_scanned`` (ID copy + 1–3 degraded documents, no text
layer), ``claim_pdf_text`` (2–3 clean e-documents, text layer on every page), ``claim_pdf_mixed``
(an ID copy page without text, a certificate page with text, a lab report page with or without).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import logging
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from . import fonts as F
from .people import Person, make_person
from .truth import Truth

__all__ = ["make_pdf", "generate_pdf", "PDF_KINDS", "PDF_DPI", "PdfSample", "TEXT_LAYER_ROLES",
           "text_layer_font"]

PDF_DPI = 200
PT_PER_PX = 72.0 / PDF_DPI
A4_LONG_PX = 2339          # 297 mm at 200 dpi
TEXT_LAYER_ROLES = ("label", "value", "title", "header", "table", "footer")
PDF_KINDS = ("claim_pdf_scanned", "claim_pdf_text", "claim_pdf_mixed")


@dataclass
class PdfSample:
    data: bytes
    truth: dict[str, Any]
    name: str = ""
    ext: str = ".pdf"
    meta: dict[str, Any] = field(default_factory=dict)


@functools.lru_cache(maxsize=1)
def text_layer_font() -> tuple[F.FontSpec, F.FontSpec | None]:
    """(main, fallback) fonts for the text layer: WenQuanYi Zen Hei (TrueType) when installed."""
    sans = F.fonts_for("sans")
    main = next((f for f in sans if f.family == "WenQuanYi Zen Hei"), None)
    ttf = [f for f in sans if f.path.lower().endswith((".ttf", ".ttc"))]
    main = main or (ttf[0] if ttf else sans[0])
    fallback = next((f for f in sans if f.family.startswith("Noto Sans CJK") and f.path != main.path), None)
    return main, fallback


def _rng(tag: str, seed: int, index: int) -> np.random.Generator:
    h = hashlib.sha256(f"matex-samples-pdf|{tag}|{int(seed)}|{int(index)}".encode()).digest()
    return np.random.default_rng(int.from_bytes(h[:16], "little"))


# ------------------------------------------------------------------------------------------
# pages
# ------------------------------------------------------------------------------------------
@dataclass
class _Page:
    image: np.ndarray        # RGB, any size (embedded as is, stretched over the page)
    truth: Truth             # in page pixels at 200 dpi
    width: int               # page pixels at 200 dpi
    height: int
    kind: str
    group: int               # pages of one pipeline call (one multi-page document) share it
    text_layer: bool
    scale: float


def _fit_a4(img: np.ndarray, t: Truth) -> tuple[int, int, float]:
    h, w = img.shape[:2]
    s = A4_LONG_PX / max(w, h)
    W, H = int(round(w * s)), int(round(h * s))
    t.apply_homography(np.diag([W / w, H / h, 1.0]), (W, H))
    return W, H, s


def _pipeline(kind: str):
    from . import generate as G
    if kind in G.KINDS:
        return G.KINDS[kind]
    # cards in a PDF are always photocopied on an A4 sheet
    if kind.endswith("_a4_copy") and kind[: -len("_a4_copy")] + "_degraded" in G.KINDS:
        return G.card_a4_copy(kind[: -len("_a4_copy")])
    raise ValueError(f"unknown page kind {kind!r}")


def _render_pages(kind_list, person: Person, seed: int, index: int, text_layer) -> list[_Page]:
    tag = "+".join(kind_list)
    pages: list[_Page] = []
    for gi, (kind, tl) in enumerate(zip(kind_list, text_layer)):
        rng = _rng(f"page|{tag}|{gi}|{kind}", seed, index)
        out = _pipeline(kind)(rng, person)
        items = [(out[0], out[1])] + list(out[3] if len(out) > 3 else [])
        for img, t in items:
            img = np.ascontiguousarray(img[..., :3])
            W, H, s = _fit_a4(img, t)
            pages.append(_Page(img, t, W, H, kind, gi, bool(tl), s))
    return pages


# ------------------------------------------------------------------------------------------
# the PDF
# ------------------------------------------------------------------------------------------
def _text_lines(t: Truth):
    """(text, quad) of the lines that go into a text layer: printed, upright, axis-aligned."""
    for d in t.docs:
        for ln in d.lines:
            yield ln
    yield from t.page_lines


def _in_layer(ln) -> bool:
    if ln.role not in TEXT_LAYER_ROLES or not ln.text.strip():
        return False
    q = np.asarray(ln.quad)
    (x0, y0), (x1, y1) = q[0], q[1]
    return bool(abs(y1 - y0) < 0.5 and x1 > x0 and q[3][1] > q[0][1])


def _write_pdf(pages: list[_Page], jpeg_quality: int) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import TextMode

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf = FPDF(unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creator("matex samples")
    pdf.set_creation_date(dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc))   # byte-identical output
    font_ready = False
    for pg in pages:
        # (W - 0.1) px: pdfium renders ceil(points × 200/72) pixels
        w_pt, h_pt = (pg.width - 0.1) * PT_PER_PX, (pg.height - 0.1) * PT_PER_PX
        pdf.add_page(format=(w_pt, h_pt))
        img = pg.image
        if img.shape[1] > pg.width * 1.05:  # never embed more pixels than the page shows
            img = cv2.resize(img, (pg.width, pg.height), interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        pdf.image(io.BytesIO(buf.tobytes()), x=0, y=0, w=w_pt, h=h_pt)
        if not pg.text_layer:
            continue
        if not font_ready:
            main, fb = text_layer_font()
            pdf.add_font("layer", "", main.path, collection_font_number=main.index)
            needs_fb = fb is not None and any(
                not main.covers(ln.text) for p in pages if p.text_layer for ln in _text_lines(p.truth) if _in_layer(ln))
            if needs_fb:
                pdf.add_font("layerfb", "", fb.path, collection_font_number=fb.index)
                pdf.set_fallback_fonts(["layerfb"])
            font_ready = True
        pdf.text_mode = TextMode.INVISIBLE
        for ln in _text_lines(pg.truth):
            if not _in_layer(ln):
                continue
            q = np.asarray(ln.quad)
            x0, y0 = q[:, 0].min(), q[:, 1].min()
            x1, y1 = q[:, 0].max(), q[:, 1].max()
            size = max(1.0, (y1 - y0) * PT_PER_PX)
            pdf.set_font("layer", size=size)
            descent = -pdf.current_font.desc.descent / 1000.0
            text = ln.text.strip()   # the box is the ink: leading/trailing blanks take no room
            pdf.set_stretching(100.0)
            natural = pdf.get_string_width(text)
            if natural <= 0:
                continue
            pdf.set_stretching(100.0 * (x1 - x0) * PT_PER_PX / natural)
            pdf.text(x0 * PT_PER_PX, y1 * PT_PER_PX - descent * size, text)
        pdf.set_stretching(100.0)
        pdf.text_mode = TextMode.FILL
    return bytes(pdf.output())


def _truth_dict(pages: list[_Page], head: dict) -> dict:
    docs_out: list[dict] = []
    lines_out: list[dict] = []
    group_doc: dict[tuple[int, str], int] = {}   # (group, doc type) -> merged document index
    page_info = []
    for pno, pg in enumerate(pages, 1):
        td = pg.truth.to_dict()
        page_info.append({"page": pno, "width": pg.width, "height": pg.height,
                          "width_pt": round((pg.width - 0.1) * PT_PER_PX, 2),
                          "height_pt": round((pg.height - 0.1) * PT_PER_PX, 2),
                          "text_layer": pg.text_layer, "source_kind": pg.kind, "scale": round(pg.scale, 4),
                          **({"meta": td["meta"]} if td.get("meta") else {})})
        local = {}
        for di, d in enumerate(td["documents"]):
            for f in d["fields"].values():
                f["page"] = pno
            multi = (d.get("meta") or {}).get("parts", 1) > 1
            key = (pg.group, d["type"])
            if multi and key in group_doc:   # continuation page of a document already started
                gi = group_doc[key]
                base = docs_out[gi]
                base["pages"].append(pno)
                base["regions"].append({"page": pno, "region": d["region"], "quad": d["quad"]})
                for k, f in d["fields"].items():
                    base["fields"].setdefault(k, f)
                local[di] = gi
                continue
            d = dict(d, page=pno, pages=[pno], regions=[{"page": pno, "region": d["region"], "quad": d["quad"]}])
            docs_out.append(d)
            local[di] = len(docs_out) - 1
            if multi:
                group_doc[key] = local[di]
        # text-layer membership, in the same order as Truth.to_dict writes lines
        flags = [_in_layer(ln) for d in pg.truth.docs for ln in d.lines] + [_in_layer(ln) for ln in pg.truth.page_lines]
        for ln, fl in zip(td["lines"], flags):
            ln["page"] = pno
            ln["doc"] = local.get(ln["doc"]) if ln["doc"] is not None else None
            if pg.text_layer:
                ln["text_layer"] = fl
            lines_out.append(ln)
    n_text = sum(p.text_layer for p in pages)
    out = dict(head)
    out.update({"pages": len(pages), "dpi": PDF_DPI,
                "text_layer": "none" if n_text == 0 else "all" if n_text == len(pages) else "some",
                "page_info": page_info, "documents": docs_out, "lines": lines_out})
    return out


def make_pdf(kind_list: list[str], seed: int, index: int, text_layer: bool | list[bool] = False,
             person: Person | None = None, jpeg_quality: int | None = None,
             _head: dict | None = None) -> tuple[bytes, dict]:
    """A PDF with one or more pages per entry of ``kind_list`` (image kinds of ``samples.generate``,
    or ``<card type>_a4_copy``), all for one claimant; returns (pdf bytes, truth dict).

    ``text_layer``: one flag for all entries or one per entry (a page with a text layer should come
    from a ``*_clean`` kind: its lines are upright and axis-aligned).
    """
    kind_list = list(kind_list)
    if not kind_list:
        raise ValueError("kind_list is empty")
    flags = [bool(text_layer)] * len(kind_list) if isinstance(text_layer, bool) else [bool(v) for v in text_layer]
    if len(flags) != len(kind_list):
        raise ValueError("text_layer needs one flag per kind")
    tag = "+".join(kind_list)
    rng = _rng(f"pdf|{tag}", seed, index)
    if person is None:
        person = make_person(rng)
    q = int(jpeg_quality if jpeg_quality is not None else rng.integers(60, 86))
    pages = _render_pages(kind_list, person, seed, index, flags)
    data = _write_pdf(pages, q)
    head = dict(_head or {"kinds": kind_list, "seed": int(seed), "index": int(index)})
    head.setdefault("source_kinds", kind_list)
    return data, _truth_dict(pages, head)


# ------------------------------------------------------------------------------------------
# kinds
# ------------------------------------------------------------------------------------------
_SCANNED_POOL = ["medical_certificate_degraded", "lab_report_degraded", "discharge_summary_degraded",
                 "death_certificate_degraded", "household_register_a4_copy", "disability_certificate_a4_copy",
                 "social_security_card_a4_copy", "bank_card_a4_copy"]
_TEXT_POOL = ["medical_certificate_clean", "lab_report_clean", "discharge_summary_clean"]


def _plan(kind: str, rng: np.random.Generator) -> tuple[list[str], list[bool]]:
    if kind == "claim_pdf_scanned":
        n = int(rng.integers(1, 4))
        extra = [_SCANNED_POOL[i] for i in rng.choice(len(_SCANNED_POOL), size=n, replace=False)]
        kinds = ["id_both_a4_copy"] + extra
        return kinds, [False] * len(kinds)
    if kind == "claim_pdf_text":
        n = int(rng.integers(2, 4))
        kinds = [_TEXT_POOL[i] for i in rng.choice(len(_TEXT_POOL), size=n, replace=False)]
        return kinds, [True] * len(kinds)
    if kind == "claim_pdf_mixed":
        lab_text = bool(rng.random() < 0.5)
        return (["id_both_a4_copy", "medical_certificate_clean", "lab_report_clean" if lab_text else "lab_report_degraded"],
                [False, True, lab_text])
    raise ValueError(f"unknown PDF kind {kind!r}; kinds: {', '.join(PDF_KINDS)}")


def generate_pdf(kind: str, seed: int, index: int) -> PdfSample:
    """One claim PDF: ``data`` (bytes) and ``truth`` (JSON-ready dict, see the module docstring)."""
    from .generate import GENERATOR_VERSION, rng_for
    if kind not in PDF_KINDS:
        raise ValueError(f"unknown PDF kind {kind!r}; kinds: {', '.join(PDF_KINDS)}")
    rng = rng_for(kind, seed, index)
    kinds, flags = _plan(kind, rng)
    name = f"{kind}_{int(seed)}_{int(index):05d}"
    head = dict(kind=kind, seed=int(seed), index=int(index), name=name, generator_version=GENERATOR_VERSION,
                source_kinds=kinds)
    data, truth = make_pdf(kinds, seed, index, flags, person=make_person(rng),
                           jpeg_quality=int(rng.integers(60, 86)), _head=head)
    return PdfSample(data, truth, name)


def write_pdf(sample: PdfSample, out_dir: str) -> str:
    import json
    import os
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, sample.name + ".pdf")
    with open(path, "wb") as fh:
        fh.write(sample.data)
    truth = dict(sample.truth)
    truth["file"] = sample.name + ".pdf"
    with open(os.path.join(out_dir, sample.name + ".truth.json"), "w", encoding="utf-8") as fh:
        json.dump(truth, fh, ensure_ascii=False, indent=1)
    return path
