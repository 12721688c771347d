"""`matex keys`: the data keys that encrypt uploads and page images at rest (api/crypto.py).

    matex keys generate [--id K]        print a new key `K:<base64>` (for MATEX_DATA_KEYS or a key file)
    matex keys status [--verify]        files per key id (and plaintext); --verify decrypts every upload
    matex keys rotate [--dry-run]       re-encrypt every upload and cached page image under the current key

The ring comes from $MATEX_DATA_KEYS / $MATEX_DATA_KEY_FILE (first key = current) and the data dir
from --data-dir / $MATEX_DATA_DIR, as for `matex serve`. `rotate` is idempotent (files already
under the current key are skipped), resumable (run it again after an interruption) and atomic per
file (a temporary file, fsync, rename); the service may keep running meanwhile, once it has been
restarted with the new key first. Exit 1 when a file could not be read (named on stderr).
"""
from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("keys", help="data keys: generate, rotate (re-encrypt uploads and page images), status")
    ks = p.add_subparsers(dest="keys", required=True)
    g = ks.add_parser("generate", help="print a new data key (kid:base64)")
    g.add_argument("--id", default=None, help="key id (default k<date>-<random>)")
    g.set_defaults(func=run_generate)
    for name, fn, hlp in (("rotate", run_rotate, "re-encrypt every stored file under the current key"),
                          ("status", run_status, "count stored files per key id")):
        r = ks.add_parser(name, help=hlp)
        r.add_argument("--data-dir", default=None, help="the service's data dir (default $MATEX_DATA_DIR or ./matex-data)")
        r.add_argument("--json", action="store_true", help="print the report as JSON")
        if name == "rotate":
            r.add_argument("--dry-run", action="store_true", help="count what would be re-encrypted; write nothing")
        else:
            r.add_argument("--verify", action="store_true", help="decrypt every upload (slow: reads everything)")
        r.set_defaults(func=fn)


def run_generate(args) -> int:
    from api.crypto import KeyConfigError, generate_key

    try:
        key = generate_key(args.id)
    except KeyConfigError as exc:
        print(f"matex keys generate: {exc}", file=sys.stderr)
        return 2
    print(key)
    print("a new data key (shown once): put it FIRST in MATEX_DATA_KEYS (keep the old keys after it), restart the "
          "service and its workers, then run `matex keys rotate`", file=sys.stderr)
    return 0


def _settings(args):
    from api.settings import Settings

    return Settings.from_env(data_dir=args.data_dir)


def _report_dict(blobs, cache) -> dict:
    from dataclasses import asdict

    return {"uploads": asdict(blobs), "page_images": asdict(cache)}


def run_rotate(args) -> int:
    from api import crypto
    from api.blobs import BlobStore, rotate_blobs
    from api.images import rotate_cache

    s = _settings(args)
    try:
        ring = crypto.build_keyring(s, create=False)
    except crypto.KeyConfigError as exc:
        print(f"matex keys rotate: {exc}", file=sys.stderr)
        return 2
    if ring.current is None:
        print("matex keys rotate: no data key configured (MATEX_DATA_KEYS or MATEX_DATA_KEY_FILE)", file=sys.stderr)
        return 2
    store = BlobStore(s.blob_dir, ring)
    b = rotate_blobs(store, dry_run=args.dry_run)
    c = rotate_cache(s.cache_dir, ring, dry_run=args.dry_run)
    if args.json:
        print(json.dumps({"current_key": ring.current.kid, "dry_run": args.dry_run, **_report_dict(b, c)}, indent=1))
    else:
        verb = "would be" if args.dry_run else "were"
        print(f"matex keys rotate: current key {ring.current.kid!r} ({ring.source}){'  [dry run]' if args.dry_run else ''}")
        for label, r in (("uploads", b), ("page images", c)):
            before = ", ".join(f"{k}: {n}" for k, n in sorted(r.by_key.items())) or "none"
            print(f"  {label:<12} {r.scanned} files (before: {before})")
            print(f"  {'':<12} {r.current} already under the current key, {r.reencrypted} {verb} re-encrypted from an "
                  f"older key, {r.encrypted} {verb} plaintext and encrypted now")
            if r.dropped:
                print(f"  {'':<12} {r.dropped} unreadable cache file(s) {verb} removed (rendered again when viewed)")
            if r.temp_removed:
                print(f"  {'':<12} {r.temp_removed} leftover temporary file(s) of interrupted writes {verb} removed")
            if r.failed:
                print(f"  {'':<12} {len(r.failed)} FAILED (left as they are):")
    for r in (b, c):
        for f in r.failed:
            print(f"matex keys rotate: {f}", file=sys.stderr)
    failed = len(b.failed) + len(c.failed)
    if not failed and not args.dry_run and not args.json:
        print("done: every file is under the current key; the older keys may be dropped from the ring once "
              "backups made before now have expired")
    return 1 if failed else 0


def run_status(args) -> int:
    from api import crypto
    from api.blobs import BlobStore, RotateReport, verify_blobs

    s = _settings(args)
    try:
        ring = crypto.build_keyring(s, create=False)
    except crypto.KeyConfigError as exc:
        print(f"matex keys status: {exc}", file=sys.stderr)
        return 2
    store = BlobStore(s.blob_dir, ring)
    if args.verify:
        b = verify_blobs(store)
    else:
        b = RotateReport()
        for sha in store.shas():
            b.scanned += 1
            kid = store.key_id(sha) or "plaintext"
            b.by_key[kid] = b.by_key.get(kid, 0) + 1
    c = RotateReport()
    if s.cache_dir.exists():
        for f in s.cache_dir.rglob("*.jpg"):
            if f.name.startswith("."):
                continue
            c.scanned += 1
            kid = crypto.key_id(crypto.read_head(f)) or "plaintext"
            c.by_key[kid] = c.by_key.get(kid, 0) + 1
    ring_ids = [k.kid for k in ring.keys]
    if args.json:
        print(json.dumps({"ring": ring_ids, "source": ring.source, **_report_dict(b, c)}, indent=1))
    else:
        print(f"key ring ({ring.source}): {', '.join(ring_ids) or 'empty'}"
              + (f"; current {ring_ids[0]!r}" if ring_ids else ""))
        for label, r in (("uploads", b), ("page images", c)):
            per = ", ".join(f"{k}: {n}" + ("" if k == "plaintext" or k in ring_ids else " (NOT IN THE RING)")
                            for k, n in sorted(r.by_key.items())) or "none"
            print(f"  {label:<12} {r.scanned} files: {per}")
        if args.verify:
            print(f"  verified     {b.scanned - len(b.failed)} of {b.scanned} uploads decrypt and match their sha256")
    for f in b.failed:
        print(f"matex keys status: {f}", file=sys.stderr)
    return 1 if b.failed else 0
