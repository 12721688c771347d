"""Small builders for test inputs (text rendered with a real CJK font)."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tests.conftest import CJK_FONT, CJK_TTF

LINES = ["诊断证明书", "姓名 王小明  性别 男  年龄 45岁", "诊断 高血压病3级", "日期 2024年3月5日"]


def text_image(lines=LINES, size=(1000, 560), font_size=40) -> Image.Image:
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    f = ImageFont.truetype(CJK_FONT, font_size)
    for i, t in enumerate(lines):
        d.text((40, 40 + i * int(font_size * 3)), t, fill="black", font=f)
    return img


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def text_pdf(pages: list[list[str]] | None = None, image_pages: list[Image.Image] | None = None, password=None, blank_pages=0) -> bytes:
    """A PDF with a real text layer on each page of `pages`, then image-only pages."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.add_font("cjk", fname=CJK_TTF)
    for lines in pages or []:
        pdf.add_page()
        pdf.set_font("cjk", size=18)
        for i, t in enumerate(lines):
            pdf.text(60, 80 + i * 40, t)
    for im in image_pages or []:
        pdf.add_page()
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        buf.seek(0)
        pdf.image(buf, x=30, y=30, w=535)
    for _ in range(blank_pages):
        pdf.add_page()
    if password:
        pdf.set_encryption(owner_password="owner", user_password=password)
    return bytes(pdf.output())


def char_accuracy(pred: str, truth: str) -> float:
    from rapidfuzz.distance import Levenshtein

    p = "".join(pred.split())
    t = "".join(truth.split())
    if not t:
        return 1.0 if not p else 0.0
    return max(0.0, 1.0 - Levenshtein.distance(p, t) / len(t))


def register_fields(pipeline, kind: str, seed: int, index: int) -> tuple[dict, dict]:
    """The household register read from a generated page, and its truth fields; no field of it
    may be wrong with a confident score."""
    import cv2

    from evaluation.metrics import CONFIDENT, norm_value
    from samples.generate import generate

    s = generate(kind, seed, index)
    res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), f"{s.name}.png").to_json_dict()
    truth = next(d for d in s.truth["documents"] if d["type"] == "household_register")["fields"]
    docs = [d for d in res["documents"] if d["type"] == "household_register"]
    assert docs
    fields = docs[0]["fields"]
    for name, t in truth.items():
        got = fields.get(name)
        if got is None:
            continue
        right = norm_value(got["value"]) == norm_value(t["value"] if isinstance(t, dict) else t)
        assert right or got["confidence"] < CONFIDENT, (name, got)  # no confident error
    return fields, truth


def read_sample(pipeline, kind: str, seed: int, index: int):
    """A generated sample and the pipeline's result on it, read as the benchmark reads it (one
    page as a PNG, several as one multi-page TIFF); returns (sample, truth documents, result)."""
    from evaluation.fields_eval import sample_input
    from samples.generate import generate

    s = generate(kind, seed, index)
    data, truth = sample_input(s)
    return s, truth, pipeline.extract_bytes(data, f"{kind}-{seed}-{index}")
