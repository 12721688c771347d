"""Property tests of the input stage: whatever the bytes, load_bytes and its pages never raise,
every problem is an itemised error, every page is a bounded BGR uint8 array; and the limits
(pixels, pages, time, PDF bombs) hold with bounded memory. Coverage-guided fuzzing of the same
function: scripts/fuzz_inputs.py (see RELIABILITY.md)."""
from __future__ import annotations

import functools
import io
import struct
import time
import zlib

import numpy as np
import psutil
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image, ImageDraw

import extract.limits as limits_mod
from extract.inputs import InputLimits, LoadedInput, load_bytes
from extract.limits import lzw_size, runlength_size
from schemas.result import ErrorItem

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's notes on corrupt tags

FUZZ_LIMITS = InputLimits(max_pixels=250_000, max_pages=4, dpi=40, max_seconds=20)
FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def check(data: bytes, limits: InputLimits = FUZZ_LIMITS) -> tuple[LoadedInput, list]:
    """The contract every input must meet."""
    loaded = load_bytes(data, limits)
    assert isinstance(loaded, LoadedInput)
    pages = list(loaded.pages())
    for e in loaded.errors:
        assert isinstance(e, ErrorItem)
        assert isinstance(e.code, str) and e.code and isinstance(e.message, str) and e.message
        assert e.code != "internal_error", e  # a reader failing in a way not foreseen: a bug
    assert len(pages) <= max(loaded.page_count, 0) <= limits.max_pages
    for p in pages:
        img = p.image
        assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
        assert img.shape[0] > 0 and img.shape[1] > 0 and img.shape[0] * img.shape[1] <= limits.max_pixels
        assert 1 <= p.number <= loaded.page_count
    return loaded, pages


# ---------------------------------------------------------------------------- builders

def raw_pdf(objs: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A PDF from object bodies 1..n (1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, body in enumerate(objs, start=1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, trailer_extra, x)
    return bytes(out)


def stream_obj(dict_body: bytes, payload: bytes) -> bytes:
    return b"<< " + dict_body + b" /Length %d >>\nstream\n" % len(payload) + payload + b"\nendstream"


def one_page_pdf(content: bytes, content_dict: bytes = b"", mediabox=b"[0 0 595 842]", resources=b"<< >>", extra: list[bytes] = ()) -> bytes:
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox " + mediabox + b" /Contents 4 0 R /Resources " + resources + b" >>",
            stream_obj(content_dict, content),
            *extra,
        ]
    )


def many_pages_pdf(n: int) -> bytes:
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(n))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n,
            stream_obj(b"", b"0 0 m 100 100 l S")]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 3 0 R >>"] * n
    return raw_pdf(objs)


