"""Inputs of a batch, streamed: folders (walked lazily, sorted), zip archives (member by member)
and single files (a multi-page PDF or TIFF is one input; the pipeline reads its pages lazily).

Every input gets a stable *key*, the same whatever the working directory of the run:

    INPUT is a folder  /mnt/scans/2019      ->  2019/box3/scan_0001.pdf
    INPUT is a file    /mnt/more/x.tif      ->  x.tif
    a zip member                            ->  2019/box3/batch.zip!sub/scan_0002.jpg

The key is the input's identity in the manifest and the `source` of its result line. Two
INPUTs with the same last name (a/scans and b/scans) would give colliding keys: refused.

Archives are recognised by content (the zip signature), like every other format. A zip's
central directory (names and sizes) is read; member bytes are read one member at a time, only
when the coordinator takes that member. Problems found here (a corrupt or encrypted archive, a
nested archive, an oversized member) come as items carrying an `error`: they are recorded as bad
inputs without going to a worker.
"""
from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
SKIP_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


class InputError(ValueError):
    """The command line names inputs that cannot form a batch (missing, colliding names)."""


@dataclass
class Item:
    key: str
    path: str  # absolute path on disk (the archive, for a member)
    member: str | None = None
    size: int = 0
    error: tuple[str, str] | None = None  # (code, message): a bad input found while listing
    _reader: Callable[[], bytes] | None = None

    def read(self) -> bytes:
        """The input's bytes. For a zip member: call it before taking the next item."""
        if self._reader is not None:
            return self._reader()
        with open(self.path, "rb") as fh:
            return fh.read()

    @property
    def is_member(self) -> bool:
        return self.member is not None


@dataclass
class Root:
    path: Path
    name: str
    is_dir: bool


def plan_roots(inputs: list[str]) -> list[Root]:
    roots: list[Root] = []
    seen: dict[str, str] = {}
    for raw in inputs:
        p = Path(raw).expanduser()
        if not p.exists():
            raise InputError(f"{raw}: no such file or folder")
        p = p.resolve()
        name = p.name or str(p).strip("/").replace("/", "_") or "root"
        if name in seen:
            if seen[name] == str(p):
                continue  # the same input twice: once is enough
            raise InputError(
                f"{raw} and {seen[name]} have the same name {name!r}: their keys would collide; "
                "run them as separate batches or rename one"
            )
        seen[name] = str(p)
        roots.append(Root(p, name, p.is_dir()))
    return roots


def _is_zip(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) in ZIP_MAGIC
    except OSError:
        return False


def _walk(root: Path, exclude: set[str], _top: Path | None = None) -> Iterator[tuple[str, str]]:
    """(absolute path, path relative to the root) of every regular file, depth-first in name
    order (as `find | sort` would list them), lazily: one directory listing at a time."""
    top = _top or root
    try:
        with os.scandir(root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    for e in entries:
        if e.name.startswith(".") or e.name in SKIP_NAMES:
            continue
        try:
            if e.is_dir(follow_symlinks=False):
                if os.path.realpath(e.path) not in exclude:
                    yield from _walk(Path(e.path), exclude, top)
                continue
            if not e.is_file(follow_symlinks=True):
                continue
        except OSError:
            continue
        yield e.path, os.path.relpath(e.path, top).replace(os.sep, "/")


def _skip_member(name: str) -> bool:
    parts = name.split("/")
    return name.endswith("/") or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts) or parts[-1] in SKIP_NAMES


def _zip_items(path: str, key: str, max_bytes: int) -> Iterator[Item]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        yield Item(key, path, size=_size(path), error=("corrupt_archive", f"the zip archive cannot be opened: {exc}"))
        return
    with zf:
        names: dict[str, int] = {}
        for info in zf.infolist():
            if info.is_dir() or _skip_member(info.filename):
                continue
            n = names.get(info.filename, 0) + 1
            names[info.filename] = n
            mkey = f"{key}!{info.filename}" + (f"#{n}" if n > 1 else "")
            if info.flag_bits & 0x1:
                yield Item(mkey, path, info.filename, info.file_size,
                           error=("archive_member_encrypted", "the zip member is password-protected"))
                continue
            if info.file_size > max_bytes:
                yield Item(mkey, path, info.filename, info.file_size,
                           error=("file_too_large", f"{info.file_size} bytes is over the limit of {max_bytes} bytes"))
                continue

            def reader(info=info) -> bytes:
                return zf.read(info)

            yield Item(mkey, path, info.filename, info.file_size, _reader=reader)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def iter_items(roots: list[Root], exclude: list[str] | None = None, max_bytes: int = 200 * 1024 * 1024) -> Iterator[Item]:
    """Every input of the batch, in a stable order, one at a time."""
    excl = {os.path.realpath(e) for e in exclude or []}
    for root in roots:
        files = _walk(root.path, excl) if root.is_dir else iter([(str(root.path), None)])
        for path, rel in files:
            key = root.name if rel is None else f"{root.name}/{rel}"
            try:
                st = os.stat(path)
            except OSError as exc:
                yield Item(key, path, error=("file_unreadable", f"{exc.strerror or exc}"))
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            if st.st_size and _is_zip(path):
                yield from _zip_items(path, key, max_bytes)
                continue
            if st.st_size > max_bytes:
                yield Item(key, path, size=st.st_size,
                           error=("file_too_large", f"{st.st_size} bytes is over the limit of {max_bytes} bytes"))
                continue
            yield Item(key, path, size=st.st_size)


def count_items(roots: list[Root], exclude: list[str] | None = None) -> int:
    """How many inputs `iter_items` will give (for the progress bar); reads no member bytes."""
    return sum(1 for _ in iter_items(roots, exclude))
