"""`matex purge [--older-than DAYS] [--dry-run]`: retention of the service's personal data.

Removes every finished (done or failed) extraction created more than DAYS ago (default: the
policy, $MATEX_RETENTION_DAYS, 365; 0 there keeps everything) with its job row and its result
versions; then its upload and the upload's cached page images, unless another remaining
extraction (any tenant) has the same bytes. Extractions still queued or running are left alone.

The audit log is append-only and hash-chained: nothing is removed from it. Each part of a purge
(up to --chunk extractions, one transaction) appends one `purge` entry in that transaction:
counts, the cutoff, no personal data.

Files go after their rows are committed. An upload written or re-uploaded within --grace-s
(its mtime; a duplicate upload touches it) is kept: it may belong to an upload being committed
right now. Exit 0 (also when nothing was due), 2 on a bad command line or an unreadable database.
"""
from __future__ import annotations

import datetime as _dt
import json
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FINISHED = ("done", "failed")


def register(sub) -> None:
    p = sub.add_parser("purge", help="delete extractions older than the retention policy, with their uploads and images")
    p.add_argument("--older-than", type=float, default=None, metavar="DAYS",
                   help="age in days (default: $MATEX_RETENTION_DAYS, 365); 0: every finished extraction")
    p.add_argument("--dry-run", action="store_true", help="count what would be removed; change nothing")
    p.add_argument("--db", default=None, help="SQLAlchemy URL or SQLite path (default: $MATEX_DB_URL or "
                                             "<data-dir>/matex.sqlite3)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--table-prefix", default=None)
    p.add_argument("--db-schema", default=None)
    p.add_argument("--grace-s", type=float, default=3600.0,
                   help="keep uploads written or re-uploaded within this many seconds (default 3600)")
    p.add_argument("--chunk", type=int, default=500, help="extractions per transaction (and audit entry)")
    p.add_argument("--actor", default="matex purge", help="the actor recorded in the audit log")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


@dataclass
class PurgeReport:
    cutoff: str = ""
    older_than_days: float = 0.0
    dry_run: bool = False
    extractions: int = 0
    tenants: dict[str, int] = field(default_factory=dict)
    jobs: int = 0
    result_versions: int = 0
    uploads_deleted: int = 0
    uploads_shared: int = 0  # kept: a remaining extraction has the same bytes
    uploads_recent: int = 0  # kept: written or re-uploaded within the grace period
    uploads_missing: int = 0  # already gone from disk
    page_images: int = 0  # cached files removed
    skipped_in_progress: int = 0  # old but still queued / running
    audit_seqs: list[int] = field(default_factory=list)


def _iso(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).isoformat(timespec="seconds")


def purge(settings, older_than_days: float, *, dry_run: bool = False, grace_s: float = 3600.0, chunk: int = 500,
          actor: str = "matex purge", now: float | None = None, db=None) -> PurgeReport:
    """Purge what is older than `older_than_days` (see the module doc); the report of what was
    (or, `dry_run`, would be) removed."""
    import sqlalchemy as sa

    from api import audit
    from api.blobs import BlobStore, remove_tree
    from api.crypto import KeyRing
    from api.db import Database
    from api.images import sha_dir

    if older_than_days < 0:
        raise ValueError("--older-than is a number of days >= 0")
    own_db = db is None
    if own_db:
        url = settings.database_url
        if url.startswith("sqlite"):
            path = sa.engine.make_url(url).database
            if path and path != ":memory:" and not Path(path).exists():
                raise FileNotFoundError(f"no service database at {path}")
        db = Database(url, settings.table_prefix, settings.db_schema, create=False)
        if not sa.inspect(db.engine).has_table(db.t.extraction.name, schema=db.schema):
            db.dispose()
            raise LookupError(f"no table {db.t.extraction.name} in the database (not the service's database?)")
    store = BlobStore(settings.blob_dir, KeyRing([], "purge: deletes only"))
    start = time.time() if now is None else now
    cutoff = start - older_than_days * 86400.0
    rep = PurgeReport(cutoff=_iso(cutoff), older_than_days=older_than_days, dry_run=dry_run)
    t = db.t
    ext, job, rv = t.extraction, t.job, t.result_version
    due = sa.and_(ext.c.created_at < cutoff, ext.c.status.in_(FINISHED))
    purge_id = uuid.uuid4().hex[:12]
    handled: set[str] = set()  # shas already decided (an upload shared by several purged extractions)
    try:
        with db.read() as c:
            rep.skipped_in_progress = int(c.execute(sa.select(sa.func.count()).select_from(ext).where(
                ext.c.created_at < cutoff, ext.c.status.notin_(FINISHED))).scalar() or 0)
        last = ""
        part = 0
        while True:
            with (db.read() if dry_run else db.write()) as c:
                rows = c.execute(sa.select(ext.c.id, ext.c.sha256, ext.c.tenant).where(due, ext.c.id > last)
                                 .order_by(ext.c.id).limit(chunk)).all()
                if not rows:
                    break
                ids = [r.id for r in rows]
                last = ids[-1]
                shas = {r.sha256 for r in rows}
                tenants: dict[str, int] = {}
                for r in rows:
                    tenants[r.tenant] = tenants.get(r.tenant, 0) + 1
                if dry_run:
                    nv = int(c.execute(sa.select(sa.func.count()).select_from(rv).where(rv.c.extraction_id.in_(ids))).scalar())
                    nj = int(c.execute(sa.select(sa.func.count()).select_from(job).where(job.c.extraction_id.in_(ids))).scalar())
                    ne = len(ids)
                else:
                    nv = c.execute(rv.delete().where(rv.c.extraction_id.in_(ids))).rowcount
                    nj = c.execute(job.delete().where(job.c.extraction_id.in_(ids))).rowcount
                    ne = c.execute(ext.delete().where(ext.c.id.in_(ids))).rowcount
                # an upload stays while an extraction that this purge does not remove has its bytes
                kept = {r[0] for r in c.execute(sa.select(ext.c.sha256).distinct().where(
                    ext.c.sha256.in_(shas), sa.not_(due)))}
                gone = sorted(shas - kept - handled)
                rep.uploads_shared += len((shas & kept) - handled)
                handled |= shas
                part += 1
                if not dry_run:
                    entry = audit.append(c, db, "purge", actor=actor, details={
                        "purge_id": purge_id, "part": part, "cutoff": rep.cutoff, "older_than_days": older_than_days,
                        "extractions": ne, "jobs": nj, "result_versions": nv, "uploads_unreferenced": len(gone),
                        "tenants": tenants})
                    rep.audit_seqs.append(int(entry["seq"]))
            rep.extractions += ne
            rep.jobs += nj
            rep.result_versions += nv
            for k, n in tenants.items():
                rep.tenants[k] = rep.tenants.get(k, 0) + n
            for sha in gone:  # the rows are committed: now the files
                _remove_files(store, settings.cache_dir, sha, rep, dry_run, grace_s, sha_dir, remove_tree)
    finally:
        if own_db:
            db.dispose()
    return rep


