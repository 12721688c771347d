"""Input stage: bytes in, pages out. Formats are recognised by content, never by file name.

JPEG, PNG, BMP, WebP, TIFF (multi-page) and PDF. PDF pages with a text layer yield their words
with boxes (pdfplumber, no OCR); pages without one are rendered with pypdfium2 at `dpi` and
OCR'd later; mixed PDFs are handled page by page. Pages are produced lazily, so a PDF with
hundreds of pages never sits in memory at once. Every problem becomes an itemised ErrorItem.

`load_bytes` never raises, whatever the bytes: a reader failing in a way not foreseen becomes an
`internal_error` item (the fuzzer, scripts/fuzz_inputs.py, counts those as bugs). What is bounded
per file (InputLimits; defaults in brackets):

- size: more than `max_bytes` [200 MiB] is refused unread (file_too_large).
- pixels per page: the size an image declares (every TIFF frame's, too) is checked against
  `max_pixels` [60 M] before anything is decoded (image_too_large); Pillow only ever decodes the
  sniffed format. A PDF page is measured at `dpi` before rendering: over `max_pixels` it is
  rendered smaller, at the largest DPI that fits (page_downscaled), or refused when that would be
  under `min_render_dpi` [72] (page_too_large). Peak memory per page is a small multiple of
  max_pixels (about 10 bytes a pixel while converting to BGR).
- pixels per file: `max_total_pixels` [1.5 G] decoded in all; the pages after are not read
  (total_pixels_limit).
- pages: `max_pages` [300]; a TIFF's frames are only counted that far (too_many_pages).
- time: `max_seconds` [120 s] spent inside the reader (opening, scanning, decoding, rendering;
  not the caller's OCR between pages). Checked between pages, between TIFF frames, while a PDF's
  streams are scanned and while pdfium renders (progressive rendering, paused every 50 ms); past
  it the remaining pages are not read (time_limit). One decode by Pillow or one pdfium page load
  cannot be interrupted; they are bounded by the pixel and stream limits instead.
- PDF decompression bombs: before pdfium or pdfminer sees the file, every stream in the raw bytes
  is measured (extract/limits.py: zlib/LZW/RunLength output counted, not kept): an embedded
  image declaring more than max_pixels, an image stream inflating past 8 bytes a declared pixel,
  another stream past `max_pdf_stream_bytes` [32 MiB] or the non-image streams past
  `max_pdf_inflated_bytes` [64 MiB] in all refuse the file (pdf_image_too_large,
  pdf_stream_too_large). Drawing operators cost pdfium about 20 bytes of memory per byte of
  content, which is why the content limits are far below the image ones.
- PDF text layers: read with pdfplumber only on pages where pdfium counts characters, and not on
  pages with more than `max_text_layer_chars` [100 k] (pdf_text_layer_skipped: rendered and OCR'd).
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
from PIL import Image, ImageFile

from extract.limits import Budget, TimeUp, interrupt_after, scan_pdf
from ocr.base import OcrLine
from schemas.result import ErrorItem

ImageFile.LOAD_TRUNCATED_IMAGES = False

MiB = 1024 * 1024


@dataclass
class InputLimits:
    max_bytes: int = 200 * MiB
    max_pixels: int = 60_000_000  # per page; larger images are refused as decompression bombs
    max_pages: int = 300
    dpi: int = 200  # PDF rendering resolution; bboxes of PDF pages are in pixels at this DPI
    min_text_layer_chars: int = 8
    max_seconds: float = 120.0  # time spent inside the reader per file
    max_total_pixels: int = 1_500_000_000  # decoded pixels per file, all pages together
    min_render_dpi: int = 72  # a PDF page too large at `dpi` is rendered smaller, down to this
    max_pdf_stream_bytes: int = 32 * MiB  # inflated size of one non-image PDF stream
    max_pdf_inflated_bytes: int = 64 * MiB  # inflated size of all non-image PDF streams together
    max_text_layer_chars: int = 100_000  # per page; more and the page is rendered and OCR'd


@dataclass
class Page:
    number: int  # 1-based
    image: np.ndarray  # BGR uint8
    dpi: int | None = None  # PDF pages: the DPI actually rendered at (lower than asked when downscaled)
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


# Pillow decodes only the format that was sniffed (no other plugin gets the bytes)
_PIL_FORMATS = {"jpeg": ["JPEG"], "png": ["PNG"], "bmp": ["BMP"], "webp": ["WEBP"], "tiff": ["TIFF"]}


def _err(code: str, message: str, page: int | None = None) -> ErrorItem:
    return ErrorItem(code=code, message=message, page=page)


def _time_err(budget: Budget, page: int | None) -> ErrorItem:
    rest = f"; page {page} and after not read" if page else ""
    return _err("time_limit", f"reading took over {budget.max_seconds:g} s{rest}", page=page)


def _numeric_to_bgr(im: Image.Image) -> np.ndarray:
    """16/32-bit integer and float images: scaled so that the maximum is white, row block by block."""
    arr = np.asarray(im)
    if arr.ndim != 2:
        raise ValueError(f"unexpected {im.mode} array of shape {arr.shape}")
    h, w = arr.shape
    rows = max(1, (1 << 20) // max(w, 1))
    hi = 0.0
    for r in range(0, h, rows):
        block = arr[r : r + rows]
        if block.dtype.kind == "f":
            block = block[np.isfinite(block)]
        if block.size:
            hi = max(hi, float(block.max()))
    hi = hi if hi > 0 else 1.0
    out = np.empty((h, w, 3), np.uint8)
    for r in range(0, h, rows):
        # in float64: 255 / hi overflows float32 for a tiny maximum (a float image of specks)
        block = np.nan_to_num(arr[r : r + rows].astype(np.float64), nan=0.0, posinf=hi, neginf=0.0)
        g = (block * (255.0 / hi)).clip(0, 255).astype(np.uint8)
        out[r : r + rows] = g[:, :, None]
    return out


def _pil_to_bgr(im: Image.Image) -> np.ndarray:
    if im.mode in ("I", "F") or im.mode.startswith(("I;", "F;")):
        return _numeric_to_bgr(im)
    if im.mode == "La":
        im = im.convert("LA")
    if im.mode in ("RGBA", "LA", "PA", "RGBa") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    if im.mode != "RGB":
        im = im.convert("RGB")
    return np.ascontiguousarray(np.asarray(im)[:, :, ::-1])


def load_bytes(data: bytes, limits: InputLimits | None = None) -> LoadedInput:
    """Sniff, open and check `data`; pages come lazily from `.pages()`. Never raises."""
    limits = limits or InputLimits()
    budget = Budget(max_seconds=limits.max_seconds, max_total_pixels=limits.max_total_pixels)
    kind = "unknown"
    try:
        with budget.running():
            if data is None or len(data) == 0:
                return LoadedInput("unknown", errors=[_err("empty_file", "the file is empty (0 bytes)")])
            if len(data) > limits.max_bytes:
                return LoadedInput(
                    "unknown",
                    errors=[_err("file_too_large", f"{len(data)} bytes is over the limit of {limits.max_bytes} bytes")],
                )
            data = bytes(data)
            kind = sniff(data)
            if kind == "unknown":
                return LoadedInput(
                    kind,
                    errors=[_err("unsupported_format", "not a JPEG, PNG, BMP, WebP, TIFF or PDF file (recognised by content)")],
                )
            out = _load_pdf(data, limits, budget) if kind == "pdf" else _load_image(data, kind, limits, budget)
    except TimeUp:
        return LoadedInput(kind, errors=[_time_err(budget, None)])
    except Exception as exc:  # a reader failing in a way not foreseen: itemised, never raised
        return LoadedInput(kind, errors=[_err("internal_error", f"the file cannot be read: {type(exc).__name__}: {exc}")])
    if out._pages is not None:
        out._pages = _guarded(out, out._pages, budget)
    return out


def _guarded(out: LoadedInput, inner: Iterator[Page], budget: Budget) -> Iterator[Page]:
    """Pages of `inner`, timed against the budget; nothing it raises leaves this generator."""
    last = 0
    try:
        while True:  # the readers look at the budget before each page (and within long steps)
            try:
                with budget.running():
                    page = next(inner)
            except StopIteration:
                return
            except TimeUp:
                out.errors.append(_time_err(budget, last + 1 if last < out.page_count else None))
                return
            except Exception as exc:
                out.errors.append(
                    _err("internal_error", f"reading stopped after page {last}: {type(exc).__name__}: {exc}")
                )
                return
            last = page.number
            yield page
    finally:
        try:
            inner.close()  # type: ignore[attr-defined]
        except Exception:
            pass


def _count_frames(im: Image.Image, max_pages: int, budget: Budget) -> tuple[int, bool, Exception | None]:
    """Frames of a TIFF, counted up to max_pages + 1: (count, more than max_pages, error after the last)."""
    n = 1
    while n <= max_pages:
        budget.check()
        try:
            im.seek(n)
        except EOFError:
            break
        except Exception as exc:  # a broken IFD chain: the frames before it are still read
            im.seek(0)
            return n, False, exc
        n += 1
    im.seek(0)
    if n > max_pages:
        return max_pages, True, None
    return n, False, None


def _load_image(data: bytes, kind: str, limits: InputLimits, budget: Budget) -> LoadedInput:
    Image.MAX_IMAGE_PIXELS = None  # we check the size ourselves before decoding
    try:
        im = Image.open(io.BytesIO(data), formats=_PIL_FORMATS[kind])
        n, more, chain_err = _count_frames(im, limits.max_pages, budget) if kind == "tiff" else (1, False, None)
    except TimeUp:
        raise
    except Exception as exc:  # PIL raises many types for junk
        return LoadedInput(kind, errors=[_err("corrupt_file", f"cannot read the {kind.upper()} header: {exc}")])
    out = LoadedInput(kind, page_count=n)
    if more:
        out.errors.append(_err("too_many_pages", f"more than {limits.max_pages} pages; only the first {limits.max_pages} are read"))
    if chain_err is not None:
        out.errors.append(
            _err("corrupt_image", f"page {n + 1} and after cannot be read: {chain_err}", page=n + 1)
        )

    def gen() -> Iterator[Page]:
        for i in range(1, n + 1):
            budget.check()
            try:
                if kind == "tiff":
                    im.seek(i - 1)
                w, h = im.size
            except Exception as exc:
                out.errors.append(_err("corrupt_image", f"page {i} cannot be read: {exc}", page=i))
                continue
            if w <= 0 or h <= 0 or w * h > limits.max_pixels:
                out.errors.append(
                    _err(
                        "image_too_large",
                        f"{w}x{h} pixels is over the limit of {limits.max_pixels} (possible decompression bomb)",
                        page=i,
                    )
                )
                continue
            if budget.pixels + w * h > limits.max_total_pixels:
                out.errors.append(
                    _err(
                        "total_pixels_limit",
                        f"over {limits.max_total_pixels} pixels decoded in all; page {i} and after not read",
                        page=i,
                    )
                )
                return
            try:
                im.load()
                arr = _pil_to_bgr(im)
                if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] * arr.shape[1] > limits.max_pixels:
                    raise ValueError(f"decoded to an unexpected array {arr.dtype} {arr.shape}")
            except TimeUp:
                raise
            except Exception as exc:
                out.errors.append(_err("corrupt_image", f"page {i} cannot be decoded: {exc}", page=i))
                continue
            budget.pixels += w * h
            yield Page(number=i, image=arr, origin="image")

    out._pages = gen()
    return out


def _fit_scale(w_pt: float, h_pt: float, scale: float, max_pixels: int) -> float:
    """The largest scale <= `scale` at which the rendered bitmap (ceil of each side) fits max_pixels."""
    def px(s: float) -> int:
        return math.ceil(w_pt * s) * math.ceil(h_pt * s)

    if px(scale) <= max_pixels:
        return scale
    s = math.sqrt(max_pixels / (w_pt * h_pt))
    while s > 0 and px(s) > max_pixels:
        s *= 0.999
    return min(s, scale)


def _render(page, scale: float, budget: Budget) -> np.ndarray:
    """Render with pdfium's progressive API, pausing every 50 ms to look at the time budget."""
    import time

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c
    from pypdfium2.internal import set_callback

    w = math.ceil(page.get_width() * scale)
    h = math.ceil(page.get_height() * scale)
    if w < 1 or h < 1:
        raise ValueError(f"page renders to {w}x{h} pixels")
    bitmap = pdfium.PdfBitmap.new_native(w, h, pdfium_c.FPDFBitmap_BGR)
    bitmap.fill_rect((255, 255, 255, 255), 0, 0, w, h)
    resumed = [time.monotonic()]

    def need_pause(_pause) -> int:
        return 1 if time.monotonic() - resumed[0] > 0.05 else 0

    pause = pdfium_c.IFSDK_PAUSE(version=1)
    set_callback(pause, "NeedToPauseNow", need_pause)
    try:
        status = pdfium_c.FPDF_RenderPageBitmap_Start(bitmap, page, 0, 0, w, h, 0, pdfium_c.FPDF_ANNOT, pause)
        while status == pdfium_c.FPDF_RENDER_TOBECONTINUED:
            budget.check()
            resumed[0] = time.monotonic()
            status = pdfium_c.FPDF_RenderPage_Continue(page, pause)
    finally:
        pdfium_c.FPDF_RenderPage_Close(page)
    if status != pdfium_c.FPDF_RENDER_DONE:
        raise RuntimeError(f"pdfium rendering failed (status {status})")
    arr = bitmap.to_numpy()
    img = np.array(arr[:, :, :3], dtype=np.uint8, copy=True)  # BGR, owned (the bitmap buffer goes away)
    if img.ndim != 3 or img.shape[:2] != (h, w):
        raise ValueError(f"pdfium rendered an unexpected array {img.shape}")
    return img


