"""Encryption of personal data at rest: uploads (api/blobs.py) and cached page images (api/images.py).

AES-256-GCM (`cryptography`'s AESGCM) under the first key of a key ring; the other keys of the
ring only decrypt (files written before the last rotation). Each file is one envelope:

    offset  size  content
    0       4     magic  b"\\x89MXE"   (no image/PDF format starts so; \\x89 like PNG's)
    4       1     format version (1)
    5       1     n = length of the key id (1..32)
    6       n     key id, ASCII [A-Za-z0-9._-]
    6+n     12    nonce, random per file (os.urandom)
    18+n    ...   ciphertext, then the 16-byte GCM tag

The associated data is the header (bytes 0..6+n) plus the file's identity: `blob:<sha256>` for
an upload (its plaintext sha256, the content address), `cache:<path under cache/>` for a page
image. A file moved or copied under another name, a changed key id, a flipped bit: all fail to
decrypt (`DecryptionFailed`), and nothing is returned. A file encrypted under a key that is not
in the ring raises `UnknownKey`, naming the key id.

Keys are 32 random bytes, configured as `kid:base64` (`matex keys generate` prints one); see
api/settings.py for where the ring comes from and `keyring_for(settings)`.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import re
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

if TYPE_CHECKING:
    from api.settings import Settings

log = logging.getLogger("matex.crypto")

MAGIC = b"\x89MXE"
VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
_KID = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
AUTO_KEY_FILE = "data.key"


class CryptoError(ValueError):
    """A file cannot be decrypted, or the key configuration is wrong."""


class KeyConfigError(CryptoError):
    """The key ring cannot be built from the configuration (the service does not start)."""


class UnknownKey(CryptoError):
    def __init__(self, kid: str, ring: "KeyRing", what: str = "the file"):
        have = ", ".join(k.kid for k in ring.keys) or "none"
        super().__init__(f"{what} is encrypted with data key {kid!r}, which is not in the key ring (have: {have}); "
                         f"add that key to MATEX_DATA_KEYS (decrypt-only, after the current one) to read it")
        self.kid = kid


class DecryptionFailed(CryptoError):
    def __init__(self, kid: str, what: str = "the file"):
        super().__init__(f"{what} does not decrypt under data key {kid!r}: it was modified or moved under another "
                         f"name, or the key configured as {kid!r} is not the key it was encrypted with")
        self.kid = kid


class NotEncrypted(CryptoError):
    pass


# ------------------------------------------------------------------ keys
@dataclass(frozen=True)
class Key:
    kid: str
    material: bytes = b""

    def __repr__(self) -> str:  # never print key material
        return f"Key({self.kid!r})"


def generate_key(kid: str | None = None) -> str:
    """A new key as `kid:base64` (kid: `k` + the date + 4 random hex digits unless given)."""
    import datetime as _dt

    kid = kid or f"k{_dt.date.today():%Y%m%d}-{os.urandom(2).hex()}"
    if not _KID.match(kid):
        raise KeyConfigError(f"a key id is 1 to 32 characters out of A-Z a-z 0-9 . _ - (got {kid!r})")
    return f"{kid}:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}"


def _fingerprint_kid(material: bytes) -> str:
    return "k" + hashlib.sha256(b"matex-kid:" + material).hexdigest()[:8]


def parse_keys(spec: str, origin: str = "MATEX_DATA_KEYS") -> list[Key]:
    """`kid:base64` entries separated by commas or newlines (`#` starts a comment); an entry
    without `kid:` gets an id derived from the key (a fingerprint, not the key)."""
    keys: list[Key] = []
    entries = [e.strip() for line in spec.splitlines() for e in line.split("#", 1)[0].split(",")]
    for i, entry in enumerate(e for e in entries if e):
        kid, sep, b64 = entry.partition(":")
        if not sep:
            kid, b64 = "", entry
        kid, b64 = kid.strip(), b64.strip()
        try:
            material = base64.b64decode(b64 + "=" * (-len(b64) % 4), altchars=b"-_" if ("-" in b64 or "_" in b64) else None,
                                        validate=True)
        except (binascii.Error, ValueError):
            raise KeyConfigError(f"{origin}: entry {i + 1} ({kid or 'no id'}) is not base64") from None
        if len(material) != KEY_BYTES:
            raise KeyConfigError(f"{origin}: entry {i + 1} ({kid or 'no id'}) is {len(material)} bytes; a data key is "
                                 f"{KEY_BYTES} random bytes (`matex keys generate`)")
        kid = kid or _fingerprint_kid(material)
        if not _KID.match(kid):
            raise KeyConfigError(f"{origin}: entry {i + 1}: a key id is 1 to 32 characters out of A-Z a-z 0-9 . _ -")
        keys.append(Key(kid, material))
    return keys


class KeyRing:
    """Keys by id; the first one (`current`) encrypts. Empty ring: plaintext (reads of envelopes fail)."""

    def __init__(self, keys: list[Key], source: str = ""):
        seen: dict[str, Key] = {}
        for k in keys:
            if k.kid in seen:
                if seen[k.kid].material != k.material:
                    raise KeyConfigError(f"key id {k.kid!r} is given twice with different keys")
                continue
            seen[k.kid] = k
        self.keys = list(seen.values())
        self._by_id = seen
        self._aead = {k.kid: AESGCM(k.material) for k in self.keys}
        self.source = source

    def __repr__(self) -> str:
        return f"KeyRing({[k.kid for k in self.keys]}, source={self.source!r})"

    @property
    def current(self) -> Key | None:
        return self.keys[0] if self.keys else None

    @property
    def encrypting(self) -> bool:
        return bool(self.keys)

    def encrypt(self, plaintext: bytes, context: bytes) -> bytes:
        """An envelope of `plaintext` under the current key, bound to `context` (the file's identity)."""
        if not self.keys:
            raise KeyConfigError("no data key configured: cannot encrypt")
        return encrypt(self.keys[0], self._aead[self.keys[0].kid], plaintext, context)

    def decrypt(self, blob: bytes, context: bytes, what: str = "the file") -> bytes:
        kid, header, nonce, ct = parse(blob)
        aead = self._aead.get(kid)
        if aead is None:
            raise UnknownKey(kid, self, what)
        try:
            return aead.decrypt(nonce, ct, header + b"\x00" + context)
        except InvalidTag:
            raise DecryptionFailed(kid, what) from None

    def is_current(self, blob_head: bytes) -> bool:
        kid = key_id(blob_head)
        return kid is not None and self.current is not None and kid == self.current.kid


def encrypt(key: Key, aead: AESGCM | None, plaintext: bytes, context: bytes) -> bytes:
    kid = key.kid.encode("ascii")
    header = MAGIC + bytes([VERSION, len(kid)]) + kid
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + (aead or AESGCM(key.material)).encrypt(nonce, plaintext, header + b"\x00" + context)


def is_envelope(blob: bytes) -> bool:
    return blob[:4] == MAGIC


def header_len(kid_len: int) -> int:
    return 6 + kid_len


def overhead(kid: str) -> int:
    return header_len(len(kid)) + NONCE_BYTES + TAG_BYTES


def key_id(blob_head: bytes) -> str | None:
    """The key id of an envelope from its first bytes (38 are always enough); None: not one."""
    if blob_head[:4] != MAGIC or len(blob_head) < 6:
        return None
    n = blob_head[5]
    kid = blob_head[6:6 + n]
    if len(kid) != n:
        return None
    try:
        return kid.decode("ascii")
    except UnicodeDecodeError:
        return None


def parse(blob: bytes) -> tuple[str, bytes, bytes, bytes]:
    """(key id, header, nonce, ciphertext+tag); NotEncrypted / CryptoError when not a valid envelope."""
    if blob[:4] != MAGIC:
        raise NotEncrypted("not an encrypted file")
    if len(blob) < 6:
        raise CryptoError("truncated envelope")
    if blob[4] != VERSION:
        raise CryptoError(f"envelope format version {blob[4]} is not known (this matex reads version {VERSION})")
    n = blob[5]
    h = header_len(n)
    if n == 0 or len(blob) < h + NONCE_BYTES + TAG_BYTES:
        raise CryptoError("truncated envelope")
    try:
        kid = blob[6:h].decode("ascii")
    except UnicodeDecodeError:
        raise CryptoError("damaged envelope (key id)") from None
    return kid, blob[:h], blob[h:h + NONCE_BYTES], blob[h + NONCE_BYTES:]


def read_head(path: Path, n: int = 40) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


# ------------------------------------------------------------------ files
def write_atomic(path: Path, data: bytes, prefix: str = ".tmp-", durable: bool = True) -> None:
    """Write to a temporary name in the same folder, fsync, rename: the file is old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        try:
            dfd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass


def rewrap(path: Path, context: bytes, ring: KeyRing, dry_run: bool = False) -> str:
    """Re-encrypt one file under the current key: 'current' (already), 'reencrypted' (was under
    another key of the ring), 'encrypted' (was plaintext). Atomic; raises CryptoError when the
    file cannot be decrypted (unknown key, tampered). `verify` of plaintext is the caller's."""
    if ring.current is None:
        raise KeyConfigError("no current data key: configure MATEX_DATA_KEYS first")
    if ring.is_current(read_head(path)):
        return "current"
    raw = path.read_bytes()
    if is_envelope(raw):
        if ring.is_current(raw):  # written meanwhile
            return "current"
        plain, status = ring.decrypt(raw, context, what=str(path.name)), "reencrypted"
    else:
        plain, status = raw, "encrypted"
    if not dry_run:
        write_atomic(path, ring.encrypt(plain, context), prefix=".rot-")
    return status


# ------------------------------------------------------------------ the ring of a deployment
_RINGS: dict[tuple, KeyRing] = {}
_BY_DIR: dict[str, KeyRing] = {}
_LOCK = threading.Lock()


def _read_key_file(path: Path, origin: str) -> list[Key]:
    try:
        st = path.stat()
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyConfigError(f"{origin}: cannot read the key file {path}: {exc.strerror or exc}") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the data key file %s can be read by others (mode %o); chmod 600 it", path, st.st_mode & 0o777)
    keys = parse_keys(text, f"{origin} {path}")
    if not keys:
        raise KeyConfigError(f"{origin}: the key file {path} holds no key")
    return keys


def _create_auto_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path.parent, 0o700)
    except OSError:
        pass
    line = generate_key("auto-" + os.urandom(3).hex())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("# generated by matex on first start; see api/settings.py (production: MATEX_DATA_KEYS)\n")
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # fails if another process created it first: use theirs
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)