def deflate_repeated(unit: bytes, total: int) -> bytes:
    """zlib data inflating to `total` bytes of `unit` repeated, made without holding the output."""
    c = zlib.compressobj(9)
    chunk = unit * max(1, (1 << 20) // len(unit))
    parts, made = [], 0
    while made < total:
        parts.append(c.compress(chunk))
        made += len(chunk)
    parts.append(c.flush())
    return b"".join(parts)


def _lzw_width(next_code: int) -> int:
    return 9 if next_code < 512 else 10 if next_code < 1024 else 11 if next_code < 2048 else 12


def _pack(codes: list[tuple[int, int]]) -> bytes:
    acc = nbits = 0
    out = bytearray()
    for code, width in codes:
        acc = (acc << width) | code
        nbits += width
        while nbits >= 8:
            nbits -= 8
            out.append((acc >> nbits) & 0xFF)
        acc &= (1 << nbits) - 1
    if nbits:
        out.append((acc << (8 - nbits)) & 0xFF)
    return bytes(out)


def lzw_encode(data: bytes) -> bytes:
    """PDF LZW (EarlyChange 1), for small test data."""
    table = {bytes([i]): i for i in range(256)}
    nxt = 258
    codes = [(256, 9)]
    w = b""
    for c in data:
        wc = w + bytes([c])
        if wc in table:
            w = wc
            continue
        codes.append((table[w], _lzw_width(nxt)))
        table[wc] = nxt
        nxt += 1
        w = bytes([c])
        if nxt >= 4093:
            codes.append((256, _lzw_width(nxt)))
            table = {bytes([i]): i for i in range(256)}
            nxt = 258
    if w:
        codes.append((table[w], _lzw_width(nxt)))
        nxt += 1
    codes.append((257, _lzw_width(nxt)))
    return _pack(codes)


def lzw_zero_bomb(cycles: int) -> bytes:
    """LZW codes 0, 258, 259, ... (1, 2, 3, ... zero bytes each), cleared and repeated."""
    codes = []
    for _ in range(cycles):
        codes.append((256, 12 if codes else 9))
        codes.append((0, 9))
        for code in range(258, 4092):
            codes.append((code, _lzw_width(code + 1)))
    codes.append((257, 12))
    return _pack(codes)


def tiff_frames(frames: list[tuple[int, int, bytes]], loop_last: bool = False) -> bytes:
    """Uncompressed 8-bit greyscale TIFF, one IFD per (width, height, strip bytes); sizes as declared."""
    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    ifd_offsets, next_fields = [], []
    for w, h, strip in frames:
        strip_off = len(out)
        out += strip
        if len(out) % 2:
            out += b"\x00"
        ifd_offsets.append(len(out))
        tags = [(256, 4, w), (257, 4, h), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, strip_off),
                (277, 3, 1), (278, 4, max(h, 1)), (279, 4, len(strip))]
        out += struct.pack("<H", len(tags))
        for tag, typ, val in tags:
            out += struct.pack("<HHI", tag, typ, 1) + (struct.pack("<HH", val, 0) if typ == 3 else struct.pack("<I", val))
        next_fields.append(len(out))
        out += b"\x00\x00\x00\x00"
    struct.pack_into("<I", out, 4, ifd_offsets[0])
    for i, pos in enumerate(next_fields[:-1]):
        struct.pack_into("<I", out, pos, ifd_offsets[i + 1])
    if loop_last:
        struct.pack_into("<I", out, next_fields[-1], ifd_offsets[0])
    return bytes(out)


def png_declared(w: int, h: int) -> bytes:
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")


