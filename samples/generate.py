"""Public entry of the synthetic sample generator.

    from samples.generate import generate, KINDS
    s = generate("id_both_a4_copy", seed=3, index=0)   # s.image: BGR uint8, s.truth: dict

CLI::

    python -m samples.generate --seed S --count N --out DIR [--kinds k1,k2] [--format auto|png|jpg]
    python -m samples.generate --demo            # samples/demo/, seed 7, one of each demo kind

``--kinds`` also takes the PDF kinds of :mod:`samples.pdfs` (claim_pdf_scanned, claim_pdf_text,
claim_pdf_mixed).  Every pipeline is ``KINDS[kind](rng, person=None)``; pass the same person to
build one claimant's documents.  A multi-page document (a long 出院记录) comes back with its
further pages in ``Sample.pages`` (written as NAME_p2.*).

Seeds: 1000 and above are the evaluation seeds nobody tunes on; below 1000 for development/tests.
The same (kind, seed, index) gives byte-identical output on the same machine (fonts, library
versions): the random generator is derived from a hash of the three, never from global state.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import cv2
import numpy as np

from . import compose as C
from . import degrade as D
from .people import make_person
from .render.idcard import render_id_back, render_id_front
from .render.cards import render_bank_card, render_social_security_card
from .render.certificates import (render_death_certificate, render_disability_certificate,
                                  render_household_register)
from .render.discharge import render_discharge_summary_pages
from .render.medical import render_lab_report, render_medical_certificate

__all__ = ["Sample", "generate", "KINDS", "DEMO_KINDS", "DEMO_PDF_KINDS", "CARD_TYPES", "card_a4_copy",
           "rng_for", "main"]

GENERATOR_VERSION = "1"


@dataclass
class Sample:
    image: np.ndarray            # BGR uint8 (cv2 order)
    truth: dict[str, Any]
    name: str = ""
    ext: str = ".png"            # suggested file type
    meta: dict[str, Any] = field(default_factory=dict)
    pages: list["Sample"] = field(default_factory=list)   # pages 2.. of a multi-page document


def rng_for(kind: str, seed: int, index: int) -> np.random.Generator:
    h = hashlib.sha256(f"matex-samples|{kind}|{int(seed)}|{int(index)}".encode()).digest()
    return np.random.default_rng(int.from_bytes(h[:16], "little"))


# ------------------------------------------------------------------------------------------
# pipelines: rng -> (RGB image, Truth, suggested ext)
# ------------------------------------------------------------------------------------------
def _scan_clean(img, t, rng):
    """A good flatbed scan: tiny blur and noise, nothing geometric."""
    img, t = D.blur(img, t, rng, sigma=float(rng.uniform(0.3, 0.6)))
    img, t = D.noise(img, t, rng, sigma=float(rng.uniform(0.8, 2.0)), chroma=False)
    return img, t


def _person(rng, person):
    return person if person is not None else make_person(rng)


def _id_front_clean(rng, person=None):
    p = _person(rng, person)
    img, t = render_id_front(p, rng)
    img, t = _scan_clean(img, t, rng)
    return img, t, ".png"


def _id_back_clean(rng, person=None):
    p = _person(rng, person)
    img, t = render_id_back(p, rng)
    img, t = _scan_clean(img, t, rng)
    return img, t, ".png"


def _id_photo(side):
    def f(rng, person=None):
        p = _person(rng, person)
        img, t = C.card_phone_photo(p, rng, side)
        img, t = D.jpeg(img, t, rng, quality=int(rng.integers(45, 90)))
        return img, t, ".jpg"
    return f


def _id_front_copy(rng, person=None):
    """A card cut out of a grey, washed-out photocopy (small margin, slight skew)."""
    p = _person(rng, person)
    img, t = render_id_front(p, rng, corner_bg=(250, 250, 250))
    m = int(rng.uniform(4, 40))
    img = cv2.copyMakeBorder(img, m, m, m, m, cv2.BORDER_CONSTANT, value=(250, 250, 250))
    t.apply_homography(np.array([[1, 0, m], [0, 1, m], [0, 0, 1]], float), (img.shape[1], img.shape[0]))
    img, t = D.photocopy(img, t, rng, strength=float(rng.uniform(0.5, 1.0)))
    img, t = D.low_contrast(img, t, rng)
    if rng.random() < 0.7:
        img, t = D.rotate(img, t, rng, quarter=0, skew=float(rng.uniform(-3, 3)))
    if rng.random() < 0.4:
        img, t = D.watermark(img, t, rng)
    img, t = D.jpeg(img, t, rng, quality=int(rng.integers(40, 85)))
    return img, t, ".jpg"


def _id_both_a4_copy(rng, person=None):
    p = _person(rng, person)
    img, t = C.a4_copy_both_sides(p, rng, watermark=rng.random() < 0.75)
    img, t = D.jpeg(img, t, rng, quality=int(rng.integers(55, 90)))
    return img, t, ".jpg"


def _id_both_a4_upside_down(rng, person=None):
    p = _person(rng, person)
    img, t = C.a4_copy_both_sides(p, rng, flips=(False, False), page_quarter=2)
    img, t = D.jpeg(img, t, rng, quality=int(rng.integers(55, 90)))
    return img, t, ".jpg"


def _id_both_a4_copy_photo(rng, person=None):
    """The A4 copy with both sides, photographed with a phone (as often sent by chat apps)."""
    p = _person(rng, person)
    img, t = C.a4_copy_both_sides(p, rng, watermark=rng.random() < 0.6, page_quarter=0)
    img, t = D.phone_photo(img, t, rng, out_long=int(rng.uniform(1800, 2600)),
                           fill=float(rng.uniform(0.75, 0.95)), max_rot=10.0)
    img, t = D.jpeg(img, t, rng, quality=int(rng.integers(45, 85)))
    return img, t, ".jpg"


def _id_two_cards_a4_copy(rng, person=None):
    ps = [_person(rng, person), make_person(rng)]
    img, t = C.two_cards_a4_copy(ps, rng)
    img, t = D.jpeg(img, t, rng, quality=int(rng.integers(55, 90)))
    return img, t, ".jpg"


def _page_clean(render):
    def f(rng, person=None):
        p = _person(rng, person)
        img, t = render(p, rng)
        img, t = _scan_clean(img, t, rng)
        return img, t, ".png"
    return f


def _degrade_page(img, t, rng, mode: str | None = None):
    """Photocopy (+skew), phone photo or a poor scan, with a watermark/seal sometimes; no JPEG."""
    if mode is None:
        mode = ["copy", "photo", "scan"][int(rng.choice(3, p=[0.4, 0.35, 0.25]))]
    t.meta["degradation"] = mode
    if rng.random() < 0.35:
        img, t = D.watermark(img, t, rng)
    if rng.random() < 0.25:
        img, t = D.seal(img, t, rng)
    if mode == "copy":
        img, t = D.photocopy(img, t, rng)
        img, t = D.rotate(img, t, rng, quarter=int(rng.choice([0, 0, 0, 0, 2, 1])),
                          skew=float(rng.uniform(-4, 4)))
    elif mode == "photo":
        img, t = D.phone_photo(img, t, rng, out_long=int(rng.uniform(1800, 2600)),
                               fill=float(rng.uniform(0.72, 0.95)), max_rot=8.0)
        if rng.random() < 0.3:
            img, t = D.shadow(img, t, rng)
    else:
        img, t = D.rotate(img, t, rng, quarter=int(rng.choice([0, 0, 0, 2])),
                          skew=float(rng.uniform(-7, 7)))
        if rng.random() < 0.5:
            img, t = D.low_contrast(img, t, rng, factor=float(rng.uniform(0.5, 0.8)))
        img, t = D.blur(img, t, rng, sigma=float(rng.uniform(0.5, 1.3)))
        if rng.random() < 0.5:
            img, t = D.downscale(img, t, rng, factor=float(rng.uniform(0.55, 0.85)))
    return img, t


def _page_degraded(render):
    """One of: photocopy (+skew), phone photo, or a poor scan, with stamps and JPEG."""
    def f(rng, person=None):
        p = _person(rng, person)
        img, t = render(p, rng)
        img, t = _degrade_page(img, t, rng)
        img, t = D.jpeg(img, t, rng, quality=int(rng.integers(30, 81)))
        return img, t, ".jpg"
    return f


# ------------------------------------------------------------------------------------------
# multi-page documents (discharge summaries): extra pages come back as a 4th item
# ------------------------------------------------------------------------------------------
def _pages_clean(render_pages):
    def f(rng, person=None):
        p = _person(rng, person)
        pages = []
        for img, t in render_pages(p, rng):
            img, t = _scan_clean(img, t, rng)
            pages.append((img, t))
        return pages[0][0], pages[0][1], ".png", pages[1:]
    return f


def _pages_degraded(render_pages):
    """All pages of one document through the same kind of degradation (one copier, one phone)."""
    def f(rng, person=None):
        p = _person(rng, person)
        mode = ["copy", "photo", "scan"][int(rng.choice(3, p=[0.4, 0.35, 0.25]))]
        quality = int(rng.integers(30, 81))
        pages = []
        for img, t in render_pages(p, rng):
            img, t = _degrade_page(img, t, rng, mode)
            img, t = D.jpeg(img, t, rng, quality=quality)
            pages.append((img, t))
        return pages[0][0], pages[0][1], ".jpg", pages[1:]
    return f


# ------------------------------------------------------------------------------------------
# cards and booklet pages: clean crop, phone photo, copies (on A4 or cut out) and poor scans
# ------------------------------------------------------------------------------------------
def _rgba(img):
    if img.shape[2] == 4:
        return img
    return np.dstack([img, np.full(img.shape[:2], 255, np.uint8)])


def _card_clean(render):
    def f(rng, person=None):
        p = _person(rng, person)
        img, t = render(p, rng)
        img, t = _scan_clean(img[..., :3], t, rng)
        return img, t, ".png"
    return f


def _card_photo(render, fill=(0.45, 0.85)):
    def f(rng, person=None):
        p = _person(rng, person)
        rgba, t = render(p, rng, alpha=True)
        img, t = D.phone_photo(_rgba(rgba), t, rng, fill=float(rng.uniform(*fill)), max_rot=15.0, max_tilt=0.12)
        if rng.random() < 0.2:
            img, t = D.rotate(img, t, rng, quarter=int(rng.choice([1, 2, 3])), skew=0.0)
        img, t = D.jpeg(img, t, rng, quality=int(rng.integers(45, 90)))
        return img, t, ".jpg"
    return f


def _card_degraded(render, width_mm, mode: str | None = None):
    """The card (or booklet page) photocopied on A4 (200 dpi), cut out of a copy, or badly scanned."""
    fixed = mode

    def f(rng, person=None):
        p = _person(rng, person)
        mode = ["a4_copy", "cutout", "scan"][int(rng.choice(3, p=[0.55, 0.3, 0.15]))]
        mode = fixed or mode
        rgba, t = render(p, rng, alpha=True)
        rgba = _rgba(rgba)
        if mode == "a4_copy":
            W, Hh = C.A4_200DPI
            mm = width_mm.get(t.docs[0].meta.get("layout"), width_mm[None]) if isinstance(width_mm, dict) else width_mm
            target = mm / 25.4 * 200 * rng.uniform(1.0, 1.3)
            target = min(target, W * 0.9)
            k = target / rgba.shape[1]
            nw, nh = int(round(rgba.shape[1] * k)), int(round(rgba.shape[0] * k))
            rgba = cv2.resize(rgba, (nw, nh), interpolation=cv2.INTER_AREA)
            t.apply_homography(np.diag([nw / t.width, nh / t.height, 1.0]), (nw, nh))
            page = np.full((Hh, W, 3), int(rng.uniform(246, 255)), np.uint8)
            from .truth import Truth
            pt = Truth(W, Hh)
            center = (W / 2 + rng.normal(0, W * 0.05), rng.uniform(0.1, 0.35) * Hh + nh / 2)
            C._place_card(page, pt, rgba, t, center, float(rng.uniform(-4, 4)), rng, float(rng.uniform(0, 0.6)))
            img, t = page, pt
            if rng.random() < 0.6:
                img, t = D.watermark(img, t, rng)
            if rng.random() < 0.3:
                img, t = D.seal(img, t, rng)
            img, t = D.photocopy(img, t, rng)
            img, t = C.copier_edges(img, t, rng)
            img, t = D.rotate(img, t, rng, quarter=int(rng.choice([0, 0, 0, 0, 2, 1])),
                              skew=float(rng.uniform(-1.5, 1.5)))
        else:
            bgc = (250, 250, 250)
            a = rgba[..., 3:4].astype(np.float32) / 255
            img = (rgba[..., :3].astype(np.float32) * a + np.array(bgc, np.float32) * (1 - a)).astype(np.uint8)
            m = int(rng.uniform(4, 40))
            img = cv2.copyMakeBorder(img, m, m, m, m, cv2.BORDER_CONSTANT, value=bgc)
            t.apply_homography(np.array([[1, 0, m], [0, 1, m], [0, 0, 1]], float), (img.shape[1], img.shape[0]))
            if rng.random() < 0.3:
                img, t = D.seal(img, t, rng)
            if mode == "cutout":
                img, t = D.photocopy(img, t, rng, strength=float(rng.uniform(0.5, 1.0)))
                img, t = D.low_contrast(img, t, rng)
                if rng.random() < 0.4:
                    img, t = D.watermark(img, t, rng)
                img, t = D.rotate(img, t, rng, quarter=0, skew=float(rng.uniform(-3, 3)))
            else:
                img, t = D.rotate(img, t, rng, quarter=int(rng.choice([0, 0, 0, 2])), skew=float(rng.uniform(-6, 6)))
                if rng.random() < 0.5:
                    img, t = D.low_contrast(img, t, rng, factor=float(rng.uniform(0.55, 0.85)))
                img, t = D.blur(img, t, rng, sigma=float(rng.uniform(0.6, 1.4)))
                if rng.random() < 0.5:
                    img, t = D.downscale(img, t, rng, factor=float(rng.uniform(0.55, 0.85)))
        t.meta["degradation"] = mode
        img, t = D.jpeg(img, t, rng, quality=int(rng.integers(35, 85)))
        return img, t, ".jpg"
    return f


def _household_register(person, rng, alpha=False):
    return render_household_register(person, rng)


_DISABILITY_MM = {None: 95.0, "card": 85.6, "spread": 192.0}
# card-like types: (renderer taking alpha=, physical width in mm or {layout: mm})
CARD_TYPES = {"disability_certificate": (render_disability_certificate, _DISABILITY_MM),
              "household_register": (_household_register, 105.0),
              "social_security_card": (render_social_security_card, 85.6),
              "bank_card": (render_bank_card, 85.6)}


def card_a4_copy(card_type: str):
    """Pipeline ``f(rng, person=None)``: the card photocopied on an A4 sheet (for PDF pages)."""
    render, mm = CARD_TYPES[card_type]
    return _card_degraded(render, mm, mode="a4_copy")


KINDS: dict[str, Callable] = {
    "id_front_clean": _id_front_clean,
    "id_back_clean": _id_back_clean,
    "id_front_photo": _id_photo("front"),
    "id_back_photo": _id_photo("back"),
    "id_front_copy": _id_front_copy,
    "id_both_a4_copy": _id_both_a4_copy,
    "id_both_a4_upside_down": _id_both_a4_upside_down,
    "id_both_a4_copy_photo": _id_both_a4_copy_photo,
    "id_two_cards_a4_copy": _id_two_cards_a4_copy,
    "medical_certificate_clean": _page_clean(render_medical_certificate),
    "medical_certificate_degraded": _page_degraded(render_medical_certificate),
    "lab_report_clean": _page_clean(render_lab_report),
    "lab_report_degraded": _page_degraded(render_lab_report),
    "discharge_summary_clean": _pages_clean(render_discharge_summary_pages),
    "discharge_summary_degraded": _pages_degraded(render_discharge_summary_pages),
    "death_certificate_clean": _page_clean(render_death_certificate),
    "death_certificate_degraded": _page_degraded(render_death_certificate),
    "disability_certificate_clean": _card_clean(render_disability_certificate),
    "disability_certificate_degraded": _card_degraded(render_disability_certificate, _DISABILITY_MM),
    "disability_certificate_photo": _card_photo(render_disability_certificate, fill=(0.55, 0.9)),
    "household_register_clean": _card_clean(_household_register),
    "household_register_degraded": _card_degraded(_household_register, 105.0),
    "household_register_photo": _card_photo(_household_register, fill=(0.65, 0.92)),
    "social_security_card_clean": _card_clean(render_social_security_card),
    "social_security_card_degraded": _card_degraded(render_social_security_card, 85.6),
    "social_security_card_photo": _card_photo(render_social_security_card),
    "bank_card_clean": _card_clean(render_bank_card),
    "bank_card_degraded": _card_degraded(render_bank_card, 85.6),
    "bank_card_photo": _card_photo(render_bank_card),
}
DEMO_KINDS = ["id_front_clean", "id_back_clean", "id_front_photo", "id_both_a4_copy",
              "id_both_a4_upside_down", "medical_certificate_clean", "lab_report_degraded",
              "death_certificate_clean"]
DEMO_PDF_KINDS = ["claim_pdf_mixed"]   # samples/pdfs.py


def generate(kind: str, seed: int, index: int) -> Sample:
    """One sample: ``image`` (BGR uint8) and ``truth`` (JSON-ready dict)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
    rng = rng_for(kind, seed, index)
    out = KINDS[kind](rng)
    img, t, ext = out[:3]
    more = out[3] if len(out) > 3 else []
    name = f"{kind}_{int(seed)}_{int(index):05d}"
    head = dict(kind=kind, seed=int(seed), index=int(index), name=name, generator_version=GENERATOR_VERSION)
    if more:
        head.update(page=1, pages=1 + len(more))
    sample = _sample(img, t, ext, name, head)
    for i, (im, tt) in enumerate(more, 2):
        sample.pages.append(_sample(im, tt, ext, f"{name}_p{i}", dict(head, name=f"{name}_p{i}", page=i, first=name)))
    return sample


