"""Page images and field crops for review, rendered from the stored upload.

Pages are decoded exactly as the pipeline decodes them (`extract.inputs.load_bytes`, PDFs at the
same DPI), so the result's bboxes are pixels of these images. Rendered pages are cached as JPEG
under `<data_dir>/cache/ab/<sha256>/` (never served across tenants: the caller checks access first),
encrypted like the uploads (api/crypto.py, bound to `cache:<path under cache/>`) with the key ring
of the data dir (`keyring=None`: `crypto.ring_for_dir(cache_dir.parent)`, the ring the service
registered for its settings). A cached file that does not decrypt (a key dropped from the ring, a
damaged file) is rendered again from the upload and replaced; plaintext files from before
encryption are read as they are until `matex keys rotate` encrypts them.
"""
from __future__ import annotations

import io
import logging
import threading
import time
from pathlib import Path

from PIL import Image

from api import crypto

_LOCK = threading.Lock()
log = logging.getLogger("matex.api.images")


class PageNotFound(Exception):
    pass


def _cache_path(cache_dir: Path, sha: str, page: int, scale: str) -> Path:
    return cache_dir / sha[:2] / sha / f"p{page}-{scale}.jpg"


def cache_context(cache_dir: Path, path: Path) -> bytes:
    return ("cache:" + path.relative_to(cache_dir).as_posix()).encode("utf-8")


def _ring(cache_dir: Path, keyring: crypto.KeyRing | None) -> crypto.KeyRing:
    return keyring if keyring is not None else crypto.ring_for_dir(Path(cache_dir).parent)


def _read_cached(cache_dir: Path, path: Path, ring: crypto.KeyRing) -> bytes | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    if not crypto.is_envelope(raw):
        return raw  # from before encryption
    try:
        return ring.decrypt(raw, cache_context(cache_dir, path), what="a cached page image")
    except crypto.CryptoError as exc:
        log.warning("cached page image %s unreadable, rendering it again: %s", path.name, exc)
        return None


def _write_cached(cache_dir: Path, path: Path, data: bytes, ring: crypto.KeyRing) -> None:
    blob = ring.encrypt(data, cache_context(cache_dir, path)) if ring.encrypting else data
    crypto.write_atomic(path, blob, prefix=".pg-", durable=False)  # a cache: lost is re-rendered


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
              max_side: int | None = None, keyring: crypto.KeyRing | None = None) -> bytes:
    cache_dir = Path(cache_dir)
    ring = _ring(cache_dir, keyring)
    scale = f"s{max_side}" if max_side else "full"
    path = _cache_path(cache_dir, sha, page, scale)
    out = _read_cached(cache_dir, path, ring)
    if out is not None:
        return out
    with _LOCK:
        out = _read_cached(cache_dir, path, ring)
        if out is not None:
            return out
        im = render_page(data, page, max_pixels)
        if max_side and max(im.size) > max_side:
            im.thumbnail((max_side, max_side))
        buf = io.BytesIO()
        im.convert("RGB").save(buf, format="JPEG", quality=88)
        out = buf.getvalue()
        _write_cached(cache_dir, path, out, ring)
        return out


def crop_jpeg(data: bytes, sha: str, page: int, bbox: list[float], cache_dir: Path, pad: float = 0.15,
              max_pixels: int = 60_000_000, keyring: crypto.KeyRing | None = None) -> bytes:
    full = Image.open(io.BytesIO(page_jpeg(data, sha, page, cache_dir, max_pixels, keyring=keyring)))
    x0, y0, x1, y1 = (float(v) for v in bbox)
    px = (x1 - x0) * pad + 4
    py = (y1 - y0) * pad + 4
    box = (max(0, int(x0 - px)), max(0, int(y0 - py)), min(full.width, int(x1 + px) + 1), min(full.height, int(y1 + py) + 1))
    if box[2] <= box[0] or box[3] <= box[1]:
        raise PageNotFound("empty crop")
    buf = io.BytesIO()
    full.crop(box).convert("RGB").save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def page_size(data: bytes, sha: str, page: int, cache_dir: Path, max_pixels: int = 60_000_000,
              keyring: crypto.KeyRing | None = None) -> tuple[int, int]:
    im = Image.open(io.BytesIO(page_jpeg(data, sha, page, cache_dir, max_pixels, keyring=keyring)))
    return im.size


# ------------------------------------------------------------------ maintenance
def sha_dir(cache_dir: Path, sha: str) -> Path:
    """The folder of every cached image of one upload."""
    return Path(cache_dir) / sha[:2] / sha


def rotate_cache(cache_dir: Path, keyring: crypto.KeyRing, dry_run: bool = False):
    """Re-encrypt every cached image under the ring's current key (idempotent, resumable, atomic
    per file). A file that does not decrypt is removed (it is rendered again when next viewed)."""
    from api.blobs import RotateReport, _remove_stale_temp

    cache_dir = Path(cache_dir)
    rep = RotateReport()
    now = time.time()
    if not cache_dir.exists():
        return rep
    for f in sorted(p for p in cache_dir.rglob("*") if p.is_file()):
        if _remove_stale_temp(f, rep, dry_run, now) or f.suffix != ".jpg":
            continue
        rep.scanned += 1
        try:
            kid = crypto.key_id(crypto.read_head(f)) or "plaintext"
            rep.by_key[kid] = rep.by_key.get(kid, 0) + 1
            status = crypto.rewrap(f, cache_context(cache_dir, f), keyring, dry_run=dry_run)
        except crypto.CryptoError as exc:
            log.warning("cached image %s does not decrypt (%s): removed, rendered again when viewed", f, exc)
            rep.dropped += 1
            if not dry_run:
                f.unlink(missing_ok=True)
            continue
        except OSError as exc:
            rep.failed.append(f"{f}: {exc}")
            continue
        setattr(rep, status, getattr(rep, status) + 1)
    return rep
