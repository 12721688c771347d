"""Uploads on disk, content-addressed by the sha256 of their plaintext: `<data_dir>/blobs/ab/cdef….bin`.

Each file is encrypted (api/crypto.py: AES-256-GCM under the ring's current key, bound to
`blob:<sha256>`, so a file copied under another address does not decrypt). A file is written to a
temporary name, fsync'ed and renamed, so a blob that exists is whole; the same bytes uploaded
twice (by any tenant) are stored once.

Files written before encryption (plaintext) are still read: their sha256 must match their address.
`matex keys rotate` re-encrypts them, and files under older keys, under the current key.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from api import crypto

if TYPE_CHECKING:
    from api.settings import Settings


class BlobCorrupt(crypto.CryptoError):
    pass


def context(sha256: str) -> bytes:
    return f"blob:{sha256}".encode("ascii")


class BlobStore:
    def __init__(self, root: str | Path, keyring: crypto.KeyRing | None = None):
        """`keyring` None: the ring of the data dir above `root` (`crypto.ring_for_dir`)."""
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.keyring = keyring if keyring is not None else crypto.ring_for_dir(self.root.parent)

    @classmethod
    def for_settings(cls, settings: "Settings") -> "BlobStore":
        return cls(settings.blob_dir, crypto.keyring_for(settings))

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256")
        return self.root / sha256[:2] / f"{sha256[2:]}.bin"

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        p = self.path(sha)
        if p.exists():
            try:  # in use again: `matex purge` leaves blobs touched within its grace period alone
                os.utime(p)
            except OSError:
                pass
            return sha
        blob = self.keyring.encrypt(data, context(sha)) if self.keyring.encrypting else data
        crypto.write_atomic(p, blob, prefix=".up-")
        return sha

    def get(self, sha256: str) -> bytes:
        return self.open(self.path(sha256).read_bytes(), sha256)

    def open(self, raw: bytes, sha256: str) -> bytes:
        """The plaintext of a stored file (an envelope, or a plaintext file from before encryption)."""
        if crypto.is_envelope(raw):
            try:
                return self.keyring.decrypt(raw, context(sha256), what=f"upload {sha256[:12]}")
            except crypto.CryptoError:
                if hashlib.sha256(raw).hexdigest() == sha256:  # a plaintext upload that starts like one
                    return raw
                raise
        if hashlib.sha256(raw).hexdigest() != sha256:
            raise BlobCorrupt(f"upload {sha256[:12]} is damaged: its content does not match its sha256")
        return raw

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def key_id(self, sha256: str) -> str | None:
        """The key id the stored file is encrypted with; None: plaintext."""
        return crypto.key_id(crypto.read_head(self.path(sha256)))

    def delete(self, sha256: str) -> bool:
        try:
            self.path(sha256).unlink()
            return True
        except FileNotFoundError:
            return False

    def shas(self) -> Iterator[str]:
        for sub in sorted(self.root.iterdir()) if self.root.exists() else []:
            if not sub.is_dir() or len(sub.name) != 2:
                continue
            for f in sorted(sub.iterdir()):
                if f.suffix == ".bin" and not f.name.startswith("."):
                    sha = sub.name + f.stem
                    if len(sha) == 64:
                        yield sha

    def writable(self) -> bool:
        try:
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".probe-")
            os.close(fd)
            os.unlink(tmp)
            return True
        except OSError:
            return False


# ------------------------------------------------------------------ rotation
@dataclass
class RotateReport:
    scanned: int = 0
    current: int = 0  # already under the current key
    reencrypted: int = 0  # were under an older key of the ring
    encrypted: int = 0  # were plaintext
    temp_removed: int = 0  # leftovers of interrupted writes
    dropped: int = 0  # cache files that did not decrypt: removed (rendered again when viewed)
    failed: list[str] = field(default_factory=list)  # "path: reason"
    by_key: dict[str, int] = field(default_factory=dict)  # before: files per key id ("plaintext")

    def add(self, other: "RotateReport") -> None:
        for k in ("scanned", "current", "reencrypted", "encrypted", "temp_removed", "dropped"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.failed += other.failed
        for k, n in other.by_key.items():
            self.by_key[k] = self.by_key.get(k, 0) + n


TEMP_PREFIXES = (".up-", ".pg-", ".rot-", ".tmp-")
TEMP_MIN_AGE_S = 3600.0  # a temporary file younger than this may be a write in progress


def _remove_stale_temp(f: Path, rep: RotateReport, dry_run: bool, now: float) -> bool:
    if not f.name.startswith(TEMP_PREFIXES):
        return False
    try:
        if now - f.stat().st_mtime > TEMP_MIN_AGE_S:
            if not dry_run:
                f.unlink()
            rep.temp_removed += 1
    except OSError:
        pass
    return True


def rotate_blobs(store: BlobStore, dry_run: bool = False) -> RotateReport:
    """Re-encrypt every upload under the ring's current key (idempotent: files already under it are
    only looked at; resumable: run again after an interruption; atomic per file)."""
    import time

    rep = RotateReport()
    now = time.time()
    for sub in sorted(store.root.iterdir()) if store.root.exists() else []:
        if not sub.is_dir():
            continue
        for f in sorted(sub.iterdir()):
            if _remove_stale_temp(f, rep, dry_run, now) or f.suffix != ".bin":
                continue
            sha = sub.name + f.stem
            rep.scanned += 1
            try:
                kid = crypto.key_id(crypto.read_head(f)) or "plaintext"
                rep.by_key[kid] = rep.by_key.get(kid, 0) + 1
                if kid == "plaintext":
                    store.open(f.read_bytes(), sha)  # a damaged plaintext file is not blessed with a key
                status = crypto.rewrap(f, context(sha), store.keyring, dry_run=dry_run)
            except (OSError, crypto.CryptoError) as exc:
                rep.failed.append(f"{f}: {exc}")
                continue
            setattr(rep, status, getattr(rep, status) + 1)
    return rep


def verify_blobs(store: BlobStore) -> RotateReport:
    """Decrypt every upload (and check plaintext ones against their sha256); nothing is written."""
    rep = RotateReport()
    for sha in store.shas():
        rep.scanned += 1
        f = store.path(sha)
        try:
            kid = crypto.key_id(crypto.read_head(f)) or "plaintext"
            rep.by_key[kid] = rep.by_key.get(kid, 0) + 1
            if hashlib.sha256(store.get(sha)).hexdigest() != sha:
                raise BlobCorrupt("content does not match its sha256")
            if store.keyring.current is not None and kid == store.keyring.current.kid:
                rep.current += 1
        except (OSError, crypto.CryptoError) as exc:
            rep.failed.append(f"{f}: {exc}")
    return rep


def remove_tree(path: Path) -> int:
    """Remove a folder; the number of files it held."""
    if not path.exists():
        return 0
    n = sum(1 for p in path.rglob("*") if p.is_file())
    shutil.rmtree(path, ignore_errors=True)
    return n
