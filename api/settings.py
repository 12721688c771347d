"""Settings of the HTTP service, from arguments, the environment ($MATEX_*) or defaults.

    Settings.from_env()                      # production: `matex serve` layers CLI flags on top
    Settings(db_url="sqlite:///x.db", data_dir="/tmp/x", workers=0)   # tests

Data at rest (api/crypto.py): uploads and cached page images are encrypted with AES-256-GCM under
the first key of a key ring. The ring is, in this order:

- `data_keys` ($MATEX_DATA_KEYS): `"k2:<base64 32 bytes>,k1:<base64>"`; the first key encrypts,
  the others only decrypt (files not yet re-encrypted by `matex keys rotate`);
- `data_key_file` ($MATEX_DATA_KEY_FILE): the same entries, one a line (`#` comments);
- `<data_dir>/keys/data.key`, the key generated on the first start when none of the above is
  configured (mode 0600, a warning is logged: a key next to the data only protects copies of the
  files without it, e.g. a backup of blobs/; production keys come from configuration). When keys
  are configured and this file exists, its key is kept in the ring to decrypt only.

`data_key_required` ($MATEX_DATA_KEY_REQUIRED=1) makes the service refuse to start without a
configured key (production: a missing secret must not silently become a new key);
`allow_plaintext` ($MATEX_ALLOW_PLAINTEXT=1) stores new files unencrypted when no key is
configured (development only). Tests get a generated key per data_dir, hence encrypted storage.

Retention: `retention_days` ($MATEX_RETENTION_DAYS, default 365; 0 keeps everything) is what
`matex purge` removes when run without --older-than.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

MB = 1024 * 1024


def _env_bool(v: str) -> bool:
    return v.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Settings:
    # storage
    db_url: str | None = None  # SQLAlchemy URL or SQLite path; None: sqlite under data_dir
    data_dir: str = "./matex-data"  # uploads (content-addressed), page-image cache
    table_prefix: str = "matex_"
    db_schema: str | None = None  # PostgreSQL schema for the service's tables
    # processing
    workers: int = 2  # OCR worker processes started by the app (0: none, e.g. `matex worker` elsewhere)
    engine: str = "rapidocr"  # OCR engine kind, or "fake" (no OCR: tests of the machinery)
    fake_delay_s: float = 0.0  # the fake engine's time per file
    lease_s: float = 60.0  # a claimed job is another worker's to take after this without a heartbeat
    max_attempts: int = 3  # a job that killed this many workers is failed
    poll_s: float = 0.5  # workers look for jobs at least this often (a doorbell wakes them sooner)
    golden_db: str | None = None  # golden-record store for the cross-check (None: skipped)
    golden_mapping: str | None = None
    review_threshold: float | None = None  # None: the pipeline's default
    # limits
    max_upload_bytes: int = 50 * MB  # 413 above this
    sync_max_bytes: int = 8 * MB  # a single image up to this size gets a synchronous answer
    sync_timeout_s: float = 20.0  # then 202 + job id
    max_pixels: int = 60_000_000
    # access
    rate_per_s: float = 20.0  # default per-key token bucket: refill rate
    rate_burst: float = 40.0  # and size
    cookie_secure: bool = False  # mark the workbench cookie Secure (behind TLS)
    # personal data at rest (see the module doc)
    data_keys: str | None = field(default=None, repr=False)  # "kid:base64,kid:base64": first encrypts
    data_key_file: str | None = None  # the same, one a line
    data_key_required: bool = False  # refuse to start without data_keys / data_key_file
    allow_plaintext: bool = False  # no key configured: store new files unencrypted (development)
    retention_days: int = 365  # `matex purge` removes extractions older than this (0: keep everything)
    # HTTP
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    extra: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ derived
    @property
    def database_url(self) -> str:
        from api.db import normalize_url

        if self.db_url:
            return normalize_url(self.db_url)
        return normalize_url(str(Path(self.data_dir) / "matex.sqlite3"))

    @property
    def blob_dir(self) -> Path:
        return Path(self.data_dir) / "blobs"

    @property
    def cache_dir(self) -> Path:
        return Path(self.data_dir) / "cache"

    @property
    def key_dir(self) -> Path:
        return Path(self.data_dir) / "keys"

    def with_(self, **kw) -> "Settings":
        return replace(self, **kw)

    # ------------------------------------------------------------------ environment
    ENV = {
        "db_url": "MATEX_DB_URL",
        "data_dir": "MATEX_DATA_DIR",
        "table_prefix": "MATEX_TABLE_PREFIX",
        "db_schema": "MATEX_DB_SCHEMA",
        "workers": "MATEX_WORKERS",
        "engine": "MATEX_ENGINE",
        "fake_delay_s": "MATEX_FAKE_DELAY_S",
        "lease_s": "MATEX_LEASE_S",
        "max_attempts": "MATEX_MAX_ATTEMPTS",
        "poll_s": "MATEX_POLL_S",
        "golden_db": "MATEX_GOLDEN_DB",
        "golden_mapping": "MATEX_GOLDEN_MAPPING",
        "review_threshold": "MATEX_REVIEW_THRESHOLD",
        "max_upload_bytes": "MATEX_MAX_UPLOAD_BYTES",
        "sync_max_bytes": "MATEX_SYNC_MAX_BYTES",
        "sync_timeout_s": "MATEX_SYNC_TIMEOUT_S",
        "max_pixels": "MATEX_MAX_PIXELS",
        "rate_per_s": "MATEX_RATE_PER_S",
        "rate_burst": "MATEX_RATE_BURST",
        "cookie_secure": "MATEX_COOKIE_SECURE",
        "data_keys": "MATEX_DATA_KEYS",
        "data_key_file": "MATEX_DATA_KEY_FILE",
        "data_key_required": "MATEX_DATA_KEY_REQUIRED",
        "allow_plaintext": "MATEX_ALLOW_PLAINTEXT",
        "retention_days": "MATEX_RETENTION_DAYS",
        "host": "MATEX_HOST",
        "port": "MATEX_PORT",
        "log_level": "MATEX_LOG_LEVEL",
    }

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if env is None else env
        s = cls()
        kinds = {f.name: f.type for f in fields(cls)}
        kw = {}
        for name, var in cls.ENV.items():
            if var in env and env[var] != "":
                kw[name] = _convert(kinds[name], env[var])
        kw.update({k: v for k, v in overrides.items() if v is not None})
        return replace(s, **kw)


def _convert(kind, raw: str):
    k = str(kind)
    if "bool" in k:
        return _env_bool(raw)
    if k.startswith("int"):
        return int(raw)
    if k.startswith("float"):
        return float(raw)
    if "float" in k and "None" in k:
        return float(raw)
    return raw
