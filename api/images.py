"""Page images and field crops for review, rendered from the stored upload.

Pages are decoded exactly as the pipeline decodes them (`extract.inputs.load_bytes`, PDFs at the
same DPI), so the result's bboxes are pixels of these images. Rendered pages are cached as JPEG
under `<data_dir>/cache/<sha256>/` (never served across tenants: the caller checks access first).
"""
from __future__ import annotations

import io
import os
import tempfile
import threading
from pathlib import Path

from PIL import Image

_LOCK = threading.Lock()


class PageNotFound(Exception):
    pass


def _cache_path(cache_dir: Path, sha: str, page: int, scale: str) -> Path:
    return cache_dir / sha[:2] / sha / f"p{page}-{scale}.jpg"


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pg-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def render_page(data: bytes, page: int, max_pixels: int = 60_000_000) -> Image.Image:
    from extract.inputs import InputLimits, load_bytes

    loaded = load_bytes(data, InputLimits(max_bytes=max(len(data), 1), max_pixels=max_pixels))
    if page < 1 or page > loaded.page_count:
        raise PageNotFound(page)
    for p in loaded.pages():
        if p.number == page:
            return Image.fromarray(p.image[:, :, ::-1])  # BGR -> RGB
        if p.number > page:
            break
    raise PageNotFound(page)


def page_jpeg(data: bytes, sha: str, page: int, cache_dir: Path, max_pixels: int = 60_000_000,
              max_side: int | None = None) -> bytes:
    scale = f"s{max_side}" if max_side else "full"
    path = _cache_path(cache_dir, sha, page, scale)
    if path.exists():
        return path.read_bytes()
    with _LOCK:
        if path.exists():
            return path.read_bytes()
        im = render_page(data, page, max_pixels)
        if max_side and max(im.size) > max_side:
            im.thumbnail((max_side, max_side))
        buf = io.BytesIO()
        im.convert("RGB").save(buf, format="JPEG", quality=88)
        out = buf.getvalue()
        _write_atomic(path, out)
        return out


def crop_jpeg(data: bytes, sha: str, page: int, bbox: list[float], cache_dir: Path, pad: float = 0.15,
              max_pixels: int = 60_000_000) -> bytes:
    full = Image.open(io.BytesIO(page_jpeg(data, sha, page, cache_dir, max_pixels)))
    x0, y0, x1, y1 = (float(v) for v in bbox)
    px = (x1 - x0) * pad + 4
    py = (y1 - y0) * pad + 4
    box = (max(0, int(x0 - px)), max(0, int(y0 - py)), min(full.width, int(x1 + px) + 1), min(full.height, int(y1 + py) + 1))
    if box[2] <= box[0] or box[3] <= box[1]:
        raise PageNotFound("empty crop")
    buf = io.BytesIO()
    full.crop(box).convert("RGB").save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def page_size(data: bytes, sha: str, page: int, cache_dir: Path, max_pixels: int = 60_000_000) -> tuple[int, int]:
    im = Image.open(io.BytesIO(page_jpeg(data, sha, page, cache_dir, max_pixels)))
    return im.size
