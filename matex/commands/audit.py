"""`matex audit verify [--db URL]`: check the service's hash-chained audit log.

Exit 0 when every entry is intact; exit 1 and name each edited, removed or inserted entry.
"""
from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("audit", help="the service's audit trail")
    asub = p.add_subparsers(dest="audit", required=True)
    v = asub.add_parser("verify", help="detect edited or removed audit entries (exit 1)")
    v.add_argument("--db", default=None, help="SQLAlchemy URL or SQLite path (default: $MATEX_DB_URL or "
                                             "<data-dir>/matex.sqlite3)")
    v.add_argument("--data-dir", default=None)
    v.add_argument("--table-prefix", default=None)
    v.add_argument("--db-schema", default=None)
    v.set_defaults(func=run_verify)


def run_verify(args) -> int:
    from api.audit import verify
    from api.db import Database
    from api.settings import Settings

    s = Settings.from_env(db_url=args.db, data_dir=args.data_dir, table_prefix=args.table_prefix,
                          db_schema=args.db_schema)
    db = Database(s.database_url, s.table_prefix, s.db_schema, create=False)
    try:
        rep = verify(db)
    except Exception as exc:
        print(f"matex audit verify: cannot read the audit log: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    if rep.ok:
        print(f"audit log OK: {rep.entries} entries, chain intact")
        return 0
    print(f"audit log BROKEN: {len(rep.problems)} problem(s) in {rep.entries} entries")
    for pr in rep.problems:
        print(f"  {pr}")
    return 1
