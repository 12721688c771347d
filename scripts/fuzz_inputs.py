#!/usr/bin/env python
"""Coverage-guided fuzzing of the input stage (atheris/libFuzzer) over load_bytes + all its pages.

    .venv/bin/python scripts/fuzz_inputs.py --seconds 300 --corpus out/fuzz/corpus

A seed corpus (small valid JPEG, PNG, BMP, WebP, multi-page TIFF and PDF files, several flavours
each) is written to --corpus first; libFuzzer adds the inputs that reach new code there, so a
second run starts where the first stopped. A crash is any exception escaping load_bytes or its
pages, and any result breaking the contract (an `internal_error` item, an empty code or message, a
page that is not a uint8 HxWx3 array within max_pixels): the input is saved to --crashes
(crash-<sha1>), the problem printed, and fuzzing goes on. At the end: inputs tried, executions per
second and crashes found. A crash file replays with `--replay FILE...`.

Pillow's, pdfminer's and pdfplumber's Python code and extract.* are instrumented for coverage;
pdfium (C++) is exercised but not instrumented. libFuzzer stops the run itself on an input using
over --rss-limit-mb of memory or over --timeout seconds (it writes oom-/timeout- files to --crashes).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import time
import traceback
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402  (not instrumented: imported before the hook)
import atheris  # noqa: E402

with atheris.instrument_imports(include=["extract", "PIL", "pdfplumber", "pdfminer"]):
    from PIL import Image, ImageDraw
    import pdfplumber  # noqa: F401  (imported lazily by the reader; instrumented here)

    from extract.inputs import InputLimits, load_bytes
    from schemas.result import ErrorItem


LIMITS = InputLimits(max_pixels=250_000, max_pages=4, dpi=40, max_seconds=10)


# ---------------------------------------------------------------------------- seed corpus

def _picture(size=(48, 32), mode="RGB") -> Image.Image:
    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    d.rectangle([4, 4, size[0] // 2, size[1] // 2], fill=(200, 30, 30))
    d.line([0, size[1] - 1, size[0] - 1, 0], fill=(0, 0, 0), width=2)
    return im.convert(mode) if mode != "RGB" else im


def _enc(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _raw_pdf(objs: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, body in enumerate(objs, start=1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    return bytes(out)


def _stream(d: bytes, payload: bytes) -> bytes:
    return b"<< " + d + b" /Length %d >>\nstream\n" % len(payload) + payload + b"\nendstream"


def seed_files() -> dict[str, bytes]:
    from fpdf import FPDF

    pic = _picture()
    pal = _picture(mode="P")
    seeds = {
        "jpeg": _enc(pic, "JPEG", quality=70),
        "jpeg_progressive": _enc(pic, "JPEG", progressive=True),
        "jpeg_cmyk": _enc(_picture(mode="CMYK"), "JPEG"),
        "png": _enc(pic, "PNG"),
        "png_rgba": _enc(_picture(mode="RGBA"), "PNG"),
        "png_palette": _enc(pal, "PNG", transparency=0),
        "png_i16": _enc(Image.new("I;16", (20, 10), 3000), "PNG"),
        "bmp": _enc(pic, "BMP"),
        "bmp_1bit": _enc(_picture(mode="1"), "BMP"),
        "webp": _enc(pic, "WEBP", quality=60),
        "webp_lossless": _enc(_picture(mode="RGBA"), "WEBP", lossless=True),
        "tiff_multipage": _enc(pic, "TIFF", save_all=True, append_images=[_picture((30, 20), "L"), _picture((20, 30), "1")]),
        "tiff_deflate": _enc(pic, "TIFF", compression="tiff_deflate", save_all=True, append_images=[_picture((24, 24))]),
        "tiff_lzw_i16": _enc(Image.new("I;16", (16, 12), 500), "TIFF", compression="tiff_lzw"),
        "tiff_float": _enc(Image.new("F", (16, 12), 0.25), "TIFF"),
    }
    pdf = FPDF(unit="pt", format=(200, 150))
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.text(20, 40, "Name Wang Xiaoming")
    pdf.add_page()
    pdf.image(io.BytesIO(_enc(pic, "PNG")), x=10, y=10, w=120)
    seeds["pdf_fpdf"] = bytes(pdf.output())
    content = b"0 0 m 150 100 l 4 w S BT /F1 12 Tf 20 50 Td (Hello world text) Tj ET"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 150] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>"
    head = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page]
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    img = _stream(b"/Type /XObject /Subtype /Image /Width 16 /Height 16 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
                  zlib.compress(bytes(range(256)) * 3))
    seeds["pdf_flate"] = _raw_pdf(head + [_stream(b"/Filter /FlateDecode", zlib.compress(content + b" q 50 0 0 50 100 50 cm /Im1 Do Q")), font, img])
    import base64

    seeds["pdf_a85"] = _raw_pdf(head + [_stream(b"/Filter [/ASCII85Decode /FlateDecode]", base64.a85encode(zlib.compress(content)) + b"~>"), font, img])
    seeds["pdf_plain"] = _raw_pdf(head + [_stream(b"", content), font, img])
    return seeds


# ---------------------------------------------------------------------------- the target

class Stats:
    tried = 0
    crashes = 0
    started = 0.0
    seconds = 0.0
    crash_dir = Path("out/fuzz/crashes")


def contract_problems(data: bytes) -> str | None:
    """None when load_bytes and its pages meet the contract on `data`; else what broke."""
    try:
        loaded = load_bytes(data, LIMITS)
        pages = list(loaded.pages())
    except Exception:
        return "exception escaped:\n" + traceback.format_exc()
    for e in loaded.errors:
        if not isinstance(e, ErrorItem) or not e.code or not e.message:
            return f"bad error item: {e!r}"
        if e.code == "internal_error":
            return f"internal_error: {e.message}"
    for p in pages:
        img = p.image
        if not (isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3):
            return f"page {p.number}: not a uint8 HxWx3 array: {getattr(img, 'dtype', None)} {getattr(img, 'shape', None)}"
        if img.shape[0] * img.shape[1] > LIMITS.max_pixels or 0 in img.shape[:2]:
            return f"page {p.number}: {img.shape} is over max_pixels"
    if len(pages) > max(loaded.page_count, 0):
        return f"{len(pages)} pages yielded, page_count {loaded.page_count}"
    return None


def report() -> None:
    el = max(time.monotonic() - Stats.started, 1e-9)
    print(
        f"\n== fuzz_inputs: {Stats.tried} inputs tried in {el:.0f} s, {Stats.tried / el:.1f} exec/s, "
        f"{Stats.crashes} crashes found" + (f" (saved in {Stats.crash_dir})" if Stats.crashes else ""),
        flush=True,
    )


def test_one_input(data: bytes) -> None:
    if Stats.tried == 0:
        Stats.started = time.monotonic()
    Stats.tried += 1
    problem = contract_problems(data)
    if problem:
        Stats.crashes += 1
        Stats.crash_dir.mkdir(parents=True, exist_ok=True)
        path = Stats.crash_dir / f"crash-{hashlib.sha1(data).hexdigest()}"
        path.write_bytes(data)
        print(f"\n== CRASH #{Stats.crashes}: {path} ({len(data)} bytes, head {data[:48]!r})\n{problem}", flush=True)
    if time.monotonic() - Stats.started > Stats.seconds:
        report()
        os._exit(0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60, help="how long to fuzz (default 60)")
    ap.add_argument("--corpus", default="out/fuzz/corpus", help="corpus dir: seeds written here, new inputs kept here")
    ap.add_argument("--crashes", default="out/fuzz/crashes", help="where failing inputs are saved")
    ap.add_argument("--max-len", type=int, default=32768, help="largest input libFuzzer makes (bytes)")
    ap.add_argument("--timeout", type=int, default=60, help="seconds one input may take before libFuzzer stops the run")
    ap.add_argument("--rss-limit-mb", type=int, default=2048)
    ap.add_argument("--replay", nargs="*", help="run these files once each through the contract check and exit")
    ap.add_argument("--verbose", action="store_true", help="keep the readers' own warnings (libtiff, pdfminer) on stderr")
    args, rest = ap.parse_known_args()
    if not args.verbose:
        import logging
        import warnings

        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)

    if args.replay is not None:
        bad = 0
        for f in args.replay:
            problem = contract_problems(Path(f).read_bytes())
            print(f"{f}: {'ok' if problem is None else problem}")
            bad += problem is not None
        sys.exit(1 if bad else 0)

    corpus = Path(args.corpus)
    corpus.mkdir(parents=True, exist_ok=True)
    for name, data in seed_files().items():
        (corpus / f"seed-{name}").write_bytes(data)
    Stats.crash_dir = Path(args.crashes)
    Stats.seconds = args.seconds
    Stats.crash_dir.mkdir(parents=True, exist_ok=True)
    libfuzzer_args = [
        sys.argv[0],
        str(corpus),
        f"-max_len={args.max_len}",
        f"-timeout={args.timeout}",
        f"-rss_limit_mb={args.rss_limit_mb}",
        f"-artifact_prefix={Stats.crash_dir}/",
        f"-max_total_time={int(args.seconds) + 120}",  # a backstop: the target itself stops at --seconds
        "-print_final_stats=1",
        *([] if args.verbose else ["-close_fd_mask=2"]),  # the readers' C libraries write to stderr; libFuzzer keeps its own
        *rest,
    ]
    print(f"fuzzing load_bytes for {args.seconds:g} s; corpus {corpus}, crashes {Stats.crash_dir}", flush=True)
    atheris.Setup(libfuzzer_args, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
