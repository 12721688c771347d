"""Input stage: bytes in, pages out. Formats are recognised by content, never by file name.

JPEG, PNG, BMP, WebP, TIFF (multi-page) and PDF. PDF pages with a text layer yield their words
with boxes (pdfplumber, no OCR); pages without one are rendered with pypdfium2 at `dpi` and
OCR'd later; mixed PDFs are handled page by page. Pages are produced lazily, so a PDF with
hundreds of pages never sits in memory at once. Every problem becomes an itemised ErrorItem.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
from PIL import Image, ImageFile, ImageSequence

from ocr.base import OcrLine
from schemas.result import ErrorItem

ImageFile.LOAD_TRUNCATED_IMAGES = False


@dataclass
class InputLimits:
    max_bytes: int = 200 * 1024 * 1024
    max_pixels: int = 60_000_000  # per page; larger images are refused as decompression bombs
    max_pages: int = 300
    dpi: int = 200  # PDF rendering resolution; bboxes of PDF pages are in pixels at this DPI
    min_text_layer_chars: int = 8


@dataclass
class Page:
    number: int  # 1-based
    image: np.ndarray  # BGR uint8
    dpi: int | None = None
    origin: str = "image"  # image | pdf_text | pdf_render
    text_lines: list[OcrLine] | None = None  # from a PDF text layer (then no OCR)


@dataclass
class LoadedInput:
    kind: str  # jpeg png bmp webp tiff pdf unknown
    page_count: int = 0
    errors: list[ErrorItem] = field(default_factory=list)
    _pages: Iterator[Page] | None = None

    def pages(self) -> Iterator[Page]:
        return self._pages or iter(())


def sniff(data: bytes) -> str:
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"BM"):
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    return "unknown"


def _err(code: str, message: str, page: int | None = None) -> ErrorItem:
    return ErrorItem(code=code, message=message, page=page)


def _pil_to_bgr(im: Image.Image) -> np.ndarray:
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float64)
        hi = arr.max() or 1.0
        arr = (arr * (255.0 / hi)).clip(0, 255).astype(np.uint8)
        return np.repeat(arr[:, :, None], 3, axis=2)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    im = im.convert("RGB")
    return np.ascontiguousarray(np.asarray(im)[:, :, ::-1])


def load_bytes(data: bytes, limits: InputLimits | None = None) -> LoadedInput:
    limits = limits or InputLimits()
    if len(data) == 0:
        return LoadedInput("unknown", errors=[_err("empty_file", "the file is empty (0 bytes)")])
    if len(data) > limits.max_bytes:
        return LoadedInput(
            "unknown",
            errors=[_err("file_too_large", f"{len(data)} bytes is over the limit of {limits.max_bytes} bytes")],
        )
    kind = sniff(data)
    if kind == "unknown":
        return LoadedInput(
            kind,
            errors=[_err("unsupported_format", "not a JPEG, PNG, BMP, WebP, TIFF or PDF file (recognised by content)")],
        )
    if kind == "pdf":
        return _load_pdf(data, limits)
    return _load_image(data, kind, limits)


def _load_image(data: bytes, kind: str, limits: InputLimits) -> LoadedInput:
    Image.MAX_IMAGE_PIXELS = None  # we check the size ourselves before decoding
    try:
        im = Image.open(io.BytesIO(data))
        n = getattr(im, "n_frames", 1) if kind == "tiff" else 1
    except Exception as exc:  # PIL raises many types for junk
        return LoadedInput(kind, errors=[_err("corrupt_file", f"cannot read the {kind.upper()} header: {exc}")])
    out = LoadedInput(kind, page_count=min(n, limits.max_pages))
    if n > limits.max_pages:
        out.errors.append(
            _err("too_many_pages", f"{n} pages; only the first {limits.max_pages} are read")
        )

    def gen() -> Iterator[Page]:
        frames = ImageSequence.Iterator(im) if kind == "tiff" else [im]
        for i, frame in enumerate(frames, start=1):
            if i > limits.max_pages:
                break
            w, h = frame.size
            if w * h > limits.max_pixels or w <= 0 or h <= 0:
                out.errors.append(
                    _err(
                        "image_too_large",
                        f"{w}x{h} pixels is over the limit of {limits.max_pixels} (possible decompression bomb)",
                        page=i,
                    )
                )
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", Image.DecompressionBombWarning)
                    frame.load()
                    arr = _pil_to_bgr(frame)
            except Exception as exc:
                out.errors.append(_err("corrupt_image", f"page {i} cannot be decoded: {exc}", page=i))
                continue
            yield Page(number=i, image=arr, origin="image")

    out._pages = gen()
    return out


def _load_pdf(data: bytes, limits: InputLimits) -> LoadedInput:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        msg = str(exc)
        if "password" in msg.lower():
            return LoadedInput("pdf", errors=[_err("pdf_encrypted", "the PDF is password-protected")])
        return LoadedInput("pdf", errors=[_err("corrupt_pdf", f"the PDF cannot be opened: {msg}")])
    n = len(pdf)
    out = LoadedInput("pdf", page_count=min(n, limits.max_pages))
    if n == 0:
        out.errors.append(_err("empty_pdf", "the PDF has no pages"))
    if n > limits.max_pages:
        out.errors.append(_err("too_many_pages", f"{n} pages; only the first {limits.max_pages} are read"))

    def gen() -> Iterator[Page]:
        plumber = None
        try:
            import pdfplumber

            plumber = pdfplumber.open(io.BytesIO(data))
        except Exception as exc:  # text layer unreadable: every page is rendered and OCR'd
            out.errors.append(_err("pdf_text_layer_unreadable", f"text layer ignored: {exc}"))
        scale = limits.dpi / 72.0
        try:
            for i in range(min(n, limits.max_pages)):
                try:
                    page = pdf[i]
                    w_pt, h_pt = page.get_size()
                    if w_pt * h_pt * scale * scale > limits.max_pixels:
                        out.errors.append(
                            _err("page_too_large", f"page {i + 1} is {w_pt:.0f}x{h_pt:.0f} pt, too large to render", page=i + 1)
                        )
                        continue
                    bitmap = page.render(scale=scale, rotation=0)
                    img = np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])
                    if bitmap.format is not None and "BGR" not in str(bitmap.mode).upper():
                        img = img[:, :, ::-1].copy()
                except Exception as exc:
                    out.errors.append(_err("page_unreadable", f"page {i + 1} cannot be rendered: {exc}", page=i + 1))
                    continue
                lines = None
                if plumber is not None:
                    try:
                        lines = _text_layer_lines(plumber.pages[i], scale)
                    except Exception as exc:
                        out.errors.append(
                            _err("pdf_text_layer_unreadable", f"page {i + 1}: text layer ignored: {exc}", page=i + 1)
                        )
                        lines = None
                    try:
                        plumber.pages[i].flush_cache()
                    except Exception:
                        pass
                has_text = lines is not None and sum(len(l.text) for l in lines) >= limits.min_text_layer_chars
                yield Page(
                    number=i + 1,
                    image=img,
                    dpi=limits.dpi,
                    origin="pdf_text" if has_text else "pdf_render",
                    text_lines=lines if has_text else None,
                )
        finally:
            if plumber is not None:
                plumber.close()
            pdf.close()

    out._pages = gen()
    return out


def _text_layer_lines(ppage, scale: float) -> list[OcrLine]:
    """Words of a PDF text layer grouped into lines, boxes in pixels at the render DPI."""
    words = ppage.extract_words(keep_blank_chars=False, use_text_flow=False, x_tolerance=1.5, y_tolerance=2)
    words = [w for w in words if w["text"].strip() and w.get("upright", True)]
    words.sort(key=lambda w: (round(w["top"] / 3), w["x0"]))
    lines: list[list[dict]] = []
    for w in words:
        h = w["bottom"] - w["top"]
        if lines:
            last = lines[-1][-1]
            same_row = abs((w["top"] + w["bottom"]) / 2 - (last["top"] + last["bottom"]) / 2) < 0.5 * h
            near = 0 <= w["x0"] - last["x1"] < 0.6 * h  # a space, not a table gap
            if same_row and near:
                lines[-1].append(w)
                continue
        lines.append([w])
    out = []
    for ws in lines:
        x0 = min(w["x0"] for w in ws) * scale
        x1 = max(w["x1"] for w in ws) * scale
        y0 = min(w["top"] for w in ws) * scale
        y1 = max(w["bottom"] for w in ws) * scale
        text = ""
        for j, w in enumerate(ws):
            if j and w["x0"] - ws[j - 1]["x1"] > 0.25 * (w["bottom"] - w["top"]):
                text += " "
            text += w["text"]
        out.append(OcrLine(text=text, confidence=1.0, polygon=[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]))
    return out