def _picture(size=(48, 32), mode="RGB") -> Image.Image:
    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    d.rectangle([4, 4, size[0] // 2, size[1] // 2], fill=(200, 30, 30))
    d.line([0, size[1] - 1, size[0] - 1, 0], fill=(0, 0, 0), width=2)
    d.text((2, size[1] // 2), "AB12", fill=(0, 0, 120))
    return im.convert(mode) if mode != "RGB" else im


def _enc(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


@functools.lru_cache(maxsize=None)
def seeds() -> dict[str, bytes]:
    """Small valid files of every format and flavour the readers handle."""
    from fpdf import FPDF

    pic = _picture()
    pal = _picture(mode="P")
    pal.info["transparency"] = 0
    out = {
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
        "tiff_handmade": tiff_frames([(8, 4, bytes(range(32))), (4, 4, b"\x80" * 16)]),
    }
    pdf = FPDF(unit="pt", format=(200, 150))
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.text(20, 40, "Name Wang Xiaoming")
    pdf.text(20, 70, "Date 2024-03-05")
    pdf.add_page()
    buf = io.BytesIO(_enc(pic, "PNG"))
    pdf.image(buf, x=10, y=10, w=120)
    out["pdf_fpdf"] = bytes(pdf.output())
    content = b"0 0 m 150 100 l 4 w S BT /F1 12 Tf 20 50 Td (Hello world text) Tj ET"
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    res = b"<< /Font << /F1 5 0 R >> >>"
    out["pdf_flate"] = one_page_pdf(zlib.compress(content), b"/Filter /FlateDecode", b"[0 0 200 150]", res, [font])
    out["pdf_lzw"] = one_page_pdf(lzw_encode(content), b"/Filter /LZWDecode", b"[0 0 200 150]", res, [font])
    a85 = __import__("base64").a85encode(zlib.compress(content)) + b"~>"
    out["pdf_a85_flate"] = one_page_pdf(a85, b"/Filter [/ASCII85Decode /FlateDecode]", b"[0 0 200 150]", res, [font])
    img = zlib.compress(bytes(range(256)) * 12)  # 32x32 RGB
    xobj = stream_obj(b"/Type /XObject /Subtype /Image /Width 32 /Height 32 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode", img)
    out["pdf_image"] = one_page_pdf(
        b"q 100 0 0 100 20 20 cm /Im1 Do Q", b"", b"[0 0 200 150]", b"<< /XObject << /Im1 5 0 R >> >>", [xobj]
    )
    return out


SEED_NAMES = sorted(seeds().keys())


# ---------------------------------------------------------------------------- mutations

_interesting = st.sampled_from(
    [b"\x00", b"\xff", b"\x7f", b"\x80", b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff\xff\xff",
     b"\x00\x01\x00\x00", b"99999999", b"-1", b"0", b" R ", b"obj", b"endobj", b"stream\n", b"endstream",
     b"<<", b">>", b"/FlateDecode", b"/LZWDecode", b"[0 0 99999 99999]", b"%PDF-1.7\n", b"/Count 9999"]
)
_op = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 1 << 30), st.integers(0, 7)),
    st.tuples(st.just("truncate"), st.integers(0, 1 << 30)),
    st.tuples(st.just("head"), st.integers(0, 64)),
    st.tuples(st.just("insert"), st.integers(0, 1 << 30), st.binary(min_size=1, max_size=48)),
    st.tuples(st.just("delete"), st.integers(0, 1 << 30), st.integers(1, 512)),
    st.tuples(st.just("overwrite"), st.integers(0, 1 << 30), _interesting),
    st.tuples(st.just("duplicate"), st.integers(0, 1 << 30), st.integers(1, 256)),
)


def mutate(data: bytes, ops) -> bytes:
    b = bytearray(data)
    for op in ops:
        n = len(b)
        if n == 0:
            break
        kind, at = op[0], op[1] % n
        if kind == "flip":
            b[at] ^= 1 << op[2]
        elif kind == "truncate":
            del b[at:]
        elif kind == "head":
            del b[op[1]:]
        elif kind == "insert":
            b[at:at] = op[2]
        elif kind == "delete":
            del b[at : at + op[2]]
        elif kind == "overwrite":
            b[at : at + len(op[2])] = op[2]
        elif kind == "duplicate":
            b[at:at] = b[at : at + op[2]]
    return bytes(b)


def test_seeds_are_read_cleanly():
    for name, data in seeds().items():
        loaded, pages = check(data, InputLimits(max_pixels=250_000, dpi=40))
        assert pages and not loaded.errors, (name, loaded.errors)
    loaded, pages = check(seeds()["tiff_multipage"])
    assert [p.image.shape[:2] for p in pages] == [(32, 48), (20, 30), (30, 20)]


@pytest.mark.parametrize("name", SEED_NAMES)
@FAST
@given(ops=st.lists(_op, min_size=1, max_size=5))
def test_mutated_files_never_raise(name, ops):
    check(mutate(seeds()[name], ops))


@settings(max_examples=500, deadline=None, database=None)
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(data):
    check(data)


@settings(max_examples=500, deadline=None, database=None)
@given(magic=st.sampled_from([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"II*\x00", b"MM\x00*", b"%PDF-1.4\n"]),
       rest=st.binary(max_size=1024))
def test_right_magic_then_junk_never_raises(magic, rest):
    loaded, pages = check(magic + rest)
    assert loaded.kind != "unknown"


def test_default_limits_on_mutated_seeds():
    """A few mutations under the default limits (the fuzz tests use small ones)."""
    for name, data in seeds().items():
        for ops in ([("truncate", len(data) // 2)], [("flip", len(data) // 3, 5)], [("head", 40)]):
            check(mutate(data, ops), InputLimits())


# ---------------------------------------------------------------------------- image bombs

def _rss() -> int:
    return psutil.Process().memory_info().rss


def test_png_bomb_refused_before_decoding():
    r0, t0 = _rss(), time.perf_counter()
    loaded, pages = check(png_declared(100_000, 100_000), InputLimits())
    assert pages == [] and loaded.errors[0].code == "image_too_large" and "decompression bomb" in loaded.errors[0].message
    assert time.perf_counter() - t0 < 2 and _rss() - r0 < 50 << 20


def test_tiff_bomb_frame_refused_and_other_frames_read():
    data = tiff_frames([(8, 4, b"\x10" * 32), (200_000, 200_000, b"\x00" * 64), (4, 4, b"\x80" * 16)])
    r0 = _rss()
    loaded, pages = check(data, InputLimits())
    assert loaded.page_count == 3
    assert [p.number for p in pages] == [1, 3]
    assert [(e.code, e.page) for e in loaded.errors] == [("image_too_large", 2)]
    assert _rss() - r0 < 50 << 20


def test_tiff_with_looping_ifd_chain_ends():
    loaded, pages = check(tiff_frames([(8, 4, b"\x10" * 32), (4, 4, b"\x80" * 16)], loop_last=True))
    assert len(pages) == 2


def test_tiff_frames_counted_only_to_max_pages():
    data = tiff_frames([(2, 2, b"\x01\x02\x03\x04")] * 50)
    loaded, pages = check(data, InputLimits(max_pages=6))
    assert loaded.page_count == 6 and len(pages) == 6
    assert loaded.errors[0].code == "too_many_pages"


def test_total_pixels_per_file_capped():
    data = tiff_frames([(10, 10, b"\x40" * 100)] * 5)
    loaded, pages = check(data, InputLimits(max_total_pixels=350))
    assert len(pages) == 3
    assert [(e.code, e.page) for e in loaded.errors] == [("total_pixels_limit", 4)]


def test_bomb_image_of_every_flavour_in_sixteen_bit_and_float():
    for im in (Image.new("I;16", (30, 20), 65535), Image.new("F", (30, 20), float("nan")), Image.new("I", (30, 20), -5)):
        loaded, pages = check(_enc(im, "TIFF"))
        assert len(pages) == 1 and pages[0].image.shape == (20, 30, 3)


def test_a_float_image_with_a_tiny_maximum_is_scaled_without_overflow():
    """A float TIFF whose brightest pixel is 3e-39 (the fuzzer's tiff_float): 255 / max
    overflows float32; scaled in float64, its brightest pixel is white, the rest in proportion."""
    import warnings

    arr = np.full((20, 30), 1e-39, np.float32)
    arr[0, 0] = 3e-39
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded, pages = check(_enc(Image.fromarray(arr, mode="F"), "TIFF"))
    g = pages[0].image[..., 0]
    assert g[0, 0] == 255 and 80 <= g[5, 5] <= 90


# ---------------------------------------------------------------------------- PDF bombs

def test_pdf_enormous_mediabox_refused_before_rendering():
    data = one_page_pdf(b"0 0 m 100 100 l S", mediabox=b"[0 0 200000 200000]")
    r0, t0 = _rss(), time.perf_counter()
    loaded, pages = check(data, InputLimits())
    assert pages == [] and [(e.code, e.page) for e in loaded.errors] == [("page_too_large", 1)]
    assert time.perf_counter() - t0 < 5 and _rss() - r0 < 100 << 20


def test_pdf_large_page_rendered_smaller_within_max_pixels():
    data = one_page_pdf(b"0 0 m 1000 1000 l 20 w S", mediabox=b"[0 0 1500 1500]")
    lim = InputLimits(max_pixels=4_000_000)
    loaded, pages = check(data, lim)
    (page,) = pages
    assert page.image.shape[0] * page.image.shape[1] <= lim.max_pixels
    assert 72 <= page.dpi < 200 and [e.code for e in loaded.errors] == ["page_downscaled"]
    assert (page.image < 128).any()  # the line is drawn


def test_pdf_flate_content_bomb_refused_with_bounded_memory():
    bomb = deflate_repeated(b"0 0 m 1 1 l S\n", 400 << 20)  # 400 MiB of drawing operators, ~0.7 MB compressed
    data = one_page_pdf(bomb, b"/Filter /FlateDecode")
    r0, t0 = _rss(), time.perf_counter()
    loaded, pages = check(data, InputLimits())
    assert pages == [] and loaded.errors[0].code == "pdf_stream_too_large", loaded.errors
    assert "decompression bomb" in loaded.errors[0].message
    assert _rss() - r0 < 300 << 20 and time.perf_counter() - t0 < 10


def test_pdf_bomb_behind_ascii85_and_an_escaped_filter_name():
    import base64

    bomb = deflate_repeated(b" ", 100 << 20)
    for dict_body, payload in (
        (b"/Filter [/ASCII85Decode /FlateDecode]", base64.a85encode(bomb) + b"~>"),
        (b"/Filter /Fl#61teDecode", bomb),
        (b"/Filter 9 0 R", bomb),  # indirect filter: measured anyway, it is zlib data
    ):
        loaded, pages = check(one_page_pdf(bomb if b"85" not in dict_body else payload, dict_body), InputLimits())
        assert loaded.errors[0].code == "pdf_stream_too_large", (dict_body, loaded.errors)


def test_pdf_image_stream_bombs_refused():
    small_dims = stream_obj(b"/Type /XObject /Subtype /Image /Width 100 /Height 100 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
                            deflate_repeated(b"\x00", 64 << 20))
    huge_dims = stream_obj(b"/Type /XObject /Subtype /Image /Width 6 0 R /Height 100000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode",
                           seeds()["jpeg"])
    res = b"<< /XObject << /Im1 5 0 R >> >>"
    loaded, _ = check(one_page_pdf(b"q 100 0 0 100 0 0 cm /Im1 Do Q", resources=res, extra=[small_dims]), InputLimits())
    assert loaded.errors[0].code == "pdf_stream_too_large"
    loaded, _ = check(one_page_pdf(b"q 100 0 0 100 0 0 cm /Im1 Do Q", resources=res, extra=[huge_dims, b"100000"]), InputLimits())
    assert loaded.errors[0].code == "pdf_image_too_large" and "100000x100000" in loaded.errors[0].message


def test_pdf_lzw_and_runlength_bombs_refused():
    bomb = lzw_zero_bomb(cycles=12)  # ~88 MB of zeros from ~70 kB
    assert lzw_size(bomb, 0, 1 << 40) > 80_000_000
    loaded, _ = check(one_page_pdf(bomb, b"/Filter /LZWDecode"), InputLimits())
    assert loaded.errors[0].code == "pdf_stream_too_large"
    rl = (b"\x81\x00") * 300_000 + b"\x80"  # 128 bytes per 2
    loaded, _ = check(one_page_pdf(rl, b"/Filter /RunLengthDecode"), InputLimits())
    assert loaded.errors[0].code == "pdf_stream_too_large"


def test_stream_measures_match_real_decoders():
    from pdfminer.lzw import lzwdecode
    from pdfminer.runlength import rldecode

    rng = np.random.default_rng(7)
    for raw in (b"", b"a", b"abababababababab" * 50, bytes(rng.integers(0, 4, 20_000, dtype=np.uint8)), bytes(6000)):
        enc = lzw_encode(raw)
        assert lzwdecode(enc) == raw
        assert lzw_size(enc, 0, 1 << 40) == len(raw)
    small = lzw_zero_bomb(cycles=1)
    assert lzw_size(small, 0, 1 << 40) == len(lzwdecode(small))
    rl = b"\x02abc\xfdz\x00q\x80"
    assert runlength_size(rl, 0, 1 << 40) == len(rldecode(rl))


def test_lzw_content_is_drawn_by_pdfium():
    """The test encoder is the real thing: pdfium draws what it encodes."""
    loaded, pages = check(seeds()["pdf_lzw"])
    assert len(pages) == 1 and (pages[0].image < 128).any()


def test_pdf_with_thousands_of_pages_is_capped_lazily():
    data = many_pages_pdf(5000)
    r0, t0 = _rss(), time.perf_counter()
    loaded = load_bytes(data, InputLimits(max_pages=300, dpi=72))
    assert loaded.page_count == 300 and loaded.errors[0].code == "too_many_pages"
    it = loaded.pages()
    first = next(it)
    assert first.number == 1 and first.image.shape == (200, 200, 3)
    assert time.perf_counter() - t0 < 10 and _rss() - r0 < 200 << 20
    it.close()


def test_pdf_many_tiny_pages_stop_at_total_pixels():
    loaded, pages = check(many_pages_pdf(20), InputLimits(dpi=72, max_total_pixels=200 * 200 * 5))
    assert len(pages) == 5 and [(e.code, e.page) for e in loaded.errors] == [("total_pixels_limit", 6)]


def test_text_layer_over_the_limit_is_ocrd_instead():
    data = seeds()["pdf_flate"]
    loaded, pages = check(data, InputLimits(dpi=40))
    assert pages[0].origin == "pdf_text"
    loaded, pages = check(data, InputLimits(dpi=40, max_text_layer_chars=5))
    assert pages[0].origin == "pdf_render" and loaded.errors[0].code == "pdf_text_layer_skipped"


# ---------------------------------------------------------------------------- time limit

class _Clock:
    """monotonic() that advances one second a call: deterministic budgets."""

    def __init__(self):
        self.t = 0.0

    def monotonic(self) -> float:
        self.t += 1.0
        return self.t


def test_time_limit_stops_reading_between_pages(monkeypatch):
    monkeypatch.setattr(limits_mod, "time", _Clock())
    loaded, pages = check(many_pages_pdf(30), InputLimits(dpi=36, max_seconds=40))
    assert 0 < len(pages) < 30
    err = loaded.errors[-1]
    assert err.code == "time_limit" and err.page == len(pages) + 1 and "40 s" in err.message


def test_time_limit_spent_while_opening():
    loaded, pages = check(seeds()["tiff_multipage"], InputLimits(max_seconds=0))
    assert pages == [] and [e.code for e in loaded.errors] == ["time_limit"]


def test_time_limit_interrupts_a_slow_render():
    # ~40k wide dashed curves: seconds to render at 300 dpi, stopped after ~0.3 s
    ops = b"".join(b"%d %d m %d %d %d %d %d %d c S\n" % (i % 500, i % 700, i % 300, 800 - i % 800, i % 600, i % 50, 590 - i % 590, 840 - i % 840)
                   for i in range(40_000))
    data = one_page_pdf(b"[3 1] 0 d 9 w " + ops, mediabox=b"[0 0 595 842]")
    t0 = time.perf_counter()
    loaded, pages = check(data, InputLimits(dpi=300, max_seconds=0.3))
    assert pages == [] and loaded.errors[-1].code == "time_limit"
    assert time.perf_counter() - t0 < 3


# ---------------------------------------------------------------------------- regressions found by the fuzzer
# (inputs saved by scripts/fuzz_inputs.py; each raised out of load_bytes or its pages before the fix)

# The first fuzz run, against the reader before this hardening, found 1,034 crashing inputs in 90 s,
# all one bug: pdfplumber's close() walks every page and raises on a malformed page dictionary
# (MediaBox not numbers, a broken /Pages dict...), and it was called in the `finally` of the page
# generator, so the exception left `.pages()`. Three of them, zlib+base64 (each still makes
# pdfplumber.close() raise, and the text layer is still opened for them):
REGRESSIONS = [
    # crash-0edaaaaa3832b25c334c8c92284c9d327e75b0df
    (
        "pdfplumber_close_MalformedPDFException",
        "eNqNks9Kw0AQxnvOE3icS0APutmkSSyUFqoWRaWlzUEoImmzjSlpVpItrYJ/jh59BF9EfAQPPXgU9OBRi+hN4m6SaqEeuiRh+eab"
        "md+Qkeub1VW8Zkry88vDWMKgAG33pGIRkHV6QgBt2Mz2qQuobrskApUbGlAqSSRwhFGdS0h9aNdzImhpwn7Iq9BBwADPJGr/Jopv"
        "SLg17YP2iePZFTqClsIFVVEgXuBgXUl6BoyXiiCf1ooGDUrCDocTPas8ml4w6NlQgA5q7R7ppIGdPgZjGkmeKXv+jx3QHgmAHbvG"
        "ujBELCR2XxKwfeAYgDmyzwmG0ISKlXTDKlhdPgvwsOXA8jbxfQpDGvoOMDJiK2D1IHdVyi38mvTpLn6fjF/R0f15PPl4fCtfxt/u"
        "0md8/VXO3bYvbgR5xpbNMApJl3OakvJ7wNB1TRc3rPJFSKQApgbV1OY0raDOaXljRmOh7fkkTP5y0zsjYAJqUCpWIdujiNkhS2AK"
        "WJNkeatWlX4AupDQuA=="
    ),
    # crash-cb1e196183c9d2a64cd51727c4775e913fb1c498
    (
        "pdfplumber_close_TypeError",
        "eNq1ks1KAzEQx3vOE3icy4IeNJvd7q6F0kLVoqi0tHsQisi2m9aW7UayKa2CH0ePPoIvIj6Chx48CnrwqEX0JmvSbbVQD14MSRhm"
        "/pP5TRitvF5cJisO0h6f7oaIgA6s3kHZLGD3+IgCXvOEF7AW4LLXohEYUlCBXA7R0FdCYy4h0eHtth9BzVTyffkK64UCyEyi+Wui"
        "ujmV0qQO3qV+2yuw1P+vAdR0WdPQdSCWPkYOhSSJIJ2gRL0Ko7whe1PIRRlNDB2syZ8A3ivVO7SRBLa6BOxpZLynrad/Wge8Q0MQ"
        "hy17VQkiwanXRQqkqzCASJxAEvShCgVXViNADHCbkhNk2PVhcZMGAYM+44EPgg7EErgdSF3kUn8+Dnu4iV9Hw2d8cHsaj97uX/Ln"
        "8Wdr4T2+/MinrutnV4p8wjbpgdNBU3I6SP9eYFuWaSmLGHKOxq4QpgLDMed8ZsaY86XtGZ/gXjugfDwk1fYJBQdwhTE1SZMxjITH"
        "xYDTJsoQE2naRqmIvgDapazb"
    ),
    # crash-eee84e37bb73daaebb7665532b2e62407a071881
    (
        "pdfplumber_close_PdfminerException",
        "eNq1kstOwkAUhl3qeH2Es2miC52ZloskhAUKAQEh0IWJcTHQASGlY9ohoE/g3Udj4RvoExija2faEkkwcaMnk6ad85/zf3M6RuOw"
        "uEv30sh4eZ0+IwoERHuAslnA9uUFB3zAJHNFD3CD9XgAphI0IZdD3HO00FwoiHS40ncCOLW0/Ex1ESNPAp0rtH4s1E+fK2nkg2vc"
        "6bO8mMAWURsmIUCTJOznSSULIBHpmjwQI7+jjHW/ospGLxSSMTDgk3p7wDtRojykkJplwjXjSnxzAa5yryfPIbWvBYH0ORsiDTLU"
        "GEAVjqsIxtCCvB26URPsruIElbYd2C5x1xUwFr7rgOQTuQP2AAq2NovbxbbJhXGEh8CtUVuqz6V/i8iOAs6zgEeev//6Pxv059vH"
        "++byGtpYWV99ur6/fbx5uKuXqkfH5VplSoiVUaY6wANEokik5vakz/ou98OxtfpXHNLqLgihr1oMG0jmy4nPuyhDLWQYhXoRfQFs"
        "j7h5"
    ),
]


@pytest.mark.parametrize("name,blob", REGRESSIONS, ids=[r[0] for r in REGRESSIONS])
def test_fuzzer_regressions(name, blob):
    import base64

    data = zlib.decompress(base64.b64decode(blob))
    for lim in (FUZZ_LIMITS, InputLimits()):
        loaded, pages = check(data, lim)
        assert len(pages) == 1 and any(e.code == "pdf_text_layer_unreadable" for e in loaded.errors), loaded.errors



# found by the fuzzer (900 s run): a page tree that sends pdfminer round a loop for minutes,
# first when pdfplumber reads the page, then again in pdfplumber's close()
PDFMINER_LOOP = "eNrNVU1sG0UUNjQp7YSiKhygUSUmVSOSSnhndnbXa7CC/9bEaoK3dlBQg0U39tjZsNm1dsetC0UKgrQHDnDipwIUpCJOSBwQKggJBALxo4K5IECqhKASQlzoqRckmPWuYRM3KOICc/CM3858733fe29mQs8X7sJxAiZ++fXq+wBDBJ2lFZBKASHntG0GRSAcNeseXCT8UxnI/m8VCHO0bhpZpwMXEbeICMURglj2J/51/nSLQkE3mtQD09OA2nUfVIyAl1rUztSY6dghMhQKJpuBdtuyOIB/dNY47bQZFEo2zTlWe9UOzB7EvUhCJzmDGZbTjLghmzjYjNrMg1JwRjdc/rePUKae2HZrHDIZhfS9RPCkCF7BtBh1eayWwWie1pw6BcIstZtsGSYk/5DHXGqsgs5LpPzbj2KXyAuTP7vgWPcUmUfS1wTpe4qV1r4b9h44sHbx7NkTRw5rmY8EnHhgPIWF6vghgu9NEKFaGT88cmEsttYY7fhhhKBhQPL1CCrbEHQCghj9A0Nlhwyl5HYMj3ByfIn0WGYEfbF/9vwTn115aPjxUm74+TPr6XjsYBxcGCSSiPjNmszTqZtzVhuG5dGWY/s8VJ+h5biVllHjcefpSbNGy/dlgRCExumuejCVEnSXF2SNOS7ECgzOeJD0VrxyeP5VGHHRR+dsrk94hprNZQaJGHCfW4ZYlYBQaS+xnoDFVV/BUM0HS0srtMaAsGDWfZXUTSpd+ubYLWtwz+4T96PewEiFvQW0IQhMSMQ8YSi22ZbEA/skogzYZJwYsCnkj1237ht75bLavTIHbrz08Mqp7srTV4en3n35tpnLj1XTz+HY7u/OjY4OvfjM7ftbx3elvz335BvvXfwwlm4B55FXP5DHnr1j/dqC/rs0shEDd55/fWj5k40Z0DxYPiRXdbBeuTY5Nbb389fezOiufPP3T7kfx9ff+WnIOvOCPZjmaHllDY8WeM1CLrF1kjKzZgBBs7nqpt2EXEE7Y3tm3xBR3Jca9xX3ESL1m4zWrw/OC6KAoeqXvJ9i3XVqFcrgosDcNhXmaYeFKcyGcy6ci9UIbK9n+rh/Y/AbEwYYP/xnY9vo+8XoS1BEMBFKEJCKBeOmHrnoVZ/i6drxtZH+H14b/kOS557h5Ft3i0hUMCa8M4hKxONTkYx2XNoA/J0S+43it40iy/fIsPFX8yAsb2mo7ldffrrzpsX/umm32o5ipAxcAhjL6sZWmyjJA/tI1C9zDdOibk+zivko9TUQyo7DH/ggw0W74UAcFkAxDxdTiphRM1oyjxRNQXlNymkJomWz2QTBWkLLytOpt/s7NE3h2wZ3VIPEGy7rKY9JUgQTE1qpAP4EfVuzew=="


def test_fuzzer_regression_pdfminer_loop_is_stopped_by_the_time_limit():
    import base64
    import time

    data = zlib.decompress(base64.b64decode(PDFMINER_LOOP))
    t0 = time.monotonic()
    loaded, pages = check(data, InputLimits(max_pixels=250_000, dpi=40, max_pages=4, max_seconds=2))
    assert time.monotonic() - t0 < 10
    codes = [e.code for e in loaded.errors]
    assert "time_limit" in codes and "pdf_text_layer_unreadable" in codes, loaded.errors