def _sample(img, t, ext, name, head) -> Sample:
    img = np.ascontiguousarray(img[..., :3])
    assert (t.width, t.height) == (img.shape[1], img.shape[0]), "truth size out of step with image"
    return Sample(cv2.cvtColor(img, cv2.COLOR_RGB2BGR), t.to_dict(**head), name, ext)


def encode(sample: Sample, fmt: str = "auto", quality: int = 92) -> tuple[bytes, str]:
    ext = sample.ext if fmt == "auto" else ("." + fmt.lstrip("."))
    if ext == ".jpeg":
        ext = ".jpg"
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if ext == ".jpg" else [cv2.IMWRITE_PNG_COMPRESSION, 6]
    ok, buf = cv2.imencode(ext, sample.image, params)
    if not ok:
        raise RuntimeError(f"could not encode {sample.name} as {ext}")
    return buf.tobytes(), ext


def write(sample: Sample, out_dir: str, fmt: str = "auto", quality: int = 92,
          max_bytes: int | None = None) -> str:
    os.makedirs(out_dir, exist_ok=True)
    data, ext = encode(sample, fmt, quality)
    while max_bytes and len(data) > max_bytes and ext == ".jpg" and quality > 40:
        quality -= 5
        data, ext = encode(sample, fmt, quality)
    path = os.path.join(out_dir, sample.name + ext)
    with open(path, "wb") as fh:
        fh.write(data)
    truth = dict(sample.truth)
    truth["image"] = sample.name + ext
    with open(os.path.join(out_dir, sample.name + ".truth.json"), "w", encoding="utf-8") as fh:
        json.dump(truth, fh, ensure_ascii=False, indent=1)
    for page in sample.pages:  # NAME_p2.jpg + NAME_p2.truth.json, ...
        write(page, out_dir, fmt, quality, max_bytes)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m samples.generate", description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=1, help="samples per kind")
    ap.add_argument("--start", type=int, default=0, help="first index")
    ap.add_argument("--out", default="out/samples")
    ap.add_argument("--kinds", default="", help="comma-separated kinds (default: all)")
    ap.add_argument("--format", default="auto", choices=["auto", "png", "jpg"])
    ap.add_argument("--quality", type=int, default=92, help="JPEG quality of the written file")
    ap.add_argument("--demo", action="store_true", help="write the small committed demo set")
    ap.add_argument("--list", action="store_true", help="list the kinds and exit")
    a = ap.parse_args(argv)
    from .pdfs import PDF_KINDS, generate_pdf, write_pdf
    if a.list:
        print("\n".join(list(KINDS) + list(PDF_KINDS)))
        return 0
    if a.demo:
        out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo")
        for k in DEMO_KINDS:
            s = generate(k, 7, 0)
            p = write(s, out, fmt="jpg", quality=85, max_bytes=400_000)
            print(f"{p}  {os.path.getsize(p) // 1024} KB")
        for k in DEMO_PDF_KINDS:
            p = write_pdf(generate_pdf(k, 7, 0), out)
            print(f"{p}  {os.path.getsize(p) // 1024} KB")
        return 0
    known = list(KINDS) + list(PDF_KINDS)
    kinds = [k.strip() for k in a.kinds.split(",") if k.strip()] or known
    bad = [k for k in kinds if k not in known]
    if bad:
        ap.error(f"unknown kinds: {bad}; known: {known}")
    t0 = time.time()
    n = 0
    for k in kinds:
        for i in range(a.start, a.start + a.count):
            if k in PDF_KINDS:
                write_pdf(generate_pdf(k, a.seed, i), a.out)
            else:
                write(generate(k, a.seed, i), a.out, a.format, a.quality)
            n += 1
    print(f"wrote {n} samples to {a.out} in {time.time() - t0:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