def _remove_files(store, cache_dir, sha: str, rep: PurgeReport, dry_run: bool, grace_s: float, sha_dir, remove_tree) -> None:
    p = store.path(sha)
    try:
        mtime = p.stat().st_mtime
    except FileNotFoundError:
        mtime = None
        rep.uploads_missing += 1
    if mtime is not None and time.time() - mtime < grace_s:
        rep.uploads_recent += 1
        return
    if mtime is not None:
        if not dry_run:
            store.delete(sha)
        rep.uploads_deleted += 1
    d = sha_dir(cache_dir, sha)
    if dry_run:
        rep.page_images += sum(1 for f in d.rglob("*") if f.is_file()) if d.exists() else 0
    else:
        rep.page_images += remove_tree(d)
        try:
            d.parent.rmdir()  # cache/ab/ when it is empty now
        except OSError:
            pass


def run(args) -> int:
    from api.settings import Settings

    s = Settings.from_env(db_url=args.db, data_dir=args.data_dir, table_prefix=args.table_prefix,
                          db_schema=args.db_schema)
    days = args.older_than
    if days is None:
        if s.retention_days <= 0:
            print("matex purge: the retention policy keeps everything (MATEX_RETENTION_DAYS=0); "
                  "give --older-than DAYS to purge anyway", file=sys.stderr)
            return 0
        days = float(s.retention_days)
    if days < 0 or args.chunk < 1:
        print("matex purge: --older-than is >= 0 days and --chunk >= 1", file=sys.stderr)
        return 2
    try:
        rep = purge(s, days, dry_run=args.dry_run, grace_s=args.grace_s, chunk=args.chunk, actor=args.actor)
    except Exception as exc:  # noqa: BLE001 - no database there, unreadable
        print(f"matex purge: {(str(exc).strip().splitlines() or [type(exc).__name__])[0]}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(asdict(rep), ensure_ascii=False, indent=1))
        return 0
    print(_summary(rep))
    return 0


def _summary(rep: PurgeReport) -> str:
    verb = "would be removed" if rep.dry_run else "removed"
    lines: list[Any] = [
        f"matex purge{' (dry run: nothing changed)' if rep.dry_run else ''}: older than {rep.older_than_days:g} days, "
        f"created before {rep.cutoff}",
        f"  extractions       {rep.extractions:>7} {verb}"
        + (f"  ({', '.join(f'{k}: {n}' for k, n in sorted(rep.tenants.items()))})" if rep.tenants else ""),
        f"  jobs              {rep.jobs:>7} {verb}",
        f"  result versions   {rep.result_versions:>7} {verb}",
        f"  uploads           {rep.uploads_deleted:>7} {verb}",
        f"    kept, shared    {rep.uploads_shared:>7} (a remaining extraction has the same bytes)",
        f"    kept, recent    {rep.uploads_recent:>7} (written or re-uploaded within the grace period)",
        f"    already gone    {rep.uploads_missing:>7}",
        f"  page images       {rep.page_images:>7} cached files {verb}",
        f"  still in progress {rep.skipped_in_progress:>7} old extraction(s) queued or running: left alone",
    ]
    if not rep.dry_run:
        seqs = rep.audit_seqs
        lines.append(f"  audit log         {len(seqs):>7} entr{'y' if len(seqs) == 1 else 'ies'} appended"
                     + (f" (seq {seqs[0]}{'..' + str(seqs[-1]) if len(seqs) > 1 else ''})" if seqs else ""))
    return "\n".join(lines)