def _load_pdf(data: bytes, limits: InputLimits, budget: Budget) -> LoadedInput:
    import pypdfium2 as pdfium

    problems = scan_pdf(
        data,
        max_pixels=limits.max_pixels,
        max_stream_bytes=limits.max_pdf_stream_bytes,
        max_inflated_bytes=limits.max_pdf_inflated_bytes,
        budget=budget,
    )
    if problems:
        return LoadedInput("pdf", errors=[_err(p.code, p.message) for p in problems])
    try:
        pdf = pdfium.PdfDocument(data)
        n = len(pdf)
    except Exception as exc:
        msg = str(exc)
        if "password" in msg.lower():
            return LoadedInput("pdf", errors=[_err("pdf_encrypted", "the PDF is password-protected")])
        return LoadedInput("pdf", errors=[_err("corrupt_pdf", f"the PDF cannot be opened: {msg}")])
    count = max(0, min(n, limits.max_pages))
    out = LoadedInput("pdf", page_count=count)
    if n <= 0:
        out.errors.append(_err("empty_pdf", "the PDF has no pages"))
    if n > limits.max_pages:
        out.errors.append(_err("too_many_pages", f"{n} pages; only the first {limits.max_pages} are read"))

    def gen() -> Iterator[Page]:
        plumber = None
        plumber_tried = False
        scale0 = limits.dpi / 72.0
        try:
            for i in range(count):
                budget.check()
                pno = i + 1
                page = None
                try:
                    page = pdf[i]
                    w_pt, h_pt = page.get_size()
                    if not (math.isfinite(w_pt) and math.isfinite(h_pt) and w_pt > 0 and h_pt > 0):
                        out.errors.append(_err("page_unreadable", f"page {pno} has no usable size ({w_pt}x{h_pt} pt)", page=pno))
                        continue
                    scale = _fit_scale(w_pt, h_pt, scale0, limits.max_pixels)
                    if scale < scale0 and scale * 72.0 < limits.min_render_dpi:
                        out.errors.append(
                            _err(
                                "page_too_large",
                                f"page {pno} is {w_pt:.0f}x{h_pt:.0f} pt: at {limits.dpi} dpi that is over "
                                f"{limits.max_pixels} pixels, and under {limits.min_render_dpi} dpi it would be unreadable",
                                page=pno,
                            )
                        )
                        continue
                    if scale < scale0:
                        out.errors.append(
                            _err(
                                "page_downscaled",
                                f"page {pno} is {w_pt:.0f}x{h_pt:.0f} pt: rendered at {scale * 72:.0f} dpi instead of "
                                f"{limits.dpi} to stay within {limits.max_pixels} pixels",
                                page=pno,
                            )
                        )
                    px = math.ceil(w_pt * scale) * math.ceil(h_pt * scale)
                    if budget.pixels + px > limits.max_total_pixels:
                        out.errors.append(
                            _err(
                                "total_pixels_limit",
                                f"over {limits.max_total_pixels} pixels rendered in all; page {pno} and after not read",
                                page=pno,
                            )
                        )
                        return
                    img = _render(page, scale, budget)
                    budget.pixels += px
                    textpage = page.get_textpage()
                    try:
                        nchars = textpage.count_chars()  # pdfium's count: pdfplumber only runs where there is text
                    finally:
                        textpage.close()
                except TimeUp:
                    raise
                except Exception as exc:
                    out.errors.append(_err("page_unreadable", f"page {pno} cannot be rendered: {exc}", page=pno))
                    continue
                finally:
                    if page is not None:
                        try:
                            page.close()
                        except Exception:
                            pass
                lines = None
                if nchars > limits.max_text_layer_chars:
                    out.errors.append(
                        _err(
                            "pdf_text_layer_skipped",
                            f"page {pno}: {nchars} characters in the text layer, over the limit of "
                            f"{limits.max_text_layer_chars}; the page is OCR'd instead",
                            page=pno,
                        )
                    )
                elif nchars > 0:
                    if not plumber_tried:
                        plumber_tried = True
                        try:
                            import pdfplumber

                            with interrupt_after(limits.max_seconds - budget.elapsed()):
                                plumber = pdfplumber.open(io.BytesIO(data), pages=list(range(1, count + 1)))
                        except Exception as exc:  # text layer unreadable: every page is rendered and OCR'd
                            out.errors.append(_err("pdf_text_layer_unreadable", f"text layer ignored: {exc}"))
                    if plumber is not None:
                        try:
                            # pdfminer looks at no budget and can loop on a crafted page tree
                            with interrupt_after(limits.max_seconds - budget.elapsed()):
                                ppage = plumber.pages[i]
                                lines = _text_layer_lines(ppage, scale)
                                ppage.flush_cache()
                        except Exception as exc:
                            out.errors.append(
                                _err("pdf_text_layer_unreadable",
                                     f"page {pno}: text layer ignored: {str(exc) or type(exc).__name__}", page=pno)
                            )
                            lines = None
                has_text = lines is not None and sum(len(l.text) for l in lines) >= limits.min_text_layer_chars
                yield Page(
                    number=pno,
                    image=img,
                    dpi=round(scale * 72),
                    origin="pdf_text" if has_text else "pdf_render",
                    text_lines=lines if has_text else None,
                )
        finally:
            # pdfplumber's close() parses every page to flush it (minutes on a crafted page tree):
            # its stream is our BytesIO, so dropping it is enough; pdfium's document is closed
            plumber = None
            if pdf is not None:
                try:
                    pdf.close()
                except Exception:
                    pass

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
