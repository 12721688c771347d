"""The input stage on every format, recognised by content, and on bad input."""
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from extract.inputs import InputLimits, load_bytes, sniff
from tests.helpers import encode, text_image, text_pdf


@pytest.mark.parametrize("fmt,kind", [("JPEG", "jpeg"), ("PNG", "png"), ("BMP", "bmp"), ("WEBP", "webp"), ("TIFF", "tiff")])
def test_image_formats_by_content(fmt, kind):
    img = text_image()
    data = encode(img, fmt)
    assert sniff(data) == kind
    loaded = load_bytes(data)
    pages = list(loaded.pages())
    assert loaded.errors == []
    assert len(pages) == 1
    assert pages[0].image.shape == (560, 1000, 3)
    assert pages[0].image.dtype == np.uint8
    # the text is there: dark pixels where we drew it
    assert (pages[0].image < 100).any()


def test_multipage_tiff():
    ims = [text_image(), text_image(size=(800, 400)), text_image(size=(600, 600))]
    import io

    buf = io.BytesIO()
    ims[0].save(buf, format="TIFF", save_all=True, append_images=ims[1:])
    loaded = load_bytes(buf.getvalue())
    pages = list(loaded.pages())
    assert loaded.kind == "tiff" and loaded.page_count == 3
    assert [p.image.shape[:2] for p in pages] == [(560, 1000), (400, 800), (600, 600)]


def test_greyscale_rgba_and_16bit_images_become_bgr():
    for im in (Image.new("L", (50, 40), 128), Image.new("RGBA", (50, 40), (255, 0, 0, 128)), Image.new("I;16", (50, 40), 3000)):
        pages = list(load_bytes(encode(im, "PNG")).pages())
        assert pages[0].image.shape == (40, 50, 3)


def test_pdf_text_layer_is_read_without_ocr_and_mixed_pages_are_rendered():
    data = text_pdf(pages=[["诊断证明书", "姓名 王小明", "诊断 高血压病3级"]], image_pages=[text_image()])
    loaded = load_bytes(data, InputLimits(dpi=150))
    pages = list(loaded.pages())
    assert loaded.kind == "pdf" and len(pages) == 2
    p1, p2 = pages
    assert p1.origin == "pdf_text" and p1.text_lines is not None
    texts = [l.text for l in p1.text_lines]
    assert "诊断证明书" in texts and any("王小明" in t for t in texts)
    # boxes are pixels at the render DPI: the first line sits near (60pt, 80pt) * 150/72
    first = next(l for l in p1.text_lines if l.text == "诊断证明书")
    assert abs(first.bbox[0] - 60 * 150 / 72) < 6
    assert p1.image.shape[1] == pytest.approx(595 * 150 / 72, abs=3)
    assert p2.origin == "pdf_render" and p2.text_lines is None


@pytest.mark.parametrize(
    "data,code",
    [
        (b"", "empty_file"),
        (b"hello, this is a text file\n" * 10, "unsupported_format"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 30, "corrupt"),
        (b"%PDF-1.7\n1 0 obj garbage", "corrupt_pdf"),
    ],
)
def test_bad_input_gives_itemised_errors(data, code):
    loaded = load_bytes(data)
    pages = list(loaded.pages())
    assert pages == []
    assert any(e.code.startswith(code) for e in loaded.errors), loaded.errors


def test_truncated_jpeg():
    data = encode(text_image(), "JPEG")
    loaded = load_bytes(data[: len(data) // 2])
    assert list(loaded.pages()) == []
    assert loaded.errors and loaded.errors[0].code in ("corrupt_image", "corrupt_file")


def test_password_protected_pdf():
    data = text_pdf(pages=[["秘密"]], password="secret")
    loaded = load_bytes(data)
    assert list(loaded.pages()) == []
    assert loaded.errors[0].code == "pdf_encrypted"


def _png_header_only(w, h):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding():
    loaded = load_bytes(_png_header_only(100_000, 100_000))
    assert list(loaded.pages()) == []
    assert loaded.errors[0].code == "image_too_large"
    assert "decompression bomb" in loaded.errors[0].message


def test_pdf_with_too_many_pages_is_capped_and_lazy():
    data = text_pdf(blank_pages=40)
    loaded = load_bytes(data, InputLimits(max_pages=25, dpi=36))
    assert loaded.page_count == 25
    assert any(e.code == "too_many_pages" for e in loaded.errors)
    it = loaded.pages()
    first = next(it)  # pages come one at a time
    assert first.number == 1
    assert sum(1 for _ in it) == 24


def test_oversize_file_refused():
    loaded = load_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 2000, InputLimits(max_bytes=1000))
    assert loaded.errors[0].code == "file_too_large"
