"""API keys, roles and per-key rate limits.

A key reads `mx_<id>_<secret>`: `<id>` (public, 12 hex) finds the row, the secret (32 bytes,
url-safe base64) is stored only as its sha256, compared in constant time. Roles:

- `portal`: upload, and read its own tenant's extractions;
- `reviewer`: the review queue and reviewer actions (read, correct, approve, reject) in its tenant;
- `admin`: everything, in every tenant.

Requests send the key as `Authorization: Bearer <key>` or `X-API-Key: <key>`; the workbench's
browser session sends it in an HttpOnly cookie set by its login form.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa

from api import audit
from api.db import Database, now

ROLES = ("portal", "reviewer", "admin")
PERMISSIONS = {
    "portal": {"upload", "read"},
    "reviewer": {"read", "review"},
    "admin": {"upload", "read", "review", "admin"},
}


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: str
    tenant: str
    name: str | None = None
    rate_per_s: float | None = None
    burst: float | None = None

    def can(self, perm: str) -> bool:
        return perm in PERMISSIONS.get(self.role, set())

    @property
    def all_tenants(self) -> bool:
        return self.role == "admin"

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.key_id}" + (f" ({self.name})" if self.name else "")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(
    db: Database, role: str, tenant: str, name: str | None = None, rate_per_s: float | None = None,
    burst: float | None = None, actor: str = "cli",
) -> str:
    """Create a key and return it in full (the only time it is shown)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not tenant or len(tenant) > 128:
        raise ValueError("tenant must be 1 to 128 characters")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with db.write() as conn:
        conn.execute(db.t.api_key.insert().values(
            id=key_id, key_hash=hash_secret(secret), role=role, tenant=tenant, name=name,
            rate_per_s=rate_per_s, burst=burst, created_at=now()))
        audit.append(conn, db, "key_create", actor=actor, tenant=tenant, object_id=key_id,
                     details={"role": role, "name": name or ""})
    return f"mx_{key_id}_{secret}"


def revoke_key(db: Database, key_id: str, actor: str = "cli") -> bool:
    with db.write() as conn:
        row = conn.execute(sa.select(db.t.api_key.c.tenant).where(db.t.api_key.c.id == key_id)).first()
        if row is None:
            return False
        conn.execute(db.t.api_key.update().where(db.t.api_key.c.id == key_id).values(revoked_at=now()))
        audit.append(conn, db, "key_revoke", actor=actor, tenant=row.tenant, object_id=key_id)
    return True


def parse_key(key: str) -> tuple[str, str] | None:
    if not key or not key.startswith("mx_"):
        return None
    parts = key.split("_", 2)
    if len(parts) != 3 or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class KeyCache:
    """Verified keys, cached for a short time (saves a DB read and a hash per request)."""

    def __init__(self, db: Database, ttl_s: float = 30.0):
        self.db = db
        self.ttl = ttl_s
        self._c: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, key: str) -> Principal | None:
        hit = self._c.get(key)
        t = time.monotonic()
        if hit and hit[0] > t:
            return hit[1]
        p = self._lookup_db(key)
        with self._lock:
            if len(self._c) > 10000:
                self._c.clear()
            self._c[key] = (t + self.ttl, p)
        return p

    def _lookup_db(self, key: str) -> Principal | None:
        parsed = parse_key(key)
        if parsed is None:
            return None
        key_id, secret = parsed
        t = self.db.t.api_key
        with self.db.read() as conn:
            row = conn.execute(sa.select(t).where(t.c.id == key_id)).mappings().first()
        if row is None or row["revoked_at"] is not None:
            return None
        if not hmac.compare_digest(row["key_hash"], hash_secret(secret)):
            return None
        return Principal(key_id=row["id"], role=row["role"], tenant=row["tenant"], name=row["name"],
                         rate_per_s=row["rate_per_s"], burst=row["burst"])

    def clear(self) -> None:
        with self._lock:
            self._c.clear()


class RateLimiter:
    """A token bucket per key: `rate` tokens a second up to `burst`; one request takes one."""

    def __init__(self, rate: float, burst: float):
        self.rate = rate
        self.burst = burst
        self._b: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, rate: float | None = None, burst: float | None = None) -> float:
        """0.0 when allowed, else the seconds to wait for the next token."""
        rate = rate or self.rate
        burst = burst or self.burst
        if rate <= 0:
            return 0.0
        t = time.monotonic()
        with self._lock:
            tokens, last = self._b.get(key, (burst, t))
            tokens = min(burst, tokens + (t - last) * rate)
            if tokens >= 1.0:
                self._b[key] = (tokens - 1.0, t)
                return 0.0
            self._b[key] = (tokens, t)
            return (1.0 - tokens) / rate

    @staticmethod
    def retry_after(wait_s: float) -> int:
        return max(1, math.ceil(wait_s))
