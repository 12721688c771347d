"""Per-file budgets for the input stage, and a bomb scan of PDF bytes before any PDF library sees them.

`Budget` counts the time spent inside the reader (not the caller's time between pages) and the
pixels decoded so far; `scan_pdf` looks at every stream of a PDF in the raw bytes and measures how
far it inflates (zlib, LZW and RunLength, after ASCIIHex/ASCII85), without keeping the output,
so a small file that inflates to gigabytes is refused before pdfium or pdfminer inflates it.
See extract/inputs.py for what is bounded and how.
"""
from __future__ import annotations

import base64
import binascii
import re
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

MiB = 1024 * 1024


class TimeUp(Exception):
    """The per-file time budget is spent (raised inside the reader, never out of load_bytes)."""


@dataclass
class Budget:
    max_seconds: float
    max_total_pixels: int
    spent: float = 0.0
    pixels: int = 0
    _since: float | None = field(default=None, repr=False)

    @contextmanager
    def running(self) -> Iterator[None]:
        """Count the time of this block (re-entrant: nested blocks are counted once)."""
        if self._since is not None:
            yield
            return
        self._since = time.monotonic()
        try:
            yield
        finally:
            self.spent += time.monotonic() - self._since
            self._since = None

    def elapsed(self) -> float:
        return self.spent + (time.monotonic() - self._since if self._since is not None else 0.0)

    def expired(self) -> bool:
        return self.elapsed() > self.max_seconds

    def check(self) -> None:
        if self.expired():
            raise TimeUp(f"{self.elapsed():.1f} s spent reading the file, over the limit of {self.max_seconds:g} s")


@contextmanager
def interrupt_after(seconds: float) -> Iterator[None]:
    """Raise TimeUp in this thread once `seconds` have passed, even inside a library's own loop.

    For pure-Python parsers that look at no budget (pdfminer, under pdfplumber, can loop for
    minutes on a crafted object graph: found by the fuzzer). A watchdog timer sets an asynchronous
    exception on this thread (CPython's PyThreadState_SetAsyncExc, delivered between bytecodes);
    native code (pdfium, Pillow's decoders) is not interrupted and is bounded by the size limits
    instead. Leaving the block disarms the timer and clears an exception not yet delivered."""
    import ctypes
    import threading

    tid = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    state = {"armed": True, "fired": False}

    def fire() -> None:
        with lock:
            if state["armed"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(tid, ctypes.py_object(TimeUp))

    timer = threading.Timer(max(0.0, seconds), fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["armed"] = False
        timer.cancel()
        if state["fired"]:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(tid, None)


# ------------------------------------------------------------------ PDF stream scan

@dataclass
class PdfProblem:
    code: str
    message: str


class _TooBig(Exception):
    pass


class _Nested(Exception):
    pass


_WS = rb"(?:[\x00\t\n\x0c\r ]|%[^\r\n]*)*"
_STREAM = re.compile(rb">>" + _WS + rb"stream(?:\r\n|\n|\r)?")
_OBJ_HEAD = re.compile(rb"(\d{1,10})[\x00\t\n\x0c\r ]+(\d{1,5})[\x00\t\n\x0c\r ]+obj\b")
_NAME_ESC = re.compile(rb"#([0-9A-Fa-f]{2})")
_FILTER = re.compile(rb"/Filter" + _WS + rb"(\[[^\]]*\]|/[^\x00\t\n\x0c\r /\[\]<>()%{}]+)")
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r /\[\]<>()%{}]+)")
_IMAGE = re.compile(rb"/Subtype" + _WS + rb"/Image\b")
_DIM = {
    k: re.compile(rb"/" + k + rb"\b" + _WS + rb"(\d{1,20})(?:" + _WS + rb"(\d{1,5})" + _WS + rb"R)?")
    for k in (b"Width", b"Height")
}
_WINDOW = 64 * 1024  # how far back from a stream keyword its dictionary is looked for

FLATE = {b"FlateDecode", b"Fl"}
LZW = {b"LZWDecode", b"LZW"}
RUNLENGTH = {b"RunLengthDecode", b"RL"}
EXPANDING = FLATE | LZW | RUNLENGTH
ASCII = {b"ASCIIHexDecode", b"AHx", b"ASCII85Decode", b"A85"}


def _zlib_header_at(buf: memoryview, pos: int) -> bool:
    if pos + 2 > len(buf):
        return False
    b0, b1 = buf[pos], buf[pos + 1]
    return (b0 & 0x0F) == 8 and (b0 >> 4) <= 7 and ((b0 << 8) | b1) % 31 == 0