def build_keyring(settings: "Settings", create: bool = True) -> KeyRing:
    """The ring of `settings` (see api/settings.py). `create=False`: never generate the auto key."""
    keys: list[Key] = []
    sources = []
    if settings.data_keys:
        keys += parse_keys(settings.data_keys, "MATEX_DATA_KEYS")
        sources.append("MATEX_DATA_KEYS")
    if settings.data_key_file:
        keys += _read_key_file(Path(settings.data_key_file).expanduser(), "MATEX_DATA_KEY_FILE")
        sources.append(f"key file {settings.data_key_file}")
    auto = settings.key_dir / AUTO_KEY_FILE
    if keys:
        if auto.exists():  # files written before keys were configured: still readable
            keys += _read_key_file(auto, "generated key")
        return KeyRing(keys, " + ".join(sources))
    if settings.data_key_required:
        raise KeyConfigError("no data key configured (MATEX_DATA_KEYS or MATEX_DATA_KEY_FILE) and "
                             "MATEX_DATA_KEY_REQUIRED is set: refusing to start; `matex keys generate` makes one")
    if auto.exists():
        return KeyRing(_read_key_file(auto, "generated key"), f"generated key {auto}")
    if settings.allow_plaintext:
        log.warning("no data key configured and MATEX_ALLOW_PLAINTEXT is set: uploads and page images are stored "
                    "UNENCRYPTED (development only)")
        return KeyRing([], "plaintext")
    if not create:
        return KeyRing([], "none")
    _create_auto_key(auto)
    log.warning("no data key configured: generated %s (mode 0600). It sits next to the data it protects; in "
                "production set MATEX_DATA_KEYS or MATEX_DATA_KEY_FILE (keep this key in the ring until "
                "`matex keys rotate` has re-encrypted everything)", auto)
    return KeyRing(_read_key_file(auto, "generated key"), f"generated key {auto}")


def keyring_for(settings: "Settings") -> KeyRing:
    """The ring of `settings`, built once per process per configuration, and remembered as the
    ring of its data_dir (`ring_for_dir`: page images under cache/ use it)."""
    d = str(Path(settings.data_dir).expanduser().resolve())
    sig = (d, settings.data_keys, settings.data_key_file, settings.data_key_required, settings.allow_plaintext)
    with _LOCK:
        ring = _RINGS.get(sig)
        if ring is None:
            ring = _RINGS[sig] = build_keyring(settings)
        _BY_DIR[d] = ring
    return ring


def ring_for_dir(data_dir: str | Path) -> KeyRing:
    """The ring last used for `data_dir` in this process; else the one from the environment."""
    d = str(Path(data_dir).expanduser().resolve())
    ring = _BY_DIR.get(d)
    if ring is not None:
        return ring
    from api.settings import Settings

    return keyring_for(Settings.from_env(data_dir=d))


def forget_rings() -> None:
    """Drop the remembered rings (tests that change keys of one data_dir)."""
    with _LOCK:
        _RINGS.clear()
        _BY_DIR.clear()
