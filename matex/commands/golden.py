"""`matex golden import|check|init`: the golden-record store.

    matex golden import people.csv [--db URL] [--format csv|jsonl] [--chunk 5000] [--report rejects.jsonl]
    matex golden check result.json... [--db URL | --mapping office.yaml --db URL] [--out DIR]
    matex golden init [--db URL]

`--db` is a SQLAlchemy URL (`postgresql://user@host/db`) or a SQLite file path; default
$MATEX_GOLDEN_DB or ./golden.sqlite3. Output never shows an unmasked ID number.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("golden", help="golden-record store: import people, cross-check results")
    gsub = p.add_subparsers(dest="golden", required=True)

    def common(q, mapping: bool = False) -> None:
        q.add_argument("--db", default=None, help="SQLAlchemy URL or SQLite path "
                       "(default: $MATEX_GOLDEN_DB or ./golden.sqlite3)")
        q.add_argument("--table", default="golden_person")
        q.add_argument("--schema", default=None)
        if mapping:
            q.add_argument("--mapping", default=None,
                           help="YAML column mapping: read an office's own table/view, read-only")

    i = gsub.add_parser("import", help="validate and upsert a CSV or JSONL file of people")
    i.add_argument("file", metavar="FILE")
    common(i)
    i.add_argument("--format", choices=["csv", "jsonl"], default=None)
    i.add_argument("--chunk", type=int, default=5000, help="rows per bulk upsert")
    i.add_argument("--report", default=None, help="write every rejected row (JSONL) here")
    i.add_argument("--show", type=int, default=20, help="rejected rows to print")
    i.set_defaults(func=run_import)

    c = gsub.add_parser("check", help="fill `crosscheck` of extraction-result JSON files")
    c.add_argument("files", nargs="+", metavar="RESULT.json")
    common(c, mapping=True)
    c.add_argument("--out", default=None, help="folder for the checked results (default: stdout)")
    c.set_defaults(func=run_check)

    n = gsub.add_parser("init", help="create the golden table if it does not exist")
    common(n)
    n.set_defaults(func=run_init)


def _store(args):
    from crosscheck.store import open_store

    return open_store(args.db, mapping=getattr(args, "mapping", None), table=args.table,
                      schema=args.schema)


def run_init(args) -> int:
    from crosscheck.store import describe

    store = _store(args)
    print(f"ready: {describe(store)}")
    return 0


def run_import(args) -> int:
    from crosscheck.importer import ImportError_, import_file
    from crosscheck.store import describe

    store = _store(args)
    try:
        rep = import_file(args.file, store, fmt=args.format, chunk_size=args.chunk)
    except (ImportError_, FileNotFoundError, UnicodeDecodeError) as exc:
        print(f"matex golden import: {exc}", file=sys.stderr)
        return 2
    d = rep.to_dict()
    print(f"{describe(store)}: {rep.rows} rows, {rep.accepted} accepted ({rep.written} written, "
          f"{rep.unchanged} unchanged), {rep.rejected} rejected in {rep.seconds:.1f} s "
          f"({rep.rows_per_second:,.0f} rows/s)")
    if rep.ignored_columns:
        print(f"ignored columns: {', '.join(rep.ignored_columns)}")
    for r in rep.rejections[: args.show]:
        print(f"  line {r.line}: {r.field}: {r.reason}" + (f" ({r.id_number})" if r.id_number else ""))
    more = len(rep.rejections) - args.show + rep.rejections_truncated
    if more > 0:
        print(f"  … {more} more")
    if args.report:
        with open(args.report, "w", encoding="utf-8") as fh:
            for r in d["rejections"]:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return 0 if rep.rejected == 0 else 1


def load_results(path: str | Path):
    """ExtractionResult objects from a `matex extract` output: one object, a list, or JSONL."""
    from schemas.result import ExtractionResult

    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = [json.loads(line) for line in text.splitlines() if line.strip()]
    items = data if isinstance(data, list) else [data]
    return [ExtractionResult.model_validate(x) for x in items]


def run_check(args) -> int:
    from crosscheck.check import check_result

    store = _store(args)
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    payload = []
    for f in args.files:
        for k, res in enumerate(load_results(f)):
            check_result(res, store)
            if out:
                name = Path(f).stem + (f".{k}" if k else "") + ".json"
                (out / name).write_text(json.dumps(res.to_json_dict(), ensure_ascii=False, indent=2),
                                        encoding="utf-8")
            else:
                payload.append(res.to_json_dict())
    if not out:
        print(json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2))
    return 0