def inflate_size(buf, start: int, limit: int, budget: Budget | None = None, keep: bool = False):
    """Inflate zlib data from buf[start:] until its end, an error or `limit` bytes of output.

    Returns (size, data) where data is the output when keep=True (else b""). Raises _TooBig past the limit.
    """
    buf = memoryview(buf)
    d = zlib.decompressobj()
    pos, total, out = start, 0, []
    pending = b""
    steps = 0
    while not d.eof:
        if pending:
            chunk = pending
        else:
            if pos >= len(buf):
                break
            chunk = buf[pos : pos + 256 * 1024]
            pos += len(chunk)
        try:
            piece = d.decompress(chunk, 4 * MiB)
        except zlib.error:
            break  # pdfium keeps what inflated before an error: so do we
        pending = d.unconsumed_tail
        total += len(piece)
        if total > limit:
            raise _TooBig(total)
        if keep:
            out.append(piece)
        steps += 1
        if budget is not None and steps % 16 == 0:
            budget.check()
    return total, b"".join(out) if keep else b""


def lzw_size(buf, start: int, limit: int, early_change: int = 1, budget: Budget | None = None) -> int:
    """Length of the LZW-decoded data (PDF flavour, MSB first, 9-12 bit codes), without decoding it."""
    buf = memoryview(buf)
    lengths: list[int] = [1] * 258
    code_len, prev, total = 9, -1, 0
    bitbuf = nbits = 0
    i, n = start, len(buf)
    count = 0
    while True:
        while nbits < code_len:
            if i >= n:
                return total
            bitbuf = ((bitbuf << 8) | buf[i]) & 0xFFFFFF
            i += 1
            nbits += 8
        nbits -= code_len
        code = (bitbuf >> nbits) & ((1 << code_len) - 1)
        count += 1
        if budget is not None and count % 65536 == 0:
            budget.check()
        if code == 256:
            del lengths[258:]
            code_len, prev = 9, -1
            continue
        if code == 257:
            return total
        if code < 256 or 258 <= code < len(lengths):
            length = lengths[code]
        elif code == len(lengths) and prev >= 0:
            length = prev + 1
        else:
            return total  # corrupt: decoders stop here
        total += length
        if total > limit:
            raise _TooBig(total)
        if prev >= 0 and len(lengths) < 4096:
            lengths.append(prev + 1)
        prev = length
        if len(lengths) + early_change >= (1 << code_len) and code_len < 12:
            code_len += 1


def runlength_size(buf, start: int, limit: int, budget: Budget | None = None) -> int:
    buf = memoryview(buf)
    i, n, total = start, len(buf), 0
    count = 0
    while i < n:
        b = buf[i]
        if b == 128:
            break
        if b < 128:
            total += b + 1
            i += b + 2
        else:
            total += 257 - b
            i += 2
        if total > limit:
            raise _TooBig(total)
        count += 1
        if budget is not None and count % 65536 == 0:
            budget.check()
    return total


def _ascii_decode(name: bytes, buf: memoryview, start: int) -> bytes:
    data = bytes(buf[start:])
    if name in (b"ASCIIHexDecode", b"AHx"):
        end = data.find(b">")
        seg = re.sub(rb"[^0-9A-Fa-f]", b"", data if end < 0 else data[:end])
        if len(seg) % 2:
            seg += b"0"
        return binascii.unhexlify(seg)
    end = data.find(b"~>")
    seg = re.sub(rb"[^!-uz]", b"", data if end < 0 else data[:end])
    for cut in range(0, 5):  # decode as much as decodes, as readers do
        try:
            return base64.a85decode(seg[: len(seg) - cut] if cut else seg)
        except ValueError:
            continue
    return b""


class _ObjIndex:
    """Integers of `N G obj <int>` objects, found in the raw bytes on demand (for indirect /Width)."""

    def __init__(self, data: bytes):
        self.data = data
        self.cache: dict[tuple[int, int], int | None] = {}
        self.lookups = 0

    def get(self, num: int, gen: int) -> int | None:
        key = (num, gen)
        if key not in self.cache:
            self.lookups += 1
            if self.lookups > 64:
                return None
            m = None
            for m in re.finditer(rb"(?<![0-9])%d[\x00\t\n\x0c\r ]+%d[\x00\t\n\x0c\r ]+obj" % key + _WS + rb"(\d{1,20})\b", self.data):
                pass  # the last definition wins, as with incremental updates
            self.cache[key] = int(m.group(1)) if m else None
        return self.cache[key]


def _dim(d: bytes, key: bytes, objs: _ObjIndex) -> int | None:
    m = _DIM[key].search(d)
    if not m:
        return None
    if m.group(2) is not None:
        return objs.get(int(m.group(1)), int(m.group(2)))
    return int(m.group(1))


