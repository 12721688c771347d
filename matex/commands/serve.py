"""`matex serve`: the HTTP service (uvicorn) with its OCR worker processes.

    matex serve [--host 127.0.0.1] [--port 8000] [--db URL] [--data-dir DIR] [--workers 2] ...
    matex serve --create-key ROLE TENANT [--name NAME]     print a new API key and exit
    matex serve --revoke-key KEY_ID
    matex serve --worker-only                              workers without HTTP (another host, same DB)

Every option also comes from the environment ($MATEX_DB_URL, $MATEX_DATA_DIR, $MATEX_WORKERS,
$MATEX_MAX_UPLOAD_BYTES, … see api/settings.py); flags win.
"""
from __future__ import annotations

import sys

MB = 1024 * 1024


def register(sub) -> None:
    p = sub.add_parser("serve", help="run the HTTP service (upload API, review workbench, metrics)")
    p.add_argument("--host", default=None, help="bind address (default 127.0.0.1, $MATEX_HOST)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000, $MATEX_PORT)")
    p.add_argument("--db", default=None, help="SQLAlchemy URL or SQLite path (default: <data-dir>/matex.sqlite3)")
    p.add_argument("--data-dir", default=None, help="uploads and caches (default ./matex-data)")
    p.add_argument("--workers", type=int, default=None, help="OCR worker processes (default 2)")
    p.add_argument("--engine", default=None, help="OCR engine: rapidocr (default), paddleocr, or fake")
    p.add_argument("--golden-db", default=None, help="golden-record store for the cross-check")
    p.add_argument("--golden-mapping", default=None, help="YAML mapping for an office's own table")
    p.add_argument("--max-upload-mb", type=float, default=None, help="413 above this (default 50)")
    p.add_argument("--sync-max-mb", type=float, default=None, help="single images up to this answer at once (default 8)")
    p.add_argument("--sync-timeout", type=float, default=None, help="seconds to wait before 202 (default 20)")
    p.add_argument("--lease", type=float, default=None, help="job lease seconds (default 60)")
    p.add_argument("--max-attempts", type=int, default=None)
    p.add_argument("--rate", type=float, default=None, help="default requests/s per key (token bucket)")
    p.add_argument("--burst", type=float, default=None, help="default bucket size per key")
    p.add_argument("--table-prefix", default=None)
    p.add_argument("--db-schema", default=None)
    p.add_argument("--log-level", default=None)
    p.add_argument("--create-key", nargs=2, metavar=("ROLE", "TENANT"), help="create an API key (portal, reviewer, admin)")
    p.add_argument("--name", default=None, help="a label for --create-key")
    p.add_argument("--revoke-key", metavar="KEY_ID", default=None)
    p.add_argument("--worker-only", action="store_true", help="run OCR workers only (no HTTP)")
    p.set_defaults(func=run)


def settings_from_args(args):
    from api.settings import Settings

    mb = lambda v: None if v is None else int(v * MB)  # noqa: E731
    return Settings.from_env(
        host=args.host, port=args.port, db_url=args.db, data_dir=args.data_dir, workers=args.workers,
        engine=args.engine, golden_db=args.golden_db, golden_mapping=args.golden_mapping,
        max_upload_bytes=mb(args.max_upload_mb), sync_max_bytes=mb(args.sync_max_mb),
        sync_timeout_s=args.sync_timeout, lease_s=args.lease, max_attempts=args.max_attempts,
        rate_per_s=args.rate, rate_burst=args.burst, table_prefix=args.table_prefix, db_schema=args.db_schema,
        log_level=args.log_level,
    )


def run(args) -> int:
    import os
    from pathlib import Path

    os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
    settings = settings_from_args(args)
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    if args.create_key or args.revoke_key:
        from api import auth
        from api.db import Database

        db = Database(settings.database_url, settings.table_prefix, settings.db_schema)
        if args.revoke_key:
            ok = auth.revoke_key(db, args.revoke_key)
            print("revoked" if ok else f"no key {args.revoke_key}", file=sys.stderr)
            return 0 if ok else 1
        role, tenant = args.create_key
        try:
            key = auth.create_key(db, role, tenant, args.name)
        except ValueError as exc:
            print(f"matex serve: {exc}", file=sys.stderr)
            return 2
        print(key)
        print(f"created a {role} key for tenant {tenant!r} (shown once; only its hash is stored)", file=sys.stderr)
        return 0
    if args.worker_only:
        from api.worker import run_worker

        run_worker(settings)
        return 0
    import logging

    import uvicorn

    from api.app import create_app
    from matex.privacy import install_redaction

    logging.basicConfig(level=getattr(logging, settings.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_redaction()  # root handlers and the matex/uvicorn loggers themselves
    app = create_app(settings)
    print(f"matex serve: http://{settings.host}:{settings.port}  db={_safe(settings.database_url)}  "
          f"data={settings.data_dir}  workers={settings.workers} ({settings.engine})", file=sys.stderr, flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, access_log=False,
                timeout_graceful_shutdown=15)
    return 0


def _safe(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "?"