def scan_pdf(
    data: bytes,
    *,
    max_pixels: int,
    max_stream_bytes: int,
    max_inflated_bytes: int,
    budget: Budget | None = None,
) -> list[PdfProblem]:
    """Every stream in the raw PDF bytes: declared image size and how far its filters expand it.

    Refused (one problem is enough to refuse the file, nothing else is read):
    - an image XObject declaring more than max_pixels pixels (pdf_image_too_large);
    - an image stream inflating past 8 bytes per declared pixel (max_pixels when undeclared) or any
      other stream (page contents, forms, object streams, fonts, ...) past max_stream_bytes
      (pdf_stream_too_large);
    - the non-image streams together past max_inflated_bytes (pdf_stream_too_large).
    Best effort on purpose: streams of an encrypted PDF are not measured (ciphertext), and inline
    images in content streams are not looked at.
    """
    buf = memoryview(data)
    objs = _ObjIndex(data)
    non_image_total = 0
    for m in _STREAM.finditer(data):
        if budget is not None:
            budget.check()
        start = m.end()
        win_lo = max(0, m.start() - _WINDOW)
        window = data[win_lo : m.start() + 2]
        head = None
        for head in _OBJ_HEAD.finditer(window):
            pass
        d = window[head.start() :] if head else window[-4096:]
        where = f"object {int(head.group(1))}" if head else f"the stream at byte {start}"
        if b"#" in d:
            d = _NAME_ESC.sub(lambda x: bytes([int(x.group(1), 16)]), d)
        fm = _FILTER.search(d)
        filters = [x for x in _NAME.findall(fm.group(1))] if fm else []
        is_image = bool(_IMAGE.search(d))
        if is_image:
            w, h = _dim(d, b"Width", objs), _dim(d, b"Height", objs)
            if w is not None and h is not None and w * h > max_pixels:
                return [
                    PdfProblem(
                        "pdf_image_too_large",
                        f"{where}: an embedded image of {w}x{h} pixels is over the limit of {max_pixels} "
                        "(possible decompression bomb)",
                    )
                ]
            limit = max(w * h * 8, MiB) if w is not None and h is not None else max_pixels * 8
        else:
            limit = max_stream_bytes
        early = 0 if re.search(rb"/EarlyChange" + _WS + rb"0\b", d) else 1
        try:
            size = _measure(buf, start, filters, limit, max_stream_bytes, early, budget)
        except _Nested as exc:
            return [PdfProblem("pdf_stream_too_large", f"{where}: nested compression ({exc}) is not accepted")]
        except _TooBig as exc:
            what = "an image stream" if is_image else "a stream"
            return [
                PdfProblem(
                    "pdf_stream_too_large",
                    f"{where}: {what} inflates to more than {limit} bytes ({int(exc.args[0])} so far; "
                    "possible decompression bomb)",
                )
            ]
        if not is_image:
            non_image_total += size
            if non_image_total > max_inflated_bytes:
                return [
                    PdfProblem(
                        "pdf_stream_too_large",
                        f"the streams of the PDF inflate to more than {max_inflated_bytes} bytes in all "
                        "(possible decompression bomb)",
                    )
                ]
    return []


def _measure(buf: memoryview, start: int, filters: list[bytes], limit: int, keep_limit: int, early: int, budget) -> int:
    """Decoded size of one stream: ASCII filters decoded, the last expanding filter only counted."""
    if not filters:
        # undeclared or indirect /Filter: measure it if it is zlib data anyway
        for s in (start, start + 1):
            if _zlib_header_at(buf, s):
                return inflate_size(buf, s, limit, budget)[0]
        return 0
    expanding = [i for i, f in enumerate(filters) if f in EXPANDING]
    cur, pos, size = buf, start, len(buf) - start
    for i, f in enumerate(filters):
        if f in ASCII:
            try:
                cur, pos = memoryview(_ascii_decode(f, cur, pos)), 0
            except (ValueError, binascii.Error):
                return 0
            size = len(cur)
            continue
        if f not in EXPANDING:
            break  # an image codec (DCT, JPX, JBIG2, CCITT) or Crypt: sizes are checked on the image
        last = i == expanding[-1]
        if f in FLATE:
            s = next((s for s in (pos, pos + 1) if _zlib_header_at(cur, s)), None)
            if s is None:
                return 0
            if last:
                return inflate_size(cur, s, limit, budget)[0]
            size, out = inflate_size(cur, s, min(limit, keep_limit), budget, keep=True)
            cur, pos = memoryview(out), 0
        elif not last:
            # LZW or RunLength before another expanding filter: never seen in real files
            raise _Nested(b" then ".join(filters).decode("latin-1"))
        elif f in LZW:
            return lzw_size(cur, pos, limit, early, budget)
        else:
            return runlength_size(cur, pos, limit, budget)
    return size
